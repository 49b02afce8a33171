/* The overlay options fill the plan; cow.c checks and completes it. */
#include "overlay.h"

#include "error.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

static const char pending_message[] =
  "--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay";

/* A relative path names a folder of the caller's: make it absolute now,
 * since the sandbox later runs elsewhere. */
static const char *
absolute (struct sbx_parse *ctx, const struct sbx_option *opt, const char *path)
{
  if (path[0] == '\0')
    sbx_parse_error (ctx, opt, "the path is empty");
  if (path[0] == '/')
    return path;
  char cwd[4096];
  if (getcwd (cwd, sizeof cwd) == NULL)
    sbx_parse_error (ctx, opt, "cannot make '%s' absolute: the current folder is unknown", path);
  return plan_own (ctx->plan, sbx_xasprintf ("%s/%s", cwd, path));
}

void
sbx_overlay_check_pending (const struct sbx_parse *ctx, const struct sbx_option *opt)
{
  if (ctx->plan->n_overlay_srcs == 0 || opt->handle == sbx_handle_overlay_src || opt->handle == sbx_handle_overlay)
    return;
  if (ctx->where != NULL)
    sbx_die ("%s: %s", ctx->where, pending_message);
  sbx_die ("%s", pending_message);
}

void
sbx_handle_overlay_src (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  plan->overlay_srcs = sbx_xrealloc_array (plan->overlay_srcs, plan->n_overlay_srcs + 1, sizeof (char *));
  plan->overlay_srcs[plan->n_overlay_srcs++] = absolute (ctx, opt, args[0]);
}

/* data: SBX_FS_OVERLAY (RWSRC WORKDIR DEST), SBX_FS_TMP_OVERLAY or
 * SBX_FS_RO_OVERLAY (DEST). The pending sources are given bottom first,
 * as bubblewrap takes them; the op keeps them top first, as the kernel
 * does. */
void
sbx_handle_overlay (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  enum sbx_fs_kind kind = (enum sbx_fs_kind) opt->data;
  size_t need = kind == SBX_FS_RO_OVERLAY ? 2 : 1;
  if (plan->n_overlay_srcs < need)
    sbx_parse_error (ctx, opt, "requires at least %s --overlay-src", need == 2 ? "two" : "one");
  const char *dest = kind == SBX_FS_OVERLAY ? args[2] : args[0];
  if (dest[0] != '/')
    sbx_parse_error (ctx, opt, "destination must be an absolute path: '%s'", dest);
  struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, kind);
  op->dest = dest;
  if (kind == SBX_FS_OVERLAY)
    {
      op->source = absolute (ctx, opt, args[0]);
      op->work = absolute (ctx, opt, args[1]);
    }
  const char **layers = sbx_xcalloc (plan->n_overlay_srcs, sizeof *layers);
  for (size_t i = 0; i < plan->n_overlay_srcs; i++)
    layers[i] = plan->overlay_srcs[plan->n_overlay_srcs - 1 - i];
  op->layers = layers;
  op->n_layers = plan->n_overlay_srcs;
  plan_own (plan, (char *) layers);
  plan->n_overlay_srcs = 0;
}

void
sbx_handle_overlay_backend (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  static const char *const names[] = { [SBX_OVERLAY_AUTO] = "auto", [SBX_OVERLAY_KERNEL] = "kernel",
                                       [SBX_OVERLAY_FUSE] = "fuse" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp (args[0], names[i]) == 0)
      {
        ctx->plan->overlay_backend = (enum sbx_overlay_backend) i;
        return;
      }
  sbx_parse_error (ctx, opt, "unknown backend '%s' (kernel, fuse or auto)", args[0]);
}

/* --cow DIR, or --cow-tmp (no argument). */
void
sbx_handle_cow (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  if (opt->nargs == 0)
    plan->cow_tmp = true;
  else
    plan->cow_dir = absolute (ctx, opt, args[0]);
  if (plan->cow_tmp && plan->cow_dir != NULL)
    sbx_parse_error (ctx, opt, "--cow and --cow-tmp: choose one");
}

/* The root file system comes first: every later operation builds on it.
 * DIR becomes a read-only union of one layer on "/" (made copy-on-write
 * by --cow), with its own /proc and /dev. */
void
sbx_handle_rootfs (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  if (plan->rootfs != NULL || plan->image != NULL)
    sbx_parse_error (ctx, opt, "only one --rootfs or --image");
  plan->rootfs = absolute (ctx, opt, args[0]);
  struct sbx_fs_op *root = sbx_overlay_add_root (plan, SBX_FS_RO_OVERLAY);
  const char **layers = sbx_xcalloc (1, sizeof *layers);
  layers[0] = plan->rootfs;
  root->layers = layers;
  root->n_layers = 1;
  plan_own (plan, (char *) layers);
  root->origin = ctx->where != NULL ? plan_own (plan, sbx_xstrdup (ctx->where)) : NULL;
}

struct sbx_fs_op *
sbx_overlay_add_root (struct sbx_plan *plan, enum sbx_fs_kind kind)
{
  size_t before = plan->n_fs_ops;
  static const char *const dests[] = { "/", "/proc", "/dev" };
  plan_add_fs_op (plan, kind);
  plan_add_fs_op (plan, SBX_FS_PROC);
  plan_add_fs_op (plan, SBX_FS_DEV);
  struct sbx_fs_op first[3];
  memcpy (first, &plan->fs_ops[before], sizeof first);
  memmove (&plan->fs_ops[3], &plan->fs_ops[0], before * sizeof *plan->fs_ops);
  memcpy (&plan->fs_ops[0], first, sizeof first);
  for (size_t i = 0; i < 3; i++)
    plan->fs_ops[i].dest = dests[i];
  if (plan->dbus_socket_op >= 0)
    plan->dbus_socket_op += 3;
  return &plan->fs_ops[0];
}

void
sbx_handle_image (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (ctx->plan->rootfs != NULL || ctx->plan->image != NULL)
    sbx_parse_error (ctx, opt, "only one --rootfs or --image");
  ctx->plan->image = absolute (ctx, opt, args[0]);
}

/* --diff, --commit, --discard DIR: the option's name is the verb. */
void
sbx_handle_changes (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  if (plan->changes_verb != NULL && strcmp (plan->changes_verb, opt->name) != 0)
    sbx_parse_error (ctx, opt, "--%s and --%s: choose one", plan->changes_verb, opt->name);
  plan->changes_verb = opt->name;
  plan->changes_dir = absolute (ctx, opt, args[0]);
  ctx->action = SBX_ACTION_CHANGES;
}

void
sbx_handle_commit_to (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  ctx->plan->commit_to = absolute (ctx, opt, args[0]);
}
