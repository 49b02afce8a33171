/* What the outer monitor and the pid 1 reaper share: which signals are
 * passed on, and how a wait status becomes an exit code. */
#include "stages.h"

#include <sys/wait.h>

void
sbx_forwarded_signals (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGTERM);
  sigaddset (set, SIGINT);
  sigaddset (set, SIGHUP);
  sigaddset (set, SIGQUIT);
  sigaddset (set, SIGUSR1);
  sigaddset (set, SIGUSR2);
}

int
sbx_exit_code (int wait_status)
{
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return WEXITSTATUS (wait_status);
}
