/* --wrap, --unwrap and --list-wrapped. */
#ifndef SBX_WRAPPERS_H
#define SBX_WRAPPERS_H

#include "plan.h"

/* Carry out the plan's wrapper verbs; returns the exit status. */
int sbx_wrappers_run (const struct sbx_plan *plan);

#endif
