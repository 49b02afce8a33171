/* A cache of compiled seccomp programs under $XDG_CACHE_HOME/sbx/seccomp,
 * keyed by the full text of the policy and the libseccomp version. */
#ifndef SBX_BPFCACHE_H
#define SBX_BPFCACHE_H

#include "seccomp.h"

#include <stdbool.h>

/* The program compiled for KEY, if the cache holds a valid one. A corrupt,
 * foreign or mismatched file is treated as absent. */
bool sbx_bpfcache_load (const char *key, struct sbx_bpf *out);

/* Store BPF for KEY atomically; failures only cost the next launch time. */
void sbx_bpfcache_store (const char *key, const struct sbx_bpf *bpf);

/* The cache folder ($XDG_CACHE_HOME/sbx/seccomp), or NULL without HOME.
 * The caller frees it. */
char *sbx_bpfcache_dir (void);

#endif
