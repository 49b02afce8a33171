/* Preparing and loading the seccomp filters of a plan. */
#ifndef SBX_SECCOMP_H
#define SBX_SECCOMP_H

#include "seccomp_policy.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

struct sbx_bpf {
  struct sock_filter *insns;
  size_t len;
};

/* The filters to load, in order, prepared before the sandbox is built. */
struct sbx_seccomp_programs {
  struct sbx_bpf *progs;
  size_t n;
  bool mdwe;
};

/* Compile the policy with the hardening checks (or read it from the
 * cache), and read the programs handed over by file descriptor. */
void sbx_seccomp_prepare (const struct sbx_seccomp_policy *policy, struct sbx_seccomp_programs *out);

/* The last stage before exec: load every prepared filter. */
void sbx_stage_seccomp (const struct sbx_seccomp_programs *programs);

/* --seccomp-export: write the compiled policy filter to FD. */
void sbx_seccomp_export (const struct sbx_seccomp_policy *policy, int fd);

#endif
