#include "resolve.h"

#include "error.h"
#include "syscalls.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int
sbx_root_open (int root_fd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  while (*path == '/')
    path++;
  int fd;
  do
    fd = sys_openat2 (root_fd, *path ? path : ".", &how);
  while (fd < 0 && errno == EAGAIN);   /* a concurrent rename; retry */
  return fd;
}

/* Copy PATH into BUF without repeated or trailing slashes. */
static void
normalize (const char *path, char *buf, size_t len)
{
  size_t n = 0;
  for (const char *p = path; *p; p++)
    {
      if (*p == '/' && n > 0 && buf[n - 1] == '/')
        continue;
      if (n + 1 >= len)
        sbx_die_errno (ENAMETOOLONG, "resolve path", path);
      buf[n++] = *p;
    }
  while (n > 1 && buf[n - 1] == '/')
    n--;
  buf[n] = '\0';
}

static noreturn void
die_dangling (const char *path)
{
  sbx_die ("create directory: %s: a symbolic link that does not resolve inside the sandbox", path);
}

/* mkdir one component under PARENT_FD. An existing directory is fine; an
 * existing symlink is fine only if it resolves inside the root, which the
 * caller's next sbx_root_open() checks. */
static void
make_component (int parent_fd, const char *name, const char *prefix, mode_t mode)
{
  if (mkdirat (parent_fd, name, mode) == 0 || errno == EEXIST)
    return;
  sbx_die_errno (errno, "create directory", prefix);
}

int
sbx_root_parent (int root_fd, const char *path, char *buf, size_t len, const char **last)
{
  normalize (path, buf, len);
  char *slash = strrchr (buf, '/');
  if (slash == NULL || (slash == buf && buf[1] == '\0'))
    {
      *last = NULL;
      int fd = dup (root_fd);
      if (fd < 0)
        sbx_die_errno (errno, "resolve path", path);
      return fd;
    }
  *last = slash + 1;
  *slash = '\0';
  const char *parent = slash == buf ? "/" : buf;

  /* The common case: the parent already exists. */
  int fd = sbx_root_open (root_fd, parent, O_PATH | O_DIRECTORY);
  if (fd >= 0)
    {
      *slash = '/';
      return fd;
    }
  if (errno != ENOENT)
    sbx_die_errno (errno, "resolve path", parent);

  /* Walk from the root, creating what is missing. Each prefix is opened
   * again from the root so that a symlink met on the way is clamped to
   * the root like any other. */
  autoclose int dir = dup (root_fd);
  if (dir < 0)
    sbx_die_errno (errno, "resolve path", path);
  char *component = buf + 1;
  for (;;)
    {
      char *next = strchr (component, '/');
      if (next != NULL)
        *next = '\0';
      make_component (dir, component, buf, 0755);
      int child = sbx_root_open (root_fd, buf, O_PATH | O_DIRECTORY);
      if (child < 0 && errno == ENOENT)
        die_dangling (buf);
      if (child < 0)
        sbx_die_errno (errno, "resolve path", buf);
      close (dir);
      dir = child;
      if (next == NULL)
        break;
      *next = '/';
      component = next + 1;
    }
  *slash = '/';
  return sbx_steal_fd (&dir);
}

int
sbx_root_ensure (int root_fd, const char *path, enum sbx_node kind, mode_t mode)
{
  int fd = sbx_root_open (root_fd, path, O_PATH);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    sbx_die_errno (errno, "resolve path", path);

  char buf[4096];
  const char *last;
  autoclose int parent = sbx_root_parent (root_fd, path, buf, sizeof buf, &last);
  if (kind == SBX_NODE_DIR)
    make_component (parent, last, path, mode);
  else
    {
      /* O_NOFOLLOW|O_EXCL: never create through a symlink. */
      int file = openat (parent, last, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
      if (file < 0 && errno != EEXIST)
        sbx_die_errno (errno, "create file", path);
      if (file >= 0)
        close (file);
    }
  fd = sbx_root_open (root_fd, path, O_PATH);
  if (fd < 0 && errno == ENOENT)
    die_dangling (path);
  if (fd < 0)
    sbx_die_errno (errno, "resolve path", path);
  return fd;
}
