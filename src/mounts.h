/* Mount helpers shared by the mount stage and the /dev builder. */
#ifndef SBX_MOUNTS_H
#define SBX_MOUNTS_H

#include "plan.h"

#include <fcntl.h>
#include <sys/stat.h>

/* The root being built: BASE is the new root tmpfs itself, TOP the mount
 * currently visible at its "/" (they differ once something is mounted on
 * "/", since a lookup that starts at a covered directory does not see what
 * covers it). */
struct sbx_root {
  int base_fd;
  int top_fd;
  struct statx top;     /* identity of top_fd: device, inode, mount id */
};

/* A new, detached file system of TYPE. OPTIONS is a NULL-terminated list
 * of key, value pairs (value NULL for a flag). Dies on failure, naming
 * DEST. */
int sbx_fs_new (const char *type, const char *const *options, unsigned attrs, const char *dest);

/* Mount the detached TREE on TARGET (an O_PATH fd inside ROOT). */
void sbx_mount_attach (struct sbx_root *root, int tree, int target, const char *dest);

/* Copy all of FROM to TO (sendfile where it can); dies naming DEST. */
void sbx_copy_fd (int from, int to, const char *dest);

/* Build a minimal /dev at DEST (devfs.c). */
void sbx_mount_dev (struct sbx_root *root, const struct sbx_fs_op *op);

#endif
