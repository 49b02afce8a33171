/* Unit tests for the strict JSON reader behind the image loader. */
#include "tap.h"

#include "json.h"

#include <string.h>

static struct sbx_json *
parse (const char *text)
{
  char err[128];
  return sbx_json_parse (text, strlen (text), err, sizeof err);
}

static void
rejects (const char *text, const char *why)
{
  struct sbx_json *v = parse (text);
  ok (v == NULL, "rejects %s", why);
  sbx_json_free (v);
}

int
main (void)
{
  struct sbx_json *v = parse (" {\"a\": [1, 2.5e3, -0, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\\/\"],"
                              " \"b\": {}, \"a2\": [], \"d\": 1, \"d\": 2} ");
  ok (v != NULL && v->type == SBX_JSON_OBJECT && v->n == 5, "parses an object with 5 members");
  const struct sbx_json *a = sbx_json_get (v, "a");
  ok (a != NULL && a->type == SBX_JSON_ARRAY && a->n == 7, "array member");
  ok (a->items[0]->type == SBX_JSON_NUMBER && a->items[0]->number == 1, "integer");
  ok (a->items[1]->number == 2500, "exponent");
  ok (a->items[3]->type == SBX_JSON_TRUE && a->items[4]->type == SBX_JSON_FALSE
        && a->items[5]->type == SBX_JSON_NULL, "literals");
  ok (strcmp (a->items[6]->string, "x\xc3\xa9\xf0\x9f\x98\x80\n/") == 0, "escapes and surrogate pairs to UTF-8");
  ok (sbx_json_get (v, "b")->type == SBX_JSON_OBJECT && sbx_json_get (v, "b")->n == 0, "empty object");
  ok (sbx_json_get (v, "a2")->n == 0, "empty array");
  ok (sbx_json_get (v, "d")->number == 2, "duplicate key: the last wins");
  ok (sbx_json_get (v, "missing") == NULL && sbx_json_get (a, "a") == NULL, "get on a missing key or a non-object");
  sbx_json_free (v);

  char err[128] = "";
  v = sbx_json_parse ("[1, 2", 5, err, sizeof err);
  ok (v == NULL && strstr (err, "offset 5") != NULL, "the error names the offset (%s)", err);

  rejects ("", "an empty document");
  rejects ("{", "an unterminated object");
  rejects ("[1,]", "a trailing comma in an array");
  rejects ("{\"a\":1,}", "a trailing comma in an object");
  rejects ("{'a':1}", "single quotes");
  rejects ("{a:1}", "a bare key");
  rejects ("01", "a leading zero");
  rejects ("1.", "a bare decimal point");
  rejects (".5", "a number without an integer part");
  rejects ("+1", "a plus sign");
  rejects ("NaN", "NaN");
  rejects ("tru", "a cut literal");
  rejects ("\"a\x01\"", "a control character in a string");
  rejects ("\"\\x\"", "an unknown escape");
  rejects ("\"\\ud800\"", "a lone high surrogate");
  rejects ("\"\\udc00\"", "a lone low surrogate");
  rejects ("\"\\u0000\"", "an embedded NUL");
  rejects ("\"abc", "an unterminated string");
  rejects ("[1] x", "trailing bytes");
  rejects ("[1] [2]", "two documents");
  char deep[200];
  memset (deep, '[', 100);
  memset (deep + 100, ']', 100);
  struct sbx_json *d = sbx_json_parse (deep, 200, err, sizeof err);
  ok (d == NULL, "rejects nesting 100 deep");
  v = sbx_json_parse ("[1]\0", 4, err, sizeof err);
  ok (v == NULL, "rejects a NUL byte after the document");
  return tap_done ();
}
