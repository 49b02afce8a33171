/* Cgroups an sbx left behind when it was killed (SIGKILL) before it could
 * remove them. Each sbx holds an flock on the cgroup.procs of every cgroup
 * it made, for as long as it runs; the kernel drops it when sbx dies, so
 * a cgroup nobody holds is stale, whatever became of its creator's pid.
 * The next sbx that makes a cgroup in the same place removes those, and
 * the kernel refuses to remove one that processes still use (a sandbox
 * that outlived its monitor keeps its cgroup until it ends). */
#include "limits.h"

#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

pid_t
sbx_cgroup_creator (const char *name)
{
  const char *dash = strrchr (name, '-');
  if (strncmp (name, "sbx-", 4) != 0 || dash == NULL || dash < name + 4 || dash[1] == '\0'
      || strspn (dash + 1, "0123456789") != strlen (dash + 1) || strlen (dash + 1) > 9)
    return 0;
  return (pid_t) atoi (dash + 1);
}

static bool
stale (int parent, const char *name)
{
  pid_t pid = sbx_cgroup_creator (name);
  if (pid <= 0)
    return false;
  /* The v2 leaf a monitor moves itself to (sbx-monitor-<pid>) holds no
   * lock: it is in use while that monitor lives, and empty otherwise. */
  if (strncmp (name, "sbx-monitor-", 12) == 0 && (kill (pid, 0) == 0 || errno == EPERM))
    return false;
  autofree char *procs = sbx_xasprintf ("%s/cgroup.procs", name);
  autoclose int fd = openat (parent, procs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  return fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) == 0;
}

void
sbx_cgroup_sweep (const char *parent)
{
  DIR *d = opendir (parent);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    if (e->d_type == DT_DIR && stale (dirfd (d), e->d_name))
      (void) unlinkat (dirfd (d), e->d_name, AT_REMOVEDIR);
  closedir (d);
}

bool
sbx_cgroup_hold (int procs_fd, const char *dir)
{
  /* A sweeper holds the lock only while it removes the folder: once we
   * have it, the folder is ours unless that sweeper removed it. */
  int r;
  do
    r = flock (procs_fd, LOCK_EX);
  while (r < 0 && errno == EINTR);
  return r == 0 && access (dir, F_OK) == 0;
}
