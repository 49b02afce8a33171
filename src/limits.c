/* The limit options, their checks, and the choice of a cgroup: all of it
 * decided before anything is done, so that bad input changes nothing. */
#include "limits.h"

#include "cgroup.h"
#include "error.h"
#include "parse.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *const rlimit_names[SBX_RL_COUNT] = {
  [SBX_RL_AS] = "as", [SBX_RL_NPROC] = "nproc", [SBX_RL_NOFILE] = "nofile",
  [SBX_RL_FSIZE] = "fsize", [SBX_RL_CPU] = "cpu", [SBX_RL_CORE] = "core",
};

void
sbx_limits_init (struct sbx_limits *limits)
{
  *limits = (struct sbx_limits) { .kill_after = 5.0 };
}

void
sbx_limits_free (struct sbx_limits *limits)
{
  for (int r = 0; r < SBX_CG_NROLES; r++)
    {
      /* Roles sharing a hierarchy share the string. */
      for (int s = r + 1; s < SBX_CG_NROLES; s++)
        if (limits->cgroup.parent[s] == limits->cgroup.parent[r])
          limits->cgroup.parent[s] = NULL;
      free (limits->cgroup.parent[r]);
    }
  free (limits->cgroup.leaf);
  free (limits->cgroup.name);
  sbx_limits_init (limits);
}

/* "unlimited" and "max" both mean no limit, wherever a size or a count
 * is taken. */
static bool
is_unlimited (const char *text)
{
  return strcmp (text, "unlimited") == 0 || strcmp (text, "max") == 0 || strcmp (text, "infinity") == 0;
}

/* A byte count: digits, then an optional K, M, G or T (powers of 1024). */
static uint64_t
parse_size (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text)
{
  if (is_unlimited (text))
    return SBX_UNLIMITED;
  char *end = NULL;
  errno = 0;
  unsigned long long value = isdigit ((unsigned char) text[0]) ? strtoull (text, &end, 10) : 0;
  if (end == NULL || errno != 0)
    sbx_parse_error (ctx, opt, "not a valid size: '%s' (bytes, or a number with K, M, G or T; or max)", text);
  static const char suffixes[] = "KMGT";
  unsigned shift = 0;
  if (*end != '\0')
    {
      const char *s = strchr (suffixes, toupper ((unsigned char) *end));
      if (s == NULL || (end[1] != '\0' && strcasecmp (end + 1, "b") != 0 && strcasecmp (end + 1, "ib") != 0))
        sbx_parse_error (ctx, opt, "not a valid size: '%s' (bytes, or a number with K, M, G or T; or max)", text);
      shift = 10 * (unsigned) (s - suffixes + 1);
    }
  if (value > (UINT64_MAX >> shift) / 2)
    sbx_parse_error (ctx, opt, "size too large: '%s'", text);
  return (uint64_t) value << shift;
}

static uint64_t
parse_count (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text, uint64_t min,
             uint64_t max)
{
  if (is_unlimited (text) && max == UINT64_MAX)
    return SBX_UNLIMITED;
  char *end = NULL;
  errno = 0;
  unsigned long long value = isdigit ((unsigned char) text[0]) ? strtoull (text, &end, 10) : 0;
  if (end == NULL || *end != '\0' || errno != 0)
    sbx_parse_error (ctx, opt, "not a valid number: '%s'", text);
  if (value < min || value > max)
    sbx_parse_error (ctx, opt, "%s is out of range (%llu to %llu)", text, (unsigned long long) min,
                     (unsigned long long) max);
  return value;
}

/* A positive decimal number, no sign, no exponent, no "nan". */
static double
parse_decimal (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text,
               char **end, const char *what)
{
  if (!isdigit ((unsigned char) text[0]) && !(text[0] == '.' && isdigit ((unsigned char) text[1])))
    sbx_parse_error (ctx, opt, "not a valid %s: '%s'", what, text);
  for (const char *p = text; *p && !isalpha ((unsigned char) *p); p++)
    if (!isdigit ((unsigned char) *p) && *p != '.')
      sbx_parse_error (ctx, opt, "not a valid %s: '%s'", what, text);
  errno = 0;
  double value = strtod (text, end);
  if (errno != 0 || !isfinite (value))
    sbx_parse_error (ctx, opt, "not a valid %s: '%s'", what, text);
  return value;
}

/* A duration as timeout(1) takes it: a number with s, m, h or d (or ms). */
static double
parse_duration (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text)
{
  char *end = NULL;
  double value = parse_decimal (ctx, opt, text, &end, "duration");
  static const struct { const char *suffix; double scale; } units[] = {
    { "", 1 }, { "s", 1 }, { "ms", 0.001 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
  };
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp (end, units[i].suffix) == 0)
      {
        value *= units[i].scale;
        if (value <= 0 || value > 365 * 86400.0)
          sbx_parse_error (ctx, opt, "duration out of range: '%s' (more than 0, at most a year)", text);
        return value;
      }
  sbx_parse_error (ctx, opt, "not a valid duration: '%s' (a number, with s, m, h or d)", text);
}

void
sbx_handle_cg_limit (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_limits *l = &ctx->plan->limits;
  const char *text = args[0];
  switch (opt->data)
    {
    case SBX_LIM_MEMORY:
      l->memory = parse_size (ctx, opt, text);
      if (l->memory == 0)
        sbx_parse_error (ctx, opt, "a memory limit of 0 leaves nothing to run in");
      break;
    case SBX_LIM_SWAP:
      l->memory_swap = parse_size (ctx, opt, text);
      break;
    case SBX_LIM_PIDS:
      /* pids.max counts every task, the reaper included. */
      l->pids = parse_count (ctx, opt, text, 1, UINT64_MAX);
      break;
    case SBX_LIM_CPUS:
      {
        char *end = NULL;
        l->cpus = parse_decimal (ctx, opt, text, &end, "number of CPUs");
        if (*end != '\0')
          sbx_parse_error (ctx, opt, "not a valid number of CPUs: '%s'", text);
        if (l->cpus < 0.01 || l->cpus > 4096)
          sbx_parse_error (ctx, opt, "%s is out of range (0.01 to 4096 CPUs)", text);
        break;
      }
    case SBX_LIM_CPU_WEIGHT:
      l->cpu_weight = (unsigned) parse_count (ctx, opt, text, 1, 10000);
      break;
    case SBX_LIM_IO_WEIGHT:
      l->io_weight = (unsigned) parse_count (ctx, opt, text, 1, 10000);
      break;
    }
  l->set |= (unsigned) opt->data;
}

void
sbx_handle_rlimit (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_limits *l = &ctx->plan->limits;
  long which = opt->data;
  uint64_t value;
  if (which == SBX_RL_AS || which == SBX_RL_FSIZE || which == SBX_RL_CORE)
    value = parse_size (ctx, opt, args[0]);
  else if (which == SBX_RL_CPU && !is_unlimited (args[0]))
    value = (uint64_t) ceil (parse_duration (ctx, opt, args[0]));
  else
    value = parse_count (ctx, opt, args[0], 0, UINT64_MAX);
  l->rlimit[which] = value;
  l->rlimit_set[which] = true;
}

/* data: 't' for --timeout, 'k' for --kill-after. */
void
sbx_handle_duration (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  double value = parse_duration (ctx, opt, args[0]);
  if (opt->data == 't')
    ctx->plan->limits.timeout = value;
  else
    ctx->plan->limits.kill_after = value;
}

/* data: 's' for --stats, 'b' for --limits-best-effort. */
void
sbx_handle_limit_flag (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  if (opt->data == 's')
    ctx->plan->limits.stats = true;
  else
    ctx->plan->limits.best_effort = true;
}

void
sbx_format_size (char *buf, size_t len, uint64_t bytes)
{
  static const char units[] = "KMGT";
  if (bytes == SBX_UNLIMITED)
    {
      snprintf (buf, len, "max");
      return;
    }
  int u = -1;
  double v = (double) bytes;
  while (v >= 1024 && u < 3)
    v /= 1024, u++;
  if (u < 0)
    snprintf (buf, len, "%llu", (unsigned long long) bytes);
  else if (v == floor (v))
    snprintf (buf, len, "%.0f%c", v, units[u]);
  else
    snprintf (buf, len, "%.1f%c", v, units[u]);
}

/* The roles each asked-for limit needs. */
static unsigned
needed_roles (const struct sbx_limits *l)
{
  unsigned roles = 0;
  if (l->set & (SBX_LIM_MEMORY | SBX_LIM_SWAP))
    roles |= 1u << SBX_CG_MEMORY;
  if (l->set & SBX_LIM_PIDS)
    roles |= 1u << SBX_CG_PIDS;
  if (l->set & (SBX_LIM_CPUS | SBX_LIM_CPU_WEIGHT))
    roles |= 1u << SBX_CG_CPU;
  if (l->set & SBX_LIM_IO_WEIGHT)
    roles |= 1u << SBX_CG_IO;
  return roles;
}

/* Without a cgroup, --limits-best-effort keeps what rlimits can: address
 * space for memory, processes for pids. */
static void
fall_back_to_rlimits (struct sbx_limits *l, const char *why)
{
  if ((l->set & SBX_LIM_MEMORY) && l->memory != SBX_UNLIMITED && !l->rlimit_set[SBX_RL_AS])
    {
      l->rlimit[SBX_RL_AS] = l->memory;
      l->rlimit_set[SBX_RL_AS] = true;
    }
  if ((l->set & SBX_LIM_PIDS) && l->pids != SBX_UNLIMITED && !l->rlimit_set[SBX_RL_NPROC])
    {
      l->rlimit[SBX_RL_NPROC] = l->pids;
      l->rlimit_set[SBX_RL_NPROC] = true;
    }
  sbx_warn ("no cgroup for the limits (%s); --limits-best-effort: using rlimits instead "
            "(--memory as RLIMIT_AS, --pids as RLIMIT_NPROC; the others are not enforced)", why);
  l->set = 0;
}

static void
check_rlimits (const struct sbx_limits *l)
{
  static const int resources[SBX_RL_COUNT] = {
    [SBX_RL_AS] = RLIMIT_AS, [SBX_RL_NPROC] = RLIMIT_NPROC, [SBX_RL_NOFILE] = RLIMIT_NOFILE,
    [SBX_RL_FSIZE] = RLIMIT_FSIZE, [SBX_RL_CPU] = RLIMIT_CPU, [SBX_RL_CORE] = RLIMIT_CORE,
  };
  for (int i = 0; i < SBX_RL_COUNT; i++)
    {
      struct rlimit cur;
      if (!l->rlimit_set[i] || getrlimit (resources[i], &cur) < 0 || cur.rlim_max == RLIM_INFINITY)
        continue;
      /* An unprivileged process can lower its hard limit, never raise it. */
      if (l->rlimit[i] == SBX_UNLIMITED || l->rlimit[i] > cur.rlim_max)
        sbx_die ("--rlimit-%s: above the hard limit %llu that sbx runs with", rlimit_names[i],
                 (unsigned long long) cur.rlim_max);
    }
}

void
sbx_limits_finalize (struct sbx_limits *l, const char *profile)
{
  check_rlimits (l);
  if ((l->set & SBX_LIM_SWAP) && !(l->set & SBX_LIM_MEMORY))
    sbx_die ("--memory-swap: needs --memory too");
  unsigned needed = needed_roles (l);
  unsigned wanted = l->stats ? (1u << SBX_CG_MEMORY) | (1u << SBX_CG_CPUACCT) : 0;
  if (needed == 0 && wanted == 0)
    return;
  if (l->set & SBX_LIM_MEMORY)
    wanted |= 1u << SBX_CG_CPUACCT;
  char why[512] = "";
  if (!sbx_cgroup_choose (&l->cgroup, needed, wanted, why, sizeof why))
    {
      if (!l->best_effort)
        sbx_die ("cannot limit resources: %s; ask for a delegated cgroup (systemd: Delegate=yes, or "
                 "systemd-run --user --scope -p Delegate=yes sbx ...), or use --limits-best-effort "
                 "for rlimits instead", why);
      fall_back_to_rlimits (l, why);
    }
  if (l->cgroup.kind != SBX_CGK_NONE)
    {
      /* A profile given as a path: its base name, in characters a
       * cgroup's folder name can hold. */
      const char *base = profile != NULL ? strrchr (profile, '/') : NULL;
      base = base != NULL ? base + 1 : profile != NULL && profile[0] != '\0' ? profile : "sbx";
      size_t len = strlen (base);
      if (len > 4 && strcmp (base + len - 4, ".sbx") == 0)
        len -= 4;
      l->cgroup.name = sbx_xasprintf ("sbx-%.*s-%d", (int) (len > 64 ? 64 : len), base, (int) getpid ());
      for (char *p = l->cgroup.name; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("-_.", *p))
          *p = '_';
    }
}

bool
sbx_limits_need_monitor (const struct sbx_limits *l)
{
  return l->cgroup.kind != SBX_CGK_NONE || l->timeout > 0 || l->stats;
}

void
sbx_limits_print (const struct sbx_limits *l, FILE *out)
{
  char buf[32];
  static const char *const kinds[] = {
    [SBX_CGK_NONE] = "none", [SBX_CGK_V2] = "v2",
#ifdef WITH_SD_BUS
    [SBX_CGK_SYSTEMD] = "systemd (sd-bus StartTransientUnit, then re-exec)",
#else
    [SBX_CGK_SYSTEMD] = "systemd-run --user --scope (re-exec)",
#endif
    [SBX_CGK_V1] = "v1",
  };
  static const char *const roles[SBX_CG_NROLES] = {
    [SBX_CG_MEMORY] = "memory", [SBX_CG_PIDS] = "pids", [SBX_CG_CPU] = "cpu",
    [SBX_CG_CPUACCT] = "cpuacct", [SBX_CG_IO] = "io",
  };
  if (l->set != 0)
    {
      fputs ("limits:", out);
      if (l->set & SBX_LIM_MEMORY)
        sbx_format_size (buf, sizeof buf, l->memory), fprintf (out, " memory=%s", buf);
      if (l->set & SBX_LIM_SWAP)
        sbx_format_size (buf, sizeof buf, l->memory_swap), fprintf (out, " memory-swap=%s", buf);
      if (l->set & SBX_LIM_PIDS)
        {
          if (l->pids == SBX_UNLIMITED)
            fputs (" pids=max", out);
          else
            fprintf (out, " pids=%llu", (unsigned long long) l->pids);
        }
      if (l->set & SBX_LIM_CPUS)
        fprintf (out, " cpus=%g", l->cpus);
      if (l->set & SBX_LIM_CPU_WEIGHT)
        fprintf (out, " cpu-weight=%u", l->cpu_weight);
      if (l->set & SBX_LIM_IO_WEIGHT)
        fprintf (out, " io-weight=%u", l->io_weight);
      fputc ('\n', out);
    }
  if (l->cgroup.kind != SBX_CGK_NONE)
    {
      fprintf (out, "cgroup: %s", kinds[l->cgroup.kind]);
      for (int r = 0; r < SBX_CG_NROLES; r++)
        if (l->cgroup.parent[r] != NULL)
          fprintf (out, " %s:%s/%s", roles[r], l->cgroup.parent[r], l->cgroup.name);
      fputc ('\n', out);
    }
  bool any = false;
  for (int i = 0; i < SBX_RL_COUNT; i++)
    if (l->rlimit_set[i])
      {
        fputs (any ? "" : "rlimits:", out);
        any = true;
        if (l->rlimit[i] == SBX_UNLIMITED)
          fprintf (out, " %s=unlimited", rlimit_names[i]);
        else
          fprintf (out, " %s=%llu", rlimit_names[i], (unsigned long long) l->rlimit[i]);
      }
  if (any)
    fputc ('\n', out);
  if (l->timeout > 0)
    fprintf (out, "timeout: %gs, then SIGKILL after %gs\n", l->timeout, l->kill_after);
  if (l->stats)
    fputs ("stats: yes\n", out);
}
