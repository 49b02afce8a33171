# TAP helpers for the shell tests. Source it; call t_done at the end.
# Tests run as an unprivileged user; $SBX, $PROBE and $TOP_SRCDIR come from
# the Makefile (AM_TESTS_ENVIRONMENT).
set -u
: "${SBX:?SBX must name the sbx binary}"
: "${TOP_SRCDIR:=.}"
: "${PROBE:=}"

T_COUNT=0
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sbx-test.XXXXXX")
trap 't_cleanup' EXIT

t_cleanup () {
  chmod -R u+rwX "$T_TMP" 2>/dev/null
  rm -rf "$T_TMP"
}

t_result () {  # t_result STATUS DESCRIPTION [DIAGNOSTIC]
  T_COUNT=$((T_COUNT + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $T_COUNT - $2"
  else
    T_FAILED=$((T_FAILED + 1))
    echo "not ok $T_COUNT - $2"
    if [ -n "${3:-}" ]; then printf '%s\n' "$3" | sed 's/^/# /'; fi
  fi
}

t_ok () {  # t_ok DESCRIPTION COMMAND...: passes when COMMAND exits 0
  local desc=$1; shift
  local out
  out=$("$@" 2>&1); local rc=$?
  t_result "$rc" "$desc" "exit $rc: $out"
}

t_fails () {  # t_fails DESCRIPTION COMMAND...: passes when COMMAND exits non-zero
  local desc=$1; shift
  local out
  out=$("$@" 2>&1); local rc=$?
  [ "$rc" -ne 0 ]; t_result $? "$desc" "unexpected success: $out"
}

t_is () {  # t_is GOT EXPECTED DESCRIPTION
  [ "$1" = "$2" ]; t_result $? "$3" "got:      '$1'
expected: '$2'"
}

t_isnt () {  # t_isnt GOT UNEXPECTED DESCRIPTION
  [ "$1" != "$2" ]; t_result $? "$3" "got the unexpected value '$1'"
}

t_like () {  # t_like GOT EXTENDED-REGEX DESCRIPTION
  printf '%s\n' "$1" | grep -Eq -- "$2"; t_result $? "$3" "got:  '$1'
want: /$2/"
}

t_unlike () {  # t_unlike GOT EXTENDED-REGEX DESCRIPTION
  ! printf '%s\n' "$1" | grep -Eq -- "$2"; t_result $? "$3" "got:  '$1'
must not match: /$2/"
}

t_skip () {  # t_skip REASON
  T_COUNT=$((T_COUNT + 1))
  echo "ok $T_COUNT # SKIP $1"
}

t_done () {
  echo "1..$T_COUNT"
  [ "$T_FAILED" -eq 0 ]
  exit $?
}

# sbx_status ARGS...: run sbx, print nothing, set $T_RC, $T_OUT, $T_ERR.
sbx_status () {
  T_OUT=$("$SBX" "$@" 2>"$T_TMP/.stderr"); T_RC=$?
  T_ERR=$(cat "$T_TMP/.stderr")
}

# A sandbox that sees the host read-only, with its own /proc, /dev, /tmp.
SBX_BASE="--ro-bind / / --proc /proc --dev /dev --tmpfs /tmp"

# The host tree as a listing, to show that a run left nothing behind.
t_snapshot () {  # t_snapshot DIR: print a stable listing of DIR
  (cd "$1" && find . -printf '%p %y %m %s\n' 2>/dev/null | LC_ALL=C sort)
}

# A small system for overlay tests: /usr and /etc read-only, the merged-/usr
# links, fresh /proc, /dev and /tmp; in the array SYS.
t_small_system () {
  SYS=(--ro-bind /usr /usr --ro-bind /etc /etc --proc /proc --dev /dev --tmpfs /tmp)
  local l
  for l in bin sbin lib lib64; do
    [ -L "/$l" ] && SYS+=(--symlink "$(readlink "/$l")" "/$l")
  done
}

# t_fake_home: for tests that run profiles. Profiles mount a private /tmp,
# which would hide a scratch tree under /tmp, so $T_TMP moves to /var/tmp;
# HOME and the XDG folders go under it, and nothing of the caller's desktop
# or SBX_NAME switches leaks in.
t_fake_home () {
  case $T_TMP in
    /tmp | /tmp/*)
      rmdir "$T_TMP"
      T_TMP=$(mktemp -d /var/tmp/sbx-test.XXXXXX 2>/dev/null || mktemp -d "$PWD/sbx-test.XXXXXX") || exit 1 ;;
  esac
  TOP_SRCDIR=$(cd "$TOP_SRCDIR" && pwd)
  : "${SBX_PROFILES_DATADIR:=$TOP_SRCDIR/profiles}"
  export SBX_PROFILES_DATADIR
  export HOME=$T_TMP/home XDG_CONFIG_HOME=$T_TMP/home/.config XDG_CACHE_HOME=$T_TMP/home/.cache
  unset XDG_DATA_HOME XDG_RUNTIME_DIR DISPLAY WAYLAND_DISPLAY XAUTHORITY DBUS_SESSION_BUS_ADDRESS
  local v
  for v in $(env | sed -n 's/^\(SBX_[A-Za-z0-9_]*\)=.*/\1/p'); do
    [ "$v" = SBX_PROFILES_DATADIR ] || unset "$v"
  done
  USER=$(id -un)
  export USER
}

if [ "$(id -u)" -eq 0 ]; then
  echo "# warning: running as root; sbx's product path is the unprivileged one" >&2
fi
