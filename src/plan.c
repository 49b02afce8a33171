#include "plan.h"

#include "bpfcache.h"
#include "caps.h"
#include "net.h"
#include "profile.h"
#include "registry.h"
#include "error.h"
#include "overlay.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

void
plan_init (struct sbx_plan *plan)
{
  *plan = (struct sbx_plan) {
    .namespaces = SBX_NS_USER | SBX_NS_MOUNT,
    .outer_uid = getuid (),
    .outer_gid = getgid (),
    .info_fd = -1,
    .json_status_fd = -1,
  };
  sbx_seccomp_policy_init (&plan->seccomp);
  plan->dbus_socket_op = -1;
  plan->inner_uid = plan->outer_uid;
  plan->inner_gid = plan->outer_gid;
  sbx_limits_init (&plan->limits);
}

void
plan_free (struct sbx_plan *plan)
{
  free (plan->fs_ops);
  free (plan->env_ops);
  if (plan->envp != NULL)
    for (char **e = plan->envp; *e != NULL; e++)
      free (*e);
  free (plan->envp);
  free (plan->keep_fds);
  free (plan->outer_cwd);
  sbx_seccomp_policy_free (&plan->seccomp);
  for (size_t i = 0; i < plan->n_protected_paths; i++)
    free (plan->protected_paths[i]);
  free (plan->protected_paths);
  free (plan->host_mkdirs);
  free (plan->dbus_proxy);
  free (plan->wrap);
  free (plan->unwrap);
  free (plan->dbus_talk);
  free (plan->overlay_srcs);
  free (plan->net_ports);
  free (plan->net_allow);
  for (size_t i = 0; i < plan->n_owned; i++)
    free (plan->owned[i]);
  free (plan->owned);
  sbx_limits_free (&plan->limits);
  for (size_t i = 0; i < plan->n_hidden_paths; i++)
    free (plan->hidden_paths[i]);
  free (plan->hidden_paths);
  plan_init (plan);
}

struct sbx_fs_op *
plan_add_fs_op (struct sbx_plan *plan, enum sbx_fs_kind kind)
{
  plan->fs_ops = sbx_xrealloc_array (plan->fs_ops, plan->n_fs_ops + 1, sizeof *plan->fs_ops);
  struct sbx_fs_op *op = &plan->fs_ops[plan->n_fs_ops++];
  *op = (struct sbx_fs_op) { .kind = kind, .fd = -1, .perms = SBX_NO_PERMS };
  return op;
}

void
plan_add_env_op (struct sbx_plan *plan, enum sbx_env_kind kind, const char *name, const char *value)
{
  plan->env_ops = sbx_xrealloc_array (plan->env_ops, plan->n_env_ops + 1, sizeof *plan->env_ops);
  plan->env_ops[plan->n_env_ops++] = (struct sbx_env_op) { kind, name, value };
}

char *
plan_own (struct sbx_plan *plan, char *s)
{
  plan->owned = sbx_xrealloc_array (plan->owned, plan->n_owned + 1, sizeof *plan->owned);
  plan->owned[plan->n_owned++] = s;
  return s;
}

void
plan_keep_fd (struct sbx_plan *plan, int fd)
{
  for (size_t i = 0; i < plan->n_keep_fds; i++)
    if (plan->keep_fds[i] == fd)
      return;
  plan->keep_fds = sbx_xrealloc_array (plan->keep_fds, plan->n_keep_fds + 1, sizeof *plan->keep_fds);
  plan->keep_fds[plan->n_keep_fds++] = fd;
}

const char *
plan_fs_kind_name (enum sbx_fs_kind kind)
{
  static const char *const names[] = {
    [SBX_FS_BIND] = "bind",
    [SBX_FS_RO_BIND] = "ro-bind",
    [SBX_FS_DEV_BIND] = "dev-bind",
    [SBX_FS_TMPFS] = "tmpfs",
    [SBX_FS_PROC] = "proc",
    [SBX_FS_DEV] = "dev",
    [SBX_FS_MQUEUE] = "mqueue",
    [SBX_FS_DIR] = "dir",
    [SBX_FS_SYMLINK] = "symlink",
    [SBX_FS_FILE] = "file",
    [SBX_FS_BIND_DATA] = "bind-data",
    [SBX_FS_RO_BIND_DATA] = "ro-bind-data",
    [SBX_FS_REMOUNT_RO] = "remount-ro",
    [SBX_FS_CHMOD] = "chmod",
    [SBX_FS_OVERLAY] = "overlay",
    [SBX_FS_TMP_OVERLAY] = "tmp-overlay",
    [SBX_FS_RO_OVERLAY] = "ro-overlay",
  };
  return names[kind];
}

static bool
is_bind (enum sbx_fs_kind kind)
{
  return kind == SBX_FS_BIND || kind == SBX_FS_RO_BIND || kind == SBX_FS_DEV_BIND;
}

/* The environment the command gets: ours, edited by the env ops in order. */
static char **
build_envp (const struct sbx_plan *plan)
{
  size_t n = 0, cap = 16;
  char **envp = sbx_xcalloc (cap, sizeof *envp);
  for (char **e = environ; e != NULL && *e != NULL; e++)
    {
      if (n + 1 >= cap)
        envp = sbx_xrealloc_array (envp, cap *= 2, sizeof *envp);
      envp[n++] = sbx_xstrdup (*e);
    }
  for (size_t i = 0; i < plan->n_env_ops; i++)
    {
      const struct sbx_env_op *op = &plan->env_ops[i];
      size_t len = op->name ? strlen (op->name) : 0;
      size_t kept = 0;
      for (size_t j = 0; j < n; j++)
        {
          bool match = op->kind == SBX_ENV_CLEAR
                       || (strncmp (envp[j], op->name, len) == 0 && envp[j][len] == '=');
          if (match)
            free (envp[j]);
          else
            envp[kept++] = envp[j];
        }
      n = kept;
      if (op->kind == SBX_ENV_SET)
        {
          if (n + 1 >= cap)
            envp = sbx_xrealloc_array (envp, cap *= 2, sizeof *envp);
          envp[n++] = sbx_xasprintf ("%s=%s", op->name, op->value);
        }
    }
  envp[n] = NULL;
  return envp;
}

static bool
on_path (const char *program)
{
  const char *path = getenv ("PATH");
  autofree char *copy = sbx_xstrdup (path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      autofree char *candidate = sbx_xasprintf ("%s/%s", dir, program);
      if (access (candidate, X_OK) == 0)
        return true;
    }
  return false;
}

/* dbus-session with dbus-talk names: when xdg-dbus-proxy is installed,
 * the sandbox gets a filtering proxy's socket where the bus was. */
static void
plan_dbus_proxy (struct sbx_plan *plan)
{
  if (plan->dbus_socket_op < 0 || plan->n_dbus_talk == 0)
    return;
  const char *runtime = getenv ("XDG_RUNTIME_DIR");
  if (!on_path ("xdg-dbus-proxy") || runtime == NULL || runtime[0] != '/')
    {
      sbx_warn ("dbus-talk: xdg-dbus-proxy %s; the whole session bus is shared",
                runtime == NULL ? "needs XDG_RUNTIME_DIR" : "is not installed");
      return;
    }
  plan->dbus_proxy = sbx_xasprintf ("%s/sbx/dbus-proxy-%d", runtime, (int) getpid ());
  plan->fs_ops[plan->dbus_socket_op].source = plan->dbus_proxy;
}

void
plan_finalize (struct sbx_plan *plan)
{
  sbx_limits_finalize (&plan->limits, plan->profile);
  if (plan->hostname != NULL)
    plan->namespaces |= SBX_NS_UTS;
  plan->namespaces_try &= ~plan->namespaces_required;
  if (plan->as_pid_1 && !(plan->namespaces & SBX_NS_PID))
    sbx_die ("--as-pid-1: needs --unshare-pid");
  for (size_t i = 0; i < plan->seccomp.n_block; i++)
    if (plan->seccomp.mode == SBX_SECCOMP_ALLOWLIST && plan->seccomp.block[i].n_conds > 0)
      sbx_die ("seccomp.block: %s: argument conditions work in deny-list mode only; in allow-list mode, "
               "allow the call with conditions instead", plan->seccomp.block[i].name);
  if (plan->info_fd >= 0 && plan->info_fd == plan->json_status_fd)
    sbx_die ("--info-fd and --json-status-fd: must be different file descriptors");

  sbx_overlay_finalize (plan);
  plan_dbus_proxy (plan);
  sbx_net_finalize (plan);
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    {
      const struct sbx_fs_op *op = &plan->fs_ops[i];
      struct stat st;
      if (plan->dbus_proxy != NULL && op->source == plan->dbus_proxy)
        continue;               /* the proxy makes it at launch */
      /* Sources are host paths, so they can be checked now, before anything
       * is created; the launch checks again and reports the same way. */
      if (is_bind (op->kind) && !op->optional && stat (op->source, &st) < 0)
        {
          if (op->origin != NULL)
            sbx_die ("%s: bind source: %s: %s", op->origin, op->source, strerror (errno));
          sbx_die_errno (errno, "bind source", op->source);
        }
      if (op->kind == SBX_FS_MQUEUE && !(plan->namespaces & SBX_NS_IPC))
        sbx_die ("--mqueue: needs --unshare-ipc");
    }

  char cwd[4096];
  if (getcwd (cwd, sizeof cwd) != NULL)
    plan->outer_cwd = sbx_xstrdup (cwd);
  plan->envp = build_envp (plan);

  /* The profiles and the filter cache steer later sandboxes: no sandbox
   * may write them. */
  char **dirs = sbx_profile_dirs ();
  size_t n_dirs = 0;
  while (dirs[n_dirs] != NULL)
    n_dirs++;
  plan->protected_paths = sbx_xcalloc (n_dirs + 1, sizeof *plan->protected_paths);
  for (size_t i = 0; i < n_dirs; i++)
    plan->protected_paths[plan->n_protected_paths++] = dirs[i];
  free (dirs);
  char *cache = sbx_bpfcache_dir ();
  if (cache != NULL)
    plan->protected_paths[plan->n_protected_paths++] = cache;

  /* The lifecycle registry steers --enter: no sandbox may even see it. */
  /* Both places a registry may be, whichever this launch uses. */
  plan->hidden_paths = sbx_xcalloc (2, sizeof *plan->hidden_paths);
  char *registry = sbx_registry_path ();
  char *fallback = sbx_xasprintf ("/run/user/%u/sbx", (unsigned) getuid ());
  if (registry != NULL)
    plan->hidden_paths[plan->n_hidden_paths++] = registry;
  if (registry == NULL || strcmp (registry, fallback) != 0)
    plan->hidden_paths[plan->n_hidden_paths++] = fallback;
  else
    free (fallback);
  if (plan->name == NULL)
    plan->name = plan_own (plan, sbx_registry_default_name (plan->profile, getpid ()));
}

bool
plan_needs_reaper (const struct sbx_plan *plan)
{
  return (plan->namespaces & SBX_NS_PID) && !plan->as_pid_1;
}

bool
plan_needs_monitor (const struct sbx_plan *plan)
{
  /* Without a pid namespace, no exit status to report and no new session,
   * sbx becomes the command itself: no fork, and the status is its own. */
  /* setsid() fails for a process-group leader, which sbx is when a shell
   * with job control starts it: a forked child is never one. */
  /* A D-Bus proxy lives as long as the monitor holds its pipe. */
  /* So does the network helper (net.h). A cgroup to remove, a timeout, a
   * summary, or a registered sandbox's record need one too. */
  return (plan->namespaces & SBX_NS_PID) || plan->json_status_fd >= 0 || plan->new_session
         || plan->dbus_proxy != NULL || sbx_net_needs_helper (plan)
         || sbx_limits_need_monitor (&plan->limits) || plan->name_given;
}

static void
print_quoted (FILE *out, const char *s)
{
  bool plain = s[0] != '\0';
  for (const char *p = s; *p; p++)
    if (!(isalnum ((unsigned char) *p) || strchr ("/._-+=:,@%", *p)))
      plain = false;
  if (plain)
    {
      fputs (s, out);
      return;
    }
  fputc ('\'', out);
  for (const char *p = s; *p; p++)
    if (*p == '\'')
      fputs ("'\\''", out);
    else
      fputc (*p, out);
  fputc ('\'', out);
}

static void
print_fs_op (FILE *out, const struct sbx_fs_op *op)
{
  if (sbx_fs_kind_is_overlay (op->kind))
    {
      sbx_overlay_print_op (out, op);
      return;
    }
  fprintf (out, "  %s%s", plan_fs_kind_name (op->kind), op->optional ? "-try" : "");
  if (op->kind == SBX_FS_CHMOD)
    fprintf (out, " %04o", (unsigned) op->perms);
  if (op->fd >= 0)
    fprintf (out, " fd:%d", op->fd);
  if (op->source != NULL)
    {
      fputc (' ', out);
      print_quoted (out, op->source);
    }
  fputc (' ', out);
  print_quoted (out, op->dest);
  if (op->kind != SBX_FS_CHMOD && op->perms != SBX_NO_PERMS)
    fprintf (out, " perms=%04o", (unsigned) op->perms);
  if (op->size != 0)
    fprintf (out, " size=%llu", (unsigned long long) op->size);
  fputc ('\n', out);
}

void
plan_print (const struct sbx_plan *plan, FILE *out)
{
  static const struct { unsigned bit; const char *name; } ns_names[] = {
    { SBX_NS_USER, "user" }, { SBX_NS_MOUNT, "mount" }, { SBX_NS_PID, "pid" },
    { SBX_NS_NET, "net" }, { SBX_NS_IPC, "ipc" }, { SBX_NS_UTS, "uts" },
    { SBX_NS_CGROUP, "cgroup" },
  };
  fprintf (out, "profile: %s (%s)\n", plan->profile ? plan->profile : "none",
           plan->profile_rule ? plan->profile_rule : "--noprofile");
  for (size_t i = 0; i < plan->n_host_mkdirs; i++)
    fprintf (out, "host-mkdir: %s\n", plan->host_mkdirs[i]);
  if (plan->dbus_proxy != NULL)
    {
      fprintf (out, "dbus-proxy: xdg-dbus-proxy %s %s --filter", plan->dbus_address, plan->dbus_proxy);
      for (size_t i = 0; i < plan->n_dbus_talk; i++)
        fprintf (out, " --talk=%s", plan->dbus_talk[i]);
      fputc ('\n', out);
    }
  fputs ("namespaces:", out);
  for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
    if (plan->namespaces & ns_names[i].bit)
      fprintf (out, " %s%s", ns_names[i].name, (plan->namespaces_try & ns_names[i].bit) ? "?" : "");
  fputc ('\n', out);
  fprintf (out, "uid-map: %u %u 1\n", (unsigned) plan->inner_uid, (unsigned) plan->outer_uid);
  fprintf (out, "gid-map: %u %u 1\n", (unsigned) plan->inner_gid, (unsigned) plan->outer_gid);
  fputs ("setgroups: deny\n", out);
  fputs ("process:", out);
  if (!plan_needs_monitor (plan))
    fputs (" exec-in-place", out);
  else
    fputs (plan_needs_reaper (plan) ? " monitor reaper" : " monitor", out);
  if (plan->die_with_parent)
    fputs (" die-with-parent", out);
  if (plan->new_session)
    fputs (" new-session", out);
  fputc ('\n', out);
  sbx_net_print (plan, out);
  sbx_limits_print (&plan->limits, out);
  fputs ("filesystem:\n  tmpfs / (new root)\n", out);
  for (size_t i = 0; i < plan->n_fs_ops; i++)
    print_fs_op (out, &plan->fs_ops[i]);
  fputs ("  pivot-root\n", out);
  if (plan->hostname != NULL)
    fprintf (out, "hostname: %s\n", plan->hostname);
  fputs ("chdir: ", out);
  print_quoted (out, plan->chdir ? plan->chdir : plan->outer_cwd ? plan->outer_cwd : "/");
  fputs (plan->chdir ? "\n" : " (or / if missing)\n", out);
  fputs ("environment:", out);
  for (size_t i = 0; i < plan->n_env_ops; i++)
    {
      const struct sbx_env_op *op = &plan->env_ops[i];
      if (op->kind == SBX_ENV_CLEAR)
        fputs (" clear", out);
      else if (op->kind == SBX_ENV_UNSET)
        fprintf (out, " unset:%s", op->name);
      else
        {
          fprintf (out, " set:%s=", op->name);
          print_quoted (out, op->value);
        }
    }
  fputs (plan->n_env_ops ? "\n" : " inherited\n", out);
  fputs ("capabilities:", out);
  if (plan->caps_keep == 0)
    fputs (" none", out);
  for (int cap = 0; cap < 64; cap++)
    if (plan->caps_keep & (UINT64_C (1) << cap))
      fprintf (out, " %s", sbx_cap_name (cap));
  fputs ("\nno-new-privs: yes\n", out);
  sbx_seccomp_policy_print (&plan->seccomp, out);
  for (size_t i = 0; i < plan->n_protected_paths; i++)
    fprintf (out, "read-only if visible: %s\n", plan->protected_paths[i]);
  fputs ("fds:", out);
  fputs (" 0 1 2", out);
  for (size_t i = 0; i < plan->n_keep_fds; i++)
    if (plan->keep_fds[i] > 2)
      fprintf (out, " %d", plan->keep_fds[i]);
  fputs (" (all others closed)\n", out);
  if (plan->info_fd >= 0)
    fprintf (out, "info-fd: %d\n", plan->info_fd);
  if (plan->json_status_fd >= 0)
    fprintf (out, "json-status-fd: %d\n", plan->json_status_fd);
  if (plan->name_given)
    fprintf (out, "name: %s\n", plan->name);
  for (size_t i = 0; i < plan->n_hidden_paths; i++)
    fprintf (out, "hidden: %s\n", plan->hidden_paths[i]);
  fputs ("command:", out);
  for (char **a = plan->argv; a && *a; a++)
    {
      fputc (' ', out);
      print_quoted (out, *a);
    }
  fputc ('\n', out);
  if (plan->argv0 != NULL)
    fprintf (out, "argv0: %s\n", plan->argv0);
}
