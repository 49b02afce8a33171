/* --info-fd and --json-status-fd, in bubblewrap's JSON shape, so tools
 * that read bwrap's reports read ours. */
#include "stages.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The namespaces reported, in bubblewrap's order; the mount namespace is
 * always new. */
static const struct { const char *name, *link; unsigned bit; } reported[] = {
  { "cgroup", "cgroup", SBX_NS_CGROUP },
  { "ipc", "ipc", SBX_NS_IPC },
  { "mnt", "mnt", SBX_NS_MOUNT },
  { "net", "net", SBX_NS_NET },
  { "pid", "pid", SBX_NS_PID },
  { "uts", "uts", SBX_NS_UTS },
};

void
sbx_report_namespaces (const struct sbx_plan *plan, int proc_dir, struct sbx_namespace_ids *ids)
{
  for (size_t i = 0; i < sizeof reported / sizeof reported[0]; i++)
    {
      ids->id[i] = 0;
      if (!(plan->namespaces & reported[i].bit) && reported[i].bit != SBX_NS_MOUNT)
        continue;
      char path[64], target[64];
      snprintf (path, sizeof path, "ns/%s", reported[i].link);
      ssize_t r = readlinkat (proc_dir, path, target, sizeof target - 1);
      if (r < 0)
        continue;
      target[r] = '\0';
      const char *id = strchr (target, '[');
      if (id != NULL)
        ids->id[i] = strtoull (id + 1, NULL, 10);
    }
}

/* "child-pid": N, "mnt-namespace": ID, ... joined by SEP. */
static void
format_fields (const struct sbx_namespace_ids *ids, pid_t child, const char *sep, char *buf, size_t len)
{
  size_t n = (size_t) snprintf (buf, len, "\"child-pid\": %d", (int) child);
  for (size_t i = 0; i < sizeof reported / sizeof reported[0] && n < len; i++)
    if (ids->id[i] != 0)
      n += (size_t) snprintf (buf + n, len - n, "%s\"%s-namespace\": %llu", sep, reported[i].name,
                              (unsigned long long) ids->id[i]);
}

static void
write_report (int fd, const char *text, const char *what)
{
  if (sbx_write_all (fd, text, strlen (text)) < 0)
    sbx_die_errno (errno, "write", what);
}

void
sbx_report_started (const struct sbx_plan *plan, const struct sbx_namespace_ids *ids, pid_t child)
{
  char fields[1024], text[1100];
  if (plan->info_fd >= 0)
    {
      format_fields (ids, child, ",\n    ", fields, sizeof fields);
      snprintf (text, sizeof text, "{\n    %s\n}\n", fields);
      write_report (plan->info_fd, text, "--info-fd");
      close (plan->info_fd);
    }
  if (plan->json_status_fd >= 0)
    {
      format_fields (ids, child, ", ", fields, sizeof fields);
      snprintf (text, sizeof text, "{ %s }\n", fields);
      write_report (plan->json_status_fd, text, "--json-status-fd");
    }
}

void
sbx_report_exited (const struct sbx_plan *plan, int exit_code)
{
  if (plan->json_status_fd < 0)
    return;
  char text[64];
  snprintf (text, sizeof text, "{ \"exit-code\": %d }\n", exit_code);
  write_report (plan->json_status_fd, text, "--json-status-fd");
}
