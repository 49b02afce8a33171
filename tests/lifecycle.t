#!/bin/bash
# The lifecycle: --name, the registry, --list, --enter, --stop, --kill, and
# the refusals that keep --enter from reaching outside a sandbox.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
t_fake_home   # off /tmp, which the sandboxes cover with a tmpfs

export XDG_RUNTIME_DIR=$T_TMP/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"
REG=$XDG_RUNTIME_DIR/sbx
PIDS=()
cleanup_sandboxes () {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  t_cleanup
}
trap cleanup_sandboxes EXIT

start_ticks () {  # the start time of PID, field 22 of /proc/PID/stat
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $20}'
}

# wait_up NAME: until --enter NAME finds /tmp/up inside (bounded).
wait_up () {
  local i
  for i in $(seq 1 100); do
    "$SBX" --enter "$1" test -e /tmp/up 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_gone PID: until the process PID has ended (bounded).
wait_gone () {
  local i
  for i in $(seq 1 100); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

plant () {  # plant NAME PID TICKS: a hand-written record
  printf '{ "version": 1, "name": "%s", "pid": %s, "pid-start-time": %s, "command": ["evil"], "seccomp": [] }\n' \
    "$1" "$2" "$3" > "$REG/$1.json"
}

# --- a sandbox with a pid namespace --------------------------------------
"$SBX" --name box1 --unshare-pid --hostname boxy $SBX_BASE --chdir /usr \
  sh -c 'echo secret > /tmp/mark; touch /tmp/up; exec sleep 120' </dev/null >/dev/null 2>&1 &
box1=$!
PIDS+=("$box1")
wait_up box1; t_result $? "--enter reaches a named sandbox once it is up"

t_is "$(stat -c %a "$REG")" 700 "the registry folder has mode 0700"
t_ok "the record is a file named after the sandbox" test -f "$REG/box1.json"
list=$("$SBX" --list)
t_like "$list" '^NAME +PID +PROFILE +UPTIME +MEM +COMMAND' "--list: a header NAME PID PROFILE UPTIME MEM COMMAND"
t_like "$list" '^box1 +[0-9]+ +- +[0-9]+s +[0-9.]+[KMG] +sh -c echo secret' "--list shows the running sandbox"
json=$("$SBX" --list --json)
if command -v python3 >/dev/null; then
  got=$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([ (e["name"], e["command"][0], type(e["pid"]).__name__) for e in d])')
  t_is "$got" "[('box1', 'sh', 'int')]" "--list --json: an array of objects with name, command and pid"
else
  t_like "$json" '"name": "box1"' "--list --json names the sandbox"
fi
rec_pid=$(printf '%s' "$json" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')

t_is "$("$SBX" --enter box1 cat /tmp/mark 2>&1)" secret "--enter sees the files of the sandbox's own tmpfs"
t_is "$("$SBX" --enter box1 -- hostname 2>&1)" boxy "--enter sees the sandbox's host name"
t_is "$("$SBX" --enter box1 pwd 2>&1)" /usr "--enter starts in the sandbox's working folder"
inside=$("$SBX" --enter box1 readlink /proc/self/ns/pid 2>&1)
t_is "$inside" "$(readlink /proc/"$rec_pid"/ns/pid)" "--enter is in the sandbox's pid namespace"
t_like "$("$SBX" --enter box1 ps -e -o pid=,comm= 2>&1 | tr -s ' ' | tr '\n' ',')" '^ ?1 [a-z-]+, ?2 sleep,' \
  "--enter: ps shows the sandbox's processes, numbered from 1"
status=$("$SBX" --enter box1 cat /proc/self/status 2>&1)
t_like "$status" $'NoNewPrivs:\t1' "--enter: NoNewPrivs 1"
t_like "$status" $'CapEff:\t0000000000000000' "--enter: no effective capabilities"
t_like "$status" $'CapBnd:\t0000000000000000' "--enter: an empty bounding set"
t_like "$status" $'Seccomp:\t2' "--enter: a seccomp filter"
"$SBX" --enter box1 sh -c 'exit 7' >/dev/null 2>&1
t_is "$?" 7 "--enter exits with the command's status"
t_is "$("$SBX" --enter box1 2>&1 </dev/null; echo "rc=$?")" "rc=0" "--enter without a command runs a shell"
"$SBX" --enter box1 nosuchcommand-xyz >/dev/null 2>&1
t_is "$?" 127 "--enter: a command not found inside gives 127"

sbx_status --name box1 $SBX_BASE true
t_is "$T_RC" 125 "--name: a name a running sandbox has is refused with 125"
t_like "$T_ERR" "already running" "--name: ... and says so"

"$SBX" --kill box1 TERM
t_is "$?" 0 "--kill NAME TERM succeeds"
wait_gone "$box1"; t_result $? "--kill NAME TERM ends the sandbox"
t_fails "the record is removed when the sandbox ends" test -e "$REG/box1.json"
t_unlike "$("$SBX" --list)" '^box1 ' "--list does not show a sandbox that ended"

# --- --stop, and a sandbox without a pid namespace (no reaper) -----------
"$SBX" --name flat $SBX_BASE sh -c 'touch /tmp/up; exec sleep 120' </dev/null >/dev/null 2>&1 &
flat=$!
PIDS+=("$flat")
wait_up flat; t_result $? "--name forces a monitor: a sandbox without a pid namespace is registered"
t_like "$("$SBX" --enter flat grep Seccomp: /proc/self/status 2>&1)" $'Seccomp:\t2' "--enter flat: a seccomp filter"
"$SBX" --stop flat
t_is "$?" 0 "--stop NAME succeeds"
wait_gone "$flat"; t_result $? "--stop ends the sandbox"
t_fails "--stop: the record is gone" test -e "$REG/flat.json"

"$SBX" --name numbered --unshare-pid $SBX_BASE sh -c 'touch /tmp/up; exec sleep 120' </dev/null >/dev/null 2>&1 &
numbered=$!
PIDS+=("$numbered")
wait_up numbered
"$SBX" --kill numbered 9
wait_gone "$numbered"; t_result $? "--kill NAME 9 (a number) ends the sandbox"

# Without --name, a sandbox with a monitor is PROFILE-PID (sbx-PID without
# a profile), PID being sbx's own.
"$SBX" --unshare-pid $SBX_BASE sh -c 'touch /tmp/up; exec sleep 120' </dev/null >/dev/null 2>&1 &
unnamed=$!
PIDS+=("$unnamed")
wait_up "sbx-$unnamed"; t_result $? "without --name, the sandbox is registered as sbx-PID"
t_like "$("$SBX" --list)" "^sbx-$unnamed +[0-9]+ +- " "--list shows it under that name"
"$SBX" --stop "sbx-$unnamed"
wait_gone "$unnamed"; t_result $? "--stop sbx-PID ends it"

# --- signals: --kill passes every catchable signal on ---------------------
# The command records each signal it traps in /tmp/got inside the sandbox.
TRAPS='for s in WINCH ALRM USR2 CONT TSTP HUP PWR; do trap "echo $s >> /tmp/got" $s; done; touch /tmp/up
       while :; do sleep 1000 & wait $!; done'
got_has () {  # got_has NAME WORD...: until /tmp/got in NAME has each WORD (as often as given; bounded)
  local name=$1 i w ok; shift
  for i in $(seq 1 100); do
    ok=1
    G=$("$SBX" --enter "$name" cat /tmp/got 2>/dev/null | tr '\n' ' ')
    for w in "$@"; do
      [ "$(grep -ow "$w" <<<"$G" | wc -l)" -ge "$(printf '%s\n' "$@" | grep -cx "$w")" ] || ok=0
    done
    [ "$ok" = 1 ] && return 0
    sleep 0.1
  done
  return 1
}
states () {  # states PID: the state letters of PID and of its children
  local p=$1 c
  printf '%s' "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)"
  for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do printf ' %s' "$(states "$c")"; done
}
# env --default-signal: sh cannot trap a signal it starts ignoring, as it
# would under a test run started with nohup.
"$SBX" --name sigs --unshare-pid $SBX_BASE env --default-signal sh -c "$TRAPS" </dev/null >/dev/null 2>&1 &
sigs=$!
PIDS+=("$sigs")
wait_up sigs
ok=0
for s in WINCH SIGALRM usr2 TSTP HUP PWR; do "$SBX" --kill sigs "$s" || ok=1; done
t_is "$ok" 0 "--kill NAME with WINCH, SIGALRM, usr2, TSTP, HUP, PWR succeeds"
got_has sigs WINCH ALRM USR2 TSTP HUP PWR
t_result $? "--kill: the reaper passes each of them on to the command" "got: $G"
kill -WINCH "$sigs"
got_has sigs WINCH WINCH
t_result $? "a SIGWINCH sent to the sbx process itself reaches the command" "got: $G"
"$SBX" --enter sigs sh -c 'trap "echo EWINCH >> /tmp/got; exit 0" WINCH; touch /tmp/eup
  while :; do sleep 1000 & wait $!; done' </dev/null >/dev/null 2>&1 &
entered=$!
for i in $(seq 1 100); do "$SBX" --enter sigs test -e /tmp/eup 2>/dev/null && break; sleep 0.1; done
kill -WINCH "$entered"
got_has sigs EWINCH
t_result $? "a SIGWINCH sent to an sbx --enter process reaches what it runs" "got: $G"
wait "$entered"
t_is "$?" 0 "--enter: ... which exits with its own status"
"$SBX" --kill sigs 0
t_is "$?" 0 "--kill NAME 0: exit 0 while the sandbox runs"
init=$(sed -n 's/^  "pid": \([0-9]*\),$/\1/p' "$REG/sigs.json")
"$SBX" --kill sigs STOP
t_like "$(states "$init")" '^T( T)+$' "--kill NAME STOP stops every process of the sandbox, not only its init"
"$SBX" --kill sigs CONT
t_unlike "$(states "$init")" 'T' "--kill NAME CONT wakes them all"
got_has sigs CONT
t_result $? "--kill NAME CONT: the command gets its SIGCONT" "got: $G"
t_is "$(grep -c CONT <<<"${G// /$'\n'}")" 1 "--kill NAME CONT: ... once"
"$SBX" --kill sigs KILL
wait_gone "$sigs"; t_result $? "--kill NAME KILL ends the sandbox"
wait "$sigs"
t_is "$?" 137 "the monitor exits 128+9"
t_fails "the monitor is spared by --kill KILL: it removed the record" test -e "$REG/sigs.json"
sbx_status --kill sigs 0
t_is "$T_RC" 125 "--kill NAME 0: exit 125 once it ended"
t_like "$T_ERR" "no running sandbox named 'sigs'" "--kill NAME 0: ... saying so"

# Without a pid namespace the command is the init: the monitor passes on
# what it gets.
"$SBX" --name flatsigs $SBX_BASE sh -c "$TRAPS" </dev/null >/dev/null 2>&1 &
flatsigs=$!
PIDS+=("$flatsigs")
wait_up flatsigs
kill -USR2 "$flatsigs"
"$SBX" --kill flatsigs ALRM
got_has flatsigs USR2 ALRM
t_result $? "no pid namespace: a signal to the sbx process and --kill reach the command" "got: $G"
"$SBX" --kill flatsigs KILL
wait_gone "$flatsigs"; t_result $? "no pid namespace: --kill NAME KILL ends it"
t_fails "no pid namespace: the monitor is spared and removed the record" test -e "$REG/flatsigs.json"

# --- the registry is out of every sandbox's reach ------------------------
"$SBX" --name watched --unshare-pid $SBX_BASE sh -c 'touch /tmp/up; exec sleep 120' </dev/null >/dev/null 2>&1 &
watched=$!
PIDS+=("$watched")
wait_up watched
before=$(t_snapshot "$REG")
out=$("$SBX" $SBX_BASE --bind "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR" sh -c '
  ls -A "$XDG_RUNTIME_DIR/sbx" | wc -l
  { echo "{ \"version\": 1, \"name\": \"evil\", \"pid\": 1, \"pid-start-time\": 1, \"command\": [\"x\"] }" \
    > "$XDG_RUNTIME_DIR/sbx/evil.json"; } 2>/dev/null && echo wrote
  mv "$XDG_RUNTIME_DIR/sbx" "$XDG_RUNTIME_DIR/moved" 2>/dev/null && echo moved
  exit 0' 2>&1)
t_is "$out" 0 "with the runtime folder bound, the registry shows empty inside and cannot be written or moved"
t_is "$(t_snapshot "$REG")" "$before" "the registry on the host is unchanged"
t_fails "no planted record appears on the host" test -e "$REG/evil.json"
t_like "$("$SBX" --dry-run true | grep '^hidden:')" "^hidden: $REG" "--dry-run shows the registry hidden"

# --- records --enter must refuse -----------------------------------------
plant hostshell $$ "$(start_ticks $$)"
sbx_status --enter hostshell touch "$T_TMP/pwned"
t_is "$T_RC" 125 "--enter refuses a record pointing at a host process (125)"
t_like "$T_ERR" "not in a sandbox" "--enter: ... saying it is not a sandbox"
t_fails "--enter: ... and ran nothing" test -e "$T_TMP/pwned"
sbx_status --kill hostshell KILL
t_is "$T_RC" 125 "--kill refuses a record pointing at a host process"

plant rootproc 1 "$(start_ticks 1)"
sbx_status --enter rootproc true
t_is "$T_RC" 125 "--enter: a sandbox of another user (pid 1) is refused with 125"
t_like "$T_ERR" "another user" "--enter: ... saying it belongs to another user"
sbx_status --stop rootproc
t_is "$T_RC" 125 "--stop: a process of another user is refused with 125"
t_unlike "$("$SBX" --list)" '^(hostshell|rootproc) ' "--list does not show records --enter would refuse"

# The live sandbox's pid and start time, but not its user namespace.
wpid=$(sed -n 's/^  "pid": \([0-9]*\),$/\1/p' "$REG/watched.json")
printf '{ "version": 1, "name": "mismatch", "pid": %s, "pid-start-time": %s, "command": ["x"], "namespaces": { "user": 1 } }\n' \
  "$wpid" "$(start_ticks "$wpid")" > "$REG/mismatch.json"
sbx_status --enter mismatch true
t_is "$T_RC" 125 "--enter refuses a record whose namespaces are not the process's"
t_like "$T_ERR" "does not match" "... saying so"

# A record that claims the live sandbox with a start time not its own (a
# reused pid) is stale.
plant reused "$wpid" 12345
sleep 0 & dead=$!; wait "$dead"
plant deadone "$dead" 12345
printf 'not json' > "$REG/garbage.json"
"$SBX" --list >/dev/null
t_fails "a stale record (dead pid) is swept by --list" test -e "$REG/deadone.json"
t_fails "a stale record (pid reused: another start time) is swept" test -e "$REG/reused.json"
t_fails "a malformed record is swept" test -e "$REG/garbage.json"
t_ok "the live sandbox's record stays" test -e "$REG/watched.json"
"$SBX" --stop watched

# --- bad input -----------------------------------------------------------
sbx_status --enter nosuch true
t_is "$T_RC" 125 "--enter: an unknown name gives 125"
t_like "$T_ERR" "no running sandbox named 'nosuch'" "--enter: ... with a clear message"
sbx_status --stop nosuch
t_is "$T_RC" 125 "--stop: an unknown name gives 125"
t_like "$T_ERR" "no running sandbox named 'nosuch'" "--stop: ... with a clear message"
for bad in ../x a/b .hidden -dash "" "$(printf 'x%.0s' $(seq 1 65))"; do
  sbx_status --name "$bad" $SBX_BASE true
  t_is "$T_RC" 125 "--name '${bad:0:12}': refused with 125"
done
t_like "$T_ERR" "not a valid name" "--name: ... saying the name is not valid"
sbx_status --enter ../x true
t_is "$T_RC" 125 "--enter: an invalid name gives 125"
sbx_status --kill nosuch NOTASIGNAL
t_is "$T_RC" 125 "--kill: an unknown signal gives 125"
t_like "$T_ERR" "not a signal" "--kill: ... with a clear message"
for bad in "" 65 -1 +1 SIG RTMIN+99 RTMAX-x 9999; do
  sbx_status --kill nosuch "$bad"
  t_is "$T_RC" 125 "--kill: signal '$bad' gives 125"
  t_like "$T_ERR" "^sbx: --kill: not a signal: '$(printf '%s' "$bad" | sed 's/[+]/[+]/g')'" "--kill: ... and names it"
done
for good in 0 64 sigrtmin RTMIN+2 RTMAX-1 winch; do
  sbx_status --kill nosuch "$good"
  t_like "$T_ERR" "no running sandbox named 'nosuch'" "--kill: '$good' is a signal"
done
T_OUT=$(XDG_RUNTIME_DIR=$T_TMP "$SBX" --enter nosuch true 2>&1); T_RC=$?
t_is "$T_RC" 125 "--enter with no registry at all gives 125"
t_like "$T_OUT" "no running sandbox named 'nosuch'" "... naming the sandbox"
sbx_status --list extra
t_is "$T_RC" 125 "--list takes no command"
chmod 0755 "$REG"
sbx_status --list
t_is "$T_RC" 125 "a registry others can read is refused"
t_like "$T_ERR" "mode 0700" "... saying why"
sbx_status --name loose $SBX_BASE true
t_is "$T_RC" 0 "a launch never fails because the registry is unusable"
chmod 0700 "$REG"
if [ ! -d "/run/user/$(id -u)" ]; then
  T_OUT=$(env -u XDG_RUNTIME_DIR "$SBX" --list 2>&1); T_RC=$?
  t_is "$T_RC" 125 "without XDG_RUNTIME_DIR or /run/user/UID, --list fails with 125"
  t_like "$T_OUT" "no XDG_RUNTIME_DIR" "... saying why"
  T_OUT=$(env -u XDG_RUNTIME_DIR "$SBX" --name unreg $SBX_BASE echo ran 2>&1); T_RC=$?
  t_is "$T_RC" 0 "without a registry, --name still launches"
  t_like "$T_OUT" "not registered" "... with a warning"
else
  t_skip "/run/user/$(id -u) exists: the no-registry case cannot be shown"
fi
t_done
