/* Test driver for the FUSE overlay until sbx's option plumbing uses it:
 *   fuseovl-run [--root] [--squash] [--upper DIR] [--work DIR]
 *               [--pidfile FILE] --lower DIR... MOUNTPOINT CMD [ARG...]
 * enters new user and mount namespaces (mapping the caller's ids to
 * themselves, or to 0 with --root), mounts the overlay on MOUNTPOINT and
 * execs CMD there. The server dies with CMD. */
#include "fuseovl.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static void
fail (const char *what)
{
  fprintf (stderr, "fuseovl-run: %s: %s\n", what, strerror (errno));
  exit (125);
}

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    fail (path);
  close (fd);
}

int
main (int argc, char **argv)
{
  const char *lowers[64];
  struct sbx_fuse_overlay spec = { .lowers = lowers };
  const char *pidfile = NULL;
  bool root = false;
  int i = 1;
  for (; i < argc && strncmp (argv[i], "--", 2) == 0; i++)
    {
      if (strcmp (argv[i], "--root") == 0)
        root = true;
      else if (strcmp (argv[i], "--squash") == 0)
        spec.squash_owner = true;
      else if (i + 1 >= argc)
        break;
      else if (strcmp (argv[i], "--upper") == 0)
        spec.upper = argv[++i];
      else if (strcmp (argv[i], "--work") == 0)
        spec.work = argv[++i];
      else if (strcmp (argv[i], "--pidfile") == 0)
        pidfile = argv[++i];
      else if (strcmp (argv[i], "--lower") == 0 && spec.n_lowers < 64)
        lowers[spec.n_lowers++] = argv[++i];
      else
        break;
    }
  if (argc - i < 2)
    {
      fprintf (stderr, "usage: fuseovl-run [--root] [--squash] [--upper DIR] [--work DIR] "
                       "[--pidfile FILE] --lower DIR... MOUNTPOINT CMD [ARG...]\n");
      return 125;
    }
  const char *mountpoint = argv[i];
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
    fail ("unshare");
  char map[64];
  write_file ("/proc/self/setgroups", "deny");
  snprintf (map, sizeof map, "%u %u 1\n", root ? 0 : (unsigned) uid, (unsigned) uid);
  write_file ("/proc/self/uid_map", map);
  snprintf (map, sizeof map, "%u %u 1\n", root ? 0 : (unsigned) gid, (unsigned) gid);
  write_file ("/proc/self/gid_map", map);
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    fail ("making / private");
  spec.owner_uid = geteuid ();
  spec.owner_gid = getegid ();
  pid_t server;
  int tree = sbx_fuse_overlay_start (&spec, &server);
  if (sys_move_mount (tree, "", AT_FDCWD, mountpoint, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    fail ("move_mount");
  close (tree);
  if (pidfile != NULL)
    {
      FILE *f = fopen (pidfile, "w");
      if (f == NULL || fprintf (f, "%d\n", (int) server) < 0 || fclose (f) != 0)
        fail (pidfile);
    }
  execvp (argv[i + 1], argv + i + 1);
  fail (argv[i + 1]);
}
