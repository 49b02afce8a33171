/* The seccomp policy of a plan: what the options said, checked and kept in
 * a declarative form. seccomp.c compiles it (or takes it from the cache)
 * and loads it, last, right before exec. */
#ifndef SBX_SECCOMP_POLICY_H
#define SBX_SECCOMP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sbx_seccomp_mode {
  SBX_SECCOMP_DEFAULT,          /* the built-in deny-list, edited */
  SBX_SECCOMP_NONE,             /* no filter of ours at all */
  SBX_SECCOMP_ALLOWLIST,        /* only what the allow-list names */
};

enum sbx_seccomp_action { SBX_SC_ERRNO, SBX_SC_KILL, SBX_SC_LOG };

enum sbx_cmp { SBX_CMP_EQ, SBX_CMP_NE, SBX_CMP_LT, SBX_CMP_LE, SBX_CMP_GT, SBX_CMP_GE, SBX_CMP_MASKED_EQ };

struct sbx_arg_cond {
  unsigned arg;                 /* 0..5 */
  enum sbx_cmp op;
  uint64_t value;
  uint64_t mask;                /* for SBX_CMP_MASKED_EQ */
};

/* One syscall, optionally with conditions on its arguments (all must
 * hold). */
struct sbx_syscall_rule {
  char name[48];
  int nr;                       /* libseccomp's number for the native arch */
  unsigned n_conds;
  struct sbx_arg_cond conds[6];
};

struct sbx_seccomp_policy {
  enum sbx_seccomp_mode mode;
  enum sbx_seccomp_action action;       /* for blocked calls */
  int errnum;                           /* with SBX_SC_ERRNO */
  struct sbx_syscall_rule *block;       /* added to the deny-list */
  size_t n_block;
  struct sbx_syscall_rule *allow;       /* removed from the deny-list, or the allow-list */
  size_t n_allow;
  uint64_t protocols;                   /* allowed socket families; 0: all */
  bool block_secondary;                 /* refuse the i386 and x32 ABIs */
  bool allow_userns, allow_debuggers, mdwe;
  int *bpf_fds;                         /* --seccomp FD, --add-seccomp-fd */
  size_t n_bpf_fds;
};

void sbx_seccomp_policy_init (struct sbx_seccomp_policy *policy);
void sbx_seccomp_policy_free (struct sbx_seccomp_policy *policy);

/* Parsers for the option handlers. Each returns false on bad input, with
 * a message saying what is wrong in ERR. */
bool sbx_seccomp_parse_rules (struct sbx_seccomp_policy *policy, bool block, const char *text,
                              char *err, size_t errlen);
bool sbx_seccomp_add_allowlist (struct sbx_seccomp_policy *policy, const char *text,
                                char *err, size_t errlen);
bool sbx_seccomp_parse_errno (const char *text, int *errnum);
bool sbx_seccomp_parse_protocols (const char *text, uint64_t *families, char *err, size_t errlen);

/* The groups shipped with sbx, NULL-terminated: "@file-system", ... */
const char *const *sbx_seccomp_group_names (void);
/* The members of GROUP, NULL-terminated, or NULL for an unknown group. */
const char *const *sbx_seccomp_group (const char *group);

/* The default deny-list: name and errno (ENOSYS for clone3, so that libc
 * falls back to clone, whose flags can be checked). */
struct sbx_denied { const char *name; int errnum; };
const struct sbx_denied *sbx_seccomp_default_denylist (size_t *count);

/* A canonical, complete description of the policy: shown by --dry-run and
 * hashed as the cache key, so two policies that compile alike print
 * alike. */
void sbx_seccomp_policy_print (const struct sbx_seccomp_policy *policy, FILE *out);

#endif
