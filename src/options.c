#include "options.h"

#include "parse.h"
#include "profile.h"
#include "registry.h"

#include "caps.h"
#include "net.h"
#include "limits.h"
#include "error.h"
#include "overlay.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>


noreturn void
sbx_parse_error (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *fmt, ...)
{
  char msg[768];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (ctx->where != NULL)
    sbx_die ("%s: %s: %s", ctx->where, opt->name, msg);
  sbx_die ("--%s: %s", opt->name, msg);
}

static unsigned long long
parse_number (const struct sbx_parse *ctx, const struct sbx_option *opt,
              const char *text, int base, unsigned long long max, const char *what)
{
  char *end = NULL;
  errno = 0;
  if (text[0] == '\0' || text[0] == '-' || text[0] == '+' || text[0] == ' ')
    sbx_parse_error (ctx, opt, "not a valid %s: '%s'", what, text);
  unsigned long long value = strtoull (text, &end, base);
  if (errno != 0 || *end != '\0' || value > max)
    sbx_parse_error (ctx, opt, "not a valid %s: '%s'", what, text);
  return value;
}

static int
parse_fd (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *text)
{
  int fd = (int) parse_number (ctx, opt, text, 10, INT_MAX, "file descriptor");
  if (!sbx_fd_is_open (fd))
    sbx_parse_error (ctx, opt, "file descriptor %d is not open", fd);
  return fd;
}

static const char *
absolute_path (const struct sbx_parse *ctx, const struct sbx_option *opt, const char *path)
{
  if (path[0] != '/')
    sbx_parse_error (ctx, opt, "destination must be an absolute path: '%s'", path);
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

/* data: the namespace bits; negative data removes them. An explicit
 * --unshare-X makes X required whatever else says "if possible". */
static void
handle_unshare (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  struct sbx_plan *plan = ctx->plan;
  if (opt->data < 0)
    {
      unsigned bits = (unsigned) -opt->data;
      plan->namespaces &= ~bits;
      plan->namespaces_try &= ~bits;
      plan->namespaces_required &= ~bits;
      return;
    }
  plan->namespaces |= (unsigned) opt->data;
  plan->namespaces_required |= (unsigned) opt->data;
  plan->namespaces_try &= ~(unsigned) opt->data;
}

/* data: the namespace bits to create if the kernel can. */
static void
handle_unshare_try (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  struct sbx_plan *plan = ctx->plan;
  plan->namespaces |= (unsigned) opt->data;
  plan->namespaces_try |= (unsigned) opt->data & ~plan->namespaces_required;
}

/* --unshare-all: every namespace, the cgroup one if the kernel has it. */
static void
handle_unshare_all (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) args;
  struct sbx_plan *plan = ctx->plan;
  plan->namespaces |= (unsigned) opt->data | SBX_NS_CGROUP;
  plan->namespaces_required |= (unsigned) opt->data;
  plan->namespaces_try |= SBX_NS_CGROUP & ~plan->namespaces_required;
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

struct sbx_fs_op *
sbx_parse_add_fs_op (struct sbx_parse *ctx, const struct sbx_option *opt, enum sbx_fs_kind kind)
{
  bool takes_perms = kind == SBX_FS_TMPFS || kind == SBX_FS_DIR || kind == SBX_FS_FILE
                     || kind == SBX_FS_BIND_DATA || kind == SBX_FS_RO_BIND_DATA;
  if (ctx->size_opt != NULL && kind != SBX_FS_TMPFS)
    sbx_parse_error (ctx, opt, "--size applies only to --tmpfs");
  if (ctx->perms_opt != NULL && !takes_perms)
    sbx_parse_error (ctx, opt, "--perms applies only to --tmpfs, --dir, --file and the data options");
  struct sbx_fs_op *op = plan_add_fs_op (ctx->plan, kind);
  op->perms = ctx->next_perms;
  op->size = ctx->next_size;
  op->origin = ctx->where != NULL ? plan_own (ctx->plan, sbx_xstrdup (ctx->where)) : NULL;
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
  struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, (enum sbx_fs_kind) opt->data);
  op->source = args[0];
  op->dest = args[1];
  op->optional = strstr (opt->name, "-try") != NULL;
}

/* data: enum sbx_fs_kind; the one argument is the destination. */
static void
handle_dest_op (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  absolute_path (ctx, opt, args[0]);
  sbx_parse_add_fs_op (ctx, opt, (enum sbx_fs_kind) opt->data)->dest = args[0];
}

static void
handle_symlink (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  absolute_path (ctx, opt, args[1]);
  if (args[0][0] == '\0')
    sbx_parse_error (ctx, opt, "the symlink target is empty");
  struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, SBX_FS_SYMLINK);
  op->source = args[0];
  op->dest = args[1];
}

/* data: enum sbx_fs_kind; arguments FD DEST. */
static void
handle_fd_op (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  int fd = parse_fd (ctx, opt, args[0]);
  absolute_path (ctx, opt, args[1]);
  struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, (enum sbx_fs_kind) opt->data);
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
  struct sbx_fs_op *op = sbx_parse_add_fs_op (ctx, opt, SBX_FS_CHMOD);
  op->perms = mode;
  op->dest = args[1];
}

static void
handle_perms (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (ctx->perms_opt != NULL)
    sbx_parse_error (ctx, opt, "given twice for the same operation");
  ctx->next_perms = parse_mode (ctx, opt, args[0]);
  ctx->perms_opt = opt->name;
}

static void
handle_size (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (ctx->size_opt != NULL)
    sbx_parse_error (ctx, opt, "given twice for the same operation");
  const char *text = args[0];
  char *end = NULL;
  errno = 0;
  if (text[0] < '0' || text[0] > '9')
    sbx_parse_error (ctx, opt, "not a valid size: '%s'", text);
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
    sbx_parse_error (ctx, opt, "not a valid size: '%s' (bytes, or a number with K, M or G)", text);
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
    sbx_parse_error (ctx, opt, "not a valid variable name: '%s'", name);
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
    sbx_parse_error (ctx, opt, "a host name has 1 to 64 characters: '%s'", args[0]);
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
        sbx_parse_error (ctx, opt, "unknown capability: '%s'", args[0]);
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
    sbx_parse_error (ctx, opt, "file descriptor %d is a standard stream", fd);
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
    sbx_parse_error (ctx, opt, "no capability given");
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
    sbx_parse_error (ctx, opt, "unknown policy '%s' (default, none, allowlist, or a file descriptor)", args[0]);
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
    sbx_parse_error (ctx, opt, "%s", err);
}

static void
handle_seccomp_allowlist (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  char err[512];
  if (!sbx_seccomp_add_allowlist (&ctx->plan->seccomp, args[0], err, sizeof err))
    sbx_parse_error (ctx, opt, "%s", err);
}

static void
handle_seccomp_errno (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_seccomp_policy *policy = &ctx->plan->seccomp;
  if (!sbx_seccomp_parse_errno (args[0], &policy->errnum))
    sbx_parse_error (ctx, opt, "unknown errno name '%s' (for example EPERM, ENOSYS, EACCES)", args[0]);
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
    sbx_parse_error (ctx, opt, "expects yes or no, not '%s'", args[0]);
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
    sbx_parse_error (ctx, opt, "%s", err);
}

static void
handle_seccomp_export (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt;
  ctx->plan->seccomp_export = args[0];
  ctx->action = SBX_ACTION_SECCOMP_EXPORT;
}

static void
handle_profile (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt;
  sbx_profile_apply (ctx, args[0]);
  ctx->plan->profile_rule = "--profile";
}

/* --noprofile, --enable and --ignore are read by the pre-scan, before any
 * profile is applied. */
static void
handle_prescanned (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) ctx, (void) opt, (void) args;
}

static void
handle_print_profile (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt;
  FILE *saved = ctx->print_to;
  ctx->print_to = stdout;
  sbx_profile_apply (ctx, args[0]);
  ctx->print_to = saved;
  ctx->action = SBX_ACTION_DONE;
}

/* data: 1 for --wrap, 0 for --unwrap; a list of names. */
static void
handle_wrap (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  char *copy = plan_own (plan, sbx_xstrdup (args[0]));
  char *save = NULL;
  for (char *name = strtok_r (copy, ", \t", &save); name; name = strtok_r (NULL, ", \t", &save))
    {
      char ***list = opt->data ? &plan->wrap : &plan->unwrap;
      size_t *n = opt->data ? &plan->n_wrap : &plan->n_unwrap;
      *list = sbx_xrealloc_array (*list, *n + 1, sizeof **list);
      (*list)[(*n)++] = name;
    }
  if ((opt->data ? plan->n_wrap : plan->n_unwrap) == 0)
    sbx_parse_error (ctx, opt, "no program name given");
  ctx->action = SBX_ACTION_WRAPPERS;
}

static void
handle_wrap_dir (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (args[0][0] != '/')
    sbx_parse_error (ctx, opt, "must be an absolute path: '%s'", args[0]);
  ctx->plan->wrap_dir = args[0];
}

static void
handle_list_wrapped (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt, (void) args;
  ctx->plan->list_wrapped = true;
  ctx->action = SBX_ACTION_WRAPPERS;
}

/* --- lifecycle ---------------------------------------------------------- */

static void
handle_name (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  if (!sbx_registry_valid_name (args[0]))
    sbx_parse_error (ctx, opt, "not a valid name: '%s' (letters, digits, '_', '.', '-'; at most %d; not "
                     "starting with '.' or '-')", args[0], SBX_NAME_MAX);
  ctx->plan->name = args[0];
  ctx->plan->name_given = true;
}

static void
handle_json (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  (void) opt, (void) args;
  ctx->plan->json = true;
}

/* data: the verb; --enter, --stop and --kill name a sandbox. */
static void
handle_lifecycle (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  struct sbx_plan *plan = ctx->plan;
  if (plan->verb != SBX_VERB_NONE)
    sbx_parse_error (ctx, opt, "only one of --list, --enter, --stop and --kill at a time");
  plan->verb = (enum sbx_lifecycle_verb) opt->data;
  if (opt->nargs > 0)
    {
      if (!sbx_registry_valid_name (args[0]))
        sbx_parse_error (ctx, opt, "not a valid sandbox name: '%s'", args[0]);
      plan->verb_target = args[0];
    }
  if (opt->nargs > 1)
    plan->kill_signal = args[1];
  ctx->action = SBX_ACTION_LIFECYCLE;
}

/* --- the table -------------------------------------------------------- */

#define FLAG(member) ((long) offsetof (struct sbx_plan, member))
#define SECCOMP_FLAG(member) ((long) offsetof (struct sbx_seccomp_policy, member))

static const struct sbx_option option_table[] = {
  { "help", 0, NULL, "Print this help and exit", SBX_SECT_GENERAL, handle_help, 0, SBX_OPT_CLI_ONLY },
  { "version", 0, NULL, "Print the version and exit", SBX_SECT_GENERAL, handle_version, 0, SBX_OPT_CLI_ONLY },
  { "dry-run", 0, NULL, "Print the plan and exit without creating anything", SBX_SECT_GENERAL, handle_dry_run, 0,
    SBX_OPT_CLI_ONLY },
  { "json", 0, NULL, "Print machine-readable JSON (with --list and --diff)", SBX_SECT_GENERAL, handle_json, 0, SBX_OPT_CLI_ONLY },
  { "diff", 1, "DIR", "List what a --cow run changed in DIR (added, modified, deleted), and exit", SBX_SECT_GENERAL,
    sbx_handle_changes, 0, SBX_OPT_CLI_ONLY },
  { "commit", 1, "DIR", "Apply the changes in DIR onto the --to tree (a dry run without --yes), and exit",
    SBX_SECT_GENERAL, sbx_handle_changes, 0, SBX_OPT_CLI_ONLY },
  { "to", 1, "ROOT", "The tree --diff compares with and --commit writes to (default /)", SBX_SECT_GENERAL,
    sbx_handle_commit_to, 0, SBX_OPT_CLI_ONLY },
  { "yes", 0, NULL, "Let --commit change the tree", SBX_SECT_GENERAL, handle_flag, FLAG (yes), SBX_OPT_CLI_ONLY },
  { "discard", 1, "DIR", "Remove the upper and work folders of a --cow DIR, and exit", SBX_SECT_GENERAL,
    sbx_handle_changes, 0, SBX_OPT_CLI_ONLY },

  { "profile", 1, "NAME", "Apply the profile NAME (or the file at a path); later options extend it",
    SBX_SECT_PROFILES, handle_profile, 0, SBX_OPT_CLI_ONLY },
  { "noprofile", 0, NULL, "Apply no profile", SBX_SECT_PROFILES, handle_prescanned, 0, SBX_OPT_CLI_ONLY },
  { "print-profile", 1, "NAME", "Print the resolved directives of NAME with their file:line, and exit",
    SBX_SECT_PROFILES, handle_print_profile, 0, SBX_OPT_CLI_ONLY },
  { "enable", 1, "NAME", "Apply the profile's optional ?NAME lines", SBX_SECT_PROFILES, handle_prescanned, 0,
    SBX_OPT_CLI_ONLY },
  { "ignore", 1, "DIRECTIVE", "Drop the profile's DIRECTIVE lines", SBX_SECT_PROFILES, handle_prescanned, 0,
    SBX_OPT_CLI_ONLY },
  { "wrap", 1, "NAMES", "Create wrapper symlinks NAME -> sbx (in ~/.local/bin), and exit", SBX_SECT_PROFILES,
    handle_wrap, 1, SBX_OPT_CLI_ONLY },
  { "unwrap", 1, "NAMES", "Remove those wrapper symlinks, and exit", SBX_SECT_PROFILES, handle_wrap, 0,
    SBX_OPT_CLI_ONLY },
  { "wrap-dir", 1, "DIR", "The folder for --wrap, --unwrap and --list-wrapped", SBX_SECT_PROFILES, handle_wrap_dir,
    0, SBX_OPT_CLI_ONLY },
  { "list-wrapped", 0, NULL, "List the wrapper symlinks, and exit", SBX_SECT_PROFILES, handle_list_wrapped, 0,
    SBX_OPT_CLI_ONLY },
  { "home-private", 0, NULL, "An empty tmpfs as the home folder", SBX_SECT_PROFILES, sbx_directive_home_private, 0, 0 },
  { "home-bind", 1, "PATHS", "Bind these paths under home back, read-write, if they exist", SBX_SECT_PROFILES,
    sbx_directive_home_bind, 0, SBX_OPT_LIST },
  { "mkdir", 1, "PATH", "Create the folder PATH under home on the host first", SBX_SECT_PROFILES,
    sbx_directive_mkdir, 0, 0 },
  { "private-tmp", 0, NULL, "An empty tmpfs on /tmp", SBX_SECT_PROFILES, sbx_directive_private_tmp, 0, 0 },
  { "ro-system", 0, NULL, "/usr, /etc and the /bin, /lib, /lib64, /sbin links, read-only", SBX_SECT_PROFILES,
    sbx_directive_ro_system, 0, 0 },
  { "cwd-rw", 0, NULL, "The current directory read-write, and start there", SBX_SECT_PROFILES,
    sbx_directive_cwd_rw, 0, 0 },
  { "net", 1, "MODE", "Network: none (lo only), host, user (pasta/slirp4netns) or allow=DOMAIN[:PORT][,DOMAIN[:PORT]...]", SBX_SECT_PROFILES, sbx_directive_net, 0, 0 },
  { "x11", 0, NULL, "The X server socket and its cookie", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "wayland", 0, NULL, "The Wayland compositor socket", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "pulseaudio", 0, NULL, "The PulseAudio socket", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "pipewire", 0, NULL, "The PipeWire socket", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "dri", 0, NULL, "The GPU device nodes", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "dbus-session", 0, NULL, "The D-Bus session bus socket", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "dbus-talk", 1, "NAME", "A bus name the sandbox may talk to, for a filtering proxy", SBX_SECT_PROFILES,
    sbx_directive_dbus_talk, 0, 0 },
  { "fonts-themes", 0, NULL, "Fonts, icon and GTK themes, read-only", SBX_SECT_PROFILES, sbx_directive_desktop, 0, 0 },
  { "cow", 1, "DIR", "Every read-only bind becomes copy-on-write, writes going to DIR/upper", SBX_SECT_PROFILES,
    sbx_handle_cow, 0, 0 },
  { "cow-tmp", 0, NULL, "As --cow, with the writes on a tmpfs discarded at exit", SBX_SECT_PROFILES, sbx_handle_cow,
    0, 0 },
  { "overlay-backend", 1, "kernel|fuse|auto", "Who serves overlays: kernel overlayfs, sbx's FUSE server, or the one "
    "the plan needs (auto)", SBX_SECT_PROFILES, sbx_handle_overlay_backend, 0, 0 },

  { "unshare-user", 0, NULL, "Create a user namespace (always on)", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_USER, 0 },
  { "unshare-user-try", 0, NULL, "Create a user namespace (always on)", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_USER, 0 },
  { "unshare-pid", 0, NULL, "Create a pid namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_PID, 0 },
  { "unshare-net", 0, NULL, "Create a network namespace with only lo", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_NET, 0 },
  { "unshare-ipc", 0, NULL, "Create an IPC namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_IPC, 0 },
  { "unshare-uts", 0, NULL, "Create a UTS (host name) namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_UTS, 0 },
  { "unshare-cgroup", 0, NULL, "Create a cgroup namespace", SBX_SECT_NAMESPACES, handle_unshare, SBX_NS_CGROUP, 0 },
  { "unshare-cgroup-try", 0, NULL, "Create a cgroup namespace if the kernel can", SBX_SECT_NAMESPACES, handle_unshare_try, SBX_NS_CGROUP, 0 },
  { "unshare-all", 0, NULL, "Create every namespace: user, pid, net, ipc, uts, cgroup (if possible)", SBX_SECT_NAMESPACES, handle_unshare_all,
    SBX_NS_PID | SBX_NS_NET | SBX_NS_IPC | SBX_NS_UTS, 0 },
  { "share-net", 0, NULL, "Keep the host's network namespace (after --unshare-all)", SBX_SECT_NAMESPACES, handle_unshare, -(long) SBX_NS_NET, 0 },
  /* Networking (net.h): the modes themselves are the `net` directive. */
  { "net-backend", 1, "NAME", "With --net user: pasta or slirp4netns (default: pasta if installed)", SBX_SECT_NAMESPACES,
    sbx_net_handle_option, SBX_NETOPT_BACKEND, 0 },
  { "port", 1, "[ADDR:]HOSTPORT:SANDBOXPORT[/tcp|/udp]", "With --net user: forward a host port (127.0.0.1 by default) into the sandbox",
    SBX_SECT_NAMESPACES, sbx_net_handle_option, SBX_NETOPT_PORT, 0 },
  { "host-loopback", 0, NULL, "With --net user: let the sandbox reach the host's 127.0.0.1 through the gateway", SBX_SECT_NAMESPACES,
    sbx_net_handle_option, SBX_NETOPT_HOST_LOOPBACK, 0 },
  { "dns", 1, "ADDR", "Write the sandbox's own resolv.conf with this name server", SBX_SECT_NAMESPACES,
    sbx_net_handle_option, SBX_NETOPT_DNS, 0 },
  { "hosts-file", 1, "FILE", "Install FILE as the sandbox's /etc/hosts (the allow-list proxy resolves with it too)", SBX_SECT_NAMESPACES,
    sbx_net_handle_option, SBX_NETOPT_HOSTS_FILE, 0 },
  { "net-log", 1, "FILE", "With --net allow=: append each proxy decision to FILE", SBX_SECT_NAMESPACES,
    sbx_net_handle_option, SBX_NETOPT_LOG, 0 },

  { "uid", 1, "UID", "Map the caller's uid to UID inside (default: the caller's)", SBX_SECT_IDENTITY, handle_id, 'u', 0 },
  { "gid", 1, "GID", "Map the caller's gid to GID inside (default: the caller's)", SBX_SECT_IDENTITY, handle_id, 'g', 0 },

  { "bind", 2, "SRC DEST", "Bind mount the host path SRC on DEST, recursively", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_BIND, 0 },
  { "bind-try", 2, "SRC DEST", "As --bind, but skip it if SRC does not exist", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_BIND, 0 },
  { "ro-bind", 2, "SRC DEST", "Bind mount SRC read-only on DEST, submounts included", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_RO_BIND, 0 },
  { "ro-bind-try", 2, "SRC DEST", "As --ro-bind, but skip it if SRC does not exist", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_RO_BIND, 0 },
  { "dev-bind", 2, "SRC DEST", "Bind mount SRC on DEST, allowing device access", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_DEV_BIND, 0 },
  { "dev-bind-try", 2, "SRC DEST", "As --dev-bind, but skip it if SRC does not exist", SBX_SECT_FILESYSTEM, handle_bind, SBX_FS_DEV_BIND, 0 },
  { "tmpfs", 1, "DEST", "Mount a new tmpfs on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_TMPFS, 0 },
  { "proc", 1, "DEST", "Mount a new procfs on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_PROC, 0 },
  { "dev", 1, "DEST", "Mount a minimal /dev on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_DEV, 0 },
  { "mqueue", 1, "DEST", "Mount a new mqueue file system on DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_MQUEUE, 0 },
  { "dir", 1, "DEST", "Create the directory DEST", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_DIR, 0 },
  { "symlink", 2, "TARGET DEST", "Create the symbolic link DEST pointing to TARGET", SBX_SECT_FILESYSTEM, handle_symlink, SBX_FS_SYMLINK, 0 },
  { "file", 2, "FD DEST", "Copy the contents of FD to the new file DEST", SBX_SECT_FILESYSTEM, handle_fd_op, SBX_FS_FILE, 0 },
  { "bind-data", 2, "FD DEST", "Copy the contents of FD to DEST and bind mount it", SBX_SECT_FILESYSTEM, handle_fd_op, SBX_FS_BIND_DATA, 0 },
  { "ro-bind-data", 2, "FD DEST", "Copy the contents of FD to DEST and bind mount it read-only", SBX_SECT_FILESYSTEM, handle_fd_op, SBX_FS_RO_BIND_DATA, 0 },
  { "remount-ro", 1, "DEST", "Make the mount at DEST read-only", SBX_SECT_FILESYSTEM, handle_dest_op, SBX_FS_REMOUNT_RO, 0 },
  { "overlay-src", 1, "SRC", "A lower layer for the next overlay (repeatable; later ones on top)",
    SBX_SECT_FILESYSTEM, sbx_handle_overlay_src, 0, 0 },
  { "overlay", 3, "RWSRC WORKDIR DEST", "Mount an overlay on DEST, writes going to RWSRC (WORKDIR on its file system)",
    SBX_SECT_FILESYSTEM, sbx_handle_overlay, SBX_FS_OVERLAY, 0 },
  { "tmp-overlay", 1, "DEST", "Mount an overlay on DEST, writes going to a tmpfs discarded at exit",
    SBX_SECT_FILESYSTEM, sbx_handle_overlay, SBX_FS_TMP_OVERLAY, 0 },
  { "ro-overlay", 1, "DEST", "Mount a read-only overlay of two or more layers on DEST", SBX_SECT_FILESYSTEM,
    sbx_handle_overlay, SBX_FS_RO_OVERLAY, 0 },
  { "rootfs", 1, "DIR", "Use the unpacked root file system DIR as / (with its own /proc and /dev)",
    SBX_SECT_FILESYSTEM, sbx_handle_rootfs, 0, 0 },
  { "image", 1, "PATH", "Run from an OCI image layout folder or a docker/podman save tarball",
    SBX_SECT_FILESYSTEM, sbx_handle_image, 0, 0 },
  { "chmod", 2, "MODE PATH", "Change the permissions of PATH to the octal MODE", SBX_SECT_FILESYSTEM, handle_chmod, SBX_FS_CHMOD, 0 },
  { "perms", 1, "MODE", "Octal permissions for the next --tmpfs, --dir, --file or data option", SBX_SECT_FILESYSTEM, handle_perms, 0, 0 },
  { "size", 1, "BYTES", "Size limit for the next --tmpfs (K, M and G suffixes allowed)", SBX_SECT_FILESYSTEM, handle_size, 0, 0 },
  { "chdir", 1, "DIR", "Change to the directory DIR inside the sandbox", SBX_SECT_FILESYSTEM, handle_chdir, 0, 0 },

  { "setenv", 2, "VAR VALUE", "Set the environment variable VAR to VALUE", SBX_SECT_PROCESS, handle_setenv, 0, 0 },
  { "unsetenv", 1, "VAR", "Remove the environment variable VAR", SBX_SECT_PROCESS, handle_unsetenv, 0, 0 },
  { "clearenv", 0, NULL, "Remove every environment variable (PWD is set again)", SBX_SECT_PROCESS, handle_clearenv, 0, 0 },
  { "hostname", 1, "NAME", "Set the host name inside (implies --unshare-uts)", SBX_SECT_PROCESS, handle_hostname, 0, 0 },
  { "die-with-parent", 0, NULL, "Kill the sandbox when the process that started sbx dies", SBX_SECT_PROCESS, handle_flag, FLAG (die_with_parent), 0 },
  { "new-session", 0, NULL, "Run the command in a new terminal session (setsid)", SBX_SECT_PROCESS, handle_flag, FLAG (new_session), 0 },
  { "as-pid-1", 0, NULL, "Run the command as pid 1, with no reaper (needs --unshare-pid)", SBX_SECT_PROCESS, handle_flag, FLAG (as_pid_1), 0 },
  { "argv0", 1, "VALUE", "Run the command with argv[0] set to VALUE", SBX_SECT_PROCESS, handle_argv0, 0, 0 },
  { "cap-add", 1, "CAP", "Keep the capability CAP, or ALL", SBX_SECT_PROCESS, handle_cap, 1, 0 },
  { "cap-drop", 1, "CAP", "Drop the capability CAP, or ALL (the default)", SBX_SECT_PROCESS, handle_cap, 0, 0 },
  { "keep-fd", 1, "FD", "Hand the file descriptor FD to the command (others are closed)", SBX_SECT_PROCESS, handle_keep_fd, 0, 0 },

  { "seccomp", 1, "POLICY", "Seccomp policy: default, none or allowlist; a number loads a BPF program from that fd",
    SBX_SECT_SECURITY, handle_seccomp, 0, 0 },
  { "seccomp.block", 1, "SYSCALLS", "Also refuse these system calls (NAME or NAME(argN OP VALUE), comma-separated)",
    SBX_SECT_SECURITY, handle_seccomp_rules, 1, SBX_OPT_LIST },
  { "seccomp.allow", 1, "SYSCALLS", "Take these system calls off the deny-list, or add them to the allow-list",
    SBX_SECT_SECURITY, handle_seccomp_rules, 0, SBX_OPT_LIST },
  { "seccomp.allowlist", 1, "LIST", "Allow-list mode: allow only these @groups, files of names, and system calls",
    SBX_SECT_SECURITY, handle_seccomp_allowlist, 0, SBX_OPT_LIST },
  { "seccomp.errno", 1, "ERRNO", "The errno of seccomp.block rules and allow-list refusals (default EPERM)", SBX_SECT_SECURITY,
    handle_seccomp_errno, 0, 0 },
  { "seccomp.kill", 0, NULL, "Kill the process on a refused system call instead", SBX_SECT_SECURITY,
    handle_seccomp_action, SBX_SC_KILL, 0 },
  { "seccomp.log", 0, NULL, "Only log refused system calls (audit), letting them run", SBX_SECT_SECURITY,
    handle_seccomp_action, SBX_SC_LOG, 0 },
  { "seccomp.block-secondary", 1, "yes|no", "Refuse the i386 and x32 system call ABIs (default yes)",
    SBX_SECT_SECURITY, handle_block_secondary, 0, 0 },
  { "allow-userns", 0, NULL, "Allow nested namespaces (unshare, clone with namespace flags)", SBX_SECT_SECURITY,
    handle_seccomp_flag, SECCOMP_FLAG (allow_userns), 0 },
  { "allow-debuggers", 0, NULL, "Allow ptrace, process_vm_readv/writev and kcmp", SBX_SECT_SECURITY,
    handle_seccomp_flag, SECCOMP_FLAG (allow_debuggers), 0 },
  { "protocol", 1, "FAMILIES", "Allow only these socket families (unix,inet,inet6,netlink,...)", SBX_SECT_SECURITY,
    handle_protocol, 0, SBX_OPT_LIST },
  { "memory-deny-write-execute", 0, NULL, "Refuse memory that is both writable and executable", SBX_SECT_SECURITY,
    handle_seccomp_flag, SECCOMP_FLAG (mdwe), 0 },
  { "add-seccomp-fd", 1, "FD", "Load one more compiled BPF program from FD, stacked on the policy", SBX_SECT_SECURITY,
    handle_add_seccomp_fd, 0, 0 },
  { "seccomp-export", 1, "FILE", "Write the compiled policy filter to FILE and exit", SBX_SECT_SECURITY,
    handle_seccomp_export, 0, SBX_OPT_CLI_ONLY },
  { "caps.keep", 1, "CAPS", "Keep these capabilities (a list; the profile form of --cap-add)", SBX_SECT_SECURITY,
    handle_cap_list, 1, SBX_OPT_LIST },
  { "caps.drop", 1, "CAPS", "Drop these capabilities, or all (the profile form of --cap-drop)", SBX_SECT_SECURITY,
    handle_cap_list, 0, SBX_OPT_LIST },

  { "name", 1, "NAME", "Register the sandbox as NAME (default: PROFILE-PID) for --list, --enter, --stop",
    SBX_SECT_GENERAL, handle_name, 0, SBX_OPT_CLI_ONLY },
  { "list", 0, NULL, "List the running sandboxes, and exit", SBX_SECT_GENERAL, handle_lifecycle, SBX_VERB_LIST,
    SBX_OPT_CLI_ONLY },
  { "enter", 1, "NAME", "Run COMMAND (default $SHELL) inside the running sandbox NAME", SBX_SECT_GENERAL,
    handle_lifecycle, SBX_VERB_ENTER, SBX_OPT_CLI_ONLY },
  { "stop", 1, "NAME", "Stop the sandbox NAME: SIGTERM, then SIGKILL after 10 s", SBX_SECT_GENERAL, handle_lifecycle,
    SBX_VERB_STOP, SBX_OPT_CLI_ONLY },
  { "kill", 2, "NAME SIGNAL", "Send SIGNAL (a name or number) to the sandbox NAME", SBX_SECT_GENERAL, handle_lifecycle,
    SBX_VERB_KILL, SBX_OPT_CLI_ONLY },

  { "info-fd", 1, "FD", "Write the child pid and namespace ids to FD as JSON", SBX_SECT_REPORTING, handle_report_fd, FLAG (info_fd), 0 },
  { "json-status-fd", 1, "FD", "Write JSON lines with the child pid and the exit status to FD", SBX_SECT_REPORTING, handle_report_fd,
    FLAG (json_status_fd), 0 },

  { "memory", 1, "SIZE", "Memory limit (cgroup memory.max; K, M, G suffixes; no swap unless --memory-swap)",
    SBX_SECT_LIMITS, sbx_handle_cg_limit, SBX_LIM_MEMORY, 0 },
  { "memory-swap", 1, "SIZE", "Swap the sandbox may use besides --memory (memory.swap.max)", SBX_SECT_LIMITS,
    sbx_handle_cg_limit, SBX_LIM_SWAP, 0 },
  { "pids", 1, "N", "At most N processes and threads (pids.max)", SBX_SECT_LIMITS, sbx_handle_cg_limit,
    SBX_LIM_PIDS, 0 },
  { "cpus", 1, "FLOAT", "CPU bandwidth, in CPUs: 0.5 is half of one (cpu.max)", SBX_SECT_LIMITS,
    sbx_handle_cg_limit, SBX_LIM_CPUS, 0 },
  { "cpu-weight", 1, "N", "CPU weight, 1 to 10000, default 100 (cpu.weight)", SBX_SECT_LIMITS,
    sbx_handle_cg_limit, SBX_LIM_CPU_WEIGHT, 0 },
  { "io-weight", 1, "N", "I/O weight, 1 to 10000, default 100 (io.weight)", SBX_SECT_LIMITS,
    sbx_handle_cg_limit, SBX_LIM_IO_WEIGHT, 0 },
  { "limits-best-effort", 0, NULL, "Without a delegated cgroup, fall back to rlimits and warn", SBX_SECT_LIMITS,
    sbx_handle_limit_flag, 'b', 0 },
  { "rlimit-as", 1, "SIZE", "RLIMIT_AS: address space of each process (or unlimited)", SBX_SECT_LIMITS,
    sbx_handle_rlimit, SBX_RL_AS, 0 },
  { "rlimit-nproc", 1, "N", "RLIMIT_NPROC: processes of the sandbox's user", SBX_SECT_LIMITS, sbx_handle_rlimit,
    SBX_RL_NPROC, 0 },
  { "rlimit-nofile", 1, "N", "RLIMIT_NOFILE: open files per process", SBX_SECT_LIMITS, sbx_handle_rlimit,
    SBX_RL_NOFILE, 0 },
  { "rlimit-fsize", 1, "SIZE", "RLIMIT_FSIZE: largest file a process may write", SBX_SECT_LIMITS,
    sbx_handle_rlimit, SBX_RL_FSIZE, 0 },
  { "rlimit-cpu", 1, "SECONDS", "RLIMIT_CPU: CPU time of each process", SBX_SECT_LIMITS, sbx_handle_rlimit,
    SBX_RL_CPU, 0 },
  { "rlimit-core", 1, "SIZE", "RLIMIT_CORE: largest core dump (0: none)", SBX_SECT_LIMITS, sbx_handle_rlimit,
    SBX_RL_CORE, 0 },
  { "timeout", 1, "DURATION", "SIGTERM the sandbox after DURATION (10, 1.5s, 2m, 1h); exit status 124",
    SBX_SECT_LIMITS, sbx_handle_duration, 't', 0 },
  { "kill-after", 1, "DURATION", "After --timeout's SIGTERM, SIGKILL after DURATION (default 5s)",
    SBX_SECT_LIMITS, sbx_handle_duration, 'k', 0 },
  { "stats", 0, NULL, "At exit, print peak memory, CPU time and any limit reached", SBX_SECT_LIMITS,
    sbx_handle_limit_flag, 's', 0 },
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
    [SBX_SECT_PROFILES] = "Profiles and high-level directives (also profile lines)",
    [SBX_SECT_NAMESPACES] = "Namespaces",
    [SBX_SECT_IDENTITY] = "Identity",
    [SBX_SECT_FILESYSTEM] = "Filesystem (carried out in the order given)",
    [SBX_SECT_PROCESS] = "Process",
    [SBX_SECT_SECURITY] = "Seccomp and capabilities",
    [SBX_SECT_REPORTING] = "Reporting",
    [SBX_SECT_LIMITS] = "Resource limits (also profile lines)",
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

void
sbx_option_apply (struct sbx_parse *ctx, const struct sbx_option *opt, char *const *args)
{
  sbx_overlay_check_pending (ctx, opt);
  opt->handle (ctx, opt, args);
}

/* What the command line says before any of it is applied: which profile
 * rule holds, the ?NAME lines enabled, the directives ignored, and where
 * the command starts. */
struct prescan {
  bool profile, noprofile, builds_filesystem, lifecycle;
  int command;
  char **enabled, **ignored;
  size_t n_enabled, n_ignored;
};

static void
push (char ***list, size_t *n, char *value)
{
  *list = sbx_xrealloc_array (*list, *n + 2, sizeof **list);
  (*list)[(*n)++] = value;
  (*list)[*n] = NULL;
}

static void
prescan (int argc, char **argv, struct prescan *scan)
{
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
      if (strcmp (opt->name, "profile") == 0)
        scan->profile = true;
      else if (strcmp (opt->name, "noprofile") == 0)
        scan->noprofile = true;
      else if (strcmp (opt->name, "enable") == 0)
        push (&scan->enabled, &scan->n_enabled, argv[i + 1]);
      else if (strcmp (opt->name, "ignore") == 0)
        push (&scan->ignored, &scan->n_ignored, argv[i + 1]);
      else if (opt->handle == handle_lifecycle)
        scan->lifecycle = true;   /* the command is for --enter: no profile */
      else if (opt->section == SBX_SECT_FILESYSTEM && strcmp (opt->name, "chdir") != 0
               && strcmp (opt->name, "perms") != 0 && strcmp (opt->name, "size") != 0)
        scan->builds_filesystem = true;
      i += 1 + (int) opt->nargs;
    }
  scan->command = i;
}

/* Run through a symlink named NAME (sbx --wrap NAME): profile NAME, and
 * the real NAME from PATH, skipping anything that leads back to sbx. */
static void
run_as_wrapper (struct sbx_parse *ctx, const char *name, int argc, char **argv)
{
  autofree char *self = realpath ("/proc/self/exe", NULL);
  const char *path = getenv ("PATH");
  char *real = NULL;
  autofree char *copy = sbx_xstrdup (path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir && real == NULL; dir = strtok_r (NULL, ":", &save))
    {
      autofree char *candidate = sbx_xasprintf ("%s/%s", dir, name);
      autofree char *resolved = realpath (candidate, NULL);
      if (resolved != NULL && access (resolved, X_OK) == 0 && (self == NULL || strcmp (resolved, self) != 0))
        real = plan_own (ctx->plan, sbx_xstrdup (candidate));
    }
  if (real == NULL)
    sbx_die ("wrapper %s: no program named '%s' on PATH besides this wrapper", name, name);
  sbx_profile_apply (ctx, name);
  ctx->plan->profile_rule = "wrapper";
  char **args = sbx_xcalloc ((size_t) argc + 1, sizeof *args);
  plan_own (ctx->plan, (char *) args);
  args[0] = real;
  for (int i = 1; i < argc; i++)
    args[i] = argv[i];
  ctx->plan->argv = args;
}

enum sbx_action
sbx_parse_command_line (struct sbx_plan *plan, int argc, char **argv)
{
  struct prescan scan = { .command = 1 };
  struct sbx_parse ctx = {
    .plan = plan,
    .next_perms = SBX_NO_PERMS,
    .action = SBX_ACTION_RUN,
  };

  const char *invoked = strrchr (argv[0], '/') ? strrchr (argv[0], '/') + 1 : argv[0];
  if (strcmp (invoked, "sbx") != 0 && strncmp (invoked, "sbx-", 4) != 0 && strncmp (invoked, "lt-", 3) != 0)
    {
      run_as_wrapper (&ctx, invoked, argc, argv);
      return SBX_ACTION_RUN;
    }

  prescan (argc, argv, &scan);
  ctx.enabled = scan.enabled;
  ctx.ignored = scan.ignored;
  plan_own (plan, (char *) scan.enabled);
  plan_own (plan, (char *) scan.ignored);

  /* One rule for which profile applies: --profile NAME applies NAME (in
   * order, below); --noprofile none; otherwise a command line that builds
   * its own file system gets none, as with bubblewrap, and one that does
   * not gets the profile named after the command, or "default". */
  if (scan.noprofile && scan.profile)
    sbx_die ("--profile and --noprofile: choose one");
  if (scan.noprofile)
    plan->profile_rule = "--noprofile";
  else if (scan.lifecycle)
    plan->profile_rule = "a lifecycle verb";
  else if (!scan.profile && scan.builds_filesystem)
    plan->profile_rule = "the command line builds its own file system";
  else if (!scan.profile && scan.command < argc)
    {
      const char *command = argv[scan.command];
      const char *base = strrchr (command, '/') ? strrchr (command, '/') + 1 : command;
      autofree char *found = base[0] && base[0] != '.' ? sbx_profile_find (base) : NULL;
      sbx_profile_apply (&ctx, found != NULL ? base : "default");
      plan->profile_rule = found != NULL ? "named after the command" : "the default for commands without one";
    }

  int i = 1;
  while (i < scan.command)
    {
      const char *arg = argv[i];
      if (strcmp (arg, "--") == 0)
        break;
      if (strcmp (arg, "-h") == 0)
        {
          ctx.action = SBX_ACTION_HELP;
          i++;
          continue;
        }
      const struct sbx_option *opt = sbx_option_find (arg + 2);
      sbx_option_apply (&ctx, opt, &argv[i + 1]);
      i += 1 + (int) opt->nargs;
    }
  if (ctx.perms_opt != NULL || ctx.size_opt != NULL)
    sbx_die ("--%s: must be followed by the operation it applies to",
             ctx.perms_opt != NULL ? ctx.perms_opt : ctx.size_opt);
  if (ctx.action != SBX_ACTION_RUN)
    {
      plan->argv = scan.command < argc ? &argv[scan.command] : NULL;
      return ctx.action;
    }
  if (scan.command >= argc && plan->image != NULL)
    return ctx.action;          /* the image's Entrypoint and Cmd */
  if (scan.command >= argc)
    sbx_die ("no command given (usage: sbx [OPTION]... [--] COMMAND [ARG]...)");
  plan->argv = &argv[scan.command];
  return ctx.action;
}
