/* Stage 7: pid 1 of the sandbox's pid namespace. A command is rarely
 * written to be an init: this one reaps orphans and passes signals on,
 * and when the command exits it exits with the same status, which ends
 * every other process of the namespace. */
#include "stages.h"

#include "error.h"

#include <errno.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>

noreturn void
sbx_stage_reaper (pid_t command)
{
  /* The reaper needs no descriptor of its own; it keeps only stdio. */
  syscall (SYS_close_range, 3U, ~0U, 0);

  sigset_t set;
  sbx_forwarded_signals (&set);
  sigaddset (&set, SIGCHLD);
  for (;;)
    {
      siginfo_t info;
      int sig = sigwaitinfo (&set, &info);
      if (sig < 0 && errno == EINTR)
        continue;
      if (sig < 0)
        sbx_die_errno (errno, "wait for signals", NULL);
      if (sig == SIGCHLD)
        {
          int status;
          pid_t pid;
          while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
            if (pid == command)
              _exit (sbx_exit_code (status));
          continue;
        }
      /* Signals from the terminal reach the command directly. */
      if (info.si_code <= 0)
        kill (command, sig);
    }
}
