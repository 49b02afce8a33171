/* The registry folder and its records. A record is trusted only as far
 * as its folder is: ours, mode 0700, and never visible inside a sandbox
 * (plan_finalize hides it); --enter checks the live process anyway. */
#include "registry.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sbx_record_ns_names[SBX_RECORD_NS_COUNT] = {
  "user", "mnt", "pid", "net", "ipc", "uts", "cgroup",
};

void
sbx_record_free (struct sbx_record *rec)
{
  free (rec->name);
  free (rec->profile);
  free (rec->cwd);
  for (char **a = rec->argv; a && *a; a++)
    free (*a);
  free (rec->argv);
  for (char **a = rec->cgroup; a && *a; a++)
    free (*a);
  free (rec->cgroup);
  for (size_t i = 0; i < rec->n_seccomp; i++)
    free (rec->seccomp[i].insns);
  free (rec->seccomp);
  *rec = (struct sbx_record) { 0 };
}

bool
sbx_registry_valid_name (const char *name)
{
  size_t len = strlen (name);
  if (len == 0 || len > SBX_NAME_MAX || name[0] == '.' || name[0] == '-')
    return false;
  for (const char *p = name; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '.' || *p == '-'))
      return false;
  return true;
}

char *
sbx_profile_short_name (const char *profile)
{
  if (profile == NULL)
    return NULL;
  const char *base = strrchr (profile, '/') ? strrchr (profile, '/') + 1 : profile;
  size_t len = strlen (base);
  if (len > 4 && strcmp (base + len - 4, ".sbx") == 0)
    len -= 4;
  return strndup (base, len);
}

char *
sbx_registry_default_name (const char *profile, pid_t pid)
{
  autofree char *base = sbx_profile_short_name (profile);
  char *name = sbx_xasprintf ("%.40s-%d", base != NULL && base[0] != '\0' ? base : "sbx", (int) pid);
  for (char *p = name; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '.' || *p == '-'))
      *p = '_';
  if (name[0] == '.' || name[0] == '-')
    name[0] = '_';
  return name;
}

char *
sbx_registry_path (void)
{
  const char *runtime = getenv ("XDG_RUNTIME_DIR");
  if (runtime != NULL && runtime[0] == '/')
    return sbx_xasprintf ("%s/sbx", runtime);
  /* What pam_systemd would have set, when it exists and is ours. */
  autofree char *fallback = sbx_xasprintf ("/run/user/%u", (unsigned) getuid ());
  struct stat st;
  if (stat (fallback, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == getuid () && (st.st_mode & 077) == 0)
    return sbx_xasprintf ("%s/sbx", fallback);
  return NULL;
}

int
sbx_registry_open (bool create, const char **why)
{
  autofree char *path = sbx_registry_path ();
  if (path == NULL)
    {
      *why = "no XDG_RUNTIME_DIR, and no /run/user/UID of ours";
      return -1;
    }
  if (create && mkdir (path, 0700) < 0 && errno != EEXIST)
    {
      *why = "cannot create $XDG_RUNTIME_DIR/sbx";
      return -1;
    }
  int dir = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (dir < 0 || fstat (dir, &st) < 0)
    {
      *why = errno == ENOENT ? "no sandbox is registered" : "cannot open $XDG_RUNTIME_DIR/sbx";
      if (dir >= 0)
        close (dir);
      return -1;
    }
  if (st.st_uid != getuid () || (st.st_mode & 077) != 0)
    {
      *why = "$XDG_RUNTIME_DIR/sbx is not ours with mode 0700: refusing to trust it";
      close (dir);
      return -1;
    }
  return dir;
}

/* --- writing ---------------------------------------------------------- */

void
sbx_json_string (FILE *out, const char *s)
{
  if (s == NULL)
    {
      fputs ("null", out);
      return;
    }
  fputc ('"', out);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p == '"' || *p == '\\')
      fprintf (out, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf (out, "\\u%04x", *p);
    else
      fputc (*p, out);
  fputc ('"', out);
}

static void
json_string_array (FILE *out, char **list)
{
  fputc ('[', out);
  for (size_t i = 0; list && list[i]; i++)
    {
      fputs (i ? ", " : "", out);
      sbx_json_string (out, list[i]);
    }
  fputc (']', out);
}

static void
format_record (FILE *out, const struct sbx_record *rec)
{
  fputs ("{\n  \"version\": 1,\n  \"name\": ", out);
  sbx_json_string (out, rec->name);
  fprintf (out, ",\n  \"pid\": %d,\n  \"pid-start-time\": %llu,\n  \"monitor-pid\": %d,\n  \"profile\": ",
           (int) rec->pid, rec->start_ticks, (int) rec->monitor);
  sbx_json_string (out, rec->profile);
  fputs (",\n  \"command\": ", out);
  json_string_array (out, rec->argv);
  fprintf (out, ",\n  \"started\": %lld,\n  \"namespaces\": {", rec->started);
  for (size_t i = 0; i < SBX_RECORD_NS_COUNT; i++)
    fprintf (out, "%s\"%s\": %llu", i ? ", " : " ", sbx_record_ns_names[i], rec->ns[i]);
  fputs (" },\n  \"cgroup\": ", out);
  json_string_array (out, rec->cgroup);
  fprintf (out, ",\n  \"uid\": %llu,\n  \"gid\": %llu,\n  \"outer-uid\": %llu,\n  \"outer-gid\": %llu,\n  \"cwd\": ",
           rec->uid, rec->gid, rec->outer_uid, rec->outer_gid);
  sbx_json_string (out, rec->cwd);
  fprintf (out, ",\n  \"mdwe\": %s,\n  \"seccomp\": [", rec->mdwe ? "true" : "false");
  for (size_t i = 0; i < rec->n_seccomp; i++)
    {
      fputs (i ? ", \"" : "\"", out);
      /* Hex by hand: a few thousand bytes, on the launch's path. */
      static const char digits[] = "0123456789abcdef";
      const unsigned char *bytes = (const unsigned char *) rec->seccomp[i].insns;
      size_t len = rec->seccomp[i].len * sizeof (struct sock_filter);
      autofree char *hex = sbx_xmalloc (2 * len + 1);
      for (size_t b = 0; b < len; b++)
        {
          hex[2 * b] = digits[bytes[b] >> 4];
          hex[2 * b + 1] = digits[bytes[b] & 15];
        }
      hex[2 * len] = '"';
      fwrite (hex, 1, 2 * len + 1, out);
    }
  fputs ("]\n}\n", out);
}

int
sbx_registry_write (int dir, const struct sbx_record *rec)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  if (out == NULL)
    return -1;
  format_record (out, rec);
  if (fclose (out) != 0)
    return -1;
  autofree char *owned = text;
  autofree char *tmp = sbx_xasprintf (".%s.%d.tmp", rec->name, (int) getpid ());
  autofree char *final = sbx_xasprintf ("%s.json", rec->name);
  int fd = openat (dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  int failed = sbx_write_all (fd, owned, len);
  if (close (fd) < 0 || failed < 0
      || renameat2 (dir, tmp, dir, final, RENAME_NOREPLACE) < 0)
    {
      int saved = errno;
      unlinkat (dir, tmp, 0);
      errno = saved;
      return -1;
    }
  return 0;
}

/* --- reading: just the JSON this file writes, strictly --------------- */

struct cursor { const char *p; bool bad; };

static void
skip_ws (struct cursor *c)
{
  while (*c->p == ' ' || *c->p == '\n' || *c->p == '\t' || *c->p == '\r')
    c->p++;
}

static bool
expect (struct cursor *c, char ch)
{
  skip_ws (c);
  if (*c->p != ch)
    {
      c->bad = true;
      return false;
    }
  c->p++;
  return true;
}

static bool
peek (struct cursor *c, char ch)
{
  skip_ws (c);
  return *c->p == ch;
}

static char *
parse_string (struct cursor *c)
{
  skip_ws (c);
  if (strncmp (c->p, "null", 4) == 0)
    {
      c->p += 4;
      return NULL;
    }
  if (!expect (c, '"'))
    return NULL;
  size_t cap = 32, n = 0;
  char *s = sbx_xmalloc (cap);
  while (*c->p != '"')
    {
      char ch = *c->p++;
      if (ch == '\0')
        goto bad;
      if (ch == '\\')
        {
          char e = *c->p++;
          if (e == 'u')
            {
              unsigned v;
              if (sscanf (c->p, "%4x", &v) != 1 || v == 0 || v > 0x7f)
                goto bad;
              c->p += 4;
              ch = (char) v;
            }
          else if (e == '"' || e == '\\' || e == '/')
            ch = e;
          else
            goto bad;
        }
      if (n + 2 > cap)
        s = sbx_xrealloc_array (s, cap *= 2, 1);
      s[n++] = ch;
    }
  c->p++;
  s[n] = '\0';
  return s;
bad:
  free (s);
  c->bad = true;
  return NULL;
}

static unsigned long long
parse_uint (struct cursor *c)
{
  skip_ws (c);
  if (!isdigit ((unsigned char) *c->p))
    {
      c->bad = true;
      return 0;
    }
  char *end;
  errno = 0;
  unsigned long long v = strtoull (c->p, &end, 10);
  if (errno != 0)
    c->bad = true;
  c->p = end;
  return v;
}

static bool
parse_bool (struct cursor *c)
{
  skip_ws (c);
  if (strncmp (c->p, "true", 4) == 0)
    return c->p += 4, true;
  if (strncmp (c->p, "false", 5) == 0)
    return c->p += 5, false;
  c->bad = true;
  return false;
}

static char **
parse_string_array (struct cursor *c)
{
  size_t n = 0;
  char **list = sbx_xcalloc (1, sizeof *list);
  if (!expect (c, '['))
    return list;
  while (!c->bad && !peek (c, ']'))
    {
      if (n > 0)
        expect (c, ',');
      char *s = parse_string (c);
      if (s == NULL)
        {
          c->bad = true;
          break;
        }
      list = sbx_xrealloc_array (list, n + 2, sizeof *list);
      list[n++] = s;
      list[n] = NULL;
    }
  if (!c->bad)
    c->p++;
  return list;
}

static int
nibble (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static bool
hex_to_bpf (const char *hex, struct sbx_bpf *out)
{
  size_t len = strlen (hex);
  size_t size = sizeof (struct sock_filter);
  if (len == 0 || len % (2 * size) != 0 || len / (2 * size) > 4096)
    return false;
  out->len = len / (2 * size);
  out->insns = sbx_xcalloc (out->len, size);
  unsigned char *bytes = (unsigned char *) out->insns;
  for (size_t i = 0; i < len / 2; i++)
    {
      int hi = nibble (hex[2 * i]), lo = nibble (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return false;
      bytes[i] = (unsigned char) (hi << 4 | lo);
    }
  return true;
}

static void
parse_field (struct cursor *c, const char *key, struct sbx_record *rec)
{
  if (strcmp (key, "version") == 0)
    {
      if (parse_uint (c) != 1)
        c->bad = true;
    }
  else if (strcmp (key, "name") == 0)
    rec->name = parse_string (c);
  else if (strcmp (key, "pid") == 0)
    rec->pid = (pid_t) parse_uint (c);
  else if (strcmp (key, "pid-start-time") == 0)
    rec->start_ticks = parse_uint (c);
  else if (strcmp (key, "monitor-pid") == 0)
    rec->monitor = (pid_t) parse_uint (c);
  else if (strcmp (key, "profile") == 0)
    rec->profile = parse_string (c);
  else if (strcmp (key, "command") == 0)
    rec->argv = parse_string_array (c);
  else if (strcmp (key, "started") == 0)
    rec->started = (long long) parse_uint (c);
  else if (strcmp (key, "cgroup") == 0)
    rec->cgroup = parse_string_array (c);
  else if (strcmp (key, "uid") == 0)
    rec->uid = parse_uint (c);
  else if (strcmp (key, "gid") == 0)
    rec->gid = parse_uint (c);
  else if (strcmp (key, "outer-uid") == 0)
    rec->outer_uid = parse_uint (c);
  else if (strcmp (key, "outer-gid") == 0)
    rec->outer_gid = parse_uint (c);
  else if (strcmp (key, "cwd") == 0)
    rec->cwd = parse_string (c);
  else if (strcmp (key, "mdwe") == 0)
    rec->mdwe = parse_bool (c);
  else if (strcmp (key, "namespaces") == 0)
    {
      expect (c, '{');
      for (bool first = true; !c->bad && !peek (c, '}'); first = false)
        {
          if (!first)
            expect (c, ',');
          autofree char *ns = parse_string (c);
          expect (c, ':');
          unsigned long long id = parse_uint (c);
          for (size_t i = 0; ns != NULL && i < SBX_RECORD_NS_COUNT; i++)
            if (strcmp (ns, sbx_record_ns_names[i]) == 0)
              rec->ns[i] = id;
        }
      if (!c->bad)
        c->p++;
    }
  else if (strcmp (key, "seccomp") == 0)
    {
      char **hex = parse_string_array (c);
      size_t n = 0;
      while (hex[n] != NULL)
        n++;
      rec->seccomp = sbx_xcalloc (n + 1, sizeof *rec->seccomp);
      for (size_t i = 0; i < n; i++)
        {
          if (!hex_to_bpf (hex[i], &rec->seccomp[rec->n_seccomp++]))
            c->bad = true;
          free (hex[i]);
        }
      free (hex);
    }
  else
    c->bad = true;
}

bool
sbx_registry_read (int dir, const char *name, struct sbx_record *rec)
{
  *rec = (struct sbx_record) { 0 };
  if (!sbx_registry_valid_name (name))
    return false;
  autofree char *file = sbx_xasprintf ("%s.json", name);
  autoclose int fd = openat (dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != getuid ()
      || st.st_size > 1 << 20)
    return false;
  autofree char *text = sbx_xmalloc ((size_t) st.st_size + 1);
  ssize_t n = read (fd, text, (size_t) st.st_size);
  if (n != st.st_size)
    return false;
  text[n] = '\0';
  struct cursor c = { text, false };
  expect (&c, '{');
  for (bool first = true; !c.bad && !peek (&c, '}'); first = false)
    {
      if (!first)
        expect (&c, ',');
      autofree char *key = parse_string (&c);
      if (key == NULL || !expect (&c, ':'))
        {
          c.bad = true;
          break;
        }
      parse_field (&c, key, rec);
    }
  if (c.bad || rec->name == NULL || strcmp (rec->name, name) != 0 || rec->pid <= 0 || rec->start_ticks == 0
      || rec->argv == NULL)
    {
      sbx_record_free (rec);
      return false;
    }
  return true;
}

/* --- liveness ---------------------------------------------------------- */

unsigned long long
sbx_proc_start_ticks (pid_t pid)
{
  char path[32], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: count from the
   * last ')'. Field 3 follows it; the start time is field 22. */
  char *p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  p++;
  for (int field = 3; field < 22 && p != NULL; field++)
    p = strchr (p + 1, ' ');
  return p != NULL ? strtoull (p + 1, NULL, 10) : 0;
}

bool
sbx_record_alive (const struct sbx_record *rec)
{
  return rec->pid > 0 && sbx_proc_start_ticks (rec->pid) == rec->start_ticks;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char **
sbx_registry_names (int dir)
{
  size_t n = 0;
  char **names = sbx_xcalloc (1, sizeof *names);
  int fd = dup (dir);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return names;
    }
  rewinddir (d);
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      size_t len = strlen (e->d_name);
      if (e->d_name[0] == '.' || len <= 5 || strcmp (e->d_name + len - 5, ".json") != 0)
        continue;
      names = sbx_xrealloc_array (names, n + 2, sizeof *names);
      names[n++] = strndup (e->d_name, len - 5);
      names[n] = NULL;
    }
  closedir (d);
  qsort (names, n, sizeof *names, compare_names);
  return names;
}

void
sbx_registry_sweep (int dir)
{
  char **names = sbx_registry_names (dir);
  for (char **n = names; *n; n++)
    {
      struct sbx_record rec;
      autofree char *file = sbx_xasprintf ("%s.json", *n);
      if (!sbx_registry_read (dir, *n, &rec))
        {
          /* A malformed record is nobody's: it goes too. */
          unlinkat (dir, file, 0);
        }
      else
        {
          if (!sbx_record_alive (&rec))
            unlinkat (dir, file, 0);
          sbx_record_free (&rec);
        }
      free (*n);
    }
  free (names);
}
