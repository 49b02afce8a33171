/* --image: an OCI image layout folder or a docker/podman save tarball,
 * unpacked once into a content-addressed cache of layer folders. */
#ifndef SBX_IMAGE_H
#define SBX_IMAGE_H

#include <stddef.h>

struct sbx_image { char **layers; size_t n_layers; /* unpacked layer dirs, bottom first */ char **entrypoint; char **cmd; char **env; char *workdir; char *user; };

void sbx_image_load (const char *path, struct sbx_image *out); /* dies with exit 125 on any error */

#endif
