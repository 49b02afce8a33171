/* The node table of the FUSE overlay: one node per name the kernel holds,
 * found again by (parent, name), so that a rename moves a whole subtree by
 * changing one node. A node lives while the kernel remembers it or a child
 * node points to it. */
#include "fuseovl_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static size_t
hash_of (const struct ovl_node *parent, const char *name)
{
  size_t h = (size_t) (uintptr_t) parent * 0x9e3779b97f4a7c15ULL;
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  return h;
}

static void
table_grow (struct ovl *o)
{
  size_t n = o->n_buckets * 2;
  struct ovl_node **b = calloc (n, sizeof *b);
  if (b == NULL)
    return; /* longer chains, still correct */
  for (size_t i = 0; i < o->n_buckets; i++)
    for (struct ovl_node *x = o->buckets[i], *next; x != NULL; x = next)
      {
        next = x->hnext;
        size_t h = hash_of (x->parent, x->name) & (n - 1);
        x->hnext = b[h];
        b[h] = x;
      }
  free (o->buckets);
  o->buckets = b;
  o->n_buckets = n;
}

static void
hash_insert (struct ovl *o, struct ovl_node *n)
{
  if (o->n_nodes >= o->n_buckets)
    table_grow (o);
  size_t h = hash_of (n->parent, n->name) & (o->n_buckets - 1);
  n->hnext = o->buckets[h];
  o->buckets[h] = n;
  n->hashed = true;
  o->n_nodes++;
}

static void
hash_remove (struct ovl *o, struct ovl_node *n)
{
  if (!n->hashed)
    return;
  size_t h = hash_of (n->parent, n->name) & (o->n_buckets - 1);
  for (struct ovl_node **pp = &o->buckets[h]; *pp != NULL; pp = &(*pp)->hnext)
    if (*pp == n)
      {
        *pp = n->hnext;
        break;
      }
  n->hashed = false;
  o->n_nodes--;
}

static struct ovl_node *
lookup_locked (struct ovl *o, struct ovl_node *parent, const char *name)
{
  size_t h = hash_of (parent, name) & (o->n_buckets - 1);
  for (struct ovl_node *x = o->buckets[h]; x != NULL; x = x->hnext)
    if (x->parent == parent && strcmp (x->name, name) == 0)
      return x;
  return NULL;
}

int
ovl_nodes_init (struct ovl *o, const struct stat *root_st, uint64_t root_mask)
{
  o->n_buckets = 4096;
  o->buckets = calloc (o->n_buckets, sizeof *o->buckets);
  o->root = calloc (1, sizeof *o->root);
  if (o->buckets == NULL || o->root == NULL)
    return -ENOMEM;
  o->root->name = strdup ("");
  o->root->nlookup = 1;
  o->root->mask = root_mask;
  o->root->ino = root_st->st_ino;
  o->root->layer = __builtin_ctzll (root_mask);
  o->root->type = S_IFDIR;
  return o->root->name == NULL ? -ENOMEM : 0;
}

struct ovl_node *
ovl_node_get (struct ovl *o, fuse_ino_t ino)
{
  return ino == FUSE_ROOT_ID ? o->root : (struct ovl_node *) (uintptr_t) ino;
}

/* The node of NAME in PARENT, if the kernel holds one, with a reference
 * (dropped with ovl_node_forget) that keeps a concurrent FORGET from
 * freeing it. */
struct ovl_node *
ovl_node_hold (struct ovl *o, struct ovl_node *parent, const char *name)
{
  pthread_mutex_lock (&o->table);
  struct ovl_node *n = lookup_locked (o, parent, name);
  if (n != NULL)
    n->nlookup++;
  pthread_mutex_unlock (&o->table);
  return n;
}

static bool
named (const struct ovl_node *n, const struct ovl_node *parent, const char *name)
{
  return n->parent == parent && strcmp (n->name, name) == 0;
}

/* Keep NAME in PARENT among N's aliases: also its own name, which N is
 * about to change (the name renamed may have been another one). */
static struct ovl_alias **
alias_find (struct ovl_node *n, const struct ovl_node *parent, const char *name)
{
  struct ovl_alias **pp = &n->aliases;
  while (*pp != NULL && !((*pp)->parent == parent && strcmp ((*pp)->name, name) == 0))
    pp = &(*pp)->next;
  return pp;
}

static void
alias_push (struct ovl_node *n, struct ovl_node *parent, const char *name)
{
  if (*alias_find (n, parent, name) != NULL)
    return;
  struct ovl_alias *a = malloc (sizeof *a);
  if (a == NULL || (a->name = strdup (name)) == NULL)
    {
      free (a); /* a name forgotten: the node may lose its way, no more */
      return;
    }
  a->parent = parent;
  parent->children++;
  a->next = n->aliases;
  n->aliases = a;
}

static void
alias_add (struct ovl_node *n, struct ovl_node *parent, const char *name)
{
  if (!named (n, parent, name))
    alias_push (n, parent, name);
}

static void
share_locked (struct ovl *o, struct ovl_node *n, ino_t upper_ino)
{
  if (n->shared)
    return;
  n->shared = true;
  n->upper_ino = upper_ino;
  n->snext = o->shared;
  o->shared = n;
}

static struct ovl_node *
shared_find (struct ovl *o, ino_t upper_ino)
{
  for (struct ovl_node *n = o->shared; n != NULL; n = n->snext)
    if (n->hashed && n->layer == 0 && n->upper_ino == upper_ino)
      return n;
  return NULL;
}

static bool
is_shared_file (const struct ovl_found *f)
{
  return f->layer == 0 && S_ISREG (f->st.st_mode) && f->st.st_nlink > 1;
}

/* Only folders and symlinks: a walk lists and reads those, and they are
 * few next to the files (memory is per node the kernel holds). */
static void
remember_lower_stat (struct ovl *o, struct ovl_node *n, const struct ovl_found *f)
{
  if (!ovl_is_lower (o, f->layer) || !(S_ISDIR (f->st.st_mode) || S_ISLNK (f->st.st_mode)))
    return;
  if (n->lower_st == NULL && (n->lower_st = malloc (sizeof *n->lower_st)) == NULL)
    return;
  *n->lower_st = f->st;
}

/* N's attributes as found in its lower layer into ST, or false: not in a
 * lower (any more: dropped at the first ask after copy-up). */
bool
ovl_node_lower_stat (struct ovl *o, struct ovl_node *n, struct stat *st)
{
  pthread_mutex_lock (&o->table);
  if (n->lower_st != NULL && !ovl_is_lower (o, n->layer))
    {
      free (n->lower_st);
      n->lower_st = NULL;
    }
  bool known = n->lower_st != NULL;
  if (known)
    *st = *n->lower_st;
  pthread_mutex_unlock (&o->table);
  return known;
}

struct ovl_node *
ovl_node_ref (struct ovl *o, struct ovl_node *parent, const char *name, const struct ovl_found *f)
{
  pthread_mutex_lock (&o->table);
  struct ovl_node *n = lookup_locked (o, parent, name);
  struct ovl_node *same = n == NULL && is_shared_file (f) ? shared_find (o, f->st.st_ino) : NULL;
  if (same != NULL)
    {
      /* Another name of a file the kernel has an inode for already. */
      alias_add (same, parent, name);
      same->nlookup++;
      pthread_mutex_unlock (&o->table);
      return same;
    }
  if (n != NULL && (n->type != (f->st.st_mode & S_IFMT)))
    {
      /* Replaced behind the kernel's back (copy-up of another type, a
       * host change): the old node keeps its references, unnamed. */
      hash_remove (o, n);
      n = NULL;
    }
  if (n == NULL)
    {
      n = calloc (1, sizeof *n);
      if (n == NULL || (n->name = strdup (name)) == NULL)
        {
          free (n);
          pthread_mutex_unlock (&o->table);
          return NULL;
        }
      n->parent = parent;
      parent->children++;
      n->ino = f->st.st_ino;
      n->type = f->st.st_mode & S_IFMT;
      hash_insert (o, n);
    }
  n->layer = f->layer;
  n->mask = f->mask;
  n->nlookup++;
  remember_lower_stat (o, n, f);
  if (is_shared_file (f) && shared_find (o, f->st.st_ino) == NULL)
    share_locked (o, n, f->st.st_ino);
  pthread_mutex_unlock (&o->table);
  return n;
}

/* The kernel knows N's file by NAME in PARENT too (a new hard link):
 * take its reference. */
void
ovl_node_alias (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name, ino_t upper_ino)
{
  pthread_mutex_lock (&o->table);
  share_locked (o, n, upper_ino);
  alias_add (n, parent, name);
  n->nlookup++;
  pthread_mutex_unlock (&o->table);
}

static void release_locked (struct ovl *o, struct ovl_node *n);

static void
alias_free (struct ovl *o, struct ovl_alias *a)
{
  struct ovl_node *parent = a->parent;
  free (a->name);
  free (a);
  parent->children--;
  release_locked (o, parent);
}

/* N goes by NAME (malloc'd, taken) in PARENT from now on. */
static void
rename_locked (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, char *name)
{
  struct ovl_node *old = n->parent;
  hash_remove (o, n);
  free (n->name);
  n->name = name;
  /* Only an upper object moves, but a stale answer would be wrong. */
  free (n->lower_st);
  n->lower_st = NULL;
  parent->children++;
  n->parent = parent;
  hash_insert (o, n);
  old->children--;
  release_locked (o, old);
}

/* Give the shared node N, whose own name is gone or taken, one of its
 * aliases that still names its file; false if none does. */
static bool
promote_locked (struct ovl *o, struct ovl_node *n)
{
  while (n->aliases != NULL)
    {
      struct ovl_alias *a = n->aliases;
      n->aliases = a->next;
      char path[OVL_PATH_MAX];
      struct stat st;
      if (ovl_path (a->parent, a->name, path) == 0 && fstatat (o->layer_fd[0], path, &st, AT_SYMLINK_NOFOLLOW) == 0
          && st.st_ino == n->upper_ino && S_ISREG (st.st_mode) && lookup_locked (o, a->parent, a->name) == NULL)
        {
          rename_locked (o, n, a->parent, a->name);
          a->parent->children--; /* the node's own reference replaces the alias's */
          free (a);
          return true;
        }
      alias_free (o, a);
    }
  return false;
}

/* NAME in PARENT no longer names what it did. */
static void
name_gone_locked (struct ovl *o, struct ovl_node *parent, const char *name)
{
  struct ovl_node *n = lookup_locked (o, parent, name);
  if (n != NULL && !(n->shared && promote_locked (o, n)))
    hash_remove (o, n);
}

static void
put_locked (struct ovl_listing *l)
{
  if (l != NULL && --l->refs == 0)
    {
      ovl_dir_free (&l->d);
      free (l);
    }
}

static void
release_locked (struct ovl *o, struct ovl_node *n)
{
  while (n != NULL && n != o->root && n->nlookup == 0 && n->children == 0)
    {
      struct ovl_node *parent = n->parent;
      put_locked (n->listing);
      hash_remove (o, n);
      if (n->shared)
        for (struct ovl_node **pp = &o->shared; *pp != NULL; pp = &(*pp)->snext)
          if (*pp == n)
            {
              *pp = n->snext;
              break;
            }
      struct ovl_alias *aliases = n->aliases;
      free (n->lower_st);
      free (n->name);
      free (n);
      while (aliases != NULL)
        {
          struct ovl_alias *next = aliases->next;
          alias_free (o, aliases);
          aliases = next;
        }
      parent->children--;
      n = parent;
    }
}

void
ovl_node_forget (struct ovl *o, struct ovl_node *n, uint64_t count)
{
  pthread_mutex_lock (&o->table);
  n->nlookup = count > n->nlookup ? 0 : n->nlookup - count;
  release_locked (o, n);
  pthread_mutex_unlock (&o->table);
}

/* NAME in PARENT is gone: its node, if any, keeps only its references. */
void
ovl_node_unhash (struct ovl *o, struct ovl_node *parent, const char *name)
{
  pthread_mutex_lock (&o->table);
  name_gone_locked (o, parent, name);
  pthread_mutex_unlock (&o->table);
}

void
ovl_node_move (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name)
{
  char *copy = strdup (name);
  pthread_mutex_lock (&o->table);
  struct ovl_node *victim = lookup_locked (o, parent, name);
  if (victim != NULL && victim != n)
    name_gone_locked (o, parent, name);
  /* The name N goes by may be another one than the one renamed: it stays
   * an alias, dropped when found to name something else. */
  if (n->shared)
    alias_push (n, n->parent, n->name);
  if (copy != NULL)
    rename_locked (o, n, parent, copy);
  else
    hash_remove (o, n);
  pthread_mutex_unlock (&o->table);
}

/* Make N go by NAME in PARENT, one of its file's names, as a rename or
 * exchange of that name expects. */
void
ovl_node_rename_to (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name)
{
  if (!n->shared || named (n, parent, name))
    return;
  char *copy = strdup (name);
  if (copy == NULL)
    return;
  pthread_mutex_lock (&o->table);
  alias_push (n, n->parent, n->name);
  rename_locked (o, n, parent, copy);
  /* No longer an alias: the name N goes by. */
  struct ovl_alias **pp = alias_find (n, parent, name);
  struct ovl_alias *a = *pp;
  if (a != NULL)
    {
      *pp = a->next;
      alias_free (o, a);
    }
  pthread_mutex_unlock (&o->table);
}

void
ovl_node_exchange (struct ovl *o, struct ovl_node *a, struct ovl_node *b)
{
  pthread_mutex_lock (&o->table);
  hash_remove (o, a);
  hash_remove (o, b);
  struct ovl_node *parent = a->parent;
  char *name = a->name;
  a->parent = b->parent;
  a->name = b->name;
  b->parent = parent;
  b->name = name;
  hash_insert (o, a);
  hash_insert (o, b);
  pthread_mutex_unlock (&o->table);
}

/* N's listing with a reference for the caller, or NULL. */
struct ovl_listing *
ovl_listing_take (struct ovl *o, struct ovl_node *n)
{
  pthread_mutex_lock (&o->table);
  struct ovl_listing *l = n->listing;
  if (l != NULL)
    l->refs++;
  pthread_mutex_unlock (&o->table);
  return l;
}

/* Make L N's listing, for the READDIR calls that follow. */
void
ovl_listing_keep (struct ovl *o, struct ovl_node *n, struct ovl_listing *l)
{
  pthread_mutex_lock (&o->table);
  l->refs++;
  put_locked (n->listing);
  n->listing = l;
  pthread_mutex_unlock (&o->table);
}

/* The reading of L is over: N forgets it, unless a newer one replaced it. */
void
ovl_listing_drop (struct ovl *o, struct ovl_node *n, struct ovl_listing *l)
{
  pthread_mutex_lock (&o->table);
  if (n->listing == l)
    {
      n->listing = NULL;
      put_locked (l);
    }
  pthread_mutex_unlock (&o->table);
}

void
ovl_listing_put (struct ovl *o, struct ovl_listing *l)
{
  pthread_mutex_lock (&o->table);
  put_locked (l);
  pthread_mutex_unlock (&o->table);
}
