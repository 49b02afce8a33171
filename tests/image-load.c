/* Test driver for the image loader:
 *   image-load IMAGE      load it (cache from $XDG_CACHE_HOME), print the
 *                         layers and the run configuration;
 *   image-load --tree DIR list DIR's entries, one a line, as
 *                         TYPE PATH [DETAIL]: f (size), d (opaque xattrs),
 *                         l (target), c (major,minor), p.
 * The shell test (image-unit.t) asserts on this output. */
#include "image.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static size_t prefix;

static void
print_list (const char *name, char **list)
{
  printf ("%s:", name);
  if (list == NULL)
    printf (" (absent)");
  for (char **p = list; p != NULL && *p != NULL; p++)
    printf (" [%s]", *p);
  printf ("\n");
}

static int
show (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) flag, (void) ftw;
  const char *rel = strlen (path) > prefix ? path + prefix + 1 : ".";
  if (S_ISREG (st->st_mode))
    printf ("f %s %lld %o\n", rel, (long long) st->st_size, (unsigned) (st->st_mode & 07777));
  else if (S_ISDIR (st->st_mode))
    {
      char a[8] = "", b[8] = "";
      ssize_t na = lgetxattr (path, "user.overlay.opaque", a, sizeof a - 1);
      ssize_t nb = lgetxattr (path, "user.fuseoverlayfs.opaque", b, sizeof b - 1);
      printf ("d %s%s%s%s%s\n", rel, na > 0 ? " overlay.opaque=" : "", na > 0 ? a : "",
              nb > 0 ? " fuseoverlayfs.opaque=" : "", nb > 0 ? b : "");
    }
  else if (S_ISLNK (st->st_mode))
    {
      char target[4096];
      ssize_t n = readlink (path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      printf ("l %s %s\n", rel, target);
    }
  else if (S_ISCHR (st->st_mode))
    printf ("c %s %u,%u\n", rel, major (st->st_rdev), minor (st->st_rdev));
  else if (S_ISFIFO (st->st_mode))
    printf ("p %s\n", rel);
  else
    printf ("? %s\n", rel);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "--tree") == 0)
    {
      prefix = strlen (argv[2]);
      return nftw (argv[2], show, 16, FTW_PHYS) != 0;
    }
  if (argc != 2)
    {
      fprintf (stderr, "usage: image-load IMAGE | --tree DIR\n");
      return 2;
    }
  struct sbx_image img;
  sbx_image_load (argv[1], &img);
  printf ("layers: %zu\n", img.n_layers);
  for (size_t i = 0; i < img.n_layers; i++)
    printf ("layer %zu: %s\n", i, img.layers[i]);
  print_list ("entrypoint", img.entrypoint);
  print_list ("cmd", img.cmd);
  print_list ("env", img.env);
  printf ("workdir: %s\n", img.workdir ? img.workdir : "(absent)");
  printf ("user: %s\n", img.user ? img.user : "(absent)");
  sbx_image_free (&img);
  return 0;
}
