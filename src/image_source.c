/* Where an image's blobs come from: files of an OCI layout folder, or
 * members of a `docker save` / `podman save` tarball, read in place (the
 * tarball is indexed once, never unpacked). */
#include "image_internal.h"

#include "error.h"
#include "sha256.h"
#include "syscalls.h"
#include "tar.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* JSON documents of an image are small; a cap keeps a hostile one from
 * being read into memory whole. */
#define MAX_DOCUMENT (16u << 20)
/* Symlinks between tarball members (older docker save links repeated
 * layers), followed at most this many times. */
#define MAX_MEMBER_LINKS 8

struct image_member {
  char *name;                   /* normalized: no "./", no "//" */
  char *link;                   /* symlink or hard link target, normalized; or NULL */
  uint64_t offset, size;
};

bool
image_is_sha256_hex (const char *s)
{
  size_t n = 0;
  for (; s[n] != '\0'; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return false;
  return n == 64;
}

/* "a/./b//c" -> "a/b/c" resolved against DIR ("" for the top), with ".."
 * allowed only while it stays inside the archive; NULL if it leaves it or
 * is absolute. */
static char *
normalize_member (const char *dir, const char *name)
{
  if (name[0] == '/')
    return NULL;
  autofree char *joined = dir[0] ? sbx_xasprintf ("%s/%s", dir, name) : sbx_xstrdup (name);
  char *out = sbx_xmalloc (strlen (joined) + 1);
  size_t n = 0;
  char *save = NULL;
  for (char *c = strtok_r (joined, "/", &save); c != NULL; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          if (n == 0)
            return free (out), NULL;
          while (n > 0 && out[n - 1] != '/')
            n--;
          if (n > 0)
            n--;
          continue;
        }
      if (n > 0)
        out[n++] = '/';
      memcpy (out + n, c, strlen (c));
      n += strlen (c);
    }
  out[n] = '\0';
  return out;
}

static size_t
read_tarball (void *cookie, void *buf, size_t len)
{
  struct image_source *src = cookie;
  for (;;)
    {
      ssize_t n = read (src->tarfd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        sbx_die_errno (errno, "read image", src->path);
      return (size_t) n;
    }
}

/* Skipping past the end is only noticed by the next read. */
static bool
skip_tarball (void *cookie, uint64_t len)
{
  struct image_source *src = cookie;
  struct stat st;
  off_t at = lseek (src->tarfd, (off_t) len, SEEK_CUR);
  if (at < 0 || fstat (src->tarfd, &st) < 0)
    sbx_die_errno (errno, "read image", src->path);
  return at <= st.st_size;
}

static void
index_tarball (struct image_source *src)
{
  struct sbx_tar tar;
  sbx_tar_init (&tar, read_tarball, src);
  tar.skip = skip_tarball;
  const struct sbx_tar_entry *e;
  char err[256];
  int r;
  while ((r = sbx_tar_next (&tar, &e, err, sizeof err)) > 0)
    {
      if (e->type != '0' && e->type != '1' && e->type != '2')
        continue;
      char *name = normalize_member ("", e->name);
      if (name == NULL)
        continue;               /* never looked up: names we build are relative */
      char *link = NULL;
      if (e->type == '2' || e->type == '1')
        {
          autofree char *dir = sbx_xstrdup (name);
          char *slash = strrchr (dir, '/');
          /* A symlink is relative to its folder, a hard link to the top. */
          *(slash != NULL && e->type == '2' ? slash : dir) = '\0';
          link = normalize_member (dir, e->linkname ? e->linkname : "");
          if (link == NULL)
            {
              free (name);
              continue;
            }
        }
      src->members = sbx_xrealloc_array (src->members, src->n_members + 1, sizeof *src->members);
      src->members[src->n_members++] = (struct image_member) {
        .name = name, .link = link, .offset = e->offset, .size = e->size,
      };
    }
  sbx_tar_free (&tar);
  if (r < 0)
    sbx_die ("read image: %s: %s", src->path, err);
}

void
image_source_open (const char *path, struct image_source *src)
{
  *src = (struct image_source) { .path = path, .dirfd = -1, .tarfd = -1 };
  autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    sbx_die_errno (errno, "open image", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    sbx_die_errno (errno, "open image", path);
  if (S_ISDIR (st.st_mode))
    src->dirfd = sbx_steal_fd (&fd);
  else if (S_ISREG (st.st_mode))
    {
      src->tarfd = sbx_steal_fd (&fd);
      index_tarball (src);
    }
  else
    sbx_die ("open image: %s: neither a folder nor a tarball", path);
}

void
image_source_close (struct image_source *src)
{
  for (size_t i = 0; i < src->n_members; i++)
    {
      free (src->members[i].name);
      free (src->members[i].link);
    }
  free (src->members);
  if (src->dirfd >= 0)
    close (src->dirfd);
  if (src->tarfd >= 0)
    close (src->tarfd);
  src->members = NULL;
  src->dirfd = src->tarfd = -1;
}

static const struct image_member *
find_member (const struct image_source *src, const char *name)
{
  autofree char *want = normalize_member ("", name);
  for (int hops = 0; want != NULL && hops <= MAX_MEMBER_LINKS; hops++)
    {
      const struct image_member *m = NULL;
      /* A name stored twice: the later copy wins, as when tar extracts. */
      for (size_t i = 0; i < src->n_members; i++)
        if (strcmp (src->members[i].name, want) == 0)
          m = &src->members[i];
      if (m == NULL || m->link == NULL)
        return m;
      free (want);
      want = sbx_xstrdup (m->link);
    }
  return NULL;
}

bool
image_source_find (const struct image_source *src, const char *name, struct image_blob *blob)
{
  if (src->dirfd >= 0)
    {
      /* Blob names come from the image's own JSON: they must stay inside
       * the folder. */
      struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
      };
      autoclose int fd = sys_openat2 (src->dirfd, name, &how);
      if (fd < 0 && (errno == ENOENT || errno == EXDEV || errno == ENOTDIR))
        return false;
      if (fd < 0)
        sbx_die_errno (errno, "open image blob", name);
      struct stat st;
      if (fstat (fd, &st) < 0)
        sbx_die_errno (errno, "open image blob", name);
      if (!S_ISREG (st.st_mode))
        return false;
      *blob = (struct image_blob) { .fd = sbx_steal_fd (&fd), .offset = 0, .size = (uint64_t) st.st_size };
      return true;
    }
  const struct image_member *m = find_member (src, name);
  if (m == NULL)
    return false;
  int fd = fcntl (src->tarfd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    sbx_die_errno (errno, "open image blob", name);
  *blob = (struct image_blob) { .fd = fd, .offset = m->offset, .size = m->size };
  return true;
}

void
image_blob_close (struct image_blob *blob)
{
  if (blob->fd >= 0)
    close (blob->fd);
  blob->fd = -1;
}

char *
image_blob_read (const struct image_source *src, const struct image_blob *blob, const char *hex,
                 const char *what)
{
  if (blob->size > MAX_DOCUMENT)
    sbx_die ("read image: %s: %s is too large (%llu bytes)", src->path, what,
             (unsigned long long) blob->size);
  char *buf = sbx_xmalloc ((size_t) blob->size + 1);
  size_t got = 0;
  while (got < blob->size)
    {
      ssize_t n = pread (blob->fd, buf + got, (size_t) blob->size - got, (off_t) (blob->offset + got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        sbx_die_errno (errno, "read image", what);
      if (n == 0)
        sbx_die ("read image: %s: %s: truncated", src->path, what);
      got += (size_t) n;
    }
  buf[got] = '\0';
  if (hex != NULL)
    {
      struct sbx_sha256 sha;
      char actual[65];
      sbx_sha256_init (&sha);
      sbx_sha256_update (&sha, buf, got);
      sbx_sha256_final_hex (&sha, actual);
      if (strcmp (actual, hex) != 0)
        sbx_die ("read image: %s: %s: digest mismatch (content is sha256:%s)", src->path, what, actual);
    }
  return buf;
}
