#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A single write(2) keeps the line whole when the sandbox and the outer
 * process report at the same time, and works after a vfork. */
static void
emit_line (const char *line)
{
  size_t len = strlen (line);
  while (len > 0)
    {
      ssize_t n = write (STDERR_FILENO, line, len);
      if (n <= 0)
        return;
      line += n;
      len -= (size_t) n;
    }
}

noreturn void
sbx_die_status (int status, int errnum, const char *step, const char *object)
{
  char line[1024];
  if (object != NULL)
    snprintf (line, sizeof line, "sbx: %s: %s: %s\n", step, object, strerror (errnum));
  else
    snprintf (line, sizeof line, "sbx: %s: %s\n", step, strerror (errnum));
  emit_line (line);
  _exit (status);
}

noreturn void
sbx_die_errno (int errnum, const char *step, const char *object)
{
  sbx_die_status (SBX_EXIT_FAILURE, errnum, step, object);
}

static void
emit_formatted (const char *prefix, const char *fmt, va_list ap)
{
  char line[1024];
  int n = snprintf (line, sizeof line, "%s", prefix);
  vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, ap);
  strcat (line, "\n");
  emit_line (line);
}

noreturn void
sbx_die (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  emit_formatted ("sbx: ", fmt, ap);
  va_end (ap);
  /* Input errors happen before anything was created, so the normal exit
   * path (which flushes nothing of ours) is fine; _exit keeps it uniform. */
  _exit (SBX_EXIT_FAILURE);
}

void
sbx_warn (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  emit_formatted ("sbx: warning: ", fmt, ap);
  va_end (ap);
}
