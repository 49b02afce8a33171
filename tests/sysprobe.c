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

/* The default deny-list, by number: "raw NAME" calls it with all
 * arguments zero (or NULL), which is harmless for every one of them. */
static const struct { const char *name; long nr; } raw_calls[] = {
#ifdef SYS_add_key
  { "add_key", SYS_add_key },
#endif
#ifdef SYS_keyctl
  { "keyctl", SYS_keyctl },
#endif
#ifdef SYS_request_key
  { "request_key", SYS_request_key },
#endif
#ifdef SYS_init_module
  { "init_module", SYS_init_module },
#endif
#ifdef SYS_finit_module
  { "finit_module", SYS_finit_module },
#endif
#ifdef SYS_delete_module
  { "delete_module", SYS_delete_module },
#endif
#ifdef SYS_kexec_load
  { "kexec_load", SYS_kexec_load },
#endif
#ifdef SYS_kexec_file_load
  { "kexec_file_load", SYS_kexec_file_load },
#endif
#ifdef SYS_reboot
  { "reboot", SYS_reboot },
#endif
#ifdef SYS_swapon
  { "swapon", SYS_swapon },
#endif
#ifdef SYS_swapoff
  { "swapoff", SYS_swapoff },
#endif
#ifdef SYS_acct
  { "acct", SYS_acct },
#endif
#ifdef SYS_settimeofday
  { "settimeofday", SYS_settimeofday },
#endif
#ifdef SYS_clock_settime
  { "clock_settime", SYS_clock_settime },
#endif
#ifdef SYS_clock_adjtime
  { "clock_adjtime", SYS_clock_adjtime },
#endif
#ifdef SYS_adjtimex
  { "adjtimex", SYS_adjtimex },
#endif
#ifdef SYS_mount
  { "mount", SYS_mount },
#endif
#ifdef SYS_umount2
  { "umount2", SYS_umount2 },
#endif
#ifdef SYS_pivot_root
  { "pivot_root", SYS_pivot_root },
#endif
#ifdef SYS_chroot
  { "chroot", SYS_chroot },
#endif
#ifdef SYS_fsopen
  { "fsopen", SYS_fsopen },
#endif
#ifdef SYS_fsconfig
  { "fsconfig", SYS_fsconfig },
#endif
#ifdef SYS_fsmount
  { "fsmount", SYS_fsmount },
#endif
#ifdef SYS_fspick
  { "fspick", SYS_fspick },
#endif
#ifdef SYS_move_mount
  { "move_mount", SYS_move_mount },
#endif
#ifdef SYS_open_tree
  { "open_tree", SYS_open_tree },
#endif
#ifdef SYS_mount_setattr
  { "mount_setattr", SYS_mount_setattr },
#endif
#ifdef SYS_setns
  { "setns", SYS_setns },
#endif
#ifdef SYS_unshare
  { "unshare", SYS_unshare },
#endif
#ifdef SYS_ptrace
  { "ptrace", SYS_ptrace },
#endif
#ifdef SYS_process_vm_readv
  { "process_vm_readv", SYS_process_vm_readv },
#endif
#ifdef SYS_process_vm_writev
  { "process_vm_writev", SYS_process_vm_writev },
#endif
#ifdef SYS_kcmp
  { "kcmp", SYS_kcmp },
#endif
#ifdef SYS_perf_event_open
  { "perf_event_open", SYS_perf_event_open },
#endif
#ifdef SYS_bpf
  { "bpf", SYS_bpf },
#endif
#ifdef SYS_userfaultfd
  { "userfaultfd", SYS_userfaultfd },
#endif
#ifdef SYS_lookup_dcookie
  { "lookup_dcookie", SYS_lookup_dcookie },
#endif
#ifdef SYS_quotactl
  { "quotactl", SYS_quotactl },
#endif
#ifdef SYS_nfsservctl
  { "nfsservctl", SYS_nfsservctl },
#endif
#ifdef SYS_uselib
  { "uselib", SYS_uselib },
#endif
#ifdef SYS_vhangup
  { "vhangup", SYS_vhangup },
#endif
#ifdef SYS_iopl
  { "iopl", SYS_iopl },
#endif
#ifdef SYS_ioperm
  { "ioperm", SYS_ioperm },
#endif
#ifdef SYS_open_by_handle_at
  { "open_by_handle_at", SYS_open_by_handle_at },
#endif
#ifdef SYS_name_to_handle_at
  { "name_to_handle_at", SYS_name_to_handle_at },
#endif
#ifdef SYS_clone3
  { "clone3", SYS_clone3 },
#endif
};

static int
raw_call (const char *name)
{
  for (size_t i = 0; i < sizeof raw_calls / sizeof raw_calls[0]; i++)
    if (strcmp (raw_calls[i].name, name) == 0)
      return report (syscall (raw_calls[i].nr, 0, 0, 0, 0, 0, 0));
  printf ("ENOSYS\n");        /* this architecture has no such call */
  return 0;
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
  if (strcmp (call, "raw") == 0 && argc > 2)
    return raw_call (argv[2]);
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
