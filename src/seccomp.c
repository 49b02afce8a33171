/* Stage 7: seccomp. The filters are prepared early, while the host's file
 * system (and the cache in it) is still reachable, and loaded last, right
 * before exec, after no_new_privs.
 *
 * sbx's own filter is one program, loaded with one seccomp() call: a
 * hand-written prefix for the ioctl and personality argument checks, then
 * the policy compiled by libseccomp (binary-tree optimized). The whole
 * program is cached, so an identical policy is compiled once. Then the
 * programs given with --seccomp FD and --add-seccomp-fd. */
#include "seccomp.h"

#include "bpfcache.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#define NAMESPACE_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC \
                         | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME)

static uint32_t
blocked_action (const struct sbx_seccomp_policy *policy, int errnum)
{
  switch (policy->action)
    {
    case SBX_SC_KILL: return SCMP_ACT_KILL_PROCESS;
    case SBX_SC_LOG: return SCMP_ACT_LOG;
    case SBX_SC_ERRNO: break;
    }
  return SCMP_ACT_ERRNO ((uint32_t) errnum);
}

static enum scmp_compare
scmp_op (enum sbx_cmp op)
{
  static const enum scmp_compare map[] = {
    [SBX_CMP_EQ] = SCMP_CMP_EQ, [SBX_CMP_NE] = SCMP_CMP_NE, [SBX_CMP_LT] = SCMP_CMP_LT,
    [SBX_CMP_LE] = SCMP_CMP_LE, [SBX_CMP_GT] = SCMP_CMP_GT, [SBX_CMP_GE] = SCMP_CMP_GE,
    [SBX_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
  };
  return map[op];
}

static void
add_rule (scmp_filter_ctx ctx, uint32_t action, const struct sbx_syscall_rule *rule)
{
  struct scmp_arg_cmp conds[6];
  for (unsigned i = 0; i < rule->n_conds; i++)
    {
      const struct sbx_arg_cond *c = &rule->conds[i];
      conds[i] = (struct scmp_arg_cmp) {
        .arg = c->arg, .op = scmp_op (c->op),
        .datum_a = c->op == SBX_CMP_MASKED_EQ ? c->mask : c->value,
        .datum_b = c->op == SBX_CMP_MASKED_EQ ? c->value : 0,
      };
    }
  int ret = seccomp_rule_add_array (ctx, action, rule->nr, rule->n_conds, conds);
  if (ret < 0 && ret != -EEXIST)
    sbx_die_errno (-ret, "seccomp rule", rule->name);
}

static void
add_simple (scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n_conds,
            const struct sbx_arg_cond *conds)
{
  struct sbx_syscall_rule rule = { .nr = seccomp_syscall_resolve_name (name), .n_conds = n_conds };
  snprintf (rule.name, sizeof rule.name, "%s", name);
  if (rule.nr == __NR_SCMP_ERROR)
    return;
  if (n_conds > 0)
    memcpy (rule.conds, conds, n_conds * sizeof *conds);
  add_rule (ctx, action, &rule);
}

static bool
rule_listed (const struct sbx_syscall_rule *list, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (list[i].name, name) == 0 && list[i].n_conds == 0)
      return true;
  return false;
}

static void
add_denylist (scmp_filter_ctx ctx, const struct sbx_seccomp_policy *policy)
{
  size_t count;
  const struct sbx_denied *deny = sbx_seccomp_default_denylist (&count);
  for (size_t i = 0; i < count; i++)
    if (!rule_listed (policy->allow, policy->n_allow, deny[i].name)
        /* A nested sandbox (a browser's) chroots inside its own namespace. */
        && !(policy->allow_userns && strcmp (deny[i].name, "chroot") == 0))
      add_simple (ctx, blocked_action (policy, deny[i].errnum), deny[i].name, 0, NULL);

  if (!policy->allow_debuggers)
    {
      static const char *const debug[] = { "ptrace", "process_vm_readv", "process_vm_writev", "kcmp" };
      for (size_t i = 0; i < sizeof debug / sizeof debug[0]; i++)
        if (!rule_listed (policy->allow, policy->n_allow, debug[i]))
          add_simple (ctx, blocked_action (policy, EPERM), debug[i], 0, NULL);
    }
  if (!policy->allow_userns)
    {
      if (!rule_listed (policy->allow, policy->n_allow, "unshare"))
        add_simple (ctx, blocked_action (policy, EPERM), "unshare", 0, NULL);
      /* clone3 hides its flags in memory a filter cannot read: ENOSYS
       * makes libc fall back to clone, whose flags are checked here. */
      add_simple (ctx, SCMP_ACT_ERRNO (ENOSYS), "clone3", 0, NULL);
      static const uint64_t namespace_flags[] = {
        CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
        CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME,
      };
      for (size_t i = 0; i < sizeof namespace_flags / sizeof namespace_flags[0]; i++)
        {
          struct sbx_arg_cond c = { 0, SBX_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i] };
          add_simple (ctx, blocked_action (policy, EPERM), "clone", 1, &c);
        }
    }
}

static void
add_allowlist (scmp_filter_ctx ctx, const struct sbx_seccomp_policy *policy)
{
  /* sbx's own exec, a clean exit, and stacking the next filter (which
   * can only restrict further) must stay possible. */
  static const char *const always[] = { "execve", "exit", "exit_group", "rt_sigreturn", "seccomp" };
  for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
    add_simple (ctx, SCMP_ACT_ALLOW, always[i], 0, NULL);
  for (size_t i = 0; i < policy->n_allow; i++)
    {
      const struct sbx_syscall_rule *rule = &policy->allow[i];
      if (rule_listed (policy->block, policy->n_block, rule->name))
        continue;
      /* socket is allowed per family below when families are limited. */
      if (policy->protocols != 0 && strcmp (rule->name, "socket") == 0)
        continue;
      /* No nested namespaces here either, unless allow-userns. */
      if (!policy->allow_userns && rule->n_conds == 0 && strcmp (rule->name, "clone") == 0)
        {
          struct sbx_arg_cond no_namespaces = { 0, SBX_CMP_MASKED_EQ, 0, NAMESPACE_FLAGS };
          add_simple (ctx, SCMP_ACT_ALLOW, "clone", 1, &no_namespaces);
          continue;
        }
      if (!policy->allow_userns && strcmp (rule->name, "clone3") == 0)
        continue;
      add_rule (ctx, SCMP_ACT_ALLOW, rule);
    }
  if (!policy->allow_userns && policy->action == SBX_SC_ERRNO && policy->errnum != ENOSYS)
    add_simple (ctx, SCMP_ACT_ERRNO (ENOSYS), "clone3", 0, NULL);
}

static void
add_protocols (scmp_filter_ctx ctx, const struct sbx_seccomp_policy *policy)
{
  if (policy->protocols == 0)
    return;
  bool allowlist = policy->mode == SBX_SECCOMP_ALLOWLIST;
  bool socket_allowed = rule_listed (policy->allow, policy->n_allow, "socket");
  for (unsigned family = 0; family < AF_MAX; family++)
    {
      struct sbx_arg_cond c = { 0, SBX_CMP_EQ, family, 0 };
      if (!(policy->protocols & (UINT64_C (1) << family)))
        add_simple (ctx, SCMP_ACT_ERRNO (EAFNOSUPPORT), "socket", 1, &c);
      else if (allowlist && socket_allowed)
        add_simple (ctx, SCMP_ACT_ALLOW, "socket", 1, &c);
    }
  struct sbx_arg_cond beyond = { 0, SBX_CMP_GE, AF_MAX, 0 };
  add_simple (ctx, SCMP_ACT_ERRNO (EAFNOSUPPORT), "socket", 1, &beyond);
}

static void
add_mdwe (scmp_filter_ctx ctx, const struct sbx_seccomp_policy *policy)
{
  /* In allow-list mode mmap and mprotect are allowed outright, and the
   * kernel's own MDWE (prctl) does the refusing. */
  if (!policy->mdwe || policy->mode == SBX_SECCOMP_ALLOWLIST)
    return;
  struct sbx_arg_cond wx = { 2, SBX_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC };
  add_simple (ctx, blocked_action (policy, EPERM), "mmap", 1, &wx);
  add_simple (ctx, blocked_action (policy, EPERM), "mprotect", 1, &wx);
  add_simple (ctx, blocked_action (policy, EPERM), "pkey_mprotect", 1, &wx);
  struct sbx_arg_cond shm_exec = { 2, SBX_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC };
  add_simple (ctx, blocked_action (policy, EPERM), "shmat", 1, &shm_exec);
}

static void
set_attr (scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
  int ret = seccomp_attr_set (ctx, attr, value);
  if (ret < 0)
    sbx_die_errno (-ret, "seccomp", "filter attribute");
}

/* Compile the policy with libseccomp into BPF. */
static struct sbx_bpf
compile_policy (const struct sbx_seccomp_policy *policy)
{
  bool allowlist = policy->mode == SBX_SECCOMP_ALLOWLIST;
  scmp_filter_ctx ctx = seccomp_init (allowlist ? blocked_action (policy, policy->errnum) : SCMP_ACT_ALLOW);
  if (ctx == NULL)
    sbx_die_errno (ENOMEM, "seccomp", "init");
  set_attr (ctx, SCMP_FLTATR_CTL_NNP, 0);      /* sbx sets no_new_privs itself */
  set_attr (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (policy->block_secondary)
    set_attr (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO (EPERM));
  else if (seccomp_arch_native () == SCMP_ARCH_X86_64)
    {
      int ret = seccomp_arch_add (ctx, SCMP_ARCH_X86);
      if (ret == 0)
        ret = seccomp_arch_add (ctx, SCMP_ARCH_X32);
      if (ret < 0 && ret != -EEXIST)
        sbx_die_errno (-ret, "seccomp", "secondary architectures");
    }

  if (allowlist)
    add_allowlist (ctx, policy);
  else
    add_denylist (ctx, policy);
  /* In allow-list mode a blocked name is simply left off the list. */
  for (size_t i = 0; i < policy->n_block && !allowlist; i++)
    add_rule (ctx, blocked_action (policy, policy->errnum), &policy->block[i]);
  add_protocols (ctx, policy);
  add_mdwe (ctx, policy);

  /* libseccomp 2.5 exports to an fd only. */
  autoclose int mem = memfd_create ("sbx-seccomp", MFD_CLOEXEC);
  if (mem < 0)
    sbx_die_errno (errno, "seccomp", "export");
  int ret = seccomp_export_bpf (ctx, mem);
  seccomp_release (ctx);
  if (ret < 0)
    sbx_die_errno (-ret, "seccomp", "export");
  struct stat st;
  if (fstat (mem, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t) sizeof (struct sock_filter) != 0
      || st.st_size / (off_t) sizeof (struct sock_filter) > BPF_MAXINSNS)
    sbx_die_errno (EINVAL, "seccomp", "export");
  struct sbx_bpf bpf = { .len = (size_t) st.st_size / sizeof (struct sock_filter) };
  bpf.insns = sbx_xmalloc ((size_t) st.st_size);
  if (pread (mem, bpf.insns, (size_t) st.st_size, 0) != st.st_size)
    sbx_die_errno (errno, "seccomp", "export");
  return bpf;
}

/* --- the argument-hardening prefix ------------------------------------ */

/* libseccomp cannot say these two checks: a rule cannot compare one
 * argument against several values, and a conditional rule cannot refine
 * an unconditional one (an allow-list's plain "ioctl"). So they are a
 * hand-written prefix of the same program: a refused call returns EPERM
 * here, every other call falls through to the policy's own code. One
 * program means one seccomp() load, whose fixed cost dominates a warm
 * launch. */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(n) (offsetof (struct seccomp_data, args) + 8 * (n))
#else
#define ARG_LOW(n) (offsetof (struct seccomp_data, args) + 8 * (n) + 4)
#endif

struct abi { uint32_t arch, ioctl_nr, personality_nr; };

/* The ABIs the policy lets through: the native one, and on x86-64 the x32
 * and i386 ones (refused later by the policy when block-secondary is on,
 * checked here anyway). The numbers come from libseccomp, so every
 * architecture it knows is covered. */
static size_t
hardened_abis (struct abi abis[3])
{
  uint32_t native = seccomp_arch_native ();
  uint32_t tokens[3] = { native };
  size_t n_tokens = 1, n = 0;
  if (native == SCMP_ARCH_X86_64)
    {
      tokens[n_tokens++] = SCMP_ARCH_X32;
      tokens[n_tokens++] = SCMP_ARCH_X86;
    }
  for (size_t i = 0; i < n_tokens; i++)
    {
      int ioctl_nr = seccomp_syscall_resolve_name_arch (tokens[i], "ioctl");
      int personality_nr = seccomp_syscall_resolve_name_arch (tokens[i], "personality");
      if (ioctl_nr < 0 || personality_nr < 0)
        continue;
      /* x32 shares x86-64's audit arch and tells itself apart by a bit
       * in the system call number, which libseccomp includes. */
      abis[n++] = (struct abi) { tokens[i] == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : tokens[i],
                                 (uint32_t) ioctl_nr, (uint32_t) personality_nr };
    }
  return n;
}

/* Jump targets are resolved once the layout is known. */
enum { TO_NEXT = 0, TO_POLICY = 1, TO_DENY, TO_IOCTL, TO_PERSONALITY, TO_PAST_ABI };

struct emitter {
  struct sock_filter insns[64];
  unsigned char jt_to[64], jf_to[64];
  unsigned n;
};

static void
emit (struct emitter *e, uint16_t code, uint32_t k, unsigned char jt_to, unsigned char jf_to)
{
  e->insns[e->n] = (struct sock_filter) BPF_STMT (code, k);
  e->jt_to[e->n] = jt_to;
  e->jf_to[e->n] = jf_to;
  e->n++;
}

/* POLICY with the hardening checks put in front of it. */
static struct sbx_bpf
harden (struct sbx_bpf policy)
{
  struct emitter e = { .n = 0 };
  struct abi abis[3];
  size_t n_abis = hardened_abis (abis);
  for (size_t i = 0; i < n_abis; i++)
    {
      emit (&e, BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch), 0, 0);
      emit (&e, BPF_JMP | BPF_JEQ | BPF_K, abis[i].arch, TO_NEXT, TO_PAST_ABI);
      emit (&e, BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr), 0, 0);
      emit (&e, BPF_JMP | BPF_JEQ | BPF_K, abis[i].ioctl_nr, TO_IOCTL, TO_NEXT);
      emit (&e, BPF_JMP | BPF_JEQ | BPF_K, abis[i].personality_nr, TO_PERSONALITY, TO_NEXT);
    }
  emit (&e, BPF_JMP | BPF_JA, 0, 0, 0);
  unsigned to_policy = e.n - 1;
  unsigned ioctl_at = e.n;
  emit (&e, BPF_LD | BPF_W | BPF_ABS, (uint32_t) ARG_LOW (1), 0, 0);
  emit (&e, BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, TO_DENY, TO_NEXT);
  emit (&e, BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, TO_DENY, TO_POLICY);
  unsigned personality_at = e.n;
  emit (&e, BPF_LD | BPF_W | BPF_ABS, (uint32_t) ARG_LOW (0), 0, 0);
  static const uint32_t harmless[] = { 0x0 /* PER_LINUX */, 0x8 /* PER_LINUX32 */,
                                       0x20000 /* UNAME26 */, 0x20008, 0xffffffff /* query */ };
  for (size_t i = 0; i < sizeof harmless / sizeof harmless[0]; i++)
    emit (&e, BPF_JMP | BPF_JEQ | BPF_K, harmless[i], TO_POLICY, TO_NEXT);
  emit (&e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  unsigned deny = e.n - 1;
  unsigned policy_at = e.n;     /* the policy's first instruction */

  /* Resolve the symbolic targets into relative offsets; the prefix is far
   * shorter than the 255 a conditional jump can span. */
  e.insns[to_policy].k = policy_at - to_policy - 1;
  for (unsigned i = 0; i < e.n; i++)
    {
      if (BPF_CLASS (e.insns[i].code) != BPF_JMP || BPF_OP (e.insns[i].code) == BPF_JA)
        continue;
      unsigned char *targets[2] = { &e.jt_to[i], &e.jf_to[i] };
      uint8_t *fields[2] = { &e.insns[i].jt, &e.insns[i].jf };
      for (int t = 0; t < 2; t++)
        {
          unsigned dest;
          switch (*targets[t])
            {
            case TO_POLICY: dest = policy_at; break;
            case TO_DENY: dest = deny; break;
            case TO_IOCTL: dest = ioctl_at; break;
            case TO_PERSONALITY: dest = personality_at; break;
            case TO_PAST_ABI: dest = i + 4; break;      /* past this ABI's nr checks */
            default: dest = i + 1; break;
            }
          *fields[t] = (uint8_t) (dest - i - 1);
        }
    }
  if (e.n + policy.len > BPF_MAXINSNS)
    sbx_die ("seccomp: the policy compiles to more than %d instructions", BPF_MAXINSNS);
  struct sbx_bpf bpf = { .len = e.n + policy.len, .insns = sbx_xcalloc (e.n + policy.len, sizeof (struct sock_filter)) };
  memcpy (bpf.insns, e.insns, e.n * sizeof (struct sock_filter));
  memcpy (bpf.insns + e.n, policy.insns, policy.len * sizeof (struct sock_filter));
  free (policy.insns);
  return bpf;
}

/* --- programs from file descriptors ---------------------------------- */

static struct sbx_bpf
read_bpf_fd (int fd)
{
  char what[32];
  snprintf (what, sizeof what, "fd %d", fd);
  size_t cap = 4096, len = 0;
  autofree char *buf = sbx_xmalloc (cap);
  for (;;)
    {
      if (len == cap)
        {
          if (cap > (size_t) BPF_MAXINSNS * sizeof (struct sock_filter))
            sbx_die ("seccomp: %s: the program is larger than the kernel's limit", what);
          buf = sbx_xrealloc_array (buf, cap *= 2, 1);
        }
      ssize_t n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        sbx_die_errno (errno, "read seccomp program", what);
      if (n == 0)
        break;
      len += (size_t) n;
    }
  if (len == 0 || len % sizeof (struct sock_filter) != 0
      || len / sizeof (struct sock_filter) > BPF_MAXINSNS)
    sbx_die ("seccomp: %s: not a BPF program (its size must be a multiple of 8 bytes)", what);
  close (fd);
  struct sbx_bpf bpf = { .len = len / sizeof (struct sock_filter) };
  bpf.insns = (struct sock_filter *) buf;
  buf = NULL;
  return bpf;
}

/* --- the cache key --------------------------------------------------- */

static char *
policy_key (const struct sbx_seccomp_policy *policy)
{
  struct sbx_seccomp_policy keyed = *policy;
  keyed.n_bpf_fds = 0;          /* the fds are loaded apart from the policy */
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  if (out == NULL)
    sbx_die_errno (errno, "seccomp", "cache key");
  /* libseccomp's output depends on its version and on what the kernel
   * supports; the kernel release stands for the latter without the nine
   * probing system calls seccomp_api_get() makes. v2: the cached program
   * carries the hardening prefix. */
  const struct scmp_version *v = seccomp_version ();
  struct utsname uts;
  if (uname (&uts) < 0)
    sbx_die_errno (errno, "seccomp", "cache key");
  fprintf (out, "sbx seccomp cache v2\nlibseccomp %u.%u.%u kernel %s arch %u\n",
           v->major, v->minor, v->micro, uts.release, seccomp_arch_native ());
  sbx_seccomp_policy_print (&keyed, out);
  fclose (out);
  return text;
}

void
sbx_seccomp_prepare (const struct sbx_seccomp_policy *policy, struct sbx_seccomp_programs *out)
{
  *out = (struct sbx_seccomp_programs) { .mdwe = policy->mdwe && policy->mode != SBX_SECCOMP_NONE };
  size_t max = 1 + policy->n_bpf_fds;
  out->progs = sbx_xcalloc (max, sizeof *out->progs);
  if (policy->mode != SBX_SECCOMP_NONE)
    {
      autofree char *key = policy_key (policy);
      if (!sbx_bpfcache_load (key, &out->progs[out->n]))
        {
          out->progs[out->n] = harden (compile_policy (policy));
          sbx_bpfcache_store (key, &out->progs[out->n]);
        }
      out->n++;
    }
  for (size_t i = 0; i < policy->n_bpf_fds; i++)
    out->progs[out->n++] = read_bpf_fd (policy->bpf_fds[i]);
}

void
sbx_stage_seccomp (const struct sbx_seccomp_programs *programs)
{
  if (programs->mdwe && prctl (PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) < 0 && errno != EINVAL)
    sbx_die_errno (errno, "memory-deny-write-execute", NULL);
  for (size_t i = 0; i < programs->n; i++)
    {
      struct sock_fprog prog = { .len = (unsigned short) programs->progs[i].len,
                                 .filter = programs->progs[i].insns };
      if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        sbx_die_errno (errno, "load seccomp filter", NULL);
    }
}

void
sbx_seccomp_export (const struct sbx_seccomp_policy *policy, int fd)
{
  if (policy->mode == SBX_SECCOMP_NONE)
    sbx_die ("--seccomp-export: the policy is 'none': there is no filter to export");
  struct sbx_bpf bpf = harden (compile_policy (policy));
  if (sbx_write_all (fd, bpf.insns, bpf.len * sizeof (struct sock_filter)) < 0)
    sbx_die_errno (errno, "export seccomp filter", NULL);
  free (bpf.insns);
}
