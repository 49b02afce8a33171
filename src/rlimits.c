/* The rlimits, set in the sandbox's command just before exec: soft and
 * hard alike, so that the command cannot raise them again. */
#include "limits.h"

#include "error.h"

#include <errno.h>
#include <sys/resource.h>

void
sbx_stage_rlimits (const struct sbx_limits *limits)
{
  static const struct { int resource; const char *name; } map[SBX_RL_COUNT] = {
    [SBX_RL_AS] = { RLIMIT_AS, "as" }, [SBX_RL_NPROC] = { RLIMIT_NPROC, "nproc" },
    [SBX_RL_NOFILE] = { RLIMIT_NOFILE, "nofile" }, [SBX_RL_FSIZE] = { RLIMIT_FSIZE, "fsize" },
    [SBX_RL_CPU] = { RLIMIT_CPU, "cpu" }, [SBX_RL_CORE] = { RLIMIT_CORE, "core" },
  };
  for (int i = 0; i < SBX_RL_COUNT; i++)
    {
      if (!limits->rlimit_set[i])
        continue;
      rlim_t value = limits->rlimit[i] == SBX_UNLIMITED ? RLIM_INFINITY : (rlim_t) limits->rlimit[i];
      struct rlimit rl = { value, value };
      if (setrlimit (map[i].resource, &rl) < 0)
        sbx_die_errno (errno, "set rlimit", map[i].name);
    }
}
