/* The pieces of the image loader (image.c): where blobs come from
 * (image_source.c) and how a layer gets into the cache (image_layer.c). */
#ifndef SBX_IMAGE_INTERNAL_H
#define SBX_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An image folder, or an image tarball indexed by member name. */
struct image_member;
struct image_source {
  const char *path;             /* for messages */
  int dirfd;                    /* a folder: its fd; a tarball: -1 */
  int tarfd;                    /* a tarball: its fd; a folder: -1 */
  struct image_member *members;
  size_t n_members;
};

/* A byte range of an open file: a blob file, or a member of a tarball. */
struct image_blob {
  int fd;                       /* owned */
  uint64_t offset, size;
};

void image_source_open (const char *path, struct image_source *src);
void image_source_close (struct image_source *src);
/* The blob called NAME (a relative path), or false if there is none. */
bool image_source_find (const struct image_source *src, const char *name, struct image_blob *blob);
void image_blob_close (struct image_blob *blob);

/* The whole of a small blob (a JSON document), NUL-terminated; if HEX is
 * not NULL its sha256 must be HEX. WHAT names it in errors. */
char *image_blob_read (const struct image_source *src, const struct image_blob *blob,
                       const char *hex, const char *what);

enum image_compression { IMAGE_PLAIN, IMAGE_GZIP };

struct image_layer {
  const char *image;            /* the image path, for messages */
  struct image_blob blob;
  enum image_compression compression;
  const char *blob_hex;         /* expected sha256 of the blob, or NULL */
  const char *diff_id_hex;      /* expected sha256 of the uncompressed tar, or NULL */
  const char *key_hex;          /* its name in the cache */
};

/* The unpacked tree of LAYER in the cache folder LAYERS_DIR (open as
 * LAYERS_FD), unpacking it first unless a complete copy is there. */
char *image_layer_unpack (int layers_fd, const char *layers_dir, const struct image_layer *layer);

/* Is S a lowercase 64-digit hex sha256? */
bool image_is_sha256_hex (const char *s);

#endif
