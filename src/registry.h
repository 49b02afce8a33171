/* The lifecycle registry: one JSON record per running sandbox under
 * $XDG_RUNTIME_DIR/sbx/, written by the monitor, read by --list, --enter,
 * --stop and --kill. */
#ifndef SBX_REGISTRY_H
#define SBX_REGISTRY_H

#include "seccomp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum { SBX_NAME_MAX = 64 };

/* The namespaces a record lists, in this order. */
#define SBX_RECORD_NS_COUNT 7
extern const char *const sbx_record_ns_names[SBX_RECORD_NS_COUNT];

struct sbx_record {
  char *name;
  pid_t pid;                    /* the sandbox's init, as the host sees it */
  unsigned long long start_ticks; /* its /proc/PID/stat start time */
  pid_t monitor;
  char *profile;                /* NULL: none */
  char **argv;                  /* NULL-terminated */
  long long started;            /* seconds since the epoch */
  unsigned long long ns[SBX_RECORD_NS_COUNT];
  char **cgroup;                /* /proc/PID/cgroup lines, NULL-terminated */
  unsigned long long uid, gid, outer_uid, outer_gid;
  char *cwd;
  bool mdwe;
  struct sbx_bpf *seccomp;
  size_t n_seccomp;
};

void sbx_record_free (struct sbx_record *rec);

/* NAME is a safe record name: [A-Za-z0-9_.-], not starting with '.' or
 * '-', at most SBX_NAME_MAX bytes. */
bool sbx_registry_valid_name (const char *name);

/* A profile's path as a name: its base name without ".sbx" (NULL for
 * NULL). The caller frees it. */
char *sbx_profile_short_name (const char *profile);

/* The name of a sandbox without --name: PROFILE-PID, made a valid name.
 * The caller frees it. */
char *sbx_registry_default_name (const char *profile, pid_t pid);

/* The registry folder's path, or NULL when neither XDG_RUNTIME_DIR nor
 * /run/user/UID gives one. The caller frees it. */
char *sbx_registry_path (void);

/* Open (creating it with CREATE) the registry folder, checked to be ours
 * and mode 0700. -1 with *WHY set (static text) when it cannot be had. */
int sbx_registry_open (bool create, const char **why);

/* Store REC atomically as NAME.json; -1 and errno (EEXIST: the name is
 * taken) on failure. */
int sbx_registry_write (int dir, const struct sbx_record *rec);

/* Read NAME.json; false when it is missing or malformed. */
bool sbx_registry_read (int dir, const char *name, struct sbx_record *rec);

/* The start time of PID (field 22 of /proc/PID/stat), 0 if none. */
unsigned long long sbx_proc_start_ticks (pid_t pid);

/* Does REC's process still run, the same one (pid not reused)? */
bool sbx_record_alive (const struct sbx_record *rec);

/* Remove the records of sandboxes that ended. */
void sbx_registry_sweep (int dir);

/* The names of the records (after a sweep), NULL-terminated, sorted. */
char **sbx_registry_names (int dir);

/* JSON helpers shared with --list --json. */
void sbx_json_string (FILE *out, const char *s);

#endif
