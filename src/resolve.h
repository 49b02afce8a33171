/* Path resolution inside the new root. Every destination is looked up
 * relative to the new root's fd with RESOLVE_IN_ROOT: absolute symlinks and
 * ".." chains are clamped to the new root, magic links are refused, and
 * nothing outside the root (the host's tree, which is still our "/" while
 * the root is built) can be reached. */
#ifndef SBX_RESOLVE_H
#define SBX_RESOLVE_H

#include <stdbool.h>
#include <sys/types.h>

enum sbx_node { SBX_NODE_DIR, SBX_NODE_FILE };

/* Open PATH inside ROOT_FD with FLAGS (O_PATH etc.); -1 and errno on error. */
int sbx_root_open (int root_fd, const char *path, int flags);

/* Open the directory that holds PATH, creating missing directories (0755)
 * on the way. *LAST receives the final component, in the caller-owned
 * buffer BUF of size LEN. For "/", *LAST is NULL and the root is returned.
 * Dies with sbx's error line on failure. */
int sbx_root_parent (int root_fd, const char *path, char *buf, size_t len, const char **last);

/* Make sure PATH exists as KIND (a directory with MODE, or an empty file
 * with MODE) and return an O_PATH fd to it. An existing entry is used as
 * it is, following symlinks only inside the root. Dies on failure. */
int sbx_root_ensure (int root_fd, const char *path, enum sbx_node kind, mode_t mode);

#endif
