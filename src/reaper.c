/* Stage 7: pid 1 of the sandbox's pid namespace. A command is rarely
 * written to be an init: this one reaps orphans and passes signals on,
 * and when the command exits it exits with the same status, which ends
 * every other process of the namespace. */
#include "stages.h"

#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

noreturn void
sbx_stage_reaper (pid_t command)
{
  /* The reaper needs no descriptor of its own; it keeps only stdio. */
  syscall (SYS_close_range, 3U, ~0U, 0);
  /* Signals from the terminal reach the command directly. */
  _exit (sbx_supervise (command, true, false));
}
