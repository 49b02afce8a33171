/* --wrap NAME: a symlink NAME -> sbx in ~/.local/bin (or --wrap-dir), so
 * that running NAME runs the real NAME through profile NAME (see
 * run_as_wrapper in options.c). Only links that lead to sbx are ever
 * touched. */
#include "wrappers.h"

#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
wrap_dir (const struct sbx_plan *plan)
{
  if (plan->wrap_dir != NULL)
    return sbx_xstrdup (plan->wrap_dir);
  const char *home = getenv ("HOME");
  if (home == NULL || home[0] != '/')
    sbx_die ("--wrap: HOME is not set; give the folder with --wrap-dir");
  return sbx_xasprintf ("%s/.local/bin", home);
}

/* Does PATH lead to this very sbx? */
static bool
leads_to (const char *path, const char *self)
{
  autofree char *resolved = realpath (path, NULL);
  return resolved != NULL && strcmp (resolved, self) == 0;
}

static void
check_name (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strchr (name, '/') != NULL || strcmp (name, "sbx") == 0)
    sbx_die ("--wrap: not a program name: '%s'", name);
}

int
sbx_wrappers_run (const struct sbx_plan *plan)
{
  autofree char *self = realpath ("/proc/self/exe", NULL);
  autofree char *dir = wrap_dir (plan);
  if (self == NULL)
    sbx_die_errno (errno, "find sbx itself", "/proc/self/exe");

  for (size_t i = 0; i < plan->n_wrap; i++)
    {
      const char *name = plan->wrap[i];
      check_name (name);
      if (sbx_mkdir_p (dir, 0755) < 0)
        sbx_die_errno (errno, "create wrapper folder", dir);
      autofree char *link = sbx_xasprintf ("%s/%s", dir, name);
      if (symlink (self, link) < 0)
        {
          if (errno != EEXIST)
            sbx_die_errno (errno, "create wrapper", link);
          if (!leads_to (link, self))
            sbx_die ("create wrapper: %s: exists and is not an sbx wrapper; left alone", link);
        }
      printf ("%s -> %s\n", link, self);
    }
  for (size_t i = 0; i < plan->n_unwrap; i++)
    {
      const char *name = plan->unwrap[i];
      check_name (name);
      autofree char *link = sbx_xasprintf ("%s/%s", dir, name);
      struct stat st;
      if (lstat (link, &st) < 0)
        sbx_die_errno (errno, "remove wrapper", link);
      if (!S_ISLNK (st.st_mode) || !leads_to (link, self))
        sbx_die ("remove wrapper: %s: not an sbx wrapper; left alone", link);
      if (unlink (link) < 0)
        sbx_die_errno (errno, "remove wrapper", link);
    }
  if (plan->list_wrapped)
    {
      DIR *d = opendir (dir);
      struct dirent *e;
      while (d != NULL && (e = readdir (d)) != NULL)
        {
          autofree char *link = sbx_xasprintf ("%s/%s", dir, e->d_name);
          struct stat st;
          if (lstat (link, &st) == 0 && S_ISLNK (st.st_mode) && leads_to (link, self))
            printf ("%s\t%s\n", e->d_name, link);
        }
      if (d != NULL)
        closedir (d);
    }
  return 0;
}
