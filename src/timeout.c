/* --timeout: a POSIX timer of the monitor, whose signal the supervise
 * loop takes with the others. It carries its own state, so that a
 * SIGALRM anyone else sends is only passed on. */
#include "limits.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <time.h>

static void
arm (struct sbx_timeout *t, double seconds)
{
  double whole = floor (seconds);
  struct itimerspec when = { .it_value = { (time_t) whole, (long) ((seconds - whole) * 1e9) } };
  if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0)
    when.it_value.tv_nsec = 1;
  if (timer_settime ((timer_t) t->timer, 0, &when, NULL) < 0)
    sbx_die_errno (errno, "arm the timeout", NULL);
}

void
sbx_timeout_start (const struct sbx_limits *limits, struct sbx_timeout *t, pid_t child)
{
  *t = (struct sbx_timeout) { .kill_after = limits->kill_after, .child = child, .phase = -1 };
  if (limits->timeout <= 0)
    return;
  struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM,
                         .sigev_value = { .sival_ptr = t } };
  timer_t id;
  if (timer_create (CLOCK_MONOTONIC, &ev, &id) < 0)
    sbx_die_errno (errno, "create the timeout timer", NULL);
  t->timer = id;
  t->phase = 0;
  arm (t, limits->timeout);
}

bool
sbx_timeout_fired (const siginfo_t *info)
{
  if (info->si_code != SI_TIMER)
    return false;
  struct sbx_timeout *t = info->si_value.sival_ptr;
  if (t->phase == 0)
    {
      /* pid 1 of the namespace passes it on to the command. */
      kill (t->child, SIGTERM);
      t->phase = 1;
      arm (t, t->kill_after);
    }
  else if (t->phase == 1)
    {
      kill (t->child, SIGKILL);
      t->phase = 2;
    }
  return true;
}

void
sbx_timeout_stop (struct sbx_timeout *t)
{
  if (t->phase >= 0)
    timer_delete ((timer_t) t->timer);
}
