/* Until the FUSE overlay server is built in: say so, as sbx's error. */
#include "fuseovl.h"

#include "error.h"

int
sbx_fuse_overlay_start (const struct sbx_fuse_overlay *spec, pid_t *server)
{
  (void) server;
  sbx_die ("overlay of %s: the FUSE overlay backend is not built into this sbx (try --overlay-backend kernel)",
           spec->lowers[0]);
}
