#include "json.h"

#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Image documents nest a handful of levels; a cap keeps a hostile file
 * from exhausting the stack. */
#define MAX_DEPTH 64

struct parser {
  const char *p, *end, *start;
  char *errbuf;
  size_t errlen;
  bool failed;
};

static void
fail (struct parser *ps, const char *what)
{
  if (!ps->failed)
    snprintf (ps->errbuf, ps->errlen, "%s at offset %zu", what, (size_t) (ps->p - ps->start));
  ps->failed = true;
}

static void
skip_space (struct parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static bool
literal (struct parser *ps, const char *word)
{
  size_t len = strlen (word);
  if ((size_t) (ps->end - ps->p) < len || memcmp (ps->p, word, len) != 0)
    return false;
  ps->p += len;
  return true;
}

static int
hex4 (struct parser *ps)
{
  if (ps->end - ps->p < 4)
    return -1;
  int v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = *ps->p++;
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

static size_t
put_utf8 (char *out, uint32_t cp)
{
  if (cp < 0x80)
    return out[0] = (char) cp, 1;
  if (cp < 0x800)
    return out[0] = (char) (0xc0 | cp >> 6), out[1] = (char) (0x80 | (cp & 0x3f)), 2;
  if (cp < 0x10000)
    return out[0] = (char) (0xe0 | cp >> 12), out[1] = (char) (0x80 | ((cp >> 6) & 0x3f)),
           out[2] = (char) (0x80 | (cp & 0x3f)), 3;
  out[0] = (char) (0xf0 | cp >> 18), out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3f)), out[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

/* Called with ps->p just past the opening quote. The unescaped text is
 * never longer than the escaped one. */
static char *
parse_string (struct parser *ps)
{
  const char *q = ps->p;
  while (q < ps->end && *q != '"')
    q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  char *out = sbx_xmalloc ((size_t) (q - ps->p) + 1);
  size_t n = 0;
  for (;;)
    {
      if (ps->p >= ps->end)
        return fail (ps, "unterminated string"), free (out), NULL;
      unsigned char c = (unsigned char) *ps->p++;
      if (c == '"')
        break;
      if (c < 0x20)
        return fail (ps, "control character in string"), free (out), NULL;
      if (c != '\\')
        {
          out[n++] = (char) c;
          continue;
        }
      if (ps->p >= ps->end)
        return fail (ps, "unterminated string"), free (out), NULL;
      char e = *ps->p++;
      const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
      const char *hit = strchr (from, e);
      if (e != 'u' && (hit == NULL || e == '\0'))
        return fail (ps, "bad escape in string"), free (out), NULL;
      if (e != 'u')
        {
          out[n++] = to[hit - from];
          continue;
        }
      int cp = hex4 (ps);
      if (cp < 0)
        return fail (ps, "bad \\u escape in string"), free (out), NULL;
      uint32_t code = (uint32_t) cp;
      if (cp >= 0xd800 && cp <= 0xdbff)
        {
          int lo = (ps->end - ps->p >= 2 && ps->p[0] == '\\' && ps->p[1] == 'u') ? (ps->p += 2, hex4 (ps)) : -1;
          if (lo < 0xdc00 || lo > 0xdfff)
            return fail (ps, "unpaired surrogate in string"), free (out), NULL;
          code = 0x10000 + (((uint32_t) cp - 0xd800) << 10) + ((uint32_t) lo - 0xdc00);
        }
      else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0)
        return fail (ps, "bad \\u escape in string"), free (out), NULL;
      n += put_utf8 (out + n, code);
    }
  out[n] = '\0';
  return out;
}

static bool
parse_number (struct parser *ps, double *out)
{
  const char *s = ps->p;
  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
    return false;
  if (*ps->p == '0')
    ps->p++;
  else
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  if (ps->p < ps->end && *ps->p == '.')
    {
      ps->p++;
      if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return false;
      while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E'))
    {
      ps->p++;
      if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
        ps->p++;
      if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return false;
      while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    }
  autofree char *copy = strndup (s, (size_t) (ps->p - s));
  if (copy == NULL)
    return false;
  *out = strtod (copy, NULL);
  return true;
}

static struct sbx_json *parse_value (struct parser *ps, int depth);

static void
append (struct sbx_json *v, char *key, struct sbx_json *item)
{
  v->items = sbx_xrealloc_array (v->items, v->n + 1, sizeof *v->items);
  if (v->type == SBX_JSON_OBJECT)
    {
      v->keys = sbx_xrealloc_array (v->keys, v->n + 1, sizeof *v->keys);
      v->keys[v->n] = key;
    }
  v->items[v->n++] = item;
}

/* Arrays and objects: ps->p is just past the opening bracket. */
static bool
parse_members (struct parser *ps, struct sbx_json *v, int depth)
{
  char close = v->type == SBX_JSON_OBJECT ? '}' : ']';
  skip_space (ps);
  if (ps->p < ps->end && *ps->p == close)
    return ps->p++, true;
  for (;;)
    {
      char *key = NULL;
      skip_space (ps);
      if (v->type == SBX_JSON_OBJECT)
        {
          if (ps->p >= ps->end || *ps->p != '"')
            return fail (ps, "expected a string key"), false;
          ps->p++;
          if ((key = parse_string (ps)) == NULL)
            return false;
          skip_space (ps);
          if (ps->p >= ps->end || *ps->p != ':')
            return free (key), fail (ps, "expected ':'"), false;
          ps->p++;
        }
      struct sbx_json *item = parse_value (ps, depth + 1);
      if (item == NULL)
        return free (key), false;
      append (v, key, item);
      skip_space (ps);
      if (ps->p < ps->end && *ps->p == ',')
        {
          ps->p++;
          continue;
        }
      if (ps->p < ps->end && *ps->p == close)
        return ps->p++, true;
      return fail (ps, v->type == SBX_JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'"), false;
    }
}

static struct sbx_json *
parse_value (struct parser *ps, int depth)
{
  if (depth > MAX_DEPTH)
    return fail (ps, "nested too deeply"), NULL;
  skip_space (ps);
  if (ps->p >= ps->end)
    return fail (ps, "unexpected end of document"), NULL;
  struct sbx_json *v = sbx_xcalloc (1, sizeof *v);
  char c = *ps->p;
  bool good = true;
  if (c == '{' || c == '[')
    {
      ps->p++;
      v->type = c == '{' ? SBX_JSON_OBJECT : SBX_JSON_ARRAY;
      good = parse_members (ps, v, depth);
    }
  else if (c == '"')
    {
      ps->p++;
      v->type = SBX_JSON_STRING;
      good = (v->string = parse_string (ps)) != NULL;
    }
  else if (literal (ps, "null"))
    v->type = SBX_JSON_NULL;
  else if (literal (ps, "true"))
    v->type = SBX_JSON_TRUE;
  else if (literal (ps, "false"))
    v->type = SBX_JSON_FALSE;
  else
    {
      v->type = SBX_JSON_NUMBER;
      if (!(good = parse_number (ps, &v->number)))
        fail (ps, "unexpected character");
    }
  if (!good)
    {
      sbx_json_free (v);
      return NULL;
    }
  return v;
}

struct sbx_json *
sbx_json_parse (const char *text, size_t len, char *errbuf, size_t errlen)
{
  struct parser ps = { .p = text, .end = text + len, .start = text, .errbuf = errbuf, .errlen = errlen };
  struct sbx_json *v = parse_value (&ps, 0);
  if (v == NULL)
    return NULL;
  skip_space (&ps);
  if (ps.p != ps.end)
    {
      fail (&ps, "trailing bytes after the document");
      sbx_json_free (v);
      return NULL;
    }
  return v;
}

void
sbx_json_free (struct sbx_json *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->n; i++)
    {
      sbx_json_free (v->items[i]);
      if (v->keys != NULL)
        free (v->keys[i]);
    }
  free (v->items);
  free (v->keys);
  free (v->string);
  free (v);
}

const struct sbx_json *
sbx_json_get (const struct sbx_json *object, const char *key)
{
  if (object == NULL || object->type != SBX_JSON_OBJECT)
    return NULL;
  /* Duplicate keys: the last one wins, as in most JSON readers. */
  const struct sbx_json *found = NULL;
  for (size_t i = 0; i < object->n; i++)
    if (strcmp (object->keys[i], key) == 0)
      found = object->items[i];
  return found;
}
