/* Resource limits: cgroup limits, rlimits, --timeout and --stats. The
 * options fill struct sbx_limits, sbx_limits_finalize() validates it and
 * decides where the cgroup comes from, and the launch carries it out
 * (cgroup.c, rlimits.c, timeout.c). */
#ifndef SBX_LIMITS_H
#define SBX_LIMITS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* What a cgroup is used for; each maps onto a v2 controller or a v1
 * hierarchy. CPUACCT is the CPU time accounting (v2: always there). */
enum sbx_cg_role {
  SBX_CG_MEMORY,
  SBX_CG_PIDS,
  SBX_CG_CPU,
  SBX_CG_CPUACCT,
  SBX_CG_IO,
  SBX_CG_NROLES,
};

enum sbx_cg_kind {
  SBX_CGK_NONE,         /* no cgroup: rlimits and rusage only */
  SBX_CGK_V2,           /* a delegated v2 subtree below sbx's own cgroup */
  SBX_CGK_SYSTEMD,      /* re-exec under systemd-run --user --scope */
  SBX_CGK_V1,           /* delegated v1 subtrees, one per hierarchy */
};

/* Where the sandbox's cgroup goes: for each role, the parent folder the
 * new cgroup is made in (NULL: the role is not used). Roles that share a
 * hierarchy share a parent. */
struct sbx_cg_choice {
  enum sbx_cg_kind kind;
  char *parent[SBX_CG_NROLES];
  bool v2_enable;       /* v2: controllers to switch on in the parent */
  char *leaf;           /* v2: the leaf sbx moves itself to first, or NULL */
  char *name;           /* sbx-<name>-<pid> */
};

enum sbx_rlimit_kind {
  SBX_RL_AS, SBX_RL_NPROC, SBX_RL_NOFILE, SBX_RL_FSIZE, SBX_RL_CPU, SBX_RL_CORE, SBX_RL_COUNT,
};

#define SBX_UNLIMITED UINT64_MAX

/* The cgroup limits asked for (bit N: role N's limit files are written). */
enum {
  SBX_LIM_MEMORY = 1 << 0,
  SBX_LIM_SWAP = 1 << 1,
  SBX_LIM_PIDS = 1 << 2,
  SBX_LIM_CPUS = 1 << 3,
  SBX_LIM_CPU_WEIGHT = 1 << 4,
  SBX_LIM_IO_WEIGHT = 1 << 5,
};

struct sbx_limits {
  unsigned set;                 /* SBX_LIM_* */
  uint64_t memory, memory_swap, pids;   /* SBX_UNLIMITED: "max" */
  double cpus;
  unsigned cpu_weight, io_weight;
  bool best_effort, stats;
  bool rlimit_set[SBX_RL_COUNT];
  uint64_t rlimit[SBX_RL_COUNT];        /* SBX_UNLIMITED: "unlimited" */
  double timeout, kill_after;           /* seconds; timeout 0: none */
  struct sbx_cg_choice cgroup;          /* decided by sbx_limits_finalize */
};

struct sbx_parse;
struct sbx_option;
struct sbx_plan;

/* Option handlers (limits.c); data is the SBX_LIM_* bit or the rlimit. */
void sbx_handle_cg_limit (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_rlimit (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_duration (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_limit_flag (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);

void sbx_limits_init (struct sbx_limits *limits);
void sbx_limits_free (struct sbx_limits *limits);
/* Check the limits and pick the cgroup (or die, exit 125, saying why and
 * what to do). PROFILE names the cgroup. */
void sbx_limits_finalize (struct sbx_limits *limits, const char *profile);
/* Does the launch need a monitor to remove a cgroup, time out or report? */
bool sbx_limits_need_monitor (const struct sbx_limits *limits);
void sbx_limits_print (const struct sbx_limits *limits, FILE *out);

/* "64M", "1.5G" style, for messages and the summary. */
void sbx_format_size (char *buf, size_t len, uint64_t bytes);

/* rlimits.c: set the rlimits in the sandbox process, just before exec
 * (exec.c), once nothing is left to allocate. */
void sbx_stage_rlimits (const struct sbx_limits *limits);

/* cgroup.c: the sandbox's cgroup at launch. */
struct sbx_cgroup {
  size_t n;
  char *dir[SBX_CG_NROLES];     /* the folders made, one per hierarchy */
  int procs[SBX_CG_NROLES];     /* their cgroup.procs, open for writing */
  const char *role_dir[SBX_CG_NROLES];
  bool v2;
  char *leaf;                   /* v2: where sbx moved itself, or NULL */
  unsigned v2_enabled;          /* v2: the roles whose controllers sbx switched on */
};
/* systemd: re-execute sbx under systemd-run (does not return on success). */
void sbx_cgroup_reexec (const struct sbx_limits *limits, char **self_argv);
/* Create the cgroup and write the limits; before any namespace. */
void sbx_cgroup_create (const struct sbx_limits *limits, struct sbx_cgroup *cg);
/* In the sandbox process: move itself in, then (CGROUP_NS) unshare the
 * cgroup namespace so that the new cgroup is its root. */
void sbx_cgroup_join (struct sbx_cgroup *cg, bool cgroup_ns, bool cgroup_ns_try);
/* End whatever is left in the cgroup and remove it. */
void sbx_cgroup_remove (struct sbx_cgroup *cg);
/* cgroup_sweep.c: the pid in a cgroup name sbx makes, sbx-<name>-<pid>
 * (sbx-monitor-<pid> for a v2 leaf), or 0 for any other name. */
pid_t sbx_cgroup_creator (const char *name);
/* Remove the cgroups in PARENT that an sbx killed before
 * its cleanup left behind (no sbx holds them, no process is in them). */
void sbx_cgroup_sweep (const char *parent);
/* Lock the new cgroup DIR through its open PROCS_FD, for as long as sbx
 * runs; false if a sweep removed DIR first (make it again). */
bool sbx_cgroup_hold (int procs_fd, const char *dir);
/* summary.c: after the sandbox ended: print the summary when asked for or when a
 * limit killed it, end any process left, remove the cgroup. Returns the
 * exit code (124 on a timeout). */
int sbx_cgroup_finish (const struct sbx_limits *limits, struct sbx_cgroup *cg, bool timed_out, int code);

/* timeout.c: the --timeout timer of the monitor. */
struct sbx_timeout {
  double kill_after;
  pid_t child;
  void *timer;
  int phase;                    /* 0 armed, 1 SIGTERM sent, 2 SIGKILL sent */
};
void sbx_timeout_start (const struct sbx_limits *limits, struct sbx_timeout *t, pid_t child);
/* For the supervise loop: a signal from our timer? Then act on it. */
bool sbx_timeout_fired (const siginfo_t *info);
void sbx_timeout_stop (struct sbx_timeout *t);

#endif
