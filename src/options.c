#include "options.h"

#include "caps.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Parsing state that lives only while one input is read: modifiers that
 * apply to the next operation, and where the input came from. */
struct sbx_parse {
  struct sbx_plan *plan;
  mode_t next_perms;
  uint64_t next_size;
  const char *size_opt, *perms_opt;     /* which modifier is pending */
  enum sbx_action action;
};

static noreturn void __attribute__ ((format (printf, 3, 4)))
bad_input (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *fmt, ...)
{
  (void) ctx;
  char msg[768];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  sbx_die ("--%s: %s", opt->name, msg);
}

static unsigned long long
parse_number (const struct sbx_parse *ctx, const struct sbx_option *opt,
              const char *text, int base, unsigned long long max, const char *what)
{
  char *end = NULL;
  errno = 0;
  if (text[0] == '\0' || text[0] == '-' || text[0] == '+' || text[0] == ' ')
    bad_input (ctx, opt, "not a valid %s: '%s'", what, text);
  unsigned long long value = strtoull (text, &end, base);
  if (errno != 0 || *end != '\0' || value > max)
    bad_input (ctx, opt, "not a valid %s: '%s'", what, text);
  return value;
}

static int
parse_fd (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text)
{
  int fd = (int) parse_number (ctx, opt, text, 10, INT_MAX, "file descriptor");
  if (!sbx_fd_is_open (fd))
    bad_input (ctx, opt, "file descriptor %d is not open", fd);
  return fd;
}

static const char *
absolute_path (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *path)
{
  if (path[0] != '/')
    bad_input (ctx, opt, "destination must be an absolute path: '%s'", path);
  return path;
}

/* --- handlers --------------------------------------------------------- */

static void
handle_help (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt, (void) args;
  ctx->action = SBX_ACTION_HELP;
}

static void
handle_version (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt, (void) args;
  ctx->action = SBX_ACTION_VERSION;
}

static void
handle_dry_run (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt, (void) args;
  ctx->plan->dry_run = true;
}

/* data: the namespace bits; negative data removes them. */
static void
handle_unshare (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  if (opt->data < 0)
    {
      ctx->plan->namespaces &= ~(unsigned) -opt->data;
      ctx->plan->namespaces_try &= ~(unsigned) -opt->data;
      return;
    }
  ctx->plan->namespaces |= (unsigned) opt->data;
}

static void
handle_unshare_try (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  struct sbx_plan *plan = ctx->plan;
  /* An explicit non-try request for the same namespace wins. */
  if (!(plan->namespaces & (unsigned) opt->data))
    plan->namespaces_try |= (unsigned) opt->data;
  plan->namespaces |= (unsigned) opt->data;
}

static void
handle_id (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  /* (uid_t) -1 is "no id" to the kernel, and the overflow ids make no
   * sense as a mapping target. */
  unsigned long long id = parse_number (ctx, opt, args[0], 10, 4294967294ULL, "id");
  if (opt->data == 'u')
    ctx->plan->inner_uid = (uid_t) id;
  else
    ctx->plan->inner_gid = (gid_t) id;
}

static struct sbx_fs_op *
add_fs_op (struct sbx_parse *ctx, const struct sbx_option *opt, enum sbx_fs_kind kind)
{
  bool takes_perms = kind == SBX_FS_TMPFS || kind == SBX_FS_DIR || kind == SBX_FS_FILE
                     || kind == SBX_FS_BIND_DATA || kind == SBX_FS_RO_BIND_DATA;
  if (ctx->size_opt != NULL && kind != SBX_FS_TMPFS)
    bad_input (ctx, opt, "--size applies only to --tmpfs");
  if (ctx->perms_opt != NULL && !takes_perms)
    bad_input (ctx, opt, "--perms applies only to --tmpfs, --dir, --file and the data options");
  struct sbx_fs_op *op = plan_add_fs_op (ctx->plan, kind);
  op->perms = ctx->next_perms;
  op->size = ctx->next_size;
  ctx->next_perms = SBX_NO_PERMS;
  ctx->next_size = 0;
  ctx->perms_opt = ctx->size_opt = NULL;
  return op;
}

/* data: enum sbx_fs_kind. Options with -try set `optional`. */
static void
handle_bind (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  absolute_path (ctx, opt, args[1]);
  struct sbx_fs_op *op = add_fs_op (ctx, opt, (enum sbx_fs_kind) opt->data);
  op->source = args[0];
  op->dest = args[1];
  op->optional = strstr (opt->name, "-try") != NULL;
}

/* data: enum sbx_fs_kind; the one argument is the destination. */
static void
handle_dest_op (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  absolute_path (ctx, opt, args[0]);
  add_fs_op (ctx, opt, (enum sbx_fs_kind) opt->data)->dest = args[0];
}

static void
handle_symlink (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  absolute_path (ctx, opt, args[1]);
  if (args[0][0] == '\0')
    bad_input (ctx, opt, "the symlink target is empty");
  struct sbx_fs_op *op = add_fs_op (ctx, opt, SBX_FS_SYMLINK);
  op->source = args[0];
  op->dest = args[1];
}

/* data: enum sbx_fs_kind; arguments FD DEST. */
static void
handle_fd_op (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  int fd = parse_fd (ctx, opt, args[0]);
  absolute_path (ctx, opt, args[1]);
  struct sbx_fs_op *op = add_fs_op (ctx, opt, (enum sbx_fs_kind) opt->data);
  op->fd = fd;
  op->dest = args[1];
}

static mode_t
parse_mode (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text)
{
  return (mode_t) parse_number (ctx, opt, text, 8, 07777, "octal mode");
}

static void
handle_chmod (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  mode_t mode = parse_mode (ctx, opt, args[0]);
  absolute_path (ctx, opt, args[1]);
  struct sbx_fs_op *op = add_fs_op (ctx, opt, SBX_FS_CHMOD);
  op->perms = mode;
  op->dest = args[1];
}

static void
handle_perms (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (ctx->perms_opt != NULL)
    bad_input (ctx, opt, "given twice for the same operation");
  ctx->next_perms = parse_mode (ctx, opt, args[0]);
  ctx->perms_opt = opt->name;
}

static void
handle_size (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (ctx->size_opt != NULL)
    bad_input (ctx, opt, "given twice for the same operation");
  const char *text = args[0];
  char *end = NULL;
  errno = 0;
  if (text[0] < '0' || text[0] > '9')
    bad_input (ctx, opt, "not a valid size: '%s'", text);
  unsigned long long value = strtoull (text, &end, 10);
  unsigned shift = 0;
  if (*end != '\0' && end[1] == '\0')
    switch (*end)
      {
      case 'k': case 'K': shift = 10; end++; break;
      case 'm': case 'M': shift = 20; end++; break;
      case 'g': case 'G': shift = 30; end++; break;
      default: break;
      }
  if (errno != 0 || *end != '\0' || value == 0 || value > (ULLONG_MAX >> shift))
    bad_input (ctx, opt, "not a valid size: '%s' (bytes, or a number with K, M or G)", text);
  ctx->next_size = value << shift;
  ctx->size_opt = opt->name;
}

static void
handle_chdir (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  absolute_path (ctx, opt, args[0]);
  ctx->plan->chdir = args[0];
}

static void
check_env_name (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *name)
{
  if (name[0] == '\0' || strchr (name, '=') != NULL)
    bad_input (ctx, opt, "not a valid variable name: '%s'", name);
}

static void
handle_setenv (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  check_env_name (ctx, opt, args[0]);
  plan_add_env_op (ctx->plan, SBX_ENV_SET, args[0], args[1]);
}

static void
handle_unsetenv (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  check_env_name (ctx, opt, args[0]);
  plan_add_env_op (ctx->plan, SBX_ENV_UNSET, args[0], NULL);
}

static void
handle_clearenv (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt, (void) args;
  plan_add_env_op (ctx->plan, SBX_ENV_CLEAR, NULL, NULL);
}

static void
handle_hostname (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  size_t len = strlen (args[0]);
  if (len == 0 || len > 64)
    bad_input (ctx, opt, "a host name has 1 to 64 characters: '%s'", args[0]);
  ctx->plan->hostname = args[0];
}

/* data: offset of the bool in struct sbx_plan. */
static void
handle_flag (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  *(bool *) ((char *) ctx->plan + opt->data) = true;
}

static void
handle_argv0 (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt;
  ctx->plan->argv0 = args[0];
}

/* data: 1 to keep (--cap-add), 0 to drop (--cap-drop). */
static void
handle_cap (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  uint64_t bits;
  if (strcasecmp (args[0], "ALL") == 0)
    bits = sbx_caps_all ();
  else
    {
      int cap = sbx_cap_from_name (args[0]);
      if (cap < 0)
        bad_input (ctx, opt, "unknown capability: '%s'", args[0]);
      bits = UINT64_C (1) << cap;
    }
  if (opt->data)
    ctx->plan->caps_keep |= bits;
  else
    ctx->plan->caps_keep &= ~bits;
}

static void
handle_keep_fd (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  plan_keep_fd (ctx->plan, parse_fd (ctx, opt, args[0]));
}

/* data: offset of the int fd in struct sbx_plan. */
static void
handle_report_fd (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  int fd = parse_fd (ctx, opt, args[0]);
  if (fd <= STDERR_FILENO)
    bad_input (ctx, opt, "file descriptor %d is a standard stream", fd);
  *(int *) ((char *) ctx->plan + opt->data) = fd;
}

/* data: 1 to keep (caps.keep), 0 to drop (caps.drop); a list of names. */
static void
handle_cap_list (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  autofree char *copy = sbx_xstrdup (args[0]);
  char *save = NULL;
  int n = 0;
  for (char *name = strtok_r (copy, ", \t", &save); name != NULL; name = strtok_r (NULL, ", \t", &save))
    {
      char *one[] = { name };
      handle_cap (ctx, opt, one);
      n++;
    }
  if (n == 0)
    bad_input (ctx, opt, "no capability given");
}

static void
handle_seccomp (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_seccomp_policy *policy = &ctx->plan->seccomp;
  if (strcmp (args[0], "default") == 0)
    policy->mode = SBX_SECCOMP_DEFAULT;
  else if (strcmp (args[0], "none") == 0)
    policy->mode = SBX_SECCOMP_NONE;
  else if (strcmp (args[0], "allowlist") == 0)
    policy->mode = SBX_SECCOMP_ALLOWLIST;
  else if (args[0][0] >= '0' && args[0][0] <= '9')
    {
      /* bubblewrap's meaning: a compiled BPF program to load from FD. */
      int fd = parse_fd (ctx, opt, args[0]);
      policy->bpf_fds = sbx_xrealloc_array (policy->bpf_fds, policy->n_bpf_fds + 1, sizeof (int));
      policy->bpf_fds[policy->n_bpf_fds++] = fd;
    }
  else
    bad_input (ctx, opt, "unknown policy '%s' (default, none, allowlist, or a file descriptor)", args[0]);
}

static void
handle_add_seccomp_fd (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_seccomp_policy *policy = &ctx->plan->seccomp;
  int fd = parse_fd (ctx, opt, args[0]);
  policy->bpf_fds = sbx_xrealloc_array (policy->bpf_fds, policy->n_bpf_fds + 1, sizeof (int));
  policy->bpf_fds[policy->n_bpf_fds++] = fd;
}

/* data: 1 for seccomp.block, 0 for seccomp.allow. */
static void
handle_seccomp_rules (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  char err[512];
  if (!sbx_seccomp_parse_rules (&ctx->plan->seccomp, opt->data, args[0], err, sizeof err))
    bad_input (ctx, opt, "%s", err);
}

static void
handle_seccomp_allowlist (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  char err[512];
  if (!sbx_seccomp_add_allowlist (&ctx->plan->seccomp, args[0], err, sizeof err))
    bad_input (ctx, opt, "%s", err);
}

static void
handle_seccomp_errno (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_seccomp_policy *policy = &ctx->plan->seccomp;
  if (!sbx_seccomp_parse_errno (args[0], &policy->errnum))
    bad_input (ctx, opt, "unknown errno name '%s' (for example EPERM, ENOSYS, EACCES)", args[0]);
  policy->action = SBX_SC_ERRNO;
}

/* data: enum sbx_seccomp_action. */
static void
handle_seccomp_action (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  ctx->plan->seccomp.action = (enum sbx_seccomp_action) opt->data;
}

static void
handle_block_secondary (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (strcmp (args[0], "yes") == 0)
    ctx->plan->seccomp.block_secondary = true;
  else if (strcmp (args[0], "no") == 0)
    ctx->plan->seccomp.block_secondary = false;
  else
    bad_input (ctx, opt, "expects yes or no, not '%s'", args[0]);
}

/* data: offset of the bool in struct sbx_seccomp_policy. */
static void
handle_seccomp_flag (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  *(bool *) ((char *) &ctx->plan->seccomp + opt->data) = true;
}

static void
handle_protocol (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  char err[512];
  if (!sbx_seccomp_parse_protocols (args[0], &ctx->plan->seccomp.protocols, err, sizeof err))
    bad_input (ctx, opt, "%s", err);
}

static void
handle_seccomp_export (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt;
  ctx->plan->seccomp_export = args[0];
  ctx->action = SBX_ACTION_SECCOMP_EXPORT;
}

/* --- the table -------------------------------------------------------- */

#define FLAG(member) ((long) offsetof (struct sbx_plan, member))
#define SECCOMP_FLAG(member) ((long) offsetof (struct sbx_seccomp_policy, member))

static const struct sbx_option option_table[] = {
  { "help", 0, NULL, "Print this help and exit", SBX_SECT_GENERAL, handle_help, 0 },
  { "version", 0, NULL, "Print the version and exit", SBX_SECT_GENERAL, handle_version, 0 },
  { "dry-run", 0, NULL, "Print the plan and exit without creating anything", SBX_SECT_GENERAL, handle_dry_run, 0 },

  { "unshare-user", 0, NULL, "Create a user namespace (always on)", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_USER },
  { "unshare-user-try", 0, NULL, "Create a user namespace (always on)", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_USER },
  { "unshare-pid", 0, NULL, "Create a pid namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_PID },
  { "unshare-net", 0, NULL, "Create a network namespace with only lo", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_NET },
  { "unshare-ipc", 0, NULL, "Create an IPC namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_IPC },
  { "unshare-uts", 0, NULL, "Create a UTS (host name) namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_UTS },
  { "unshare-cgroup", 0, NULL, "Create a cgroup namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_CGROUP },
  { "unshare-cgroup-try", 0, NULL, "Create a cgroup namespace if the kernel can", SBX_SECT_NAMESPACES, handle_unshare_try, SBX_NS_CGROUP },
  { "unshare-all", 0, NULL, "Create every namespace: user, pid, net, ipc, uts, cgroup (if possible)", SBX_SECT_NAMESPACES, handle_unshare,
    SBX_NS_PID | SBX_NS_NET | SBX_NS_IPC | SBX_NS_UTS | SBX_NS_CGROUP },
  { "share-net", 0, NULL, "Keep the host's network namespace (after --unshare-all)", SBX_SECT_NAMESPACES, handle_unshare, -(long) SBX_NS_NET },

  { "uid", 1, "UID", "Map the caller's uid to UID inside (default: the caller's)", SBX_SECT_IDENTITY, handle_id, 'u' },
  { "gid", 1, "GID", "Map the caller's gid to GID inside (default: the caller's)", SBX_SECT_IDENTITY, handle_id, 'g' },

  { "bind", 2, "SRC DEST", "Bind mount the host path SRC on DEST, recursively", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_BIND },
  { "bind-try", 2, "SRC DEST", "As --bind, but skip it if SRC does not exist", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_BIND },
  { "ro-bind", 2, "SRC DEST", "Bind mount SRC read-only on DEST, submounts included", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_RO_BIND },
  { "ro-bind-try", 2, "SRC DEST", "As --ro-bind, but skip it if SRC does not exist", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_RO_BIND },
  { "dev-bind", 2, "SRC DEST", "Bind mount SRC on DEST, allowing device access", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_DEV_BIND },
  { "dev-bind-try", 2, "SRC DEST", "As --dev-bind, but skip it if SRC does not exist", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_DEV_BIND },
  { "tmpfs", 1, "DEST", "Mount a new tmpfs on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_TMPFS },
  { "proc", 1, "DEST", "Mount a new procfs on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_PROC },
  { "dev", 1, "DEST", "Mount a minimal /dev on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_DEV },
  { "mqueue", 1, "DEST", "Mount a new mqueue file system on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_MQUEUE },
  { "dir", 1, "DEST", "Create the directory DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_DIR },
  { "symlink", 2, "TARGET DEST", "Create the symbolic link DEST pointing to TARGET", SBX_SECT_FILESYSTEM, handle_symlink, SBX_FS_SYMLINK },
  { "file", 2, "FD DEST", "Copy the contents of FD to the new file DEST", SBX_SECT_FILESYSTEM, handle_fd_op, SBX_FS_FILE },
  { "bind-data", 2, "FD DEST", "Copy the contents of FD to DEST and bind mount it", SBX_SECT_FILESYSTEM, handle_fd_op, SBX_FS_BIND_DATA },
  { "ro-bind-data", 2, "FD DEST", "Copy the contents of FD to DEST and bind mount it read-only", SBX_SECT_FILESYSTEM, handle_fd_op, SBX_FS_RO_BIND_DATA },
  { "remount-ro", 1, "DEST", "Make the mount at DEST read-only", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_REMOUNT_RO },
  { "chmod", 2, "MODE PATH", "Change the permissions of PATH to the octal MODE", SBX_SECT_FILESYSTEM, handle_chmod, SBX_FS_CHMOD },
  { "perms", 1, "MODE", "Octal permissions for the next --tmpfs, --dir, --file or data option", SBX_SECT_FILESYSTEM, handle_perms, 0 },
  { "size", 1, "BYTES", "Size limit for the next --tmpfs (K, M and G suffixes allowed)", SBX_SECT_FILESYSTEM, handle_size, 0 },
  { "chdir", 1, "DIR", "Change to the directory DIR inside the sandbox", SBX_SECT_FILESYSTEM, handle_chdir, 0 },

  { "setenv", 2, "VAR VALUE", "Set the environment variable VAR to VALUE", SBX_SECT_PROCESS, handle_setenv, 0 },
  { "unsetenv", 1, "VAR", "Remove the environment variable VAR", SBX_SECT_PROCESS, handle_unsetenv, 0 },
  { "clearenv", 0, NULL, "Remove every environment variable (PWD is set again)", SBX_SECT_PROCESS, handle_clearenv, 0 },
  { "hostname", 1, "NAME", "Set the host name inside (implies --unshare-uts)", SBX_SECT_PROCESS, handle_hostname, 0 },
  { "die-with-parent", 0, NULL, "Kill the sandbox when the process that started sbx dies", SBX_SECT_PROCESS, handle_flag, FLAG (die_with_parent) },
  { "new-session", 0, NULL, "Run the command in a new terminal session (setsid)", SBX_SECT_PROCESS, handle_flag, FLAG (new_session) },
  { "as-pid-1", 0, NULL, "Run the command as pid 1, with no reaper (needs --unshare-pid)", SBX_SECT_PROCESS, handle_flag, FLAG (as_pid_1) },
  { "argv0", 1, "VALUE", "Run the command with argv[0] set to VALUE", SBX_SECT_PROCESS, handle_argv0, 0 },
  { "cap-add", 1, "CAP", "Keep the capability CAP, or ALL", SBX_SECT_PROCESS, handle_cap, 1 },
  { "cap-drop", 1, "CAP", "Drop the capability CAP, or ALL (the default)", SBX_SECT_PROCESS, handle_cap, 0 },
  { "keep-fd", 1, "FD", "Hand the file descriptor FD to the command (others are closed)", SBX_SECT_PROCESS, handle_keep_fd, 0 },

  { "seccomp", 1, "POLICY", "Seccomp policy: default, none or allowlist; a number loads a BPF program from that fd",
    SBX_SECT_SECURITY, handle_seccomp, 0 },
  { "seccomp.block", 1, "SYSCALLS", "Also refuse these system calls (NAME or NAME(argN OP VALUE), comma-separated)",
    SBX_SECT_SECURITY, handle_seccomp_rules, 1 },
  { "seccomp.allow", 1, "SYSCALLS", "Take these system calls off the deny-list, or add them to the allow-list",
    SBX_SECT_SECURITY, handle_seccomp_rules, 0 },
  { "seccomp.allowlist", 1, "LIST", "Allow-list mode: allow only these @groups, files of names, and system calls",
    SBX_SECT_SECURITY, handle_seccomp_allowlist, 0 },
  { "seccomp.errno", 1, "ERRNO", "The errno refused system calls return (default EPERM)", SBX_SECT_SECURITY,
    handle_seccomp_errno, 0 },
  { "seccomp.kill", 0, NULL, "Kill the process on a refused system call instead", SBX_SECT_SECURITY,
    handle_seccomp_action, SBX_SC_KILL },
  { "seccomp.log", 0, NULL, "Only log refused system calls (audit), letting them run", SBX_SECT_SECURITY,
    handle_seccomp_action, SBX_SC_LOG },
  { "seccomp.block-secondary", 1, "yes|no", "Refuse the i386 and x32 system call ABIs (default yes)",
    SBX_SECT_SECURITY, handle_block_secondary, 0 },
  { "allow-userns", 0, NULL, "Allow nested namespaces (unshare, clone with namespace flags)", SBX_SECT_SECURITY,
    handle_seccomp_flag, SECCOMP_FLAG (allow_userns) },
  { "allow-debuggers", 0, NULL, "Allow ptrace, process_vm_readv/writev and kcmp", SBX_SECT_SECURITY,
    handle_seccomp_flag, SECCOMP_FLAG (allow_debuggers) },
  { "protocol", 1, "FAMILIES", "Allow only these socket families (unix,inet,inet6,netlink,...)", SBX_SECT_SECURITY,
    handle_protocol, 0 },
  { "memory-deny-write-execute", 0, NULL, "Refuse memory that is both writable and executable", SBX_SECT_SECURITY,
    handle_seccomp_flag, SECCOMP_FLAG (mdwe) },
  { "add-seccomp-fd", 1, "FD", "Load one more compiled BPF program from FD, stacked on the policy", SBX_SECT_SECURITY,
    handle_add_seccomp_fd, 0 },
  { "seccomp-export", 1, "FILE", "Write the compiled policy filter to FILE and exit", SBX_SECT_SECURITY,
    handle_seccomp_export, 0 },
  { "caps.keep", 1, "CAPS", "Keep these capabilities (a list; the profile form of --cap-add)", SBX_SECT_SECURITY,
    handle_cap_list, 1 },
  { "caps.drop", 1, "CAPS", "Drop these capabilities, or all (the profile form of --cap-drop)", SBX_SECT_SECURITY,
    handle_cap_list, 0 },

  { "info-fd", 1, "FD", "Write the child pid and namespace ids to FD as JSON", SBX_SECT_REPORTING, handle_report_fd, FLAG (info_fd) },
  { "json-status-fd", 1, "FD", "Write JSON lines with the child pid and the exit status to FD", SBX_SECT_REPORTING, handle_report_fd,
    FLAG (json_status_fd) },
};

const struct sbx_option *
sbx_option_table (size_t *count)
{
  *count = sizeof option_table / sizeof option_table[0];
  return option_table;
}

const struct sbx_option *
sbx_option_find (const char *name)
{
  for (size_t i = 0; i < sizeof option_table / sizeof option_table[0]; i++)
    if (strcmp (option_table[i].name, name) == 0)
      return &option_table[i];
  return NULL;
}

const char *
sbx_section_title (enum sbx_opt_section section)
{
  static const char *const titles[SBX_SECT_COUNT] = {
    [SBX_SECT_GENERAL] = "General",
    [SBX_SECT_NAMESPACES] = "Namespaces",
    [SBX_SECT_IDENTITY] = "Identity",
    [SBX_SECT_FILESYSTEM] = "Filesystem (carried out in the order given)",
    [SBX_SECT_PROCESS] = "Process",
    [SBX_SECT_SECURITY] = "Seccomp and capabilities",
    [SBX_SECT_REPORTING] = "Reporting",
  };
  return titles[section];
}

void
sbx_print_help (FILE *out)
{
  size_t count;
  const struct sbx_option *table = sbx_option_table (&count);
  fputs ("Usage: sbx [OPTION]... [--] COMMAND [ARG]...\n"
         "Run COMMAND in a rootless sandbox made of Linux namespaces.\n", out);
  for (int section = 0; section < SBX_SECT_COUNT; section++)
    {
      fprintf (out, "\n%s:\n", sbx_section_title ((enum sbx_opt_section) section));
      for (size_t i = 0; i < count; i++)
        {
          if (table[i].section != (enum sbx_opt_section) section)
            continue;
          char left[64];
          snprintf (left, sizeof left, "--%s%s%s", table[i].name,
                    table[i].metavar ? " " : "", table[i].metavar ? table[i].metavar : "");
          fprintf (out, "  %-33s %s\n", left, table[i].help);
        }
    }
  fputs ("\nExit status: the command's own (128+N if signal N killed it); 125 if sbx\n"
         "failed or its input was bad; 126 if the command cannot be executed;\n"
         "127 if it was not found. See sbx(1).\n", out);
}

enum sbx_action
sbx_parse_command_line (struct sbx_plan *plan, int argc, char **argv)
{
  struct sbx_parse ctx = {
    .plan = plan,
    .next_perms = SBX_NO_PERMS,
    .action = SBX_ACTION_RUN,
  };
  int i = 1;
  while (i < argc)
    {
      const char *arg = argv[i];
      if (strcmp (arg, "--") == 0)
        {
          i++;
          break;
        }
      if (strncmp (arg, "--", 2) != 0)
        {
          if (arg[0] == '-' && arg[1] != '\0')
            {
              if (strcmp (arg, "-h") == 0)
                {
                  ctx.action = SBX_ACTION_HELP;
                  i++;
                  continue;
                }
              sbx_die ("unknown option '%s' (try 'sbx --help')", arg);
            }
          break;                /* the command */
        }
      const struct sbx_option *opt = sbx_option_find (arg + 2);
      if (opt == NULL)
        sbx_die ("unknown option '%s' (try 'sbx --help')", arg);
      if ((unsigned) (argc - i - 1) < opt->nargs)
        sbx_die ("%s: missing argument (expects %s)", arg, opt->metavar);
      opt->handle (&ctx, opt, &argv[i + 1]);
      i += 1 + (int) opt->nargs;
    }
  if (ctx.perms_opt != NULL || ctx.size_opt != NULL)
    sbx_die ("--%s: must be followed by the operation it applies to",
             ctx.perms_opt != NULL ? ctx.perms_opt : ctx.size_opt);
  if (ctx.action != SBX_ACTION_RUN)
    {
      plan->argv = i < argc ? &argv[i] : NULL;
      return ctx.action;
    }
  if (i >= argc)
    sbx_die ("no command given (usage: sbx [OPTION]... [--] COMMAND [ARG]...)");
  plan->argv = &argv[i];
  return ctx.action;
}
