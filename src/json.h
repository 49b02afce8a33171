/* A small, strict JSON reader (RFC 8259) for image manifests, indexes and
 * configs: the whole document becomes a tree; anything malformed (trailing
 * bytes, bad escapes, control characters, deep nesting) is an error. */
#ifndef SBX_JSON_H
#define SBX_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum sbx_json_type {
  SBX_JSON_NULL,
  SBX_JSON_FALSE,
  SBX_JSON_TRUE,
  SBX_JSON_NUMBER,
  SBX_JSON_STRING,
  SBX_JSON_ARRAY,
  SBX_JSON_OBJECT,
};

struct sbx_json {
  enum sbx_json_type type;
  double number;                /* NUMBER */
  char *string;                 /* STRING (NUL-terminated; an embedded \u0000 is refused) */
  size_t n;                     /* ARRAY, OBJECT: number of items */
  struct sbx_json **items;      /* ARRAY, OBJECT: the values */
  char **keys;                  /* OBJECT: the keys, parallel to items */
};

/* Parse LEN bytes of TEXT. On error returns NULL with a description such
 * as "unexpected character at offset 12" in ERRBUF (ERRLEN bytes). */
struct sbx_json *sbx_json_parse (const char *text, size_t len, char *errbuf, size_t errlen);
void sbx_json_free (struct sbx_json *value);

/* The member KEY of OBJECT, or NULL if OBJECT is not an object or has no
 * such member. */
const struct sbx_json *sbx_json_get (const struct sbx_json *object, const char *key);

#endif
