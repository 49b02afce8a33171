/* Stage 4: build the new root on a tmpfs from the plan's ordered
 * operations, then pivot into it and detach the host's tree.
 *
 * Every bind source is cloned first, as a detached tree. Then the new
 * root tmpfs is mounted on top of the host's "/". Our own root directory
 * still points below it, so host paths keep resolving as usual, while
 * every destination is resolved from the new root's fd with
 * RESOLVE_IN_ROOT. There is no path at which the old root
 * can be named from inside the new one. Mounts are made with the new mount
 * API: a detached tree is prepared completely (read-only on every submount
 * included) and only then attached, to an fd rather than a path. */
#include "mounts.h"

#include "error.h"
#include "overlay.h"
#include "resolve.h"
#include "stages.h"
#include "syscalls.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

int
sbx_fs_new (const char *type, const char *const *options, unsigned attrs, const char *dest)
{
  autoclose int context = sys_fsopen (type, FSOPEN_CLOEXEC);
  if (context < 0)
    sbx_die_errno (errno, type, dest);
  for (const char *const *o = options; o != NULL && *o != NULL; o += 2)
    {
      int ret = o[1] == NULL ? sys_fsconfig (context, FSCONFIG_SET_FLAG, o[0], NULL, 0)
                             : sys_fsconfig (context, FSCONFIG_SET_STRING, o[0], o[1], 0);
      if (ret < 0)
        sbx_die_errno (errno, type, dest);
    }
  if (sys_fsconfig (context, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    sbx_die_errno (errno, type, dest);
  int tree = sys_fsmount (context, FSMOUNT_CLOEXEC, attrs);
  if (tree < 0)
    sbx_die_errno (errno, type, dest);
  return tree;
}

static void
identify (int fd, struct statx *id, const char *dest)
{
  if (statx (fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, id) < 0)
    sbx_die_errno (errno, "mount", dest);
}

static bool
same_place (const struct statx *a, const struct statx *b)
{
  return a->stx_ino == b->stx_ino && a->stx_dev_major == b->stx_dev_major
         && a->stx_dev_minor == b->stx_dev_minor && a->stx_mnt_id == b->stx_mnt_id;
}

void
sbx_mount_attach (struct sbx_root *root, int tree, int target, const char *dest)
{
  if (sys_move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    sbx_die_errno (errno, "mount", dest);
  /* Mounted on the root itself: later lookups must start from the new top. */
  struct statx where;
  identify (target, &where, dest);
  if (same_place (&where, &root->top))
    {
      int top = fcntl (tree, F_DUPFD_CLOEXEC, 3);
      if (top < 0)
        sbx_die_errno (errno, "mount", dest);
      if (root->top_fd != root->base_fd)
        close (root->top_fd);
      root->top_fd = top;
      identify (top, &root->top, dest);
    }
}

static void
set_attrs (int tree, unsigned attrs, unsigned flags, const char *step, const char *dest)
{
  struct mount_attr attr = { .attr_set = attrs };
  if (attrs != 0 && sys_mount_setattr (tree, "", AT_EMPTY_PATH | flags, &attr) < 0)
    sbx_die_errno (errno, step, dest);
}

/* Bind sources are cloned before the new root exists: a recursive clone
 * of "/" taken later would carry the half-built root (stacked on "/") into
 * the sandbox. -1 for a missing optional source. */
static int
clone_source (const struct sbx_fs_op *op)
{
  int tree = sys_open_tree (AT_FDCWD, op->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0 && errno == ENOENT && op->optional)
    return -1;
  if (tree < 0)
    sbx_die_errno (errno, "bind source", op->source);
  return tree;
}

static void
do_bind (struct sbx_root *root, const struct sbx_fs_op *op, int tree)
{
  if (tree < 0)
    return;                     /* a -try source that is not there */

  /* Read-only on every submount at once, before the tree is visible. The
   * kernel keeps flags that are locked (nosuid, nodev, noexec inherited
   * from a more privileged namespace), since we only ever add flags. */
  unsigned attrs = 0;
  if (op->kind == SBX_FS_RO_BIND)
    attrs |= MOUNT_ATTR_RDONLY;
  if (op->kind != SBX_FS_DEV_BIND)
    attrs |= MOUNT_ATTR_NODEV;
  set_attrs (tree, attrs, AT_RECURSIVE, "bind mount", op->dest);

  struct stat st;
  if (fstat (tree, &st) < 0)
    sbx_die_errno (errno, "bind source", op->source);
  autoclose int target = sbx_root_ensure (root->top_fd, op->dest,
                                          S_ISDIR (st.st_mode) ? SBX_NODE_DIR : SBX_NODE_FILE,
                                          S_ISDIR (st.st_mode) ? 0755 : 0644);
  sbx_mount_attach (root, tree, target, op->dest);
}

static void
do_new_fs (struct sbx_root *root, const struct sbx_fs_op *op, const char *type,
           const char *const *options, unsigned attrs)
{
  autoclose int target = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_DIR, 0755);
  autoclose int tree = sbx_fs_new (type, options, attrs, op->dest);
  sbx_mount_attach (root, tree, target, op->dest);
}

static void
do_tmpfs (struct sbx_root *root, const struct sbx_fs_op *op)
{
  char mode[16], size[32];
  snprintf (mode, sizeof mode, "%04o", (unsigned) (op->perms != SBX_NO_PERMS ? op->perms : 0755));
  snprintf (size, sizeof size, "%llu", (unsigned long long) op->size);
  const char *options[] = { "mode", mode, op->size ? "size" : NULL, size, NULL };
  do_new_fs (root, op, "tmpfs", options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

static void
do_proc (struct sbx_root *root, const struct sbx_fs_op *op, bool own_pid_namespace)
{
  const unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (own_pid_namespace)
    {
      do_new_fs (root, op, "proc", NULL, attrs);
      return;
    }
  /* A new procfs for the host's pid namespace needs privilege over that
   * namespace, which we do not have: show the host's /proc instead, as
   * bubblewrap does. */
  autoclose int tree = sys_open_tree (AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    sbx_die_errno (errno, "bind mount", "/proc");
  set_attrs (tree, attrs, AT_RECURSIVE, "bind mount", op->dest);
  autoclose int target = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_DIR, 0755);
  sbx_mount_attach (root, tree, target, op->dest);
}

static void
do_mqueue (struct sbx_root *root, const struct sbx_fs_op *op)
{
  do_new_fs (root, op, "mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

static void
do_dir (struct sbx_root *root, const struct sbx_fs_op *op)
{
  mode_t mode = op->perms != SBX_NO_PERMS ? op->perms : 0755;
  autoclose int dir = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_DIR, mode);
}

static void
do_symlink (struct sbx_root *root, const struct sbx_fs_op *op)
{
  char buf[4096], existing[4096];
  const char *last;
  autoclose int parent = sbx_root_parent (root->top_fd, op->dest, buf, sizeof buf, &last);
  if (last == NULL)
    sbx_die_errno (EEXIST, "create symlink", op->dest);
  if (symlinkat (op->source, parent, last) == 0)
    return;
  int saved = errno;
  /* An identical link is already there, as when a profile repeats one. */
  ssize_t n = readlinkat (parent, last, existing, sizeof existing - 1);
  if (saved == EEXIST && n >= 0 && (existing[n] = '\0', strcmp (existing, op->source) == 0))
    return;
  sbx_die_errno (saved, "create symlink", op->dest);
}

void
sbx_copy_fd (int from, int to, const char *dest)
{
  for (;;)
    {
      ssize_t n = sendfile (to, from, NULL, 1 << 20);
      if (n == 0)
        return;
      if (n > 0)
        continue;
      if (errno == EINTR)
        continue;
      if (errno != EINVAL && errno != ENOSYS)
        sbx_die_errno (errno, "copy data", dest);
      break;                    /* not sendfile-able (a pipe, say): read and write */
    }
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (from, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        sbx_die_errno (errno, "copy data", dest);
      if (n == 0)
        return;
      if (sbx_write_all (to, buf, (size_t) n) < 0)
        sbx_die_errno (errno, "copy data", dest);
    }
}

/* Write FD's data to the file NAME under DIR, never through a symlink. */
static void
write_data_file (int dir, const char *name, int flags, const struct sbx_fs_op *op, mode_t mode)
{
  autoclose int file = openat (dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | flags, mode);
  if (file < 0)
    sbx_die_errno (errno, "create file", op->dest);
  sbx_copy_fd (op->fd, file, op->dest);
  close (op->fd);
}

static void
do_file (struct sbx_root *root, const struct sbx_fs_op *op)
{
  char buf[4096];
  const char *last;
  autoclose int parent = sbx_root_parent (root->top_fd, op->dest, buf, sizeof buf, &last);
  if (last == NULL)
    sbx_die_errno (EISDIR, "create file", op->dest);
  write_data_file (parent, last, O_TRUNC, op, op->perms != SBX_NO_PERMS ? op->perms : 0666);
}

/* The data is staged in the new root tmpfs under a private name, bound on
 * DEST, then unlinked: nothing is written where DEST lives, which may be a
 * host directory bound read-write. */
static void
do_bind_data (struct sbx_root *root, const struct sbx_fs_op *op)
{
  char staged[64];
  snprintf (staged, sizeof staged, ".sbx-data-%d", op->fd);
  write_data_file (root->base_fd, staged, O_EXCL, op, op->perms != SBX_NO_PERMS ? op->perms : 0600);
  autoclose int tree = sys_open_tree (root->base_fd, staged, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    sbx_die_errno (errno, "bind data", op->dest);
  unsigned attrs = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID;
  if (op->kind == SBX_FS_RO_BIND_DATA)
    attrs |= MOUNT_ATTR_RDONLY;
  set_attrs (tree, attrs, 0, "bind data", op->dest);
  autoclose int target = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_FILE, 0644);
  sbx_mount_attach (root, tree, target, op->dest);
  /* Only now: the kernel will not attach a mount of an unlinked file. */
  if (unlinkat (root->base_fd, staged, 0) < 0)
    sbx_die_errno (errno, "bind data", op->dest);
}

static void
do_remount_ro (struct sbx_root *root, const struct sbx_fs_op *op)
{
  autoclose int target = sbx_root_open (root->top_fd, op->dest, O_PATH);
  if (target < 0)
    sbx_die_errno (errno, "remount read-only", op->dest);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  if (sys_mount_setattr (target, "", AT_EMPTY_PATH, &attr) == 0)
    return;
  if (errno != EINVAL)
    sbx_die_errno (errno, "remount read-only", op->dest);
  /* Not the root of a mount: make it one by binding it onto itself. */
  autoclose int tree = sys_open_tree (target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                                  | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    sbx_die_errno (errno, "remount read-only", op->dest);
  set_attrs (tree, MOUNT_ATTR_RDONLY, 0, "remount read-only", op->dest);
  sbx_mount_attach (root, tree, target, op->dest);
}

static void
do_chmod (struct sbx_root *root, const struct sbx_fs_op *op)
{
  autoclose int target = sbx_root_open (root->top_fd, op->dest, O_PATH);
  if (target < 0)
    sbx_die_errno (errno, "chmod", op->dest);
  /* chmod through the fd's magic link: no second path lookup. */
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", target);
  if (chmod (path, op->perms) < 0)
    sbx_die_errno (errno, "chmod", op->dest);
}

static void
run_fs_op (struct sbx_root *root, const struct sbx_fs_op *op, const struct sbx_plan *plan, int source)
{
  switch (op->kind)
    {
    case SBX_FS_BIND:
    case SBX_FS_RO_BIND:
    case SBX_FS_DEV_BIND: do_bind (root, op, source); break;
    case SBX_FS_TMPFS: do_tmpfs (root, op); break;
    case SBX_FS_PROC: do_proc (root, op, plan->namespaces & SBX_NS_PID); break;
    case SBX_FS_DEV: sbx_mount_dev (root, op); break;
    case SBX_FS_MQUEUE: do_mqueue (root, op); break;
    case SBX_FS_DIR: do_dir (root, op); break;
    case SBX_FS_SYMLINK: do_symlink (root, op); break;
    case SBX_FS_FILE: do_file (root, op); break;
    case SBX_FS_BIND_DATA:
    case SBX_FS_RO_BIND_DATA: do_bind_data (root, op); break;
    case SBX_FS_REMOUNT_RO: do_remount_ro (root, op); break;
    case SBX_FS_CHMOD: do_chmod (root, op); break;
    case SBX_FS_OVERLAY:
    case SBX_FS_TMP_OVERLAY:
    case SBX_FS_RO_OVERLAY: sbx_mount_overlay (root, op, plan); break;
    }
}

/* The host folder PATH, opened in the new root when the sandbox shows that
 * very folder at the same path; else -1. */
static int
open_if_shown (struct sbx_root *root, const char *path)
{
  struct stat host, inside;
  if (stat (path, &host) < 0)
    return -1;
  int target = sbx_root_open (root->top_fd, path, O_PATH | O_DIRECTORY);
  if (target >= 0 && (fstat (target, &inside) < 0 || inside.st_dev != host.st_dev || inside.st_ino != host.st_ino))
    {
      close (target);
      return -1;
    }
  return target;
}

/* A host path that must never be writable from inside (the seccomp
 * cache): wherever the sandbox shows that very directory at the same path,
 * bind it read-only onto itself. */
static void
protect_host_path (struct sbx_root *root, const char *path)
{
  autoclose int target = open_if_shown (root, path);
  if (target < 0)
    return;
  autoclose int tree = sys_open_tree (target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    sbx_die_errno (errno, "protect", path);
  set_attrs (tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, AT_RECURSIVE, "protect", path);
  sbx_mount_attach (root, tree, target, path);
}

/* A host folder no sandbox may see (the lifecycle registry): wherever the
 * sandbox shows that very folder at the same path, an empty read-only
 * tmpfs covers it. */
static void
hide_host_path (struct sbx_root *root, const char *path)
{
  autoclose int target = open_if_shown (root, path);
  if (target < 0)
    return;
  static const char *const options[] = { "mode", "0500", "size", "4096", NULL };
  autoclose int tree = sbx_fs_new ("tmpfs", options,
                                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, path);
  sbx_mount_attach (root, tree, target, path);
}

/* pivot_root(".", ".") into the new root tmpfs stacks the old root on it;
 * detaching "." then removes the old root and everything below it. The
 * pivot must be into the base tmpfs, the mount that sits directly on the
 * old root: pivoting into a mount stacked above it leaves the old root
 * attached (its layout visible in mountinfo, and the kernel then sees a
 * chroot and refuses nested user namespaces). When something covers the
 * base's "/", the root then moves up onto it; the kernel follows mounts
 * stacked on the namespace root, so this is no chroot to it. */
static void
pivot_into (const struct sbx_root *root)
{
  if (fchdir (root->base_fd) < 0)
    sbx_die_errno (errno, "pivot root", "/");
  if (sys_pivot_root (".", ".") < 0)
    sbx_die_errno (errno, "pivot root", "/");
  if (umount2 (".", MNT_DETACH) < 0)
    sbx_die_errno (errno, "detach old root", "/");
  if (root->top_fd != root->base_fd && (fchdir (root->top_fd) < 0 || chroot (".") < 0))
    sbx_die_errno (errno, "enter new root", "/");
  if (chdir ("/") < 0)
    sbx_die_errno (errno, "pivot root", "/");
}

void
sbx_stage_mounts (const struct sbx_plan *plan)
{
  /* Nothing we mount may propagate back to the host. */
  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    sbx_die_errno (errno, "make mounts private", "/");

  /* Modes given in the plan are exact. */
  mode_t saved_umask = umask (0);

  autofree int *sources = sbx_xcalloc (plan->n_fs_ops, sizeof *sources);
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    {
      enum sbx_fs_kind kind = plan->fs_ops[i].kind;
      bool bind = kind == SBX_FS_BIND || kind == SBX_FS_RO_BIND || kind == SBX_FS_DEV_BIND;
      sources[i] = bind ? clone_source (&plan->fs_ops[i]) : -1;
    }

  static const char *const root_options[] = { "mode", "0755", NULL };
  struct sbx_root root = {
    .base_fd = sbx_fs_new ("tmpfs", root_options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "/"),
  };
  if (sys_move_mount (root.base_fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
    sbx_die_errno (errno, "mount new root", "/");
  root.top_fd = root.base_fd;
  identify (root.top_fd, &root.top, "/");

  for (size_t i = 0; i < plan->n_fs_ops; i++)
    {
      run_fs_op (&root, &plan->fs_ops[i], plan, sources[i]);
      if (sources[i] >= 0)
        close (sources[i]);
    }

  for (size_t i = 0; i < plan->n_protected_paths; i++)
    protect_host_path (&root, plan->protected_paths[i]);
  for (size_t i = 0; i < plan->n_hidden_paths; i++)
    hide_host_path (&root, plan->hidden_paths[i]);

  pivot_into (&root);
  if (root.top_fd != root.base_fd)
    close (root.top_fd);
  close (root.base_fd);
  umask (saved_umask);
}
