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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

char *
sbx_overlay_escape (const char *path)
{
  char *out = sbx_xmalloc (2 * strlen (path) + 1), *o = out;
  for (const char *p = path; *p; p++)
    {
      if (*p == ':' || *p == ',' || *p == '\\')
        *o++ = '\\';
      *o++ = *p;
    }
  *o = '\0';
  return out;
}

/* The layers, one "lowerdir+" per lower (Linux >= 6.8: no escaping, any
 * path); or, where the kernel does not know "lowerdir+", the classic form:
 * one "lowerdir" string, top layer first, separated by ':', with ':', ','
 * and '\' escaped by a backslash, as Documentation/filesystems/overlayfs.rst
 * says. The upper and work folders are escaped the same way there: before
 * 6.5 the kernel joins every value into one comma-separated string and
 * unescapes each. WHAT names what was refused. NO_PLUS: act as a kernel
 * without "lowerdir+" would. */
static bool
configure (int context, const struct sbx_fs_op *op, const struct layers *l, bool legacy, bool no_plus,
           const char **what)
{
  if (!legacy)
    for (size_t i = 0; i < op->n_layers; i++)
      {
        *what = op->layers[i];
        if (no_plus)
          {
            errno = EINVAL;
            return false;
          }
        if (sys_fsconfig (context, FSCONFIG_SET_STRING, "lowerdir+", op->layers[i], 0) < 0)
          return false;
      }
  else
    {
      autofree char *lowers = sbx_xstrdup ("");
      for (size_t i = 0; i < op->n_layers; i++)
        {
          autofree char *escaped = sbx_overlay_escape (op->layers[i]);
          char *longer = sbx_xasprintf ("%s%s%s", lowers, i ? ":" : "", escaped);
          free (lowers);
          lowers = longer;
        }
      *what = op->layers[0];
      /* fsconfig takes strings of at most 255 bytes: say so, not EINVAL. */
      if (strlen (lowers) > 255)
        {
          *what = "the lower layers' paths, escaped and joined, pass the 255 bytes that fsconfig takes"
                  " in one lowerdir= string";
          errno = ENAMETOOLONG;
          return false;
        }
      if (sys_fsconfig (context, FSCONFIG_SET_STRING, "lowerdir", lowers, 0) < 0)
        return false;
    }
  if (l->upper != NULL)
    {
      autofree char *upper = legacy ? sbx_overlay_escape (l->upper) : sbx_xstrdup (l->upper);
      autofree char *work = legacy ? sbx_overlay_escape (l->work) : sbx_xstrdup (l->work);
      *what = op->source ? op->source : "upper";
      if (sys_fsconfig (context, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
        return false;
      *what = op->work ? op->work : "work";
      if (sys_fsconfig (context, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
        return false;
    }
  *what = "the kernel refused the overlay";
  return sys_fsconfig (context, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) == 0
         && sys_fsconfig (context, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0;
}

/* The overlay as a detached mount; -1 with errno, *CONTEXT_OUT (its
 * reasons) and *WHAT when the kernel refuses it. */
static int
kernel_overlay (const struct sbx_fs_op *op, const struct layers *l, int *context_out, const char **what)
{
  /* SBX_OVERLAY_LEGACY_OPTIONS=1 acts as if the kernel refused
   * "lowerdir+", so the tests reach the classic form on any kernel; read
   * here only, and it only changes how the same layers are spelled. */
  const char *force = getenv ("SBX_OVERLAY_LEGACY_OPTIONS");
  bool no_plus = force != NULL && strcmp (force, "1") == 0;
  *what = "overlayfs";
  autoclose int context = sys_fsopen ("overlay", FSOPEN_CLOEXEC);
  if (context < 0)
    return -1;
  if (!configure (context, op, l, false, no_plus, what))
    {
      if (errno != EINVAL || *what != op->layers[0])
        {
          *context_out = sbx_steal_fd (&context);
          return -1;
        }
      /* "lowerdir+" unknown (Linux < 6.8): once more, the classic way. */
      close (context);
      context = sys_fsopen ("overlay", FSOPEN_CLOEXEC);
      if (context < 0)
        return -1;
      if (!configure (context, op, l, true, false, what))
        {
          *context_out = sbx_steal_fd (&context);
          return -1;
        }
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
      struct stat st, lower;
      bool fresh = stat (op->source, &st) < 0;
      if (sbx_mkdir_p (op->source, 0755) < 0)
        sbx_die_errno (errno, "create overlay upper", op->source);
      /* The union's root takes the upper's mode: a --cow upper made now
       * takes the lower's, so the sandbox (and --diff) see no change. */
      if (fresh && op->cow_path != NULL && stat (op->layers[0], &lower) == 0)
        chmod (op->source, lower.st_mode & 07777);
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

static bool
put (char *buf, size_t *len, const char *s)
{
  size_t n = strlen (s) + 1;
  if (*len + n >= SBX_COW_LAYOUT_MAX)
    return false;
  memcpy (buf + *len, s, n);
  *len += n;
  return true;
}

/* DIR/layout (see overlay.h): this run's overlays, and an earlier run's
 * whose destination this one does not have. */
static void
write_layout (const struct sbx_plan *plan)
{
  char **dest = NULL, **host = NULL;
  size_t n = 0;
  sbx_cow_layout_read (plan->cow_dir, &dest, &host, &n);
  autofree char *buf = sbx_xmalloc (SBX_COW_LAYOUT_MAX);
  size_t len = 0;
  bool fits = true;
  fits &= put (buf, &len, SBX_COW_LAYOUT_MAGIC);
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    if (plan->fs_ops[i].cow_path != NULL)
      {
        const char *d = plan->fs_ops[i].dest;
        while (*d == '/')
          d++;
        fits &= put (buf, &len, d);
        fits &= put (buf, &len, plan->fs_ops[i].cow_path);
      }
  for (size_t j = 0; j < n; j++)
    {
      bool again = false;
      for (size_t i = 0; i < plan->n_fs_ops && !again; i++)
        {
          const char *d = plan->fs_ops[i].dest;
          while (d != NULL && *d == '/')
            d++;
          again = plan->fs_ops[i].cow_path != NULL && strcmp (d, dest[j]) == 0;
        }
      if (!again)
        {
          fits &= put (buf, &len, dest[j]);
          fits &= put (buf, &len, host[j]);
        }
      free (dest[j]);
      free (host[j]);
    }
  free (dest);
  free (host);
  if (!fits)
    sbx_die ("--cow: %s: too many overlays to record", plan->cow_dir);
  autofree char *path = sbx_xasprintf ("%s/layout", plan->cow_dir);
  autofree char *temp = sbx_xasprintf ("%s/.layout.%d", plan->cow_dir, (int) getpid ());
  autoclose int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 || sbx_write_all (fd, buf, len) < 0 || rename (temp, path) < 0)
    sbx_die_errno (errno, "--cow: write", path);
}

/* The first --cow overlay of the plan? */
static bool
first_cow (const struct sbx_fs_op *op, const struct sbx_plan *plan)
{
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    if (plan->fs_ops[i].cow_path != NULL)
      return &plan->fs_ops[i] == op;
  return false;
}

void
sbx_mount_overlay (struct sbx_root *root, const struct sbx_fs_op *op, const struct sbx_plan *plan)
{
  struct layers l;
  prepare_upper (op, &l);
  if (op->cow_path != NULL && first_cow (op, plan))
    write_layout (plan);
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
      const char *what;
      tree = kernel_overlay (op, &l, &context, &what);
      if (tree < 0 && op->fuse_fallback)
        {
          char log[512];
          int saved = errno;
          if (context >= 0)
            read_log (context, log, sizeof log);
          else
            log[0] = '\0';
          sbx_warn ("overlay %s: kernel overlayfs refused (%s: %s%s); using the FUSE backend", op->dest, what,
                    strerror (saved), log);
          tree = fuse_overlay (op, &l, plan);
        }
      else if (tree < 0)
        die_overlay (context, errno, what, op->dest);
    }
  autoclose int target = sbx_root_ensure (root->top_fd, op->dest, SBX_NODE_DIR, 0755);
  sbx_mount_attach (root, tree, target, op->dest);
}
