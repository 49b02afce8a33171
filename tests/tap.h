/* A tiny TAP producer for the C unit tests. */
#ifndef SBX_TAP_H
#define SBX_TAP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Bad input ends the process (exit 125): such cases run in a child, with
 * its status, stdout and stderr collected. */
struct tap_outcome {
  int status;                   /* exit code, or -1 if it did not exit */
  char out[4096];
  char err[4096];
};

static inline void
tap_read_all (int fd, char *buf, size_t len)
{
  size_t n = 0;
  for (;;)
    {
      ssize_t r = read (fd, buf + n, len - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += (size_t) r;
      if (n == len - 1)
        break;
    }
  buf[n] = '\0';
}

/* Run STEP (ARGV) in a child; it exits 0 if STEP returns. */
static inline void
tap_in_child (void (*step) (char **argv), char **argv, struct tap_outcome *o)
{
  int out[2], err[2];
  fflush (stdout);
  if (pipe (out) < 0 || pipe (err) < 0)
    abort ();
  pid_t pid = fork ();
  if (pid < 0)
    abort ();
  if (pid == 0)
    {
      dup2 (out[1], STDOUT_FILENO);
      dup2 (err[1], STDERR_FILENO);
      close (out[0]), close (out[1]), close (err[0]), close (err[1]);
      step (argv);
      _exit (0);
    }
  close (out[1]), close (err[1]);
  /* The messages are one short line each: they fit in the pipe buffer. */
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  tap_read_all (out[0], o->out, sizeof o->out);
  tap_read_all (err[0], o->err, sizeof o->err);
  close (out[0]), close (err[0]);
  o->status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

#endif
