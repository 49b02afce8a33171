/* The launch stages, in the order they run. Each reads the plan and
 * either succeeds or ends the process with sbx's one-line error. */
#ifndef SBX_STAGES_H
#define SBX_STAGES_H

#include "plan.h"

#include <signal.h>
#include <stdnoreturn.h>

/* dbusproxy.c: start xdg-dbus-proxy when the plan has one; returns the
 * fd whose closing stops it (the caller keeps it open), or -1. */
int sbx_stage_dbus_proxy (const struct sbx_plan *plan);

/* namespaces.c: the user namespace and its id maps, then the others.
 * FOR_MONITOR, the mount and pid namespaces are left to the sandbox
 * process (sbx_fork_sandbox, then sbx_stage_mount_namespace), so that the
 * outer monitor keeps the host's file system view and its own pid
 * namespace while the sandbox pivots away. */
void sbx_stage_namespaces (const struct sbx_plan *plan, bool for_monitor);
/* Maps one uid and one gid in a user namespace the caller just made. */
void sbx_write_id_maps (uid_t inner_uid, uid_t outer_uid, gid_t inner_gid, gid_t outer_gid);
void sbx_stage_mount_namespace (void);
pid_t sbx_fork_sandbox (const struct sbx_plan *plan);

/* network.c: bring up lo in a new network namespace. */
void sbx_stage_network (const struct sbx_plan *plan);

/* mounts.c: build the new root from the ordered operations, pivot into it. */
void sbx_stage_mounts (const struct sbx_plan *plan);

/* fds.c: close every descriptor not handed over on purpose. */
void sbx_stage_close_fds (const struct sbx_plan *plan);

/* caps.c: no_new_privs, and every capability dropped but the kept ones. */
void sbx_stage_credentials (const struct sbx_plan *plan);

/* seccomp.c (declared in seccomp.h): load the prepared filters, last. */

/* exec.c: the working directory, the session, then exec with PATH search
 * inside the sandbox. 126/127 when the command cannot run. */
noreturn void sbx_stage_exec (const struct sbx_plan *plan);

/* reaper.c: pid 1 of the pid namespace. Forwards the signals in
 * sbx_forwarded_signals() to COMMAND, reaps every child, and exits with
 * COMMAND's status. */
noreturn void sbx_stage_reaper (pid_t command);

/* monitor.c: wait for CHILD while passing signals on (those a terminal
 * sent too, if FORWARD_KERNEL_SIGNALS); with REAP_ALL, reap every other
 * child on the way, as pid 1 must. Returns CHILD's status as an exit code
 * (128+N for signal N). */
int sbx_supervise (pid_t child, bool reap_all, bool forward_kernel_signals);

/* The signals that sbx passes on to the command. */
void sbx_forwarded_signals (sigset_t *set);
/* Those the pid 1 reaper passes on: the same, and the job control stops. */
void sbx_reaper_signals (sigset_t *set);

/* A wait status as a shell would show it. */
int sbx_exit_code (int wait_status);

/* report.c: --info-fd and --json-status-fd. The namespace ids are read
 * through PROC_DIR, the sandbox process's /proc/PID. */
struct sbx_namespace_ids { unsigned long long id[6]; };
void sbx_report_namespaces (const struct sbx_plan *plan, int proc_dir, struct sbx_namespace_ids *ids);
void sbx_report_started (const struct sbx_plan *plan, const struct sbx_namespace_ids *ids, pid_t child);
void sbx_report_exited (const struct sbx_plan *plan, int exit_code);

/* launch.c: run the whole plan; returns the exit status for main. */
int sbx_launch (const struct sbx_plan *plan);

#endif
