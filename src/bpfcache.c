/* File format, all integers in host order:
 *   "SBXBPF1\n"  u32 key length  key  u32 instruction count  instructions
 *   u64 FNV-1a of everything before it
 * The key is stored whole and compared whole, so a hash collision in the
 * file name can never hand one policy another's program. */
#include "bpfcache.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = "SBXBPF1\n";
enum { MAX_FILE = 1 << 20 };

static uint64_t
fnv1a (const void *data, size_t len, uint64_t hash)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    hash = (hash ^ p[i]) * UINT64_C (0x100000001b3);
  return hash;
}

static const uint64_t fnv_basis = UINT64_C (0xcbf29ce484222325);

char *
sbx_bpfcache_dir (void)
{
  return sbx_user_cache_dir ("seccomp");
}

static char *
entry_path (const char *dir, const char *key)
{
  return sbx_xasprintf ("%s/%016llx.bpf", dir, (unsigned long long) fnv1a (key, strlen (key), fnv_basis));
}

/* Only our own, not group- or world-writable folders and files are used. */
static bool
owned_safely (const struct stat *st)
{
  return st->st_uid == geteuid () && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool
sbx_bpfcache_load (const char *key, struct sbx_bpf *out)
{
  autofree char *dir = sbx_bpfcache_dir ();
  if (dir == NULL)
    return false;
  autofree char *path = entry_path (dir, key);
  autoclose int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || !owned_safely (&st)
      || st.st_size < (off_t) (sizeof magic + 4 + 4 + 8) || st.st_size > MAX_FILE)
    return false;
  size_t size = (size_t) st.st_size;
  autofree unsigned char *buf = sbx_xmalloc (size);
  if (pread (fd, buf, size, 0) != (ssize_t) size)
    return false;

  uint64_t sum;
  memcpy (&sum, buf + size - 8, 8);
  if (memcmp (buf, magic, sizeof magic) != 0 || fnv1a (buf, size - 8, fnv_basis) != sum)
    return false;
  size_t at = sizeof magic;
  uint32_t key_len, count;
  memcpy (&key_len, buf + at, 4);
  at += 4;
  if (key_len != strlen (key) || at + key_len + 4 > size - 8 || memcmp (buf + at, key, key_len) != 0)
    return false;
  at += key_len;
  memcpy (&count, buf + at, 4);
  at += 4;
  if (count == 0 || count > BPF_MAXINSNS || at + (size_t) count * sizeof (struct sock_filter) != size - 8)
    return false;
  out->len = count;
  out->insns = sbx_xmalloc (count * sizeof (struct sock_filter));
  memcpy (out->insns, buf + at, count * sizeof (struct sock_filter));
  return true;
}

void
sbx_bpfcache_store (const char *key, const struct sbx_bpf *bpf)
{
  autofree char *dir = sbx_bpfcache_dir ();
  struct stat st;
  if (dir == NULL || sbx_mkdir_p (dir, 0700) < 0 || lstat (dir, &st) < 0 || !S_ISDIR (st.st_mode) || !owned_safely (&st))
    return;

  uint32_t key_len = (uint32_t) strlen (key), count = (uint32_t) bpf->len;
  size_t size = sizeof magic + 4 + key_len + 4 + bpf->len * sizeof (struct sock_filter) + 8;
  autofree unsigned char *buf = sbx_xmalloc (size);
  size_t at = 0;
  memcpy (buf + at, magic, sizeof magic), at += sizeof magic;
  memcpy (buf + at, &key_len, 4), at += 4;
  memcpy (buf + at, key, key_len), at += key_len;
  memcpy (buf + at, &count, 4), at += 4;
  memcpy (buf + at, bpf->insns, bpf->len * sizeof (struct sock_filter));
  at += bpf->len * sizeof (struct sock_filter);
  uint64_t sum = fnv1a (buf, at, fnv_basis);
  memcpy (buf + at, &sum, 8);

  /* Write aside, then rename: a reader sees the old file or the new one. */
  autofree char *tmp = sbx_xasprintf ("%s/.tmp-XXXXXX", dir);
  autoclose int fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return;
  autofree char *path = entry_path (dir, key);
  if (sbx_write_all (fd, buf, size) < 0 || fchmod (fd, 0600) < 0 || rename (tmp, path) < 0)
    unlink (tmp);
}
