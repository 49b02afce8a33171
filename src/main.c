/* sbx: parse, then plan, then launch. */
#include "error.h"
#include "options.h"
#include "plan.h"
#include "stages.h"

#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  /* sbx needs no privilege and must never run with any it did not ask
   * for: a setuid or setgid sbx is a mistake, refused outright. */
  if (getauxval (AT_SECURE) != 0 || getuid () != geteuid () || getgid () != getegid ())
    sbx_die ("refusing to run setuid or setgid: install sbx without those bits");

  __attribute__ ((cleanup (plan_freep))) struct sbx_plan plan;
  plan_init (&plan);
  switch (sbx_parse_command_line (&plan, argc, argv))
    {
    case SBX_ACTION_HELP:
      sbx_print_help (stdout);
      return 0;
    case SBX_ACTION_VERSION:
      puts ("sbx " PACKAGE_VERSION);
      return 0;
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
