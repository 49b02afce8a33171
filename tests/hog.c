/* hog: uses up resources on purpose, for tests/limits.t.
 *
 *   hog alloc MB        allocates and touches MB megabytes, one at a time;
 *                       prints "allocated MB" when all of it was had
 *   hog fork N          forks up to N children that wait; prints
 *                       "forked K" and the errno name of the first failure
 *   hog spin SECONDS    busy-loops for SECONDS of wall time; prints the
 *                       CPU time it got, in per cent of the wall time
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  if (argc != 3)
    return 2;
  long n = atol (argv[2]);
  if (strcmp (argv[1], "alloc") == 0)
    {
      for (long i = 0; i < n; i++)
        {
          char *p = malloc (1 << 20);
          if (p == NULL)
            {
              printf ("ENOMEM after %ld\n", i);
              return 1;
            }
          memset (p, 1, 1 << 20);
        }
      printf ("allocated %ld\n", n);
      return 0;
    }
  if (strcmp (argv[1], "fork") == 0)
    {
      int fds[2];
      if (pipe (fds) < 0)
        return 1;
      long k = 0;
      int err = 0;
      for (; k < n; k++)
        {
          pid_t pid = fork ();
          if (pid < 0)
            {
              err = errno;
              break;
            }
          if (pid == 0)
            {
              char c;
              close (fds[1]);
              (void) !read (fds[0], &c, 1);
              _exit (0);
            }
        }
      close (fds[1]);
      while (wait (NULL) > 0)
        ;
      printf ("forked %ld%s%s\n", k, err ? " " : "", err == EAGAIN ? "EAGAIN" : err ? strerror (err) : "");
      return err ? 1 : 0;
    }
  if (strcmp (argv[1], "spin") == 0)
    {
      double start = now (CLOCK_MONOTONIC), cpu0 = now (CLOCK_PROCESS_CPUTIME_ID);
      while (now (CLOCK_MONOTONIC) - start < (double) n)
        ;
      double wall = now (CLOCK_MONOTONIC) - start;
      printf ("%.0f\n", 100 * (now (CLOCK_PROCESS_CPUTIME_ID) - cpu0) / wall);
      return 0;
    }
  return 2;
}
