/* sbx: parse, then plan, then launch. */
#include "error.h"
#include "lifecycle.h"
#include "options.h"
#include "overlay.h"
#include "plan.h"
#include "seccomp.h"
#include "stages.h"
#include "wrappers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

static int
sbx_export_seccomp (const struct sbx_plan *plan)
{
  const char *path = plan->seccomp_export;
  int fd = strcmp (path, "-") == 0 ? STDOUT_FILENO
                                   : open (path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    sbx_die_errno (errno, "export seccomp filter", path);
  sbx_seccomp_export (&plan->seccomp, fd);
  if (fd != STDOUT_FILENO && close (fd) < 0)
    sbx_die_errno (errno, "export seccomp filter", path);
  return 0;
}

int
main (int argc, char **argv)
{
  /* sbx needs no privilege and must never run with any it did not ask
   * for: a setuid or setgid sbx is a mistake, refused outright. */
  if (getauxval (AT_SECURE) != 0 || getuid () != geteuid () || getgid () != getegid ())
    sbx_die ("refusing to run setuid or setgid: install sbx without those bits");

  __attribute__ ((cleanup (plan_freep))) struct sbx_plan plan;
  plan_init (&plan);
  plan.self_argv = argv;
  switch (sbx_parse_command_line (&plan, argc, argv))
    {
    case SBX_ACTION_HELP:
      sbx_print_help (stdout);
      return 0;
    case SBX_ACTION_VERSION:
      puts ("sbx " PACKAGE_VERSION);
      return 0;
    case SBX_ACTION_DONE:
      return 0;
    case SBX_ACTION_WRAPPERS:
      return sbx_wrappers_run (&plan);
    case SBX_ACTION_SECCOMP_EXPORT:
      return sbx_export_seccomp (&plan);
    case SBX_ACTION_CHANGES:
      return sbx_changes_run (&plan);
    case SBX_ACTION_LIFECYCLE:
      return sbx_lifecycle_run (&plan);
    case SBX_ACTION_RUN:
      break;
    }
  plan_finalize (&plan);
  if (plan.dry_run)
    {
      plan_print (&plan, stdout);
      return 0;
    }
  int status = sbx_launch (&plan);
  fflush (stdout);
  return status;
}
