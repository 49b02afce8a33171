/* sbx_image_load: from an image's index or manifest.json, through its
 * manifest and config, to verified, unpacked layers (image_layer.c) and
 * the run configuration. Every blob is checked against the digest that
 * names it before anything uses it. */
#include "image.h"

#include "error.h"
#include "image_internal.h"
#include "json.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* An index may point at another index; real images nest one or two. */
#define MAX_INDEX_DEPTH 4

#if defined(__x86_64__)
#define HOST_ARCH "amd64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#elif defined(__i386__)
#define HOST_ARCH "386"
#elif defined(__arm__)
#define HOST_ARCH "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ARCH "ppc64le"
#elif defined(__s390x__)
#define HOST_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_ARCH "riscv64"
#else
#define HOST_ARCH "unknown"
#endif

struct loader {
  const char *path;
  struct image_source src;
  char *layers_dir;
  int layers_fd;
};

static noreturn void __attribute__ ((format (printf, 2, 3)))
bad_image (const struct loader *l, const char *fmt, ...)
{
  char reason[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof reason, fmt, ap);
  va_end (ap);
  sbx_die ("read image: %s: %s", l->path, reason);
}

static struct sbx_json *
parse_document (const struct loader *l, char *text, const char *what)
{
  char err[128];
  struct sbx_json *doc = sbx_json_parse (text, strlen (text), err, sizeof err);
  free (text);
  if (doc == NULL)
    bad_image (l, "%s: bad JSON: %s", what, err);
  return doc;
}

/* A document by name, with no digest to check (index.json, manifest.json,
 * oci-layout: the roots of trust are the files the user pointed at). */
static struct sbx_json *
read_named (const struct loader *l, const char *name)
{
  struct image_blob blob;
  if (!image_source_find (&l->src, name, &blob))
    bad_image (l, "%s is missing", name);
  char *text = image_blob_read (&l->src, &blob, NULL, name);
  image_blob_close (&blob);
  return parse_document (l, text, name);
}

static const char *
string_member (const struct loader *l, const struct sbx_json *obj, const char *key, const char *what)
{
  const struct sbx_json *v = sbx_json_get (obj, key);
  if (v == NULL || v->type == SBX_JSON_NULL)
    return NULL;
  if (v->type != SBX_JSON_STRING)
    bad_image (l, "%s: %s is not a string", what, key);
  return v->string;
}

/* "sha256:HEX" -> HEX. */
static const char *
digest_hex (const struct loader *l, const char *digest, const char *what)
{
  if (digest == NULL)
    bad_image (l, "%s has no digest", what);
  if (strncmp (digest, "sha256:", 7) != 0)
    bad_image (l, "%s: unsupported digest '%s' (only sha256 is)", what, digest);
  if (!image_is_sha256_hex (digest + 7))
    bad_image (l, "%s: malformed digest '%s'", what, digest);
  return digest + 7;
}

struct descriptor {
  const char *media_type;       /* or NULL */
  const char *hex;
  uint64_t size;
};

static void
parse_descriptor (const struct loader *l, const struct sbx_json *d, const char *what, struct descriptor *out)
{
  if (d == NULL || d->type != SBX_JSON_OBJECT)
    bad_image (l, "%s is not a descriptor object", what);
  out->media_type = string_member (l, d, "mediaType", what);
  out->hex = digest_hex (l, string_member (l, d, "digest", what), what);
  const struct sbx_json *size = sbx_json_get (d, "size");
  if (size == NULL || size->type != SBX_JSON_NUMBER || size->number < 0 || size->number > 0x1p53
      || size->number != (double) (uint64_t) size->number)
    bad_image (l, "%s: bad or missing size", what);
  out->size = (uint64_t) size->number;
}

static void
find_blob (const struct loader *l, const char *hex, uint64_t size, bool check_size, const char *what,
           struct image_blob *blob)
{
  autofree char *name = sbx_xasprintf ("blobs/sha256/%s", hex);
  if (!image_source_find (&l->src, name, blob))
    bad_image (l, "%s: blob sha256:%s is missing", what, hex);
  if (check_size && blob->size != size)
    bad_image (l, "%s: blob sha256:%s has %llu bytes, the descriptor says %llu", what, hex,
               (unsigned long long) blob->size, (unsigned long long) size);
}

static struct sbx_json *
read_descriptor_blob (const struct loader *l, const struct descriptor *d, const char *what)
{
  struct image_blob blob;
  find_blob (l, d->hex, d->size, true, what, &blob);
  char *text = image_blob_read (&l->src, &blob, d->hex, what);
  image_blob_close (&blob);
  return parse_document (l, text, what);
}

/* --- the run configuration ------------------------------------------- */

static char **
string_list (const struct loader *l, const struct sbx_json *config, const char *key)
{
  const struct sbx_json *v = sbx_json_get (config, key);
  if (v == NULL || v->type == SBX_JSON_NULL)
    return NULL;
  if (v->type != SBX_JSON_ARRAY)
    bad_image (l, "config: %s is not a list of strings", key);
  char **out = sbx_xcalloc (v->n + 1, sizeof *out);
  for (size_t i = 0; i < v->n; i++)
    {
      if (v->items[i]->type != SBX_JSON_STRING)
        bad_image (l, "config: %s is not a list of strings", key);
      out[i] = sbx_xstrdup (v->items[i]->string);
    }
  return out;
}

static char *
nonempty_string (const struct loader *l, const struct sbx_json *config, const char *key)
{
  const char *s = string_member (l, config, key, "config");
  return s != NULL && s[0] != '\0' ? sbx_xstrdup (s) : NULL;
}

static void
take_config (const struct loader *l, const struct sbx_json *doc, struct sbx_image *out)
{
  if (doc->type != SBX_JSON_OBJECT)
    bad_image (l, "config is not a JSON object");
  const struct sbx_json *c = sbx_json_get (doc, "config");
  if (c == NULL || c->type == SBX_JSON_NULL)
    return;
  if (c->type != SBX_JSON_OBJECT)
    bad_image (l, "config: config is not an object");
  out->entrypoint = string_list (l, c, "Entrypoint");
  out->cmd = string_list (l, c, "Cmd");
  out->env = string_list (l, c, "Env");
  out->workdir = nonempty_string (l, c, "WorkingDir");
  out->user = nonempty_string (l, c, "User");
}

/* rootfs.diff_ids: the sha256 of each uncompressed layer, bottom first. */
static const struct sbx_json *
diff_ids (const struct loader *l, const struct sbx_json *config, size_t n_layers, bool required)
{
  const struct sbx_json *rootfs = sbx_json_get (config, "rootfs");
  const struct sbx_json *ids = sbx_json_get (rootfs, "diff_ids");
  if (ids == NULL && !required)
    return NULL;
  if (ids == NULL || ids->type != SBX_JSON_ARRAY)
    bad_image (l, "config: rootfs.diff_ids is missing");
  if (ids->n != n_layers)
    bad_image (l, "config lists %zu diff_ids for %zu layers", ids->n, n_layers);
  for (size_t i = 0; i < ids->n; i++)
    if (ids->items[i]->type != SBX_JSON_STRING)
      bad_image (l, "config: rootfs.diff_ids has a non-string");
  return ids;
}

/* --- layers ---------------------------------------------------------- */

static enum image_compression
compression_of (const struct loader *l, const char *media_type, const struct image_blob *blob,
                const char *what)
{
  static const char *const plain[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.docker.image.rootfs.diff.tar",
  };
  static const char *const gzip[] = {
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };
  if (media_type != NULL)
    {
      for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (strcmp (media_type, plain[i]) == 0)
          return IMAGE_PLAIN;
      for (size_t i = 0; i < sizeof gzip / sizeof *gzip; i++)
        if (strcmp (media_type, gzip[i]) == 0)
          return IMAGE_GZIP;
      bad_image (l, "%s: unsupported media type %s", what, media_type);
    }
  /* docker save's manifest.json gives no media type: look at the bytes. */
  unsigned char magic[2] = { 0, 0 };
  if (blob->size >= 2 && pread (blob->fd, magic, 2, (off_t) blob->offset) != 2)
    sbx_die_errno (errno, "read image", l->path);
  return magic[0] == 0x1f && magic[1] == 0x8b ? IMAGE_GZIP : IMAGE_PLAIN;
}

static void
add_layer (struct sbx_image *out, char *tree)
{
  out->layers = sbx_xrealloc_array (out->layers, out->n_layers + 2, sizeof *out->layers);
  out->layers[out->n_layers++] = tree;
  out->layers[out->n_layers] = NULL;
}

static void
unpack (const struct loader *l, struct image_layer *layer, struct sbx_image *out)
{
  layer->image = l->path;
  add_layer (out, image_layer_unpack (l->layers_fd, l->layers_dir, layer));
  image_blob_close (&layer->blob);
}

/* --- OCI image layout ------------------------------------------------- */

static bool
platform_matches (const struct sbx_json *desc)
{
  const struct sbx_json *p = sbx_json_get (desc, "platform");
  const struct sbx_json *os = sbx_json_get (p, "os"), *arch = sbx_json_get (p, "architecture");
  return os != NULL && os->type == SBX_JSON_STRING && strcmp (os->string, "linux") == 0
         && arch != NULL && arch->type == SBX_JSON_STRING && strcmp (arch->string, HOST_ARCH) == 0;
}

/* The manifest an index means for this host: its only entry, or the one
 * for linux on this architecture; indexes inside indexes are followed. */
static struct sbx_json *
select_manifest (const struct loader *l, struct sbx_json *index, int depth)
{
  const struct sbx_json *list = sbx_json_get (index, "manifests");
  if (list == NULL || list->type != SBX_JSON_ARRAY || list->n == 0)
    bad_image (l, "index lists no manifests");
  const struct sbx_json *chosen = list->n == 1 ? list->items[0] : NULL;
  for (size_t i = 0; chosen == NULL && i < list->n; i++)
    if (platform_matches (list->items[i]))
      chosen = list->items[i];
  if (chosen == NULL)
    bad_image (l, "index has %zu manifests and none for linux/" HOST_ARCH, list->n);
  struct descriptor d;
  parse_descriptor (l, chosen, "manifest descriptor", &d);
  struct sbx_json *doc = read_descriptor_blob (l, &d, "manifest");
  sbx_json_free (index);
  if (sbx_json_get (doc, "manifests") == NULL)
    return doc;
  if (depth >= MAX_INDEX_DEPTH)
    bad_image (l, "indexes nested too deeply");
  return select_manifest (l, doc, depth + 1);
}

static void
load_oci (const struct loader *l, struct sbx_image *out)
{
  struct sbx_json *layout = read_named (l, "oci-layout");
  if (string_member (l, layout, "imageLayoutVersion", "oci-layout") == NULL)
    bad_image (l, "oci-layout has no imageLayoutVersion");
  sbx_json_free (layout);

  struct sbx_json *manifest = select_manifest (l, read_named (l, "index.json"), 0);
  struct descriptor config_desc;
  parse_descriptor (l, sbx_json_get (manifest, "config"), "config descriptor", &config_desc);
  struct sbx_json *config = read_descriptor_blob (l, &config_desc, "config");
  take_config (l, config, out);

  const struct sbx_json *layers = sbx_json_get (manifest, "layers");
  if (layers == NULL || layers->type != SBX_JSON_ARRAY)
    bad_image (l, "manifest has no layers list");
  const struct sbx_json *ids = diff_ids (l, config, layers->n, false);
  for (size_t i = 0; i < layers->n; i++)
    {
      char what[32];
      snprintf (what, sizeof what, "layer %zu", i + 1);
      struct descriptor d;
      parse_descriptor (l, layers->items[i], what, &d);
      struct image_layer layer = { .blob_hex = d.hex, .key_hex = d.hex };
      find_blob (l, d.hex, d.size, true, what, &layer.blob);
      layer.compression = compression_of (l, d.media_type, &layer.blob, what);
      if (ids != NULL)
        layer.diff_id_hex = digest_hex (l, ids->items[i]->string, "config: rootfs.diff_ids");
      unpack (l, &layer, out);
    }
  sbx_json_free (config);
  sbx_json_free (manifest);
}

/* --- docker save / podman save ----------------------------------------- */

/* docker save names blobs after their digest: "blobs/sha256/HEX" (docker
 * 25 and later, podman) or "HEX.json" / "HEX/layer.tar" (older). */
static const char *
hex_in_name (const char *name, char *buf)
{
  const char *base = strrchr (name, '/') ? strrchr (name, '/') + 1 : name;
  if (strncmp (name, "blobs/sha256/", 13) == 0 && image_is_sha256_hex (name + 13))
    return name + 13;
  if (strlen (base) == 69 && strcmp (base + 64, ".json") == 0)
    {
      memcpy (buf, base, 64);
      buf[64] = '\0';
      if (image_is_sha256_hex (buf))
        return buf;
    }
  return NULL;
}

static void
load_docker (const struct loader *l, struct sbx_image *out)
{
  struct sbx_json *list = read_named (l, "manifest.json");
  if (list->type != SBX_JSON_ARRAY || list->n == 0)
    bad_image (l, "manifest.json lists no image");
  if (list->n > 1)
    bad_image (l, "manifest.json lists %zu images; save exactly one", list->n);
  const struct sbx_json *m = list->items[0];
  const char *config_name = string_member (l, m, "Config", "manifest.json");
  if (config_name == NULL)
    bad_image (l, "manifest.json has no Config");
  char buf[65];
  const char *config_hex = hex_in_name (config_name, buf);
  if (config_hex == NULL)
    bad_image (l, "manifest.json: cannot tell the digest of config %s", config_name);
  struct image_blob blob;
  if (!image_source_find (&l->src, config_name, &blob))
    bad_image (l, "config %s is missing", config_name);
  char *text = image_blob_read (&l->src, &blob, config_hex, "config");
  image_blob_close (&blob);
  struct sbx_json *config = parse_document (l, text, "config");
  take_config (l, config, out);

  const struct sbx_json *layers = sbx_json_get (m, "Layers");
  if (layers == NULL || layers->type != SBX_JSON_ARRAY)
    bad_image (l, "manifest.json has no Layers list");
  const struct sbx_json *ids = diff_ids (l, config, layers->n, true);
  for (size_t i = 0; i < layers->n; i++)
    {
      if (layers->items[i]->type != SBX_JSON_STRING)
        bad_image (l, "manifest.json: Layers has a non-string");
      const char *name = layers->items[i]->string;
      char what[32];
      snprintf (what, sizeof what, "layer %zu", i + 1);
      const char *diff_id = digest_hex (l, ids->items[i]->string, "config: rootfs.diff_ids");
      char lbuf[65];
      const char *blob_hex = hex_in_name (name, lbuf);
      struct image_layer layer = {
        .blob_hex = blob_hex, .diff_id_hex = diff_id, .key_hex = blob_hex ? blob_hex : diff_id,
      };
      if (!image_source_find (&l->src, name, &layer.blob))
        bad_image (l, "%s: %s is missing", what, name);
      layer.compression = compression_of (l, NULL, &layer.blob, what);
      unpack (l, &layer, out);
    }
  sbx_json_free (config);
  sbx_json_free (list);
}

/* --- entry points ------------------------------------------------------ */

void
sbx_image_load (const char *path, struct sbx_image *out)
{
  *out = (struct sbx_image) { 0 };
  struct loader l = { .path = path };
  image_source_open (path, &l.src);

  l.layers_dir = sbx_user_cache_dir ("layers");
  if (l.layers_dir == NULL)
    sbx_die ("find the image cache: neither XDG_CACHE_HOME nor HOME is an absolute path");
  if (sbx_mkdir_p (l.layers_dir, 0700) < 0)
    sbx_die_errno (errno, "create the image cache", l.layers_dir);
  l.layers_fd = open (l.layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (l.layers_fd < 0)
    sbx_die_errno (errno, "open the image cache", l.layers_dir);

  struct image_blob probe;
  if (l.src.dirfd >= 0)
    load_oci (&l, out);
  else if (image_source_find (&l.src, "manifest.json", &probe))
    {
      image_blob_close (&probe);
      load_docker (&l, out);
    }
  else if (image_source_find (&l.src, "index.json", &probe))
    {
      image_blob_close (&probe);
      load_oci (&l, out);
    }
  else
    bad_image (&l, "neither manifest.json nor index.json in the tarball");
  if (out->n_layers == 0)
    bad_image (&l, "the image has no layers");

  close (l.layers_fd);
  free (l.layers_dir);
  image_source_close (&l.src);
}

static void
free_list (char **list)
{
  for (char **p = list; p != NULL && *p != NULL; p++)
    free (*p);
  free (list);
}

void
sbx_image_free (struct sbx_image *img)
{
  free_list (img->layers);
  free_list (img->entrypoint);
  free_list (img->cmd);
  free_list (img->env);
  free (img->workdir);
  free (img->user);
  *img = (struct sbx_image) { 0 };
}
