/* A tiny TAP producer for the C unit tests. */
#ifndef SBX_TAP_H
#define SBX_TAP_H

#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failed;

#define ok(cond, ...)                                                  \
  do {                                                                 \
    tap_count++;                                                       \
    if (!(cond))                                                       \
      tap_failed++;                                                    \
    printf ("%sok %d - ", (cond) ? "" : "not ", tap_count);            \
    printf (__VA_ARGS__);                                              \
    printf ("\n");                                                     \
    fflush (stdout);                                                   \
  } while (0)

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

#endif
