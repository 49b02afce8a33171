/* sbx_overlay_escape: the classic "lowerdir=" spelling that kernels
 * without "lowerdir+" (Linux < 6.8) get. */
#include "overlay.h"

#include "tap.h"

#include <string.h>

static void
check (const char *path, const char *want)
{
  char *got = sbx_overlay_escape (path);
  ok (strcmp (got, want) == 0, "escape '%s' -> '%s' (got '%s')", path, want, got);
  free (got);
}

int
main (void)
{
  check ("/usr/lib", "/usr/lib");
  check ("", "");
  check ("/a:b", "/a\\:b");
  check ("/a,b", "/a\\,b");
  check ("/a\\b", "/a\\\\b");
  check ("/x:y,z\\w", "/x\\:y\\,z\\\\w");
  check ("::", "\\:\\:");
  check ("/tail\\", "/tail\\\\");
  check ("/sp ace/é", "/sp ace/é");
  return tap_done ();
}
