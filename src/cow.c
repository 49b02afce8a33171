/* plan_finalize's part for overlays: --image and --cow turn into overlay
 * operations, every layer and upper folder is checked before anything is
 * created, and each overlay gets its backend, with the reason --dry-run
 * prints. */
#include "overlay.h"

#include "error.h"
#include "image.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

/* PATH, or its nearest ancestor that exists (for folders sbx creates). */
static char *
existing_ancestor (const char *path)
{
  char *copy = sbx_xstrdup (path);
  struct stat st;
  while (stat (copy, &st) < 0)
    {
      char *slash = strrchr (copy, '/');
      if (slash == NULL || slash == copy)
        {
          strcpy (copy, "/");
          break;
        }
      *slash = '\0';
    }
  return copy;
}

static bool
inside (const char *path, const char *dir)
{
  size_t len = strlen (dir);
  if (strcmp (dir, "/") == 0)
    return true;
  return strncmp (path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Kernel-made file systems where no upper layer can live. */
static bool
pseudo_fs (long type)
{
  static const long types[] = { PROC_SUPER_MAGIC, SYSFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
                                DEVPTS_SUPER_MAGIC, DEBUGFS_MAGIC, SECURITYFS_MAGIC, BPF_FS_MAGIC,
                                TRACEFS_MAGIC, OVERLAYFS_SUPER_MAGIC };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (type == types[i])
      return true;
  return false;
}

/* WHAT (an upper or work folder, maybe not there yet) must be able to
 * hold an overlay's writes, and must not lie inside a lower layer. */
static void
check_upper (const struct sbx_fs_op *op, const char *what, const char *path)
{
  autofree char *existing = existing_ancestor (path);
  autofree char *real = realpath (existing, NULL);
  struct statfs fs;
  struct statvfs vfs;
  if (real == NULL || statfs (real, &fs) < 0 || statvfs (real, &vfs) < 0)
    sbx_die_errno (errno, what, path);
  if (pseudo_fs ((long) fs.f_type))
    sbx_die ("%s: %s: this file system cannot hold an overlay's upper layer", what, path);
  if (vfs.f_flag & ST_RDONLY)
    sbx_die ("%s: %s: a read-only file system cannot hold an overlay's upper layer", what, path);
  for (size_t i = 0; i < op->n_layers; i++)
    {
      autofree char *layer = realpath (op->layers[i], NULL);
      if (layer != NULL && inside (real, layer))
        sbx_die ("%s: %s: inside the lower layer %s (the upper layer must live outside every lower one)",
                 what, path, op->layers[i]);
    }
}

static void
check_layers (const struct sbx_fs_op *op)
{
  for (size_t i = 0; i < op->n_layers; i++)
    {
      struct stat st;
      if (stat (op->layers[i], &st) < 0)
        sbx_die_errno (errno, "overlay lower layer", op->layers[i]);
      if (!S_ISDIR (st.st_mode))
        sbx_die_errno (ENOTDIR, "overlay lower layer", op->layers[i]);
    }
  if (op->kind != SBX_FS_OVERLAY)
    return;
  check_upper (op, "overlay upper", op->source);
  check_upper (op, "overlay work folder", op->work);
}

/* bubblewrap's --overlay: RWSRC and WORKDIR exist, on one file system. */
static void
check_given_upper (const struct sbx_fs_op *op)
{
  struct stat up, work;
  if (stat (op->source, &up) < 0)
    sbx_die_errno (errno, "overlay upper", op->source);
  if (stat (op->work, &work) < 0)
    sbx_die_errno (errno, "overlay work folder", op->work);
  if (!S_ISDIR (up.st_mode) || !S_ISDIR (work.st_mode))
    sbx_die_errno (ENOTDIR, "overlay upper", !S_ISDIR (up.st_mode) ? op->source : op->work);
  if (up.st_dev != work.st_dev)
    sbx_die ("overlay: %s and %s: the upper and work folders must be on the same file system", op->source, op->work);
}

/* The path of DEST's upper below DIR/upper: the upper tree mirrors the
 * sandbox's paths, so --diff can name them and --commit apply them. */
static char *
cow_upper (const char *dir, const char *dest)
{
  while (*dest == '/')
    dest++;
  return *dest ? sbx_xasprintf ("%s/upper/%s", dir, dest) : sbx_xasprintf ("%s/upper", dir);
}

static void
make_cow (struct sbx_plan *plan)
{
  size_t n = 0;
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    {
      struct sbx_fs_op *op = &plan->fs_ops[i];
      struct stat st;
      /* What --diff and --commit compare DEST's upper with: a bind's
       * source (the host path the user named), else DEST itself. */
      const char *host = op->kind == SBX_FS_RO_BIND ? op->source : op->dest;
      if (op->kind == SBX_FS_RO_BIND)
        {
          /* Only folders can be overlaid; a missing -try source stays a skipped bind. */
          if (stat (op->source, &st) < 0 || !S_ISDIR (st.st_mode))
            continue;
          const char **layers = sbx_xcalloc (1, sizeof *layers);
          layers[0] = op->source;
          /* Resolved: --commit must not put a folder in place of a link. */
          char *real = realpath (op->source, NULL);
          if (real != NULL)
            host = plan_own (plan, real);
          op->layers = layers;
          op->n_layers = 1;
          plan_own (plan, (char *) layers);
        }
      else if (op->kind != SBX_FS_RO_OVERLAY)
        continue;
      n++;
      op->optional = false;
      if (plan->cow_dir != NULL)
        check_upper (op, "--cow", plan->cow_dir);
      if (plan->cow_tmp)
        {
          op->kind = SBX_FS_TMP_OVERLAY;
          op->source = NULL;
          continue;
        }
      op->kind = SBX_FS_OVERLAY;
      while (*host == '/')
        host++;
      op->cow_path = host;
      op->source = plan_own (plan, cow_upper (plan->cow_dir, op->dest));
      op->work = plan_own (plan, sbx_xasprintf ("%s/work/%zu", plan->cow_dir, n));
    }
  if (n == 0)
    sbx_die ("%s: the plan has no read-only folder to make copy-on-write", plan->cow_tmp ? "--cow-tmp" : "--cow");
}

/* --image: its layers, read-only, as the root; its config where the
 * command line is silent. */
static void
load_image (struct sbx_plan *plan)
{
  struct sbx_image image = { 0 };
  sbx_image_load (plan->image, &image);
  if (image.n_layers == 0)
    sbx_die ("--image: %s: the image has no layers", plan->image);
  struct sbx_fs_op *root = sbx_overlay_add_root (plan, SBX_FS_RO_OVERLAY);
  const char **layers = sbx_xcalloc (image.n_layers, sizeof *layers);
  for (size_t i = 0; i < image.n_layers; i++)
    layers[i] = plan_own (plan, image.layers[image.n_layers - 1 - i]);
  root->layers = layers;
  root->n_layers = image.n_layers;
  plan_own (plan, (char *) layers);
  free (image.layers);

  size_t n_entry = 0, n_cmd = 0;
  for (; image.entrypoint && image.entrypoint[n_entry]; n_entry++)
    plan_own (plan, image.entrypoint[n_entry]);
  for (; image.cmd && image.cmd[n_cmd]; n_cmd++)
    plan_own (plan, image.cmd[n_cmd]);
  if (plan->argv == NULL || plan->argv[0] == NULL)
    {
      if (n_entry + n_cmd == 0)
        sbx_die ("--image: %s: the image has no Entrypoint or Cmd; give a command", plan->image);
      char **argv = sbx_xcalloc (n_entry + n_cmd + 1, sizeof *argv);
      memcpy (argv, image.entrypoint, n_entry * sizeof *argv);
      if (n_cmd > 0)
        memcpy (argv + n_entry, image.cmd, n_cmd * sizeof *argv);
      plan_own (plan, (char *) argv);
      plan->argv = argv;
    }
  free (image.entrypoint);
  free (image.cmd);
  /* The image's environment first: --setenv and friends come after it. */
  size_t n_env = 0;
  while (image.env && image.env[n_env])
    n_env++;
  struct sbx_env_op *saved = plan->env_ops;
  size_t n_saved = plan->n_env_ops;
  plan->env_ops = NULL;
  plan->n_env_ops = 0;
  for (size_t i = 0; i < n_env; i++)
    {
      char *entry = plan_own (plan, image.env[i]);
      char *eq = strchr (entry, '=');
      if (eq == NULL)
        continue;
      *eq = '\0';
      plan_add_env_op (plan, SBX_ENV_SET, entry, eq + 1);
    }
  free (image.env);
  for (size_t i = 0; i < n_saved; i++)
    plan_add_env_op (plan, saved[i].kind, saved[i].name, saved[i].value);
  free (saved);
  if (plan->chdir == NULL && image.workdir != NULL && image.workdir[0] == '/')
    plan->chdir = plan_own (plan, image.workdir);
  else
    free (image.workdir);
  /* User: a numeric uid[:gid] maps the caller to it; names need the
   * image's passwd file, which sbx does not read. */
  if (image.user != NULL && image.user[0] != '\0')
    {
      char *end;
      unsigned long uid = strtoul (image.user, &end, 10);
      if (end != image.user && (*end == '\0' || *end == ':') && uid < UINT_MAX)
        {
          plan->inner_uid = (uid_t) uid;
          if (*end == ':')
            plan->inner_gid = (gid_t) strtoul (end + 1, NULL, 10);
        }
      else
        sbx_warn ("--image: User '%s' is not numeric; running as uid %u", image.user, (unsigned) plan->inner_uid);
    }
  free (image.user);
}

/* auto: the kernel's overlayfs unless a write would need to copy up files
 * that the single-id map shows as nobody's: then the FUSE server, which
 * shows every lower file as the sandbox user's. */
static void
choose_backend (struct sbx_plan *plan, struct sbx_fs_op *op)
{
  if (plan->overlay_backend == SBX_OVERLAY_FUSE)
    {
      op->fuse = true;
      op->backend_why = "--overlay-backend fuse";
      return;
    }
  if (plan->overlay_backend == SBX_OVERLAY_KERNEL)
    {
      op->backend_why = "--overlay-backend kernel";
      return;
    }
  op->backend_why = "auto: kernel overlayfs mounts in a user namespace (userxattr)";
  if (op->kind == SBX_FS_RO_OVERLAY)
    return;
  /* The FUSE server needs the sandbox's pid 1 (see below). */
  op->fuse_fallback = !plan->as_pid_1;
  if (op->fuse_fallback)
    op->backend_why = "auto: kernel overlayfs mounts in a user namespace (userxattr); FUSE if the kernel refuses";
  else
    op->backend_why = "auto: kernel overlayfs mounts in a user namespace (userxattr); no FUSE fallback with --as-pid-1";
  for (size_t i = 0; i < op->n_layers; i++)
    {
      struct stat st;
      if (stat (op->layers[i], &st) == 0 && st.st_uid != plan->outer_uid)
        {
          op->fuse = true;
          op->fuse_fallback = false;
          op->backend_why = plan_own (plan, sbx_xasprintf (
              "auto: the lower %s belongs to uid %u, not the mapped user: copy-up needs FUSE with squash_owner",
              op->layers[i], (unsigned) st.st_uid));
          return;
        }
    }
}

void
sbx_overlay_finalize (struct sbx_plan *plan)
{
  if (plan->n_overlay_srcs > 0)
    sbx_die ("--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay");
  if (plan->image != NULL)
    load_image (plan);
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    if (plan->fs_ops[i].kind == SBX_FS_OVERLAY)
      check_given_upper (&plan->fs_ops[i]);
  if (plan->cow_dir != NULL || plan->cow_tmp)
    make_cow (plan);
  bool fuse = false;
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    {
      struct sbx_fs_op *op = &plan->fs_ops[i];
      if (!sbx_fs_kind_is_overlay (op->kind))
        continue;
      check_layers (op);
      choose_backend (plan, op);
      fuse |= op->fuse || op->fuse_fallback;
    }
  /* The FUSE server is forked by pid 1 of the sandbox, so that it ends
   * with the pid namespace, whatever kills the sandbox. */
  if (fuse)
    {
      if (plan->as_pid_1)
        sbx_die ("--as-pid-1: the FUSE overlay backend needs the sandbox's pid 1 to hold its server");
      plan->namespaces |= SBX_NS_PID;
      plan->namespaces_try &= ~(unsigned) SBX_NS_PID;
    }
}

static void
print_path (FILE *out, const char *key, const char *path)
{
  if (path != NULL)
    fprintf (out, " %s=%s", key, path);
}

void
sbx_overlay_print_op (FILE *out, const struct sbx_fs_op *op)
{
  fprintf (out, "  %s", plan_fs_kind_name (op->kind));
  fputs (" lower=", out);
  for (size_t i = 0; i < op->n_layers; i++)
    fprintf (out, "%s%s", i ? ":" : "", op->layers[i]);
  print_path (out, "upper", op->source);
  if (op->kind == SBX_FS_TMP_OVERLAY)
    fputs (" upper=(tmpfs)", out);
  print_path (out, "work", op->work);
  fprintf (out, " %s\n    backend: %s (%s)\n", op->dest, op->fuse ? "fuse" : "kernel",
           op->backend_why ? op->backend_why : "");
  const char *dest = op->dest;
  while (*dest == '/')
    dest++;
  if (op->cow_path != NULL && strcmp (op->cow_path, dest) != 0)
    fprintf (out, "    changes: --diff and --commit name them under /%s\n", op->cow_path);
}
