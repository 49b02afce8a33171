#!/bin/bash
# Credentials: every capability set is empty and no_new_privs is on, unless
# --cap-add keeps some; setuid binaries gain nothing.
. "$TOP_SRCDIR/tests/lib.sh"

PROBE=${PROBE:-$TOP_SRCDIR/tests/probe}
ZERO=0000000000000000

# caps_inside OPTIONS...: "CapInh=X CapPrm=X CapEff=X CapBnd=X CapAmb=X NoNewPrivs=N"
caps_inside () {
  "$SBX" --ro-bind / / "$@" cat /proc/self/status 2>&1 \
    | awk '/^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):/ { sub(":", "", $1); printf "%s%s=%s", sep, $1, $2; sep = " " }'
}
expect () {  # expect INH PRM EFF BND AMB: the caps_inside line with NoNewPrivs=1
  echo "CapInh=$1 CapPrm=$2 CapEff=$3 CapBnd=$4 CapAmb=$5 NoNewPrivs=1"
}
hex () { printf '%016x' "$1"; }

last_cap=$(cat /proc/sys/kernel/cap_last_cap)
if [ "$last_cap" -ge 63 ]; then all_bits=-1; else all_bits=$(( (1 << (last_cap + 1)) - 1 )); fi
ALL=$(hex "$all_bits")

# --- nothing by default -------------------------------------------------

none=$(expect $ZERO $ZERO $ZERO $ZERO $ZERO)
t_is "$(caps_inside)" "$none" "default uid: every capability set is empty, NoNewPrivs is 1"
t_is "$(caps_inside --uid 0 --gid 0)" "$none" "--uid 0: every capability set is empty, NoNewPrivs is 1"
t_is "$(caps_inside --unshare-all --proc /proc)" "$none" "--unshare-all: every capability set is empty, NoNewPrivs is 1"
t_is "$(caps_inside --unshare-all --uid 0 --gid 0 --proc /proc)" "$none" "--unshare-all --uid 0: every capability set is empty"
t_is "$(caps_inside --uid 1234)" "$none" "--uid 1234: every capability set is empty"
sbx_status --ro-bind / / --uid 0 "$PROBE" caps
t_is "$T_OUT" "$ZERO $ZERO $ZERO" "--uid 0: capget says effective, permitted and inheritable are empty"

# The pid 1 reaper is not what runs the command; the command's children
# inherit no_new_privs too.
sbx_status --ro-bind / / --unshare-pid --proc /proc sh -c 'sh -c "grep NoNewPrivs /proc/self/status"'
t_is "$T_OUT" "NoNewPrivs:	1" "a grandchild of the command still has NoNewPrivs 1"
sbx_status --ro-bind / / --unshare-pid --proc /proc "$PROBE" nnp
t_is "$T_OUT" "1" "prctl(PR_GET_NO_NEW_PRIVS) says 1 under a pid namespace"

# --- what the missing capabilities mean ----------------------------------

sbx_status --ro-bind / / --unshare-net "$PROBE" raw-socket
t_is "$T_OUT" "EPERM" "without CAP_NET_RAW a raw socket fails with EPERM, even in an own net namespace"
sbx_status --ro-bind / / --uid 0 --unshare-net "$PROBE" raw-socket
t_is "$T_OUT" "EPERM" "--uid 0 is no privilege: a raw socket fails with EPERM"
sbx_status --ro-bind / / --uid 0 --unshare-uts "$PROBE" sethostname other
t_is "$T_OUT" "EPERM" "--uid 0 --unshare-uts: sethostname fails with EPERM (no CAP_SYS_ADMIN)"
sbx_status --ro-bind / / --uid 0 "$PROBE" setuid 0
t_is "$T_OUT" "ok" "--uid 0: setuid(0) to the own uid works"

# --- --cap-add keeps exactly what it names ---------------------------------

raw=$(hex $((1 << 13)))
only_raw=$(expect "$raw" "$raw" "$raw" "$raw" "$raw")
t_is "$(caps_inside --cap-add CAP_NET_RAW)" "$only_raw" "--cap-add CAP_NET_RAW: only bit 13 in every set (ambient included), NoNewPrivs 1"
t_is "$(caps_inside --uid 1234 --cap-add CAP_NET_RAW)" "$only_raw" "--uid 1234 --cap-add CAP_NET_RAW: the same for a non-zero uid"
t_is "$(caps_inside --uid 0 --cap-add CAP_NET_RAW)" "$only_raw" "--uid 0 --cap-add CAP_NET_RAW: the same for uid 0"
sbx_status --ro-bind / / --unshare-net --cap-add CAP_NET_RAW "$PROBE" raw-socket
t_is "$T_OUT" "ok" "--unshare-net --cap-add CAP_NET_RAW: a raw socket can be opened"
sbx_status --ro-bind / / --unshare-net --uid 1234 --cap-add CAP_NET_RAW "$PROBE" raw-socket
t_is "$T_OUT" "ok" "... also as uid 1234 (the capability survives exec)"
sbx_status --ro-bind / / --unshare-net --cap-add CAP_NET_RAW sh -c "$PROBE raw-socket"
t_is "$T_OUT" "ok" "... and in a child of the command"

admin=$(hex $((1 << 12)))
t_is "$(caps_inside --unshare-net --cap-add cap_net_admin)" "$(expect "$admin" "$admin" "$admin" "$admin" "$admin")" \
  "--unshare-net --cap-add cap_net_admin (lower case): only bit 12"
t_is "$(caps_inside --uid 1000 --cap-add net_admin)" "$(expect "$admin" "$admin" "$admin" "$admin" "$admin")" \
  "--cap-add net_admin (no CAP_ prefix): only bit 12"
both=$(hex $(( (1 << 12) | (1 << 13) )))
t_is "$(caps_inside --cap-add CAP_NET_RAW --cap-add CAP_NET_ADMIN)" "$(expect "$both" "$both" "$both" "$both" "$both")" \
  "two --cap-add: bits 12 and 13"
t_is "$(caps_inside --cap-add CAP_NET_RAW --cap-drop CAP_NET_RAW)" "$none" "--cap-drop after --cap-add drops it again"

t_is "$(caps_inside --cap-add ALL)" "$(expect "$ALL" "$ALL" "$ALL" "$ALL" "$ALL")" "--cap-add ALL: every capability up to cap_last_cap ($last_cap)"
no_admin=$(hex $(( all_bits & ~(1 << 21) )))
t_is "$(caps_inside --cap-add ALL --cap-drop CAP_SYS_ADMIN)" \
  "$(expect "$no_admin" "$no_admin" "$no_admin" "$no_admin" "$no_admin")" \
  "--cap-add ALL --cap-drop CAP_SYS_ADMIN: all but bit 21"
t_is "$(caps_inside --uid 1234 --cap-add ALL --cap-drop CAP_SYS_ADMIN)" \
  "$(expect "$no_admin" "$no_admin" "$no_admin" "$no_admin" "$no_admin")" \
  "... also for uid 1234"
t_is "$(caps_inside --cap-add ALL --cap-drop ALL)" "$none" "--cap-add ALL --cap-drop ALL: nothing"

# --- setuid binaries gain nothing -----------------------------------------

passwd=/usr/bin/passwd
if [ -u "$passwd" ] && [ "$(stat -c %u "$passwd")" = 0 ]; then
  host_out=$("$passwd" -S 2>&1)
  if printf '%s\n' "$host_out" | grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4}'; then
    for opts in "" "--uid 0 --gid 0"; do
      # shellcheck disable=SC2086
      sbx_status --ro-bind / / $opts "$passwd" -S
      t_unlike "$T_OUT" '[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4}' \
        "setuid-root passwd -S ${opts:+($opts) }cannot read /etc/shadow inside (no password dates)"
    done
  else
    t_skip "passwd -S on the host shows no password dates"
    t_skip "passwd -S on the host shows no password dates"
  fi
  sbx_status --ro-bind / / "$passwd" -S
  t_isnt "$T_OUT" "$host_out" "passwd -S inside does not see what the setuid binary sees on the host"
else
  t_skip "no setuid-root $passwd"
  t_skip "no setuid-root $passwd"
  t_skip "no setuid-root $passwd"
fi
sbx_status --ro-bind / / --cap-add CAP_NET_RAW sh -c 'sh -c "grep NoNewPrivs /proc/self/status"'
t_is "$T_OUT" "NoNewPrivs:	1" "with a kept capability, a child still has NoNewPrivs 1"

# --- bad capability names --------------------------------------------------

for bad in CAP_BOGUS bogus 13 "" CAP_ CAP_LAST_CAP; do
  for opt in cap-add cap-drop; do
    sbx_status --ro-bind / / "--$opt" "$bad" echo ran
    t_is "$T_RC" 125 "--$opt '$bad' is rejected with exit 125"
    t_is "$(printf '%s\n' "$T_ERR" | wc -l)|$(printf '%s' "$T_ERR" | cut -c1-5)|$T_OUT" "1|sbx: |" \
      "--$opt '$bad': one 'sbx:' line and the command did not run"
  done
done
# A name with something after it is no capability name either: it must not
# be read as its first part with the rest silently dropped.
for bad in "CAP_CHOWN,CAP_NET_RAW" "CAP_NET_RAW CAP_CHOWN" "cap_net_raw,"; do
  for opt in cap-add cap-drop; do
    sbx_status --ro-bind / / "--$opt" "$bad" echo ran
    t_is "$T_RC" 125 "--$opt '$bad' is rejected with exit 125 (not taken as its first name)"
  done
done

t_done
