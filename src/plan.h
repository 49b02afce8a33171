/* The plan: everything sbx will do, decided before anything is done.
 * Parsing fills it, plan_finalize() checks it, --dry-run prints it, and the
 * launch stages only read it. */
#ifndef SBX_PLAN_H
#define SBX_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "limits.h"
#include "seccomp_policy.h"

enum sbx_ns {
  SBX_NS_USER = 1 << 0,
  SBX_NS_MOUNT = 1 << 1,
  SBX_NS_PID = 1 << 2,
  SBX_NS_NET = 1 << 3,
  SBX_NS_IPC = 1 << 4,
  SBX_NS_UTS = 1 << 5,
  SBX_NS_CGROUP = 1 << 6,
};

enum sbx_fs_kind {
  SBX_FS_BIND,
  SBX_FS_RO_BIND,
  SBX_FS_DEV_BIND,
  SBX_FS_TMPFS,
  SBX_FS_PROC,
  SBX_FS_DEV,
  SBX_FS_MQUEUE,
  SBX_FS_DIR,
  SBX_FS_SYMLINK,
  SBX_FS_FILE,
  SBX_FS_BIND_DATA,
  SBX_FS_RO_BIND_DATA,
  SBX_FS_REMOUNT_RO,
  SBX_FS_CHMOD,
  SBX_FS_OVERLAY,         /* --overlay: lowers + a persistent upper */
  SBX_FS_TMP_OVERLAY,     /* --tmp-overlay: lowers + a tmpfs upper */
  SBX_FS_RO_OVERLAY,      /* --ro-overlay: lowers only */
};

enum sbx_overlay_backend { SBX_OVERLAY_AUTO, SBX_OVERLAY_KERNEL, SBX_OVERLAY_FUSE };

#define SBX_NO_PERMS ((mode_t) -1)

struct sbx_fs_op {
  enum sbx_fs_kind kind;
  const char *source;     /* bind source (host path) or symlink target */
  const char *dest;       /* absolute path inside the sandbox */
  int fd;                 /* data source for file/bind-data, else -1 */
  mode_t perms;           /* SBX_NO_PERMS for the kind's default */
  uint64_t size;          /* tmpfs size in bytes; 0 for the default */
  bool optional;          /* a -try form: a missing source skips the op */
  const char *origin;     /* "FILE:LINE" of the profile line, or NULL */
  /* Overlays (overlay.c): SOURCE is the upper (NULL: tmpfs or none). */
  const char **layers;    /* lower layers, top first */
  size_t n_layers;
  const char *work;       /* the work folder beside the upper */
  bool fuse;              /* served by the FUSE backend (plan_finalize) */
  const char *backend_why;
  bool fuse_fallback;     /* auto: the FUSE backend if the kernel refuses */
  const char *cow_path;   /* --cow DIR: what DEST's upper changes, under --to's root, no leading "/" */
};

enum sbx_env_kind { SBX_ENV_SET, SBX_ENV_UNSET, SBX_ENV_CLEAR };

struct sbx_env_op {
  enum sbx_env_kind kind;
  const char *name;
  const char *value;
};

/* Networking (net*.c): how the sandbox's network namespace is connected. */
enum sbx_net_mode { SBX_NET_UNSET, SBX_NET_NONE, SBX_NET_HOST, SBX_NET_USER, SBX_NET_ALLOW };
enum sbx_net_backend { SBX_NET_BACKEND_AUTO, SBX_NET_BACKEND_PASTA, SBX_NET_BACKEND_SLIRP4NETNS };

struct sbx_net_port {
  char addr[64];                /* host address to bind; 127.0.0.1 by default */
  unsigned host_port, sandbox_port;
  bool udp;
};

/* One --net allow= entry: DOMAIN ("*.x" for its subdomains) and the port
 * it opens; port 0 means the defaults, 443 for CONNECT and 80 for plain
 * HTTP. */
struct sbx_net_allow {
  const char *domain;
  unsigned port;
};

struct sbx_plan {
  unsigned namespaces;          /* enum sbx_ns bits to create */
  unsigned namespaces_try;      /* of those, the ones whose failure is fine */
  unsigned namespaces_required; /* asked for explicitly: never optional */
  uid_t outer_uid, inner_uid;
  gid_t outer_gid, inner_gid;

  struct sbx_fs_op *fs_ops;
  size_t n_fs_ops;

  struct sbx_env_op *env_ops;
  size_t n_env_ops;
  char **envp;                  /* computed by plan_finalize */

  uint64_t caps_keep;           /* bit N set: keep capability N */
  struct sbx_seccomp_policy seccomp;
  const char *seccomp_export;   /* --seccomp-export FILE */

  /* Host paths that must never be writable inside (the seccomp cache):
   * made read-only wherever the sandbox shows them. */
  char **protected_paths;
  size_t n_protected_paths;
  const char *hostname;
  const char *chdir;            /* --chdir; NULL: the caller's cwd, else / */
  char *outer_cwd;
  const char *argv0;
  char **argv;                  /* the command; points into the caller's argv */

  int *keep_fds;                /* handed to the command on purpose */
  size_t n_keep_fds;
  int info_fd, json_status_fd;

  bool die_with_parent, new_session, as_pid_1, dry_run;

  const char *profile;          /* the profile applied, or NULL */
  const char *profile_rule;     /* why that profile (or none) applies */
  char **host_mkdirs;           /* mkdir: host folders to create first */
  size_t n_host_mkdirs;
  const char *wrap_dir;         /* --wrap-dir; NULL: ~/.local/bin */
  char **wrap, **unwrap;        /* --wrap and --unwrap names */
  size_t n_wrap, n_unwrap;
  bool list_wrapped;
  char **dbus_talk;             /* dbus-talk: names for a filtering proxy */
  size_t n_dbus_talk;
  long dbus_socket_op;          /* index of dbus-session's bind, or -1 */
  const char *dbus_address;     /* the host's session bus, for the proxy */
  char *dbus_proxy;             /* the proxy's socket, when one runs */
  /* Overlays, copy-on-write and their results (overlay.c, cow.c, changes.c) */
  const char **overlay_srcs;    /* --overlay-src layers waiting for their overlay */
  size_t n_overlay_srcs;
  enum sbx_overlay_backend overlay_backend;
  const char *cow_dir;          /* --cow DIR */
  bool cow_tmp;                 /* --cow-tmp */
  const char *rootfs;           /* --rootfs DIR */
  const char *image;            /* --image PATH */
  const char *changes_verb;     /* "diff", "commit" or "discard" */
  const char *changes_dir;      /* its DIR */
  const char *commit_to;        /* --to ROOT */
  bool yes, json;
  enum sbx_net_mode net_mode;   /* --net; UNSET: the namespace options decide */
  enum sbx_net_backend net_backend;
  const char *net_helper;       /* the pasta or slirp4netns program found */
  struct sbx_net_port *net_ports;
  size_t n_net_ports;
  bool net_host_loopback;
  const char *net_dns;          /* --dns */
  const char *net_hosts_file;   /* --hosts-file */
  struct sbx_net_allow *net_allow; /* --net allow=DOMAIN[:PORT],... */
  size_t n_net_allow;
  const char *net_log;          /* --net-log */
  char **owned;                 /* strings the plan keeps alive (profile words) */

  /* Lifecycle (registry.c, lifecycle.c, enter.c). */
  const char *name;             /* --name; plan_finalize sets <profile>-<pid> */
  bool name_given;              /* --name was given: it forces a monitor */
  enum sbx_lifecycle_verb { SBX_VERB_NONE, SBX_VERB_LIST, SBX_VERB_ENTER, SBX_VERB_STOP, SBX_VERB_KILL } verb;
  const char *verb_target;      /* the NAME of --enter, --stop, --kill */
  const char *kill_signal;      /* --kill's SIGNAL */
  char **hidden_paths;          /* host folders covered by an empty tmpfs inside */
  size_t n_hidden_paths;
  size_t n_owned;

  /* Resource limits (limits.c): cgroup, rlimits, timeout, stats. */
  struct sbx_limits limits;
  char **self_argv;             /* sbx's own argv, to re-execute under systemd-run */
};

void plan_init (struct sbx_plan *plan);
void plan_free (struct sbx_plan *plan);
static inline void plan_freep (struct sbx_plan *plan) { plan_free (plan); }

struct sbx_fs_op *plan_add_fs_op (struct sbx_plan *plan, enum sbx_fs_kind kind);
void plan_add_env_op (struct sbx_plan *plan, enum sbx_env_kind kind,
                      const char *name, const char *value);
void plan_keep_fd (struct sbx_plan *plan, int fd);

/* Keep S (malloc'd) alive as long as the plan; returns S. */
char *plan_own (struct sbx_plan *plan, char *s);

/* Check the plan for consistency and derive what stages need (the
 * environment, implied namespaces). Bad input dies with exit 125. */
void plan_finalize (struct sbx_plan *plan);

/* The launch shape the plan needs: does the outer process stay around to
 * wait (a pid namespace, or an exit status to report)? Does a pid 1
 * reaper sit between the namespace and the command? */
bool plan_needs_monitor (const struct sbx_plan *plan);
bool plan_needs_reaper (const struct sbx_plan *plan);

/* --dry-run: write the plan in a stable, human-readable form. */
void plan_print (const struct sbx_plan *plan, FILE *out);

const char *plan_fs_kind_name (enum sbx_fs_kind kind);

#endif
