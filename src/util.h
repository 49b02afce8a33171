/* Small helpers shared by every stage: cleanup attributes and checked
 * allocation. */
#ifndef SBX_UTIL_H
#define SBX_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static inline void
sbx_freep (void *p)
{
  free (*(void **) p);
}

static inline void
sbx_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

#define autofree __attribute__ ((cleanup (sbx_freep)))
#define autoclose __attribute__ ((cleanup (sbx_closep)))

/* Hand a cleanup-managed fd over to the caller without closing it. */
static inline int
sbx_steal_fd (int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}

void *sbx_xmalloc (size_t size);
void *sbx_xcalloc (size_t count, size_t size);
void *sbx_xrealloc_array (void *ptr, size_t count, size_t size);
char *sbx_xstrdup (const char *s);
char *sbx_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Write all of BUF to FD, retrying on EINTR and short writes. */
int sbx_write_all (int fd, const void *buf, size_t len);

/* Write STR to the file PATH (relative to DIRFD), which must exist. */
int sbx_write_file_at (int dirfd, const char *path, const char *str);

/* mkdir -p PATH (absolute), new folders with MODE; -1 and errno on error. */
int sbx_mkdir_p (const char *path, mode_t mode);

/* $XDG_CACHE_HOME/sbx/SUB, else ~/.cache/sbx/SUB; NULL if neither is an
 * absolute path. */
char *sbx_user_cache_dir (const char *sub);

/* Is FD an open file descriptor? */
int sbx_fd_is_open (int fd);

#endif
