/* Stage 5: close every descriptor that was not handed over on purpose,
 * so nothing of the caller's leaks into the sandbox. */
#include "stages.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
compare_ints (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

static void
close_from_to (unsigned first, unsigned last)
{
  if (first > last)
    return;
  if (syscall (SYS_close_range, first, last, 0) == 0)
    return;
  if (errno != ENOSYS)
    sbx_die_errno (errno, "close file descriptors", NULL);
  long max = sysconf (_SC_OPEN_MAX);
  for (unsigned fd = first; fd <= last && (long) fd < max; fd++)
    close ((int) fd);
}

void
sbx_stage_close_fds (const struct sbx_plan *plan)
{
  int kept[plan->n_keep_fds + 1];
  size_t n = 0;
  for (size_t i = 0; i < plan->n_keep_fds; i++)
    if (plan->keep_fds[i] > STDERR_FILENO)
      kept[n++] = plan->keep_fds[i];
  qsort (kept, n, sizeof kept[0], compare_ints);

  unsigned next = STDERR_FILENO + 1;
  for (size_t i = 0; i < n; i++)
    {
      close_from_to (next, (unsigned) kept[i] - 1);
      int flags = fcntl (kept[i], F_GETFD);
      if (flags < 0 || fcntl (kept[i], F_SETFD, flags & ~FD_CLOEXEC) < 0)
        sbx_die_errno (errno, "keep file descriptor", NULL);
      next = (unsigned) kept[i] + 1;
    }
  close_from_to (next, UINT_MAX);
}
