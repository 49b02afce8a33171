/* --dev: a minimal /dev. Device nodes cannot be created in a user
 * namespace, so the few safe ones are bind mounts of the host's. */
#include "mounts.h"

#include "error.h"
#include "resolve.h"
#include "syscalls.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

static void
bind_device (struct sbx_root *root, int dev_fd, const char *name, const char *dest)
{
  char host[64], inside[4096];
  snprintf (host, sizeof host, "/dev/%s", name);
  snprintf (inside, sizeof inside, "%s/%s", dest, name);
  autoclose int tree = sys_open_tree (AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    sbx_die_errno (errno, "bind device", host);
  autoclose int node = openat (dev_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (node < 0)
    sbx_die_errno (errno, "create device node", inside);
  autoclose int target = openat (dev_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    sbx_die_errno (errno, "create device node", inside);
  sbx_mount_attach (root, tree, target, inside);
}

static void
add_symlink (int dev_fd, const char *target, const char *name, const char *dest)
{
  if (symlinkat (target, dev_fd, name) < 0)
    {
      char inside[4096];
      snprintf (inside, sizeof inside, "%s/%s", dest, name);
      sbx_die_errno (errno, "create symlink", inside);
    }
}

void
sbx_mount_dev (struct sbx_root *root, const struct sbx_fs_op *op)
{
  static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
  static const char *const tmpfs_options[] = { "mode", "0755", NULL };
  static const char *const devpts_options[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620", NULL };

  autoclose int target = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_DIR, 0755);
  autoclose int dev = sbx_fs_new ("tmpfs", tmpfs_options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, op->dest);
  sbx_mount_attach (root, dev, target, op->dest);

  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
    bind_device (root, dev, devices[i], op->dest);

  char pts[4096];
  snprintf (pts, sizeof pts, "%s/pts", op->dest);
  if (mkdirat (dev, "pts", 0755) < 0 || mkdirat (dev, "shm", 01777) < 0)
    sbx_die_errno (errno, "create directory", op->dest);
  autoclose int pts_target = openat (dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (pts_target < 0)
    sbx_die_errno (errno, "create directory", pts);
  autoclose int devpts = sbx_fs_new ("devpts", devpts_options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, pts);
  sbx_mount_attach (root, devpts, pts_target, pts);

  add_symlink (dev, "pts/ptmx", "ptmx", op->dest);
  add_symlink (dev, "/proc/self/fd", "fd", op->dest);
  add_symlink (dev, "/proc/self/fd/0", "stdin", op->dest);
  add_symlink (dev, "/proc/self/fd/1", "stdout", op->dest);
  add_symlink (dev, "/proc/self/fd/2", "stderr", op->dest);
}
