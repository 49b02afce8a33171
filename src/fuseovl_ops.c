/* The FUSE overlay's low-level operations. Anything that changes names
 * (create, unlink, rename, copy-up) holds the tree lock for writing; the
 * rest reads. File data goes straight between the kernel and the layer
 * file (splice), never through the tree lock. */
#include "fuseovl_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OVL(req) ((struct ovl *) fuse_req_userdata (req))

static void
rd_lock (struct ovl *o)
{
  pthread_rwlock_rdlock (&o->tree);
}

static void
wr_lock (struct ovl *o)
{
  pthread_rwlock_wrlock (&o->tree);
}

static void
unlock (struct ovl *o)
{
  pthread_rwlock_unlock (&o->tree);
}

static bool
live (struct ovl *o, struct ovl_node *n)
{
  return n == o->root || n->hashed;
}

/* Take a kernel reference on NAME's node and describe it in E. */
static int
reply_entry_of (struct ovl *o, struct ovl_node *parent, const char *name, const struct ovl_found *f,
                struct fuse_entry_param *e)
{
  struct ovl_node *n = ovl_node_ref (o, parent, name, f);
  if (n == NULL)
    return -ENOMEM;
  memset (e, 0, sizeof *e);
  e->ino = (fuse_ino_t) (uintptr_t) n;
  e->attr = f->st;
  e->attr.st_ino = n->ino;
  /* Other names of a hard link are other nodes: their attributes must
   * not be cached. */
  e->attr_timeout = S_ISREG (f->st.st_mode) && f->st.st_nlink > 1 ? 0 : o->timeout;
  e->entry_timeout = o->timeout;
  return 0;
}

/* Resolve NAME in PARENT and take a kernel reference on its node. */
static int
do_lookup (struct ovl *o, struct ovl_node *parent, const char *name, struct fuse_entry_param *e)
{
  char path[OVL_PATH_MAX];
  struct ovl_found f;
  int r = ovl_path (parent, name, path);
  if (r == 0)
    r = ovl_resolve (o, path, parent->mask, &f);
  if (r < 0)
    return r;
  ovl_fix_stat (o, f.layer, path, &f.st);
  return reply_entry_of (o, parent, name, &f, e);
}

/* NAME in PARENT, a folder of the one layer LAYER, open there as DIRFD:
 * READDIRPLUS looks its entries up relative to the folder, not by their
 * whole path from the layer's root. The union rules reduce to a whiteout
 * check when no layer lies below. */
static int
lookup_in_layer (struct ovl *o, struct ovl_node *parent, int layer, int dirfd, const char *name,
                 struct fuse_entry_param *e)
{
  struct ovl_found f = { .layer = layer, .mask = UINT64_C (1) << layer };
  if (fstatat (dirfd, name, &f.st, AT_SYMLINK_NOFOLLOW) < 0)
    return -errno;
  if (ovl_is_whiteout (&f.st))
    return -ENOENT;
  ovl_fix_stat_at (o, layer, dirfd, name, &f.st);
  return reply_entry_of (o, parent, name, &f, e);
}

static int
stat_node (struct ovl *o, struct ovl_node *n, struct fuse_file_info *fi, struct stat *st)
{
  char path[OVL_PATH_MAX];
  if (!live (o, n) && fi != NULL)
    {
      if (fstat ((int) fi->fh, st) < 0)
        return -errno;
    }
  else if (!live (o, n) || !ovl_node_lower_stat (o, n, st))
    {
      int r = ovl_path (n, NULL, path);
      if (r < 0)
        return r;
      if (fstatat (o->layer_fd[n->layer], path, st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
      ovl_fix_stat (o, n->layer, path, st);
      ovl_merged_nlink (st, n->mask);
    }
  st->st_ino = n->ino;
  return 0;
}

static void
ovl_init (void *userdata, struct fuse_conn_info *conn)
{
  struct ovl *o = userdata;
  unsigned want = FUSE_CAP_SPLICE_WRITE | FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_CACHE_SYMLINKS
                  | FUSE_CAP_READDIRPLUS | FUSE_CAP_ASYNC_READ | FUSE_CAP_NO_OPENDIR_SUPPORT;
  if (o->has_upper)
    want |= FUSE_CAP_WRITEBACK_CACHE;
  conn->want |= want & conn->capable;
  /* Every change comes through this server, so cached pages stay valid. */
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
  /* A walk stats everything it lists: attributes for every entry, not
   * just the first batch. */
  conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  /* Requests are small but for writes: one read(2) each, not splice and
   * a read from the pipe. */
  conn->want &= ~FUSE_CAP_SPLICE_READ;
  o->writeback = (conn->want & FUSE_CAP_WRITEBACK_CACHE) != 0;
  conn->time_gran = 1;
}

static void
ovl_lookup (fuse_req_t req, fuse_ino_t parent, const char *name)
{
  struct ovl *o = OVL (req);
  struct fuse_entry_param e;
  rd_lock (o);
  int r = do_lookup (o, ovl_node_get (o, parent), name, &e);
  unlock (o);
  if (r == -ENOENT)
    {
      /* A negative entry: the kernel remembers the name is free. */
      memset (&e, 0, sizeof e);
      e.entry_timeout = o->timeout;
      fuse_reply_entry (req, &e);
    }
  else if (r < 0)
    fuse_reply_err (req, -r);
  else
    fuse_reply_entry (req, &e);
}

static void
ovl_forget (fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
  struct ovl *o = OVL (req);
  ovl_node_forget (o, ovl_node_get (o, ino), nlookup);
  fuse_reply_none (req);
}

static void
ovl_forget_multi (fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
  struct ovl *o = OVL (req);
  for (size_t i = 0; i < count; i++)
    ovl_node_forget (o, ovl_node_get (o, forgets[i].ino), forgets[i].nlookup);
  fuse_reply_none (req);
}

static void
ovl_getattr (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct ovl *o = OVL (req);
  struct stat st;
  rd_lock (o);
  int r = stat_node (o, ovl_node_get (o, ino), fi, &st);
  unlock (o);
  if (r < 0)
    fuse_reply_err (req, -r);
  else
    fuse_reply_attr (req, &st, o->timeout);
}

static int
do_setattr (struct ovl *o, struct ovl_node *n, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
  bool truncating = (to_set & FUSE_SET_ATTR_SIZE) && attr->st_size == 0;
  int r = live (o, n) ? ovl_copy_up (o, n, !truncating) : 0;
  if (r < 0)
    return r;
  char path[OVL_PATH_MAX];
  if ((r = ovl_path (n, NULL, path)) < 0)
    return r;
  int up = o->layer_fd[0];
  int fd = fi != NULL ? (int) fi->fh : -1;
  if (to_set & FUSE_SET_ATTR_MODE)
    {
      if ((fd >= 0 ? fchmod (fd, attr->st_mode & 07777) : fchmodat (up, path, attr->st_mode & 07777, 0)) < 0)
        return -errno;
    }
  if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
    {
      uid_t uid = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t) -1;
      gid_t gid = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t) -1;
      if (fchownat (up, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    }
  if (to_set & FUSE_SET_ATTR_SIZE)
    {
      if (fd >= 0)
        r = ftruncate (fd, attr->st_size);
      else
        {
          int t = openat (up, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
          if (t < 0)
            return -errno;
          r = ftruncate (t, attr->st_size);
          close (t);
        }
      if (r < 0)
        return -errno;
    }
  if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))
    {
      struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
      if (to_set & FUSE_SET_ATTR_ATIME_NOW)
        ts[0].tv_nsec = UTIME_NOW;
      else if (to_set & FUSE_SET_ATTR_ATIME)
        ts[0] = attr->st_atim;
      if (to_set & FUSE_SET_ATTR_MTIME_NOW)
        ts[1].tv_nsec = UTIME_NOW;
      else if (to_set & FUSE_SET_ATTR_MTIME)
        ts[1] = attr->st_mtim;
      if ((fd >= 0 ? futimens (fd, ts) : utimensat (up, path, ts, AT_SYMLINK_NOFOLLOW)) < 0)
        return -errno;
    }
  return 0;
}

static void
ovl_setattr (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
  struct ovl *o = OVL (req);
  struct ovl_node *n = ovl_node_get (o, ino);
  struct stat st;
  wr_lock (o);
  int r = do_setattr (o, n, attr, to_set, fi);
  if (r == 0)
    r = stat_node (o, n, fi, &st);
  unlock (o);
  if (r < 0)
    fuse_reply_err (req, -r);
  else
    fuse_reply_attr (req, &st, o->timeout);
}

static void
ovl_readlink (fuse_req_t req, fuse_ino_t ino)
{
  struct ovl *o = OVL (req);
  struct ovl_node *n = ovl_node_get (o, ino);
  char path[OVL_PATH_MAX], target[OVL_PATH_MAX];
  rd_lock (o);
  int r = ovl_path (n, NULL, path);
  ssize_t len = r < 0 ? r : readlinkat (o->layer_fd[n->layer], path, target, sizeof target - 1);
  if (len < 0 && r == 0)
    r = -errno;
  unlock (o);
  if (r < 0)
    fuse_reply_err (req, -r);
  else
    {
      target[len] = '\0';
      fuse_reply_readlink (req, target);
    }
}

/* Make room for a new NAME in PARENT's upper folder; *WAS_WHITEOUT says
 * whether a deleted lower object was hidden there. Unless LOOK, a name in
 * an upper-only folder is not looked at: the caller makes the object
 * exclusively, and only on EEXIST (a whiteout, or a taken name) calls
 * again with LOOK. */
static int
prepare_new (struct ovl *o, struct ovl_node *parent, const char *name, char *path, bool *was_whiteout,
             bool look)
{
  int r = ovl_copy_up (o, parent, true);
  if (r < 0)
    return r;
  if ((r = ovl_path (parent, name, path)) < 0)
    return r;
  *was_whiteout = false;
  if (parent->mask == 1 && !look)
    return 0;
  struct ovl_found f;
  r = ovl_resolve (o, path, parent->mask, &f);
  if (r == 0)
    return -EEXIST;
  if (r != -ENOENT)
    return r;
  return ovl_clear_whiteout (o, path, was_whiteout);
}

/* How a new object is made at PATH in the upper layer: fails with EEXIST
 * when the name is taken. */
struct maker
{
  int (*make) (struct ovl *o, const char *path, struct maker *m);
  mode_t mode;
  dev_t rdev;
  const char *target; /* symlink target, or the linked path */
  int fd;             /* create: the new file */
  int flags;
};

/* Make NAME in PARENT with M, looking at the name again only when the
 * quick way (see prepare_new) found it taken. */
static int
make_new (struct ovl *o, struct ovl_node *parent, const char *name, char *path, bool *was_whiteout,
          struct maker *m)
{
  for (bool look = false;; look = true)
    {
      int r = prepare_new (o, parent, name, path, was_whiteout, look);
      if (r == 0)
        r = m->make (o, path, m);
      if (r != -EEXIST || look || parent->mask != 1)
        return r;
    }
}

static int
make_special (struct ovl *o, const char *path, struct maker *m)
{
  int up = o->layer_fd[0], r;
  if (m->target != NULL)
    r = symlinkat (m->target, up, path);
  else if (S_ISDIR (m->mode))
    r = mkdirat (up, path, m->mode & 07777);
  else
    r = mknodat (up, path, m->mode, m->rdev);
  return r < 0 ? -errno : 0;
}

static int
make_file (struct ovl *o, const char *path, struct maker *m)
{
  m->fd = openat (o->layer_fd[0], path, m->flags | O_CREAT | O_EXCL, m->mode & 07777);
  return m->fd < 0 ? -errno : 0;
}

static int
make_link (struct ovl *o, const char *path, struct maker *m)
{
  return linkat (o->layer_fd[0], m->target, o->layer_fd[0], path, 0) < 0 ? -errno : 0;
}

/* Give the new PATH (open as FD, or -1) to the caller's ids and describe
 * it in E. */
static int
finish_new (fuse_req_t req, struct ovl *o, struct ovl_node *parent, const char *name, const char *path, int fd,
            struct fuse_entry_param *e)
{
  const struct fuse_ctx *ctx = fuse_req_ctx (req);
  int up = o->layer_fd[0];
  if (ctx->uid != o->self_uid || ctx->gid != o->self_gid)
    (void) (fd >= 0 ? fchown (fd, ctx->uid, ctx->gid) : fchownat (up, path, ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW));
  struct ovl_found f = { .layer = 0, .mask = 1 };
  if ((fd >= 0 ? fstat (fd, &f.st) : fstatat (up, path, &f.st, AT_SYMLINK_NOFOLLOW)) < 0)
    return -errno;
  ovl_fix_stat (o, 0, path, &f.st);
  return reply_entry_of (o, parent, name, &f, e);
}

static void
make_node (fuse_req_t req, fuse_ino_t parent_ino, const char *name, mode_t mode, dev_t rdev,
           const char *link)
{
  struct ovl *o = OVL (req);
  struct ovl_node *parent = ovl_node_get (o, parent_ino);
  char path[OVL_PATH_MAX];
  bool was = false;
  struct fuse_entry_param e;
  wr_lock (o);
  struct maker m = { .make = make_special, .mode = mode, .rdev = rdev, .target = link };
  int r = make_new (o, parent, name, path, &was, &m);
  if (r == 0)
    {
      /* A folder made where a deleted one was must not show its files. */
      if (S_ISDIR (mode) && was)
        r = ovl_set_opaque (o, path);
      if (r == 0)
        r = finish_new (req, o, parent, name, path, -1, &e);
    }
  unlock (o);
  if (r < 0)
    fuse_reply_err (req, -r);
  else
    fuse_reply_entry (req, &e);
}

static void
ovl_mknod (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
  make_node (req, parent, name, mode, rdev, NULL);
}

static void
ovl_mkdir (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
  make_node (req, parent, name, S_IFDIR | mode, 0, NULL);
}

static void
ovl_symlink (fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
  make_node (req, parent, name, S_IFLNK | 0777, 0, link);
}

static int
open_flags (struct ovl *o, int flags)
{
  flags &= ~(O_CREAT | O_EXCL | O_NOCTTY);
  /* With the writeback cache the kernel reads pages of files opened
   * write-only and does appends itself. */
  if (o->writeback)
    {
      if ((flags & O_ACCMODE) == O_WRONLY)
        flags = (flags & ~O_ACCMODE) | O_RDWR;
      flags &= ~O_APPEND;
    }
  return flags | O_CLOEXEC | O_NOFOLLOW;
}

static void
ovl_create (fuse_req_t req, fuse_ino_t parent_ino, const char *name, mode_t mode, struct fuse_file_info *fi)
{
  struct ovl *o = OVL (req);
  struct ovl_node *parent = ovl_node_get (o, parent_ino);
  char path[OVL_PATH_MAX];
  bool was;
  struct fuse_entry_param e;
  int fd = -1;
  wr_lock (o);
  struct maker m = { .make = make_file, .mode = mode, .flags = open_flags (o, fi->flags), .fd = -1 };
  int r = make_new (o, parent, name, path, &was, &m);
  fd = m.fd;
  if (r == 0)
    r = finish_new (req, o, parent, name, path, fd, &e);
  unlock (o);
  if (r < 0)
    {
      if (fd >= 0)
        close (fd);
      fuse_reply_err (req, -r);
      return;
    }
  fi->fh = (uint64_t) fd;
  fi->keep_cache = 1;
  /* No locks are kept here and writes are not buffered: close needs no
   * round trip. */
  fi->noflush = 1;
  if (fuse_reply_create (req, &e, fi) != 0)
    close (fd);
}

static void
ovl_open (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  struct ovl *o = OVL (req);
  struct ovl_node *n = ovl_node_get (o, ino);
  bool write = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
  char path[OVL_PATH_MAX];
  int fd = -1, r;
  if (write)
    wr_lock (o);
  else
    rd_lock (o);
  r = write ? ovl_copy_up (o, n, !(fi->flags & O_TRUNC)) : 0;
  if (r == 0)
    r = ovl_path (n, NULL, path);
  if (r == 0)
    {
      fd = openat (o->layer_fd[n->layer], path, open_flags (o, fi->flags));
      if (fd < 0)
        r = -errno;
    }
  unlock (o);
  if (r < 0)
    {
      fuse_reply_err (req, -r);
      return;
    }
  fi->fh = (uint64_t) fd;
  struct stat st;
  fi->keep_cache = fstat (fd, &st) == 0 && st.st_nlink <= 1;
  fi->noflush = 1;
  if (fuse_reply_open (req, fi) != 0)
    close (fd);
}

static void
ovl_read (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
  (void) ino;
  struct fuse_bufvec buf = FUSE_BUFVEC_INIT (size);
  buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  buf.buf[0].fd = (int) fi->fh;
  buf.buf[0].pos = off;
  fuse_reply_data (req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void
ovl_write_buf (fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off, struct fuse_file_info *fi)
{
  (void) ino;
  struct fuse_bufvec out = FUSE_BUFVEC_INIT (fuse_buf_size (in));
  out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
  out.buf[0].fd = (int) fi->fh;
  out.buf[0].pos = off;
  ssize_t r = fuse_buf_copy (&out, in, 0);
  if (r < 0)
    fuse_reply_err (req, (int) -r);
  else
    fuse_reply_write (req, (size_t) r);
}

static void
ovl_release (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  (void) ino;
  close ((int) fi->fh);
  fuse_reply_err (req, 0);
}

static void
ovl_fsync (fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
  (void) ino;
  int r = datasync ? fdatasync ((int) fi->fh) : fsync ((int) fi->fh);
  fuse_reply_err (req, r < 0 ? errno : 0);
}

/* unlink and rmdir: remove the upper object, and leave a whiteout where
 * a lower one would show through. */
static void
do_remove (fuse_req_t req, fuse_ino_t parent_ino, const char *name, bool dir)
{
  struct ovl *o = OVL (req);
  struct ovl_node *parent = ovl_node_get (o, parent_ino);
  char path[OVL_PATH_MAX];
  struct ovl_found f;
  wr_lock (o);
  int r = ovl_path (parent, name, path);
  if (r == 0)
    r = ovl_resolve (o, path, parent->mask, &f);
  if (r == 0 && S_ISDIR (f.st.st_mode) != dir)
    r = dir ? -ENOTDIR : -EISDIR;
  if (r == 0 && dir)
    {
      struct ovl_dir d = { 0 };
      r = ovl_list (o, path, f.mask, &d, NULL);
      if (r == 0 && d.n > 0)
        r = -ENOTEMPTY;
      ovl_dir_free (&d);
    }
  if (r == 0)
    r = ovl_copy_up (o, parent, true);
  if (r == 0 && (f.mask & 1) && o->has_upper)
    {
      if (dir)
        r = ovl_empty_upper_dir (o, path);
      if (r == 0 && unlinkat (o->layer_fd[0], path, dir ? AT_REMOVEDIR : 0) < 0)
        r = -errno;
    }
  if (r == 0 && ovl_lower_has (o, path, parent->mask))
    r = ovl_whiteout (o, path);
  if (r == 0)
    ovl_node_unhash (o, parent, name);
  unlock (o);
  fuse_reply_err (req, -r);
}

static void
ovl_unlink (fuse_req_t req, fuse_ino_t parent, const char *name)
{
  do_remove (req, parent, name, false);
}

static void
ovl_rmdir (fuse_req_t req, fuse_ino_t parent, const char *name)
{
  do_remove (req, parent, name, true);
}

/* Bring N into the upper layer so that it can move there. A folder with
 * lower content comes whole: fuse-overlayfs's format has no redirects, so
 * a renamed folder must carry everything it shows. */
static int
copy_up_to_move (struct ovl *o, struct ovl_node *n)
{
  return S_ISDIR (n->type) && (n->mask & ~UINT64_C (1)) ? ovl_copy_up_tree (o, n) : ovl_copy_up (o, n, true);
}

/* A folder now named PATH in PARENT must hide a lower folder of that name. */
static int
hide_lower_at (struct ovl *o, struct ovl_node *parent, const char *path, mode_t type, bool was_whiteout)
{
  if (S_ISDIR (type) && (was_whiteout || ovl_lower_has (o, path, parent->mask)))
    return ovl_set_opaque (o, path);
  return 0;
}

static int
do_exchange (struct ovl *o, struct ovl_node *parent, const char *name, const char *src, const struct ovl_found *fs,
             struct ovl_node *newparent, const char *newname, const char *dst)
{
  struct ovl_found fd;
  int r = ovl_resolve (o, dst, newparent->mask, &fd);
  if (r < 0)
    return r;
  struct ovl_node *a = ovl_node_ref (o, parent, name, fs);
  struct ovl_node *b = a == NULL ? NULL : ovl_node_ref (o, newparent, newname, &fd);
  if (b == NULL)
    {
      if (a != NULL)
        ovl_node_forget (o, a, 1);
      return -ENOMEM;
    }
  /* The exchange swaps the names the nodes go by: those given here. */
  ovl_node_rename_to (o, a, parent, name);
  ovl_node_rename_to (o, b, newparent, newname);
  r = copy_up_to_move (o, a);
  if (r == 0)
    r = copy_up_to_move (o, b);
  if (r == 0 && renameat2 (o->layer_fd[0], src, o->layer_fd[0], dst, RENAME_EXCHANGE) < 0)
    r = -errno;
  if (r == 0)
    {
      ovl_node_exchange (o, a, b);
      r = hide_lower_at (o, newparent, dst, a->type, false);
      if (r == 0)
        r = hide_lower_at (o, parent, src, b->type, false);
    }
  ovl_node_forget (o, a, 1);
  ovl_node_forget (o, b, 1);
  return r;
}

static int
do_rename (struct ovl *o, struct ovl_node *parent, const char *name, struct ovl_node *newparent,
           const char *newname, unsigned flags)
{
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
    return -EINVAL;
  if (!o->has_upper)
    return -EROFS;
  char src[OVL_PATH_MAX], dst[OVL_PATH_MAX];
  struct ovl_found fs, fd;
  int r = ovl_path (parent, name, src);
  if (r == 0)
    r = ovl_path (newparent, newname, dst);
  if (r == 0)
    r = ovl_resolve (o, src, parent->mask, &fs);
  if (r < 0)
    return r;
  if (strcmp (src, dst) == 0)
    return 0;
  if (flags & RENAME_EXCHANGE)
    return do_exchange (o, parent, name, src, &fs, newparent, newname, dst);
  bool src_dir = S_ISDIR (fs.st.st_mode);
  r = ovl_resolve (o, dst, newparent->mask, &fd);
  bool dst_exists = r == 0;
  if (r < 0 && r != -ENOENT)
    return r;
  if (dst_exists)
    {
      if (flags & RENAME_NOREPLACE)
        return -EEXIST;
      if (S_ISDIR (fd.st.st_mode))
        {
          if (!src_dir)
            return -EISDIR;
          struct ovl_dir d;
          if ((r = ovl_list (o, dst, fd.mask, &d, NULL)) < 0)
            return r;
          bool empty = d.n == 0;
          ovl_dir_free (&d);
          if (!empty)
            return -ENOTEMPTY;
        }
      else if (src_dir)
        return -ENOTDIR;
    }
  struct ovl_node *n = ovl_node_ref (o, parent, name, &fs);
  if (n == NULL)
    return -ENOMEM;
  r = copy_up_to_move (o, n);
  if (r == 0)
    r = ovl_copy_up (o, newparent, true);
  bool was = false;
  if (r == 0 && dst_exists && S_ISDIR (fd.st.st_mode) && (fd.mask & 1))
    r = ovl_empty_upper_dir (o, dst);
  if (r == 0 && !(dst_exists && fd.layer == 0))
    r = ovl_clear_whiteout (o, dst, &was);
  if (r == 0 && renameat (o->layer_fd[0], src, o->layer_fd[0], dst) < 0)
    r = -errno;
  if (r == 0)
    r = hide_lower_at (o, newparent, dst, n->type, was);
  if (r == 0 && ovl_lower_has (o, src, parent->mask))
    r = ovl_whiteout (o, src);
  if (r == 0)
    ovl_node_move (o, n, newparent, newname);
  ovl_node_forget (o, n, 1);
  return r;
}

static void
ovl_rename (fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
            unsigned int flags)
{
  struct ovl *o = OVL (req);
  wr_lock (o);
  int r = do_rename (o, ovl_node_get (o, parent), name, ovl_node_get (o, newparent), newname, flags);
  unlock (o);
  fuse_reply_err (req, -r);
}

static void
ovl_link (fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent_ino, const char *newname)
{
  struct ovl *o = OVL (req);
  struct ovl_node *n = ovl_node_get (o, ino);
  struct ovl_node *newparent = ovl_node_get (o, newparent_ino);
  char old[OVL_PATH_MAX], path[OVL_PATH_MAX];
  bool was;
  struct fuse_entry_param e;
  wr_lock (o);
  int r = ovl_copy_up (o, n, true);
  if (r == 0)
    r = ovl_path (n, NULL, old);
  struct maker m = { .make = make_link, .target = old };
  if (r == 0)
    r = make_new (o, newparent, newname, path, &was, &m);
  struct stat st, linked;
  if (r == 0)
    r = stat_node (o, n, NULL, &st);
  if (r == 0 && fstatat (o->layer_fd[0], path, &linked, AT_SYMLINK_NOFOLLOW) < 0)
    r = -errno;
  if (r == 0)
    {
      /* The kernel's inode for the new name is the linked one, so both
       * names share their cached pages and attributes; the node keeps
       * the new name, to go by it if its own goes. */
      ovl_node_alias (o, n, newparent, newname, linked.st_ino);
      memset (&e, 0, sizeof e);
      e.ino = (fuse_ino_t) (uintptr_t) n;
      e.attr = st;
      e.entry_timeout = o->timeout;
    }
  unlock (o);
  if (r < 0)
    fuse_reply_err (req, -r);
  else
    fuse_reply_entry (req, &e);
}

/* There is no OPENDIR (the kernel then caches listings across opens, and
 * a walk costs no open and release round trips): the listing is made at
 * offset 0 and kept in the node until the reader reaches the end. A new
 * listing of a folder of one layer leaves that folder open in *FD (-1
 * otherwise), for looking its entries up. */
static struct ovl_listing *
listing_at (struct ovl *o, struct ovl_node *dir, off_t off, int *err, int *fd)
{
  *fd = -1;
  struct ovl_listing *l = off == 0 ? NULL : ovl_listing_take (o, dir);
  if (l != NULL)
    return l;
  if ((l = calloc (1, sizeof *l)) == NULL)
    {
      *err = ENOMEM;
      return NULL;
    }
  l->refs = 1;
  char path[OVL_PATH_MAX];
  rd_lock (o);
  int r = ovl_path (dir, NULL, path);
  if (r == 0)
    r = ovl_list (o, path, dir->mask, &l->d, fd);
  unlock (o);
  if (r == 0)
    ovl_dir_index (&l->d);
  if (r < 0)
    {
      free (l);
      *err = -r;
      return NULL;
    }
  ovl_listing_keep (o, dir, l);
  return l;
}

static void
do_readdir (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
  struct ovl *o = OVL (req);
  struct ovl_node *dir = ovl_node_get (o, ino);
  int err = 0, dirfd = -1;
  struct ovl_listing *l = listing_at (o, dir, off, &err, &dirfd);
  char *buf = l == NULL ? NULL : malloc (size);
  if (buf == NULL)
    {
      if (dirfd >= 0)
        close (dirfd);
      if (l != NULL)
        ovl_listing_put (o, l);
      fuse_reply_err (req, l == NULL ? err : ENOMEM);
      return;
    }
  const struct ovl_dir *d = &l->d;
  size_t used = 0;
  /* "." and ".." at offsets 1 and 2, then the entries by offset. */
  size_t first = off < 2 ? (size_t) off : 2 + ovl_dir_seek (d, (uint64_t) off);
  int layer = -1;
  if (plus)
    {
      rd_lock (o);
      char path[OVL_PATH_MAX];
      if (dir->mask != 0 && (dir->mask & (dir->mask - 1)) == 0)
        {
          layer = __builtin_ctzll (dir->mask);
          /* Looking entries up relative to the folder, not by their whole
           * path from the layer's root; the end of a listing needs none. */
          if (dirfd < 0 && first < d->n + 2 && ovl_path (dir, NULL, path) == 0)
            dirfd = openat (o->layer_fd[layer], path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
    }
  for (size_t i = first; i < d->n + 2; i++)
    {
      const struct ovl_dirent *ent = i < 2 ? NULL : &d->ents[i - 2];
      const char *name = ent == NULL ? (i == 0 ? "." : "..") : ent->name;
      struct stat st = { .st_ino = ent == NULL ? dir->ino : ent->ino,
                         .st_mode = (mode_t) (ent == NULL ? DT_DIR : ent->type) << 12 };
      off_t next = ent == NULL ? (off_t) i + 1 : (off_t) ent->cookie;
      size_t len;
      if (plus)
        {
          struct fuse_entry_param e = { .attr = st };
          bool looked = ent != NULL
                        && (dirfd >= 0 ? lookup_in_layer (o, dir, layer, dirfd, name, &e)
                                       : do_lookup (o, dir, name, &e))
                             == 0;
          len = fuse_add_direntry_plus (req, buf + used, size - used, name, &e, next);
          if (len > size - used && looked)
            ovl_node_forget (o, ovl_node_get (o, e.ino), 1);
        }
      else
        len = fuse_add_direntry (req, buf + used, size - used, name, &st, next);
      if (len > size - used)
        break;
      used += len;
    }
  if (dirfd >= 0)
    close (dirfd);
  if (plus)
    unlock (o);
  if (used == 0)
    ovl_listing_drop (o, dir, l);
  ovl_listing_put (o, l);
  fuse_reply_buf (req, buf, used);
  free (buf);
}

static void
ovl_opendir (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
  (void) ino;
  (void) fi;
  /* The kernel stops asking (FUSE_CAP_NO_OPENDIR_SUPPORT). */
  fuse_reply_err (req, ENOSYS);
}

static void
ovl_readdir (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
  (void) fi;
  do_readdir (req, ino, size, off, false);
}

static void
ovl_readdirplus (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
  (void) fi;
  do_readdir (req, ino, size, off, true);
}

static void
ovl_fsyncdir (fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
  (void) ino;
  (void) datasync;
  (void) fi;
  fuse_reply_err (req, 0);
}

static void
ovl_statfs (fuse_req_t req, fuse_ino_t ino)
{
  (void) ino;
  struct ovl *o = OVL (req);
  struct statvfs sv;
  if (fstatvfs (o->layer_fd[0], &sv) < 0)
    fuse_reply_err (req, errno);
  else
    fuse_reply_statfs (req, &sv);
}

/* The union's own markers are not the files' attributes. */
static bool
hidden_xattr (const char *name)
{
  return strcmp (name, OVL_XATTR_OPAQUE) == 0 || strcmp (name, OVL_XATTR_KOPAQUE) == 0
         || strcmp (name, OVL_XATTR_OVERRIDE) == 0 || strcmp (name, OVL_XATTR_COVERRIDE) == 0
         || strncmp (name, "trusted.overlay.", 16) == 0;
}

/* An fd on N's topmost file for the xattr calls; symlinks have none. */
static int
open_for_xattr (struct ovl *o, struct ovl_node *n)
{
  char path[OVL_PATH_MAX];
  int r = ovl_path (n, NULL, path);
  if (r < 0)
    return r;
  int fd = openat (o->layer_fd[n->layer], path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ELOOP || errno == ENXIO ? -ENODATA : -errno;
  return fd;
}

static void
reply_xattr_result (fuse_req_t req, ssize_t r, const char *buf, size_t size)
{
  if (r < 0)
    fuse_reply_err (req, (int) -r);
  else if (size == 0)
    fuse_reply_xattr (req, (size_t) r);
  else
    fuse_reply_buf (req, buf, (size_t) r);
}

static void
ovl_getxattr (fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
  struct ovl *o = OVL (req);
  /* Asked on every write; sandboxes run with no_new_privs, where file
   * capabilities do nothing. */
  if (hidden_xattr (name) || strcmp (name, "security.capability") == 0)
    {
      fuse_reply_err (req, ENODATA);
      return;
    }
  char *buf = size ? malloc (size) : NULL;
  rd_lock (o);
  ssize_t r = open_for_xattr (o, ovl_node_get (o, ino));
  unlock (o);
  if (r >= 0)
    {
      int fd = (int) r;
      r = fgetxattr (fd, name, buf, size);
      if (r < 0)
        r = -errno;
      close (fd);
    }
  reply_xattr_result (req, r, buf, size);
  free (buf);
}

static void
ovl_listxattr (fuse_req_t req, fuse_ino_t ino, size_t size)
{
  struct ovl *o = OVL (req);
  char list[65536], out[65536];
  rd_lock (o);
  ssize_t r = open_for_xattr (o, ovl_node_get (o, ino));
  unlock (o);
  if (r == -ENODATA)
    r = 0;
  else if (r >= 0)
    {
      int fd = (int) r;
      r = flistxattr (fd, list, sizeof list);
      if (r < 0)
        r = -errno;
      close (fd);
    }
  size_t used = 0;
  for (ssize_t i = 0; i < r; i += (ssize_t) strlen (list + i) + 1)
    if (!hidden_xattr (list + i))
      {
        size_t len = strlen (list + i) + 1;
        memcpy (out + used, list + i, len);
        used += len;
      }
  if (r >= 0)
    r = size != 0 && used > size ? -ERANGE : (ssize_t) used;
  reply_xattr_result (req, r, out, size);
}

static void
change_xattr (fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags,
              bool remove)
{
  struct ovl *o = OVL (req);
  if (hidden_xattr (name))
    {
      fuse_reply_err (req, EPERM);
      return;
    }
  struct ovl_node *n = ovl_node_get (o, ino);
  wr_lock (o);
  int r = ovl_copy_up (o, n, true);
  if (r == 0)
    r = open_for_xattr (o, n);
  unlock (o);
  if (r >= 0)
    {
      int fd = r;
      r = remove ? fremovexattr (fd, name) : fsetxattr (fd, name, value, size, flags);
      if (r < 0)
        r = -errno;
      close (fd);
    }
  if (r == -ENODATA && !remove)
    r = -ENOTSUP;
  fuse_reply_err (req, -r);
}

static void
ovl_setxattr (fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags)
{
  change_xattr (req, ino, name, value, size, flags, false);
}

static void
ovl_removexattr (fuse_req_t req, fuse_ino_t ino, const char *name)
{
  change_xattr (req, ino, name, NULL, 0, 0, true);
}

const struct fuse_lowlevel_ops ovl_ops = {
  .init = ovl_init,
  .lookup = ovl_lookup,
  .forget = ovl_forget,
  .forget_multi = ovl_forget_multi,
  .getattr = ovl_getattr,
  .setattr = ovl_setattr,
  .readlink = ovl_readlink,
  .mknod = ovl_mknod,
  .mkdir = ovl_mkdir,
  .symlink = ovl_symlink,
  .unlink = ovl_unlink,
  .rmdir = ovl_rmdir,
  .rename = ovl_rename,
  .link = ovl_link,
  .create = ovl_create,
  .open = ovl_open,
  .read = ovl_read,
  .write_buf = ovl_write_buf,
  .release = ovl_release,
  .fsync = ovl_fsync,
  .opendir = ovl_opendir,
  .readdir = ovl_readdir,
  .readdirplus = ovl_readdirplus,
  .fsyncdir = ovl_fsyncdir,
  .statfs = ovl_statfs,
  .getxattr = ovl_getxattr,
  .listxattr = ovl_listxattr,
  .setxattr = ovl_setxattr,
  .removexattr = ovl_removexattr,
};
