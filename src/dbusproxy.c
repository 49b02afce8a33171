/* Stage 0: the filtering D-Bus proxy (xdg-dbus-proxy) for dbus-talk.
 * It runs outside the sandbox as a child of the monitor, which keeps the
 * read end of its --fd pipe: when sbx exits, even by SIGKILL, the pipe
 * closes and the proxy stops. */
#include "stages.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int
sbx_stage_dbus_proxy (const struct sbx_plan *plan)
{
  if (plan->dbus_proxy == NULL)
    return -1;
  autofree char *dir = sbx_xstrdup (plan->dbus_proxy);
  *strrchr (dir, '/') = '\0';
  if (sbx_mkdir_p (dir, 0700) < 0)
    sbx_die_errno (errno, "start the D-Bus proxy", dir);
  unlink (plan->dbus_proxy);    /* a stale socket of a reused pid */

  int sync[2];
  if (pipe2 (sync, O_CLOEXEC) < 0)
    sbx_die_errno (errno, "start the D-Bus proxy", NULL);
  size_t n = 0;
  char **argv = sbx_xcalloc (plan->n_dbus_talk + 6, sizeof *argv);
  argv[n++] = (char *) "xdg-dbus-proxy";
  argv[n++] = sbx_xasprintf ("--fd=%d", sync[1]);
  argv[n++] = (char *) plan->dbus_address;
  argv[n++] = plan->dbus_proxy;
  argv[n++] = (char *) "--filter";
  for (size_t i = 0; i < plan->n_dbus_talk; i++)
    argv[n++] = sbx_xasprintf ("--talk=%s", plan->dbus_talk[i]);
  pid_t pid = fork ();
  if (pid < 0)
    sbx_die_errno (errno, "start the D-Bus proxy", NULL);
  if (pid == 0)
    {
      fcntl (sync[1], F_SETFD, 0);      /* the one fd it inherits */
      execvp (argv[0], argv);
      sbx_die_errno (errno, "start the D-Bus proxy", argv[0]);
    }
  for (size_t i = 0; i < n; i++)
    if (strncmp (argv[i], "--fd=", 5) == 0 || strncmp (argv[i], "--talk=", 7) == 0)
      free (argv[i]);
  free (argv);
  close (sync[1]);
  /* It writes one byte once its socket is listening. */
  char byte;
  ssize_t got;
  do
    got = read (sync[0], &byte, 1);
  while (got < 0 && errno == EINTR);
  if (got != 1)
    sbx_die ("start the D-Bus proxy: xdg-dbus-proxy exited before it was ready");
  return sync[0];
}
