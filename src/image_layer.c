/* One image layer into the cache: stream the blob (through the host's
 * `gzip -dc` when compressed: sbx links no compression library), hash it
 * on the way, extract the tar into a temporary folder next to its final
 * place, and rename that into place only once every digest matched. An
 * error removes the temporary folder before sbx exits, so the cache only
 * ever holds complete, verified layers.
 *
 * Extraction never follows a symlink and never leaves the layer: every
 * name is split into components and each parent is opened from the layer's
 * root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); absolute names
 * and ".." are refused outright. Device nodes are skipped (an unprivileged
 * user cannot make them), setuid and setgid bits are dropped (the cache is
 * the user's own, and a setuid-to-self file there helps nobody), ownership
 * is not kept, and folders always keep u+rwx so that sbx can fill and
 * remove them. */
#include "image_internal.h"

#include "error.h"
#include "sha256.h"
#include "syscalls.h"
#include "tar.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>

extern char **environ;

#define STAMP "complete"
#define TREE "rootfs"
#define TMP_PREFIX ".tmp-"
/* A temporary folder nobody holds a lock on and this old was left by an
 * sbx that was killed while unpacking. */
#define STALE_SECONDS 60

struct stream;

struct unpack {
  const struct image_layer *layer;
  struct stream *stream;        /* set while the blob is being read */
  int layers_fd;
  char *tmp_name;               /* the temporary folder, in layers_fd */
  pid_t gzip;                   /* the decompressor, or 0 */
  bool file_whiteouts;          /* mknod refused: `.wh.NAME` files kept */
  bool file_opaque;             /* user xattrs refused: `.wh..wh..opq` kept */
};

/* --- removal -------------------------------------------------------- */

/* rm -rf NAME in DIRFD, never following a symlink. */
static int
remove_tree (int parent, const char *name)
{
  struct stat st;
  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR (st.st_mode))
    return unlinkat (parent, name, 0);
  int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  int ret = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (remove_tree (dirfd (d), de->d_name) < 0)
        ret = -1;
    }
  closedir (d);
  if (ret == 0)
    ret = unlinkat (parent, name, AT_REMOVEDIR);
  return ret;
}

static bool blob_digest_differs (struct stream *s, char hex[65]);

/* Every failure while a layer is being unpacked ends here: the partial
 * layer goes, then sbx exits with its one-line error. A damaged blob
 * shows up as whatever the tar or gzip reader trips over first; the
 * digest is the real story, so it is checked and named instead. */
static noreturn void __attribute__ ((format (printf, 2, 3)))
fail (struct unpack *u, const char *fmt, ...)
{
  if (u->gzip > 0)
    {
      kill (u->gzip, SIGKILL);
      waitpid (u->gzip, NULL, 0);
      u->gzip = 0;
    }
  char reason[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof reason, fmt, ap);
  va_end (ap);
  struct stream *s = u->stream;
  char hex[65];
  u->stream = NULL;             /* blob_digest_differs may fail too */
  if (s != NULL && blob_digest_differs (s, hex))
    snprintf (reason, sizeof reason, "digest mismatch: the blob is sha256:%s", hex);
  if (u->tmp_name != NULL)
    remove_tree (u->layers_fd, u->tmp_name);
  sbx_die ("unpack image layer: sha256:%s: %s", u->layer->key_hex, reason);
}

/* --- the byte stream: blob -> (gzip) -> tar ---------------------------- */

struct stream {
  struct unpack *u;
  bool gzip;
  int fd;                       /* the blob */
  uint64_t off, left;
  struct sbx_sha256 blob_sha, tar_sha;
  int to_gzip, from_gzip;       /* -1 when closed */
  char in[65536];
  size_t in_pos, in_len;
};

static void
refill (struct stream *s)
{
  size_t want = s->left < sizeof s->in ? (size_t) s->left : sizeof s->in;
  ssize_t n;
  do
    n = pread (s->fd, s->in, want, (off_t) s->off);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    fail (s->u, "read: %s", strerror (errno));
  if (n == 0)
    fail (s->u, "blob is shorter than %llu bytes", (unsigned long long) (s->off + s->left));
  sbx_sha256_update (&s->blob_sha, s->in, (size_t) n);
  s->off += (uint64_t) n, s->left -= (uint64_t) n;
  s->in_pos = 0, s->in_len = (size_t) n;
}

/* At the end of gzip's output: it must have read all of the blob and
 * exited 0. */
static void
stop_gzip (struct stream *s)
{
  if (s->from_gzip < 0)
    return;
  close (s->from_gzip);
  if (s->to_gzip >= 0)
    close (s->to_gzip);
  s->from_gzip = s->to_gzip = -1;
  int status = 0;
  pid_t r;
  while ((r = waitpid (s->u->gzip, &status, 0)) < 0 && errno == EINTR)
    ;
  s->u->gzip = 0;
  if (r < 0)
    fail (s->u, "wait for gzip: %s", strerror (errno));
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    fail (s->u, "cannot run gzip to decompress it");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || s->left > 0 || s->in_pos < s->in_len)
    fail (s->u, "corrupt gzip data");
}

/* The tar reader pulls; for a compressed blob this pumps the blob into
 * gzip and its output out, never blocking on one while the other waits. */
static size_t
stream_read (void *cookie, void *buf, size_t len)
{
  struct stream *s = cookie;
  if (!s->gzip)
    {
      if (s->in_pos == s->in_len)
        {
          if (s->left == 0)
            return 0;
          refill (s);
        }
      size_t n = s->in_len - s->in_pos < len ? s->in_len - s->in_pos : len;
      memcpy (buf, s->in + s->in_pos, n);
      s->in_pos += n;
      sbx_sha256_update (&s->tar_sha, buf, n);
      return n;
    }
  for (;;)
    {
      if (s->from_gzip < 0)
        return 0;
      if (s->to_gzip >= 0 && s->in_pos == s->in_len)
        {
          if (s->left > 0)
            refill (s);
          else
            {
              close (s->to_gzip);
              s->to_gzip = -1;
            }
        }
      struct pollfd p[2] = {
        { .fd = s->from_gzip, .events = POLLIN },
        { .fd = s->to_gzip, .events = POLLOUT },
      };
      if (poll (p, s->to_gzip >= 0 ? 2 : 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          fail (s->u, "poll: %s", strerror (errno));
        }
      if (s->to_gzip >= 0 && p[1].revents != 0)
        {
          /* A socket, not a pipe: MSG_NOSIGNAL turns a decompressor that
           * quit early into EPIPE here instead of a SIGPIPE for sbx. */
          ssize_t n = send (s->to_gzip, s->in + s->in_pos, s->in_len - s->in_pos, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n >= 0)
            s->in_pos += (size_t) n;
          else if (errno != EAGAIN && errno != EINTR)
            fail (s->u, "gzip stopped reading its input: corrupt compressed data");
        }
      if (p[0].revents != 0)
        {
          ssize_t n = read (s->from_gzip, buf, len);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            fail (s->u, "read from gzip: %s", strerror (errno));
          if (n == 0)
            stop_gzip (s);
          sbx_sha256_update (&s->tar_sha, buf, (size_t) n);
          return (size_t) n;
        }
    }
}

static void
start_gzip (struct stream *s)
{
  int in[2], out[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
    fail (s->u, "socketpair: %s", strerror (errno));
  if (pipe2 (out, O_CLOEXEC) < 0)
    fail (s->u, "pipe: %s", strerror (errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, out[1], STDOUT_FILENO);
  /* gzip's own complaints would break sbx's one-line error. */
  posix_spawn_file_actions_addopen (&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  char *argv[] = { "gzip", "-dc", NULL };
  int err = posix_spawnp (&s->u->gzip, "gzip", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (in[1]);
  close (out[1]);
  if (err != 0)
    {
      s->u->gzip = 0;
      fail (s->u, "cannot run gzip to decompress it: %s", strerror (err));
    }
  s->to_gzip = in[0];
  s->from_gzip = out[0];
}

/* Hashes what is left of the blob, straight from the file, and compares
 * with the digest it should have (if it has one). */
static bool
blob_digest_differs (struct stream *s, char hex[65])
{
  const char *want = s->u->layer->blob_hex;
  if (want == NULL)
    return false;
  char buf[65536];
  while (s->left > 0)
    {
      size_t n = s->left < sizeof buf ? (size_t) s->left : sizeof buf;
      ssize_t r = pread (s->fd, buf, n, (off_t) s->off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return false;           /* unreadable: the first error stands */
      sbx_sha256_update (&s->blob_sha, buf, (size_t) r);
      s->off += (uint64_t) r, s->left -= (uint64_t) r;
    }
  sbx_sha256_final_hex (&s->blob_sha, hex);
  return strcmp (hex, want) != 0;
}

/* After the tar's end: read the rest (padding), reap gzip, compare. */
static void
finish_stream (struct stream *s)
{
  char buf[65536];
  while (stream_read (s, buf, sizeof buf) > 0)
    ;
  char hex[65];
  const struct image_layer *l = s->u->layer;
  if (blob_digest_differs (s, hex))
    fail (s->u, "digest mismatch: the blob is sha256:%s", hex);
  s->u->stream = NULL;
  sbx_sha256_final_hex (&s->tar_sha, hex);
  if (l->diff_id_hex != NULL && strcmp (hex, l->diff_id_hex) != 0)
    fail (s->u, "diff_id mismatch: the uncompressed layer is sha256:%s", hex);
}

/* --- extraction ----------------------------------------------------- */

/* The components of an entry name, or a reason it is refused. "./" and
 * empty components are dropped; an empty result is the layer's root. */
static const char *
split_name (const char *name, char *copy, char **parts, size_t max, size_t *n)
{
  if (name[0] == '/')
    return "absolute path";
  strcpy (copy, name);
  *n = 0;
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c != NULL; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        return "'..' component";
      if (*n == max)
        return "too deeply nested";
      parts[(*n)++] = c;
    }
  return NULL;
}

#define MAX_DEPTH 256

/* An fd for the folder PARTS[0..N) below ROOT; missing folders are made
 * when CREATE. Symlinks and anything outside the layer are refused by the
 * kernel (RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH). */
static int
open_parent (struct unpack *u, int root, char **parts, size_t n, bool create, const char *entry)
{
  int fd = fcntl (root, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    fail (u, "dup: %s", strerror (errno));
  for (size_t i = 0; i < n; i++)
    {
      struct open_how how = {
        .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
      };
      int next = sys_openat2 (fd, parts[i], &how);
      if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (fd, parts[i], 0755) < 0 && errno != EEXIST)
            fail (u, "%s: mkdir: %s", entry, strerror (errno));
          next = sys_openat2 (fd, parts[i], &how);
        }
      if (next < 0 && errno == ELOOP)
        fail (u, "%s: goes through a symlink", entry);
      if (next < 0 && errno == ENOENT && !create)
        {
          close (fd);
          return -1;
        }
      if (next < 0)
        fail (u, "%s: %s", entry, strerror (errno));
      close (fd);
      fd = next;
    }
  return fd;
}

/* Make room for a new entry NAME: an existing folder stays when the new
 * entry is a folder too (tar adds to it), anything else goes. */
static void
clear_place (struct unpack *u, int dirfd, const char *name, bool for_dir, const char *entry)
{
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        fail (u, "%s: %s", entry, strerror (errno));
      return;
    }
  if (for_dir && S_ISDIR (st.st_mode))
    return;
  if (remove_tree (dirfd, name) < 0)
    fail (u, "%s: remove the earlier copy: %s", entry, strerror (errno));
}

static void
set_times (int dirfd, const char *name, int64_t mtime)
{
  struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = (time_t) mtime } };
  /* Best effort: a wrong mtime changes nothing sbx relies on. */
  (void) utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static void
write_file (struct unpack *u, struct sbx_tar *tar, int dirfd, const char *name,
            const struct sbx_tar_entry *e)
{
  autoclose int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    fail (u, "%s: create: %s", e->name, strerror (errno));
  char buf[65536];
  ssize_t n;
  while ((n = sbx_tar_read_data (tar, buf, sizeof buf)) > 0)
    if (sbx_write_all (fd, buf, (size_t) n) < 0)
      fail (u, "%s: write: %s", e->name, strerror (errno));
  if (n < 0)
    fail (u, "truncated tar: %s", e->name);
  if (fchmod (fd, e->mode & 01777) < 0)
    fail (u, "%s: chmod: %s", e->name, strerror (errno));
  struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = (time_t) e->mtime } };
  (void) futimens (fd, ts);
}

/* `.wh.NAME`: NAME of a lower layer is deleted. Overlayfs's form is a 0/0
 * character device, which mknod allows without privilege since Linux 5.8;
 * if it is refused the marker file stays, for the FUSE backend. */
static void
whiteout (struct unpack *u, int dirfd, const char *marker, const char *entry)
{
  const char *name = marker + 4;
  if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    fail (u, "%s: bad whiteout", entry);
  clear_place (u, dirfd, name, false, entry);
  if (mknodat (dirfd, name, S_IFCHR | 0, makedev (0, 0)) == 0)
    return;
  if (errno != EPERM && errno != EACCES)
    fail (u, "%s: mknod: %s", entry, strerror (errno));
  u->file_whiteouts = true;
  clear_place (u, dirfd, marker, false, entry);
  autoclose int fd = openat (dirfd, marker, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    fail (u, "%s: create: %s", entry, strerror (errno));
}

/* `.wh..wh..opq`: the folder hides what lower layers have in it. Kernel
 * overlayfs with userxattr reads user.overlay.opaque, sbx's FUSE backend
 * and fuse-overlayfs read user.fuseoverlayfs.opaque; where user xattrs are
 * refused the marker file stays, for the FUSE backend. */
static void
opaque (struct unpack *u, int dirfd, const char *entry)
{
  if (fsetxattr (dirfd, "user.overlay.opaque", "y", 1, 0) == 0
      && fsetxattr (dirfd, "user.fuseoverlayfs.opaque", "y", 1, 0) == 0)
    return;
  if (errno != ENOTSUP && errno != EPERM)
    fail (u, "%s: setxattr: %s", entry, strerror (errno));
  u->file_opaque = true;
  clear_place (u, dirfd, ".wh..wh..opq", false, entry);
  autoclose int fd = openat (dirfd, ".wh..wh..opq", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    fail (u, "%s: create: %s", entry, strerror (errno));
}

static void
extract_node (struct unpack *u, struct sbx_tar *tar, int root, int dirfd, const char *base,
              const struct sbx_tar_entry *e)
{
  const char *why;
  clear_place (u, dirfd, base, e->type == '5', e->name);
  switch (e->type)
    {
    case '0':
      write_file (u, tar, dirfd, base, e);
      break;
    case '5':
      if (mkdirat (dirfd, base, 0700) < 0 && errno != EEXIST)
        fail (u, "%s: mkdir: %s", e->name, strerror (errno));
      if (fchmodat (dirfd, base, (e->mode & 03777) | 0700, 0) < 0)
        fail (u, "%s: chmod: %s", e->name, strerror (errno));
      break;
    case '2':
      if (symlinkat (e->linkname ? e->linkname : "", dirfd, base) < 0)
        fail (u, "%s: symlink: %s", e->name, strerror (errno));
      set_times (dirfd, base, e->mtime);
      break;
    case '6':
      if (mknodat (dirfd, base, S_IFIFO | (e->mode & 0777), 0) < 0)
        fail (u, "%s: mkfifo: %s", e->name, strerror (errno));
      break;
    case '1':
      {
        const char *target = e->linkname ? e->linkname : "";
        autofree char *tcopy = sbx_xmalloc (strlen (target) + 1);
        char *tparts[MAX_DEPTH];
        size_t tn;
        if ((why = split_name (target, tcopy, tparts, MAX_DEPTH, &tn)) != NULL)
          fail (u, "hard link '%s' to '%s': %s", e->name, target, why);
        if (tn == 0)
          fail (u, "hard link '%s' to the layer's root", e->name);
        autoclose int tdir = open_parent (u, root, tparts, tn - 1, false, target);
        /* flags 0: a link to a symlink links the symlink itself. */
        if (tdir < 0 || linkat (tdir, tparts[tn - 1], dirfd, base, 0) < 0)
          fail (u, "hard link '%s' to '%s': %s", e->name, target,
                tdir < 0 || errno == ENOENT ? "target is not in the layer" : strerror (errno));
        break;
      }
    }
}

static void
extract_entry (struct unpack *u, struct sbx_tar *tar, int root, const struct sbx_tar_entry *e)
{
  size_t len = strlen (e->name);
  autofree char *copy = sbx_xmalloc (len + 1);
  char *parts[MAX_DEPTH];
  size_t n;
  const char *why = split_name (e->name, copy, parts, MAX_DEPTH, &n);
  if (why != NULL)
    fail (u, "entry '%s': %s", e->name, why);
  if (n == 0)
    return;                     /* the root itself: sbx owns its mode */
  const char *base = parts[n - 1];
  if (strchr ("0125", e->type) == NULL && e->type != '6')
    return;                     /* devices (not allowed unprivileged) and unknown types */
  autoclose int dirfd = open_parent (u, root, parts, n - 1, true, e->name);

  if (strcmp (base, ".wh..wh..opq") == 0)
    opaque (u, dirfd, e->name);
  else if (strncmp (base, ".wh..wh.", 8) == 0)
    ;                           /* aufs bookkeeping, meaningless to overlayfs */
  else if (strncmp (base, ".wh.", 4) == 0)
    whiteout (u, dirfd, base, e->name);
  else
    extract_node (u, tar, root, dirfd, base, e);
}

/* --- the cache ------------------------------------------------------ */

/* An sbx unpacking a layer holds a flock on its temporary folder; one
 * that was killed leaves its folder unlocked, and the next unpack removes
 * it. The age check covers the moment between mkdtemp and flock. */
static void
sweep_stale (int layers_fd)
{
  int fd = openat (layers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir (fd);
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strncmp (de->d_name, TMP_PREFIX, strlen (TMP_PREFIX)) != 0)
        continue;
      autoclose int tfd = openat (layers_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (tfd < 0 || fstat (tfd, &st) < 0 || time (NULL) - st.st_mtime < STALE_SECONDS)
        continue;
      if (flock (tfd, LOCK_EX | LOCK_NB) == 0)
        remove_tree (layers_fd, de->d_name);
    }
  closedir (d);
}

static bool
is_complete (int layers_fd, const char *key)
{
  autofree char *stamp = sbx_xasprintf ("%s/" STAMP, key);
  struct stat st;
  return fstatat (layers_fd, stamp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode);
}

char *
image_layer_unpack (int layers_fd, const char *layers_dir, const struct image_layer *layer)
{
  char *tree = sbx_xasprintf ("%s/%s/" TREE, layers_dir, layer->key_hex);
  if (is_complete (layers_fd, layer->key_hex))
    return tree;

  sweep_stale (layers_fd);
  struct unpack u = { .layer = layer, .layers_fd = layers_fd };
  autofree char *tmp_path = sbx_xasprintf ("%s/" TMP_PREFIX "%s-XXXXXX", layers_dir, layer->key_hex);
  if (mkdtemp (tmp_path) == NULL)
    sbx_die_errno (errno, "create a folder in the image cache", layers_dir);
  autofree char *tmp_name = sbx_xstrdup (strrchr (tmp_path, '/') + 1);
  u.tmp_name = tmp_name;

  autoclose int tmp_fd = openat (layers_fd, tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (tmp_fd < 0 || flock (tmp_fd, LOCK_EX) < 0 || mkdirat (tmp_fd, TREE, 0755) < 0)
    fail (&u, "create %s: %s", tmp_path, strerror (errno));
  autoclose int root = openat (tmp_fd, TREE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0)
    fail (&u, "open %s/" TREE ": %s", tmp_path, strerror (errno));

  struct stream s = {
    .u = &u, .fd = layer->blob.fd, .off = layer->blob.offset, .left = layer->blob.size,
    .to_gzip = -1, .from_gzip = -1,
  };
  sbx_sha256_init (&s.blob_sha);
  sbx_sha256_init (&s.tar_sha);
  u.stream = &s;
  if (layer->compression == IMAGE_GZIP)
    {
      s.gzip = true;
      start_gzip (&s);
    }

  struct sbx_tar tar;
  sbx_tar_init (&tar, stream_read, &s);
  const struct sbx_tar_entry *e;
  char err[256];
  int r;
  while ((r = sbx_tar_next (&tar, &e, err, sizeof err)) > 0)
    extract_entry (&u, &tar, root, e);
  sbx_tar_free (&tar);
  if (r < 0)
    fail (&u, "corrupt tar: %s", err);
  finish_stream (&s);

  autofree char *stamp = sbx_xasprintf ("sbx layer 1\nwhiteouts=%s\nopaque=%s\n",
                                        u.file_whiteouts ? "file" : "chardev",
                                        u.file_opaque ? "file" : "xattr");
  autoclose int sfd = openat (tmp_fd, STAMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (sfd < 0 || sbx_write_all (sfd, stamp, strlen (stamp)) < 0)
    fail (&u, "write the stamp: %s", strerror (errno));

  /* Two sbx unpacking the same layer at once: the first rename wins and
   * the other drops its copy. */
  if (renameat2 (layers_fd, tmp_name, layers_fd, layer->key_hex, RENAME_NOREPLACE) < 0)
    {
      int saved = errno;
      if ((saved == EEXIST || saved == ENOTEMPTY) && is_complete (layers_fd, layer->key_hex))
        {
          remove_tree (layers_fd, tmp_name);
          return tree;
        }
      fail (&u, "rename into %s/%s: %s", layers_dir, layer->key_hex, strerror (saved));
    }
  return tree;
}
