/* The option table: every option sbx has is defined once here, with its
 * arguments, help line and handler. The command line and (later) profile
 * lines both go through it; --help, the man page and the completions are
 * checked against it by the test suite. */
#ifndef SBX_OPTIONS_H
#define SBX_OPTIONS_H

#include "plan.h"

#include <stdio.h>

enum sbx_opt_section {
  SBX_SECT_GENERAL,
  SBX_SECT_PROFILES,
  SBX_SECT_NAMESPACES,
  SBX_SECT_IDENTITY,
  SBX_SECT_FILESYSTEM,
  SBX_SECT_PROCESS,
  SBX_SECT_SECURITY,
  SBX_SECT_REPORTING,
  SBX_SECT_LIMITS,
  SBX_SECT_COUNT,
};

struct sbx_parse;

struct sbx_option {
  const char *name;            /* long name without the dashes */
  unsigned nargs;
  const char *metavar;         /* "SRC DEST"; NULL when nargs == 0 */
  const char *help;
  enum sbx_opt_section section;
  void (*handle) (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
  long data;                   /* per-option constant for a shared handler */
  unsigned flags;              /* SBX_OPT_* */
};

enum {
  SBX_OPT_CLI_ONLY = 1 << 0,   /* not a profile directive (--help, --profile, ...) */
  SBX_OPT_LIST = 1 << 1,       /* in a profile, the rest of the line is one list */
};

/* What parsing decided besides the plan. */
enum sbx_action { SBX_ACTION_RUN, SBX_ACTION_HELP, SBX_ACTION_VERSION, SBX_ACTION_SECCOMP_EXPORT, SBX_ACTION_DONE,
                  SBX_ACTION_WRAPPERS, SBX_ACTION_CHANGES, SBX_ACTION_LIFECYCLE };

const struct sbx_option *sbx_option_table (size_t *count);
const struct sbx_option *sbx_option_find (const char *name);
const char *sbx_section_title (enum sbx_opt_section section);

/* Parse argv[1..] into PLAN. Returns the action; on SBX_ACTION_RUN the
 * command is in plan->argv. Bad input dies with exit 125. */
enum sbx_action sbx_parse_command_line (struct sbx_plan *plan, int argc, char **argv);

void sbx_print_help (FILE *out);

#endif
