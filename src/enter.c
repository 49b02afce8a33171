/* --enter NAME: join a running sandbox with nothing it does not have.
 * The namespaces are joined through a pidfd of its init, in one setns,
 * user namespace first, so a pid reused meanwhile cannot redirect us; the
 * root is the init's own; then, as for the sandbox's command: no
 * capabilities, no_new_privs, its seccomp filters last. */
#include "lifecycle.h"

#include "caps.h"
#include "error.h"
#include "limits.h"
#include "stages.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; int flag; } joined[] = {
  { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID }, { "net", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP },
};

/* Only the namespaces the sandbox does not share with us: joining one of
 * the host's would need privilege over it. */
static int
namespaces_to_join (pid_t pid)
{
  int flags = 0;
  for (size_t i = 0; i < sizeof joined / sizeof joined[0]; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, joined[i].name);
      autofree char *self = sbx_xasprintf ("/proc/self/ns/%s", joined[i].name);
      struct stat theirs, ours;
      if (stat (path, &theirs) == 0 && stat (self, &ours) == 0
          && (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev))
        flags |= joined[i].flag;
    }
  return flags;
}

/* Into the sandbox's cgroups where we may move ourselves: a cgroup it
 * merely shares with the session that started it may be out of our
 * reach, and nothing is lost there; but its limits cgroup must hold what
 * we run, or --enter would escape the sandbox's limits. */
static void
join_cgroups (pid_t pid, const char *name)
{
  char path[64], buf[4096];
  snprintf (path, sizeof path, "/proc/%d/cgroup", (int) pid);
  autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read (fd, buf, sizeof buf - 1) : -1;
  if (n <= 0)
    return;
  buf[n] = '\0';
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *controllers = strchr (l, ':');
      char *where = controllers ? strchr (controllers + 1, ':') : NULL;
      if (where == NULL || strstr (where, "..") != NULL)
        continue;
      *where++ = '\0';
      controllers++;
      if (strncmp (controllers, "name=", 5) == 0)
        continue;
      autofree char *procs = controllers[0] == '\0'
                               ? sbx_xasprintf ("/sys/fs/cgroup/unified%s/cgroup.procs", where)
                               : sbx_xasprintf ("/sys/fs/cgroup/%s%s/cgroup.procs", controllers, where);
      char me[32];
      snprintf (me, sizeof me, "%d", (int) getpid ());
      int r = sbx_write_file_at (AT_FDCWD, procs, me), err = errno;
      if (r < 0 && controllers[0] == '\0')
        {
          /* cgroup2 alone, mounted at /sys/fs/cgroup itself. */
          autofree char *pure = sbx_xasprintf ("/sys/fs/cgroup%s/cgroup.procs", where);
          r = sbx_write_file_at (AT_FDCWD, pure, me);
          if (r < 0 && errno != ENOENT)
            err = errno;
        }
      if (r < 0 && sbx_cgroup_creator (strrchr (where, '/') + 1) > 0)
        sbx_die ("--enter: sandbox '%s': cannot join its limits cgroup %s:%s (%s): refusing to run outside "
                 "its limits", name, controllers[0] ? controllers : "cgroup2", where, strerror (err));
    }
}

static noreturn void
run_inside (const struct sbx_plan *plan, const struct sbx_record *rec, int root)
{
  if (fchdir (root) < 0 || chroot (".") < 0)
    sbx_die_errno (errno, "enter the sandbox's root", rec->name);
  close (root);
  if (rec->cwd == NULL || chdir (rec->cwd) < 0)
    if (chdir ("/") < 0)
      sbx_die_errno (errno, "change directory", "/");
  syscall (SYS_close_range, 3U, ~0U, 0);

  /* The sandbox's command has no capabilities; neither do we. */
  struct sbx_plan none;
  plan_init (&none);
  sbx_stage_credentials (&none);
  plan_free (&none);

  char *shell_argv[] = { getenv ("SHELL"), NULL };
  char *sh_argv[] = { (char *) "/bin/sh", NULL };
  char **argv = plan->argv;
  if (argv == NULL)
    argv = shell_argv[0] != NULL && shell_argv[0][0] == '/' && access (shell_argv[0], X_OK) == 0 ? shell_argv
                                                                                             : sh_argv;
  struct sbx_seccomp_programs filters = { .progs = rec->seccomp, .n = rec->n_seccomp, .mdwe = rec->mdwe };
  sbx_stage_seccomp (&filters);
  if (strchr (argv[0], '/') == NULL)
    {
      /* execvp would report the last folder's error, not "not found". */
      const char *path = getenv ("PATH");
      autofree char *copy = sbx_xstrdup (path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
      char *save = NULL;
      for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
        {
          autofree char *candidate = sbx_xasprintf ("%s/%s", dir, argv[0]);
          if (access (candidate, X_OK) == 0)
            {
              execv (candidate, argv);
              sbx_die_status (SBX_EXIT_CANNOT_EXEC, errno, "execute", candidate);
            }
        }
      sbx_die_status (SBX_EXIT_NOT_FOUND, ENOENT, "execute", argv[0]);
    }
  execv (argv[0], argv);
  sbx_die_status (errno == ENOENT ? SBX_EXIT_NOT_FOUND : SBX_EXIT_CANNOT_EXEC, errno, "execute", argv[0]);
}

noreturn void
sbx_enter (const struct sbx_plan *plan)
{
  struct sbx_record rec;
  autoclose int pidfd = sbx_sandbox_open ("enter", plan->verb_target, &rec);
  int flags = namespaces_to_join (rec.pid);
  /* Opened before the join, while /proc is the host's; the pidfd still
   * pins the process, so a last check shows the root is its own. */
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/root", (int) rec.pid);
  autoclose int root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    sbx_die_errno (errno, "open the sandbox's root", rec.name);
  join_cgroups (rec.pid, rec.name);
  /* We hold every capability in the sandbox's user namespace once in it:
   * nothing inside may trace or read us meanwhile. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    sbx_die_errno (errno, "set not dumpable", NULL);
  if (!(flags & CLONE_NEWUSER))
    sbx_die ("--enter: sandbox '%s' shares our user namespace: refusing", rec.name);
  if (setns (pidfd, flags) < 0)
    sbx_die_errno (errno, "join the sandbox's namespaces", rec.name);

  sigset_t blocked, saved_mask;
  sbx_forwarded_signals (&blocked);
  sigaddset (&blocked, SIGCHLD);
  sigprocmask (SIG_BLOCK, &blocked, &saved_mask);
  /* Only a child is inside the joined pid namespace. */
  pid_t child = fork ();
  if (child < 0)
    sbx_die_errno (errno, "fork", NULL);
  if (child == 0)
    {
      sigprocmask (SIG_SETMASK, &saved_mask, NULL);
      if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        _exit (SBX_EXIT_FAILURE);
      close (pidfd);
      run_inside (plan, &rec, sbx_steal_fd (&root));
    }
  int code = sbx_supervise (child, false, false);
  sbx_record_free (&rec);
  /* We now live in the sandbox's namespaces, not dumpable: exit-time
   * machinery that clones or traces (a sanitizer's leak check) would run
   * in the sandbox's pid namespace and could not see us. Leave at once. */
  fflush (NULL);
  _exit (code);
}
