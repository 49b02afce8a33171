/* Unit tests for the plan: plan_finalize, the launch shape, plan_print. */
#include "tap.h"

#include "options.h"
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* --noprofile first: these tests are about the options themselves, not
 * about which profile a command line gets (and need no profile installed). */
#define ARGV(...) ((char *[]) { "sbx", "--noprofile", __VA_ARGS__, NULL })

static int
count_args (char **argv)
{
  int argc = 0;
  while (argv[argc] != NULL)
    argc++;
  return argc;
}

/* Parse and finalize in this process: for input that must be accepted. */
static void
build (struct sbx_plan *plan, char **argv)
{
  plan_init (plan);
  sbx_parse_command_line (plan, count_args (argv), argv);
  plan_finalize (plan);
}

static bool
str_eq (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp (a, b) == 0;
}

static const char *
shown (const char *text)
{
  static char buf[4][2048];
  static int next;
  char *out = buf[next++ % 4];
  size_t n = 0;
  for (; *text && n + 3 < sizeof buf[0]; text++)
    if (*text == '\n')
      out[n++] = '\\', out[n++] = 'n';
    else
      out[n++] = *text;
  out[n] = '\0';
  return out;
}

/* --- finalize in a child: the status and what it printed -------------- */

static void
parse_and_finalize (char **argv)
{
  struct sbx_plan plan;
  plan_init (&plan);
  sbx_parse_command_line (&plan, count_args (argv), argv);
  plan_finalize (&plan);
}

static void
finalize_in_child (char **argv, struct tap_outcome *o)
{
  tap_in_child (parse_and_finalize, argv, o);
}

static void
check_rejected (const char *what, const char *want, char **argv)
{
  struct tap_outcome o;
  finalize_in_child (argv, &o);
  const char *nl = strchr (o.err, '\n');
  ok (o.status == 125, "%s: rejected with 125 (got %d)", what, o.status);
  ok (strncmp (o.err, "sbx: ", 5) == 0 && nl != NULL && nl[1] == '\0',
      "%s: exactly one 'sbx: ' line (got '%s')", what, shown (o.err));
  ok (strstr (o.err, want) != NULL, "%s: the message mentions '%s'", what, want);
  ok (o.out[0] == '\0', "%s: nothing on stdout", what);
}

static void
check_accepted (const char *what, char **argv)
{
  struct tap_outcome o;
  finalize_in_child (argv, &o);
  ok (o.status == 0 && o.err[0] == '\0', "%s: accepted (status %d, stderr '%s')", what, o.status,
      shown (o.err));
}

/* --- envp ----------------------------------------------------------------- */

static size_t
env_count (char **envp, const char *name)
{
  size_t n = 0, len = strlen (name);
  for (; *envp; envp++)
    if (strncmp (*envp, name, len) == 0 && (*envp)[len] == '=')
      n++;
  return n;
}

static const char *
env_value (char **envp, const char *name)
{
  size_t len = strlen (name);
  for (; *envp; envp++)
    if (strncmp (*envp, name, len) == 0 && (*envp)[len] == '=')
      return *envp + len + 1;
  return NULL;
}

static size_t
env_size (char **envp)
{
  size_t n = 0;
  while (envp[n])
    n++;
  return n;
}

static void
test_envp (void)
{
  setenv ("SBXT_KEEP", "kept", 1);
  setenv ("SBXT_GONE", "gone", 1);
  setenv ("SBXT_GONE_TOO", "other", 1);
  setenv ("SBXT_OVER", "old", 1);

  struct sbx_plan p;
  build (&p, ARGV ("--unsetenv", "SBXT_GONE", "--setenv", "SBXT_OVER", "new", "--setenv", "SBXT_NEW", "a=b c",
                   "--setenv", "SBXT_TWICE", "1", "--setenv", "SBXT_TWICE", "2",
                   "--setenv", "SBXT_LATE", "x", "--unsetenv", "SBXT_LATE",
                   "--unsetenv", "SBXT_BACK", "--setenv", "SBXT_BACK", "y", "true"));
  ok (p.envp != NULL, "plan_finalize builds envp");
  ok (str_eq (env_value (p.envp, "SBXT_KEEP"), "kept"), "the caller's variables are inherited");
  ok (env_count (p.envp, "SBXT_GONE") == 0, "--unsetenv removes the variable");
  ok (str_eq (env_value (p.envp, "SBXT_GONE_TOO"), "other"), "--unsetenv A leaves A_TOO alone (no prefix match)");
  ok (env_count (p.envp, "SBXT_OVER") == 1 && str_eq (env_value (p.envp, "SBXT_OVER"), "new"),
      "--setenv replaces an inherited value, once");
  ok (str_eq (env_value (p.envp, "SBXT_NEW"), "a=b c"), "--setenv adds a new variable, value kept as is");
  ok (env_count (p.envp, "SBXT_TWICE") == 1 && str_eq (env_value (p.envp, "SBXT_TWICE"), "2"),
      "--setenv twice: the last value, once");
  ok (env_count (p.envp, "SBXT_LATE") == 0, "--setenv then --unsetenv: unset");
  ok (str_eq (env_value (p.envp, "SBXT_BACK"), "y"), "--unsetenv then --setenv: set");
  plan_free (&p);

  build (&p, ARGV ("--setenv", "SBXT_BEFORE", "1", "--clearenv", "--setenv", "SBXT_AFTER", "2", "true"));
  ok (env_size (p.envp) == 1 && str_eq (env_value (p.envp, "SBXT_AFTER"), "2"),
      "--clearenv removes everything set before it; only what follows is left (%zu left)", env_size (p.envp));
  plan_free (&p);

  build (&p, ARGV ("--clearenv", "true"));
  ok (env_size (p.envp) == 0, "--clearenv alone: an empty environment");
  plan_free (&p);

  build (&p, ARGV ("true"));
  extern char **environ;
  ok (env_size (p.envp) == env_size (environ), "no env options: the same number of variables as ours");
  plan_free (&p);
}

/* --- checks and implications ---------------------------------------------- */

static void
test_finalize_checks (void)
{
  struct sbx_plan p;
  build (&p, ARGV ("--hostname", "box", "true"));
  ok (p.namespaces & SBX_NS_UTS, "--hostname implies the uts namespace");
  plan_free (&p);
  build (&p, ARGV ("true"));
  ok (!(p.namespaces & SBX_NS_UTS), "no --hostname: no uts namespace");
  plan_free (&p);

  check_rejected ("--as-pid-1 without --unshare-pid", "--as-pid-1", ARGV ("--as-pid-1", "true"));
  check_accepted ("--as-pid-1 with --unshare-pid", ARGV ("--unshare-pid", "--as-pid-1", "true"));
  check_accepted ("--as-pid-1 with --unshare-all", ARGV ("--unshare-all", "--as-pid-1", "true"));

  check_rejected ("--mqueue without --unshare-ipc", "--mqueue", ARGV ("--mqueue", "/dev/mqueue", "true"));
  check_accepted ("--mqueue with --unshare-ipc", ARGV ("--unshare-ipc", "--mqueue", "/dev/mqueue", "true"));
  check_accepted ("--mqueue with --unshare-ipc given after it",
                  ARGV ("--mqueue", "/dev/mqueue", "--unshare-ipc", "true"));

  check_rejected ("a missing --bind source", "/nonexistent-sbx-src",
                  ARGV ("--bind", "/nonexistent-sbx-src", "/x", "true"));
  check_rejected ("a missing --ro-bind source", "/nonexistent-sbx-src",
                  ARGV ("--ro-bind", "/nonexistent-sbx-src", "/x", "true"));
  check_rejected ("a missing --dev-bind source", "/nonexistent-sbx-src",
                  ARGV ("--dev-bind", "/nonexistent-sbx-src", "/x", "true"));
  check_accepted ("a missing --bind-try source",
                  ARGV ("--bind-try", "/nonexistent-sbx-src", "/x", "true"));
  check_accepted ("a missing --ro-bind-try source",
                  ARGV ("--ro-bind-try", "/nonexistent-sbx-src", "/x", "true"));
  check_accepted ("a missing --dev-bind-try source",
                  ARGV ("--dev-bind-try", "/nonexistent-sbx-src", "/x", "true"));
  check_accepted ("an existing --bind source", ARGV ("--bind", "/", "/", "--ro-bind", "/usr", "/usr", "true"));

  int a = open ("/dev/null", O_WRONLY | O_CLOEXEC), b = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  char ta[16], tb[16];
  snprintf (ta, sizeof ta, "%d", a);
  snprintf (tb, sizeof tb, "%d", b);
  check_rejected ("--info-fd and --json-status-fd on the same fd", "different",
                  ARGV ("--info-fd", ta, "--json-status-fd", ta, "true"));
  check_accepted ("--info-fd and --json-status-fd on different fds",
                  ARGV ("--info-fd", ta, "--json-status-fd", tb, "true"));
  close (a), close (b);
}

/* --- launch shape ------------------------------------------------------- */

static void
test_shapes (void)
{
  struct sbx_plan p;
  build (&p, ARGV ("true"));
  ok (!plan_needs_monitor (&p) && !plan_needs_reaper (&p), "no pid namespace: no monitor, no reaper");
  plan_free (&p);

  build (&p, ARGV ("--unshare-net", "--unshare-ipc", "--unshare-uts", "true"));
  ok (!plan_needs_monitor (&p) && !plan_needs_reaper (&p), "other namespaces but no pid: no monitor, no reaper");
  plan_free (&p);

  build (&p, ARGV ("--unshare-pid", "true"));
  ok (plan_needs_monitor (&p) && plan_needs_reaper (&p), "--unshare-pid: monitor and reaper");
  plan_free (&p);

  build (&p, ARGV ("--unshare-all", "true"));
  ok (plan_needs_monitor (&p) && plan_needs_reaper (&p), "--unshare-all: monitor and reaper");
  plan_free (&p);

  build (&p, ARGV ("--unshare-pid", "--as-pid-1", "true"));
  ok (plan_needs_monitor (&p) && !plan_needs_reaper (&p), "--as-pid-1: monitor, no reaper");
  plan_free (&p);

  int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  char t[16];
  snprintf (t, sizeof t, "%d", fd);
  build (&p, ARGV ("--json-status-fd", t, "true"));
  ok (plan_needs_monitor (&p) && !plan_needs_reaper (&p), "--json-status-fd without a pid namespace: monitor, no reaper");
  plan_free (&p);

  build (&p, ARGV ("--info-fd", t, "true"));
  ok (!plan_needs_monitor (&p) && !plan_needs_reaper (&p), "--info-fd alone: no monitor");
  plan_free (&p);

  build (&p, ARGV ("--unshare-pid", "--json-status-fd", t, "true"));
  ok (plan_needs_monitor (&p) && plan_needs_reaper (&p), "--json-status-fd with --unshare-pid: monitor and reaper");
  plan_free (&p);
  close (fd);
}

/* --- plan_print ----------------------------------------------------------- */

static char *
print_plan (const struct sbx_plan *p)
{
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&text, &len);
  plan_print (p, mem);
  fclose (mem);
  return text;
}

/* Every needle in TEXT, each after the previous one. */
static bool
in_order (const char *text, const char *const *needles)
{
  const char *at = text;
  for (; *needles; needles++)
    {
      const char *found = strstr (at, *needles);
      if (found == NULL)
        {
          printf ("# not found (in order): '%s'\n", shown (*needles));
          return false;
        }
      at = found + strlen (*needles);
    }
  return true;
}

static void
test_print (void)
{
  struct sbx_plan p;
  char map[64];
  build (&p, ARGV ("--unshare-pid", "--unshare-net", "--uid", "0", "--gid", "0",
                   "--ro-bind", "/usr", "/usr", "--bind-try", "/nonexistent-sbx-src", "/opt/x",
                   "--perms", "0700", "--size", "1M", "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev",
                   "--dir", "/made", "--symlink", "usr/bin", "/bin", "--chmod", "0750", "/made",
                   "--remount-ro", "/usr", "--hostname", "box", "--chdir", "/made",
                   "--setenv", "A", "1 2", "--unsetenv", "B", "--clearenv",
                   "sh", "-c", "echo 'hi there'"));
  char *text = print_plan (&p);
  snprintf (map, sizeof map, "uid-map: 0 %u 1\n", (unsigned) getuid ());
  char gmap[64];
  snprintf (gmap, sizeof gmap, "gid-map: 0 %u 1\n", (unsigned) getgid ());

  ok (strstr (text, "\nnamespaces: user mount pid net uts\n") != NULL
      || strncmp (text, "namespaces: user mount pid net uts\n", 35) == 0,
      "namespaces line, with the implied uts");
  ok (strstr (text, map) != NULL, "uid-map line: inner 0, outer the caller");
  ok (strstr (text, gmap) != NULL, "gid-map line");
  ok (strstr (text, "process: monitor reaper\n") != NULL, "process line: monitor reaper");
  const char *const fs[] = {
    "filesystem:\n", "  tmpfs / (new root)\n", "  ro-bind /usr /usr\n", "  bind-try /nonexistent-sbx-src /opt/x\n",
    "  tmpfs /tmp perms=0700 size=1048576\n", "  proc /proc\n", "  dev /dev\n", "  dir /made\n",
    "  symlink usr/bin /bin\n", "  chmod 0750 /made\n", "  remount-ro /usr\n", "  pivot-root\n", NULL,
  };
  ok (in_order (text, fs), "the filesystem operations are printed in the order given");
  ok (strstr (text, "hostname: box\n") != NULL, "hostname line");
  ok (strstr (text, "chdir: /made\n") != NULL, "chdir line");
  ok (strstr (text, "environment: set:A='1 2' unset:B clear\n") != NULL, "environment line, in order, quoted");
  ok (strstr (text, "capabilities: none\n") != NULL, "capabilities: none");
  ok (strstr (text, "no-new-privs: yes\n") != NULL, "no-new-privs: yes");
  ok (strstr (text, "fds: 0 1 2 (all others closed)\n") != NULL, "fds line");
  ok (strstr (text, "command: sh -c 'echo '\\''hi there'\\'''\n") != NULL, "command line, shell-quoted");
  const char *const order[] = { "namespaces:", "uid-map:", "gid-map:", "process:", "filesystem:", "pivot-root",
                                "capabilities:", "no-new-privs:", "command:", NULL };
  ok (in_order (text, order), "the sections come in a stable order");
  free (text);
  plan_free (&p);

  build (&p, ARGV ("--cap-add", "net_raw", "--cap-add", "CAP_CHOWN", "true"));
  text = print_plan (&p);
  ok (strstr (text, "capabilities: CAP_CHOWN CAP_NET_RAW\n") != NULL, "capabilities listed by name, in number order");
  ok (strstr (text, "process: exec-in-place\n") != NULL, "process line: exec-in-place without a pid namespace");
  ok (strstr (text, "environment: inherited\n") != NULL, "environment: inherited");
  ok (strstr (text, "hostname:") == NULL, "no hostname line without --hostname");
  ok (strstr (text, "(or / if missing)") != NULL, "default chdir: the caller's cwd, or /");
  ok (strstr (text, "command: true\n") != NULL, "command: true");
  free (text);
  plan_free (&p);

  build (&p, ARGV ("--unshare-pid", "--as-pid-1", "--die-with-parent", "--new-session", "--keep-fd", "0",
                   "--argv0", "name", "true"));
  text = print_plan (&p);
  ok (strstr (text, "process: monitor die-with-parent new-session\n") != NULL,
      "process line: monitor (no reaper) with the flags");
  ok (strstr (text, "argv0: name\n") != NULL, "argv0 line");
  free (text);
  plan_free (&p);
}

int
main (void)
{
  test_envp ();
  test_finalize_checks ();
  test_shapes ();
  test_print ();
  return tap_done ();
}
