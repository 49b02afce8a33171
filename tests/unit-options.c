/* Unit tests for the option table and the command-line parser. */
#include "tap.h"

#include "caps.h"
#include "options.h"
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
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

static enum sbx_action
parse (struct sbx_plan *plan, char **argv)
{
  plan_init (plan);
  return sbx_parse_command_line (plan, count_args (argv), argv);
}

static bool
str_eq (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp (a, b) == 0;
}

static size_t
count_words (const char *s)
{
  size_t n = 0;
  bool in_word = false;
  for (; *s; s++)
    {
      if (*s == ' ')
        in_word = false;
      else if (!in_word)
        in_word = true, n++;
    }
  return n;
}

/* --- bad input: run the parser in a child, collect status and output --- */

static void
parse_only (char **argv)
{
  struct sbx_plan plan;
  plan_init (&plan);
  sbx_parse_command_line (&plan, count_args (argv), argv);
}

static void
run_parse_child (char **argv, struct tap_outcome *o)
{
  tap_in_child (parse_only, argv, o);
}

/* The text on one TAP line: newlines shown as \n. */
static const char *
shown (const char *text)
{
  static char buf[4][1024];
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

static bool
one_sbx_line (const char *err)
{
  const char *nl = strchr (err, '\n');
  return strncmp (err, "sbx: ", 5) == 0 && nl != NULL && nl[1] == '\0';
}

/* Bad input: exit 125, one "sbx: " line on stderr mentioning WANT, and
 * nothing on stdout. */
static void
check_bad (const char *what, const char *want, char **argv)
{
  struct tap_outcome o;
  run_parse_child (argv, &o);
  ok (o.status == 125, "%s: exits 125 (got %d)", what, o.status);
  ok (one_sbx_line (o.err), "%s: exactly one 'sbx: ' line on stderr (got '%s')", what, shown (o.err));
  ok (strstr (o.err, want) != NULL, "%s: the message mentions '%s' (got '%s')", what, want, shown (o.err));
  ok (o.out[0] == '\0', "%s: nothing on stdout (got '%s')", what, shown (o.out));
}

static void
check_good (const char *what, char **argv)
{
  struct tap_outcome o;
  run_parse_child (argv, &o);
  ok (o.status == 0 && o.err[0] == '\0', "%s: accepted (status %d, stderr '%s')", what, o.status, shown (o.err));
}

/* --- the table ---------------------------------------------------------- */

static void
test_table (void)
{
  size_t count = 0;
  const struct sbx_option *table = sbx_option_table (&count);
  ok (table != NULL && count > 40, "the table has entries (%zu)", count);

  bool names = true, helps = true, metavars = true, arity = true, handlers = true,
       sections = true, unique = true, found = true;
  for (size_t i = 0; i < count; i++)
    {
      const struct sbx_option *o = &table[i];
      if (o->name == NULL || o->name[0] == '\0' || o->name[0] == '-' || strchr (o->name, ' '))
        names = false, printf ("# entry %zu has a bad name\n", i);
      if (o->help == NULL || o->help[0] == '\0')
        helps = false, printf ("# --%s has no help line\n", o->name ? o->name : "?");
      if ((o->nargs > 0) != (o->metavar != NULL && o->metavar[0] != '\0'))
        metavars = false, printf ("# --%s: nargs %u, metavar %s\n", o->name, o->nargs,
                                  o->metavar ? o->metavar : "NULL");
      if (o->metavar != NULL && count_words (o->metavar) != o->nargs)
        arity = false, printf ("# --%s: metavar '%s' for %u arguments\n", o->name, o->metavar, o->nargs);
      if (o->handle == NULL)
        handlers = false, printf ("# --%s has no handler\n", o->name);
      if ((unsigned) o->section >= SBX_SECT_COUNT)
        sections = false, printf ("# --%s has no section\n", o->name);
      for (size_t j = 0; j < i; j++)
        if (o->name && table[j].name && strcmp (o->name, table[j].name) == 0)
          unique = false, printf ("# --%s is in the table twice\n", o->name);
      if (o->name && sbx_option_find (o->name) != o)
        found = false, printf ("# sbx_option_find(\"%s\") does not return its entry\n", o->name);
    }
  ok (names, "every entry has a name (no dashes, no spaces)");
  ok (helps, "every entry has a help line");
  ok (metavars, "an entry has a metavar if and only if it takes arguments");
  ok (arity, "every metavar names as many words as the option takes arguments");
  ok (handlers, "every entry has a handler");
  ok (sections, "every entry is in a section");
  ok (unique, "no option name is in the table twice");
  ok (found, "sbx_option_find finds every entry by its name");

  const struct sbx_option *bind = sbx_option_find ("bind");
  ok (bind != NULL && str_eq (bind->name, "bind") && bind->nargs == 2
      && str_eq (bind->metavar, "SRC DEST"), "sbx_option_find(\"bind\") is --bind SRC DEST");
  const struct sbx_option *tmpfs = sbx_option_find ("tmpfs");
  ok (tmpfs != NULL && tmpfs->nargs == 1, "sbx_option_find(\"tmpfs\") takes one argument");
  ok (sbx_option_find ("bind-try") != bind && sbx_option_find ("bind-try") != NULL,
      "sbx_option_find tells --bind-try from --bind");
  ok (sbx_option_find ("no-such-option") == NULL, "sbx_option_find: an unknown name gives NULL");
  ok (sbx_option_find ("--bind") == NULL, "sbx_option_find takes names without the dashes");
  ok (sbx_option_find ("bin") == NULL, "sbx_option_find does not match a prefix");
  ok (sbx_option_find ("") == NULL, "sbx_option_find: the empty name gives NULL");

  const char *expected[] = {
    "help", "version", "dry-run", "unshare-user", "unshare-user-try", "unshare-pid", "unshare-net",
    "unshare-ipc", "unshare-uts", "unshare-cgroup", "unshare-cgroup-try", "unshare-all", "share-net",
    "uid", "gid", "bind", "bind-try", "ro-bind", "ro-bind-try", "dev-bind", "dev-bind-try",
    "tmpfs", "proc", "dev", "mqueue", "dir", "symlink", "file", "bind-data", "ro-bind-data",
    "remount-ro", "chmod", "perms", "size", "chdir", "setenv", "unsetenv", "clearenv", "hostname",
    "die-with-parent", "new-session", "as-pid-1", "argv0", "cap-add", "cap-drop", "keep-fd",
    "info-fd", "json-status-fd",
  };
  bool all = true;
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
    if (sbx_option_find (expected[i]) == NULL)
      all = false, printf ("# --%s is missing\n", expected[i]);
  ok (all, "the table has every documented option");
}

/* --- --help --------------------------------------------------------------- */

static void
test_help (void)
{
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&text, &len);
  sbx_print_help (mem);
  fclose (mem);

  ok (text != NULL && strncmp (text, "Usage: sbx ", 11) == 0, "--help starts with a usage line");

  size_t count;
  const struct sbx_option *table = sbx_option_table (&count);
  bool listed = true, helped = true;
  for (size_t i = 0; i < count; i++)
    {
      char head[128];
      snprintf (head, sizeof head, "  --%s%s%s", table[i].name,
                table[i].metavar ? " " : "", table[i].metavar ? table[i].metavar : "");
      /* The option must be followed by a space or the end of the line, so
       * that --bind is not found inside --bind-try. */
      bool seen = false;
      for (const char *p = text; (p = strstr (p, head)) != NULL; p++)
        if (p[strlen (head)] == ' ' || p[strlen (head)] == '\n')
          {
            seen = true;
            const char *eol = strchr (p, '\n');
            const char *h = strstr (p, table[i].help);
            if (h == NULL || (eol != NULL && h > eol))
              helped = false, printf ("# --%s: help line not on its line\n", table[i].name);
            break;
          }
      if (!seen)
        listed = false, printf ("# --help does not list '%s'\n", head + 2);
    }
  ok (listed, "--help lists every option of the table with its metavar");
  ok (helped, "--help shows every option's help line next to it");

  bool titled = true;
  for (int s = 0; s < SBX_SECT_COUNT; s++)
    {
      char title[128];
      snprintf (title, sizeof title, "\n%s:\n", sbx_section_title ((enum sbx_opt_section) s));
      if (strstr (text, title) == NULL)
        titled = false, printf ("# section '%s' missing\n", sbx_section_title ((enum sbx_opt_section) s));
    }
  ok (titled, "--help has a heading for every section");
  ok (strstr (text, "125") && strstr (text, "126") && strstr (text, "127"),
      "--help documents the exit statuses 125, 126 and 127");
  free (text);
}

/* --- parsing ------------------------------------------------------------- */

static bool
op_is (const struct sbx_plan *p, size_t i, enum sbx_fs_kind kind, const char *source,
       const char *dest, bool optional)
{
  if (i >= p->n_fs_ops)
    return false;
  const struct sbx_fs_op *op = &p->fs_ops[i];
  bool same = op->kind == kind && str_eq (op->source, source) && str_eq (op->dest, dest)
              && op->optional == optional;
  if (!same)
    printf ("# op %zu: kind %s source %s dest %s optional %d\n", i, plan_fs_kind_name (op->kind),
            op->source ? op->source : "NULL", op->dest ? op->dest : "NULL", op->optional);
  return same;
}

static void
test_fs_ops (void)
{
  struct sbx_plan p;
  enum sbx_action a = parse (&p, ARGV ("--bind", "/s1", "/d1", "--bind-try", "/s2", "/d2",
                                       "--ro-bind", "/s3", "/d3", "--ro-bind-try", "/s4", "/d4",
                                       "--dev-bind", "/s5", "/d5", "--dev-bind-try", "/s6", "/d6",
                                       "--tmpfs", "/t", "--proc", "/proc", "--dev", "/dev",
                                       "--mqueue", "/dev/mqueue", "--dir", "/made",
                                       "--symlink", "../target", "/link", "--chmod", "0750", "/made",
                                       "--remount-ro", "/d1", "true"));
  ok (a == SBX_ACTION_RUN, "a run: action RUN");
  ok (p.n_fs_ops == 14, "14 operations recorded (got %zu)", p.n_fs_ops);
  ok (op_is (&p, 0, SBX_FS_BIND, "/s1", "/d1", false), "1: --bind SRC DEST");
  ok (op_is (&p, 1, SBX_FS_BIND, "/s2", "/d2", true), "2: --bind-try is an optional bind");
  ok (op_is (&p, 2, SBX_FS_RO_BIND, "/s3", "/d3", false), "3: --ro-bind");
  ok (op_is (&p, 3, SBX_FS_RO_BIND, "/s4", "/d4", true), "4: --ro-bind-try is an optional ro-bind");
  ok (op_is (&p, 4, SBX_FS_DEV_BIND, "/s5", "/d5", false), "5: --dev-bind");
  ok (op_is (&p, 5, SBX_FS_DEV_BIND, "/s6", "/d6", true), "6: --dev-bind-try is an optional dev-bind");
  ok (op_is (&p, 6, SBX_FS_TMPFS, NULL, "/t", false), "7: --tmpfs DEST");
  ok (op_is (&p, 7, SBX_FS_PROC, NULL, "/proc", false), "8: --proc DEST");
  ok (op_is (&p, 8, SBX_FS_DEV, NULL, "/dev", false), "9: --dev DEST");
  ok (op_is (&p, 9, SBX_FS_MQUEUE, NULL, "/dev/mqueue", false), "10: --mqueue DEST");
  ok (op_is (&p, 10, SBX_FS_DIR, NULL, "/made", false), "11: --dir DEST");
  ok (op_is (&p, 11, SBX_FS_SYMLINK, "../target", "/link", false), "12: --symlink TARGET DEST");
  ok (op_is (&p, 12, SBX_FS_CHMOD, NULL, "/made", false) && p.fs_ops[12].perms == 0750,
      "13: --chmod MODE PATH with the octal mode");
  ok (op_is (&p, 13, SBX_FS_REMOUNT_RO, NULL, "/d1", false), "14: --remount-ro DEST");
  bool defaults = true;
  for (size_t i = 0; i < p.n_fs_ops && i < 12; i++)
    if (p.fs_ops[i].perms != SBX_NO_PERMS || p.fs_ops[i].size != 0 || p.fs_ops[i].fd != -1)
      defaults = false;
  ok (defaults, "operations without --perms/--size/fd have the defaults");
  ok (p.argv != NULL && str_eq (p.argv[0], "true") && p.argv[1] == NULL, "the command is 'true'");
  plan_free (&p);

  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  char fdtext[16];
  snprintf (fdtext, sizeof fdtext, "%d", fd);
  parse (&p, ARGV ("--file", fdtext, "/f", "--bind-data", fdtext, "/bd",
                   "--ro-bind-data", fdtext, "/rbd", "true"));
  ok (p.n_fs_ops == 3 && p.fs_ops[0].kind == SBX_FS_FILE && p.fs_ops[0].fd == fd
      && str_eq (p.fs_ops[0].dest, "/f"), "--file FD DEST records the fd");
  ok (p.n_fs_ops == 3 && p.fs_ops[1].kind == SBX_FS_BIND_DATA && p.fs_ops[1].fd == fd
      && str_eq (p.fs_ops[1].dest, "/bd"), "--bind-data FD DEST");
  ok (p.n_fs_ops == 3 && p.fs_ops[2].kind == SBX_FS_RO_BIND_DATA && p.fs_ops[2].fd == fd
      && str_eq (p.fs_ops[2].dest, "/rbd"), "--ro-bind-data FD DEST");
  plan_free (&p);
  close (fd);
}

static void
test_modifiers (void)
{
  struct sbx_plan p;
  parse (&p, ARGV ("--perms", "0700", "--tmpfs", "/a", "--tmpfs", "/b", "--perms", "1777", "--dir", "/c",
                   "--dir", "/e", "true"));
  ok (p.n_fs_ops == 4 && p.fs_ops[0].perms == 0700, "--perms 0700 applies to the next --tmpfs");
  ok (p.n_fs_ops == 4 && p.fs_ops[1].perms == SBX_NO_PERMS, "--perms does not apply to the one after");
  ok (p.n_fs_ops == 4 && p.fs_ops[2].perms == 01777, "--perms 1777 applies to the next --dir");
  ok (p.n_fs_ops == 4 && p.fs_ops[3].perms == SBX_NO_PERMS, "... and not to the following --dir");
  plan_free (&p);

  parse (&p, ARGV ("--size", "1M", "--tmpfs", "/a", "--tmpfs", "/b", "--size", "4096", "--perms", "0755",
                   "--tmpfs", "/c", "--size", "2g", "--tmpfs", "/d", "--size", "8k", "--tmpfs", "/e", "true"));
  ok (p.n_fs_ops == 5 && p.fs_ops[0].size == 1048576, "--size 1M is 1048576 bytes for the next --tmpfs");
  ok (p.n_fs_ops == 5 && p.fs_ops[1].size == 0, "--size does not apply to the tmpfs after");
  ok (p.n_fs_ops == 5 && p.fs_ops[2].size == 4096 && p.fs_ops[2].perms == 0755,
      "--size and --perms together apply to the same next --tmpfs");
  ok (p.n_fs_ops == 5 && p.fs_ops[3].size == UINT64_C (2) << 30, "--size 2g is 2 GiB");
  ok (p.n_fs_ops == 5 && p.fs_ops[4].size == 8192, "--size 8k is 8192 bytes");
  plan_free (&p);
}

static void
test_ids_and_namespaces (void)
{
  struct sbx_plan p;
  parse (&p, ARGV ("--uid", "1234", "--gid", "5678", "true"));
  ok (p.inner_uid == 1234 && p.inner_gid == 5678, "--uid/--gid set the ids inside (%u %u)",
      (unsigned) p.inner_uid, (unsigned) p.inner_gid);
  ok (p.outer_uid == getuid () && p.outer_gid == getgid (), "the outer ids stay the caller's");
  plan_free (&p);

  parse (&p, ARGV ("--uid", "0", "--gid", "0", "true"));
  ok (p.inner_uid == 0 && p.inner_gid == 0, "--uid 0 --gid 0");
  plan_free (&p);

  parse (&p, ARGV ("true"));
  ok (p.inner_uid == getuid () && p.inner_gid == getgid (), "by default the ids inside are the caller's");
  ok (p.namespaces == (SBX_NS_USER | SBX_NS_MOUNT), "by default only user and mount namespaces");
  plan_free (&p);

  const unsigned all = SBX_NS_PID | SBX_NS_NET | SBX_NS_IPC | SBX_NS_UTS | SBX_NS_CGROUP;
  parse (&p, ARGV ("--unshare-all", "true"));
  ok ((p.namespaces & all) == all && (p.namespaces & SBX_NS_USER) && (p.namespaces & SBX_NS_MOUNT),
      "--unshare-all: pid, net, ipc, uts and cgroup (plus user and mount)");
  /* bwrap: --unshare-all is ... --unshare-cgroup-try, and sbx's help line
   * says "cgroup (if possible)". */
  ok (p.namespaces_try & SBX_NS_CGROUP, "--unshare-all: the cgroup namespace is only tried, as --help says");
  ok (!(p.namespaces_try & (SBX_NS_PID | SBX_NS_NET | SBX_NS_IPC | SBX_NS_UTS)),
      "--unshare-all: pid, net, ipc, uts are required");
  plan_free (&p);

  parse (&p, ARGV ("--unshare-all", "--share-net", "true"));
  ok (!(p.namespaces & SBX_NS_NET) && (p.namespaces & (all & ~SBX_NS_NET)) == (all & ~SBX_NS_NET),
      "--unshare-all --share-net: everything but net");
  plan_free (&p);

  struct { const char *opt; unsigned bit; } one[] = {
    { "--unshare-pid", SBX_NS_PID }, { "--unshare-net", SBX_NS_NET }, { "--unshare-ipc", SBX_NS_IPC },
    { "--unshare-uts", SBX_NS_UTS }, { "--unshare-cgroup", SBX_NS_CGROUP },
  };
  for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
    {
      parse (&p, ARGV ((char *) one[i].opt, "true"));
      ok (p.namespaces == (SBX_NS_USER | SBX_NS_MOUNT | one[i].bit) && p.namespaces_try == 0,
          "%s adds exactly that namespace", one[i].opt);
      plan_free (&p);
    }

  parse (&p, ARGV ("--unshare-cgroup-try", "true"));
  ok ((p.namespaces & SBX_NS_CGROUP) && (p.namespaces_try & SBX_NS_CGROUP),
      "--unshare-cgroup-try: cgroup, optional");
  plan_free (&p);
  parse (&p, ARGV ("--unshare-cgroup", "--unshare-cgroup-try", "true"));
  ok ((p.namespaces & SBX_NS_CGROUP) && !(p.namespaces_try & SBX_NS_CGROUP),
      "--unshare-cgroup then --unshare-cgroup-try: the explicit request wins");
  unsigned try_after = p.namespaces_try & SBX_NS_CGROUP;
  plan_free (&p);
  parse (&p, ARGV ("--unshare-cgroup-try", "--unshare-cgroup", "true"));
  ok ((p.namespaces & SBX_NS_CGROUP) && (p.namespaces_try & SBX_NS_CGROUP) == try_after,
      "--unshare-cgroup-try then --unshare-cgroup: same result as the other order (optional: %s)",
      (p.namespaces_try & SBX_NS_CGROUP) ? "yes" : "no");
  plan_free (&p);
}

static void
test_caps (void)
{
  struct sbx_plan p;
  const uint64_t net_raw = UINT64_C (1) << 13, sys_admin = UINT64_C (1) << 21;

  parse (&p, ARGV ("true"));
  ok (p.caps_keep == 0, "no capability kept by default");
  plan_free (&p);

  parse (&p, ARGV ("--cap-add", "ALL", "true"));
  ok (p.caps_keep == sbx_caps_all () && p.caps_keep != 0, "--cap-add ALL keeps every capability");
  plan_free (&p);

  parse (&p, ARGV ("--cap-add", "all", "true"));
  ok (p.caps_keep == sbx_caps_all (), "--cap-add all (lower case) is ALL");
  plan_free (&p);

  const char *spellings[] = { "CAP_NET_RAW", "cap_net_raw", "NET_RAW", "net_raw", "Cap_Net_Raw", "Net_Raw" };
  for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
    {
      parse (&p, ARGV ("--cap-add", (char *) spellings[i], "true"));
      ok (p.caps_keep == net_raw, "--cap-add %s keeps exactly CAP_NET_RAW", spellings[i]);
      plan_free (&p);
    }

  parse (&p, ARGV ("--cap-add", "ALL", "--cap-drop", "sys_admin", "true"));
  ok (p.caps_keep == (sbx_caps_all () & ~sys_admin), "--cap-add ALL --cap-drop sys_admin: all but CAP_SYS_ADMIN");
  plan_free (&p);

  parse (&p, ARGV ("--cap-add", "CAP_NET_RAW", "--cap-add", "cap_sys_admin", "--cap-drop", "ALL", "true"));
  ok (p.caps_keep == 0, "--cap-drop ALL after additions keeps nothing");
  plan_free (&p);

  parse (&p, ARGV ("--cap-add", "CAP_NET_RAW", "--cap-add", "SYS_ADMIN", "--cap-drop", "CAP_NET_RAW", "true"));
  ok (p.caps_keep == sys_admin, "--cap-add A --cap-add B --cap-drop A keeps B");
  plan_free (&p);

  ok (sbx_cap_from_name ("CAP_CHOWN") == 0 && sbx_cap_from_name ("chown") == 0,
      "sbx_cap_from_name: CAP_CHOWN and chown are 0");
  ok (sbx_cap_from_name ("CAP_NO_SUCH") < 0 && sbx_cap_from_name ("13") < 0 && sbx_cap_from_name ("") < 0,
      "sbx_cap_from_name rejects unknown names, numbers and the empty name");
}

static void
test_env_and_process (void)
{
  struct sbx_plan p;
  parse (&p, ARGV ("--setenv", "A", "1", "--unsetenv", "B", "--clearenv", "--setenv", "C", "x y",
                   "--unsetenv", "A", "true"));
  ok (p.n_env_ops == 5, "five environment operations (got %zu)", p.n_env_ops);
  ok (p.n_env_ops == 5 && p.env_ops[0].kind == SBX_ENV_SET && str_eq (p.env_ops[0].name, "A")
      && str_eq (p.env_ops[0].value, "1"), "1: set A=1");
  ok (p.n_env_ops == 5 && p.env_ops[1].kind == SBX_ENV_UNSET && str_eq (p.env_ops[1].name, "B"),
      "2: unset B");
  ok (p.n_env_ops == 5 && p.env_ops[2].kind == SBX_ENV_CLEAR, "3: clear");
  ok (p.n_env_ops == 5 && p.env_ops[3].kind == SBX_ENV_SET && str_eq (p.env_ops[3].name, "C")
      && str_eq (p.env_ops[3].value, "x y"), "4: set C='x y'");
  ok (p.n_env_ops == 5 && p.env_ops[4].kind == SBX_ENV_UNSET && str_eq (p.env_ops[4].name, "A"),
      "5: unset A");
  plan_free (&p);

  parse (&p, ARGV ("--setenv", "EMPTY", "", "true"));
  ok (p.n_env_ops == 1 && str_eq (p.env_ops[0].value, ""), "--setenv VAR '' sets an empty value");
  plan_free (&p);

  parse (&p, ARGV ("--hostname", "box", "--chdir", "/work", "--argv0", "name", "--die-with-parent",
                   "--new-session", "--unshare-pid", "--as-pid-1", "true"));
  ok (str_eq (p.hostname, "box"), "--hostname NAME");
  ok (str_eq (p.chdir, "/work"), "--chdir DIR");
  ok (str_eq (p.argv0, "name"), "--argv0 VALUE");
  ok (p.die_with_parent && p.new_session && p.as_pid_1, "--die-with-parent, --new-session, --as-pid-1 set their flags");
  ok (!p.dry_run, "--dry-run not set unless given");
  plan_free (&p);

  parse (&p, ARGV ("true"));
  ok (!p.die_with_parent && !p.new_session && !p.as_pid_1 && p.hostname == NULL && p.chdir == NULL
      && p.argv0 == NULL && p.n_keep_fds == 0 && p.info_fd == -1 && p.json_status_fd == -1,
      "defaults: no flags, no hostname/chdir/argv0, no kept or report fds");
  plan_free (&p);

  int fd1 = open ("/dev/null", O_WRONLY | O_CLOEXEC), fd2 = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  char t1[16], t2[16];
  snprintf (t1, sizeof t1, "%d", fd1);
  snprintf (t2, sizeof t2, "%d", fd2);
  parse (&p, ARGV ("--dry-run", "--keep-fd", "1", "--keep-fd", "1", "--keep-fd", t1,
                   "--info-fd", t1, "--json-status-fd", t2, "true"));
  ok (p.dry_run, "--dry-run sets dry_run");
  ok (p.n_keep_fds == 2 && p.keep_fds[0] == 1 && p.keep_fds[1] == fd1, "--keep-fd records each fd once, in order");
  ok (p.info_fd == fd1 && p.json_status_fd == fd2, "--info-fd and --json-status-fd record their fds");
  plan_free (&p);
  close (fd1), close (fd2);
}

static void
test_end_of_options (void)
{
  struct sbx_plan p;
  /* ok() evaluates its condition twice: parse first. */
  enum sbx_action a = parse (&p, ARGV ("--help"));
  ok (a == SBX_ACTION_HELP, "--help: action HELP");
  plan_free (&p);
  a = parse (&p, ARGV ("-h"));
  ok (a == SBX_ACTION_HELP, "-h: action HELP");
  plan_free (&p);
  a = parse (&p, ARGV ("--version"));
  ok (a == SBX_ACTION_VERSION, "--version: action VERSION");
  plan_free (&p);

  char **argv = ARGV ("--unshare-net", "--", "--help", "--bind", "x");
  a = parse (&p, argv);
  ok (a == SBX_ACTION_RUN && p.argv == &argv[4], "'--' ends the options: the command is '--help'");
  ok (p.argv != NULL && str_eq (p.argv[1], "--bind") && str_eq (p.argv[2], "x") && p.argv[3] == NULL,
      "... and the words after it are its arguments");
  ok (p.n_fs_ops == 0 && (p.namespaces & SBX_NS_NET), "... options before '--' were taken, none after");
  plan_free (&p);

  argv = ARGV ("--dir", "/x", "list", "--bind", "/a", "/b", "--version");
  a = parse (&p, argv);
  ok (a == SBX_ACTION_RUN && p.argv == &argv[4] && str_eq (p.argv[0], "list"),
      "the first non-option word 'list' is the command");
  ok (p.n_fs_ops == 1 && str_eq (p.argv[1], "--bind") && str_eq (p.argv[4], "--version"),
      "options after the command are its arguments, not sbx's");
  plan_free (&p);

  argv = ARGV ("--", "--", "x");
  parse (&p, argv);
  ok (p.argv == &argv[3] && str_eq (p.argv[0], "--"), "a second '--' is the command");
  plan_free (&p);

  argv = ARGV ("-", "x");
  parse (&p, argv);
  ok (p.argv == &argv[2] && str_eq (p.argv[0], "-"), "a lone '-' is the command");
  plan_free (&p);
}

static void
test_bad_input (void)
{
  check_bad ("unknown option", "--no-such-option", ARGV ("--no-such-option", "true"));
  check_bad ("unknown short option", "-x", ARGV ("-x", "true"));
  check_bad ("unknown option after good ones", "--bindd", ARGV ("--unshare-pid", "--bindd", "/a", "/b", "true"));
  check_bad ("missing argument (none)", "--tmpfs", ARGV ("--tmpfs"));
  check_bad ("missing argument (one of two)", "--bind", ARGV ("--bind", "/usr"));
  check_bad ("missing argument (setenv)", "missing argument", ARGV ("--setenv", "A"));
  check_bad ("relative bind destination", "usr", ARGV ("--bind", "/usr", "usr", "true"));
  check_bad ("relative tmpfs destination", "tmp", ARGV ("--tmpfs", "tmp", "true"));
  check_bad ("relative symlink destination", "--symlink", ARGV ("--symlink", "/a", "b", "true"));
  check_bad ("relative --chdir", "--chdir", ARGV ("--chdir", "rel", "true"));
  check_bad ("invalid octal mode (--perms 0999)", "0999", ARGV ("--perms", "0999", "--tmpfs", "/t", "true"));
  check_bad ("invalid octal mode (--perms abc)", "abc", ARGV ("--perms", "abc", "--tmpfs", "/t", "true"));
  check_bad ("invalid octal mode (--perms 10000)", "10000", ARGV ("--perms", "10000", "--tmpfs", "/t", "true"));
  check_bad ("invalid octal mode (--perms -1)", "--perms", ARGV ("--perms", "-1", "--tmpfs", "/t", "true"));
  check_bad ("invalid octal mode (--chmod 8)", "--chmod", ARGV ("--chmod", "8", "/x", "true"));
  check_bad ("invalid size (garbage)", "junk", ARGV ("--size", "junk", "--tmpfs", "/t", "true"));
  check_bad ("invalid size (bad suffix)", "10X", ARGV ("--size", "10X", "--tmpfs", "/t", "true"));
  check_bad ("invalid size (zero)", "--size", ARGV ("--size", "0", "--tmpfs", "/t", "true"));
  check_bad ("invalid size (negative)", "--size", ARGV ("--size", "-1", "--tmpfs", "/t", "true"));
  check_bad ("invalid size (overflow)", "--size", ARGV ("--size", "99999999999999999999", "--tmpfs", "/t", "true"));
  check_bad ("--size followed by --dir", "--size", ARGV ("--size", "1M", "--dir", "/d", "true"));
  check_bad ("--size at the end of the options", "--size", ARGV ("--size", "1M", "true"));
  check_bad ("--perms followed by --bind", "--perms", ARGV ("--perms", "0700", "--bind", "/a", "/b", "true"));
  check_bad ("--perms at the end of the options", "--perms", ARGV ("--perms", "0700", "true"));
  check_bad ("--file with an fd that is not open", "987", ARGV ("--file", "987", "/x", "true"));
  check_bad ("--bind-data with an fd that is not open", "987", ARGV ("--bind-data", "987", "/x", "true"));
  check_bad ("--info-fd with an fd that is not open", "987", ARGV ("--info-fd", "987", "true"));
  check_bad ("--json-status-fd with an fd that is not open", "987", ARGV ("--json-status-fd", "987", "true"));
  check_bad ("--keep-fd with an fd that is not open", "987", ARGV ("--keep-fd", "987", "true"));
  check_bad ("--info-fd on a standard stream", "--info-fd", ARGV ("--info-fd", "1", "true"));
  check_bad ("--file with a non-number fd", "--file", ARGV ("--file", "x", "/x", "true"));
  check_bad ("invalid capability name", "CAP_NO_SUCH", ARGV ("--cap-add", "CAP_NO_SUCH", "true"));
  check_bad ("invalid capability name (--cap-drop)", "bogus", ARGV ("--cap-drop", "bogus", "true"));
  check_bad ("capability given as a number", "--cap-add", ARGV ("--cap-add", "12", "true"));
  check_bad ("missing command (no arguments)", "command", ARGV (NULL));
  check_bad ("missing command (options only)", "command", ARGV ("--unshare-pid", "--tmpfs", "/t"));
  check_bad ("missing command (after --)", "command", ARGV ("--unshare-pid", "--"));
  check_bad ("--uid not a number", "abc", ARGV ("--uid", "abc", "true"));
  check_bad ("--uid negative", "--uid", ARGV ("--uid", "-1", "true"));
  check_bad ("--uid with trailing junk", "--uid", ARGV ("--uid", "12x", "true"));
  check_bad ("--uid 4294967295 (the no-id value)", "--uid", ARGV ("--uid", "4294967295", "true"));
  check_bad ("--gid not a number", "--gid", ARGV ("--gid", "root", "true"));
  check_bad ("--setenv with '=' in the name", "--setenv", ARGV ("--setenv", "A=B", "c", "true"));
  check_bad ("--hostname empty", "--hostname", ARGV ("--hostname", "", "true"));

  check_good ("--bind-try with a relative-looking source is still parsed", ARGV ("--bind-try", "rel", "/x", "true"));
  check_good ("--size 1 --tmpfs", ARGV ("--size", "1", "--tmpfs", "/t", "true"));
  check_good ("--perms 0 --file 0 /f", ARGV ("--perms", "0", "--file", "0", "/f", "true"));
}

int
main (void)
{
  test_table ();
  test_help ();
  test_fs_ops ();
  test_modifiers ();
  test_ids_and_namespaces ();
  test_caps ();
  test_env_and_process ();
  test_end_of_options ();
  test_bad_input ();
  return tap_done ();
}
