/* One error family for all of sbx: every failure of sbx itself ends in
 * exactly one line on stderr and exit status 125. */
#ifndef SBX_ERROR_H
#define SBX_ERROR_H

#include <stdnoreturn.h>

enum sbx_exit {
  SBX_EXIT_FAILURE = 125,   /* sbx itself failed, or its input was bad */
  SBX_EXIT_CANNOT_EXEC = 126,
  SBX_EXIT_NOT_FOUND = 127,
};

/* "sbx: STEP: OBJECT: strerror(ERRNUM)", exit 125. OBJECT may be NULL. */
noreturn void sbx_die_errno (int errnum, const char *step, const char *object);

/* "sbx: formatted message", exit 125: for bad input that has no errno. */
noreturn void sbx_die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Same line format as sbx_die_errno but with an explicit exit status. */
noreturn void sbx_die_status (int status, int errnum, const char *step, const char *object);

/* "sbx: warning: formatted message"; carries on. */
void sbx_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
