/* The state of one parse, shared by the command-line parser (options.c)
 * and the profile reader (profile.c): both feed the same option table. */
#ifndef SBX_PARSE_H
#define SBX_PARSE_H

#include "options.h"
#include "plan.h"

#include <stdbool.h>
#include <stdnoreturn.h>
#include <stdio.h>

struct sbx_parse {
  struct sbx_plan *plan;
  mode_t next_perms;
  uint64_t next_size;
  const char *size_opt, *perms_opt;     /* which modifier is pending */
  enum sbx_action action;
  const char *where;                    /* "FILE:LINE" inside a profile, else NULL */
  char *const *enabled;                 /* --enable NAME values (NULL-terminated) */
  char *const *ignored;                 /* --ignore DIRECTIVE values */
  FILE *print_to;                       /* --print-profile: list, do not apply */
  const char *profile_name;             /* the profile applied, for --dry-run */
};

/* Add a filesystem operation, taking the pending --perms/--size. */
struct sbx_fs_op *sbx_parse_add_fs_op (struct sbx_parse *ctx, const struct sbx_option *opt,
                                       enum sbx_fs_kind kind);

/* Report bad input for OPT (with FILE:LINE inside a profile); exit 125. */
noreturn void sbx_parse_error (const struct sbx_parse *ctx, const struct sbx_option *opt,
                               const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* directives.c: the high-level directives, each expanding to low-level
 * operations that --dry-run shows. */
void sbx_directive_home_private (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_home_bind (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_mkdir (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_private_tmp (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_ro_system (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_cwd_rw (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_net (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_desktop (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);
void sbx_directive_dbus_talk (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);

/* Run OPT's handler with ARGS, as the command line or a profile line. */
void sbx_option_apply (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args);

#endif
