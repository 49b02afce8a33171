/* The sandbox's cgroup at launch: made by the monitor before any
 * namespace (with the caller's own credentials), joined by the sandbox
 * process itself before it builds its root, removed after the sandbox
 * ended. Its path is <parent>/sbx-<name>-<monitor pid>. */
#include "limits.h"

#include "cgroup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void
sbx_cgroup_reexec (const struct sbx_limits *limits, char **self_argv)
{
  if (limits->cgroup.kind != SBX_CGK_SYSTEMD)
    return;
#ifdef WITH_SD_BUS
  /* The same pid, now in the scope: the sbx executed again finds its own
   * cgroup delegated, as after systemd-run. */
  sbx_sdbus_start_scope (limits);
  setenv ("SBX_SYSTEMD_SCOPE", "1", 1);
  execv ("/proc/self/exe", self_argv);
  sbx_die_errno (errno, "execute sbx again in its systemd scope", "/proc/self/exe");
#endif
  size_t argc = 0;
  while (self_argv[argc] != NULL)
    argc++;
  /* Named by its path: /proc/self/exe would be systemd-run's own once it
   * executes the command. */
  char self[PATH_MAX];
  ssize_t self_len = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (self_len < 0)
    sbx_die_errno (errno, "readlink", "/proc/self/exe");
  self[self_len] = '\0';
  const char *prefix[] = { "systemd-run", "--user", "--scope", "--quiet", "--collect",
                           "-p", "Delegate=yes", "--", self };
  size_t n_prefix = sizeof prefix / sizeof prefix[0];
  char **args = sbx_xcalloc (n_prefix + argc + 1, sizeof *args);
  for (size_t i = 0; i < n_prefix; i++)
    args[i] = (char *) prefix[i];
  for (size_t i = 1; i < argc; i++)
    args[n_prefix + i - 1] = self_argv[i];
  /* The scope is ours alone: the next sbx finds it delegated. */
  setenv ("SBX_SYSTEMD_SCOPE", "1", 1);
  execvp (args[0], args);
  sbx_die_errno (errno, "run systemd-run --user --scope for a delegated cgroup", NULL);
}

/* A limit the kernel refuses (a quota above the parent's, a leaf that
 * cannot be made) leaves nothing behind: the cgroup goes before sbx dies. */
static void
write_in (struct sbx_cgroup *cg, const char *dir, const char *file, const char *value)
{
  autofree char *path = sbx_xasprintf ("%s/%s", dir, file);
  if (sbx_write_file_at (AT_FDCWD, path, value) == 0)
    return;
  int saved = errno;
  sbx_cgroup_remove (cg);
  sbx_die_errno (saved, "write cgroup limit", path);
}

static bool
exists_in (const char *dir, const char *file)
{
  autofree char *path = sbx_xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

static void
write_bytes (struct sbx_cgroup *cg, const char *dir, const char *file, uint64_t bytes, const char *max_word)
{
  char value[32];
  if (bytes == SBX_UNLIMITED)
    snprintf (value, sizeof value, "%s", max_word);
  else
    snprintf (value, sizeof value, "%llu", (unsigned long long) bytes);
  write_in (cg, dir, file, value);
}

static void
write_v2_limits (const struct sbx_limits *l, struct sbx_cgroup *cg)
{
  const char *mem = cg->role_dir[SBX_CG_MEMORY];
  char value[64];
  if (l->set & SBX_LIM_MEMORY)
    write_bytes (cg, mem, "memory.max", l->memory, "max");
  /* A memory limit the sandbox could swap its way around is none:
   * without --memory-swap, no swap. */
  if ((l->set & SBX_LIM_SWAP) || ((l->set & SBX_LIM_MEMORY) && exists_in (mem, "memory.swap.max")))
    write_bytes (cg, mem, "memory.swap.max", (l->set & SBX_LIM_SWAP) ? l->memory_swap : 0, "max");
  if (l->set & SBX_LIM_PIDS)
    write_bytes (cg, cg->role_dir[SBX_CG_PIDS], "pids.max", l->pids, "max");
  if (l->set & SBX_LIM_CPUS)
    {
      snprintf (value, sizeof value, "%.0f 100000", fmax (1000, l->cpus * 100000));
      write_in (cg, cg->role_dir[SBX_CG_CPU], "cpu.max", value);
    }
  if (l->set & SBX_LIM_CPU_WEIGHT)
    {
      snprintf (value, sizeof value, "%u", l->cpu_weight);
      write_in (cg, cg->role_dir[SBX_CG_CPU], "cpu.weight", value);
    }
  if (l->set & SBX_LIM_IO_WEIGHT)
    {
      snprintf (value, sizeof value, "default %u", l->io_weight);
      write_in (cg, cg->role_dir[SBX_CG_IO], "io.weight", value);
    }
}

/* v1 counts memory and swap together in memsw, and weights on its own
 * scales: cpu.shares 1024 and blkio.weight 500 are v2's weight 100. */
static void
write_v1_limits (const struct sbx_limits *l, struct sbx_cgroup *cg)
{
  const char *mem = cg->role_dir[SBX_CG_MEMORY];
  char value[64];
  if (l->set & SBX_LIM_MEMORY)
    write_bytes (cg, mem, "memory.limit_in_bytes", l->memory, "-1");
  if (l->set & SBX_LIM_SWAP)
    {
      if (!exists_in (mem, "memory.memsw.limit_in_bytes"))
        sbx_cgroup_remove (cg), sbx_die ("--memory-swap: this kernel does not account swap in cgroup v1 (no memory.memsw; "
                 "boot with swapaccount=1)");
      uint64_t both = l->memory == SBX_UNLIMITED || l->memory_swap == SBX_UNLIMITED
                        ? SBX_UNLIMITED : l->memory + l->memory_swap;
      write_bytes (cg, mem, "memory.memsw.limit_in_bytes", both, "-1");
    }
  else if ((l->set & SBX_LIM_MEMORY) && exists_in (mem, "memory.memsw.limit_in_bytes"))
    write_bytes (cg, mem, "memory.memsw.limit_in_bytes", l->memory, "-1");
  if (l->set & SBX_LIM_PIDS)
    write_bytes (cg, cg->role_dir[SBX_CG_PIDS], "pids.max", l->pids, "max");
  if (l->set & SBX_LIM_CPUS)
    {
      write_in (cg, cg->role_dir[SBX_CG_CPU], "cpu.cfs_period_us", "100000");
      snprintf (value, sizeof value, "%.0f", fmax (1000, l->cpus * 100000));
      write_in (cg, cg->role_dir[SBX_CG_CPU], "cpu.cfs_quota_us", value);
    }
  if (l->set & SBX_LIM_CPU_WEIGHT)
    {
      snprintf (value, sizeof value, "%u", l->cpu_weight * 1024 / 100 < 2 ? 2 : l->cpu_weight * 1024 / 100);
      write_in (cg, cg->role_dir[SBX_CG_CPU], "cpu.shares", value);
    }
  if (l->set & SBX_LIM_IO_WEIGHT)
    {
      unsigned w = l->io_weight * 5;
      snprintf (value, sizeof value, "%u", w < 10 ? 10 : w > 1000 ? 1000 : w);
      const char *io = cg->role_dir[SBX_CG_IO];
      if (exists_in (io, "blkio.weight"))
        write_in (cg, io, "blkio.weight", value);
      else if (exists_in (io, "blkio.bfq.weight"))
        write_in (cg, io, "blkio.bfq.weight", value);
      else
        sbx_warn ("--io-weight: no blkio.weight here (the I/O scheduler has no weights); not enforced");
    }
}

static const char *const v2_controllers[SBX_CG_NROLES] = {
  [SBX_CG_MEMORY] = "memory", [SBX_CG_PIDS] = "pids", [SBX_CG_CPU] = "cpu", [SBX_CG_IO] = "io",
};

/* Every process of FROM into TO. Besides sbx, its own cgroup holds the
 * helpers it forked before making the sandbox's (the network helper, the
 * D-Bus proxy): they go to the leaf and back with it. */
static int
move_all (const char *from, const char *to)
{
  autofree char *from_procs = sbx_xasprintf ("%s/cgroup.procs", from);
  autofree char *to_procs = sbx_xasprintf ("%s/cgroup.procs", to);
  FILE *f = fopen (from_procs, "re");
  if (f == NULL)
    return -1;
  int pid, rc = 0;
  while (fscanf (f, "%d", &pid) == 1)
    {
      char value[16];
      snprintf (value, sizeof value, "%d", pid);
      if (sbx_write_file_at (AT_FDCWD, to_procs, value) < 0 && errno != ESRCH)
        rc = -1;
    }
  fclose (f);
  return rc;
}

/* Is WORD one of the space-separated words of LIST? ("cpu" is not
 * "cpuset".) */
static bool
has_controller (const char *list, const char *word)
{
  size_t len = strlen (word);
  for (const char *p = list; p != NULL && (p = strstr (p, word)) != NULL; p += len)
    if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
      return true;
  return false;
}

/* v2: sbx moves itself to a leaf first, since a cgroup with controllers
 * in its subtree_control may hold no process. */
static void
enable_v2_controllers (const struct sbx_limits *l, struct sbx_cgroup *cg)
{
  const struct sbx_cg_choice *c = &l->cgroup;
  if (!c->v2_enable)
    return;
  if (mkdir (c->leaf, 0755) < 0 && errno != EEXIST)
    sbx_die_errno (errno, "create cgroup", c->leaf);
  cg->leaf = sbx_xstrdup (c->leaf);
  char pid[16];
  snprintf (pid, sizeof pid, "%d", (int) getpid ());
  write_in (cg, c->leaf, "cgroup.procs", pid);
  /* The rest is best effort: one left behind shows as EBUSY below. */
  move_all (c->parent[SBX_CG_CPUACCT], c->leaf);
  autofree char *subtree_path = sbx_xasprintf ("%s/cgroup.subtree_control", c->parent[SBX_CG_CPUACCT]);
  autofree char *subtree = NULL;
  size_t cap = 0;
  FILE *f = fopen (subtree_path, "re");
  if (f != NULL && getline (&subtree, &cap, f) < 0)
    subtree[0] = '\0';
  if (f != NULL)
    fclose (f);
  for (int r = 0; r < SBX_CG_NROLES; r++)
    if (v2_controllers[r] != NULL && c->parent[r] != NULL
        && (subtree == NULL || !has_controller (subtree, v2_controllers[r])))
      {
        char word[16];
        snprintf (word, sizeof word, "+%s", v2_controllers[r]);
        write_in (cg, c->parent[r], "cgroup.subtree_control", word);
        cg->v2_enabled |= 1u << r;
      }
}

/* Make cg->dir[I], open its cgroup.procs and lock it (cgroup_sweep.c):
 * held for as long as sbx runs, so that no other sbx takes it for stale. */
static void
make_held (struct sbx_cgroup *cg, size_t i)
{
  const char *dir = cg->dir[i];
  autofree char *procs = sbx_xasprintf ("%s/cgroup.procs", dir);
  for (int tries = 0; tries < 3; tries++)
    {
      /* A folder left by an sbx of the same pid that was killed. */
      if (mkdir (dir, 0755) < 0 && (errno != EEXIST || rmdir (dir) < 0 || mkdir (dir, 0755) < 0))
        break;
      cg->procs[i] = open (procs, O_WRONLY | O_CLOEXEC);
      if (cg->procs[i] < 0)
        break;
      if (sbx_cgroup_hold (cg->procs[i], dir))
        return;
      close (cg->procs[i]);
      cg->procs[i] = -1;
      errno = ENOENT;
    }
  int saved = errno;
  sbx_cgroup_remove (cg);
  sbx_die_errno (saved, "create cgroup", dir);
}

void
sbx_cgroup_create (const struct sbx_limits *l, struct sbx_cgroup *cg)
{
  *cg = (struct sbx_cgroup) { .v2 = l->cgroup.kind == SBX_CGK_V2 };
  for (int r = 0; r < SBX_CG_NROLES; r++)
    cg->procs[r] = -1;
  if (l->cgroup.kind != SBX_CGK_V2 && l->cgroup.kind != SBX_CGK_V1)
    return;
  /* Before anything of ours is there: what a killed sbx left. */
  for (int r = 0; r < SBX_CG_NROLES; r++)
    {
      bool seen = false;
      for (int s = 0; s < r; s++)
        seen |= l->cgroup.parent[s] == l->cgroup.parent[r];
      if (l->cgroup.parent[r] != NULL && !seen)
        sbx_cgroup_sweep (l->cgroup.parent[r]);
    }
  if (cg->v2)
    enable_v2_controllers (l, cg);
  for (int r = 0; r < SBX_CG_NROLES; r++)
    {
      const char *parent = l->cgroup.parent[r];
      if (parent == NULL)
        continue;
      for (int s = 0; s < r && cg->role_dir[r] == NULL; s++)
        if (l->cgroup.parent[s] == parent)
          cg->role_dir[r] = cg->role_dir[s];
      if (cg->role_dir[r] != NULL)
        continue;
      char *dir = sbx_xasprintf ("%s/%s", parent, l->cgroup.name);
      cg->dir[cg->n] = dir;
      cg->role_dir[r] = dir;
      make_held (cg, cg->n++);
    }
  if (cg->v2)
    write_v2_limits (l, cg);
  else
    write_v1_limits (l, cg);
}

void
sbx_cgroup_join (struct sbx_cgroup *cg, bool cgroup_ns, bool cgroup_ns_try)
{
  /* "0" is the writer itself, whatever pid namespace it is in; the
   * kernel checks the credentials the file was opened with. */
  for (size_t i = 0; i < cg->n; i++)
    {
      if (sbx_write_all (cg->procs[i], "0", 1) < 0)
        sbx_die_errno (errno, "join cgroup", cg->dir[i]);
      close (cg->procs[i]);
      cg->procs[i] = -1;
    }
  /* After the move, so that the sandbox's cgroup is its root. */
  if (cgroup_ns && unshare (CLONE_NEWCGROUP) < 0 && !(cgroup_ns_try && errno == EINVAL))
    sbx_die_errno (errno, "create namespaces", "cgroup");
}

/* Whatever the sandbox left behind (without a pid namespace, daemons
 * outlive the command) ends with it, so that the cgroup can go. */
static void
empty_and_remove (const char *dir, bool v2)
{
  autofree char *procs_path = sbx_xasprintf ("%s/cgroup.procs", dir);
  if (v2 && exists_in (dir, "cgroup.kill"))
    {
      autofree char *kill_path = sbx_xasprintf ("%s/cgroup.kill", dir);
      sbx_write_file_at (AT_FDCWD, kill_path, "1");
    }
  for (int tries = 0; tries < 500; tries++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return;
      if (errno != EBUSY)
        break;
      FILE *f = fopen (procs_path, "re");
      int pid;
      while (f != NULL && fscanf (f, "%d", &pid) == 1)
        kill (pid, SIGKILL);
      if (f != NULL)
        fclose (f);
      nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
    }
  sbx_warn ("could not remove the cgroup %s: %s", dir, strerror (errno));
}

/* Back out of the leaf, so that the parent is as sbx found it: only the
 * controllers sbx switched on go off again. */
static void
leave_leaf (const struct sbx_cgroup *cg)
{
  autofree char *parent = sbx_xstrdup (cg->leaf);
  *strrchr (parent, '/') = '\0';
  autofree char *subtree = sbx_xasprintf ("%s/cgroup.subtree_control", parent);
  for (int r = 0; r < SBX_CG_NROLES; r++)
    if ((cg->v2_enabled >> r) & 1)
      {
        char word[16];
        snprintf (word, sizeof word, "-%s", v2_controllers[r]);
        sbx_write_file_at (AT_FDCWD, subtree, word);
      }
  if (move_all (cg->leaf, parent) == 0)
    rmdir (cg->leaf);
}

void
sbx_cgroup_remove (struct sbx_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    {
      if (cg->procs[i] >= 0)
        close (cg->procs[i]);
      empty_and_remove (cg->dir[i], cg->v2);
      /* On the way out too: a sandbox that outlived its killed sbx may
       * have ended since this one began. */
      *strrchr (cg->dir[i], '/') = '\0';
      sbx_cgroup_sweep (cg->dir[i]);
      free (cg->dir[i]);
    }
  cg->n = 0;
  if (cg->leaf != NULL)
    leave_leaf (cg);
  free (cg->leaf);
  cg->leaf = NULL;
}
