/* Union mounts: bubblewrap's overlay options, sbx's copy-on-write view of
 * the whole plan (--cow, --cow-tmp), alternative roots (--rootfs,
 * --image), and the verbs that inspect or apply what a copy-on-write run
 * changed (--diff, --commit, --discard).
 *
 *   overlay_opts.c  the option handlers (fill the plan)
 *   cow.c           plan_finalize's part: --cow, --image, checks, backend
 *   overlay.c       the mount stage's part: kernel overlayfs or FUSE
 *   changes.c       --diff, --commit, --discard */
#ifndef SBX_OVERLAY_H
#define SBX_OVERLAY_H

#include "mounts.h"
#include "parse.h"
#include "plan.h"

#include <stdio.h>

static inline bool
sbx_fs_kind_is_overlay (enum sbx_fs_kind kind)
{
  return kind == SBX_FS_OVERLAY || kind == SBX_FS_TMP_OVERLAY || kind == SBX_FS_RO_OVERLAY;
}

/* overlay_opts.c */
void sbx_handle_overlay_src (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_overlay (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_overlay_backend (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_cow (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_rootfs (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_image (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_changes (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_handle_commit_to (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
/* Put a root of KIND on "/", with /proc and /dev, before every other
 * operation (--rootfs, --image); returns it. */
struct sbx_fs_op *sbx_overlay_add_root (struct sbx_plan *plan, enum sbx_fs_kind kind);
/* Before any option but another overlay one: --overlay-src must be
 * followed by its overlay, as with bubblewrap. */
void sbx_overlay_check_pending (const struct sbx_parse *ctx, const struct sbx_option *opt);

/* cow.c: from plan_finalize, before the bind sources are checked. */
void sbx_overlay_finalize (struct sbx_plan *plan);
void sbx_overlay_print_op (FILE *out, const struct sbx_fs_op *op);

/* overlay.c: carry out one overlay operation of the mount stage. */
void sbx_mount_overlay (struct sbx_root *root, const struct sbx_fs_op *op, const struct sbx_plan *plan);

/* The classic "lowerdir=" spelling of one path: ':', ',' and '\'
 * escaped with a backslash (malloc'd). */
char *sbx_overlay_escape (const char *path);

/* changes.c: --diff, --commit, --discard; returns the exit status. */
int sbx_changes_run (const struct sbx_plan *plan);

/* changes_owner.c: fork the owner helper; the child gets the socket (or
 * -1 without one), the parent serves it and exits with the child. */
int sbx_owner_helper_start (void);
/* Give FD the owners UID:GID unless it has them: 1 when given, 0 when it
 * had them, or -errno. */
int sbx_give_owner (int fd, uid_t uid, gid_t gid);
/* Give TARGET the owners UID:GID (the upper file UPPER's real ones where
 * *_OF_UPPER): 1 when given, 0 when it had them, or -errno. */
int sbx_owner_helper_chown (int sock, int target, int upper, uid_t uid, gid_t gid, bool uid_of_upper,
                            bool gid_of_upper);

/* DIR/layout of a --cow folder: which path under --to's root each upper
 * folder below DIR/upper stands for (a bind's source, not its
 * destination). "sbx-cow-layout 1", then pairs DEST, HOST (relative, no
 * leading "/"), each string NUL-terminated. Written by the mount stage,
 * read by --diff and --commit; a missing file reads as no pairs. */
#define SBX_COW_LAYOUT_MAGIC "sbx-cow-layout 1"
#define SBX_COW_LAYOUT_MAX (1 << 20)
void sbx_cow_layout_read (const char *dir, char ***dest, char ***host, size_t *n);

#endif
