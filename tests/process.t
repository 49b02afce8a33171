#!/bin/bash
# The command's process: environment, working directory, host name, argv0,
# session, --die-with-parent, signal forwarding and the pid 1 reaper.
. "$TOP_SRCDIR/tests/lib.sh"

# A working directory that does not exist inside ($T_TMP is below the
# host's /tmp, which the sandbox replaces with a tmpfs).
mkdir -p "$T_TMP/cwd"
cd "$T_TMP/cwd" || exit 1
exec 7>/dev/null

SHAPES=("in-place:" "pid-ns:--unshare-pid" "as-pid-1:--unshare-pid --as-pid-1")

# --- environment ------------------------------------------------------------

export SBXT_INHERITED=inherited SBXT_DROP=drop
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts --setenv SBXT_NEW 'a b=c' --unsetenv SBXT_DROP env
  env_out=$T_OUT
  t_like "$env_out" '^SBXT_NEW=a b=c$' "$name: --setenv sets the variable"
  t_like "$env_out" '^SBXT_INHERITED=inherited$' "$name: the caller's environment is inherited"
  t_unlike "$env_out" '^SBXT_DROP=' "$name: --unsetenv removes the variable"

  sbx_status $SBX_BASE $opts --clearenv env
  t_is "$T_OUT" "PWD=/" "$name: --clearenv leaves only PWD (set to the directory)"

  sbx_status $SBX_BASE $opts --setenv SBXT_BEFORE 1 --clearenv --setenv SBXT_AFTER 2 --chdir /usr env
  t_is "$(printf '%s\n' "$T_OUT" | LC_ALL=C sort | tr '\n' ' ')" "PWD=/usr SBXT_AFTER=2 " \
    "$name: --clearenv drops what came before it, keeps what follows; PWD is set"
done

sbx_status $SBX_BASE --setenv PWD /wrong --chdir /usr sh -c 'echo "$PWD"'
t_is "$T_OUT" "/usr" "PWD is where the command starts, whatever the caller's PWD was"

# --- working directory ---------------------------------------------------------

sbx_status $SBX_BASE --chdir /usr/bin sh -c 'pwd -P; echo "$PWD"'
t_is "$T_OUT" "/usr/bin
/usr/bin" "--chdir DIR: the command starts in DIR, PWD says so"

got=$(cd /usr/share && "$SBX" $SBX_BASE sh -c 'pwd -P; echo "$PWD"' 2>&1)
t_is "$got" "/usr/share
/usr/share" "default: the caller's directory, when it exists inside"

got=$(cd "$T_TMP/cwd" && "$SBX" $SBX_BASE sh -c 'pwd -P; echo "$PWD"' 2>&1)
t_is "$got" "/
/" "default: / when the caller's directory does not exist inside"

got=$(cd "$T_TMP/cwd" && "$SBX" $SBX_BASE --unshare-pid sh -c 'pwd -P' 2>&1)
t_is "$got" "/" "default with a pid namespace: / as well"

# --- host name -------------------------------------------------------------------

host_before=$(cat /proc/sys/kernel/hostname)
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts --hostname sbx-test-box sh -c 'cat /proc/sys/kernel/hostname; uname -n'
  t_is "$T_RC" 0 "$name: --hostname: exits 0"
  t_is "$T_OUT" "sbx-test-box
sbx-test-box" "$name: --hostname sets the name inside"
done
t_is "$(cat /proc/sys/kernel/hostname)" "$host_before" "the host's name is unchanged afterwards"

sbx_status $SBX_BASE cat /proc/sys/kernel/hostname
t_is "$T_OUT" "$host_before" "without --hostname the name inside is the host's"

# --- argv0 ------------------------------------------------------------------------

CMDLINE='tr "\0" " " < /proc/$$/cmdline; echo'
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts --argv0 my-name /bin/sh -c "$CMDLINE"
  t_like "$T_OUT" '^my-name -c ' "$name: --argv0 sets argv[0] (command given by path)"
  sbx_status $SBX_BASE $opts --argv0 other-name sh -c "$CMDLINE"
  t_like "$T_OUT" '^other-name -c ' "$name: --argv0 sets argv[0] (command found on PATH)"
  sbx_status $SBX_BASE $opts /bin/sh -c "$CMDLINE"
  t_like "$T_OUT" '^/bin/sh -c ' "$name: without --argv0 argv[0] is the command"
done

# --- session ----------------------------------------------------------------------

# Field 6 of /proc/PID/stat is the session id (as this namespace sees it).
SID='echo "$$ $(cut -d" " -f6 /proc/$$/stat)"'
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts sh -c "$SID"
  set -- $T_OUT
  t_isnt "${2:-}" "${1:-}" "$name: without --new-session the command is not a session leader"
  sbx_status $SBX_BASE $opts --new-session sh -c "$SID"
  set -- $T_OUT
  t_is "${2:-}" "${1:-x}" "$name: --new-session: the command leads its own session"
done
# A shell with job control (any interactive one) makes sbx the leader of
# its own process group; --new-session must work there too.
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  T_OUT=$(bash -c 'set -m; "$@"; exit $?' bash "$SBX" $SBX_BASE $opts --new-session sh -c "$SID" 2>"$T_TMP/.stderr")
  T_RC=$?
  t_is "$T_RC" 0 "$name: --new-session started as a process group leader: exits 0"
  set -- $T_OUT
  t_is "${2:-}" "${1:-x}" "$name: --new-session started as a process group leader: leads its own session ($(cat "$T_TMP/.stderr"))"
done
sbx_status $SBX_BASE sh -c "$SID"
t_is "${T_OUT#* }" "$(cut -d' ' -f6 /proc/$$/stat)" "without --new-session the command is in the caller's session"

# --- helpers for the background runs -------------------------------------------------

wait_for () {  # wait_for COMMAND...: poll up to 5 s until COMMAND succeeds
  local i
  for i in $(seq 100); do
    "$@" && return 0
    sleep 0.05
  done
  "$@"
}

gone () { ! pgrep -f "^sleep $1\$" >/dev/null; }
there () { pgrep -f "^sleep $1\$" >/dev/null; }
cleanup_sleep () {  # kill what a failed test left behind, by pid
  local p
  for p in $(pgrep -f "^sleep $1\$"); do kill -9 "$p" 2>/dev/null; done
}

# --- --die-with-parent ---------------------------------------------------------------

n=0
die_case () {  # die_case DESCRIPTION WHO-IS-KILLED SBX-OPTIONS...
  local desc=$1 who=$2; shift 2
  n=$((n + 1))
  local tag="1000.$$$n" out="$T_TMP/die$n" pid
  if [ "$who" = sbx ]; then
    "$SBX" $SBX_BASE "$@" --die-with-parent sh -c "echo ready; exec sleep $tag" > "$out" 2>&1 &
    pid=$!
  else
    # A parent shell that starts sbx and waits for it.
    sh -c '"$0" "$@"; echo parent-done' "$SBX" $SBX_BASE "$@" --die-with-parent \
      sh -c "echo ready; exec sleep $tag" > "$out" 2>&1 &
    pid=$!
  fi
  wait_for grep -q ready "$out"
  if ! wait_for there "$tag"; then
    t_result 1 "$desc: the sandboxed command started" "$(cat "$out")"
    { kill -9 "$pid"; wait "$pid"; } 2>/dev/null
    return
  fi
  { kill -9 "$pid"; wait "$pid"; } 2>/dev/null
  wait_for gone "$tag"
  t_result $? "$desc: the command is killed" "still running: $(pgrep -af "^sleep $tag\$")"
  cleanup_sleep "$tag"
}

die_case "pid namespace, sbx killed" sbx --unshare-pid
die_case "pid namespace, sbx's parent killed" parent --unshare-pid
die_case "--as-pid-1, sbx killed" sbx --unshare-pid --as-pid-1
die_case "--as-pid-1, sbx's parent killed" parent --unshare-pid --as-pid-1
die_case "no pid namespace, sbx's parent killed" parent
die_case "--json-status-fd, sbx killed" sbx --json-status-fd 7
die_case "--json-status-fd, sbx's parent killed" parent --json-status-fd 7

# Without --die-with-parent the command outlives a killed parent shell.
n=$((n + 1))
tag="1000.$$$n"
sh -c '"$0" "$@"; echo parent-done' "$SBX" $SBX_BASE sh -c "echo ready; exec sleep $tag" > "$T_TMP/die$n" 2>&1 &
pid=$!
wait_for grep -q ready "$T_TMP/die$n"
wait_for there "$tag"
{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null
sleep 0.3
t_ok "without --die-with-parent the command survives its parent (control)" there "$tag"
cleanup_sleep "$tag"

# --- signal forwarding --------------------------------------------------------------

sig_case () {  # sig_case DESCRIPTION SIGNAL STATUS SBX-OPTIONS...
  local desc=$1 sig=$2 status=$3; shift 3
  local out="$T_TMP/sig-$RANDOM" pid rc
  # env --default-signal: a signal ignored by whoever runs the tests
  # (nohup) stays ignored through sbx, as through any exec, and sh cannot
  # trap what it was started ignoring.
  "$SBX" $SBX_BASE "$@" env --default-signal="$sig" sh -c "trap 'echo got-$sig; exit $status' $sig; echo ready; while :; do sleep 0.1; done" \
    > "$out" 2>&1 &
  pid=$!
  wait_for grep -q ready "$out"
  kill "-$sig" "$pid"
  # The command exits by itself once it has the signal; give it 5 s.
  local i
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
  fi
  wait "$pid"
  rc=$?
  t_like "$(cat "$out")" "^got-$sig\$" "$desc: the command got SIG$sig"
  t_is "$rc" "$status" "$desc: sbx exits with the command's status"
}

sig_case "pid namespace" TERM 7 --unshare-pid
sig_case "pid namespace" USR1 8 --unshare-pid
sig_case "pid namespace" HUP 9 --unshare-pid
sig_case "--as-pid-1" USR1 8 --unshare-pid --as-pid-1
sig_case "--as-pid-1" TERM 7 --unshare-pid --as-pid-1
sig_case "--json-status-fd" TERM 7 --json-status-fd 7
sig_case "no pid namespace" TERM 7

# --- the pid 1 reaper ----------------------------------------------------------------

# An orphan is reparented to pid 1; once it has exited, pid 1 must reap it.
REAP='(sh -c "echo \$\$ > /tmp/orphan" &); i=0
while [ ! -s /tmp/orphan ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
o=$(cat /tmp/orphan); i=0
while [ -e /proc/$o ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
if [ -e /proc/$o ]; then echo "not reaped: $(cat /proc/$o/stat)"; else echo reaped; fi
ps -e -o stat= | grep -c "^Z"; :'
sbx_status $SBX_BASE --unshare-pid sh -c "$REAP"
t_is "$T_OUT" "reaped
0" "pid 1 reaps an orphan: it is gone and no process is a zombie"
t_is "$T_RC" 0 "... and the command's status is 0"

# When the command exits, the rest of the namespace goes with it.
n=$((n + 1))
tag="1000.$$$n"
sbx_status $SBX_BASE --unshare-pid sh -c "sleep $tag >/dev/null 2>&1 & echo \$! > /tmp/p; exit 4"
t_is "$T_RC" 4 "a command that leaves a background process: its status"
wait_for gone "$tag"
t_result $? "... and the background process is killed with the namespace"
cleanup_sleep "$tag"

# The command is not pid 1 behind the reaper; with --as-pid-1 it is.
sbx_status $SBX_BASE --unshare-pid sh -c 'echo $$'
t_is "$T_OUT" 2 "--unshare-pid: the command is pid 2, under the reaper"
sbx_status $SBX_BASE --unshare-pid --as-pid-1 sh -c 'echo $$'
t_is "$T_OUT" 1 "--as-pid-1: the command is pid 1"

t_done
