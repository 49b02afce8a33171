/* --image PATH: an OCI image layout folder, or a `docker save` / `podman
 * save` tarball, turned into overlay lower layers and the image's run
 * configuration.
 *
 * Each layer is unpacked once into $XDG_CACHE_HOME/sbx/layers/<sha256-hex>/
 * (default ~/.cache), after its digest checked out against the manifest;
 * layers[i] names the unpacked tree inside that folder. The unpacked trees
 * use overlayfs's lower-layer format, readable by both sbx backends:
 *   - a whiteout is a 0/0 character device (any user may create one since
 *     Linux 5.8); where mknod is refused it stays a `.wh.NAME` file, which
 *     only the FUSE backend (and fuse-overlayfs) understands;
 *   - an opaque folder carries both `user.overlay.opaque` = "y" (kernel
 *     overlayfs mounted with userxattr) and `user.fuseoverlayfs.opaque` = "y"
 *     (FUSE); where user xattrs are refused it keeps its `.wh..wh..opq`
 *     file, again FUSE only.
 * The folder's `complete` stamp records which forms were used
 * ("whiteouts=chardev" or "=file", "opaque=xattr" or "=file"). */
#ifndef SBX_IMAGE_H
#define SBX_IMAGE_H

#include <stddef.h>

struct sbx_image {
  char **layers;                /* unpacked layer dirs, bottom first */
  size_t n_layers;
  char **entrypoint;            /* NULL-terminated string arrays; NULL when absent */
  char **cmd;
  char **env;
  char *workdir;                /* NULL when absent */
  char *user;
};

/* Dies with sbx's one-line error, exit 125, on any error, and leaves no
 * partly unpacked layer in the cache. Call it on the host side, before
 * any namespace is entered: it writes the user's cache, and may run the
 * host's gzip (found on PATH) as a child process. */
void sbx_image_load (const char *path, struct sbx_image *out);
void sbx_image_free (struct sbx_image *img);

#endif
