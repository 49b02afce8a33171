/* The node table of the FUSE overlay: one node per name the kernel holds,
 * found again by (parent, name), so that a rename moves a whole subtree by
 * changing one node. A node lives while the kernel remembers it or a child
 * node points to it. */
#include "fuseovl_impl.h"

#include <errno.h>
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

struct ovl_node *
ovl_node_ref (struct ovl *o, struct ovl_node *parent, const char *name, const struct ovl_found *f)
{
  pthread_mutex_lock (&o->table);
  struct ovl_node *n = lookup_locked (o, parent, name);
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
  pthread_mutex_unlock (&o->table);
  return n;
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
      free (n->name);
      free (n);
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
  struct ovl_node *n = lookup_locked (o, parent, name);
  if (n != NULL)
    hash_remove (o, n);
  pthread_mutex_unlock (&o->table);
}

void
ovl_node_move (struct ovl *o, struct ovl_node *n, struct ovl_node *parent, const char *name)
{
  char *copy = strdup (name);
  pthread_mutex_lock (&o->table);
  struct ovl_node *victim = lookup_locked (o, parent, name);
  if (victim != NULL && victim != n)
    hash_remove (o, victim);
  hash_remove (o, n);
  if (copy != NULL)
    {
      free (n->name);
      n->name = copy;
      struct ovl_node *old = n->parent;
      parent->children++;
      n->parent = parent;
      old->children--;
      hash_insert (o, n);
      release_locked (o, old);
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
