/* The practical floor for a namespace sandbox launch: a minimal static
 * launcher that creates the user namespace and five others (mount, pid,
 * net, ipc, uts), writes its own id maps, forks into the new pid
 * namespace and execs the command. No mounts, no filters, no checks: two
 * process spawns and the namespaces, nothing else. Reference only. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
put (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY);
  if (fd < 0 || write (fd, text, strlen (text)) < 0)
    _exit (125);
  close (fd);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return 2;
  char map[64];
  unsigned uid = getuid (), gid = getgid ();
  if (unshare (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
    return 125;
  snprintf (map, sizeof map, "%u %u 1", uid, uid);
  put ("/proc/self/uid_map", map);
  put ("/proc/self/setgroups", "deny");
  snprintf (map, sizeof map, "%u %u 1", gid, gid);
  put ("/proc/self/gid_map", map);
  pid_t pid = fork ();
  if (pid == 0)
    {
      execvp (argv[1], argv + 1);
      _exit (127);
    }
  int status;
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return 125;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
