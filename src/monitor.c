/* Waiting for the sandbox, in the outer monitor and in the pid 1 reaper
 * alike. The signals are blocked before the fork and taken with
 * sigwaitinfo, so none can slip in between. */
#include "stages.h"

#include "error.h"
#include "limits.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

int
sbx_supervise (pid_t child, bool reap_all, bool forward_kernel_signals)
{
  sigset_t set;
  if (reap_all)
    sbx_reaper_signals (&set);
  else
    sbx_forwarded_signals (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGALRM);    /* the --timeout timer (timeout.c) */
  for (;;)
    {
      siginfo_t info;
      int sig = sigwaitinfo (&set, &info);
      if (sig < 0 && errno == EINTR)
        continue;
      if (sig < 0)
        sbx_die_errno (errno, "wait for signals", NULL);
      if (sig == SIGALRM && sbx_timeout_fired (&info))
        continue;
      if (sig == SIGCHLD)
        {
          int status;
          pid_t pid;
          /* pid 1 reaps every orphan; the monitor has one child. */
          while ((pid = waitpid (reap_all ? -1 : child, &status, WNOHANG)) > 0)
            if (pid == child)
              return sbx_exit_code (status);
          if (pid < 0 && errno != EINTR && errno != ECHILD)
            sbx_die_errno (errno, "wait for the sandbox", NULL);
          continue;
        }
      /* A terminal's ^C reaches the command's process group directly;
       * passing it on as well would deliver it twice. A signal the kernel
       * sent us for our own doing (SIGPIPE, SIGXFSZ) comes as if from
       * ourselves, and is not the command's either. */
      if ((info.si_code <= 0 || forward_kernel_signals) && info.si_pid != getpid ())
        kill (child, sig);
    }
}
