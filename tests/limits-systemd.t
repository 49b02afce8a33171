#!/bin/bash
# The systemd user manager's way to a cgroup (a transient scope with
# Delegate=yes), without a systemd: a private session bus (dbus-daemon) and
# a mock manager (tests/mock-systemd.py) that makes the scope's cgroup below
# the test's own, delegated, cgroups and records the properties it was sent.
# An sbx built with sd-bus asks the bus itself; one built without re-executes
# under systemd-run, here a stand-in (mock-systemd.py run) that asks the same
# mock. Also: v2 controller enabling and the leaf, where cgroup v2 has them.
. "$TOP_SRCDIR/tests/lib.sh"
: "${HOG:?HOG must name the tests/hog helper}"

cd "$T_TMP" || exit 1
unset XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS SBX_SYSTEMD_SCOPE
BASE="--noprofile $SBX_BASE --unshare-pid"
MOCK="$TOP_SRCDIR/tests/mock-systemd.py"
N_MOCK=22

bus_pid= mock_pid=
scopes=()
cleanup () {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
  # What systemd does once a scope is empty.
  for d in "${scopes[@]}"; do rmdir "$d" 2>/dev/null; done
  t_cleanup
}
trap cleanup EXIT

# Where the mock may make scopes: the test's own cgroup in each hierarchy
# the limits use, where the test user may write it (.ci/run delegates them).
parents=()
while IFS=: read -r _ ctrls path; do
  if [ -z "$ctrls" ]; then
    mnt=$(findmnt -n -o TARGET -t cgroup2 | head -n 1)
  else
    case ",$ctrls," in
      *,memory,* | *,pids,* | *,cpu,* | *,cpuacct,*) ;;
      *) continue ;;
    esac
    mnt=$(findmnt -n -o TARGET,OPTIONS -t cgroup | awk -v c="$ctrls" '{ n = split($2, o, ","); m = split(c, w, ",");
      hit = 0; for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (o[i] == w[j]) hit++; if (hit == m) { print $1; exit } }')
  fi
  dir=$mnt${path%/}
  [ -n "$mnt" ] && [ -w "$dir" ] && [ -w "$dir/cgroup.procs" ] && parents+=("$dir")
done < /proc/self/cgroup
echo "# delegated cgroups for the mock's scopes: ${parents[*]:-none}"

missing=
command -v dbus-daemon >/dev/null || missing="dbus-daemon (Debian: dbus-daemon)"
python3 -c 'import dbus, dbus.service; from gi.repository import GLib' 2>/dev/null \
  || missing="${missing:+$missing, }python3-dbus and python3-gi"

start_mock () {  # start_mock MODE: the mock manager, answering in MODE
  stop_mock
  calls="$T_TMP/calls-$1"
  : > "$calls"
  python3 "$MOCK" serve "$1" "$calls" "${parents[@]}" 2>"$T_TMP/mock.err" &
  mock_pid=$!
  for _ in $(seq 100); do [ -e "$calls.ready" ] && return 0; sleep 0.1; done
  echo "# the mock did not start: $(cat "$T_TMP/mock.err")"
  return 1
}
stop_mock () {
  [ -n "$mock_pid" ] || return 0
  kill "$mock_pid" 2>/dev/null
  wait "$mock_pid" 2>/dev/null
  mock_pid=
}
prop () {  # prop NAME: the property NAME of the last call the mock had
  tail -n 1 "$calls" | python3 -c 'import json, sys; c = json.load(sys.stdin)
p = c["properties"].get(sys.argv[1]); print("" if p is None else json.dumps(p) if isinstance(p, (list, bool)) else p)' "$1"
}
call_field () {  # call_field unit|mode
  tail -n 1 "$calls" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

if [ -n "$missing" ]; then
  for i in $(seq $N_MOCK); do t_skip "the systemd tests need $missing"; done
else
  dbus-daemon --session --address="unix:path=$T_TMP/bus" --nofork --nopidfile 2>/dev/null &
  bus_pid=$!
  for _ in $(seq 100); do [ -S "$T_TMP/bus" ] && break; sleep 0.1; done
  export DBUS_SESSION_BUS_ADDRESS="unix:path=$T_TMP/bus"
  # For an sbx built without sd-bus: the user manager's socket it looks
  # for, and a systemd-run that asks the mock.
  mkdir -p "$T_TMP/run/systemd" "$T_TMP/bin"
  : > "$T_TMP/run/systemd/private"
  printf '#!/bin/sh\nexec python3 "%s" run "$@"\n' "$MOCK" > "$T_TMP/bin/systemd-run"
  chmod +x "$T_TMP/bin/systemd-run"
  export XDG_RUNTIME_DIR="$T_TMP/run" PATH="$T_TMP/bin:$PATH"

  start_mock done
  plan=$("$SBX" --noprofile --dry-run --memory 64M --pids 20 --cpus 0.5 true 2>&1 | sed -n 's/^cgroup: //p')
  case $plan in
    "systemd (sd-bus"*) how=sd-bus ;;
    systemd-run*) how=systemd-run ;;
    *) how= ;;
  esac
  echo "# the plan's cgroup with a manager on the bus: ${plan:-none} (${how:-not systemd})"
  nosd="built without sd-bus"

  if [ -z "$how" ]; then
    for i in $(seq $N_MOCK); do t_skip "sbx does not pick the systemd path here (${plan:-no cgroup}): a delegated cgroup v2 with the controllers comes first"; done
  else
    t_like "$plan" "^systemd" "with a user manager on the bus and no delegated v2 controllers, the plan is a systemd scope ($how)"

    # --- a scope that works ----------------------------------------------------
    scopes_ok=
    if [ ${#parents[@]} -gt 0 ]; then
      sbx_status $BASE --memory 64M --pids 20 --cpus 0.5 cat /proc/self/cgroup
      out=$T_OUT
      t_is "$T_RC" 0 "sbx runs in the scope the manager made"
      unit=$(call_field unit)
      for p in "${parents[@]}"; do scopes+=("$p/$unit"); done
      pid=$(prop PIDs | tr -dc 0-9)
      t_like "$out" "/$unit/sbx-sbx-$pid\$" \
        "the sandbox's /proc/self/cgroup shows its cgroup inside the scope $unit"
      t_like "$unit" "^(sbx-sbx-|run-u)$pid\\.scope\$" \
        "the pid put in the scope is the sbx that then made the sandbox's cgroup ($pid)"
      t_is "$(prop Delegate)" true "the scope is asked for with Delegate=true"
      t_is "$(call_field mode)" fail "and job mode fail"
      name=$(printf '%s\n' "$out" | grep -oE 'sbx-sbx-[0-9]+$' | head -n 1)
      left=$(find /sys/fs/cgroup -maxdepth 12 -type d -name "$name" 2>/dev/null)
      t_is "$left" "" "the sandbox's cgroup is removed after exit (the scope is the manager's)"
      scopes_ok=1
    else
      for i in 1 2 3 4 5 6; do t_skip "a scope that works: no delegated cgroup for the mock's scopes (run the suite in one, as .ci/run does)"; done
    fi

    if [ "$how" = sd-bus ] && [ -n "$scopes_ok" ]; then
      t_is "$(prop MemoryMax)" 67108864 "--memory 64M is sent as MemoryMax in bytes"
      t_is "$(prop MemorySwapMax)" 0 "without --memory-swap, MemorySwapMax 0"
      t_is "$(prop TasksMax)" 20 "--pids 20 is sent as TasksMax"
      t_is "$(prop CPUQuotaPerSecUSec)" 500000 "--cpus 0.5 is sent as CPUQuotaPerSecUSec 500000"
      t_like "$(prop Description)" "^sbx sandbox sbx-sbx-$pid\$" "the scope has a Description"
    else
      why=$nosd; [ "$how" = sd-bus ] && why="no delegated cgroup for the mock's scopes"
      for i in 1 2 3 4 5; do t_skip "the limits as unit properties: $why (systemd-run is given Delegate=yes only; sbx writes the limits inside the scope)"; done
    fi

    if [ -n "$scopes_ok" ] && [ -n "$(prop PIDs)" ]; then
      sbx_status $BASE --memory 64M "$HOG" alloc 200
      t_unlike "$T_OUT" "allocated 200" "in the scope, --memory 64M stops a program allocating 200 MB"
      t_like "$T_ERR" "^sbx: killed: memory limit 64M reached" "and the summary says so"
      unit=$(call_field unit)
      for p in "${parents[@]}"; do scopes+=("$p/$unit"); done
    else
      for i in 1 2; do t_skip "--memory in a scope: no delegated cgroup for the mock's scopes"; done
    fi

    # --- the manager says no ---------------------------------------------------
    if [ "$how" = sd-bus ]; then
      start_mock error
      sbx_status $BASE --memory 1G --memory-swap 512M --cpu-weight 50 --io-weight 200 true
      t_is "$T_RC" 125 "a D-Bus error from the manager exits 125"
      t_like "$T_ERR" "^sbx: start a systemd scope: sbx-sbx-[0-9]+\\.scope: org\\.freedesktop\\.systemd1\\.UnitExists: Unit sbx-sbx-[0-9]+\\.scope already exists\\.\$" \
        "and names the D-Bus error"
      t_is "$(printf '%s\n' "$T_ERR" | wc -l)" 1 "in one line"
      t_is "$(prop MemorySwapMax) $(prop CPUWeight) $(prop IOWeight)" "536870912 50 200" \
        "--memory-swap, --cpu-weight and --io-weight are sent as MemorySwapMax, CPUWeight, IOWeight"
      start_mock failed
      sbx_status $BASE --memory 64M true
      t_is "$T_RC" 125 "a job that ends 'failed' exits 125"
      t_like "$T_ERR" "^sbx: start a systemd scope: sbx-sbx-[0-9]+\\.scope: the job ended with result 'failed'\$" \
        "and says so"
    else
      for i in 1 2 3 4 5 6; do t_skip "the manager's errors: $nosd (systemd-run reports them itself, with its own exit status)"; done
    fi

    # --- no manager ------------------------------------------------------------
    # The plan falls through to the next method: delegated v1 subtrees, or,
    # without them, the error that gives every reason.
    stop_mock
    fell_through () {  # fell_through REASON-REGEX: the last run did not pick systemd
      case $T_RC in
        0) printf '%s\n' "$T_OUT" | grep -q '^cgroup: v1 ' ;;
        125) printf '%s\n' "$T_ERR" | grep -qE "^sbx: cannot limit resources: .*$1" ;;
        *) false ;;
      esac
    }
    sbx_status --noprofile --dry-run --memory 64M true
    if [ "$how" = sd-bus ]; then
      fell_through "systemd: no user manager on the user bus"
      t_result $? "a bus without org.freedesktop.systemd1: the next method" "$T_RC: $T_OUT $T_ERR"
      DBUS_SESSION_BUS_ADDRESS="unix:path=$T_TMP/nobus" sbx_status --noprofile --dry-run --memory 64M true
      fell_through "systemd: no user bus"
      t_result $? "no bus at all: the next method" "$T_RC: $T_OUT $T_ERR"
    else
      t_skip "a bus without the manager: $nosd (systemd-run's path looks for \$XDG_RUNTIME_DIR/systemd/private)"
      XDG_RUNTIME_DIR="$T_TMP/nobus" sbx_status --noprofile --dry-run --memory 64M true
      fell_through "systemd: no user manager reachable"
      t_result $? "no user manager's socket: the next method" "$T_RC: $T_OUT $T_ERR"
    fi
  fi
fi

# --- cgroup v2: enabling controllers, and the leaf -----------------------------
# Where a limit's controller is on cgroup v2 but not yet in sbx's own
# cgroup.subtree_control, sbx moves itself to the leaf sbx-monitor-PID and
# then writes +CONTROLLER there ("no internal processes"). That needs
# memory, pids, cpu or io on cgroup v2, in a cgroup sbx is alone in.
unset DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR
v2_mount=$(findmnt -n -o TARGET -t cgroup2 2>/dev/null | head -n 1)
v2_offers=$(cat "$v2_mount/cgroup.controllers" 2>/dev/null)
case " $v2_offers " in
  *" memory "* | *" pids "* | *" cpu "* | *" io "*)
    t_skip "cgroup v2 enabling and the leaf: ${v2_mount} has '$v2_offers'; the suite's processes share the delegated cgroup, so sbx is never alone in it (limits.t's cgroup v2 memory test covers the case where memory is already enabled)" ;;
  *)
    t_skip "cgroup v2 enabling and the leaf cannot run here: cgroup v2${v2_mount:+ at $v2_mount} offers '${v2_offers}', and no sbx limit uses hugetlb or anything else it has (memory, pids, cpu and io are v1 controllers on this hybrid host)" ;;
esac

t_done
