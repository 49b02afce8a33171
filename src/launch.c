/* Carry the plan out, stage by stage, in the fewest processes it needs:
 *
 *   no pid namespace, no status to report, no new session:
 *                                       sbx becomes the command
 *   pid namespace:                      sbx (monitor) -> pid 1 (reaper) -> command
 *   --as-pid-1, a status, a session:    sbx (monitor) -> command
 *
 * The outer process creates the user namespace itself, so the id maps are
 * written without a helper or a handshake. A monitor stays in the host's
 * mount and pid namespaces: its child is cloned into the new pid
 * namespace and makes its own mount namespace before building the root. */
#include "stages.h"

#include "error.h"
#include "net.h"
#include "lifecycle.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* --die-with-parent: a parent that died before the prctl took effect is
 * caught by looking at it once more afterwards. */
static void
die_with_parent (const struct sbx_plan *plan, pid_t parent, int parent_pidfd)
{
  if (!plan->die_with_parent)
    return;
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    sbx_die_errno (errno, "set parent death signal", NULL);
  if (parent_pidfd >= 0)
    {
      struct pollfd p = { .fd = parent_pidfd, .events = POLLIN };
      if (poll (&p, 1, 0) != 0)
        _exit (SBX_EXIT_FAILURE);
      close (parent_pidfd);
    }
  else if (getppid () != parent)
    _exit (SBX_EXIT_FAILURE);
}

static noreturn void
finish_and_exec (const struct sbx_plan *plan, const struct sbx_seccomp_programs *filters)
{
  sbx_stage_close_fds (plan);
  sbx_stage_credentials (plan);
  sbx_stage_seccomp (filters);
  sbx_stage_exec (plan);
}

/* READY_FD (or -1) hears one byte once the root is built: the monitor
 * registers the sandbox then. */
static noreturn void
run_sandbox (const struct sbx_plan *plan, const struct sbx_seccomp_programs *filters,
             const sigset_t *saved_mask, int ready_fd, int net_gate)
{
  sbx_stage_mounts (plan);
  sbx_net_pass_gate (net_gate);
  if (ready_fd >= 0)
    {
      if (write (ready_fd, "", 1) != 1)
        _exit (SBX_EXIT_FAILURE);
      close (ready_fd);
    }
  if (plan_needs_reaper (plan))
    {
      /* Blocked before the fork, so that none meant for the command is
       * lost to pid 1's default action (ignored) meanwhile. */
      sigset_t reaper_set;
      sbx_reaper_signals (&reaper_set);
      sigprocmask (SIG_BLOCK, &reaper_set, NULL);
      pid_t command = fork ();
      if (command < 0)
        sbx_die_errno (errno, "fork", NULL);
      if (command == 0)
        {
          die_with_parent (plan, 1, -1);
          sigprocmask (SIG_SETMASK, saved_mask, NULL);
          finish_and_exec (plan, filters);
        }
      sbx_stage_reaper (command);
    }
  if (saved_mask != NULL)
    sigprocmask (SIG_SETMASK, saved_mask, NULL);
  finish_and_exec (plan, filters);
}

/* The profile's mkdir lines: folders under home that binds need. */
static void
create_host_folders (const struct sbx_plan *plan)
{
  for (size_t i = 0; i < plan->n_host_mkdirs; i++)
    if (sbx_mkdir_p (plan->host_mkdirs[i], 0700) < 0)
      sbx_die_errno (errno, "mkdir", plan->host_mkdirs[i]);
}

static void
free_filters (struct sbx_seccomp_programs *filters)
{
  for (size_t i = 0; i < filters->n; i++)
    free (filters->progs[i].insns);
  free (filters->progs);
}

/* The ids for --info-fd and --json-status-fd, read through the sandbox
 * process's /proc entry. */
static void
read_namespace_ids (const struct sbx_plan *plan, pid_t pid, struct sbx_namespace_ids *ids)
{
  char path[32];
  snprintf (path, sizeof path, "/proc/%d", (int) pid);
  autoclose int dir = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    sbx_die_errno (errno, "open", path);
  sbx_report_namespaces (plan, dir, ids);
}

int
sbx_launch (const struct sbx_plan *plan)
{
  pid_t parent = getppid ();
  bool reports = plan->info_fd >= 0 || plan->json_status_fd >= 0;
  sbx_cgroup_reexec (&plan->limits, plan->self_argv);
  /* While the host's file system, and the filter cache in it, is ours. */
  create_host_folders (plan);
  autoclose int proxy = sbx_stage_dbus_proxy (plan);
  /* Forked while sbx is still in the host's network namespace. */
  struct sbx_net_helper net;
  sbx_net_start (plan, &net);
  struct sbx_seccomp_programs filters;
  sbx_seccomp_prepare (&plan->seccomp, &filters);

  if (!plan_needs_monitor (plan))
    {
      sbx_stage_namespaces (plan, false);
      sbx_stage_network (plan);
      die_with_parent (plan, parent, -1);
      if (reports)
        {
          struct sbx_namespace_ids ids;
          read_namespace_ids (plan, getpid (), &ids);
          sbx_report_started (plan, &ids, getpid ());
        }
      run_sandbox (plan, &filters, NULL, -1, -1);
    }

  /* The lifecycle registry, when there is one: before anything else
   * exists, so that a name already taken changes nothing. */
  autoclose int registry = sbx_register_prepare (plan);
  int registered[2] = { -1, -1 };
  if (registry >= 0 && pipe2 (registered, O_CLOEXEC) < 0)
    sbx_die_errno (errno, "pipe", NULL);
  /* Made with the caller's own credentials, before any namespace. */
  struct sbx_cgroup cgroup;
  sbx_cgroup_create (&plan->limits, &cgroup);
  sbx_stage_namespaces (plan, true);
  sbx_stage_network (plan);
  sbx_net_attach (plan, &net);
  sigset_t blocked, saved_mask;
  sbx_forwarded_signals (&blocked);
  sigaddset (&blocked, SIGCHLD);
  sigaddset (&blocked, SIGALRM);
  sigprocmask (SIG_BLOCK, &blocked, &saved_mask);
  die_with_parent (plan, parent, -1);

  /* The child is in another pid namespace, where getppid() says 0 for
   * any parent: it watches us through a pidfd instead. */
  autoclose int self_pidfd = -1;
  if (plan->die_with_parent)
    {
      self_pidfd = (int) syscall (SYS_pidfd_open, getpid (), 0);
      if (self_pidfd < 0)
        sbx_die_errno (errno, "open pidfd", NULL);
    }
  /* Only a report needs to know the child's mount namespace exists. */
  int ready[2] = { -1, -1 };
  if (reports && pipe2 (ready, O_CLOEXEC) < 0)
    sbx_die_errno (errno, "pipe", NULL);
  pid_t child = sbx_fork_sandbox (plan);
  if (child == 0)
    {
      die_with_parent (plan, 0, sbx_steal_fd (&self_pidfd));
      int net_gate = sbx_net_child_gate (&net);
      /* Into the cgroup before anything of the sandbox runs. */
      sbx_cgroup_join (&cgroup, plan->namespaces & SBX_NS_CGROUP, plan->namespaces_try & SBX_NS_CGROUP);
      sbx_stage_mount_namespace ();
      if (reports)
        {
          close (ready[0]);
          if (write (ready[1], "", 1) != 1)
            _exit (SBX_EXIT_FAILURE);
          close (ready[1]);
        }
      if (registry >= 0)
        {
          close (registry);
          close (registered[0]);
        }
      run_sandbox (plan, &filters, &saved_mask, registered[1], net_gate);
    }
  sbx_net_ready (&net, child);
  if (registry >= 0)
    close (registered[1]);
  if (reports)
    {
      char byte;
      close (ready[1]);
      ssize_t n;
      do
        n = read (ready[0], &byte, 1);
      while (n < 0 && errno == EINTR);
      close (ready[0]);
      struct sbx_namespace_ids ids = { { 0 } };
      if (n == 1)
        read_namespace_ids (plan, child, &ids);
      sbx_report_started (plan, &ids, child);
    }
  struct sbx_timeout timeout;
  sbx_timeout_start (&plan->limits, &timeout, child);
  bool is_registered = registry >= 0 && sbx_register (plan, registry, registered[0], child, &filters);
  int code = sbx_supervise (child, false, plan->new_session);
  if (is_registered)
    sbx_unregister (plan, registry, child);
  sbx_net_stop (&net);
  sbx_timeout_stop (&timeout);
  code = sbx_cgroup_finish (&plan->limits, &cgroup, timeout.phase > 0, code);
  sbx_report_exited (plan, code);
  if (plan->dbus_proxy != NULL)
    unlink (plan->dbus_proxy);
  free_filters (&filters);
  return code;
}
