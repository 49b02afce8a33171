/* --diff, --commit and --discard: what a copy-on-write run changed.
 *
 * The upper tree mirrors the sandbox's paths (DIR/upper/usr/local/... for
 * /usr/local/...); each entry is compared with its path under ROOT (--to,
 * default /), the tree the lowers came from. Deletions are read
 * from both whiteout formats: the kernel's and fuse-overlayfs's 0/0
 * character devices (or a user.overlay.whiteout file), and fuse-overlayfs's
 * `.wh.NAME` files; opaque folders from user.overlay.opaque,
 * user.fuseoverlayfs.opaque or a `.wh..wh..opq` file.
 *
 * A --cow folder's DIR/layout (overlay.h) maps each upper layer to the
 * host folder it stands for, so that a bind's changes are named by its
 * source; without it the upper mirrors ROOT. Upper files sharing an inode
 * are hard links, and stay so; an entry whose content equals ROOT's is a
 * metadata change, applied in place.
 *
 * --commit reaches ROOT only through openat2(RESOLVE_BENEATH): a path
 * that would leave ROOT (a symlink to elsewhere, say) is refused. */
#include "overlay.h"

#include "error.h"
#include "stages.h"
#include "syscalls.h"
#include "util.h"

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

enum change { ADDED = 'A', MODIFIED = 'M', DELETED = 'D' };

struct entry {
  enum change change;
  char *path;           /* under ROOT, no leading "/" */
  char *upper;          /* under the upper folder; NULL for deletions */
  struct stat st;       /* the upper's; zero for deletions */
  bool shown;           /* listed by --diff (a folder only re-timed is not) */
  bool holds_changes;   /* a folder with listed changes below it */
  bool metadata;        /* same content as ROOT's: only metadata differs */
  size_t link;          /* the entry this one is a hard link of, or SIZE_MAX */
};

struct walk {
  int root_fd;          /* ROOT */
  const char *root;
  struct entry *entries;
  size_t n;
  /* DIR/layout: the upper folder DEST[i] (under DIR/upper) holds the
   * changes of HOST[i] (under ROOT); folders above a DEST are only the
   * scaffolding that holds it. No layout: the upper mirrors ROOT. */
  char **dest, **host;
  size_t n_layout;
  /* Upper files seen so far with more than one link, by inode. */
  struct { dev_t dev; ino_t ino; size_t entry; } *links;
  size_t n_links;
  int owner_helper;     /* --commit --yes: the owner helper's socket, or -1 */
};

static size_t
add (struct walk *w, enum change change, char *path, char *upper, const struct stat *st)
{
  w->entries = sbx_xrealloc_array (w->entries, w->n + 1, sizeof *w->entries);
  struct entry *e = &w->entries[w->n];
  *e = (struct entry) { .change = change, .path = path, .upper = upper, .shown = true, .link = SIZE_MAX };
  if (st != NULL)
    e->st = *st;
  return w->n++;
}

static bool
under (const char *path, const char *dir, size_t len)
{
  return len == 0 || (strncmp (path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/'));
}

/* The path under ROOT that the upper's REL stands for; NULL for a folder
 * that only holds an upper layer further down. */
static char *
map_path (const struct walk *w, const char *rel)
{
  size_t best = SIZE_MAX, best_len = 0;
  bool scaffolding = false;
  size_t rel_len = strlen (rel);
  for (size_t i = 0; i < w->n_layout; i++)
    {
      size_t len = strlen (w->dest[i]);
      if (under (rel, w->dest[i], len))
        {
          if (best == SIZE_MAX || len >= best_len)
            best = i, best_len = len;
        }
      else if (under (w->dest[i], rel, rel_len))
        scaffolding = true;
    }
  if (best == SIZE_MAX)
    return scaffolding ? NULL : sbx_xstrdup (rel);
  const char *rest = rel + best_len;
  while (*rest == '/')
    rest++;
  if (w->host[best][0] == '\0')
    return sbx_xstrdup (rest);
  return *rest ? sbx_xasprintf ("%s/%s", w->host[best], rest) : sbx_xstrdup (w->host[best]);
}

/* The root of an upper layer: sbx made it, so its times say nothing. */
static bool
upper_root (const struct walk *w, const char *rel)
{
  if (rel[0] == '\0')
    return true;
  for (size_t i = 0; i < w->n_layout; i++)
    if (strcmp (w->dest[i], rel) == 0)
      return true;
  return false;
}

/* PATH under ROOT (not following its last component), as an O_PATH fd. */
static int
open_in_root (const struct walk *w, const char *path, struct stat *st)
{
  struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = sys_openat2 (w->root_fd, path[0] ? path : ".", &how);
  if (fd >= 0 && fstat (fd, st) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static bool
in_root (const struct walk *w, const char *path, struct stat *st)
{
  autoclose int fd = open_in_root (w, path, st);
  return fd >= 0;
}

static bool
xattr_is (int dir, const char *name, const char *attr, const char *value)
{
  char buf[8];
  autofree char *path = sbx_xasprintf ("/proc/self/fd/%d/%s", dir, name);
  ssize_t n = lgetxattr (path, attr, buf, sizeof buf);
  return n == (ssize_t) strlen (value) && memcmp (buf, value, (size_t) n) == 0;
}

static bool
is_whiteout (int dir, const char *name, const struct stat *st)
{
  if (S_ISCHR (st->st_mode) && major (st->st_rdev) == 0 && minor (st->st_rdev) == 0)
    return true;
  return S_ISREG (st->st_mode) && st->st_size == 0 && xattr_is (dir, name, "user.overlay.whiteout", "y");
}

/* fuse-overlayfs keeps ownership and mode it could not set on the file in
 * an xattr ("uid:gid:mode"): that is what the sandbox saw. */
static void
override_stat (const char *path, struct stat *st)
{
  static const char *const names[] = { "user.fuseoverlayfs.override_stat", "user.containers.override_stat" };
  char buf[64];
  for (size_t i = 0; i < 2; i++)
    {
      ssize_t n = lgetxattr (path, names[i], buf, sizeof buf - 1);
      unsigned uid, gid, mode;
      if (n > 0 && (buf[n] = '\0', sscanf (buf, "%u:%u:%o", &uid, &gid, &mode) == 3))
        {
          st->st_uid = uid;
          st->st_gid = gid;
          st->st_mode = (st->st_mode & S_IFMT) | (mode & 07777);
          return;
        }
    }
}

/* A user xattr of the file's own, not one of an overlay's markers. */
static bool
own_xattr (const char *name)
{
  return strncmp (name, "user.", 5) == 0 && strncmp (name, "user.overlay.", 13) != 0
         && strncmp (name, "user.fuseoverlayfs.", 19) != 0 && strncmp (name, "user.containers.", 16) != 0;
}

/* Call FN for each of UPPER's own xattrs (UPPER: a path not followed). */
static bool
each_xattr (const char *upper, bool (*fn) (const char *name, const char *value, size_t len, void *data), void *data)
{
  char names[4096], value[4096];
  ssize_t n = llistxattr (upper, names, sizeof names);
  for (ssize_t i = 0; i < n; i += (ssize_t) strlen (names + i) + 1)
    {
      if (!own_xattr (names + i))
        continue;
      ssize_t len = lgetxattr (upper, names + i, value, sizeof value);
      if (len >= 0 && !fn (names + i, value, (size_t) len, data))
        return false;
    }
  return true;
}

static bool
same_xattr (const char *name, const char *value, size_t len, void *data)
{
  char there[4096];
  ssize_t n = getxattr ((const char *) data, name, there, sizeof there);
  return n == (ssize_t) len && memcmp (there, value, len) == 0;
}

/* The owner the upper shows was chosen inside the sandbox (a chown), not
 * just the caller's, which every file the caller's overlay writes gets. */
static bool
owner_chosen (const struct stat *st)
{
  return st->st_uid != geteuid () || st->st_gid != getegid ();
}

/* Does ROOT's file (FD, an O_PATH fd) differ from the upper's in mode,
 * chosen owner or own xattrs? */
static bool
metadata_differs (const char *upper, const struct stat *st, int fd, const struct stat *there)
{
  if ((st->st_mode & 07777) != (there->st_mode & 07777))
    return true;
  if (owner_chosen (st) && (st->st_uid != there->st_uid || st->st_gid != there->st_gid))
    return true;
  autofree char *target = sbx_xasprintf ("/proc/self/fd/%d", fd);
  return !S_ISLNK (st->st_mode) && !each_xattr (upper, same_xattr, target);
}

static bool
same_content (int dir, const char *name, int fd, const struct stat *st, const struct stat *there)
{
  if (!S_ISREG (there->st_mode) || st->st_size != there->st_size)
    return false;
  autofree char *path = sbx_xasprintf ("/proc/self/fd/%d", fd);
  autoclose int a = openat (dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  autoclose int b = open (path, O_RDONLY | O_CLOEXEC);
  if (a < 0 || b < 0)
    return false;
  char x[65536], y[65536];
  for (;;)
    {
      ssize_t n = read (a, x, sizeof x);
      if (n <= 0)
        return n == 0 && read (b, y, 1) == 0;
      size_t got = 0;
      while (got < (size_t) n)
        {
          ssize_t m = read (b, y + got, (size_t) n - got);
          if (m <= 0)
            return false;
          got += (size_t) m;
        }
      if (memcmp (x, y, (size_t) n) != 0)
        return false;
    }
}

static bool
times_differ (const struct stat *a, const struct stat *b)
{
  return a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in DIR, sorted, for a stable order. */
static char **
list_dir (int dir, size_t *count)
{
  int fd = openat (dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    sbx_die_errno (errno, "read folder", NULL);
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      names = sbx_xrealloc_array (names, n + 1, sizeof *names);
      names[n++] = sbx_xstrdup (e->d_name);
    }
  closedir (d);
  if (n > 0)
    qsort (names, n, sizeof *names, compare_names);
  *count = n;
  return names;
}

static char *
join (const char *parent, const char *name)
{
  return parent[0] ? sbx_xasprintf ("%s/%s", parent, name) : sbx_xstrdup (name);
}

static bool
has_name (char **names, size_t n, const char *name)
{
  return bsearch (&name, names, n, sizeof *names, compare_names) != NULL;
}

/* A second name of an upper file already listed: a hard link to it. */
static void
note_link (struct walk *w, size_t entry)
{
  const struct stat *st = &w->entries[entry].st;
  if (!S_ISREG (st->st_mode) || st->st_nlink < 2)
    return;
  for (size_t i = 0; i < w->n_links; i++)
    if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
      {
        w->entries[entry].link = w->links[i].entry;
        w->entries[entry].metadata = false;
        w->entries[entry].shown = true;
        return;
      }
  w->links = sbx_xrealloc_array (w->links, w->n_links + 1, sizeof *w->links);
  w->links[w->n_links++] = (typeof (*w->links)) { st->st_dev, st->st_ino, entry };
}

static void walk_dir (struct walk *w, int dir, const char *rel, const char *path, bool opaque);

static void
walk_entry (struct walk *w, int dir, const char *rel, const char *name)
{
  struct stat st, lower;
  if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    sbx_die_errno (errno, "read upper", name);
  char *upper = join (rel, name);
  char *path = map_path (w, upper);
  autofree char *proc = sbx_xasprintf ("/proc/self/fd/%d/%s", dir, name);
  override_stat (proc, &st);
  if (path == NULL)
    {
      /* Only scaffolding: never listed, never applied. */
      autoclose int sub = S_ISDIR (st.st_mode) ? openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
      if (sub >= 0)
        walk_dir (w, sub, upper, NULL, false);
      free (upper);
      return;
    }
  autoclose int lower_fd = open_in_root (w, path, &lower);
  bool below = lower_fd >= 0;
  if (is_whiteout (dir, name, &st))
    {
      if (below)
        add (w, DELETED, path, NULL, NULL);
      else
        free (path);
      free (upper);
      return;
    }
  if (!S_ISDIR (st.st_mode))
    {
      size_t i = add (w, below ? MODIFIED : ADDED, path, upper, &st);
      struct entry *e = &w->entries[i];
      e->metadata = below && same_content (dir, name, lower_fd, &st, &lower);
      /* Copied up and left as it was (to be linked, say): no change. */
      e->shown = !e->metadata || metadata_differs (proc, &st, lower_fd, &lower) || times_differ (&st, &lower);
      note_link (w, i);
      return;
    }
  autoclose int sub = openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    sbx_die_errno (errno, "read upper", upper);
  bool opaque = xattr_is (dir, name, "user.overlay.opaque", "y")
                || xattr_is (dir, name, "user.fuseoverlayfs.opaque", "y")
                || faccessat (sub, ".wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  bool dir_below = below && S_ISDIR (lower.st_mode);
  /* Listed before what it holds; for a folder ROOT has, whether it is
   * listed is known once its content has been walked. */
  size_t i = add (w, below ? MODIFIED : ADDED, path, upper, &st);
  walk_dir (w, sub, upper, path, opaque && dir_below);
  struct entry *e = &w->entries[i];
  bool content_changed = false;
  for (size_t j = i + 1; j < w->n; j++)
    content_changed |= w->entries[j].shown;
  /* An upper layer's root stands for a folder the host has: where the
   * target lacks it, it is only worth adding for what it holds. */
  e->holds_changes = content_changed;
  if (!below && upper_root (w, upper))
    e->shown = content_changed;
  if (!dir_below)
    return;
  /* A changed folder's new times come from what changed in it, which is
   * listed: only times changed on their own are a change of the folder. */
  e->metadata = metadata_differs (proc, &st, lower_fd, &lower)
                || (!content_changed && !upper_root (w, upper) && times_differ (&st, &lower));
  e->shown = e->metadata;
}

/* OPAQUE: REL hides what ROOT has at PATH; its entries there that the
 * upper does not have again are deletions. */
static void
walk_dir (struct walk *w, int dir, const char *rel, const char *path, bool opaque)
{
  size_t n;
  char **names = list_dir (dir, &n);
  if (opaque)
    {
      struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                              .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
      autoclose int lower = sys_openat2 (w->root_fd, path[0] ? path : ".", &how);
      size_t n_lower = 0;
      char **lower_names = lower >= 0 ? list_dir (lower, &n_lower) : NULL;
      for (size_t i = 0; i < n_lower; i++)
        {
          autofree char *wh = sbx_xasprintf (".wh.%s", lower_names[i]);
          if (!has_name (names, n, lower_names[i]) && !has_name (names, n, wh))
            add (w, DELETED, join (path, lower_names[i]), NULL, NULL);
          free (lower_names[i]);
        }
      free (lower_names);
    }
  for (size_t i = 0; i < n; i++)
    {
      const char *name = names[i];
      if (strcmp (name, ".wh..wh..opq") == 0)
        ;
      else if (strncmp (name, ".wh.", 4) == 0)
        {
          struct stat lower;
          autofree char *upper = join (rel, name + 4);
          char *gone = map_path (w, upper);
          if (gone != NULL && in_root (w, gone, &lower))
            add (w, DELETED, gone, NULL, NULL);
          else
            free (gone);
        }
      else
        walk_entry (w, dir, rel, name);
      free (names[i]);
    }
  free (names);
}

void
sbx_cow_layout_read (const char *dir, char ***dest, char ***host, size_t *n)
{
  autofree char *path = sbx_xasprintf ("%s/layout", dir);
  autoclose int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno != ENOENT)
        sbx_die_errno (errno, "read layout", path);
      return;
    }
  static const char magic[] = SBX_COW_LAYOUT_MAGIC;
  autofree char *buf = sbx_xmalloc (SBX_COW_LAYOUT_MAX);
  ssize_t len = read (fd, buf, SBX_COW_LAYOUT_MAX);
  if (len < 0)
    sbx_die_errno (errno, "read layout", path);
  if ((size_t) len < sizeof magic || memcmp (buf, magic, sizeof magic) != 0 || len == SBX_COW_LAYOUT_MAX
      || buf[len - 1] != '\0')
    sbx_die ("read layout: %s: not an sbx --cow layout", path);
  for (size_t at = sizeof magic; at < (size_t) len;)
    {
      const char *d = buf + at;
      at += strlen (d) + 1;
      if (at >= (size_t) len)
        sbx_die ("read layout: %s: not an sbx --cow layout", path);
      const char *h = buf + at;
      at += strlen (h) + 1;
      *dest = sbx_xrealloc_array (*dest, *n + 1, sizeof **dest);
      *host = sbx_xrealloc_array (*host, *n + 1, sizeof **host);
      (*dest)[*n] = sbx_xstrdup (d);
      (*host)[(*n)++] = sbx_xstrdup (h);
    }
}

/* DIR/upper for a --cow folder, else DIR itself (an --overlay RWSRC). */
static char *
upper_of (const char *dir)
{
  char *upper = sbx_xasprintf ("%s/upper", dir);
  struct stat st;
  if (stat (upper, &st) == 0 && S_ISDIR (st.st_mode))
    return upper;
  free (upper);
  if (stat (dir, &st) < 0)
    sbx_die_errno (errno, "read upper", dir);
  if (!S_ISDIR (st.st_mode))
    sbx_die_errno (ENOTDIR, "read upper", dir);
  return sbx_xstrdup (dir);
}

static const char *
change_word (enum change c, bool past)
{
  switch (c)
    {
    case ADDED: return past ? "added" : "add";
    case MODIFIED: return past ? "modified" : "replace";
    case DELETED: return past ? "deleted" : "delete";
    }
  return "?";
}

static void
json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p == '"' || *p == '\\')
      fprintf (out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf (out, "\\u%04x", *p);
    else
      fputc (*p, out);
  fputc ('"', out);
}

/* How --diff and --commit name an entry beyond its change and path. */
static const char *
note_of (const struct walk *w, const struct entry *e, char *buf, size_t len, const char *prefix)
{
  if (e->link != SIZE_MAX)
    snprintf (buf, len, " (hard link to %s/%s)", prefix, w->entries[e->link].path);
  else if (e->metadata)
    snprintf (buf, len, " (metadata)");
  else
    buf[0] = '\0';
  return buf;
}

static void
print_diff (const struct walk *w, const struct sbx_plan *plan, const char *upper, const char *root)
{
  char note[4200];
  if (!plan->json)
    {
      for (size_t i = 0; i < w->n; i++)
        if (w->entries[i].shown)
          printf ("%c /%s%s\n", w->entries[i].change, w->entries[i].path, note_of (w, &w->entries[i], note, sizeof note, ""));
      return;
    }
  fputs ("{\"upper\": ", stdout);
  json_string (stdout, upper);
  fputs (", \"root\": ", stdout);
  json_string (stdout, root);
  fputs (", \"changes\": [", stdout);
  bool first = true;
  for (size_t i = 0; i < w->n; i++)
    {
      const struct entry *e = &w->entries[i];
      if (!e->shown)
        continue;
      autofree char *path = sbx_xasprintf ("/%s", e->path);
      printf ("%s{\"change\": \"%s\", \"path\": ", first ? "" : ", ", change_word (e->change, true));
      first = false;
      json_string (stdout, path);
      if (e->metadata)
        fputs (", \"metadata_only\": true", stdout);
      if (e->link != SIZE_MAX)
        {
          autofree char *to = sbx_xasprintf ("/%s", w->entries[e->link].path);
          fputs (", \"link\": ", stdout);
          json_string (stdout, to);
        }
      fputc ('}', stdout);
    }
  fputs ("]}\n", stdout);
}

/* --- --commit and --discard ---------------------------------------------------- */

/* rm -rf NAME under DIR, never following a symlink; folders are made
 * writable first (overlayfs leaves a mode-000 work/work). */
static int
remove_tree (int dir, const char *name)
{
  struct stat st;
  if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR (st.st_mode))
    return unlinkat (dir, name, 0);
  fchmodat (dir, name, 0700, 0);
  autoclose int sub = openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return -1;
  size_t n;
  char **names = list_dir (sub, &n);
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0 && remove_tree (sub, names[i]) < 0)
        ret = -1;
      free (names[i]);
    }
  free (names);
  return ret < 0 ? -1 : unlinkat (dir, name, AT_REMOVEDIR);
}

/* The folder holding PATH under ROOT, refusing any way out of ROOT. */
static int
open_parent (int root_fd, const char *root, const char *path, const char **last)
{
  const char *slash = strrchr (path, '/');
  *last = slash ? slash + 1 : path;
  autofree char *parent = slash ? strndup (path, (size_t) (slash - path)) : sbx_xstrdup (".");
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
  int fd = sys_openat2 (root_fd, parent, &how);
  if (fd < 0 && errno == EXDEV)
    sbx_die ("--commit: refusing /%s: it would resolve outside %s", path, root);
  if (fd < 0)
    sbx_die_errno (errno, "--commit", path);
  return fd;
}

static bool
set_xattr (const char *name, const char *value, size_t len, void *data)
{
  if (fsetxattr (*(int *) data, name, value, len, 0) < 0)
    sbx_warn ("--commit: cannot set %s on a file: %s", name, strerror (errno));
  return true;
}

/* Give FD the owners the upper's entry E has: here, or through the owner
 * helper (HELPER, -1: none), which compares and gives the real ids, also
 * those this user namespace cannot map (a supplementary group, say).
 * 1 when given, 0 when FD had them, or -errno. */
static int
give_owner (int fd, const struct entry *e, const char *upper_path, int helper)
{
  if (helper >= 0)
    {
      autoclose int upper = open (upper_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat seen;
      if (upper < 0 || fstat (upper, &seen) < 0)
        return -errno;
      return sbx_owner_helper_chown (helper, fd, upper, e->st.st_uid, e->st.st_gid, e->st.st_uid == seen.st_uid,
                                     e->st.st_gid == seen.st_gid);
    }
  return sbx_give_owner (fd, e->st.st_uid, e->st.st_gid);
}

/* Give FD (opened on the target) the upper's mode, own xattrs, owner when
 * the sandbox chose one (and the caller may give it), and times. */
static void
apply_metadata (int fd, const struct entry *e, const char *upper_path, int helper)
{
  if (fchmod (fd, e->st.st_mode & 07777) < 0)
    sbx_die_errno (errno, "--commit: chmod", e->path);
  each_xattr (upper_path, set_xattr, &fd);
  int given = owner_chosen (&e->st) ? give_owner (fd, e, upper_path, helper) : 0;
  if (given < 0)
    sbx_warn ("--commit: /%s: cannot give it to %u:%u: %s; its owner is left as it was", e->path,
              (unsigned) e->st.st_uid, (unsigned) e->st.st_gid, strerror (-given));
  /* chown clears set-id bits: put the mode back. */
  else if (given > 0 && fchmod (fd, e->st.st_mode & 07777) < 0)
    sbx_die_errno (errno, "--commit: chmod", e->path);
  struct timespec times[2] = { e->st.st_atim, e->st.st_mtim };
  if (futimens (fd, times) < 0)
    sbx_die_errno (errno, "--commit: set times", e->path);
}

/* The metadata of a folder, or of a file whose content did not change,
 * onto what the target has: in place, so the target's own hard links to
 * it stay. */
static void
apply_in_place (int upper_fd, int root_fd, const char *root, const struct entry *e, int helper)
{
  const char *last;
  autoclose int parent = open_parent (root_fd, root, e->path, &last);
  autoclose int fd = openat (parent, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    sbx_die_errno (errno, "--commit", e->path);
  autofree char *upper_path = sbx_xasprintf ("/proc/self/fd/%d/%s", upper_fd, e->upper);
  apply_metadata (fd, e, upper_path, helper);
}

/* A folder that holds changes gets the times it had in the sandbox, where
 * the caller may set them (not on root's /usr, say). */
static void
retime (int root_fd, const char *root, const struct entry *e)
{
  const char *last;
  autoclose int parent = open_parent (root_fd, root, e->path, &last);
  struct timespec times[2] = { e->st.st_atim, e->st.st_mtim };
  utimensat (parent, last, times, AT_SYMLINK_NOFOLLOW);
}

/* Put the upper's entry in place under ROOT: a new name beside it, then
 * renamed over whatever was there. A second name of an upper file becomes
 * a hard link to the first one's copy (already in place: the walk lists
 * it first), or a copy where the target cannot link. */
static void
apply_one (int upper_fd, int root_fd, const char *root, const struct walk *w, const struct entry *e)
{
  if (e->metadata && !S_ISDIR (e->st.st_mode))
    {
      apply_in_place (upper_fd, root_fd, root, e, w->owner_helper);
      return;
    }
  const char *last;
  autoclose int parent = open_parent (root_fd, root, e->path, &last);
  struct stat there;
  bool exists = fstatat (parent, last, &there, AT_SYMLINK_NOFOLLOW) == 0;
  mode_t mode = e->st.st_mode;
  if (e->change == DELETED || (exists && (S_ISDIR (there.st_mode) != S_ISDIR (mode))))
    if (remove_tree (parent, last) < 0)
      sbx_die_errno (errno, "--commit: delete", e->path);
  if (e->change == DELETED)
    return;
  if (S_ISDIR (mode))
    {
      /* Its mode and times once what it holds is in place. */
      if (mkdirat (parent, last, 0700) < 0 && errno != EEXIST)
        sbx_die_errno (errno, "--commit: create folder", e->path);
      return;
    }
  autofree char *temp = sbx_xasprintf (".sbx-commit.%d.%s", (int) getpid (), last);
  bool linked = false;
  if (e->link != SIZE_MAX)
    {
      const char *first_last;
      autoclose int first_parent = open_parent (root_fd, root, w->entries[e->link].path, &first_last);
      linked = linkat (first_parent, first_last, parent, temp, 0) == 0;
      if (!linked && errno != EXDEV && errno != EMLINK && errno != EPERM)
        sbx_die_errno (errno, "--commit: link", e->path);
    }
  if (linked)
    ;
  else if (S_ISLNK (mode))
    {
      char target[4096];
      ssize_t n = readlinkat (upper_fd, e->upper, target, sizeof target - 1);
      if (n < 0)
        sbx_die_errno (errno, "--commit: read link", e->path);
      target[n] = '\0';
      if (symlinkat (target, parent, temp) < 0)
        sbx_die_errno (errno, "--commit: create link", e->path);
    }
  else if (S_ISREG (mode))
    {
      autoclose int from = openat (upper_fd, e->upper, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (from < 0)
        sbx_die_errno (errno, "--commit: read", e->path);
      /* O_PATH parent: create through the real folder. */
      autoclose int dir = openat (parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      autoclose int to = dir < 0 ? -1 : openat (dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                0600);
      if (to < 0)
        sbx_die_errno (errno, "--commit: create", e->path);
      sbx_copy_fd (from, to, e->path);
      autofree char *upper_path = sbx_xasprintf ("/proc/self/fd/%d/%s", upper_fd, e->upper);
      apply_metadata (to, e, upper_path, w->owner_helper);
    }
  else if (mknodat (parent, temp, mode, 0) < 0)
    sbx_die_errno (errno, "--commit: create", e->path);
  if (renameat (parent, temp, parent, last) < 0)
    {
      int saved = errno;
      unlinkat (parent, temp, 0);
      sbx_die_errno (saved, "--commit: replace", e->path);
    }
}

static int
discard (const char *dir)
{
  autoclose int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    sbx_die_errno (errno, "--discard", dir);
  if (faccessat (fd, "upper", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && faccessat (fd, "work", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    sbx_die ("--discard: %s: not a --cow folder (no upper or work folder in it)", dir);
  if (remove_tree (fd, "upper") < 0 || remove_tree (fd, "work") < 0
      || (unlinkat (fd, "layout", 0) < 0 && errno != ENOENT))
    sbx_die_errno (errno, "--discard", dir);
  if (rmdir (dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
    sbx_die_errno (errno, "--discard", dir);
  return 0;
}

/* In a user namespace of its own, with the same ids mapped, the caller
 * holds CAP_DAC_OVERRIDE over what it owns: an upper folder or file that
 * the sandbox made mode 000 can be read, as the sandbox itself could, and
 * nothing the caller does not own opens up. Best effort: without user
 * namespaces, such entries fail as they would anyway. Root needs none. */
static void
override_own_modes (void)
{
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  if (uid == 0 || unshare (CLONE_NEWUSER) < 0)
    return;
  sbx_write_id_maps (uid, uid, gid, gid);
}

int
sbx_changes_run (const struct sbx_plan *plan)
{
  /* Owners to give (--commit --yes) need the caller's own credentials,
   * which the namespace below lacks: a helper keeps them. */
  bool giving = strcmp (plan->changes_verb, "commit") == 0 && plan->yes && geteuid () != 0;
  autoclose int helper = giving ? sbx_owner_helper_start () : -1;
  override_own_modes ();
  if (strcmp (plan->changes_verb, "discard") == 0)
    return discard (plan->changes_dir);
  const char *root = plan->commit_to ? plan->commit_to : "/";
  autofree char *upper = upper_of (plan->changes_dir);
  autoclose int upper_fd = open (upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (upper_fd < 0)
    sbx_die_errno (errno, "read upper", upper);
  struct walk w = { .root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), .root = root,
                    .owner_helper = helper };
  if (w.root_fd < 0)
    sbx_die_errno (errno, "--to", root);
  if (strcmp (upper, plan->changes_dir) != 0)
    sbx_cow_layout_read (plan->changes_dir, &w.dest, &w.host, &w.n_layout);
  walk_dir (&w, upper_fd, "", "", false);

  if (strcmp (plan->changes_verb, "diff") == 0)
    print_diff (&w, plan, upper, root);
  else
    {
      const char *slash = strcmp (root, "/") == 0 ? "" : root;
      size_t shown = 0;
      char note[4200];
      for (size_t i = 0; i < w.n; i++)
        {
          const struct entry *e = &w.entries[i];
          if (e->change == ADDED && !e->shown)
            continue;
          if (plan->yes)
            apply_one (upper_fd, w.root_fd, root, &w, e);
          if (!e->shown)
            continue;
          shown++;
          printf ("%s%s %s/%s%s\n", plan->yes ? "" : "would ", change_word (e->change, plan->yes), slash, e->path,
                  note_of (&w, e, note, sizeof note, slash));
        }
      /* Folders last: filling them changed their times. Only those added
       * or changed themselves: a folder that merely holds changes keeps
       * the owner's (root's /usr, say) mode and takes the new times. */
      for (size_t i = w.n; plan->yes && i-- > 0;)
        if (w.entries[i].change != DELETED && S_ISDIR (w.entries[i].st.st_mode) && w.entries[i].shown)
          apply_in_place (upper_fd, w.root_fd, root, &w.entries[i], helper);
        else if (S_ISDIR (w.entries[i].st.st_mode) && w.entries[i].holds_changes)
          retime (w.root_fd, root, &w.entries[i]);
      if (!plan->yes)
        printf ("dry run: %zu change%s; give --yes to apply them to %s\n", shown, shown == 1 ? "" : "s", root);
    }
  for (size_t i = 0; i < w.n; i++)
    {
      free (w.entries[i].path);
      free (w.entries[i].upper);
    }
  free (w.entries);
  free (w.links);
  for (size_t i = 0; i < w.n_layout; i++)
    {
      free (w.dest[i]);
      free (w.host[i]);
    }
  free (w.dest);
  free (w.host);
  close (w.root_fd);
  return 0;
}
