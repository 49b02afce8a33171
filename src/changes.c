/* --diff, --commit and --discard: what a copy-on-write run changed.
 *
 * The upper tree mirrors the sandbox's paths (DIR/upper/usr/local/... for
 * /usr/local/...), so each entry is compared with the same path under ROOT
 * (--to, default /), the tree the lowers came from. Deletions are read
 * from both whiteout formats: the kernel's and fuse-overlayfs's 0/0
 * character devices (or a user.overlay.whiteout file), and fuse-overlayfs's
 * `.wh.NAME` files; opaque folders from user.overlay.opaque,
 * user.fuseoverlayfs.opaque or a `.wh..wh..opq` file.
 *
 * --commit reaches ROOT only through openat2(RESOLVE_BENEATH): a path
 * that would leave ROOT (a symlink to elsewhere, say) is refused. */
#include "overlay.h"

#include "error.h"
#include "syscalls.h"
#include "util.h"

#include <dirent.h>
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
  char *path;           /* relative to the upper and to ROOT, no leading "/" */
  mode_t mode;          /* the upper's file type and mode; 0 for deletions */
};

struct walk {
  int root_fd;          /* ROOT */
  struct entry *entries;
  size_t n;
};

static void
add (struct walk *w, enum change change, char *path, mode_t mode)
{
  w->entries = sbx_xrealloc_array (w->entries, w->n + 1, sizeof *w->entries);
  w->entries[w->n++] = (struct entry) { change, path, mode };
}

/* Does PATH exist under ROOT (not following its last component)? */
static bool
in_root (const struct walk *w, const char *path, struct stat *st)
{
  struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  autoclose int fd = sys_openat2 (w->root_fd, path, &how);
  return fd >= 0 && fstat (fd, st) == 0;
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

static void walk_dir (struct walk *w, int dir, const char *rel, bool opaque);

static void
walk_entry (struct walk *w, int dir, const char *rel, const char *name)
{
  struct stat st, lower;
  if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    sbx_die_errno (errno, "read upper", name);
  char *path = join (rel, name);
  bool below = in_root (w, path, &lower);
  if (is_whiteout (dir, name, &st))
    {
      if (below)
        add (w, DELETED, path, 0);
      else
        free (path);
      return;
    }
  if (!S_ISDIR (st.st_mode))
    {
      add (w, below ? MODIFIED : ADDED, path, st.st_mode);
      return;
    }
  autoclose int sub = openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    sbx_die_errno (errno, "read upper", path);
  bool opaque = xattr_is (dir, name, "user.overlay.opaque", "y")
                || xattr_is (dir, name, "user.fuseoverlayfs.opaque", "y")
                || faccessat (sub, ".wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  bool dir_below = below && S_ISDIR (lower.st_mode);
  if (!dir_below)
    add (w, below ? MODIFIED : ADDED, path, st.st_mode);
  walk_dir (w, sub, path, opaque && dir_below);
  if (dir_below)
    free (path);
}

/* OPAQUE: REL hides what ROOT has there; its lower entries that the
 * upper does not have again are deletions. */
static void
walk_dir (struct walk *w, int dir, const char *rel, bool opaque)
{
  size_t n;
  char **names = list_dir (dir, &n);
  if (opaque)
    {
      struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                              .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
      autoclose int lower = sys_openat2 (w->root_fd, rel, &how);
      size_t n_lower = 0;
      char **lower_names = lower >= 0 ? list_dir (lower, &n_lower) : NULL;
      for (size_t i = 0; i < n_lower; i++)
        {
          autofree char *wh = sbx_xasprintf (".wh.%s", lower_names[i]);
          if (!has_name (names, n, lower_names[i]) && !has_name (names, n, wh))
            add (w, DELETED, join (rel, lower_names[i]), 0);
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
          char *path = join (rel, name + 4);
          if (in_root (w, path, &lower))
            add (w, DELETED, path, 0);
          else
            free (path);
        }
      else
        walk_entry (w, dir, rel, name);
      free (names[i]);
    }
  free (names);
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

static void
print_diff (const struct walk *w, const struct sbx_plan *plan, const char *upper, const char *root)
{
  if (!plan->json)
    {
      for (size_t i = 0; i < w->n; i++)
        printf ("%c /%s\n", w->entries[i].change, w->entries[i].path);
      return;
    }
  fputs ("{\"upper\": ", stdout);
  json_string (stdout, upper);
  fputs (", \"root\": ", stdout);
  json_string (stdout, root);
  fputs (", \"changes\": [", stdout);
  for (size_t i = 0; i < w->n; i++)
    {
      autofree char *path = sbx_xasprintf ("/%s", w->entries[i].path);
      printf ("%s{\"change\": \"%s\", \"path\": ", i ? ", " : "", change_word (w->entries[i].change, true));
      json_string (stdout, path);
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

/* Put the upper's PATH in place under ROOT: a new name beside it, then
 * renamed over whatever was there. */
static void
apply_one (int upper_fd, int root_fd, const char *root, const struct entry *e)
{
  const char *last;
  autoclose int parent = open_parent (root_fd, root, e->path, &last);
  struct stat there;
  bool exists = fstatat (parent, last, &there, AT_SYMLINK_NOFOLLOW) == 0;
  if (e->change == DELETED || (exists && (S_ISDIR (there.st_mode) != S_ISDIR (e->mode))))
    if (remove_tree (parent, last) < 0)
      sbx_die_errno (errno, "--commit: delete", e->path);
  if (e->change == DELETED)
    return;
  if (S_ISDIR (e->mode))
    {
      if (mkdirat (parent, last, e->mode & 07777) < 0 && errno != EEXIST)
        sbx_die_errno (errno, "--commit: create folder", e->path);
      return;
    }
  autofree char *temp = sbx_xasprintf (".sbx-commit.%d.%s", (int) getpid (), last);
  if (S_ISLNK (e->mode))
    {
      char target[4096];
      ssize_t n = readlinkat (upper_fd, e->path, target, sizeof target - 1);
      if (n < 0)
        sbx_die_errno (errno, "--commit: read link", e->path);
      target[n] = '\0';
      if (symlinkat (target, parent, temp) < 0)
        sbx_die_errno (errno, "--commit: create link", e->path);
    }
  else if (S_ISREG (e->mode))
    {
      autoclose int from = openat (upper_fd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (from < 0)
        sbx_die_errno (errno, "--commit: read", e->path);
      /* O_PATH parent: create through the real folder. */
      autoclose int dir = openat (parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      autoclose int to = dir < 0 ? -1 : openat (dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                e->mode & 07777);
      if (to < 0)
        sbx_die_errno (errno, "--commit: create", e->path);
      sbx_copy_fd (from, to, e->path);
      fchmod (to, e->mode & 07777);
    }
  else if (mknodat (parent, temp, e->mode, 0) < 0)
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
  if (remove_tree (fd, "upper") < 0 || remove_tree (fd, "work") < 0)
    sbx_die_errno (errno, "--discard", dir);
  if (rmdir (dir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
    sbx_die_errno (errno, "--discard", dir);
  return 0;
}

int
sbx_changes_run (const struct sbx_plan *plan)
{
  if (strcmp (plan->changes_verb, "discard") == 0)
    return discard (plan->changes_dir);
  const char *root = plan->commit_to ? plan->commit_to : "/";
  autofree char *upper = upper_of (plan->changes_dir);
  autoclose int upper_fd = open (upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (upper_fd < 0)
    sbx_die_errno (errno, "read upper", upper);
  struct walk w = { .root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
  if (w.root_fd < 0)
    sbx_die_errno (errno, "--to", root);
  walk_dir (&w, upper_fd, "", false);

  if (strcmp (plan->changes_verb, "diff") == 0)
    print_diff (&w, plan, upper, root);
  else
    {
      const char *slash = strcmp (root, "/") == 0 ? "" : root;
      for (size_t i = 0; i < w.n; i++)
        {
          if (plan->yes)
            apply_one (upper_fd, w.root_fd, root, &w.entries[i]);
          printf ("%s%s %s/%s\n", plan->yes ? "" : "would ", change_word (w.entries[i].change, plan->yes),
                  slash, w.entries[i].path);
        }
      if (!plan->yes)
        printf ("dry run: %zu change%s; give --yes to apply them to %s\n", w.n, w.n == 1 ? "" : "s", root);
    }
  for (size_t i = 0; i < w.n; i++)
    free (w.entries[i].path);
  free (w.entries);
  close (w.root_fd);
  return 0;
}
