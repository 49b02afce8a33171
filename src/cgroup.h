/* Finding a cgroup sbx may use, rootless: shared by the plan (which picks
 * one) and the launch (which makes it). */
#ifndef SBX_CGROUP_H
#define SBX_CGROUP_H

#include "limits.h"

#include <stdbool.h>
#include <stddef.h>

/* Pick where the sandbox's cgroup goes: every role in NEEDED (bits of
 * enum sbx_cg_role) must be had, those in WANTED only if they can be.
 * False, with the reasons in WHY, when NEEDED cannot be met; true with
 * kind SBX_CGK_NONE when nothing was needed and nothing is available. */
bool sbx_cgroup_choose (struct sbx_cg_choice *choice, unsigned needed, unsigned wanted, char *why,
                        size_t why_len);

/* cgroup_sdbus.c, built WITH_SD_BUS: is a systemd manager on the user
 * bus? (False with the reason in WHY.) Only asks the bus who is there. */
bool sbx_sdbus_reachable (char *why, size_t why_len);
/* Move sbx itself into a new transient scope <cgroup name>.scope with
 * Delegate=yes and the limits as its properties, and wait for the job;
 * any error of the manager ends sbx (exit 125) naming it. */
void sbx_sdbus_start_scope (const struct sbx_limits *limits);

#endif
