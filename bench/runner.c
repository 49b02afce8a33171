/* bench/runner.c: the timing loop of bench/startup (compiled on the fly by
 * that script; not part of the sbx build).
 *
 *   runner ROUNDS WARMUP SEP LABEL ARGV... [SEP LABEL ARGV...]...
 *
 * Each command is launched directly with fork + execvp + wait4 (no shell),
 * with stdin, stdout and stderr on /dev/null. Rounds are interleaved: round
 * r runs every command once, in the order given, then round r+1 starts.
 * WARMUP rounds run first and are not counted. The wall time of a launch is
 * CLOCK_MONOTONIC read just before fork and just after wait4 returns; the
 * peak RSS is ru_maxrss from wait4.
 *
 * Output, one tab-separated line per command, in the order given:
 *   LABEL N MEDIAN_NS MIN_NS MAX_NS MEAN_NS P90_NS MEDIAN_RSS_KIB MIN_RSS_KIB MAX_RSS_KIB
 * A launch that does not exit with status 0 stops the run (exit status 2). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct command
{
  const char *label;
  char **argv;
  int64_t *ns;
  long *rss;
};

static int null_fd = -1;
static int err_fd = -1;         /* the real stderr, for a failed exec */

static int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
describe (FILE *out, const struct command *c)
{
  fprintf (out, "%s (", c->label);
  for (char **a = c->argv; *a != NULL; a++)
    fprintf (out, "%s%s", a == c->argv ? "" : " ", *a);
  fputc (')', out);
}

/* One launch; returns 0, or -1 after saying why on stderr. */
static int
launch (const struct command *c, int round, int64_t *ns, long *rss)
{
  int64_t start = now_ns ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "runner: fork: %s\n", strerror (errno));
      return -1;
    }
  if (pid == 0)
    {
      dup2 (null_fd, STDIN_FILENO);
      dup2 (null_fd, STDOUT_FILENO);
      dup2 (null_fd, STDERR_FILENO);
      execvp (c->argv[0], c->argv);
      dprintf (err_fd, "runner: cannot execute %s: %s\n", c->argv[0], strerror (errno));
      _exit (127);
    }
  int status;
  struct rusage ru;
  pid_t got;
  while ((got = wait4 (pid, &status, 0, &ru)) < 0 && errno == EINTR)
    ;
  int64_t end = now_ns ();
  if (got < 0)
    {
      fprintf (stderr, "runner: wait4: %s\n", strerror (errno));
      return -1;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      fputs ("runner: ", stderr);
      describe (stderr, c);
      if (WIFEXITED (status))
        fprintf (stderr, " exited with status %d", WEXITSTATUS (status));
      else
        fprintf (stderr, " was killed by signal %d", WTERMSIG (status));
      fprintf (stderr, " in %s round %d\n", round < 0 ? "warm-up" : "timed", round < 0 ? -round : round + 1);
      return -1;
    }
  *ns = end - start;
  *rss = ru.ru_maxrss;
  return 0;
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

static int
cmp_long (const void *a, const void *b)
{
  long x = *(const long *) a, y = *(const long *) b;
  return (x > y) - (x < y);
}

static long
to_count (const char *s, const char *what)
{
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 1000000)
    {
      fprintf (stderr, "runner: bad %s: %s\n", what, s);
      exit (2);
    }
  return v;
}

int
main (int argc, char **argv)
{
  if (argc < 6)
    {
      fputs ("usage: runner ROUNDS WARMUP SEP LABEL ARGV... [SEP LABEL ARGV...]...\n", stderr);
      return 2;
    }
  long rounds = to_count (argv[1], "round count");
  long warmup = to_count (argv[2], "warm-up count");
  const char *sep = argv[3];
  if (rounds < 1)
    {
      fputs ("runner: at least one round is needed\n", stderr);
      return 2;
    }

  /* Split the rest at SEP: the separators become the argv terminators. */
  struct command *cmds = calloc ((size_t) argc, sizeof *cmds);
  if (cmds == NULL)
    return 2;
  int n = 0;
  for (int i = 4; i < argc;)
    {
      if (i + 1 >= argc || strcmp (argv[i], sep) == 0 || strcmp (argv[i + 1], sep) == 0)
        {
          fputs ("runner: each command needs a label and at least one word\n", stderr);
          return 2;
        }
      cmds[n].label = argv[i];
      cmds[n].argv = &argv[i + 1];
      int j = i + 1;
      while (j < argc && strcmp (argv[j], sep) != 0)
        j++;
      if (j < argc)
        argv[j] = NULL;
      i = j + 1;
      n++;
    }

  for (int k = 0; k < n; k++)
    {
      cmds[k].ns = calloc ((size_t) rounds, sizeof *cmds[k].ns);
      cmds[k].rss = calloc ((size_t) rounds, sizeof *cmds[k].rss);
      if (cmds[k].ns == NULL || cmds[k].rss == NULL)
        return 2;
    }
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  err_fd = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (null_fd < 0 || err_fd < 0)
    {
      fprintf (stderr, "runner: /dev/null: %s\n", strerror (errno));
      return 2;
    }

  int64_t ns;
  long rss;
  for (long r = 0; r < warmup; r++)
    for (int k = 0; k < n; k++)
      if (launch (&cmds[k], (int) -(r + 1), &ns, &rss) < 0)
        return 2;
  for (long r = 0; r < rounds; r++)
    for (int k = 0; k < n; k++)
      if (launch (&cmds[k], (int) r, &cmds[k].ns[r], &cmds[k].rss[r]) < 0)
        return 2;

  for (int k = 0; k < n; k++)
    {
      struct command *c = &cmds[k];
      double sum = 0;
      for (long r = 0; r < rounds; r++)
        sum += (double) c->ns[r];
      qsort (c->ns, (size_t) rounds, sizeof *c->ns, cmp_i64);
      qsort (c->rss, (size_t) rounds, sizeof *c->rss, cmp_long);
      long mid = rounds / 2;
      int64_t med_ns = rounds % 2 ? c->ns[mid] : (c->ns[mid - 1] + c->ns[mid]) / 2;
      long med_rss = rounds % 2 ? c->rss[mid] : (c->rss[mid - 1] + c->rss[mid]) / 2;
      long p90 = (rounds * 9 + 9) / 10 - 1;   /* nearest rank */
      printf ("%s\t%ld\t%lld\t%lld\t%lld\t%.0f\t%lld\t%ld\t%ld\t%ld\n", c->label, rounds,
              (long long) med_ns, (long long) c->ns[0], (long long) c->ns[rounds - 1],
              sum / (double) rounds, (long long) c->ns[p90], med_rss, c->rss[0],
              c->rss[rounds - 1]);
    }
  return 0;
}
