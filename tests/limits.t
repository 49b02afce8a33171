#!/bin/bash
# Resource limits: cgroup limits (v2, or v1 on hybrid hosts), rlimits,
# --timeout, the summary, and every bad input. The cgroup tests need a
# delegated cgroup below the one the test runs in (.ci/run makes one);
# without it they skip, saying so.
. "$TOP_SRCDIR/tests/lib.sh"
: "${HOG:?HOG must name the tests/hog helper}"

cd "$T_TMP" || exit 1
unset XDG_RUNTIME_DIR
BASE="--noprofile $SBX_BASE --unshare-pid"

# Which cgroup would sbx use for each kind of limit?
cgroup_for () {  # cgroup_for OPTIONS...: the plan's cgroup line, or empty
  "$SBX" --noprofile --dry-run "$@" true 2>/dev/null | sed -n 's/^cgroup: //p'
}
mem_cg=$(cgroup_for --memory 64M)
pids_cg=$(cgroup_for --pids 20)
cpu_cg=$(cgroup_for --cpus 0.5)
stats_cg=$(cgroup_for --stats)
no_cgroup="no delegated cgroup here (run the suite in one, as .ci/run does)"
echo "# memory: ${mem_cg:-none}; pids: ${pids_cg:-none}; cpu: ${cpu_cg:-none}; stats: ${stats_cg:-none}"

# --- bad input ---------------------------------------------------------------

bad () {  # bad REGEX OPTIONS...: sbx refuses them with exit 125 and REGEX
  local want=$1; shift
  sbx_status --noprofile "$@" true
  t_is "$T_RC" 125 "$* exits 125"
  t_like "$T_ERR" "$want" "$* says why"
}
bad "^sbx: --memory: not a valid size: 'abc'" --memory abc
bad "^sbx: --memory: " --memory 0
bad "^sbx: --memory: not a valid size" --memory 12X
bad "^sbx: --memory-swap: not a valid size" --memory 64M --memory-swap -1
bad "^sbx: --cpus: not a valid number of CPUs: '-1'" --cpus -1
bad "^sbx: --cpus: .*out of range" --cpus 0
bad "^sbx: --cpus: not a valid number of CPUs" --cpus nan
bad "^sbx: --pids: .*out of range" --pids 0
bad "^sbx: --pids: not a valid number" --pids many
bad "^sbx: --cpu-weight: .*out of range" --cpu-weight 0
bad "^sbx: --io-weight: .*out of range" --io-weight 10001
bad "^sbx: --timeout: not a valid duration: '5x'" --timeout 5x
bad "^sbx: --timeout: duration out of range" --timeout 0
bad "^sbx: --kill-after: not a valid duration" --kill-after -1
bad "^sbx: --rlimit-nofile: not a valid number" --rlimit-nofile lots
bad "^sbx: --rlimit-as: not a valid size" --rlimit-as 1Q
bad "^sbx: --memory-swap: needs --memory" --memory-swap 1G
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ]; then
  bad "^sbx: --rlimit-nofile: above the hard limit" --rlimit-nofile $((hard + 1))
fi

# A profile line takes the same words, and the same checks.
mkdir -p "$T_TMP/profiles"
printf 'memory abc\n' > "$T_TMP/profiles/badmem.sbx"
sbx_status --profile "$T_TMP/profiles/badmem.sbx" true
t_is "$T_RC" 125 "a profile line 'memory abc' exits 125"
t_like "$T_ERR" "badmem.sbx:1: memory: not a valid size" "and names the file and line"
printf 'rlimit-nofile 64\ntimeout 30s\n' > "$T_TMP/profiles/lim.sbx"
sbx_status --profile "$T_TMP/profiles/lim.sbx" --dry-run true
t_like "$T_OUT" "^rlimits: nofile=64$" "profile lines set rlimits (dry run)"
t_like "$T_OUT" "^timeout: 30s, then SIGKILL after 5s$" "profile lines set the timeout (dry run)"

# --- rlimits -------------------------------------------------------------------

sbx_status $BASE --rlimit-nofile 123 --rlimit-as 1G --rlimit-core 0 --rlimit-fsize 10M \
  --rlimit-cpu 1m --rlimit-nproc 500 cat /proc/self/limits
limits=$T_OUT
t_like "$limits" "^Max open files +123 +123 " "--rlimit-nofile shows in /proc/self/limits"
t_like "$limits" "^Max address space +1073741824 +1073741824 " "--rlimit-as 1G shows in /proc/self/limits"
t_like "$limits" "^Max core file size +0 +0 " "--rlimit-core 0 shows in /proc/self/limits"
t_like "$limits" "^Max file size +10485760 +10485760 " "--rlimit-fsize 10M shows in /proc/self/limits"
t_like "$limits" "^Max cpu time +60 +60 " "--rlimit-cpu 1m shows in /proc/self/limits"
t_like "$limits" "^Max processes +500 +500 " "--rlimit-nproc shows in /proc/self/limits"
sbx_status --noprofile $SBX_BASE --rlimit-nofile 77 cat /proc/self/limits
t_like "$T_OUT" "^Max open files +77 +77 " "rlimits apply in the exec-in-place shape too"
sbx_status $BASE --rlimit-fsize 1K sh -c 'head -c 4096 /dev/zero > /tmp/big'
t_isnt "$T_RC" 0 "--rlimit-fsize 1K stops a 4K write"

# --- timeout -------------------------------------------------------------------

sbx_status $BASE --timeout 0.5 sleep 30
t_is "$T_RC" 124 "--timeout ends a sleeping command with exit status 124"
t_like "$T_ERR" "^sbx: killed: timeout 0.5s reached" "and says so"
sbx_status $BASE --timeout 0.3 --kill-after 0.3 sh -c 'trap "" TERM; sleep 30; sleep 30'
t_is "$T_RC" 124 "--kill-after: a command that ignores SIGTERM is killed, still 124"
sbx_status --noprofile $SBX_BASE --timeout 0.3 --kill-after 0.3 sleep 30
t_is "$T_RC" 124 "--timeout without a pid namespace: 124"
sbx_status $BASE --timeout 30 sh -c 'exit 3'
t_is "$T_RC" 3 "a command that ends in time keeps its own status"
t_is "$T_ERR" "" "and nothing is printed"

# --- the cgroup: joined, a root view with --unshare-cgroup, removed -----------

if [ -n "$stats_cg" ]; then
  sbx_status $BASE --stats cat /proc/self/cgroup
  t_is "$T_RC" 0 "--stats runs in a cgroup of its own ($stats_cg)"
  name=$(printf '%s\n' "$T_OUT" | grep -oE 'sbx-sbx-[0-9]+' | head -n 1)
  t_like "$name" '^sbx-sbx-[0-9]+$' "the sandbox's cgroup is sbx-<name>-<pid>"
  t_like "$T_ERR" '^sbx: stats: peak memory [0-9.]+[KMG]?.*, cpu time [0-9.]+s, no limit reached$' \
    "--stats prints the one-line summary"
  case $stats_cg in
    v2*) t_like "$T_OUT" "^0::/.*/$name\$" "cgroup v2: the sandbox joined its cgroup" ;;
    *) t_like "$T_OUT" "^[0-9]+:[a-z,]+:/.*/$name\$" "cgroup v1: the sandbox joined its cgroup" ;;
  esac
  left=$(find /sys/fs/cgroup -maxdepth 10 -type d -name "$name" 2>/dev/null)
  t_is "$left" "" "the cgroup is removed after exit"

  sbx_status $BASE --stats --unshare-cgroup cat /proc/self/cgroup
  t_unlike "$T_OUT" "sbx-sbx" "--unshare-cgroup: the sandbox's own cgroup is its root"
  t_like "$T_OUT" "^0::/\$" "--unshare-cgroup: /proc/self/cgroup shows /"

  # Without a pid namespace, a daemon outlives the command: it ends with
  # the sandbox all the same, and the cgroup goes.
  sbx_status --noprofile $SBX_BASE --stats sh -c 'sleep 60 & cat /proc/self/cgroup'
  name=$(printf '%s\n' "$T_OUT" | grep -oE 'sbx-sbx-[0-9]+' | head -n 1)
  left=$(find /sys/fs/cgroup -maxdepth 10 -type d -name "$name" 2>/dev/null)
  t_is "$left" "" "a process left behind is ended and the cgroup removed"
else
  for i in 1 2 3 4 5 6 7 8; do t_skip "the cgroup tests: $no_cgroup"; done
fi

# --- memory, pids, cpu ------------------------------------------------------------

if [ -n "$mem_cg" ]; then
  sbx_status $BASE --memory 64M "$HOG" alloc 200
  t_isnt "$T_RC" 0 "--memory 64M stops a program allocating 200 MB ($mem_cg)"
  t_unlike "$T_OUT" "allocated 200" "the program never had its 200 MB"
  t_like "$T_ERR" "^sbx: killed: memory limit 64M reached \\(peak memory" "the summary says the memory limit killed it"
  sbx_status $BASE --memory 64M "$HOG" alloc 20
  t_is "$T_OUT" "allocated 20" "--memory 64M leaves a 20 MB program alone"
  t_is "$T_ERR" "" "and prints nothing"
else
  for i in 1 2 3 4 5; do t_skip "--memory: $no_cgroup"; done
fi

if [ -n "$pids_cg" ]; then
  sbx_status $BASE --pids 20 "$HOG" fork 1000
  t_like "$T_OUT" "^forked 1?[0-9] EAGAIN$" "--pids 20 stops a fork bomb at fewer than 20 ($pids_cg)"
  t_ok "the host still forks after it" sh -c 'true & wait'
  sbx_status $BASE --pids 20 --stats "$HOG" fork 1000
  t_like "$T_ERR" "pids limit 20 reached \\([0-9]+ forks refused\\)" "--stats reports the refused forks"
else
  for i in 1 2 3; do t_skip "--pids: $no_cgroup"; done
fi

if [ -n "$cpu_cg" ]; then
  # CPU time over a 3 s wall window; generous bounds around 50%.
  sbx_status $BASE --cpus 0.5 "$HOG" spin 3
  [ "${T_OUT:-0}" -ge 20 ] && [ "${T_OUT:-100}" -le 75 ]
  t_result $? "--cpus 0.5 keeps a busy loop near 50% of a CPU ($cpu_cg)" "got ${T_OUT}%"
  # A limit the kernel refuses (v1: a quota above the parent's) leaves
  # nothing behind.
  parent=$(printf '%s\n' "$cpu_cg" | sed -n 's/^v1 cpu:\(.*\)\/sbx-sbx-[0-9]*$/\1/p')
  if [ -n "$parent" ] && [ -w "$parent/cpu.cfs_quota_us" ]; then
    echo 50000 > "$parent/cpu.cfs_quota_us"
    before=$(ls "$parent")
    sbx_status $BASE --cpus 2 true
    echo -1 > "$parent/cpu.cfs_quota_us"
    t_is "$T_RC" 125 "a limit the kernel refuses exits 125"
    t_like "$T_ERR" "^sbx: write cgroup limit: .*cpu.cfs_quota_us: Invalid argument$" "and names the file"
    t_is "$(ls "$parent")" "$before" "and leaves no cgroup behind"
  else
    for i in 1 2 3; do t_skip "a refused limit: needs a delegated v1 cpu cgroup"; done
  fi
else
  for i in 1 2 3 4; do t_skip "--cpus: $no_cgroup"; done
fi

# --- the lifecycle in a cgroup: --enter joins it, a killed sbx's is swept -----

# until_true TRIES COMMAND...: run COMMAND until it succeeds (0.1 s apart).
until_true () {
  local n=$1 i; shift
  for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}
lc () { XDG_RUNTIME_DIR=$T_TMP/run "$SBX" "$@"; }
mkdir -p -m 0700 "$T_TMP/run"
if [ -n "$pids_cg" ]; then
  XDG_RUNTIME_DIR=$T_TMP/run "$SBX" --noprofile $BASE --name cgbox --pids 12 \
    sh -c 'cat /proc/self/cgroup > /tmp/cg; exec sleep 120' </dev/null >/dev/null 2>&1 &
  cgbox=$!
  until_true 100 lc --enter cgbox test -s /tmp/cg 2>/dev/null
  own=$(lc --enter cgbox cat /tmp/cg 2>&1)
  entered=$(lc --enter cgbox cat /proc/self/cgroup 2>&1)
  t_like "$own" ":pids:/.*/sbx-sbx-$cgbox\$" "the sandbox's command is in its limits cgroup ($pids_cg)"
  t_is "$entered" "$own" "--enter NAME joins the sandbox's cgroups: /proc/self/cgroup is the command's"
  dir=$(printf '%s\n' "$pids_cg" | sed 's/^.*pids:\([^ ]*\)\/[^/ ]*.*$/\1/')/sbx-sbx-$cgbox
  XDG_RUNTIME_DIR=$T_TMP/run "$SBX" --enter cgbox sleep 60 </dev/null >/dev/null 2>&1 &
  ent=$!
  until_true 100 test -n "$(cat "/proc/$ent/task/$ent/children" 2>/dev/null)"
  ent_child=$(cat "/proc/$ent/task/$ent/children" 2>/dev/null | tr -d ' ')
  grep -qx "$ent" "$dir/cgroup.procs" && grep -qx "$ent_child" "$dir/cgroup.procs"
  t_result $? "the host lists --enter and its command (pids $ent $ent_child) in the sandbox's cgroup.procs" \
    "$dir: $(tr '\n' ' ' < "$dir/cgroup.procs" 2>&1)"
  kill "$ent"
  lc --enter cgbox "$HOG" fork 100 > "$T_TMP/forks" 2>&1
  t_like "$(cat "$T_TMP/forks")" '^forked [0-9] EAGAIN$' "--enter: the entered process is held to the sandbox's --pids 12"

  # A limits cgroup --enter cannot join: it runs nothing rather than run
  # outside the limits.
  chmod 0444 "$dir/cgroup.procs"
  T_OUT=$(lc --enter cgbox touch /tmp/escaped 2>&1); T_RC=$?
  chmod 0644 "$dir/cgroup.procs"
  t_is "$T_RC" 125 "--enter: a limits cgroup it cannot join is refused with 125"
  t_like "$T_OUT" "^sbx: --enter: sandbox 'cgbox': cannot join its limits cgroup pids:/.*/sbx-sbx-$cgbox \\(Permission denied\\): refusing" \
    "--enter: ... saying why"
  t_fails "--enter: ... and ran nothing" lc --enter cgbox test -e /tmp/escaped

  # SIGKILL sbx: the sandbox outlives its monitor, and so does its cgroup
  # while it runs; once it ended, the next sbx in the same place removes it
  # (here one already running, on its way out; on v2 below, one starting).
  kill -KILL "$cgbox"
  wait "$cgbox" 2>/dev/null
  XDG_RUNTIME_DIR=$T_TMP/run "$SBX" --noprofile $BASE --name holder --pids 20 \
    sh -c 'touch /tmp/up; exec sleep 120' </dev/null >/dev/null 2>&1 &
  holder=$!
  until_true 100 lc --enter holder test -e /tmp/up 2>/dev/null
  t_ok "a killed sbx's cgroup stays while its sandbox still runs" test -d "$dir"
  lc --kill cgbox KILL
  until_true 100 test ! -s "$dir/cgroup.procs"
  t_ok "(the sandbox ended: its cgroup is empty)" test ! -s "$dir/cgroup.procs"
  t_ok "(and still there: nobody removed it)" test -d "$dir"
  lc --stop holder
  wait "$holder"
  t_is "$?" 143 "the next sbx with a limit ends (SIGTERM)"
  t_fails "and removed the killed sbx's cgroup on its way out" test -d "$dir"
else
  for i in $(seq 1 12); do t_skip "--enter and a killed sbx's cgroup: $no_cgroup"; done
fi
# The same on cgroup v2, where this host gives one (the unified hierarchy
# makes and removes cgroups even without controllers).
case $stats_cg in
  v2*)
    "$SBX" $BASE --stats sleep 120 </dev/null >/dev/null 2>&1 &
    killed=$!
    dir=$(printf '%s\n' "$stats_cg" | sed 's/^.*cpuacct:\([^ ]*\)\/[^/ ]*.*$/\1/')/sbx-sbx-$killed
    until_true 100 test -s "$dir/cgroup.procs"
    kill -KILL "$killed"
    wait "$killed" 2>/dev/null
    kill -KILL $(cat "$dir/cgroup.procs") 2>/dev/null
    until_true 100 test ! -s "$dir/cgroup.procs"
    t_ok "cgroup v2: a killed sbx leaves its cgroup behind ($dir)" test -d "$dir"
    sbx_status $BASE --stats true
    t_fails "cgroup v2: the next sbx removes it" test -d "$dir"
    ;;
  *) for i in 1 2; do t_skip "a killed sbx's cgroup on v2: no delegated cgroup v2 here"; done ;;
esac

# The v2 controllers themselves, where this host has them on cgroup v2.
v2_mount=$(findmnt -n -o TARGET -t cgroup2 2>/dev/null | head -n 1)
if [ -n "$v2_mount" ] && grep -qw memory "$v2_mount/cgroup.controllers" 2>/dev/null; then
  case $mem_cg in
    v2*) sbx_status $BASE --memory 32M "$HOG" alloc 100
         t_like "$T_ERR" "^sbx: killed: memory limit 32M reached" "cgroup v2: memory.max kills a 100 MB program" ;;
    *) t_skip "cgroup v2 has the memory controller but it is not delegated to the test user" ;;
  esac
else
  t_skip "cgroup v2${v2_mount:+ at $v2_mount} has no memory controller here (a hybrid host): the v1 path was tested instead"
fi

# --- no delegation ---------------------------------------------------------------

# Inside a sandbox, /sys/fs/cgroup is read-only: an sbx there has no
# cgroup to use, as on a host where nothing was delegated. (The nested sbx
# needs the outer one without its default filter, which refuses mount setup.)
inner=(--noprofile $SBX_BASE --ro-bind "$SBX" /tmp/sbx --seccomp none --unshare-pid /tmp/sbx --noprofile $SBX_BASE)
sbx_status "${inner[@]}" --memory 64M true
t_is "$T_RC" 125 "without a delegated cgroup, --memory exits 125"
t_like "$T_ERR" "^sbx: cannot limit resources: .*not delegated.*--limits-best-effort" \
  "and says why and what to do"
sbx_status "${inner[@]}" --memory 64M --pids 50 --limits-best-effort cat /proc/self/limits
t_is "$T_RC" 0 "--limits-best-effort runs all the same"
t_like "$T_ERR" "^sbx: warning: no cgroup for the limits .*using rlimits" "with a warning"
t_like "$T_OUT" "^Max address space +67108864 +67108864 " "--memory became RLIMIT_AS"
t_like "$T_OUT" "^Max processes +50 +50 " "--pids became RLIMIT_NPROC"

t_done
