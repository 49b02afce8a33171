#!/bin/bash
# Identity: the uid and gid inside, the id maps, setgroups, and bad ids.
. "$TOP_SRCDIR/tests/lib.sh"

PROBE=${PROBE:-$TOP_SRCDIR/tests/probe}
my_uid=$(id -u)
my_gid=$(id -g)
maps='for f in uid_map gid_map; do echo $(cat /proc/self/$f); done; cat /proc/self/setgroups'

# --- default: the caller's own ids -------------------------------------

sbx_status --ro-bind / / id -u
t_is "$T_OUT" "$my_uid" "id -u inside is the caller's uid by default"
sbx_status --ro-bind / / id -g
t_is "$T_OUT" "$my_gid" "id -g inside is the caller's gid by default"
sbx_status --ro-bind / / sh -c "$maps"
t_is "$T_OUT" "$my_uid $my_uid 1
$my_gid $my_gid 1
deny" "default maps: the caller's uid and gid to themselves, one id each; setgroups deny"

# --- --uid / --gid ------------------------------------------------------

sbx_status --uid 0 --gid 0 --ro-bind / / sh -c 'id -u; id -g'
t_is "$T_OUT" "0
0" "--uid 0 --gid 0: id -u and id -g say 0"
sbx_status --uid 0 --gid 0 --ro-bind / / id -un
t_is "$T_OUT" "root" "--uid 0: the user name inside is root"
sbx_status --uid 0 --gid 0 --ro-bind / / sh -c "$maps"
t_is "$T_OUT" "0 $my_uid 1
0 $my_gid 1
deny" "--uid 0 --gid 0: uid_map '0 $my_uid 1', gid_map '0 $my_gid 1', setgroups deny"

sbx_status --uid 1234 --gid 5678 --ro-bind / / sh -c 'id -u; id -g'
t_is "$T_OUT" "1234
5678" "--uid 1234 --gid 5678: id -u and id -g say 1234 and 5678"
sbx_status --uid 1234 --gid 5678 --ro-bind / / sh -c "$maps"
t_is "$T_OUT" "1234 $my_uid 1
5678 $my_gid 1
deny" "--uid 1234 --gid 5678: the maps have exactly one line each"

sbx_status --uid 4321 --ro-bind / / sh -c 'id -u; id -g'
t_is "$T_OUT" "4321
$my_gid" "--uid alone leaves the gid the caller's"
sbx_status --gid 4321 --ro-bind / / sh -c 'id -u; id -g'
t_is "$T_OUT" "$my_uid
4321" "--gid alone leaves the uid the caller's"
sbx_status --uid 1 --uid 2 --ro-bind / / id -u
t_is "$T_OUT" "2" "the last --uid wins"

sbx_status --uid 1234 --gid 5678 --ro-bind / / cat /proc/self/setgroups
t_is "$T_OUT" "deny" "/proc/self/setgroups is deny with other ids too"
sbx_status --ro-bind / / "$PROBE" setuid 0
t_is "$T_OUT" "EINVAL" "setuid(0) inside fails with EINVAL: uid 0 has no mapping"
sbx_status --ro-bind / / "$PROBE" setuid "$my_uid"
t_is "$T_OUT" "ok" "setuid to the own (mapped) uid works"

# Everything else is unmapped: host root's files belong to the overflow ids.
overflow_uid=$(cat /proc/sys/kernel/overflowuid 2>/dev/null || echo 65534)
overflow_gid=$(cat /proc/sys/kernel/overflowgid 2>/dev/null || echo 65534)
sbx_status --uid 0 --gid 0 --ro-bind / / stat -c '%u %g' /etc/passwd
t_is "$T_OUT" "$overflow_uid $overflow_gid" "--uid 0: the host root's /etc/passwd is owned by the overflow ids, not by root"

# Files the sandbox creates belong to the caller on the host.
mkdir "$T_TMP/w"
sbx_status --uid 0 --gid 0 --ro-bind / / --bind "$T_TMP/w" "$T_TMP/w" "$PROBE" write "$T_TMP/w/made-as-root"
t_is "$T_OUT" "ok" "--uid 0: a file can be created in a bound host directory"
t_is "$(stat -c '%u %g' "$T_TMP/w/made-as-root" 2>&1)" "$my_uid $my_gid" "on the host it belongs to the caller, not to root"

# --- bad ids: exit 125 with one line, before anything runs ----------------

for opt in uid gid; do
  for bad in -1 abc "" 1.5 " 1" +1 0x10 12abc 4294967295 4294967296 99999999999999999999; do
    sbx_status "--$opt" "$bad" --ro-bind / / echo ran
    t_is "$T_RC" 125 "--$opt '$bad' is rejected with exit 125"
    case "$T_ERR" in "sbx: --$opt: "*"'$bad'"*) r=0 ;; *) r=1 ;; esac
    t_result $r "--$opt '$bad': the message names the option and the value" "got: $T_ERR"
    t_is "$(printf '%s\n' "$T_ERR" | wc -l) $T_OUT" "1 " "--$opt '$bad': one line, and the command did not run"
  done
done
sbx_status --uid
t_is "$T_RC" 125 "--uid without a value is rejected with exit 125"

t_done
