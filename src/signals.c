/* What the outer monitor and the pid 1 reaper share: which signals are
 * passed on, and how a wait status becomes an exit code. */
#include "stages.h"

#include <sys/wait.h>

/* Every signal a process can take with sigwaitinfo, as a terminal resize
 * (SIGWINCH) or `sbx --kill NAME SIGALRM` must reach the command, except:
 * SIGCHLD, which the supervising process needs for itself; the faults a
 * process raises on itself (its own bug, not a message for the command);
 * the job control stops, so that a monitor in a terminal's foreground
 * job stops with it (^Z) rather than swallowing them; and SIGCONT, which
 * a shell's `fg` sends to every process of the job itself (passed on, the
 * command would get it twice). SIGKILL and SIGSTOP cannot be caught at
 * all: `sbx --kill` sends those and SIGCONT to every process of the
 * sandbox. glibc leaves out its own two internal signals. */
void
sbx_forwarded_signals (sigset_t *set)
{
  static const int kept[] = { SIGKILL, SIGSTOP, SIGCHLD, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
                              SIGSYS, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT };
  sigfillset (set);
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    sigdelset (set, kept[i]);
}

/* pid 1 of a pid namespace is in no terminal's job (the kernel ignores a
 * terminal's stop signals for it): a SIGTSTP someone sends it on purpose
 * is for the command. */
void
sbx_reaper_signals (sigset_t *set)
{
  sbx_forwarded_signals (set);
  sigaddset (set, SIGTSTP);
  sigaddset (set, SIGTTIN);
  sigaddset (set, SIGTTOU);
}

int
sbx_exit_code (int wait_status)
{
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return WEXITSTATUS (wait_status);
}
