/* sysprobe CALL: attempt one system call and print "ok" or the errno name,
 * so the seccomp tests can assert exactly what a filter returned. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
errno_name (int e)
{
  static const struct { int e; const char *name; } names[] = {
    { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EACCES, "EACCES" }, { ENOSYS, "ENOSYS" },
    { EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
    { EBADF, "EBADF" }, { EFAULT, "EFAULT" }, { EIO, "EIO" }, { ENOKEY, "ENOKEY" },
    { EROFS, "EROFS" }, { ESRCH, "ESRCH" }, { EOPNOTSUPP, "EOPNOTSUPP" },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].e == e)
      return names[i].name;
  return "EOTHER";
}

static int
report (long ret)
{
  if (ret < 0)
    printf ("%s\n", errno_name (errno));
  else
    printf ("ok\n");
  return 0;
}

static long
ptrace_child (void)
{
  pid_t child = fork ();
  if (child == 0)
    {
      pause ();
      _exit (0);
    }
  long ret = ptrace (PTRACE_ATTACH, child, NULL, NULL);
  int saved = errno;
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  errno = saved;
  return ret;
}

static long
int80_getpid (void)
{
#if defined(__x86_64__)
  long ret = 20;                /* getpid in the i386 table */
  __asm__ volatile ("int $0x80" : "+a" (ret) : : "memory");
  if (ret < 0)
    {
      errno = (int) -ret;
      return -1;
    }
  return ret == getpid () ? 0 : (errno = EINVAL, -1);
#else
  errno = ENOSYS;
  return -1;
#endif
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: sysprobe CALL\n");
      return 2;
    }
  const char *call = argv[1];
  if (strcmp (call, "keyctl") == 0)
    return report (syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1));
  if (strcmp (call, "unshare-user") == 0)
    return report (unshare (CLONE_NEWUSER));
  if (strcmp (call, "clone-newuser") == 0)
    {
      long pid = syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
      if (pid == 0)
        _exit (0);
      if (pid > 0)
        waitpid ((pid_t) pid, NULL, 0);
      return report (pid);
    }
  if (strcmp (call, "clone3") == 0)
    {
      struct clone_args args = { .exit_signal = SIGCHLD };
      long pid = syscall (SYS_clone3, &args, sizeof args);
      if (pid == 0)
        _exit (0);
      if (pid > 0)
        waitpid ((pid_t) pid, NULL, 0);
      return report (pid);
    }
  if (strcmp (call, "fork") == 0)
    {
      pid_t pid = fork ();
      if (pid == 0)
        _exit (0);
      if (pid > 0)
        waitpid (pid, NULL, 0);
      return report (pid);
    }
  if (strcmp (call, "mount") == 0)
    return report (mount ("none", "/tmp", "tmpfs", 0, NULL));
  if (strcmp (call, "ptrace-child") == 0)
    return report (ptrace_child ());
  if (strcmp (call, "tiocsti") == 0 || strcmp (call, "tioclinux") == 0)
    {
      int fd = open ("/dev/null", O_RDONLY);
      char c = 'x';
      return report (ioctl (fd, strcmp (call, "tiocsti") == 0 ? TIOCSTI : TIOCLINUX, &c));
    }
  if (strcmp (call, "socket-packet") == 0)
    return report (socket (AF_PACKET, SOCK_RAW, 0));
  if (strcmp (call, "socket-inet") == 0)
    return report (socket (AF_INET, SOCK_STREAM, 0));
  if (strcmp (call, "socket-inet6") == 0)
    return report (socket (AF_INET6, SOCK_STREAM, 0));
  if (strcmp (call, "socket-unix") == 0)
    return report (socket (AF_UNIX, SOCK_STREAM, 0));
  if (strcmp (call, "wx-mmap") == 0)
    {
      void *p = mmap (NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      return report (p == MAP_FAILED ? -1 : 0);
    }
  if (strcmp (call, "int80") == 0)
    return report (int80_getpid ());
  if (strcmp (call, "personality-rie") == 0)
    return report (personality (READ_IMPLIES_EXEC));
  if (strcmp (call, "personality-query") == 0)
    return report (personality (0xffffffff));
  if (strcmp (call, "uname") == 0)
    {
      struct utsname u;
      return report (uname (&u));
    }
  if (strcmp (call, "setns") == 0)
    return report (setns (0, 0));
  if (strcmp (call, "bpf") == 0)
    return report (syscall (SYS_bpf, 0, NULL, 0));
  if (strcmp (call, "getppid-loop") == 0 && argc > 2)
    {
      long n = atol (argv[2]);
      struct timespec a, b;
      clock_gettime (CLOCK_MONOTONIC, &a);
      for (long i = 0; i < n; i++)
        syscall (SYS_getppid);
      clock_gettime (CLOCK_MONOTONIC, &b);
      printf ("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double) n);
      return 0;
    }
  fprintf (stderr, "sysprobe: unknown call %s\n", call);
  return 2;
}
