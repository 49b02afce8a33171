/* The union rules of the FUSE overlay, in fuse-overlayfs's upper format:
 * resolving a name through the layers, whiteouts and opaque folders,
 * ownership as presented, copy-up and merged listings. Paths are relative
 * to each layer's directory fd ("." for the top). */
#include "fuseovl_impl.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

int
ovl_path (struct ovl_node *n, const char *name, char *buf)
{
  char tmp[OVL_PATH_MAX];
  char *p = tmp + sizeof tmp;
  *--p = '\0';
  bool first = true;
  for (struct ovl_node *x = n; name != NULL || x->parent != NULL;)
    {
      const char *part = name != NULL ? name : x->name;
      size_t len = strlen (part);
      if ((size_t) (p - tmp) < len + 2)
        return -ENAMETOOLONG;
      if (!first)
        *--p = '/';
      p -= len;
      memcpy (p, part, len);
      first = false;
      if (name != NULL)
        name = NULL;
      else
        x = x->parent;
    }
  if (first)
    strcpy (buf, ".");
  else
    memcpy (buf, p, (size_t) (tmp + sizeof tmp - p));
  return 0;
}

bool
ovl_is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

/* PATH's whiteout file: DIR/.wh.NAME */
static int
wh_path (const char *path, char *buf)
{
  const char *slash = strrchr (path, '/');
  int len = slash == NULL ? snprintf (buf, OVL_PATH_MAX, OVL_WH_PREFIX "%s", path)
                          : snprintf (buf, OVL_PATH_MAX, "%.*s/" OVL_WH_PREFIX "%s",
                                      (int) (slash - path), path, slash + 1);
  return len >= OVL_PATH_MAX ? -ENAMETOOLONG : 0;
}

static bool
exists_at (int fd, const char *path)
{
  return faccessat (fd, path, F_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS) == 0;
}

static bool
xattr_is_y (int fd, const char *name)
{
  char v[4];
  ssize_t r = fgetxattr (fd, name, v, sizeof v);
  return r >= 1 && v[0] == 'y';
}

static bool
is_opaque (int layer_fd, const char *path)
{
  int fd = openat (layer_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool opaque = xattr_is_y (fd, OVL_XATTR_OPAQUE) || xattr_is_y (fd, OVL_XATTR_KOPAQUE)
                || xattr_is_y (fd, "trusted.overlay.opaque") || exists_at (fd, OVL_OPQ_FILE);
  close (fd);
  return opaque;
}

int
ovl_resolve (struct ovl *o, const char *path, uint64_t dirmask, struct ovl_found *f)
{
  bool found = false;
  f->mask = 0;
  for (uint64_t m = dirmask; m != 0; m &= m - 1)
    {
      int i = __builtin_ctzll (m);
      bool below = (m & (m - 1)) != 0;
      struct stat st;
      if (fstatat (o->layer_fd[i], path, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          if (ovl_is_whiteout (&st))
            break;
          if (found && !S_ISDIR (st.st_mode))
            break;
          if (!found)
            {
              f->st = st;
              f->layer = i;
              found = true;
              if (!S_ISDIR (st.st_mode))
                {
                  f->mask = UINT64_C (1) << i;
                  break;
                }
            }
          f->mask |= UINT64_C (1) << i;
          if (below && is_opaque (o->layer_fd[i], path))
            break;
        }
      else if (errno == ENOENT || errno == ENOTDIR)
        {
          char wh[OVL_PATH_MAX];
          if (below && wh_path (path, wh) == 0 && exists_at (o->layer_fd[i], wh))
            break;
        }
      else
        return -errno;
    }
  if (!found)
    return -ENOENT;
  ovl_merged_nlink (&f->st, f->mask);
  return 0;
}

/* A folder merged from several layers has no true link count (its
 * subfolders are spread over them): 1, as kernel overlayfs says, tells
 * find and fts not to count on it. */
void
ovl_merged_nlink (struct stat *st, uint64_t mask)
{
  if (S_ISDIR (st->st_mode) && (mask & (mask - 1)) != 0)
    st->st_nlink = 1;
}

/* Layer 0 is the upper one only when the union has an upper. */
bool
ovl_is_lower (const struct ovl *o, int layer)
{
  return layer > 0 || !o->has_upper;
}

void
ovl_fix_stat (struct ovl *o, int layer, const char *path, struct stat *st)
{
  ovl_fix_stat_at (o, layer, o->layer_fd[layer], path, st);
}

void
ovl_fix_stat_at (struct ovl *o, int layer, int dirfd, const char *path, struct stat *st)
{
  const char *xattr = o->override_xattr[layer];
  if (xattr != NULL && !S_ISLNK (st->st_mode))
    {
      int fd = openat (dirfd, path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
      char buf[64];
      ssize_t r = fd < 0 ? -1 : fgetxattr (fd, xattr, buf, sizeof buf - 1);
      if (fd >= 0)
        close (fd);
      unsigned uid, gid, mode;
      if (r > 0 && (buf[r] = '\0', sscanf (buf, "%u:%u:%o", &uid, &gid, &mode) == 3))
        {
          st->st_uid = uid;
          st->st_gid = gid;
          st->st_mode = (st->st_mode & S_IFMT) | (mode & 07777);
        }
    }
  if (o->squash && ovl_is_lower (o, layer))
    {
      st->st_uid = o->owner_uid;
      st->st_gid = o->owner_gid;
    }
}

int
ovl_lower_has (struct ovl *o, const char *path, uint64_t dirmask)
{
  struct ovl_found f;
  uint64_t lower = o->has_upper ? dirmask & ~UINT64_C (1) : dirmask;
  return lower != 0 && ovl_resolve (o, path, lower, &f) == 0;
}

int
ovl_whiteout (struct ovl *o, const char *path)
{
  int up = o->layer_fd[0];
  if (!atomic_load ((_Atomic bool *) &o->wh_files))
    {
      if (mknodat (up, path, S_IFCHR | 0, makedev (0, 0)) == 0)
        return 0;
      if (errno != EPERM && errno != EACCES && errno != EOPNOTSUPP)
        return -errno;
      atomic_store ((_Atomic bool *) &o->wh_files, true);
    }
  char wh[OVL_PATH_MAX];
  int r = wh_path (path, wh);
  if (r < 0)
    return r;
  int fd = openat (up, wh, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -errno;
  close (fd);
  return 0;
}

int
ovl_clear_whiteout (struct ovl *o, const char *path, bool *was)
{
  int up = o->layer_fd[0];
  struct stat st;
  *was = false;
  if (fstatat (up, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && ovl_is_whiteout (&st))
    {
      if (unlinkat (up, path, 0) < 0)
        return -errno;
      *was = true;
    }
  char wh[OVL_PATH_MAX];
  if (wh_path (path, wh) == 0 && unlinkat (up, wh, 0) == 0)
    *was = true;
  return 0;
}

int
ovl_set_opaque (struct ovl *o, const char *path)
{
  int fd = openat (o->layer_fd[0], path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int r = 0;
  if (fsetxattr (fd, OVL_XATTR_OPAQUE, "y", 1, 0) < 0)
    {
      int marker = openat (fd, OVL_OPQ_FILE, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (marker < 0)
        r = -errno;
      else
        close (marker);
    }
  close (fd);
  return r;
}

/* Unlink the entries of the upper folder PATH: all of them, or only its
 * whiteouts (the `.wh..wh..opq` marker stays). */
static int
clear_upper_dir (struct ovl *o, const char *path, bool whiteouts_only)
{
  int fd = openat (o->layer_fd[0], path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -errno;
    }
  int r = 0;
  for (struct dirent *e; (e = readdir (d)) != NULL;)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      bool drop = !whiteouts_only;
      if (!drop)
        {
          struct stat st;
          drop = strncmp (e->d_name, OVL_WH_PREFIX, sizeof OVL_WH_PREFIX - 1) == 0
                 && strcmp (e->d_name, OVL_OPQ_FILE) != 0;
          if (!drop && (e->d_type == DT_CHR || e->d_type == DT_UNKNOWN))
            drop = fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && ovl_is_whiteout (&st);
        }
      if (drop && unlinkat (dirfd (d), e->d_name, 0) < 0 && r == 0)
        r = -errno;
    }
  closedir (d);
  return r;
}

int
ovl_empty_upper_dir (struct ovl *o, const char *path)
{
  /* Only markers can be left in a folder the union shows as empty. */
  return clear_upper_dir (o, path, false);
}

/* ---- copy-up ----------------------------------------------------------- */

static bool
internal_xattr (const char *name)
{
  return strncmp (name, "user.", 5) != 0 || strcmp (name, OVL_XATTR_OPAQUE) == 0
         || strcmp (name, OVL_XATTR_KOPAQUE) == 0;
}

static void
copy_xattrs (int src, int dst)
{
  char list[4096];
  ssize_t len = flistxattr (src, list, sizeof list);
  for (ssize_t i = 0; i < len; i += (ssize_t) strlen (list + i) + 1)
    {
      if (internal_xattr (list + i))
        continue;
      char value[4096];
      ssize_t v = fgetxattr (src, list + i, value, sizeof value);
      if (v >= 0)
        (void) fsetxattr (dst, list + i, value, (size_t) v, 0);
    }
}

static int
copy_data (int src, int dst, off_t size)
{
  off_t done = 0;
  bool use_cfr = true;
  while (done < size)
    {
      ssize_t n = -1;
      if (use_cfr)
        {
          n = copy_file_range (src, NULL, dst, NULL, (size_t) (size - done), 0);
          if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
            {
              use_cfr = false;
              continue;
            }
        }
      else
        n = sendfile (dst, src, NULL, (size_t) (size - done));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      if (n == 0)
        break; /* the lower file shrank */
      done += n;
    }
  return 0;
}

static int
copy_up_file (struct ovl *o, int lower, const char *path, const struct stat *st, bool data)
{
  int up = o->layer_fd[0];
  autoclose int src = openat (lower, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0)
    return -errno;
  char tmp[64];
  int where = o->work_fd >= 0 ? o->work_fd : up;
  const char *name = path;
  if (o->work_fd >= 0)
    {
      snprintf (tmp, sizeof tmp, "sbx-copyup.%d.%llu", (int) getpid (),
                (unsigned long long) __atomic_add_fetch (&o->tmp_counter, 1, __ATOMIC_RELAXED));
      name = tmp;
    }
  autoclose int dst = openat (where, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (dst < 0)
    return -errno;
  int r = data ? copy_data (src, dst, st->st_size) : 0;
  if (r == 0)
    {
      copy_xattrs (src, dst);
      struct timespec ts[2] = { st->st_atim, st->st_mtim };
      if (fchmod (dst, st->st_mode & 07777) < 0 || futimens (dst, ts) < 0)
        r = -errno;
    }
  if (r == 0 && o->work_fd >= 0 && renameat (o->work_fd, tmp, up, path) < 0)
    r = -errno;
  if (r < 0)
    unlinkat (where, name, 0);
  return r;
}

static int
copy_up_dir (struct ovl *o, int lower, const char *path, const struct stat *st)
{
  int up = o->layer_fd[0];
  if (mkdirat (up, path, (st->st_mode & 07777) | 0700) < 0 && errno != EEXIST)
    return -errno;
  int src = openat (lower, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int dst = openat (up, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int r = 0;
  if (src >= 0 && dst >= 0)
    {
      copy_xattrs (src, dst);
      struct timespec ts[2] = { st->st_atim, st->st_mtim };
      if (fchmod (dst, st->st_mode & 07777) < 0)
        r = -errno;
      (void) futimens (dst, ts);
    }
  else
    r = -errno;
  if (src >= 0)
    close (src);
  if (dst >= 0)
    close (dst);
  return r;
}

/* Copy PATH of LOWER (described by ST) into the upper layer, whose parent
 * folder exists already; a folder gets only itself, not its content. */
static int
copy_up_path (struct ovl *o, int lower, const char *path, const struct stat *st, bool data)
{
  int up = o->layer_fd[0];
  switch (st->st_mode & S_IFMT)
    {
    case S_IFDIR:
      return copy_up_dir (o, lower, path, st);
    case S_IFREG:
      return copy_up_file (o, lower, path, st, data);
    case S_IFLNK:
      {
        char target[OVL_PATH_MAX];
        ssize_t len = readlinkat (lower, path, target, sizeof target - 1);
        if (len < 0)
          return -errno;
        target[len] = '\0';
        if (symlinkat (target, up, path) < 0)
          return -errno;
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        (void) utimensat (up, path, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
      }
    default:
      return mknodat (up, path, st->st_mode, st->st_rdev) < 0 ? -errno : 0;
    }
}

int
ovl_copy_up (struct ovl *o, struct ovl_node *n, bool data)
{
  if (!o->has_upper)
    return -EROFS;
  if (n->layer == 0)
    return 0;
  if (n->parent != NULL)
    {
      int r = ovl_copy_up (o, n->parent, true);
      if (r < 0)
        return r;
    }
  char path[OVL_PATH_MAX];
  int r = ovl_path (n, NULL, path);
  if (r < 0)
    return r;
  int lower = o->layer_fd[n->layer];
  struct stat st;
  if (fstatat (lower, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -errno;
  if ((r = copy_up_path (o, lower, path, &st, data)) < 0)
    return r;
  if (S_ISDIR (st.st_mode))
    n->mask |= 1;
  else
    n->mask = 1;
  n->layer = 0;
  return 0;
}

/* Copy the content of the merged folder PATH (layers MASK, its upper
 * folder made already) into the upper layer, and point the nodes the
 * kernel holds below NODE (NULL: none) at their upper copies. */
static int
copy_tree (struct ovl *o, struct ovl_node *node, char *path, uint64_t mask)
{
  struct ovl_dir d;
  int r = ovl_list (o, path, mask, &d, NULL);
  if (r < 0)
    return r;
  size_t len = strlen (path);
  for (size_t i = 0; i < d.n && r == 0; i++)
    {
      if (len + 1 + strlen (d.ents[i].name) >= OVL_PATH_MAX)
        {
          r = -ENAMETOOLONG;
          break;
        }
      path[len] = '/';
      strcpy (path + len + 1, d.ents[i].name);
      struct ovl_found f;
      r = ovl_resolve (o, path, mask, &f);
      if (r == 0 && f.layer != 0)
        r = copy_up_path (o, o->layer_fd[f.layer], path, &f.st, true);
      struct ovl_node *child = node == NULL ? NULL : ovl_node_hold (o, node, d.ents[i].name);
      if (r == 0 && S_ISDIR (f.st.st_mode) && (f.mask & ~UINT64_C (1)))
        r = copy_tree (o, child, path, f.mask | 1);
      if (child != NULL)
        {
          if (r == 0)
            {
              child->layer = 0;
              child->mask = 1;
            }
          ovl_node_forget (o, child, 1);
        }
      path[len] = '\0';
    }
  ovl_dir_free (&d);
  /* Everything the lowers showed is in the upper now: they must not show
   * through again under whatever name the folder gets. */
  if (r == 0 && (mask & ~UINT64_C (1)))
    r = ovl_set_opaque (o, path);
  if (r == 0 && (mask & ~UINT64_C (1)))
    r = clear_upper_dir (o, path, true);
  return r;
}

int
ovl_copy_up_tree (struct ovl *o, struct ovl_node *n)
{
  uint64_t mask = n->mask;
  int r = ovl_copy_up (o, n, true);
  if (r < 0 || !S_ISDIR (n->type) || !(mask & ~UINT64_C (1)))
    return r;
  char path[OVL_PATH_MAX];
  if ((r = ovl_path (n, NULL, path)) < 0)
    return r;
  r = copy_tree (o, n, path, mask | 1);
  if (r == 0)
    n->mask = 1;
  return r;
}

/* ---- merged listings --------------------------------------------------- */

struct name_set
{
  char **slots;
  size_t cap, n;
};

static size_t
name_hash (const char *s)
{
  size_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
  return h;
}

/* Adds NAME; false if it was there already (or on allocation failure). */
static bool
set_add (struct name_set *s, char *name)
{
  if (2 * (s->n + 1) > s->cap)
    {
      size_t cap = s->cap ? s->cap * 2 : 64;
      char **slots = calloc (cap, sizeof *slots);
      if (slots == NULL)
        return false;
      for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i] != NULL)
          {
            size_t j = name_hash (s->slots[i]) & (cap - 1);
            while (slots[j] != NULL)
              j = (j + 1) & (cap - 1);
            slots[j] = s->slots[i];
          }
      free (s->slots);
      s->slots = slots;
      s->cap = cap;
    }
  size_t j = name_hash (name) & (s->cap - 1);
  for (; s->slots[j] != NULL; j = (j + 1) & (s->cap - 1))
    if (strcmp (s->slots[j], name) == 0)
      return false;
  s->slots[j] = name;
  s->n++;
  return true;
}

static int
add_entry (struct ovl_dir *d, size_t *cap, const char *name, ino_t ino, unsigned char type)
{
  if (d->n == *cap)
    {
      size_t c = *cap ? *cap * 2 : 32;
      struct ovl_dirent *e = realloc (d->ents, c * sizeof *e);
      if (e == NULL)
        return -ENOMEM;
      d->ents = e;
      *cap = c;
    }
  char *copy = strdup (name);
  if (copy == NULL)
    return -ENOMEM;
  d->ents[d->n++] = (struct ovl_dirent) { copy, ino, type, 0 };
  return 0;
}

/* Folders are read with getdents64 on the open fd: fdopendir would first
 * fstat it and set its flags, three more calls for each folder a walk
 * lists. */
struct dir_reader
{
  int fd;
  size_t pos, len;
  char buf[32768] __attribute__ ((aligned (8)));
};

static struct dirent *
next_entry (struct dir_reader *dr, int *err)
{
  if (dr->pos >= dr->len)
    {
      ssize_t n = getdents64 (dr->fd, dr->buf, sizeof dr->buf);
      if (n <= 0)
        {
          if (n < 0)
            *err = -errno;
          return NULL;
        }
      dr->len = (size_t) n;
      dr->pos = 0;
    }
  struct dirent *e = (struct dirent *) (dr->buf + dr->pos);
  dr->pos += e->d_reclen;
  return e;
}

int
ovl_list (struct ovl *o, const char *path, uint64_t mask, struct ovl_dir *d, int *keep_fd)
{
  if (keep_fd != NULL)
    *keep_fd = -1;
  d->ents = NULL;
  d->n = 0;
  size_t cap = 0;
  bool merge = (mask & (mask - 1)) != 0;
  struct name_set seen = { 0 };
  char **hidden = NULL; /* whiteout names, which the set also points to */
  size_t n_hidden = 0, hidden_start = 0;
  int r = 0;
  for (uint64_t m = mask; m != 0 && r == 0; m &= m - 1)
    {
      int i = __builtin_ctzll (m);
      size_t layer_start = d->n;
      int fd = openat (o->layer_fd[i], path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        continue; /* vanished from a lower: nothing to add */
      struct dir_reader dir = { .fd = fd };
      for (struct dirent *e; r == 0 && (e = next_entry (&dir, &r)) != NULL;)
        {
          const char *name = e->d_name;
          if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
          const char *hide = NULL;
          if (strncmp (name, OVL_WH_PREFIX, sizeof OVL_WH_PREFIX - 1) == 0)
            {
              if (strcmp (name, OVL_OPQ_FILE) == 0)
                continue;
              hide = name + sizeof OVL_WH_PREFIX - 1;
            }
          else if (e->d_type == DT_CHR || e->d_type == DT_UNKNOWN)
            {
              struct stat st;
              if (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                {
                  if (ovl_is_whiteout (&st))
                    hide = name;
                  else if (e->d_type == DT_UNKNOWN)
                    e->d_type = IFTODT (st.st_mode);
                }
            }
          if (hide != NULL)
            {
              if (merge && (m & (m - 1)) != 0)
                {
                  char *h = strdup (hide);
                  char **grown = h == NULL ? NULL : realloc (hidden, (n_hidden + 1) * sizeof *hidden);
                  if (grown == NULL)
                    {
                      free (h);
                      r = -ENOMEM;
                      break;
                    }
                  hidden = grown;
                  hidden[n_hidden++] = h;
                }
              continue;
            }
          if (merge)
            {
              /* Entries of this layer are added to the set after the
               * layer, so that only upper layers hide lower names. */
              bool dup = false;
              size_t j = name_hash (name) & (seen.cap ? seen.cap - 1 : 0);
              for (; seen.cap && seen.slots[j] != NULL; j = (j + 1) & (seen.cap - 1))
                if (strcmp (seen.slots[j], name) == 0)
                  {
                    dup = true;
                    break;
                  }
              if (dup)
                continue;
            }
          r = add_entry (d, &cap, name, e->d_ino, e->d_type);
        }
      if (keep_fd != NULL && !merge && r == 0)
        *keep_fd = fd;
      else
        close (fd);
      if (merge)
        {
          for (size_t k = layer_start; k < d->n; k++)
            set_add (&seen, d->ents[k].name);
          for (; hidden_start < n_hidden; hidden_start++)
            set_add (&seen, hidden[hidden_start]);
        }
    }
  free (seen.slots);
  for (size_t k = 0; k < n_hidden; k++)
    free (hidden[k]);
  free (hidden);
  if (r < 0)
    ovl_dir_free (d);
  return r;
}

void
ovl_dir_free (struct ovl_dir *d)
{
  for (size_t i = 0; i < d->n; i++)
    free (d->ents[i].name);
  free (d->ents);
  d->ents = NULL;
  d->n = 0;
}

/* READDIR offsets from a hash of the name, entries in that order, as ext4
 * does: a reader that resumes at an offset after the folder changed (and
 * its listing was made again) still gets every other entry exactly once.
 * Offsets 1 and 2 are "." and "..". */
static int
cmp_cookie (const void *a, const void *b)
{
  uint64_t x = ((const struct ovl_dirent *) a)->cookie, y = ((const struct ovl_dirent *) b)->cookie;
  return x < y ? -1 : x > y;
}

void
ovl_dir_index (struct ovl_dir *d)
{
  for (size_t i = 0; i < d->n; i++)
    {
      uint64_t h = name_hash (d->ents[i].name) >> 1; /* the kernel's offsets are signed */
      d->ents[i].cookie = h < 3 ? 3 : h;
    }
  if (d->n > 1) /* an empty folder has no array: qsort wants one */
    qsort (d->ents, d->n, sizeof *d->ents, cmp_cookie);
  for (size_t i = 1; i < d->n; i++)
    if (d->ents[i].cookie <= d->ents[i - 1].cookie)
      d->ents[i].cookie = d->ents[i - 1].cookie + 1; /* a collision */
}

/* The index of the first entry after offset COOKIE. */
size_t
ovl_dir_seek (const struct ovl_dir *d, uint64_t cookie)
{
  size_t lo = 0, hi = d->n;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (d->ents[mid].cookie <= cookie)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}
