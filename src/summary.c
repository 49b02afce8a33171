/* The one line sbx prints when the sandbox leaves, with --stats or when a
 * limit killed it: peak memory, CPU time, and the limit reached. Read from
 * the cgroup while it still exists; rusage where there is none. */
#include "limits.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The number after KEY in a "key value" file, or a file holding only a
 * number (KEY NULL); -1 when there is none. */
static long long
read_value (const char *dir, const char *file, const char *key)
{
  if (dir == NULL)
    return -1;
  autofree char *path = sbx_xasprintf ("%s/%s", dir, file);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return -1;
  long long value = -1;
  char name[64];
  long long v;
  if (key == NULL)
    {
      if (fscanf (f, "%lld", &v) == 1)
        value = v;
    }
  else
    while (fscanf (f, "%63s %lld", name, &v) == 2)
      if (strcmp (name, key) == 0)
        value = v;
  fclose (f);
  return value;
}

struct usage {
  long long peak;               /* bytes, -1 unknown */
  bool peak_is_rss;             /* the biggest single process, not the cgroup */
  double cpu;                   /* seconds */
  long long oom_kills, pids_refused;
};

static void
read_usage (const struct sbx_cgroup *cg, struct usage *u)
{
  const char *mem = cg->role_dir[SBX_CG_MEMORY];
  const char *acct = cg->role_dir[SBX_CG_CPUACCT];
  u->peak = read_value (mem, cg->v2 ? "memory.peak" : "memory.max_usage_in_bytes", NULL);
  u->oom_kills = cg->v2 ? read_value (mem, "memory.events", "oom_kill")
                        : read_value (mem, "memory.oom_control", "oom_kill");
  u->pids_refused = read_value (cg->role_dir[SBX_CG_PIDS], "pids.events", "max");
  long long cpu = cg->v2 ? read_value (acct, "cpu.stat", "usage_usec") : read_value (acct, "cpuacct.usage", NULL);
  struct rusage ru;
  getrusage (RUSAGE_CHILDREN, &ru);
  if (cpu >= 0)
    u->cpu = cg->v2 ? (double) cpu / 1e6 : (double) cpu / 1e9;
  else
    u->cpu = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
             + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (u->peak < 0)
    {
      u->peak = (long long) ru.ru_maxrss * 1024;
      u->peak_is_rss = true;
    }
}

int
sbx_cgroup_finish (const struct sbx_limits *l, struct sbx_cgroup *cg, bool timed_out, int code)
{
  struct usage u = { 0 };
  read_usage (cg, &u);
  char limit[32], peak[32], line[256];
  sbx_format_size (peak, sizeof peak, (uint64_t) u.peak);
  const char *killed = NULL;
  if (timed_out)
    {
      snprintf (limit, sizeof limit, "%g", l->timeout);
      snprintf (line, sizeof line, "killed: timeout %ss reached", limit);
      killed = line;
    }
  else if (u.oom_kills > 0)
    {
      sbx_format_size (limit, sizeof limit, l->memory);
      snprintf (line, sizeof line, "killed: memory limit %s reached", limit);
      killed = line;
    }
  if (killed != NULL || l->stats)
    {
      char pids[96] = "";
      if (u.pids_refused > 0)
        snprintf (pids, sizeof pids, "; pids limit %llu reached (%lld forks refused)",
                  (unsigned long long) l->pids, u.pids_refused);
      fprintf (stderr, "sbx: %s%speak memory %s%s, cpu time %.2fs%s%s\n", killed ? killed : "stats: ",
               killed ? " (" : "", peak, u.peak_is_rss ? " (largest process)" : "", u.cpu, pids,
               killed ? ")" : (u.pids_refused > 0 ? "" : ", no limit reached"));
    }
  sbx_cgroup_remove (cg);
  return timed_out ? 124 : code;
}
