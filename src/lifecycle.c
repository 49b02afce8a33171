/* Registering a launch, and --list, --stop, --kill. */
#include "lifecycle.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* --- registering ------------------------------------------------------ */

enum { SBX_REGISTER_AFTER_MS = 20 };

static bool
wait_exit (int pidfd, int ms)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int r;
  do
    r = poll (&p, 1, ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

int
sbx_register_prepare (const struct sbx_plan *plan)
{
  const char *why;
  int dir = sbx_registry_open (true, &why);
  if (dir < 0)
    {
      if (plan->name_given)
        sbx_warn ("--name %s: the sandbox is not registered: %s", plan->name, why);
      return -1;
    }
  struct sbx_record rec;
  if (plan->name_given && sbx_registry_read (dir, plan->name, &rec))
    {
      bool alive = sbx_record_alive (&rec);
      sbx_record_free (&rec);
      if (alive)
        {
          close (dir);
          sbx_die ("--name: a sandbox named '%s' is already running", plan->name);
        }
    }
  return dir;
}

static unsigned long long
ns_id (pid_t pid, const char *ns)
{
  char path[64], target[64];
  snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns);
  ssize_t r = readlink (path, target, sizeof target - 1);
  if (r < 0)
    return 0;
  target[r] = '\0';
  const char *id = strchr (target, '[');
  return id != NULL ? strtoull (id + 1, NULL, 10) : 0;
}

/* /proc/PID/FILE, whole (small files only); NULL if unreadable. */
static char *
read_proc (pid_t pid, const char *file)
{
  autofree char *path = sbx_xasprintf ("/proc/%d/%s", (int) pid, file);
  autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  char *buf = sbx_xmalloc (8192);
  ssize_t n = read (fd, buf, 8191);
  if (n < 0)
    {
      free (buf);
      return NULL;
    }
  buf[n] = '\0';
  return buf;
}

static char **
split_lines (char *text)
{
  size_t n = 0;
  char **lines = sbx_xcalloc (1, sizeof *lines);
  char *save = NULL;
  for (char *l = text ? strtok_r (text, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      lines = sbx_xrealloc_array (lines, n + 2, sizeof *lines);
      lines[n++] = sbx_xstrdup (l);
      lines[n] = NULL;
    }
  return lines;
}

bool
sbx_register (const struct sbx_plan *plan, int dir, int ready, pid_t child,
              const struct sbx_seccomp_programs *filters)
{
  char byte;
  ssize_t n;
  do
    n = read (ready, &byte, 1);
  while (n < 0 && errno == EINTR);
  close (ready);
  if (n != 1)
    return false;               /* the sandbox failed before its root was built */
  /* A sandbox that ends within moments is never registered: nobody could
   * have listed or entered it, and short commands, the common case, then
   * pay nothing on their way out. */
  autoclose int pidfd = (int) syscall (SYS_pidfd_open, child, 0);
  if (pidfd < 0 || wait_exit (pidfd, SBX_REGISTER_AFTER_MS))
    return false;

  autofree char *cgroup = read_proc (child, "cgroup");
  autofree char *profile = sbx_profile_short_name (plan->profile);
  struct sbx_record rec = {
    .name = (char *) plan->name,
    .pid = child,
    .start_ticks = sbx_proc_start_ticks (child),
    .monitor = getpid (),
    .profile = profile,
    .argv = plan->argv,
    .started = (long long) time (NULL),
    .cgroup = split_lines (cgroup),
    .uid = plan->inner_uid,
    .gid = plan->inner_gid,
    .outer_uid = plan->outer_uid,
    .outer_gid = plan->outer_gid,
    .cwd = (char *) (plan->chdir ? plan->chdir : plan->outer_cwd ? plan->outer_cwd : "/"),
    .mdwe = filters->mdwe,
    .seccomp = filters->progs,
    .n_seccomp = filters->n,
  };
  for (size_t i = 0; i < SBX_RECORD_NS_COUNT; i++)
    rec.ns[i] = ns_id (child, sbx_record_ns_names[i]);
  bool written = rec.start_ticks != 0 && sbx_registry_write (dir, &rec) == 0;
  if (!written && errno == EEXIST)
    {
      /* The name's last owner ended without removing its record. */
      sbx_registry_sweep (dir);
      written = sbx_registry_write (dir, &rec) == 0;
    }
  if (!written && rec.start_ticks != 0)
    sbx_warn ("register the sandbox %s: %s", plan->name, strerror (errno));
  for (char **l = rec.cgroup; *l; l++)
    free (*l);
  free (rec.cgroup);
  /* Off the sandbox's critical path: it already runs. */
  sbx_registry_sweep (dir);
  return written;
}

void
sbx_unregister (const struct sbx_plan *plan, int dir, pid_t child)
{
  /* The name stayed ours while CHILD ran: a record of a live sandbox is
   * never swept, and a name in use is refused. */
  (void) child;
  autofree char *file = sbx_xasprintf ("%s.json", plan->name);
  unlinkat (dir, file, 0);
}

/* --- finding a running sandbox, checked ------------------------------- */

static int
open_registry (const char *verb, const char *name)
{
  const char *why;
  int dir = sbx_registry_open (false, &why);
  bool none = dir < 0 && strcmp (why, "no sandbox is registered") == 0;
  if (none && strcmp (verb, "list") == 0)
    return -1;
  if (none && name != NULL)
    sbx_die ("--%s: no running sandbox named '%s' (no sandbox is registered)", verb, name);
  if (dir < 0)
    sbx_die ("--%s: %s", verb, why);
  sbx_registry_sweep (dir);
  return dir;
}

/* Every uid and gid of PID (real, effective, saved, fs) is the caller's. */
static bool
ids_are_ours (pid_t pid)
{
  autofree char *status = read_proc (pid, "status");
  if (status == NULL)
    return false;
  const char *uid = strstr (status, "\nUid:"), *gid = strstr (status, "\nGid:");
  unsigned long long u[4], g[4];
  if (uid == NULL || gid == NULL || sscanf (uid + 5, "%llu %llu %llu %llu", &u[0], &u[1], &u[2], &u[3]) != 4
      || sscanf (gid + 5, "%llu %llu %llu %llu", &g[0], &g[1], &g[2], &g[3]) != 4)
    return false;
  for (int i = 0; i < 4; i++)
    if (u[i] != getuid () || g[i] != getgid ())
      return false;
  return true;
}

static bool
pidfd_exited (int pidfd)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  return poll (&p, 1, 0) != 0;
}

int
sbx_sandbox_open (const char *verb, const char *name, struct sbx_record *rec)
{
  autoclose int dir = open_registry (verb, name);
  if (!sbx_registry_read (dir, name, rec))
    sbx_die ("--%s: no running sandbox named '%s' (see sbx --list)", verb, name);
  pid_t pid = rec->pid;
  autoclose int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0 && errno == ESRCH)
    sbx_die ("--%s: no running sandbox named '%s' (see sbx --list)", verb, name);
  if (pidfd < 0)
    sbx_die_errno (errno, "open pidfd", name);
  /* From here the pidfd pins the process: checks made while it has not
   * exited are about that very process. */
  if (sbx_proc_start_ticks (pid) != rec->start_ticks)
    sbx_die ("--%s: no running sandbox named '%s' (its pid was reused)", verb, name);
  if (!ids_are_ours (pid))
    sbx_die ("--%s: sandbox '%s': its process %d belongs to another user: refusing", verb, name, (int) pid);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  autoclose int userns = open (path, O_RDONLY | O_CLOEXEC);
  struct stat theirs, ours;
  uid_t owner;
  if (userns < 0 || fstat (userns, &theirs) < 0 || stat ("/proc/self/ns/user", &ours) < 0
      || ioctl (userns, NS_GET_OWNER_UID, &owner) < 0)
    sbx_die ("--%s: sandbox '%s': cannot inspect its user namespace: refusing", verb, name);
  if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
    sbx_die ("--%s: sandbox '%s': process %d is not in a sandbox (its user namespace is ours): refusing",
             verb, name, (int) pid);
  if (owner != getuid ())
    sbx_die ("--%s: sandbox '%s': process %d is not in a sandbox of ours (its user namespace belongs to "
             "another user): refusing", verb, name, (int) pid);
  if (theirs.st_ino != rec->ns[0])
    sbx_die ("--%s: sandbox '%s': the record does not match process %d (another user namespace): refusing",
             verb, name, (int) pid);
  if (pidfd_exited (pidfd))
    sbx_die ("--%s: no running sandbox named '%s' (it just ended)", verb, name);
  return sbx_steal_fd (&pidfd);
}

/* --- --list ------------------------------------------------------------ */

static unsigned long long
read_number_file (const char *path)
{
  char buf[64];
  autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read (fd, buf, sizeof buf - 1) : -1;
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return strtoull (buf, NULL, 10);
}

/* The memory cgroup of PID when it is not ours (a limits cgroup). */
static unsigned long long
cgroup_memory (pid_t pid)
{
  autofree char *theirs = read_proc (pid, "cgroup");
  autofree char *mine = read_proc (getpid (), "cgroup");
  if (theirs == NULL || mine == NULL)
    return 0;
  char *save = NULL;
  for (char *l = strtok_r (theirs, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      if (strstr (mine, l) != NULL)
        continue;               /* the same cgroup as ours: not the sandbox's own */
      char *path = strchr (l, ':') ? strchr (strchr (l, ':') + 1, ':') : NULL;
      if (path == NULL)
        continue;
      unsigned long long v = 0;
      if (strncmp (l, "0::", 3) == 0)
        {
          autofree char *a = sbx_xasprintf ("/sys/fs/cgroup/unified%s/memory.current", path + 1);
          autofree char *b = sbx_xasprintf ("/sys/fs/cgroup%s/memory.current", path + 1);
          v = read_number_file (a) ? read_number_file (a) : read_number_file (b);
        }
      else if (strstr (l, ":memory:") != NULL)
        {
          autofree char *a = sbx_xasprintf ("/sys/fs/cgroup/memory%s/memory.usage_in_bytes", path + 1);
          v = read_number_file (a);
        }
      if (v != 0)
        return v;
    }
  return 0;
}

static unsigned long long
rss_of (pid_t pid)
{
  autofree char *status = read_proc (pid, "status");
  const char *rss = status ? strstr (status, "\nVmRSS:") : NULL;
  return rss ? strtoull (rss + 7, NULL, 10) * 1024 : 0;
}

/* The sandbox's memory: its cgroup's when it has one of its own, else the
 * resident memory of every process in its pid namespace (or of its one
 * process without a pid namespace). */
static unsigned long long
sandbox_memory (const struct sbx_record *rec)
{
  unsigned long long v = cgroup_memory (rec->pid);
  if (v != 0)
    return v;
  unsigned long long pidns = ns_id (rec->pid, "pid");
  if (pidns == 0 || pidns == ns_id (getpid (), "pid"))
    return rss_of (rec->pid);
  DIR *d = opendir ("/proc");
  if (d == NULL)
    return rss_of (rec->pid);
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    if (isdigit ((unsigned char) e->d_name[0]) && ns_id ((pid_t) atoi (e->d_name), "pid") == pidns)
      v += rss_of ((pid_t) atoi (e->d_name));
  closedir (d);
  return v;
}

static void
format_uptime (long long s, char *buf, size_t len)
{
  if (s < 0)
    s = 0;
  if (s < 60)
    snprintf (buf, len, "%llds", s);
  else if (s < 3600)
    snprintf (buf, len, "%lldm%02llds", s / 60, s % 60);
  else if (s < 86400)
    snprintf (buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else
    snprintf (buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static void
format_memory (unsigned long long bytes, char *buf, size_t len)
{
  if (bytes == 0)
    snprintf (buf, len, "-");
  else if (bytes < 1024 * 1024)
    snprintf (buf, len, "%lluK", bytes / 1024);
  else if (bytes < 1024ULL * 1024 * 1024)
    snprintf (buf, len, "%.1fM", (double) bytes / (1024 * 1024));
  else
    snprintf (buf, len, "%.1fG", (double) bytes / (1024 * 1024 * 1024));
}

static int
list (const struct sbx_plan *plan)
{
  autoclose int dir = open_registry ("list", NULL);
  char **names = dir >= 0 ? sbx_registry_names (dir) : sbx_xcalloc (1, sizeof (char *));
  long long now = (long long) time (NULL);
  if (plan->json)
    fputs ("[", stdout);
  else
    printf ("%-24s %7s %-12s %8s %7s %s\n", "NAME", "PID", "PROFILE", "UPTIME", "MEM", "COMMAND");
  bool first = true;
  for (char **n = names; *n; n++)
    {
      struct sbx_record rec;
      /* Only what --enter would accept: a live process of ours, in the
       * user namespace recorded. */
      if (!sbx_registry_read (dir, *n, &rec))
        {
          free (*n);
          continue;
        }
      if (sbx_record_alive (&rec) && ids_are_ours (rec.pid) && ns_id (rec.pid, "user") == rec.ns[0])
        {
          unsigned long long mem = sandbox_memory (&rec);
          if (plan->json)
            {
              fputs (first ? "\n  { \"name\": " : ",\n  { \"name\": ", stdout);
              sbx_json_string (stdout, rec.name);
              printf (", \"pid\": %d, \"profile\": ", (int) rec.pid);
              sbx_json_string (stdout, rec.profile);
              printf (", \"started\": %lld, \"uptime\": %lld, \"memory\": %llu, \"command\": [", rec.started,
                      now - rec.started, mem);
              for (char **a = rec.argv; *a; a++)
                {
                  fputs (a == rec.argv ? "" : ", ", stdout);
                  sbx_json_string (stdout, *a);
                }
              fputs ("] }", stdout);
            }
          else
            {
              char up[32], m[32];
              format_uptime (now - rec.started, up, sizeof up);
              format_memory (mem, m, sizeof m);
              printf ("%-24s %7d %-12s %8s %7s", rec.name, (int) rec.pid, rec.profile ? rec.profile : "-", up, m);
              for (char **a = rec.argv; *a; a++)
                printf (" %s", *a);
              putchar ('\n');
            }
          first = false;
        }
      sbx_record_free (&rec);
      free (*n);
    }
  free (names);
  if (plan->json)
    fputs (first ? "]\n" : "\n]\n", stdout);
  return 0;
}

/* --- --stop and --kill ------------------------------------------------- */

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N", as kill(1) spells them. */
static int
parse_realtime (const char *bare)
{
  bool min = strncasecmp (bare, "RTMIN", 5) == 0, max = strncasecmp (bare, "RTMAX", 5) == 0;
  if (!min && !max)
    return -1;
  const char *rest = bare + 5;
  if (*rest == '\0')
    return min ? SIGRTMIN : SIGRTMAX;
  if (*rest != (min ? '+' : '-') || rest[1] == '\0' || strspn (rest + 1, "0123456789") != strlen (rest + 1)
      || strlen (rest + 1) > 2)
    return -1;
  int n = atoi (rest + 1);
  int sig = min ? SIGRTMIN + n : SIGRTMAX - n;
  return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
}

/* A number (0 only asks whether the sandbox runs, as kill -0 does), or a
 * name with or without SIG, in any case. */
static int
parse_signal (const char *text)
{
  size_t len = strlen (text);
  if (len > 0 && strspn (text, "0123456789") == len)
    {
      int n = len <= 3 ? atoi (text) : -1;
      return n >= 0 && n <= SIGRTMAX ? n : -1;
    }
  const char *bare = strncasecmp (text, "SIG", 3) == 0 ? text + 3 : text;
  int rt = parse_realtime (bare);
  if (rt > 0)
    return rt;
  for (int sig = 1; sig < SIGRTMIN; sig++)
    {
      const char *abbrev = sigabbrev_np (sig);
      if (abbrev != NULL && strcasecmp (abbrev, bare) == 0)
        return sig;
    }
  return -1;
}

static void
send_signal (int pidfd, int sig, const char *name)
{
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
    sbx_die_errno (errno, "signal the sandbox", name);
}

/* SIGKILL and SIGSTOP cannot be caught, so the init cannot pass them on,
 * and SIGCONT must wake whatever SIGSTOP stopped: these go to every
 * process of the sandbox, those in its user namespace (what --enter
 * started too), but not its monitor, sbx's process on the host, which
 * cleans up after it. Each is pinned by a pidfd before it is checked. */
static void
signal_every_process (const struct sbx_record *rec, pid_t monitor, int sig)
{
  DIR *d = opendir ("/proc");
  if (d == NULL)
    sbx_die_errno (errno, "open", "/proc");
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      if (!isdigit ((unsigned char) e->d_name[0]))
        continue;
      pid_t pid = (pid_t) atoi (e->d_name);
      if (pid == monitor || pid == rec->monitor || pid == getpid ())
        continue;
      autoclose int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      if (pidfd >= 0 && ns_id (pid, "user") == rec->ns[0] && ids_are_ours (pid))
        syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    }
  closedir (d);
}

static bool
to_every_process (int sig)
{
  return sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT;
}

static int
stop_or_kill (const struct sbx_plan *plan)
{
  const char *verb = plan->verb == SBX_VERB_STOP ? "stop" : "kill";
  int sig = SIGTERM;
  if (plan->verb == SBX_VERB_KILL && (sig = parse_signal (plan->kill_signal)) < 0)
    sbx_die ("--kill: not a signal: '%s' (a name such as TERM or SIGKILL, RTMIN+N, or a number from 0 to %d)",
             plan->kill_signal, SIGRTMAX);
  struct sbx_record rec;
  autoclose int pidfd = sbx_sandbox_open (verb, plan->verb_target, &rec);
  /* Its parent, read while it surely runs: once signalled it may be gone. */
  autofree char *status = read_proc (rec.pid, "status");
  const char *ppid = status ? strstr (status, "\nPPid:") : NULL;
  pid_t monitor = ppid != NULL ? (pid_t) atoi (ppid + 6) : 0;
  /* The init first: with a pid namespace, its SIGKILL ends all the rest. */
  send_signal (pidfd, sig, rec.name);
  if (to_every_process (sig))
    signal_every_process (&rec, monitor, sig);
  if (plan->verb == SBX_VERB_STOP && !wait_exit (pidfd, 10000))
    {
      sbx_warn ("--stop: %s did not end within 10 s of SIGTERM: sending SIGKILL", rec.name);
      send_signal (pidfd, SIGKILL, rec.name);
      signal_every_process (&rec, monitor, SIGKILL);
      wait_exit (pidfd, 10000);
    }
  sbx_record_free (&rec);
  return 0;
}

int
sbx_lifecycle_run (const struct sbx_plan *plan)
{
  if (plan->verb != SBX_VERB_ENTER && plan->argv != NULL)
    sbx_die ("--%s: takes no command", plan->verb == SBX_VERB_LIST ? "list" : plan->verb == SBX_VERB_STOP ? "stop" : "kill");
  switch (plan->verb)
    {
    case SBX_VERB_LIST:
      return list (plan);
    case SBX_VERB_ENTER:
      sbx_enter (plan);
    case SBX_VERB_STOP:
    case SBX_VERB_KILL:
      return stop_or_kill (plan);
    case SBX_VERB_NONE:
      break;
    }
  return 0;
}
