/* The lifecycle verbs (--list, --enter, --stop, --kill) and the launch's
 * side of the registry. */
#ifndef SBX_LIFECYCLE_H
#define SBX_LIFECYCLE_H

#include "plan.h"
#include "registry.h"
#include "seccomp.h"

#include <stdnoreturn.h>

/* launch: before the fork, the registry folder to register in, or -1
 * (no registry: the launch goes on unregistered). Dies, before anything is
 * created, when an explicit --name is taken by a running sandbox. */
int sbx_register_prepare (const struct sbx_plan *plan);

/* launch, in the monitor: wait on READY (the sandbox writes a byte once its
 * root is built), then record CHILD. True when a record was written. */
bool sbx_register (const struct sbx_plan *plan, int dir, int ready, pid_t child,
                   const struct sbx_seccomp_programs *filters);

/* launch, after the sandbox ended: remove its record. */
void sbx_unregister (const struct sbx_plan *plan, int dir, pid_t child);

/* The running sandbox NAME, checked: the pid is alive and the same process
 * (start time), every id of it is the caller's, and its user namespace is
 * owned by the caller and is not the caller's own. Returns a pidfd; bad
 * input dies with exit 125. */
int sbx_sandbox_open (const char *verb, const char *name, struct sbx_record *rec);

/* --list, --stop, --kill, --enter: the exit status for main. */
int sbx_lifecycle_run (const struct sbx_plan *plan);
noreturn void sbx_enter (const struct sbx_plan *plan);

#endif
