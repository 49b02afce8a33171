#include "seccomp_policy.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

void
sbx_seccomp_policy_init (struct sbx_seccomp_policy *policy)
{
  *policy = (struct sbx_seccomp_policy) {
    .mode = SBX_SECCOMP_DEFAULT,
    .action = SBX_SC_ERRNO,
    .errnum = EPERM,
    .block_secondary = true,
  };
}

void
sbx_seccomp_policy_free (struct sbx_seccomp_policy *policy)
{
  free (policy->block);
  free (policy->allow);
  free (policy->bpf_fds);
  sbx_seccomp_policy_init (policy);
}

/* --- the default deny-list and the groups ------------------------------ */

static const struct sbx_denied default_denylist[] = {
  /* The kernel keyring is not namespaced. */
  { "add_key", EPERM }, { "keyctl", EPERM }, { "request_key", EPERM },
  /* Kernel code and the machine itself. */
  { "init_module", EPERM }, { "finit_module", EPERM }, { "delete_module", EPERM },
  { "kexec_load", EPERM }, { "kexec_file_load", EPERM }, { "reboot", EPERM },
  { "swapon", EPERM }, { "swapoff", EPERM }, { "acct", EPERM },
  /* The clock is shared with the host. */
  { "settimeofday", EPERM }, { "clock_settime", EPERM }, { "clock_adjtime", EPERM },
  { "adjtimex", EPERM },
  /* The file system view is fixed once the sandbox runs. */
  { "mount", EPERM }, { "umount2", EPERM }, { "pivot_root", EPERM }, { "chroot", EPERM },
  { "fsopen", EPERM }, { "fsconfig", EPERM }, { "fsmount", EPERM }, { "fspick", EPERM },
  { "move_mount", EPERM }, { "open_tree", EPERM }, { "mount_setattr", EPERM },
  /* Leaving or nesting namespaces (unshare: see allow-userns). */
  { "setns", EPERM },
  /* Kernel attack surface that sandboxed programs do not need. */
  { "perf_event_open", EPERM }, { "bpf", EPERM }, { "userfaultfd", EPERM },
  { "lookup_dcookie", EPERM }, { "quotactl", EPERM }, { "nfsservctl", EPERM },
  { "uselib", EPERM }, { "vhangup", EPERM }, { "iopl", EPERM }, { "ioperm", EPERM },
  /* File handles bypass the mount namespace's view. */
  { "open_by_handle_at", EPERM }, { "name_to_handle_at", EPERM },
};

const struct sbx_denied *
sbx_seccomp_default_denylist (size_t *count)
{
  *count = sizeof default_denylist / sizeof default_denylist[0];
  return default_denylist;
}

#define GROUP(name, ...) { name, (const char *const[]) { __VA_ARGS__, NULL } }

static const struct { const char *name; const char *const *members; } groups[] = {
  GROUP ("@basic-io", "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
         "pwritev", "preadv2", "pwritev2", "close", "close_range", "dup", "dup2", "dup3",
         "lseek", "_llseek", "sendfile", "sendfile64", "splice", "tee", "vmsplice",
         "copy_file_range"),
  GROUP ("@file-system", "open", "openat", "openat2", "creat", "stat", "fstat", "lstat",
         "newfstatat", "statx", "stat64", "fstat64", "lstat64", "fstatat64", "access",
         "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "mkdir", "mkdirat", "rmdir",
         "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
         "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2",
         "chown", "fchown", "lchown", "fchownat", "utime", "utimes", "utimensat", "futimesat",
         "truncate", "ftruncate", "fallocate", "getdents", "getdents64", "statfs", "fstatfs",
         "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "mknod", "mknodat",
         "fcntl", "fcntl64", "flock", "umask", "inotify_init", "inotify_init1",
         "inotify_add_watch", "inotify_rm_watch", "getxattr", "lgetxattr", "fgetxattr",
         "setxattr", "lsetxattr", "fsetxattr", "listxattr", "llistxattr", "flistxattr",
         "removexattr", "lremovexattr", "fremovexattr", "fadvise64", "readahead", "ioctl"),
  GROUP ("@memory", "mmap", "mmap2", "munmap", "mprotect", "brk", "mremap", "madvise",
         "mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore", "msync",
         "memfd_create", "membarrier", "get_mempolicy", "set_mempolicy", "mbind",
         "pkey_alloc", "pkey_free", "pkey_mprotect"),
  GROUP ("@process", "fork", "vfork", "clone", "clone3", "execve", "execveat", "exit",
         "exit_group", "wait4", "waitid", "kill", "tgkill", "tkill", "getpid", "getppid",
         "gettid", "setsid", "getsid", "setpgid", "getpgid", "getpgrp", "prctl", "arch_prctl",
         "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "capget",
         "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "sched_yield",
         "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_getscheduler",
         "sched_get_priority_max", "sched_get_priority_min", "getpriority", "setpriority",
         "getrlimit", "setrlimit", "prlimit64", "ugetrlimit", "getrusage", "times",
         "futex", "futex_waitv", "get_thread_area", "set_thread_area", "personality",
         "uname", "sysinfo", "getrandom", "restart_syscall"),
  GROUP ("@signal", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
         "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
         "sigaltstack", "signalfd", "signalfd4", "pause", "alarm", "sigreturn"),
  GROUP ("@credentials", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
         "getgroups", "getuid32", "geteuid32", "getgid32", "getegid32", "getresuid32",
         "getresgid32", "getgroups32",
         /* Without capabilities these can only move between ids the process
          * already has; make and login-style tools call them. */
         "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
         "setfsgid", "setgroups", "setuid32", "setgid32", "setreuid32", "setregid32",
         "setresuid32", "setresgid32", "setfsuid32", "setfsgid32", "setgroups32", "capset"),
  GROUP ("@io-event", "poll", "ppoll", "select", "pselect6", "_newselect", "epoll_create",
         "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
         "eventfd", "eventfd2"),
  GROUP ("@ipc", "pipe", "pipe2", "socketpair", "msgget", "msgsnd", "msgrcv", "msgctl",
         "semget", "semop", "semtimedop", "semctl", "shmget", "shmat", "shmdt", "shmctl",
         "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
         "mq_getsetattr"),
  GROUP ("@network-io", "socket", "bind", "listen", "accept", "accept4", "connect",
         "getsockname", "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom",
         "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown"),
  GROUP ("@time", "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
         "clock_nanosleep", "timer_create", "timer_settime", "timer_gettime",
         "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
         "timerfd_gettime", "getitimer", "setitimer"),
  GROUP ("@aio", "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
         "io_pgetevents", "io_uring_setup", "io_uring_enter", "io_uring_register"),
};

static const char *const default_allow_groups[] = {
  "@basic-io", "@file-system", "@memory", "@process", "@signal", "@credentials",
  "@io-event", "@ipc", "@network-io", "@time", NULL,
};

const char *const *
sbx_seccomp_group_names (void)
{
  static const char *names[sizeof groups / sizeof groups[0] + 2];
  if (names[0] == NULL)
    {
      names[0] = "@default-allow";
      for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        names[i + 1] = groups[i].name;
    }
  return names;
}

const char *const *
sbx_seccomp_group (const char *group)
{
  if (strcmp (group, "@default-allow") == 0)
    return default_allow_groups;        /* a group of groups */
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
    if (strcmp (groups[i].name, group) == 0)
      return groups[i].members;
  return NULL;
}

/* --- names of constants that argument filters may use ------------------- */

static const struct { const char *name; uint64_t value; } constants[] = {
  { "TIOCSTI", TIOCSTI }, { "TIOCLINUX", TIOCLINUX }, { "TIOCSCTTY", TIOCSCTTY },
  { "AF_UNIX", AF_UNIX }, { "AF_LOCAL", AF_LOCAL }, { "AF_INET", AF_INET },
  { "AF_INET6", AF_INET6 }, { "AF_NETLINK", AF_NETLINK }, { "AF_PACKET", AF_PACKET },
  { "AF_BLUETOOTH", AF_BLUETOOTH }, { "AF_VSOCK", AF_VSOCK }, { "AF_KEY", AF_KEY },
  { "AF_ALG", AF_ALG }, { "AF_CAN", AF_CAN }, { "AF_XDP", AF_XDP },
  { "SOCK_RAW", SOCK_RAW }, { "PROT_READ", PROT_READ }, { "PROT_WRITE", PROT_WRITE },
  { "PROT_EXEC", PROT_EXEC }, { "CLONE_NEWUSER", CLONE_NEWUSER }, { "CLONE_NEWNS", CLONE_NEWNS },
  { "CLONE_NEWPID", CLONE_NEWPID }, { "CLONE_NEWNET", CLONE_NEWNET },
  { "CLONE_NEWIPC", CLONE_NEWIPC }, { "CLONE_NEWUTS", CLONE_NEWUTS },
  { "CLONE_NEWCGROUP", CLONE_NEWCGROUP }, { "O_WRONLY", O_WRONLY }, { "O_RDWR", O_RDWR },
  { "O_CREAT", O_CREAT },
};

static const struct { const char *name; int value; } errnos[] = {
  { "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "EBADF", EBADF },
  { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT },
  { "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC },
  { "EROFS", EROFS }, { "ENOSYS", ENOSYS }, { "ENOTSUP", ENOTSUP },
  { "EOPNOTSUPP", EOPNOTSUPP }, { "EAFNOSUPPORT", EAFNOSUPPORT }, { "ENOTTY", ENOTTY },
};

bool
sbx_seccomp_parse_errno (const char *text, int *errnum)
{
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
    if (strcasecmp (errnos[i].name, text) == 0)
      {
        *errnum = errnos[i].value;
        return true;
      }
  return false;
}

static bool __attribute__ ((format (printf, 3, 4)))
fail (char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err, errlen, fmt, ap);
  va_end (ap);
  return false;
}

static bool
parse_value (const char *text, uint64_t *value)
{
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
    if (strcmp (constants[i].name, text) == 0)
      {
        *value = constants[i].value;
        return true;
      }
  char *end;
  errno = 0;
  if (!isdigit ((unsigned char) text[0]))
    return false;
  *value = strtoull (text, &end, 0);
  return errno == 0 && *end == '\0';
}

static char *
trim (char *s)
{
  while (isspace ((unsigned char) *s))
    s++;
  char *end = s + strlen (s);
  while (end > s && isspace ((unsigned char) end[-1]))
    *--end = '\0';
  return s;
}

/* "argN OP VALUE" or "argN & MASK == VALUE". */
static bool
parse_condition (char *text, struct sbx_arg_cond *cond)
{
  static const struct { const char *op; enum sbx_cmp cmp; } ops[] = {
    { "==", SBX_CMP_EQ }, { "!=", SBX_CMP_NE }, { "<=", SBX_CMP_LE }, { ">=", SBX_CMP_GE },
    { "<", SBX_CMP_LT }, { ">", SBX_CMP_GT },
  };
  text = trim (text);
  if (strncmp (text, "arg", 3) != 0 || text[3] < '0' || text[3] > '5')
    return false;
  cond->arg = (unsigned) (text[3] - '0');
  char *rest = trim (text + 4);
  cond->mask = 0;
  if (*rest == '&')
    {
      char *eq = strstr (rest, "==");
      if (eq == NULL)
        return false;
      *eq = '\0';
      if (!parse_value (trim (rest + 1), &cond->mask))
        return false;
      cond->op = SBX_CMP_MASKED_EQ;
      return parse_value (trim (eq + 2), &cond->value);
    }
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strncmp (rest, ops[i].op, strlen (ops[i].op)) == 0)
      {
        cond->op = ops[i].cmp;
        return parse_value (trim (rest + strlen (ops[i].op)), &cond->value);
      }
  return false;
}

/* "name" or "name(cond && cond ...)". */
static bool
parse_rule (char *text, struct sbx_syscall_rule *rule, char *err, size_t errlen)
{
  char *original = sbx_xstrdup (text);
  bool ok = false;
  *rule = (struct sbx_syscall_rule) { .nr = 0 };
  char *paren = strchr (text, '(');
  if (paren != NULL)
    {
      char *close = strrchr (text, ')');
      if (close == NULL || close < paren || *trim (close + 1) != '\0')
        {
          fail (err, errlen, "malformed argument filter '%s' (expected NAME(argN OP VALUE))", original);
          goto out;
        }
      *close = '\0';
      *paren = '\0';
      char *conds = paren + 1;
      for (char *c = conds; c != NULL;)
        {
          char *next = strstr (c, "&&");
          if (next != NULL)
            *next = '\0';
          if (rule->n_conds == 6 || !parse_condition (c, &rule->conds[rule->n_conds]))
            {
              fail (err, errlen, "malformed argument filter '%s' (expected NAME(argN OP VALUE))", original);
              goto out;
            }
          for (unsigned k = 0; k < rule->n_conds; k++)
            if (rule->conds[k].arg == rule->conds[rule->n_conds].arg)
              {
                fail (err, errlen, "malformed argument filter '%s' (one condition per argument)", original);
                goto out;
              }
          rule->n_conds++;
          c = next ? next + 2 : NULL;
        }
    }
  text = trim (text);
  if (strlen (text) >= sizeof rule->name || text[0] == '\0')
    {
      fail (err, errlen, "malformed system call name '%s'", original);
      goto out;
    }
  strcpy (rule->name, text);
  rule->nr = seccomp_syscall_resolve_name (rule->name);
  if (rule->nr == __NR_SCMP_ERROR)
    {
      fail (err, errlen, "unknown system call '%s'", rule->name);
      goto out;
    }
  ok = true;
out:
  free (original);
  return ok;
}

static void
append_rule (struct sbx_syscall_rule **list, size_t *n, const struct sbx_syscall_rule *rule)
{
  *list = sbx_xrealloc_array (*list, *n + 1, sizeof **list);
  (*list)[(*n)++] = *rule;
}

/* Split on commas and blanks outside parentheses. */
static bool
for_each_item (const char *text, bool (*each) (char *item, void *data), void *data)
{
  autofree char *copy = sbx_xstrdup (text);
  int depth = 0;
  char *start = copy;
  for (char *p = copy;; p++)
    {
      if (*p == '(')
        depth++;
      else if (*p == ')')
        depth--;
      bool end = *p == '\0';
      if (end || (depth == 0 && (*p == ',' || *p == ' ' || *p == '\t')))
        {
          *p = '\0';
          if (*start != '\0' && !each (start, data))
            return false;
          if (end)
            return true;
          start = p + 1;
        }
    }
}

struct rules_ctx {
  struct sbx_seccomp_policy *policy;
  bool block;
  char *err;
  size_t errlen;
  int count;
};

static bool
add_rule_item (char *item, void *data)
{
  struct rules_ctx *ctx = data;
  struct sbx_syscall_rule rule;
  if (!parse_rule (item, &rule, ctx->err, ctx->errlen))
    return false;
  if (ctx->block)
    append_rule (&ctx->policy->block, &ctx->policy->n_block, &rule);
  else
    append_rule (&ctx->policy->allow, &ctx->policy->n_allow, &rule);
  ctx->count++;
  return true;
}

bool
sbx_seccomp_parse_rules (struct sbx_seccomp_policy *policy, bool block, const char *text,
                         char *err, size_t errlen)
{
  struct rules_ctx ctx = { policy, block, err, errlen, 0 };
  if (!for_each_item (text, add_rule_item, &ctx))
    return false;
  if (ctx.count == 0)
    return fail (err, errlen, "no system call given");
  return true;
}

static bool add_group (struct sbx_seccomp_policy *policy, const char *group, char *err,
                       size_t errlen, int depth);

static bool
add_name (struct sbx_seccomp_policy *policy, const char *name, char *err, size_t errlen)
{
  struct sbx_syscall_rule rule = { .nr = seccomp_syscall_resolve_name (name) };
  if (rule.nr == __NR_SCMP_ERROR)
    return true;                /* a group member this architecture lacks */
  snprintf (rule.name, sizeof rule.name, "%s", name);
  (void) err, (void) errlen;
  append_rule (&policy->allow, &policy->n_allow, &rule);
  return true;
}

static bool
add_group (struct sbx_seccomp_policy *policy, const char *group, char *err, size_t errlen, int depth)
{
  const char *const *members = sbx_seccomp_group (group);
  if (members == NULL)
    {
      char known[512] = "";
      for (const char *const *g = sbx_seccomp_group_names (); *g; g++)
        snprintf (known + strlen (known), sizeof known - strlen (known), "%s%s", known[0] ? " " : "", *g);
      return fail (err, errlen, "unknown system call group '%s' (known: %s)", group, known);
    }
  for (; *members; members++)
    {
      bool ok = (*members)[0] == '@' && depth == 0
                  ? add_group (policy, *members, err, errlen, depth + 1)
                  : add_name (policy, *members, err, errlen);
      if (!ok)
        return false;
    }
  return true;
}

/* A file lists system calls (or rules), one per line, # for comments. */
static bool
add_file (struct sbx_seccomp_policy *policy, const char *path, char *err, size_t errlen)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return fail (err, errlen, "cannot read allow-list '%s': %s", path, strerror (errno));
  char line[512];
  unsigned lineno = 0;
  bool ok = true;
  while (ok && fgets (line, sizeof line, f) != NULL)
    {
      lineno++;
      char *hash = strchr (line, '#');
      if (hash != NULL)
        *hash = '\0';
      char *text = trim (line);
      if (*text == '\0')
        continue;
      if (text[0] == '@')
        ok = add_group (policy, text, err, errlen, 0);
      else
        {
          struct sbx_syscall_rule rule;
          ok = parse_rule (text, &rule, err, errlen);
          if (ok)
            append_rule (&policy->allow, &policy->n_allow, &rule);
        }
      if (!ok)
        {
          char inner[256];
          snprintf (inner, sizeof inner, "%s", err);
          fail (err, errlen, "%s:%u: %s", path, lineno, inner);
        }
    }
  fclose (f);
  return ok;
}

struct allowlist_ctx {
  struct sbx_seccomp_policy *policy;
  char *err;
  size_t errlen;
};

static bool
add_allowlist_item (char *item, void *data)
{
  struct allowlist_ctx *ctx = data;
  if (item[0] == '@')
    return add_group (ctx->policy, item, ctx->err, ctx->errlen, 0);
  if (strchr (item, '/') != NULL)
    return add_file (ctx->policy, item, ctx->err, ctx->errlen);
  struct sbx_syscall_rule rule;
  if (!parse_rule (item, &rule, ctx->err, ctx->errlen))
    return false;
  append_rule (&ctx->policy->allow, &ctx->policy->n_allow, &rule);
  return true;
}

bool
sbx_seccomp_add_allowlist (struct sbx_seccomp_policy *policy, const char *text, char *err, size_t errlen)
{
  struct allowlist_ctx ctx = { policy, err, errlen };
  policy->mode = SBX_SECCOMP_ALLOWLIST;
  return for_each_item (text, add_allowlist_item, &ctx);
}

static const struct { const char *name; int family; } families[] = {
  { "unix", AF_UNIX }, { "inet", AF_INET }, { "inet6", AF_INET6 }, { "netlink", AF_NETLINK },
  { "packet", AF_PACKET }, { "bluetooth", AF_BLUETOOTH }, { "vsock", AF_VSOCK },
  { "alg", AF_ALG }, { "can", AF_CAN }, { "xdp", AF_XDP }, { "key", AF_KEY },
};

struct protocol_ctx {
  uint64_t families;
  char *err;
  size_t errlen;
};

static bool
add_protocol_item (char *item, void *data)
{
  struct protocol_ctx *ctx = data;
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    if (strcasecmp (families[i].name, item) == 0)
      {
        ctx->families |= UINT64_C (1) << families[i].family;
        return true;
      }
  return fail (ctx->err, ctx->errlen,
               "unknown socket family '%s' (known: unix inet inet6 netlink packet bluetooth vsock alg can xdp key)",
               item);
}

bool
sbx_seccomp_parse_protocols (const char *text, uint64_t *out, char *err, size_t errlen)
{
  struct protocol_ctx ctx = { 0, err, errlen };
  if (!for_each_item (text, add_protocol_item, &ctx))
    return false;
  if (ctx.families == 0)
    return fail (err, errlen, "no socket family given");
  *out = ctx.families;
  return true;
}

/* --- canonical text -------------------------------------------------- */

static const char *
cmp_name (enum sbx_cmp op)
{
  static const char *const names[] = { "==", "!=", "<", "<=", ">", ">=", "&" };
  return names[op];
}

static void
print_rule (FILE *out, const struct sbx_syscall_rule *rule)
{
  fputs (rule->name, out);
  if (rule->n_conds == 0)
    return;
  fputc ('(', out);
  for (unsigned i = 0; i < rule->n_conds; i++)
    {
      const struct sbx_arg_cond *c = &rule->conds[i];
      if (c->op == SBX_CMP_MASKED_EQ)
        fprintf (out, "%sarg%u & %#llx == %#llx", i ? " && " : "", c->arg,
                 (unsigned long long) c->mask, (unsigned long long) c->value);
      else
        fprintf (out, "%sarg%u %s %#llx", i ? " && " : "", c->arg, cmp_name (c->op),
                 (unsigned long long) c->value);
    }
  fputc (')', out);
}

void
sbx_seccomp_policy_print (const struct sbx_seccomp_policy *policy, FILE *out)
{
  static const char *const modes[] = { "default", "none", "allowlist" };
  fprintf (out, "seccomp: %s", modes[policy->mode]);
  if (policy->mode != SBX_SECCOMP_NONE)
    {
      if (policy->action == SBX_SC_KILL)
        fputs (" action=kill", out);
      else if (policy->action == SBX_SC_LOG)
        fputs (" action=log", out);
      else
        fprintf (out, " errno=%d", policy->errnum);
      fprintf (out, " block-secondary=%s", policy->block_secondary ? "yes" : "no");
      if (policy->allow_userns)
        fputs (" allow-userns", out);
      if (policy->allow_debuggers)
        fputs (" allow-debuggers", out);
      if (policy->mdwe)
        fputs (" memory-deny-write-execute", out);
      if (policy->protocols != 0)
        fprintf (out, " protocols=%#llx", (unsigned long long) policy->protocols);
      for (size_t i = 0; i < policy->n_block; i++)
        {
          fputs (" -", out);
          print_rule (out, &policy->block[i]);
        }
      for (size_t i = 0; i < policy->n_allow; i++)
        {
          fputs (" +", out);
          print_rule (out, &policy->allow[i]);
        }
    }
  for (size_t i = 0; i < policy->n_bpf_fds; i++)
    fprintf (out, " bpf-fd:%d", policy->bpf_fds[i]);
  fputc ('\n', out);
}
