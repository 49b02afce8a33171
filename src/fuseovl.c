/* Starting the FUSE overlay: open the layers and /dev/fuse, create the
 * mount with the new mount API, and fork the server that answers it. */
#include "fuseovl.h"
#include "fuseovl_impl.h"

#include "error.h"
#include "mounts.h"
#include "syscalls.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sched.h>

static int
open_layer (const char *path, const char *what)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    sbx_die_errno (errno, what, path);
  return fd;
}

/* Layers whose root carries an override xattr use it on every file, as
 * fuse-overlayfs does. */
static const char *
override_of (int fd)
{
  if (fgetxattr (fd, OVL_XATTR_OVERRIDE, NULL, 0) >= 0)
    return OVL_XATTR_OVERRIDE;
  if (fgetxattr (fd, OVL_XATTR_COVERRIDE, NULL, 0) >= 0)
    return OVL_XATTR_COVERRIDE;
  return NULL;
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Close everything inherited but the fds in KEEP. */
static void
close_others (int *keep, size_t n)
{
  qsort (keep, n, sizeof *keep, cmp_int);
  unsigned from = 3;
  for (size_t i = 0; i < n; i++)
    {
      if ((unsigned) keep[i] > from)
        close_range (from, (unsigned) keep[i] - 1, 0);
      if ((unsigned) keep[i] + 1 > from)
        from = (unsigned) keep[i] + 1;
    }
  close_range (from, ~0U, 0);
}

static noreturn void
serve (struct ovl *o, int fuse_fd, pid_t starter, int unshared)
{
  /* The server must not outlive the sandbox it serves. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != starter)
    _exit (1);
  prctl (PR_SET_NAME, "sbx-fuseovl");
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* Terminal signals are for the sandboxed program; the server stays
   * until that program and its mount are gone. */
  int ignored[] = { SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
  for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
    signal (ignored[i], SIG_IGN);
  /* A mount namespace of its own, so that the server does not keep the
   * sandbox's namespace (and so the mount) alive. */
  (void) unshare (CLONE_NEWNS);
  close (unshared);
  umask (0);

  int keep[OVL_MAX_LAYERS + 3];
  size_t n_keep = 0;
  keep[n_keep++] = fuse_fd;
  for (int i = 0; i < o->n_layers; i++)
    keep[n_keep++] = o->layer_fd[i];
  if (o->work_fd >= 0)
    keep[n_keep++] = o->work_fd;
  if (fcntl (STDERR_FILENO, F_GETFD) >= 0)
    keep[n_keep++] = STDERR_FILENO;
  close_others (keep, n_keep);

  char *argv[] = { (char *) "sbx-fuseovl", NULL };
  struct fuse_args args = FUSE_ARGS_INIT (1, argv);
  struct fuse_session *se = fuse_session_new (&args, &ovl_ops, sizeof ovl_ops, o);
  char dev[32];
  snprintf (dev, sizeof dev, "/dev/fd/%d", fuse_fd);
  if (se == NULL || fuse_session_mount (se, dev) != 0)
    _exit (1);
  /* One thread. A caller waits for each reply, so requests come one at a
   * time, and a lone server thread then runs on the caller's CPU: woken
   * by the request, preempted by the caller it wakes with the reply, and
   * finding the next request queued when it runs again. A pool wakes a
   * different thread on the other CPU for each request, which measured
   * twice the server CPU per create and slower creates and walks on two
   * cores; changes are serialised by the tree lock anyway, and file data
   * moves by splice. */
  fuse_session_loop (se);
  /* The mount is gone (ENODEV): nothing left to serve. */
  _exit (0);
}

int
sbx_fuse_overlay_start (const struct sbx_fuse_overlay *spec, pid_t *server)
{
  size_t n_layers = spec->n_lowers + (spec->upper != NULL);
  if (spec->n_lowers == 0 || n_layers > OVL_MAX_LAYERS)
    sbx_die ("FUSE overlay: between 1 and %d lower layers are supported, not %zu",
             OVL_MAX_LAYERS - 1, spec->n_lowers);
  struct ovl *o = sbx_xcalloc (1, sizeof *o);
  if (spec->upper != NULL)
    {
      o->layer_fd[o->n_layers++] = open_layer (spec->upper, "overlay upper layer");
      o->has_upper = true;
    }
  for (size_t i = 0; i < spec->n_lowers; i++)
    o->layer_fd[o->n_layers++] = open_layer (spec->lowers[i], "overlay lower layer");
  o->work_fd = spec->work != NULL && spec->upper != NULL ? open_layer (spec->work, "overlay work folder") : -1;
  for (int i = 0; i < o->n_layers; i++)
    o->override_xattr[i] = override_of (o->layer_fd[i]);
  o->squash = spec->squash_owner;
  o->owner_uid = spec->owner_uid;
  o->owner_gid = spec->owner_gid;
  o->self_uid = geteuid ();
  o->self_gid = getegid ();
  /* Nothing but this server changes the layers while it runs. */
  o->timeout = 86400.0;
  pthread_rwlock_init (&o->tree, NULL);
  pthread_mutex_init (&o->table, NULL);

  struct stat root;
  if (fstat (o->layer_fd[0], &root) < 0)
    sbx_die_errno (errno, "overlay", spec->upper != NULL ? spec->upper : spec->lowers[0]);
  uint64_t all = n_layers == 64 ? ~UINT64_C (0) : (UINT64_C (1) << n_layers) - 1;
  if (ovl_nodes_init (o, &root, all) < 0)
    sbx_die_errno (ENOMEM, "FUSE overlay", NULL);

  autoclose int fuse_fd = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse_fd < 0)
    sbx_die ("FUSE overlay: /dev/fuse: %s: the user needs read and write access to /dev/fuse "
             "(load the fuse module and make the device mode 0666), or use --overlay-backend kernel",
             strerror (errno));
  char fd_str[16], uid_str[16], gid_str[16];
  snprintf (fd_str, sizeof fd_str, "%d", fuse_fd);
  snprintf (uid_str, sizeof uid_str, "%u", (unsigned) o->self_uid);
  snprintf (gid_str, sizeof gid_str, "%u", (unsigned) o->self_gid);
  const char *options[] = { "source", "sbx-overlay", "subtype", "sbx-overlay", "fd", fd_str,
                            "rootmode", "40000", "user_id", uid_str, "group_id", gid_str,
                            "default_permissions", NULL,
                            /* A read-only union on a read-only superblock: the
                             * kernel then keeps atimes as they are, instead of
                             * marking them stale after each listing and
                             * asking again (GETATTR) at the next stat. */
                            o->has_upper ? NULL : "ro", NULL, NULL };
  unsigned attrs = MOUNT_ATTR_NODEV | (o->has_upper ? 0 : MOUNT_ATTR_RDONLY);
  int tree = sbx_fs_new ("fuse", options, attrs, "the FUSE overlay");

  /* The caller attaches the mount once this returns, and the server's
   * own mount namespace must be copied before that: a copy holding the
   * mount would keep it alive after the sandbox, until the server is
   * killed and tears down every inode the sandbox used in its exit, behind
   * the caller's back. So the server closes its end of this pipe once it
   * has its namespace, and the caller waits for that. */
  int unshared[2];
  if (pipe2 (unshared, O_CLOEXEC) < 0)
    sbx_die_errno (errno, "pipe", "the FUSE overlay server");
  pid_t starter = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    sbx_die_errno (errno, "fork", "the FUSE overlay server");
  if (pid == 0)
    {
      close (tree);
      close (unshared[0]);
      serve (o, fuse_fd, starter, unshared[1]);
    }
  close (unshared[1]);
  char byte;
  while (read (unshared[0], &byte, 1) < 0 && errno == EINTR)
    ;
  close (unshared[0]);
  for (int i = 0; i < o->n_layers; i++)
    close (o->layer_fd[i]);
  if (o->work_fd >= 0)
    close (o->work_fd);
  free (o->root->name);
  free (o->root);
  free (o->buckets);
  free (o);
  *server = pid;
  return tree;
}
