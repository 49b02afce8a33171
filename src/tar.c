#include "tar.h"

#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512
/* Extended headers only carry names and a few numbers; a limit stops a
 * hostile size from turning into a huge allocation. */
#define MAX_META (1u << 20)

void
sbx_tar_init (struct sbx_tar *tar, sbx_tar_read_fn read, void *cookie)
{
  memset (tar, 0, sizeof *tar);
  tar->read = read;
  tar->cookie = cookie;
}

void
sbx_tar_free (struct sbx_tar *tar)
{
  free (tar->entry.name);
  free (tar->entry.linkname);
  tar->entry.name = tar->entry.linkname = NULL;
}

/* Exactly LEN bytes, or false at a premature end. */
static bool
read_full (struct sbx_tar *tar, void *buf, size_t len)
{
  char *p = buf;
  while (len > 0)
    {
      size_t n = tar->read (tar->cookie, p, len);
      if (n == 0)
        return false;
      p += n, len -= n, tar->pos += n;
    }
  return true;
}

static bool
skip (struct sbx_tar *tar, uint64_t len)
{
  if (tar->skip != NULL && len > 0)
    {
      if (!tar->skip (tar->cookie, len))
        return false;
      tar->pos += len;
      return true;
    }
  char buf[8192];
  while (len > 0)
    {
      size_t n = len < sizeof buf ? (size_t) len : sizeof buf;
      if (!read_full (tar, buf, n))
        return false;
      len -= n;
    }
  return true;
}

static bool
parse_number (const char *field, size_t len, uint64_t *out)
{
  const unsigned char *f = (const unsigned char *) field;
  uint64_t v = 0;
  if (f[0] & 0x80)
    {
      /* GNU base-256 for values that do not fit in octal; negative ones
       * (f[0] == 0xff) are refused. */
      if (f[0] != 0x80)
        return false;
      for (size_t i = 1; i < len; i++)
        {
          if (v >> 56)
            return false;
          v = v << 8 | f[i];
        }
      *out = v;
      return true;
    }
  size_t i = 0;
  while (i < len && f[i] == ' ')
    i++;
  for (; i < len && f[i] >= '0' && f[i] <= '7'; i++)
    {
      if (v >> 61)
        return false;
      v = v << 3 | (uint64_t) (f[i] - '0');
    }
  for (; i < len; i++)
    if (f[i] != ' ' && f[i] != '\0')
      return false;
  /* An empty field (all NULs) is zero. */
  *out = v;
  return true;
}

static bool
checksum_ok (const unsigned char *h)
{
  uint64_t stored;
  if (!parse_number ((const char *) h + 148, 8, &stored))
    return false;
  uint64_t usum = 0;
  int64_t ssum = 0;
  for (int i = 0; i < BLOCK; i++)
    {
      unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
      usum += c;
      ssum += (signed char) c;
    }
  return stored == usum || (int64_t) stored == ssum;
}

static char *
field_string (const unsigned char *f, size_t len)
{
  size_t n = strnlen ((const char *) f, len);
  char *s = sbx_xmalloc (n + 1);
  memcpy (s, f, n);
  s[n] = '\0';
  return s;
}

/* Reads a metadata member's body (pax header or GNU long name). */
static char *
read_meta (struct sbx_tar *tar, uint64_t size, char *err, size_t errlen)
{
  if (size > MAX_META)
    return snprintf (err, errlen, "extended header too large"), NULL;
  char *buf = sbx_xmalloc ((size_t) size + 1);
  uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
  if (!read_full (tar, buf, (size_t) size) || !skip (tar, padded - size))
    return free (buf), snprintf (err, errlen, "truncated archive"), NULL;
  buf[size] = '\0';
  return buf;
}

struct overrides {
  char *path, *linkpath;
  bool has_size;
  uint64_t size;
};

/* "LEN KEY=VALUE\n" records. */
static bool
parse_pax (char *buf, size_t len, struct overrides *o, char *err, size_t errlen)
{
  size_t at = 0;
  while (at < len)
    {
      char *rec = buf + at, *end;
      errno = 0;
      unsigned long reclen = strtoul (rec, &end, 10);
      if (errno != 0 || end == rec || *end != ' ' || reclen > len - at || reclen < 5 || rec[reclen - 1] != '\n')
        return snprintf (err, errlen, "malformed pax header"), false;
      char *key = end + 1, *eq = memchr (key, '=', (size_t) (rec + reclen - key));
      if (eq == NULL)
        return snprintf (err, errlen, "malformed pax header"), false;
      *eq = '\0';
      rec[reclen - 1] = '\0';
      char *value = eq + 1;
      if (strcmp (key, "path") == 0)
        free (o->path), o->path = sbx_xstrdup (value);
      else if (strcmp (key, "linkpath") == 0)
        free (o->linkpath), o->linkpath = sbx_xstrdup (value);
      else if (strcmp (key, "size") == 0)
        {
          char *e;
          errno = 0;
          o->size = strtoull (value, &e, 10);
          if (errno != 0 || e == value || *e != '\0')
            return snprintf (err, errlen, "malformed pax size"), false;
          o->has_size = true;
        }
      at += reclen;
    }
  return true;
}

static void
free_overrides (struct overrides *o)
{
  free (o->path);
  free (o->linkpath);
}

static bool
all_zero (const unsigned char *h)
{
  for (int i = 0; i < BLOCK; i++)
    if (h[i] != 0)
      return false;
  return true;
}

int
sbx_tar_next (struct sbx_tar *tar, const struct sbx_tar_entry **entry, char *err, size_t errlen)
{
  sbx_tar_free (tar);
  if (!skip (tar, tar->data_left + tar->pad_left))
    return snprintf (err, errlen, "truncated archive"), -1;
  tar->data_left = tar->pad_left = 0;

  struct overrides o = { 0 };
  for (;;)
    {
      unsigned char h[BLOCK];
      if (!read_full (tar, h, BLOCK))
        return free_overrides (&o), snprintf (err, errlen, "truncated archive"), -1;
      if (all_zero (h))
        {
          /* End of archive. A second zero block normally follows; what
           * comes after the first is padding and not looked at. */
          free_overrides (&o);
          return 0;
        }
      if (!checksum_ok (h))
        return free_overrides (&o), snprintf (err, errlen, "bad header checksum at offset %llu",
                                              (unsigned long long) (tar->pos - BLOCK)), -1;
      uint64_t size, mode, mtime;
      if (!parse_number ((char *) h + 124, 12, &size) || !parse_number ((char *) h + 100, 8, &mode)
          || !parse_number ((char *) h + 136, 12, &mtime))
        return free_overrides (&o), snprintf (err, errlen, "bad header number"), -1;
      char type = (char) h[156];

      if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
        {
          char *body = read_meta (tar, size, err, errlen);
          if (body == NULL)
            return free_overrides (&o), -1;
          bool good = true;
          if (type == 'x')
            good = parse_pax (body, (size_t) size, &o, err, errlen);
          else if (type == 'L')
            free (o.path), o.path = sbx_xstrdup (body);
          else if (type == 'K')
            free (o.linkpath), o.linkpath = sbx_xstrdup (body);
          /* 'g' (global pax) carries nothing sbx uses. */
          free (body);
          if (!good)
            return free_overrides (&o), -1;
          continue;
        }

      struct sbx_tar_entry *e = &tar->entry;
      if (o.path != NULL)
        e->name = o.path, o.path = NULL;
      else
        {
          autofree char *name = field_string (h, 100);
          /* POSIX ustar splits long names into prefix/name; GNU's
           * "ustar  " header uses those bytes for other fields. */
          if (memcmp (h + 257, "ustar\0", 6) == 0 && h[345] != '\0')
            {
              autofree char *prefix = field_string (h + 345, 155);
              e->name = sbx_xasprintf ("%s/%s", prefix, name);
            }
          else
            e->name = sbx_xstrdup (name);
        }
      if (o.linkpath != NULL)
        e->linkname = o.linkpath, o.linkpath = NULL;
      else if (h[157] != '\0')
        e->linkname = field_string (h + 157, 100);
      if (o.has_size)
        size = o.size;
      free_overrides (&o);

      e->type = (type == '\0' || type == '7') ? '0' : type;
      e->mode = (mode_t) (mode & 07777);
      e->mtime = (int64_t) mtime;
      /* Symlinks, devices, directories and fifos never have data, whatever
       * the size field says; a pax hard link may carry its file's data. */
      e->size = strchr ("23456", e->type) != NULL ? 0 : size;
      e->offset = tar->pos;
      tar->data_left = e->size;
      tar->pad_left = (BLOCK - e->size % BLOCK) % BLOCK;
      *entry = e;
      return 1;
    }
}

ssize_t
sbx_tar_read_data (struct sbx_tar *tar, void *buf, size_t len)
{
  if (tar->data_left == 0)
    return 0;
  if (len > tar->data_left)
    len = (size_t) tar->data_left;
  size_t n = tar->read (tar->cookie, buf, len);
  if (n == 0)
    return -1;
  tar->pos += n;
  tar->data_left -= n;
  return (ssize_t) n;
}
