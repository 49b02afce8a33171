/* Inside the FUSE overlay server: the layers, the node tree the kernel's
 * inode numbers point into, and the union rules (lookup through the layers,
 * whiteouts, opaque folders, copy-up). Only fuseovl*.c include this. */
#ifndef SBX_FUSEOVL_IMPL_H
#define SBX_FUSEOVL_IMPL_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Layer 0 is the upper layer when there is one; lowers follow, top first.
 * Layer sets are bit masks, so a stack has at most 63 layers. */
#define OVL_MAX_LAYERS 63
#define OVL_PATH_MAX 4096

/* fuse-overlayfs's on-disk format. */
#define OVL_WH_PREFIX ".wh."
#define OVL_OPQ_FILE ".wh..wh..opq"
#define OVL_XATTR_OPAQUE "user.fuseoverlayfs.opaque"
#define OVL_XATTR_KOPAQUE "user.overlay.opaque"
#define OVL_XATTR_OVERRIDE "user.fuseoverlayfs.override_stat"
#define OVL_XATTR_COVERRIDE "user.containers.override_stat"

/* Another name of a node's file (see ovl_node_ref). */
struct ovl_alias
{
  struct ovl_node *parent; /* holds a child reference on it */
  char *name;
  struct ovl_alias *next;
};

struct ovl_node
{
  struct ovl_node *parent;
  struct ovl_node *hnext; /* hash chain of (parent, name) */
  char *name;
  uint64_t nlookup;       /* the kernel's references */
  uint64_t children;      /* live child nodes: they keep this one alive */
  uint64_t mask;          /* folders: every layer that contributes */
  ino_t ino;              /* stable across copy-up */
  int layer;              /* topmost layer holding the object */
  mode_t type;            /* S_IFMT bits */
  bool hashed;            /* false once unlinked or replaced */
  struct ovl_listing *listing; /* folders: what READDIR is reading */
  /* A lower folder's or symlink's attributes as last found. The kernel
   * asks for them again after every listing or READLINK (to refresh
   * atime): a lower does not change under a mounted union, so the
   * answer needs no system call. NULL once copied up. */
  struct stat *lower_st;
  /* An upper file with several names is one node, so that the kernel
   * has one inode, one page cache and one size for it: the node goes by
   * one of the names, and keeps the others the kernel learnt as aliases,
   * to go by one of them when its own name goes. */
  bool shared;
  ino_t upper_ino;
  struct ovl_alias *aliases;
  struct ovl_node *snext; /* the list of shared nodes */
};

struct ovl
{
  int layer_fd[OVL_MAX_LAYERS];
  const char *override_xattr[OVL_MAX_LAYERS]; /* NULL: layer has no overrides */
  int n_layers;
  bool has_upper;
  int work_fd;            /* -1: copy up in place */
  bool squash;
  uid_t owner_uid;
  gid_t owner_gid;
  uid_t self_uid;         /* the server's own ids, for new files */
  gid_t self_gid;
  bool writeback;
  double timeout;

  pthread_rwlock_t tree;  /* write-held by anything that changes names */
  pthread_mutex_t table;  /* node table and reference counts */
  struct ovl_node *root;
  struct ovl_node **buckets;
  struct ovl_node *shared; /* nodes of upper files with several names */
  size_t n_buckets, n_nodes;
  bool wh_files;          /* mknod refused once: write .wh. files */
  uint64_t tmp_counter;
};

/* What a name resolves to in the union. */
struct ovl_found
{
  struct stat st;
  int layer;
  uint64_t mask; /* folders: the contributing layers */
};

/* fuseovl_layers.c */
int ovl_path (struct ovl_node *n, const char *name, char *buf);
int ovl_resolve (struct ovl *o, const char *path, uint64_t dirmask, struct ovl_found *f);
void ovl_fix_stat (struct ovl *o, int layer, const char *path, struct stat *st);
void ovl_fix_stat_at (struct ovl *o, int layer, int dirfd, const char *path, struct stat *st);
bool ovl_is_lower (const struct ovl *o, int layer);
void ovl_merged_nlink (struct stat *st, uint64_t mask);
bool ovl_is_whiteout (const struct stat *st);
int ovl_lower_has (struct ovl *o, const char *path, uint64_t dirmask);
int ovl_copy_up (struct ovl *o, struct ovl_node *n, bool data);
int ovl_copy_up_tree (struct ovl *o, struct ovl_node *n);
int ovl_whiteout (struct ovl *o, const char *path);
int ovl_clear_whiteout (struct ovl *o, const char *path, bool *was);
int ovl_set_opaque (struct ovl *o, const char *path);
int ovl_empty_upper_dir (struct ovl *o, const char *path);

/* A merged folder listing. */
struct ovl_dirent
{
  char *name;
  ino_t ino;
  unsigned char type;
  uint64_t cookie; /* READDIR offset, once ovl_dir_index ran */
};
struct ovl_dir
{
  struct ovl_dirent *ents;
  size_t n;
};
int ovl_list (struct ovl *o, const char *path, uint64_t mask, struct ovl_dir *d, int *keep_fd);
void ovl_dir_free (struct ovl_dir *d);
void ovl_dir_index (struct ovl_dir *d);
size_t ovl_dir_seek (const struct ovl_dir *d, uint64_t cookie);

/* A folder's listing shared by the READDIR calls that read it through:
 * there is no OPENDIR to hold it (the kernel caches listings itself). */
struct ovl_listing
{
  struct ovl_dir d;
  unsigned refs;
};

/* fuseovl_nodes.c */
struct ovl_node *ovl_node_get (struct ovl *o, fuse_ino_t ino);
struct ovl_node *ovl_node_ref (struct ovl *o, struct ovl_node *parent, const char *name,
                               const struct ovl_found *f);
struct ovl_node *ovl_node_hold (struct ovl *o, struct ovl_node *parent, const char *name);
bool ovl_node_lower_stat (struct ovl *o, struct ovl_node *n, struct stat *st);
void ovl_node_forget (struct ovl *o, struct ovl_node *n, uint64_t count);
void ovl_node_unhash (struct ovl *o, struct ovl_node *parent, const char *name);
void ovl_node_move (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name);
void ovl_node_exchange (struct ovl *o, struct ovl_node *a, struct ovl_node *b);
void ovl_node_alias (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name, ino_t upper_ino);
void ovl_node_rename_to (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name);
struct ovl_listing *ovl_listing_take (struct ovl *o, struct ovl_node *n);
void ovl_listing_keep (struct ovl *o, struct ovl_node *n, struct ovl_listing *l);
void ovl_listing_drop (struct ovl *o, struct ovl_node *n, struct ovl_listing *l);
void ovl_listing_put (struct ovl *o, struct ovl_listing *l);
int ovl_nodes_init (struct ovl *o, const struct stat *root_st, uint64_t root_mask);

/* fuseovl_ops.c */
extern const struct fuse_lowlevel_ops ovl_ops;

#endif
