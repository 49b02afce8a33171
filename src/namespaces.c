/* Stage 1 and 2: the user namespace first, its id maps, then the other
 * namespaces, all created by one unshare(2) so that they are owned by the
 * new user namespace. */
#include "stages.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
clone_flags (unsigned namespaces)
{
  static const struct { unsigned bit; int flag; } map[] = {
    { SBX_NS_USER, CLONE_NEWUSER }, { SBX_NS_MOUNT, CLONE_NEWNS },
    { SBX_NS_PID, CLONE_NEWPID }, { SBX_NS_NET, CLONE_NEWNET },
    { SBX_NS_IPC, CLONE_NEWIPC }, { SBX_NS_UTS, CLONE_NEWUTS },
    { SBX_NS_CGROUP, CLONE_NEWCGROUP },
  };
  int flags = 0;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (namespaces & map[i].bit)
      flags |= map[i].flag;
  return flags;
}

static noreturn void
die_unshare (int errnum)
{
  if (errnum == EPERM || errnum == ENOSPC || errnum == EUSERS)
    sbx_die ("create namespaces: %s (are unprivileged user namespaces enabled? "
             "see sysctl user.max_user_namespaces and kernel.unprivileged_userns_clone)",
             strerror (errnum));
  sbx_die_errno (errnum, "create namespaces", NULL);
}

/* Only the caller's own ids are mapped, so the process can write its maps
 * itself: no helper, no handshake. setgroups must be denied before an
 * unprivileged gid_map write is allowed. */
void
sbx_write_id_maps (uid_t inner_uid, uid_t outer_uid, gid_t inner_gid, gid_t outer_gid)
{
  char line[64];
  snprintf (line, sizeof line, "%u %u 1\n", (unsigned) inner_uid, (unsigned) outer_uid);
  if (sbx_write_file_at (AT_FDCWD, "/proc/self/uid_map", line) < 0)
    sbx_die_errno (errno, "write uid map", "/proc/self/uid_map");
  if (sbx_write_file_at (AT_FDCWD, "/proc/self/setgroups", "deny") < 0)
    sbx_die_errno (errno, "deny setgroups", "/proc/self/setgroups");
  snprintf (line, sizeof line, "%u %u 1\n", (unsigned) inner_gid, (unsigned) outer_gid);
  if (sbx_write_file_at (AT_FDCWD, "/proc/self/gid_map", line) < 0)
    sbx_die_errno (errno, "write gid map", "/proc/self/gid_map");
}

void
sbx_stage_namespaces (const struct sbx_plan *plan, bool for_monitor)
{
  /* A monitor keeps the host's mount namespace, and its own pid
   * namespace for its own children: the sandbox process is cloned into a
   * new one (sbx_fork_sandbox) and makes its mount namespace itself. */
  unsigned namespaces = plan->namespaces | SBX_NS_USER | SBX_NS_MOUNT;
  /* The cgroup namespace too: the sandbox process makes it once it is in
   * its own cgroup (sbx_cgroup_join), which is then its root. */
  if (for_monitor)
    namespaces &= ~(unsigned) (SBX_NS_MOUNT | SBX_NS_PID | SBX_NS_CGROUP);
  if (unshare (clone_flags (namespaces)) < 0)
    {
      int saved = errno;
      unsigned optional = plan->namespaces_try;
      /* A kernel without one of the optional namespaces says EINVAL. */
      if (saved != EINVAL || optional == 0 || unshare (clone_flags (namespaces & ~optional)) < 0)
        die_unshare (saved);
    }
  sbx_write_id_maps (plan->inner_uid, plan->outer_uid, plan->inner_gid, plan->outer_gid);
  if (plan->hostname != NULL && sethostname (plan->hostname, strlen (plan->hostname)) < 0)
    sbx_die_errno (errno, "set host name", plan->hostname);
}

pid_t
sbx_fork_sandbox (const struct sbx_plan *plan)
{
  /* fork(), but born in a new pid namespace when the plan has one. */
  unsigned long flags = SIGCHLD | ((plan->namespaces & SBX_NS_PID) ? CLONE_NEWPID : 0);
  pid_t pid = (pid_t) syscall (SYS_clone, flags, NULL, NULL, NULL, 0);
  if (pid < 0)
    sbx_die_errno (errno, "create the sandbox process", NULL);
  return pid;
}

void
sbx_stage_mount_namespace (void)
{
  if (unshare (CLONE_NEWNS) < 0)
    sbx_die_errno (errno, "create namespaces", "mount");
}
