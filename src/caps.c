/* Stage 6: credentials. no_new_privs, then every capability dropped from
 * the bounding, ambient, inheritable, permitted and effective sets, except
 * those the plan keeps. */
#include "caps.h"

#include "error.h"
#include "stages.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static int
cap_count (void)
{
  int n = (int) cap_max_bits ();
  return n > 64 ? 64 : n;
}

int
sbx_cap_from_name (const char *name)
{
  char full[64];
  if (strncasecmp (name, "cap_", 4) != 0)
    snprintf (full, sizeof full, "cap_%s", name);
  else
    snprintf (full, sizeof full, "%s", name);
  for (char *p = full; *p; p++)
    {
      /* libcap stops at a comma or a blank and ignores the rest. */
      if (!isalnum ((unsigned char) *p) && *p != '_')
        return -1;
      *p = (char) tolower ((unsigned char) *p);
    }
  cap_value_t value;
  /* libcap also takes bare numbers; a capability is named here. */
  if (isdigit ((unsigned char) full[4]) || cap_from_name (full, &value) < 0)
    return -1;
  if (value < 0 || value >= cap_count ())
    return -1;
  return value;
}

const char *
sbx_cap_name (int cap)
{
  static const char *const names[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
  };
  if (cap >= 0 && (size_t) cap < sizeof names / sizeof names[0])
    return names[cap];
  return "CAP_UNKNOWN";
}

uint64_t
sbx_caps_all (void)
{
  int n = cap_count ();
  return n >= 64 ? UINT64_MAX : (UINT64_C (1) << n) - 1;
}

void
sbx_stage_credentials (const struct sbx_plan *plan)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    sbx_die_errno (errno, "set no_new_privs", NULL);

  int n = cap_count ();
  uint64_t keep = plan->caps_keep;
  /* The bounding set first, while CAP_SETPCAP is still effective. */
  for (int cap = 0; cap < n; cap++)
    if (!(keep & (UINT64_C (1) << cap)) && cap_drop_bound ((cap_value_t) cap) < 0 && errno != EINVAL)
      sbx_die_errno (errno, "drop capability", sbx_cap_name (cap));
  /* One prctl, where libcap's cap_reset_ambient checks each capability. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    sbx_die_errno (errno, "clear ambient capabilities", NULL);

  cap_t caps = cap_init ();
  if (caps == NULL)
    sbx_die_errno (errno, "drop capabilities", NULL);
  for (int cap = 0; cap < n; cap++)
    if (keep & (UINT64_C (1) << cap))
      {
        cap_value_t value = cap;
        if (cap_set_flag (caps, CAP_PERMITTED, 1, &value, CAP_SET) < 0
            || cap_set_flag (caps, CAP_EFFECTIVE, 1, &value, CAP_SET) < 0
            || cap_set_flag (caps, CAP_INHERITABLE, 1, &value, CAP_SET) < 0)
          sbx_die_errno (errno, "keep capability", sbx_cap_name (cap));
      }
  if (cap_set_proc (caps) < 0)
    sbx_die_errno (errno, "drop capabilities", NULL);
  cap_free (caps);

  /* A kept capability must survive exec for a non-root uid too. */
  for (int cap = 0; cap < n; cap++)
    if ((keep & (UINT64_C (1) << cap)) && cap_set_ambient ((cap_value_t) cap, CAP_SET) < 0)
      sbx_die_errno (errno, "keep capability", sbx_cap_name (cap));
}
