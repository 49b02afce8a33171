/* The mount stage's part for overlays: a detached union mount, made by
 * the kernel's overlayfs or by sbx's FUSE server, attached on DEST like
 * any other tree.
 *
 * This runs in the sandbox process before it pivots: our root is still
 * the host's, so the layer paths the kernel resolves at fsconfig time are
 * host paths. A tmpfs upper is a detached mount, named through our own
 * /proc/self/fd. The kernel's overlayfs is always mounted with userxattr:
 * inside a user namespace, without it, directory deletes and renames fail
 * with EIO. */
#include "overlay.h"

#include "error.h"
#include "fuseovl.h"
#include "resolve.h"
#include "syscalls.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct layers {
  const char *upper, *work;
  char upper_buf[64], work_buf[64];
  int tmpfs;
};

/* The kernel's reasons, which fsconfig keeps in the context. */
static void
read_log (int context, char *buf, size_t len)
{
  buf[0] = '\0';
  size_t used = 0;
  char line[256];
  ssize_t n;
  while (used + 4 < len && (n = read (context, line, sizeof line - 1)) > 0)
    {
      line[n] = '\0';
      used += (size_t) snprintf (buf + used, len - used, "%s%s", used ? "; " : " (kernel: ", line);
    }
  if (used > 0 && used + 1 < len)
    strcat (buf, ")");
}

static noreturn void
die_overlay (int context, int errnum, const char *what, const char *dest)
{
  char log[512];
  read_log (context, log, sizeof log);
  sbx_die ("overlay %s: %s: %s%s", dest, what, strerror (errnum), log);
}

/* -1 when the kernel refuses to create it (errno set); dies on bad input. */
static int
kernel_overlay (const struct sbx_fs_op *op, const struct layers *l, int *context_out)
{
  autoclose int context = sys_fsopen ("overlay", FSOPEN_CLOEXEC);
  if (context < 0)
    return -1;
  for (size_t i = 0; i < op->n_layers; i++)
    if (sys_fsconfig (context, FSCONFIG_SET_STRING, "lowerdir+", op->layers[i], 0) < 0)
      die_overlay (context, errno, op->layers[i], op->dest);
  if (l->upper != NULL)
    {
      if (sys_fsconfig (context, FSCONFIG_SET_STRING, "upperdir", l->upper, 0) < 0)
        die_overlay (context, errno, op->source ? op->source : "upper", op->dest);
      if (sys_fsconfig (context, FSCONFIG_SET_STRING, "workdir", l->work, 0) < 0)
        die_overlay (context, errno, op->work ? op->work : "work", op->dest);
    }
  if (sys_fsconfig (context, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0
      || sys_fsconfig (context, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      *context_out = sbx_steal_fd (&context);
      return -1;
    }
  unsigned attrs = MOUNT_ATTR_NODEV | (l->upper == NULL ? MOUNT_ATTR_RDONLY : 0);
  int tree = sys_fsmount (context, FSMOUNT_CLOEXEC, attrs);
  if (tree < 0)
    die_overlay (context, errno, "mount", op->dest);
  return tree;
}

static int
fuse_overlay (const struct sbx_fs_op *op, const struct layers *l, const struct sbx_plan *plan)
{
  struct sbx_fuse_overlay spec = {
    .lowers = op->layers,
    .n_lowers = op->n_layers,
    .upper = l->upper,
    .work = l->work,
    .squash_owner = true,
    .owner_uid = plan->inner_uid,
    .owner_gid = plan->inner_gid,
  };
  pid_t server;
  return sbx_fuse_overlay_start (&spec, &server);
}

/* The upper and work folders: given, under --cow's DIR (made now), or on
 * a fresh tmpfs. */
static void
prepare_upper (const struct sbx_fs_op *op, struct layers *l)
{
  l->tmpfs = -1;
  l->upper = op->source;
  l->work = op->work;
  if (op->kind == SBX_FS_OVERLAY)
    {
      if (sbx_mkdir_p (op->source, 0755) < 0)
        sbx_die_errno (errno, "create overlay upper", op->source);
      if (sbx_mkdir_p (op->work, 0700) < 0)
        sbx_die_errno (errno, "create overlay work folder", op->work);
      return;
    }
  if (op->kind != SBX_FS_TMP_OVERLAY)
    return;
  static const char *const options[] = { "mode", "0755", NULL };
  l->tmpfs = sbx_fs_new ("tmpfs", options, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, op->dest);
  if (mkdirat (l->tmpfs, "upper", 0755) < 0 || mkdirat (l->tmpfs, "work", 0700) < 0)
    sbx_die_errno (errno, "create overlay upper", op->dest);
  snprintf (l->upper_buf, sizeof l->upper_buf, "/proc/self/fd/%d/upper", l->tmpfs);
  snprintf (l->work_buf, sizeof l->work_buf, "/proc/self/fd/%d/work", l->tmpfs);
  l->upper = l->upper_buf;
  l->work = l->work_buf;
}

/* A read-only union of one layer is that layer: overlayfs wants two. */
static int
single_layer (const struct sbx_fs_op *op)
{
  int tree = sys_open_tree (AT_FDCWD, op->layers[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    sbx_die_errno (errno, "overlay lower layer", op->layers[0]);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV };
  if (sys_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
    sbx_die_errno (errno, "overlay lower layer", op->layers[0]);
  return tree;
}

/* A root (a rootfs, an image) may lack the folders later operations
 * mount on, and none can be made in a read-only one, nor should they
 * land in a --cow upper: a small tmpfs on top of its lower layers holds
 * them. Only names that no layer has are made, so nothing (a /bin
 * symlink, say) is hidden. */
static int
mountpoint_layer (const struct sbx_fs_op *op, const struct sbx_plan *plan, char *path, size_t len)
{
  static const char *const options[] = { "mode", "0755", NULL };
  int tmpfs = sbx_fs_new ("tmpfs", options, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, op->dest);
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    {
      const char *dest = plan->fs_ops[i].dest;
      if (&plan->fs_ops[i] == op || dest == NULL || dest[0] != '/')
        continue;
      char name[256];
      size_t n = strcspn (dest + 1, "/");
      if (n == 0 || n >= sizeof name)
        continue;
      memcpy (name, dest + 1, n);
      name[n] = '\0';
      bool found = false;
      for (size_t j = 0; j < op->n_layers && !found; j++)
        {
          struct stat st;
          autofree char *there = sbx_xasprintf ("%s/%s", op->layers[j], name);
          found = lstat (there, &st) == 0;
        }
      if (!found && mkdirat (tmpfs, name, 0755) < 0 && errno != EEXIST)
        sbx_die_errno (errno, "create mount point", dest);
    }
  snprintf (path, len, "/proc/self/fd/%d", tmpfs);
  return tmpfs;
}

void
sbx_mount_overlay (struct sbx_root *root, const struct sbx_fs_op *op, const struct sbx_plan *plan)
{
  struct layers l;
  prepare_upper (op, &l);
  autoclose int tmpfs = l.tmpfs;
  autoclose int tree = -1;
  autoclose int points = -1;
  struct sbx_fs_op with_points;
  autofree const char **layers = NULL;
  char points_path[64];
  if (strcmp (op->dest, "/") == 0)
    {
      points = mountpoint_layer (op, plan, points_path, sizeof points_path);
      layers = sbx_xcalloc (op->n_layers + 1, sizeof *layers);
      layers[0] = points_path;
      memcpy (layers + 1, op->layers, op->n_layers * sizeof *layers);
      with_points = *op;
      with_points.layers = layers;
      with_points.n_layers = op->n_layers + 1;
      op = &with_points;
    }
  if (op->kind == SBX_FS_RO_OVERLAY && op->n_layers == 1)
    tree = single_layer (op);
  else if (op->fuse)
    tree = fuse_overlay (op, &l, plan);
  else
    {
      autoclose int context = -1;
      tree = kernel_overlay (op, &l, &context);
      if (tree < 0 && plan->overlay_backend == SBX_OVERLAY_AUTO && op->kind != SBX_FS_RO_OVERLAY)
        {
          char log[512];
          int saved = errno;
          if (context >= 0)
            read_log (context, log, sizeof log);
          else
            log[0] = '\0';
          sbx_warn ("overlay %s: kernel overlayfs refused (%s%s); using the FUSE backend", op->dest,
                    strerror (saved), log);
          tree = fuse_overlay (op, &l, plan);
        }
      else if (tree < 0)
        die_overlay (context, errno, "the kernel refused the overlay", op->dest);
    }
  autoclose int target = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_DIR, 0755);
  sbx_mount_attach (root, tree, target, op->dest);
}
