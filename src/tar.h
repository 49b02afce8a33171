/* A streaming tar reader: ustar, POSIX pax extended headers (path,
 * linkpath, size) and GNU long names ('L', 'K'). It only decodes; what to
 * do with an entry (and every safety check on its name) is the caller's. */
#ifndef SBX_TAR_H
#define SBX_TAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads up to LEN bytes; returns how many, 0 at the end of the stream.
 * Read errors are the callback's to report (sbx dies on them). */
typedef size_t (*sbx_tar_read_fn) (void *cookie, void *buf, size_t len);

/* Optional: skips LEN bytes; false if the stream ends first. Lets a
 * seekable archive be indexed without reading the data. */
typedef bool (*sbx_tar_skip_fn) (void *cookie, uint64_t len);

struct sbx_tar_entry {
  char *name;                   /* as stored; the caller normalizes it */
  char *linkname;               /* hard or symbolic link target, or NULL */
  char type;                    /* ustar typeflag; '\0' and '7' become '0' */
  mode_t mode;                  /* permission bits only */
  uint64_t size;                /* data bytes that follow */
  int64_t mtime;
  uint64_t offset;              /* stream offset of the data */
};

struct sbx_tar {
  sbx_tar_read_fn read;
  sbx_tar_skip_fn skip;         /* NULL: skip by reading */
  void *cookie;
  uint64_t pos;                 /* bytes consumed from the stream */
  uint64_t data_left;           /* of the current entry */
  uint64_t pad_left;            /* to its 512-byte boundary */
  struct sbx_tar_entry entry;
};

void sbx_tar_init (struct sbx_tar *tar, sbx_tar_read_fn read, void *cookie);

/* The next entry (valid until the next call): 1, or 0 at the end of the
 * archive, or -1 with a reason in ERR when the archive is corrupt or
 * truncated. Unread data of the previous entry is skipped. */
int sbx_tar_next (struct sbx_tar *tar, const struct sbx_tar_entry **entry, char *err, size_t errlen);

/* Up to LEN bytes of the current entry's data; 0 once it is all read,
 * -1 if the stream ends early (truncated). */
ssize_t sbx_tar_read_data (struct sbx_tar *tar, void *buf, size_t len);

void sbx_tar_free (struct sbx_tar *tar);

#endif
