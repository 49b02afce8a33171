#include "util.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void *
check_alloc (void *p)
{
  if (p == NULL)
    sbx_die_errno (ENOMEM, "allocate memory", NULL);
  return p;
}

void *
sbx_xmalloc (size_t size)
{
  return check_alloc (malloc (size ? size : 1));
}

void *
sbx_xcalloc (size_t count, size_t size)
{
  return check_alloc (calloc (count ? count : 1, size ? size : 1));
}

void *
sbx_xrealloc_array (void *ptr, size_t count, size_t size)
{
  return check_alloc (reallocarray (ptr, count ? count : 1, size ? size : 1));
}

char *
sbx_xstrdup (const char *s)
{
  return check_alloc (strdup (s));
}

char *
sbx_xasprintf (const char *fmt, ...)
{
  char *out = NULL;
  va_list ap;
  va_start (ap, fmt);
  int n = vasprintf (&out, fmt, ap);
  va_end (ap);
  if (n < 0)
    sbx_die_errno (ENOMEM, "allocate memory", NULL);
  return out;
}

int
sbx_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
sbx_write_file_at (int dirfd, const char *path, const char *str)
{
  autoclose int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  return sbx_write_all (fd, str, strlen (str));
}

int
sbx_mkdir_p (const char *path, mode_t mode)
{
  autofree char *copy = sbx_xstrdup (path);
  for (char *p = copy + 1;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return -1;
      if ((*p = saved) == '\0')
        return 0;
    }
}

int
sbx_fd_is_open (int fd)
{
  return fd >= 0 && fcntl (fd, F_GETFD) >= 0;
}

char *
sbx_user_cache_dir (const char *sub)
{
  const char *cache = getenv ("XDG_CACHE_HOME");
  if (cache != NULL && cache[0] == '/')
    return sbx_xasprintf ("%s/sbx/%s", cache, sub);
  const char *home = getenv ("HOME");
  if (home == NULL || home[0] != '/')
    return NULL;
  return sbx_xasprintf ("%s/.cache/sbx/%s", home, sub);
}
