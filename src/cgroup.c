/* Which cgroup may sbx use without privilege? In order: a delegated v2
 * subtree below its own cgroup; a systemd user manager that makes one (a
 * transient scope with Delegate=yes); delegated v1 subtrees below its own
 * cgroup in each hierarchy, on hybrid hosts. Only looks; changes nothing. */
#include "cgroup.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const v1_names[SBX_CG_NROLES] = {
  [SBX_CG_MEMORY] = "memory", [SBX_CG_PIDS] = "pids", [SBX_CG_CPU] = "cpu",
  [SBX_CG_CPUACCT] = "cpuacct", [SBX_CG_IO] = "blkio",
};
/* v2 has no accounting controller: cpu.stat is always there. */
static const char *const v2_names[SBX_CG_NROLES] = {
  [SBX_CG_MEMORY] = "memory", [SBX_CG_PIDS] = "pids", [SBX_CG_CPU] = "cpu",
  [SBX_CG_CPUACCT] = NULL, [SBX_CG_IO] = "io",
};

static void
add_reason (char *why, size_t len, const char *fmt, ...)
{
  size_t used = strlen (why);
  if (used > 0 && used + 2 < len)
    {
      strcpy (why + used, "; ");
      used += 2;
    }
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (why + used, len - used, fmt, ap);
  va_end (ap);
}

static char *
read_text (const char *path)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  char *text = NULL;
  size_t cap = 0;
  ssize_t n = getdelim (&text, &cap, '\0', f);
  fclose (f);
  if (n < 0)
    {
      free (text);
      return sbx_xstrdup ("");
    }
  return text;
}

/* Is WORD one of the words of LIST (separated by any of SEPS)? */
static bool
has_word (const char *list, const char *word, const char *seps)
{
  size_t len = strlen (word);
  for (const char *p = list; p != NULL && *p;)
    {
      size_t span = strcspn (p, seps);
      if (span == len && strncmp (p, word, len) == 0)
        return true;
      p += span;
      p += strspn (p, seps);
    }
  return false;
}

/* The mount point of the cgroup2 hierarchy (CONTROLLER NULL) or of the
 * v1 hierarchy with CONTROLLER; only whole-hierarchy mounts count. */
static char *
find_mount (const char *controller)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return NULL;
  char *line = NULL, *found = NULL;
  size_t cap = 0;
  while (found == NULL && getline (&line, &cap, f) > 0)
    {
      char root[256], point[1024], fstype[32], super[512];
      char *dash = strstr (line, " - ");
      if (dash == NULL || sscanf (line, "%*s %*s %*s %255s %1023s", root, point) != 2
          || sscanf (dash, " - %31s %*s %511s", fstype, super) != 2 || strcmp (root, "/") != 0)
        continue;
      if (controller == NULL ? strcmp (fstype, "cgroup2") == 0
                             : strcmp (fstype, "cgroup") == 0 && has_word (super, controller, ","))
        found = sbx_xstrdup (point);
    }
  free (line);
  fclose (f);
  return found;
}

/* sbx's own cgroup in the hierarchy of CONTROLLER (NULL: v2), as a path
 * below the hierarchy's root. */
static char *
own_cgroup (const char *controller)
{
  FILE *f = fopen ("/proc/self/cgroup", "re");
  if (f == NULL)
    return NULL;
  char *line = NULL, *found = NULL;
  size_t cap = 0;
  while (found == NULL && getline (&line, &cap, f) > 0)
    {
      line[strcspn (line, "\n")] = '\0';
      char *ctrls = strchr (line, ':');
      char *path = ctrls ? strchr (ctrls + 1, ':') : NULL;
      if (path == NULL)
        continue;
      *path++ = '\0';
      *ctrls++ = '\0';
      if (controller == NULL ? strcmp (line, "0") == 0 && *ctrls == '\0' : has_word (ctrls, controller, ","))
        found = sbx_xstrdup (path);
    }
  free (line);
  fclose (f);
  return found;
}

/* The folder of sbx's own cgroup, or NULL with a reason. */
static char *
own_folder (const char *controller, const char *label, char *why, size_t len)
{
  autofree char *mount = find_mount (controller);
  if (mount == NULL)
    {
      add_reason (why, len, "%s is not mounted", label);
      return NULL;
    }
  autofree char *path = own_cgroup (controller);
  if (path == NULL || path[0] != '/')
    {
      add_reason (why, len, "%s: sbx's own cgroup is not in /proc/self/cgroup", label);
      return NULL;
    }
  return strcmp (path, "/") == 0 ? sbx_xstrdup (mount) : sbx_xasprintf ("%s%s", mount, path);
}

/* Delegated to us, as systemd's Delegate=yes does: we may make folders
 * in it and move processes through it. */
static bool
writable (const char *dir, const char *label, char *why, size_t len)
{
  autofree char *procs = sbx_xasprintf ("%s/cgroup.procs", dir);
  if (access (dir, W_OK) == 0 && access (procs, W_OK) == 0)
    return true;
  add_reason (why, len, "%s: sbx's cgroup %s is not delegated to uid %d (not writable)", label, dir,
              (int) getuid ());
  return false;
}

/* Any process in DIR other than sbx itself? */
static bool
others_inside (const char *dir)
{
  autofree char *path = sbx_xasprintf ("%s/cgroup.procs", dir);
  autofree char *procs = read_text (path);
  if (procs == NULL)
    return true;
  for (char *p = procs; *p;)
    {
      if (atoi (p) != getpid ())
        return true;
      p += strcspn (p, "\n");
      p += strspn (p, "\n");
    }
  return false;
}

static bool
try_v2 (struct sbx_cg_choice *c, unsigned needed, unsigned wanted, char *why, size_t len)
{
  autofree char *dir = own_folder (NULL, "cgroup v2", why, len);
  if (dir == NULL || !writable (dir, "cgroup v2", why, len))
    return false;
  autofree char *ctl_path = sbx_xasprintf ("%s/cgroup.controllers", dir);
  autofree char *sub_path = sbx_xasprintf ("%s/cgroup.subtree_control", dir);
  autofree char *controllers = read_text (ctl_path);
  autofree char *subtree = read_text (sub_path);
  unsigned usable = 1u << SBX_CG_CPUACCT, enable = 0;
  for (int r = 0; r < SBX_CG_NROLES; r++)
    {
      if (v2_names[r] == NULL || !(((needed | wanted) >> r) & 1))
        continue;
      bool there = has_word (subtree, v2_names[r], " \n");
      if (!there && !has_word (controllers, v2_names[r], " \n"))
        {
          if ((needed >> r) & 1)
            {
              add_reason (why, len, "cgroup v2: the %s controller is not delegated to %s", v2_names[r], dir);
              return false;
            }
          continue;
        }
      /* Only what a limit needs is switched on: a wanted statistic is
       * not worth moving sbx for. */
      if (!there && !((needed >> r) & 1))
        continue;
      usable |= 1u << r;
      if (!there)
        enable |= 1u << r;
    }
  if (enable != 0)
    {
      if (access (sub_path, W_OK) < 0)
        {
          add_reason (why, len, "cgroup v2: %s is not writable", sub_path);
          return false;
        }
      /* Controllers in a cgroup's subtree_control need it empty of
       * processes: sbx can move itself to a leaf, but not others. */
      if (others_inside (dir))
        {
          add_reason (why, len, "cgroup v2: %s holds other processes, so no controller can be enabled "
                      "below it (run sbx in a cgroup of its own)", dir);
          return false;
        }
      c->leaf = sbx_xasprintf ("%s/sbx-monitor-%d", dir, (int) getpid ());
    }
  c->kind = SBX_CGK_V2;
  c->v2_enable = enable != 0;
  char *shared = dir;
  dir = NULL;
  for (int r = 0; r < SBX_CG_NROLES; r++)
    if ((usable >> r) & 1)
      c->parent[r] = shared;
  return true;
}

/* A hybrid host's v1 hierarchy for role R: whether the manager gives the
 * scope a delegated subtree there shows only from inside it, where the
 * re-executed sbx looks again (and says why not, if it did not). */
static bool
on_v1 (int r)
{
  autofree char *mount = find_mount (v1_names[r]);
  return mount != NULL;
}

/* A scope of the user manager (sd-bus, or re-executing under
 * systemd-run) helps only where it can delegate the controllers: a v2
 * hierarchy that has them, or on a hybrid host perhaps the v1 ones. */
static bool
try_systemd (struct sbx_cg_choice *c, unsigned needed, char *why, size_t len)
{
  if (getenv ("SBX_SYSTEMD_SCOPE") != NULL)
    {
      add_reason (why, len, "systemd: the scope sbx runs in does not delegate the controllers");
      return false;
    }
#ifdef WITH_SD_BUS
  char bus_why[256];
  if (!sbx_sdbus_reachable (bus_why, sizeof bus_why))
    {
      add_reason (why, len, "systemd: %s", bus_why);
      return false;
    }
#else
  const char *runtime = getenv ("XDG_RUNTIME_DIR");
  autofree char *socket = runtime ? sbx_xasprintf ("%s/systemd/private", runtime) : NULL;
  if (socket == NULL || access (socket, F_OK) < 0)
    {
      add_reason (why, len, "systemd: no user manager reachable (%s)",
                  socket ? "no $XDG_RUNTIME_DIR/systemd/private" : "no XDG_RUNTIME_DIR");
      return false;
    }
#endif
  autofree char *mount = find_mount (NULL);
  autofree char *ctl_path = mount ? sbx_xasprintf ("%s/cgroup.controllers", mount) : NULL;
  autofree char *controllers = ctl_path ? read_text (ctl_path) : NULL;
  for (int r = 0; r < SBX_CG_NROLES; r++)
    if (((needed >> r) & 1) && v2_names[r] != NULL && !has_word (controllers, v2_names[r], " \n")
        && !on_v1 (r))
      {
        add_reason (why, len, "systemd: the %s controller is on neither cgroup v2 nor cgroup v1 here", v2_names[r]);
        return false;
      }
  c->kind = SBX_CGK_SYSTEMD;
  return true;
}

static bool
try_v1 (struct sbx_cg_choice *c, unsigned needed, unsigned wanted, char *why, size_t len)
{
  struct sbx_cg_choice found = { .kind = SBX_CGK_V1 };
  bool any = false;
  for (int r = 0; r < SBX_CG_NROLES; r++)
    {
      if (!(((needed | wanted) >> r) & 1))
        continue;
      char label[48];
      snprintf (label, sizeof label, "cgroup v1 %s", v1_names[r]);
      char scratch[512] = "";
      bool must = (needed >> r) & 1;
      char *dir = own_folder (v1_names[r], label, must ? why : scratch, must ? len : sizeof scratch);
      if (dir == NULL || !writable (dir, label, must ? why : scratch, must ? len : sizeof scratch))
        {
          free (dir);
          if (!must)
            continue;
          struct sbx_limits partial = { .cgroup = found };
          sbx_limits_free (&partial);
          return false;
        }
      /* Co-mounted controllers (cpu,cpuacct) share one folder. */
      for (int s = 0; s < r; s++)
        if (found.parent[s] != NULL && strcmp (found.parent[s], dir) == 0)
          {
            free (dir);
            dir = found.parent[s];
            break;
          }
      found.parent[r] = dir;
      any = true;
    }
  if (!any)
    return false;
  *c = found;
  return true;
}

bool
sbx_cgroup_choose (struct sbx_cg_choice *c, unsigned needed, unsigned wanted, char *why, size_t len)
{
  *c = (struct sbx_cg_choice) { .kind = SBX_CGK_NONE };
  if (try_v2 (c, needed, wanted, why, len))
    return true;
  if (needed != 0 && try_systemd (c, needed, why, len))
    return true;
  if (try_v1 (c, needed, wanted, why, len))
    return true;
  return needed == 0;
}
