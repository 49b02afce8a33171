/* Thin wrappers for the system calls sbx uses that glibc 2.36 does not
 * declare without clashing headers: the new mount API and openat2. */
#ifndef SBX_SYSCALLS_H
#define SBX_SYSCALLS_H

#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int
sys_fsopen (const char *fs, unsigned flags)
{
  return (int) syscall (SYS_fsopen, fs, flags);
}

static inline int
sys_fsconfig (int fd, unsigned cmd, const char *key, const void *value, int aux)
{
  return (int) syscall (SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int
sys_fsmount (int fd, unsigned flags, unsigned attrs)
{
  return (int) syscall (SYS_fsmount, fd, flags, attrs);
}

static inline int
sys_move_mount (int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags)
{
  return (int) syscall (SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static inline int
sys_open_tree (int dfd, const char *path, unsigned flags)
{
  return (int) syscall (SYS_open_tree, dfd, path, flags);
}

static inline int
sys_mount_setattr (int dfd, const char *path, unsigned flags, struct mount_attr *attr)
{
  return (int) syscall (SYS_mount_setattr, dfd, path, flags, attr, sizeof *attr);
}

static inline int
sys_openat2 (int dfd, const char *path, struct open_how *how)
{
  return (int) syscall (SYS_openat2, dfd, path, how, sizeof *how);
}

static inline int
sys_pivot_root (const char *new_root, const char *put_old)
{
  return (int) syscall (SYS_pivot_root, new_root, put_old);
}

#endif
