/* Capability names and sets, through libcap. */
#ifndef SBX_CAPS_H
#define SBX_CAPS_H

#include <stdint.h>

/* The capability number for NAME ("CAP_NET_RAW", "net_raw"), or -1. */
int sbx_cap_from_name (const char *name);

/* "CAP_NET_RAW" for the number; a static string. */
const char *sbx_cap_name (int cap);

/* Every capability the running kernel knows, as a bit set. */
uint64_t sbx_caps_all (void);

#endif
