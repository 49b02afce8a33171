#!/bin/bash
# --info-fd and --json-status-fd, and which descriptors the command gets.
. "$TOP_SRCDIR/tests/lib.sh"

json_field () {  # json_field FILE NAME: the number after "NAME": in FILE
  sed -n "s/.*\"$2\": *\\([0-9][0-9]*\\).*/\\1/p" "$1" | head -n 1
}

valid_json () {  # valid_json FILE: one JSON document per line/whole file
  if command -v jq >/dev/null 2>&1; then
    jq -e . "$1" >/dev/null
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"
  else
    return 0
  fi
}

NS="cgroup ipc mnt net pid uts"
INSIDE='for n in cgroup ipc mnt net pid uts; do echo "$n $(stat -L -c %i /proc/self/ns/$n)"; done'

# --- --info-fd -----------------------------------------------------------------

sbx_status --ro-bind / / --unshare-all --proc /proc --dev /dev --info-fd 3 sh -c "$INSIDE" 3>"$T_TMP/info"
t_is "$T_RC" 0 "--info-fd with --unshare-all: exits 0"
t_ok "--info-fd: the content is JSON" valid_json "$T_TMP/info"
t_like "$(head -n 1 "$T_TMP/info")" '^\{$' "--info-fd: an object, as bubblewrap writes it"
pid=$(json_field "$T_TMP/info" child-pid)
t_like "$pid" '^[1-9][0-9]*$' "--info-fd: has \"child-pid\" ($pid)"
for n in $NS; do
  inside=$(printf '%s\n' "$T_OUT" | sed -n "s/^$n //p")
  reported=$(json_field "$T_TMP/info" "$n-namespace")
  t_like "$inside" '^[0-9]+$' "$n namespace: stat inside works ($inside)"
  t_is "$reported" "$inside" "--info-fd: \"$n-namespace\" is the id the command sees"
  t_isnt "$inside" "$(stat -L -c %i /proc/self/ns/$n)" "$n namespace: differs from the host's"
done

# Without a pid namespace the child pid is the command's own pid.
sbx_status $SBX_BASE --info-fd 3 sh -c 'echo $$' 3>"$T_TMP/info2"
t_is "$T_RC" 0 "--info-fd without a pid namespace: exits 0"
t_is "$(json_field "$T_TMP/info2" child-pid)" "$T_OUT" "--info-fd without a pid namespace: child-pid is the command's pid"
t_like "$(cat "$T_TMP/info2")" '"mnt-namespace": [0-9]+' "--info-fd: the mount namespace is always reported"
t_unlike "$(cat "$T_TMP/info2")" '"(net|uts|ipc|pid)-namespace"' "--info-fd: namespaces not created are not reported"
t_ok "--info-fd without a pid namespace: JSON" valid_json "$T_TMP/info2"

# The info fd is closed once written, while the command still runs: a
# reader sees the end of it without waiting for the command.
mkdir -p "$T_TMP/gate"
mkfifo "$T_TMP/fifo"
"$SBX" $SBX_BASE --unshare-pid --bind "$T_TMP/gate" /tmp/gate --info-fd 3 \
  sh -c 'stat -L -c %i /proc/self/ns/pid > /tmp/gate/ns; while [ ! -e /tmp/gate/go ]; do sleep 0.05; done' 3>"$T_TMP/fifo" &
bg=$!
timeout 10 cat "$T_TMP/fifo" > "$T_TMP/info3"
rc=$?
t_is "$rc" 0 "--info-fd: the reader gets end-of-file while the command still runs"
t_ok "... and the command was still running then" kill -0 "$bg"
for _ in $(seq 100); do [ -s "$T_TMP/gate/ns" ] && break; sleep 0.05; done
cpid=$(json_field "$T_TMP/info3" child-pid)
t_is "$(stat -L -c %i "/proc/$cpid/ns/pid" 2>&1)" "$(cat "$T_TMP/gate/ns")" \
  "--info-fd: child-pid is a host pid in the command's pid namespace"
touch "$T_TMP/gate/go"
wait "$bg"
t_is "$?" 0 "... and the command finishes normally"
t_like "$(cat "$T_TMP/info3")" '"child-pid": [0-9]+' "... and the report was complete"

# --- --json-status-fd ---------------------------------------------------------

for shape in "in-place:" "pid-ns:--unshare-pid" "as-pid-1:--unshare-pid --as-pid-1"; do
  name=${shape%%:*}
  opts=${shape#*:}
  for code in 0 4; do
    sbx_status $SBX_BASE $opts --json-status-fd 3 sh -c "exit $code" 3>"$T_TMP/status"
    t_is "$T_RC" "$code" "$name: --json-status-fd, exit $code: sbx exits $code"
    t_like "$(head -n 1 "$T_TMP/status")" '^\{ "child-pid": [1-9][0-9]*(, "[a-z]+-namespace": [0-9]+)* \}$' \
      "$name: --json-status-fd: the first line has child-pid"
    t_is "$(tail -n 1 "$T_TMP/status")" "{ \"exit-code\": $code }" "$name: --json-status-fd: the last line is the exit code $code"
    t_is "$(wc -l < "$T_TMP/status")" 2 "$name: --json-status-fd: two lines"
    ok=0
    while IFS= read -r line; do
      printf '%s\n' "$line" > "$T_TMP/line"
      valid_json "$T_TMP/line" || ok=1
    done < "$T_TMP/status"
    t_result "$ok" "$name: --json-status-fd: every line is JSON"
  done
done

sbx_status $SBX_BASE --unshare-pid --json-status-fd 3 sh -c 'kill -TERM $$; sleep 5' 3>"$T_TMP/status"
t_is "$T_RC" 143 "--json-status-fd: a command killed by SIGTERM: 143"
t_is "$(tail -n 1 "$T_TMP/status")" '{ "exit-code": 143 }' "--json-status-fd reports 143 for it"

sbx_status $SBX_BASE --json-status-fd 3 --chdir /nonexistent true 3>"$T_TMP/status"
t_is "$T_RC" 125 "--json-status-fd: a launch failure: 125"
t_is "$(tail -n 1 "$T_TMP/status")" '{ "exit-code": 125 }' "--json-status-fd reports 125 for it"

sbx_status $SBX_BASE --unshare-pid --json-status-fd 3 --info-fd 4 sh -c 'exit 6' 3>"$T_TMP/status" 4>"$T_TMP/info"
t_is "$T_RC" 6 "both reports: exits 6"
t_is "$(tail -n 1 "$T_TMP/status")" '{ "exit-code": 6 }' "both reports: the status fd ends with the exit code"
t_is "$(json_field "$T_TMP/status" child-pid)" "$(json_field "$T_TMP/info" child-pid)" \
  "both reports: the same child-pid"
t_is "$(json_field "$T_TMP/status" pid-namespace)" "$(json_field "$T_TMP/info" pid-namespace)" \
  "both reports: the same pid namespace"
t_ok "both reports: the info fd is JSON" valid_json "$T_TMP/info"
t_unlike "$(cat "$T_TMP/info")" 'exit-code' "both reports: the exit code goes to the status fd only"

# The monitor reports from outside the sandbox: what it reports must not
# depend on how far the sandbox got. Here the info fd is a full pipe, so
# the status line is written only after the command has started.
mkdir -p "$T_TMP/gate2"
mkfifo "$T_TMP/fifo2"
exec 8<>"$T_TMP/fifo2"
head -c 65536 /dev/zero >&8
"$SBX" $SBX_BASE --unshare-pid --bind "$T_TMP/gate2" /tmp/gate --info-fd 8 --json-status-fd 3 \
  sh -c 'touch /tmp/gate/started; while [ ! -e /tmp/gate/go ]; do sleep 0.05; done' \
  3>"$T_TMP/status2" 2>"$T_TMP/err2" &
bg=$!
for _ in $(seq 100); do [ -e "$T_TMP/gate2/started" ] && break; sleep 0.05; done
t_ok "full info pipe: the command started" test -e "$T_TMP/gate2/started"
head -c 65536 <&8 >/dev/null
timeout 5 head -n 5 <&8 > "$T_TMP/info4"
touch "$T_TMP/gate2/go"
wait "$bg"
t_is "$?" 0 "full info pipe: sbx exits 0"
exec 8<&-
t_is "$(cat "$T_TMP/err2")" "" "full info pipe: nothing on stderr"
t_like "$(cat "$T_TMP/info4")" '"pid-namespace": [0-9]+' "full info pipe: the info report has the pid namespace"
t_like "$(head -n 1 "$T_TMP/status2")" '"mnt-namespace": [0-9]+, "pid-namespace": [0-9]+' \
  "full info pipe: the status line still has the mnt and pid namespace ids"
t_is "$(json_field "$T_TMP/status2" pid-namespace)" "$(json_field "$T_TMP/info4" pid-namespace)" \
  "full info pipe: both reports give the same pid namespace"

# --- which descriptors the command gets -------------------------------------

# ls runs as a child of the shell, so /proc/$$/fd shows the shell's own
# descriptors, with no pipe of a pipeline among them.
FDS='ls /proc/$$/fd; :'
for shape in "in-place:" "pid-ns:--unshare-pid" "as-pid-1:--unshare-pid --as-pid-1"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts --info-fd 3 sh -c "$FDS" 3>"$T_TMP/info"
  t_is "$(echo $T_OUT)" "0 1 2" "$name: the --info-fd descriptor is not visible to the command"

  sbx_status $SBX_BASE $opts --json-status-fd 3 sh -c "$FDS" 3>"$T_TMP/status"
  t_is "$(echo $T_OUT)" "0 1 2" "$name: the --json-status-fd descriptor is not visible to the command"

  sbx_status $SBX_BASE $opts sh -c "$FDS" 5<"$T_TMP/info" 6<"$T_TMP/info"
  t_is "$(echo $T_OUT)" "0 1 2" "$name: descriptors not handed over are closed"

  echo kept-data > "$T_TMP/kept"
  sbx_status $SBX_BASE $opts --keep-fd 5 sh -c "$FDS; cat <&5" 5<"$T_TMP/kept" 6<"$T_TMP/info"
  t_is "$(echo $T_OUT)" "0 1 2 5 kept-data" "$name: --keep-fd 5 keeps 5 open (and readable), 6 is closed"
done

t_done
