/* probe: a tiny helper for the shell tests. Each subcommand tries one
 * system call and prints "ok" (or the result) when it worked, or the
 * symbolic errno name (EROFS, EACCES, ...) when it failed, so that a test
 * can assert exactly why a blocked operation was refused.
 *
 * Exit status: 0 when the call worked, 1 when it failed with an errno,
 * 2 on a usage error. It uses nothing but libc.
 *
 *   probe write PATH [DATA]     open(O_WRONLY|O_CREAT|O_TRUNC, 0644), write DATA
 *   probe append PATH DATA      open(O_WRONLY|O_APPEND), write DATA
 *   probe create PATH           open(O_WRONLY|O_CREAT|O_EXCL, 0644)
 *   probe read PATH             open(O_RDONLY) and read it all; prints "ok N" (bytes)
 *   probe mkdir PATH [MODE]     mkdir (MODE octal, default 0755)
 *   probe rmdir PATH            rmdir
 *   probe unlink PATH           unlink
 *   probe symlink TARGET PATH   symlink
 *   probe rename OLD NEW        rename
 *   probe chmod MODE PATH       chmod (MODE octal)
 *   probe truncate PATH         truncate to 0 bytes
 *   probe mknod-null PATH       mknod a character device 1:3
 *   probe mount-tmpfs PATH      mount(2) a tmpfs on PATH
 *   probe sethostname NAME      sethostname
 *   probe setuid UID            setuid
 *   probe raw-socket            socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
 *   probe chroot PATH           chroot
 *   probe if-up NAME            prints "up" or "down" for a network interface
 *   probe nnp                   prints PR_GET_NO_NEW_PRIVS (0 or 1)
 *   probe caps                  prints "eff PRM inh" as 16-digit hex (capget)
 *   probe pid                   prints getpid() and getppid()
 *   probe errno-name N          prints the symbolic name of errno N
 *   probe in-mntns NSFILE CMD.. setns(2) into the mount namespace NSFILE
 *                               (which moves to its root), then runs CMD..
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#define E(name) { name, #name }
static const struct { int num; const char *name; } errnos[] = {
  E (EPERM), E (ENOENT), E (ESRCH), E (EINTR), E (EIO), E (ENXIO), E (E2BIG),
  E (ENOEXEC), E (EBADF), E (ECHILD), E (EAGAIN), E (ENOMEM), E (EACCES),
  E (EFAULT), E (ENOTBLK), E (EBUSY), E (EEXIST), E (EXDEV), E (ENODEV),
  E (ENOTDIR), E (EISDIR), E (EINVAL), E (ENFILE), E (EMFILE), E (ENOTTY),
  E (ETXTBSY), E (EFBIG), E (ENOSPC), E (ESPIPE), E (EROFS), E (EMLINK),
  E (EPIPE), E (EDOM), E (ERANGE), E (EDEADLK), E (ENAMETOOLONG), E (ENOLCK),
  E (ENOSYS), E (ENOTEMPTY), E (ELOOP), E (ENOMSG), E (EIDRM), E (ENOSTR),
  E (ENODATA), E (ETIME), E (ENOSR), E (EREMOTE), E (ENOLINK), E (EPROTO),
  E (EBADMSG), E (EOVERFLOW), E (EILSEQ), E (EUSERS), E (ENOTSOCK),
  E (EDESTADDRREQ), E (EMSGSIZE), E (EPROTOTYPE), E (ENOPROTOOPT),
  E (EPROTONOSUPPORT), E (ESOCKTNOSUPPORT), E (EOPNOTSUPP), E (EPFNOSUPPORT),
  E (EAFNOSUPPORT), E (EADDRINUSE), E (EADDRNOTAVAIL), E (ENETDOWN),
  E (ENETUNREACH), E (ENETRESET), E (ECONNABORTED), E (ECONNRESET),
  E (ENOBUFS), E (EISCONN), E (ENOTCONN), E (ESHUTDOWN), E (ETOOMANYREFS),
  E (ETIMEDOUT), E (ECONNREFUSED), E (EHOSTDOWN), E (EHOSTUNREACH),
  E (EALREADY), E (EINPROGRESS), E (ESTALE), E (EDQUOT), E (ECANCELED),
  E (EOWNERDEAD), E (ENOTRECOVERABLE),
#ifdef ENOMEDIUM
  E (ENOMEDIUM),
#endif
#ifdef EMEDIUMTYPE
  E (EMEDIUMTYPE),
#endif
#ifdef ENOKEY
  E (ENOKEY),
#endif
#ifdef ERFKILL
  E (ERFKILL),
#endif
};
#undef E

static const char *
errno_name (int num)
{
  static char buf[32];
  /* EWOULDBLOCK == EAGAIN, ENOTSUP == EOPNOTSUPP on Linux: first wins. */
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
    if (errnos[i].num == num)
      return errnos[i].name;
  snprintf (buf, sizeof buf, "E%d", num);
  return buf;
}

/* Report the result of a call that returns -1 on failure. */
static int
result (long ret)
{
  if (ret < 0)
    {
      puts (errno_name (errno));
      return 1;
    }
  puts ("ok");
  return 0;
}

static int
usage (void)
{
  fputs ("usage: probe COMMAND [ARG]... (see tests/probe.c)\n", stderr);
  return 2;
}

static long
parse_long (const char *text, int base, int *ok)
{
  char *end = NULL;
  errno = 0;
  long value = strtol (text, &end, base);
  *ok = text[0] != '\0' && *end == '\0' && errno == 0;
  return value;
}

static int
write_all (int fd, const char *data)
{
  size_t len = strlen (data);
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      data += n;
      len -= (size_t) n;
    }
  return 0;
}

static int
do_open_write (const char *path, int flags, const char *data)
{
  int fd = open (path, flags | O_CLOEXEC, 0644);
  if (fd < 0)
    return result (-1);
  if (data != NULL && write_all (fd, data) < 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return result (-1);
    }
  if (close (fd) < 0)
    return result (-1);
  return result (0);
}

static int
do_read (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return result (-1);
  char buf[4096];
  long long total = 0;
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          errno = saved;
          return result (-1);
        }
      if (n == 0)
        break;
      total += n;
      /* A character device such as /dev/zero never ends: one buffer is enough. */
      if (total >= (long long) sizeof buf * 4)
        break;
    }
  close (fd);
  printf ("ok %lld\n", total);
  return 0;
}

static int
do_caps (void)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset (data, 0, sizeof data);
  if (syscall (SYS_capget, &header, data) < 0)
    return result (-1);
  unsigned long long eff = ((unsigned long long) data[1].effective << 32) | data[0].effective;
  unsigned long long prm = ((unsigned long long) data[1].permitted << 32) | data[0].permitted;
  unsigned long long inh = ((unsigned long long) data[1].inheritable << 32) | data[0].inheritable;
  printf ("%016llx %016llx %016llx\n", eff, prm, inh);
  return 0;
}

/* ARGV[0] is the subcommand; N arguments follow it. */
static int
run (int n, char **argv)
{
  if (n < 0)
    return usage ();
  const char *cmd = argv[0];
  char **a = argv + 1;
  int ok = 1;

  if (strcmp (cmd, "write") == 0 && (n == 1 || n == 2))
    return do_open_write (a[0], O_WRONLY | O_CREAT | O_TRUNC, n == 2 ? a[1] : NULL);
  if (strcmp (cmd, "append") == 0 && n == 2)
    return do_open_write (a[0], O_WRONLY | O_APPEND, a[1]);
  if (strcmp (cmd, "create") == 0 && n == 1)
    return do_open_write (a[0], O_WRONLY | O_CREAT | O_EXCL, NULL);
  if (strcmp (cmd, "read") == 0 && n == 1)
    return do_read (a[0]);
  if (strcmp (cmd, "mkdir") == 0 && (n == 1 || n == 2))
    {
      long mode = n == 2 ? parse_long (a[1], 8, &ok) : 0755;
      if (!ok)
        return usage ();
      return result (mkdir (a[0], (mode_t) mode));
    }
  if (strcmp (cmd, "rmdir") == 0 && n == 1)
    return result (rmdir (a[0]));
  if (strcmp (cmd, "unlink") == 0 && n == 1)
    return result (unlink (a[0]));
  if (strcmp (cmd, "symlink") == 0 && n == 2)
    return result (symlink (a[0], a[1]));
  if (strcmp (cmd, "rename") == 0 && n == 2)
    return result (rename (a[0], a[1]));
  if (strcmp (cmd, "chmod") == 0 && n == 2)
    {
      long mode = parse_long (a[0], 8, &ok);
      if (!ok)
        return usage ();
      return result (chmod (a[1], (mode_t) mode));
    }
  if (strcmp (cmd, "truncate") == 0 && n == 1)
    return result (truncate (a[0], 0));
  if (strcmp (cmd, "mknod-null") == 0 && n == 1)
    return result (mknod (a[0], S_IFCHR | 0666, makedev (1, 3)));
  if (strcmp (cmd, "mount-tmpfs") == 0 && n == 1)
    return result (mount ("none", a[0], "tmpfs", 0, NULL));
  if (strcmp (cmd, "sethostname") == 0 && n == 1)
    return result (sethostname (a[0], strlen (a[0])));
  if (strcmp (cmd, "setuid") == 0 && n == 1)
    {
      long uid = parse_long (a[0], 10, &ok);
      if (!ok)
        return usage ();
      return result (setuid ((uid_t) uid));
    }
  if (strcmp (cmd, "raw-socket") == 0 && n == 0)
    {
      int fd = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
      if (fd >= 0)
        close (fd);
      return result (fd);
    }
  if (strcmp (cmd, "if-up") == 0 && n == 1)
    {
      struct ifreq ifr;
      memset (&ifr, 0, sizeof ifr);
      if (strlen (a[0]) >= sizeof ifr.ifr_name)
        return usage ();
      strcpy (ifr.ifr_name, a[0]);
      int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
        return result (-1);
      close (fd);
      puts ((ifr.ifr_flags & IFF_UP) ? "up" : "down");
      return 0;
    }
  if (strcmp (cmd, "chroot") == 0 && n == 1)
    return result (chroot (a[0]));
  if (strcmp (cmd, "nnp") == 0 && n == 0)
    {
      int v = prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
      if (v < 0)
        return result (-1);
      printf ("%d\n", v);
      return 0;
    }
  if (strcmp (cmd, "caps") == 0 && n == 0)
    return do_caps ();
  if (strcmp (cmd, "pid") == 0 && n == 0)
    {
      printf ("%ld %ld\n", (long) getpid (), (long) getppid ());
      return 0;
    }
  if (strcmp (cmd, "errno-name") == 0 && n == 1)
    {
      long num = parse_long (a[0], 10, &ok);
      if (!ok)
        return usage ();
      puts (errno_name ((int) num));
      return 0;
    }
  if (strcmp (cmd, "in-mntns") == 0 && n >= 2)
    {
      int fd = open (a[0], O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, CLONE_NEWNS) < 0)
        return result (-1);
      close (fd);
      return run (n - 2, a + 1);
    }
  return usage ();
}

int
main (int argc, char **argv)
{
  return run (argc - 2, argv + 1);
}
