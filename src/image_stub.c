/* Until image unpacking is built in: say so, as sbx's error. */
#include "image.h"

#include "error.h"

void
sbx_image_load (const char *path, struct sbx_image *out)
{
  (void) out;
  sbx_die ("--image: %s: image support is not built into this sbx", path);
}
