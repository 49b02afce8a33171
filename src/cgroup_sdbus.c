/* The systemd user manager's way to a delegated cgroup, over D-Bus: a
 * transient scope with Delegate=yes that sbx itself is moved into, as
 * systemd-run --user --scope would do before executing sbx. The job is
 * waited for (its JobRemoved signal, matched before the call so that it
 * cannot be missed), then sbx executes itself again inside the scope and
 * finds it delegated. Built only with libsystemd (WITH_SD_BUS). */
#include "cgroup.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

/* How long the manager gets to run the job, once it has accepted it. */
#define JOB_WAIT_USEC (30 * 1000 * 1000ULL)

static void
bus_unref (sd_bus **bus)
{
  sd_bus_flush_close_unref (*bus);
}

static void
msg_unref (sd_bus_message **m)
{
  sd_bus_message_unref (*m);
}

#define autobus __attribute__ ((cleanup (bus_unref)))
#define automsg __attribute__ ((cleanup (msg_unref)))
#define autoerr __attribute__ ((cleanup (sd_bus_error_free)))

bool
sbx_sdbus_reachable (char *why, size_t len)
{
  if (getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL && getenv ("XDG_RUNTIME_DIR") == NULL)
    {
      snprintf (why, len, "no user bus (neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set)");
      return false;
    }
  autobus sd_bus *bus = NULL;
  int r = sd_bus_open_user (&bus);
  if (r < 0)
    {
      snprintf (why, len, "no user bus (%s: %s)",
                getenv ("DBUS_SESSION_BUS_ADDRESS") ? "$DBUS_SESSION_BUS_ADDRESS" : "$XDG_RUNTIME_DIR/bus",
                strerror (-r));
      return false;
    }
  autoerr sd_bus_error err = SD_BUS_ERROR_NULL;
  automsg sd_bus_message *reply = NULL;
  int has = 0;
  r = sd_bus_call_method (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "NameHasOwner", &err, &reply, "s", SD_DEST);
  if (r >= 0)
    r = sd_bus_message_read (reply, "b", &has);
  if (r < 0)
    {
      snprintf (why, len, "the user bus does not answer (%s)",
                sd_bus_error_is_set (&err) ? err.message : strerror (-r));
      return false;
    }
  if (!has)
    snprintf (why, len, "no user manager on the user bus (no %s)", SD_DEST);
  return has;
}

/* The plan's limits, as the unit properties systemd knows them by; the
 * same values the delegated path writes into its cgroup files. */
static int
append_limits (sd_bus_message *m, const struct sbx_limits *l)
{
  int r = 0;
  if (l->set & SBX_LIM_MEMORY)
    r = sd_bus_message_append (m, "(sv)", "MemoryMax", "t", (uint64_t) l->memory);
  /* No swap unless --memory-swap says how much, as memory.swap.max 0. */
  if (r >= 0 && (l->set & (SBX_LIM_SWAP | SBX_LIM_MEMORY)))
    r = sd_bus_message_append (m, "(sv)", "MemorySwapMax", "t",
                               (uint64_t) ((l->set & SBX_LIM_SWAP) ? l->memory_swap : 0));
  if (r >= 0 && (l->set & SBX_LIM_PIDS))
    r = sd_bus_message_append (m, "(sv)", "TasksMax", "t", (uint64_t) l->pids);
  if (r >= 0 && (l->set & SBX_LIM_CPUS))
    r = sd_bus_message_append (m, "(sv)", "CPUQuotaPerSecUSec", "t", (uint64_t) fmax (10000, l->cpus * 1e6));
  if (r >= 0 && (l->set & SBX_LIM_CPU_WEIGHT))
    r = sd_bus_message_append (m, "(sv)", "CPUWeight", "t", (uint64_t) l->cpu_weight);
  if (r >= 0 && (l->set & SBX_LIM_IO_WEIGHT))
    r = sd_bus_message_append (m, "(sv)", "IOWeight", "t", (uint64_t) l->io_weight);
  return r;
}

static sd_bus_message *
new_start_call (sd_bus *bus, const char *unit, const struct sbx_limits *l)
{
  sd_bus_message *m = NULL;
  autofree char *description = sbx_xasprintf ("sbx sandbox %s", l->cgroup.name);
  int r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = sd_bus_message_append (m, "(sv)(sv)(sv)(sv)", "Description", "s", description, "PIDs", "au", 1,
                               (uint32_t) getpid (), "Delegate", "b", 1, "CollectMode", "s",
                               "inactive-or-failed");
  if (r >= 0)
    r = append_limits (m, l);
  if (r >= 0)
    r = sd_bus_message_close_container (m);
  /* No auxiliary units. */
  if (r >= 0)
    r = sd_bus_message_append (m, "a(sa(sv))", 0);
  if (r < 0)
    sbx_die_errno (-r, "build the StartTransientUnit call", unit);
  return m;
}

struct job_wait {
  const char *job;      /* the job's object path, once the call returned */
  char *result;         /* its result, once JobRemoved came */
};

static int
on_job_removed (sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
  (void) ret_error;
  struct job_wait *w = data;
  uint32_t id;
  const char *job, *unit, *result;
  if (sd_bus_message_read (m, "uoss", &id, &job, &unit, &result) < 0)
    return 0;
  if (w->job != NULL && strcmp (job, w->job) == 0 && w->result == NULL)
    w->result = sbx_xstrdup (result);
  return 0;
}

/* Does /proc/self/cgroup show sbx in the cgroup named UNIT? */
static bool
in_unit (const char *unit)
{
  FILE *f = fopen ("/proc/self/cgroup", "re");
  if (f == NULL)
    return false;
  char *line = NULL;
  size_t cap = 0, len = strlen (unit);
  bool found = false;
  while (!found && getline (&line, &cap, f) > 0)
    {
      size_t n = strcspn (line, "\n");
      found = n > len && line[n - len - 1] == '/' && strncmp (line + n - len, unit, len) == 0;
    }
  free (line);
  fclose (f);
  return found;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

void
sbx_sdbus_start_scope (const struct sbx_limits *l)
{
  autofree char *unit = sbx_xasprintf ("%s.scope", l->cgroup.name);
  autobus sd_bus *bus = NULL;
  int r = sd_bus_open_user (&bus);
  if (r < 0)
    sbx_die_errno (-r, "connect to the user bus for a systemd scope", unit);
  struct job_wait w = { NULL, NULL };
  /* Before the call: the job may end before its reply is read. The
   * sender is not matched on: dbus-daemon knows the manager by its
   * unique name only, and the job path is checked instead. */
  sd_bus_slot *slot = NULL;
  r = sd_bus_match_signal (bus, &slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    sbx_die_errno (-r, "watch the user manager's jobs", unit);
  automsg sd_bus_message *call = new_start_call (bus, unit, l);
  autoerr sd_bus_error err = SD_BUS_ERROR_NULL;
  automsg sd_bus_message *reply = NULL;
  r = sd_bus_call (bus, call, 0, &err, &reply);
  if (r < 0)
    {
      if (sd_bus_error_is_set (&err))
        sbx_die ("start a systemd scope: %s: %s: %s", unit, err.name, err.message);
      sbx_die_errno (-r, "start a systemd scope", unit);
    }
  const char *job;
  r = sd_bus_message_read (reply, "o", &job);
  if (r < 0)
    sbx_die_errno (-r, "read the StartTransientUnit reply", unit);
  w.job = job;
  uint64_t deadline = now_usec () + JOB_WAIT_USEC;
  while (w.result == NULL)
    {
      r = sd_bus_process (bus, NULL);
      if (r < 0)
        sbx_die_errno (-r, "wait for the systemd scope", unit);
      if (r > 0)
        continue;
      uint64_t now = now_usec ();
      if (now >= deadline)
        sbx_die ("start a systemd scope: %s: the job %s did not end within %llu s", unit, job,
                 (unsigned long long) (JOB_WAIT_USEC / 1000000));
      r = sd_bus_wait (bus, deadline - now);
      if (r < 0)
        sbx_die_errno (-r, "wait for the systemd scope", unit);
    }
  sd_bus_slot_unref (slot);
  autofree char *result = w.result;
  if (strcmp (result, "done") != 0)
    sbx_die ("start a systemd scope: %s: the job ended with result '%s'", unit, result);
  if (!in_unit (unit))
    sbx_die ("start a systemd scope: %s: the job is done but /proc/self/cgroup does not show the scope", unit);
}
