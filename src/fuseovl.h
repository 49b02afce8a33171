/* The FUSE overlay backend: a union file system served by sbx itself with
 * libfuse3, for when the kernel's overlayfs cannot do what the plan needs
 * (old kernels, lowers or uppers the kernel refuses in a user namespace,
 * or lower files that must appear owned by the sandbox user).
 *
 * Its upper directory uses fuse-overlayfs's on-disk format, so either tool
 * can read what the other wrote:
 *   - a whiteout is a 0/0 character device, or a `.wh.NAME` file where
 *     mknod is refused;
 *   - an opaque directory has the xattr `user.fuseoverlayfs.opaque` = "y",
 *     or contains a `.wh..wh..opq` file;
 *   - ownership and mode overrides live in `user.fuseoverlayfs.override_stat`
 *     (also read from `user.containers.override_stat`);
 *   - there are no redirects: a renamed folder with lower content is first
 *     copied up whole and made opaque, its old name whited out.
 *
 * The caller is inside the sandbox's user and mount namespaces and has not
 * pivoted yet. sbx_fuse_overlay_start() opens every layer by path, opens
 * /dev/fuse, creates the mount with the new mount API (fsopen "fuse"), and
 * forks the server, which only ever uses the directory fds it was given
 * (pivot_root and chroot in the sandbox do not affect it). The server dies
 * with the process that started it (PR_SET_PDEATHSIG), and when the mount
 * is released. */
#ifndef SBX_FUSEOVL_H
#define SBX_FUSEOVL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sbx_fuse_overlay {
  const char *const *lowers; /* host paths, top layer first; at least one */
  size_t n_lowers;
  const char *upper;         /* NULL: read-only union (no upper) */
  const char *work;          /* scratch folder on the upper's file system, or NULL */
  bool squash_owner;         /* show every lower file as owned by owner_uid/gid */
  uid_t owner_uid;           /* ids as seen inside the user namespace */
  gid_t owner_gid;
};

/* Start the server. On success returns a detached mount fd (as from
 * fsmount(2)) that the caller attaches with move_mount(2), and stores the
 * server's pid in *SERVER. On failure ends the process with sbx's one-line
 * error (exit 125), naming /dev/fuse and the fix when it is not usable. */
int sbx_fuse_overlay_start (const struct sbx_fuse_overlay *spec, pid_t *server);

#endif
