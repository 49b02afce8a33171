#!/bin/bash
# The shipped profiles: every one parses, runs here (desktop services the
# host lacks are skipped with warnings), and leaves the home alone but for
# its mkdir lines; then what each of the main ones promises.
. "$TOP_SRCDIR/tests/lib.sh"

t_fake_home
PROJ=$HOME/proj
mkdir -p "$PROJ" "$HOME/.config" "$HOME/.cache" "$HOME/.ssh" "$HOME/Downloads" || exit 1
echo 'not a real key' > "$HOME/.ssh/id_rsa"
chmod 600 "$HOME/.ssh/id_rsa"
echo 'project file' > "$PROJ/README"
cd "$PROJ" || exit 1

# The home as a listing, less sbx's own seccomp filter cache.
home_snapshot () { t_snapshot "$HOME" | grep -v '^\./\.cache/sbx[ /]'; }
# Warm the filter cache so that .cache/sbx exists before the snapshots.
"$SBX" --profile default true >/dev/null 2>&1
HOST_NET=$(readlink /proc/self/ns/net)

# --- every shipped profile -----------------------------------------------------

n_profiles=0
for file in "$TOP_SRCDIR"/profiles/*; do
  [ -f "$file" ] || continue
  base=${file##*/}
  name=${base%.sbx}          # desktop.inc keeps its extension
  n_profiles=$((n_profiles + 1))

  sbx_status --print-profile "$name"
  t_is "$T_RC" 0 "$name: --print-profile exits 0 (it parses; its includes resolve)"
  t_is "$T_ERR" "" "$name: --print-profile prints nothing on stderr"
  bad=$(printf '%s\n' "$T_OUT" | grep -Ev "^[a-z0-9.?-]+( .*)?  # /[^ ]+:[0-9]+\$")
  t_is "$bad" "" "$name: every printed line is a directive with its # file:line"
  t_isnt "$T_OUT" "" "$name: --print-profile lists its directives"
  printed=$T_OUT

  # The folders its mkdir lines name, relative to home, with the parents
  # that do not exist yet: those alone may appear in the home.
  expected=""
  while read -r dir; do
    case $dir in "$HOME"/*) dir=${dir#"$HOME"/} ;; esac
    path=""
    IFS=/ read -ra parts <<< "$dir"
    for part in "${parts[@]}"; do
      path=${path:+$path/}$part
      [ -e "$HOME/$path" ] || expected="$expected./$path
"
    done
  done < <(printf '%s\n' "$printed" | sed -n 's/^mkdir \(.*\)  # .*/\1/p' | sed 's/^"\(.*\)"$/\1/')
  expected=$(printf '%s' "$expected" | LC_ALL=C sort -u)

  before=$(home_snapshot)
  sbx_status --profile "$name" true
  t_is "$T_RC" 0 "$name: sbx --profile $name true exits 0"
  others=$(printf '%s\n' "$T_ERR" | grep -v '^sbx: warning: [a-z0-9-]*: .*; skipped$' | grep -v '^$')
  t_is "$others" "" "$name: stderr holds only one-line 'skipped' warnings"
  after=$(home_snapshot)
  removed=$(LC_ALL=C comm -23 <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
  added=$(LC_ALL=C comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | cut -d' ' -f1)
  t_is "$removed" "" "$name: nothing in the home changed or went away"
  t_is "$added" "$expected" "$name: the home gained exactly the folders of its mkdir lines${expected:+ (}$(printf '%s' "$expected" | tr '\n' ' ' | sed 's/ $//')${expected:+)}"
  for dir in $expected; do
    rm -rf "${HOME:?}/${dir#./}"
  done
done
t_ok "the profiles folder has shipped profiles ($n_profiles)" test "$n_profiles" -ge 10

# The mkdir lines the shipped profiles are known to have.
for pair in firefox:.mozilla firefox-esr:.mozilla chromium:.config/chromium libreoffice:.config/libreoffice; do
  name=${pair%%:*} dir=${pair#*:}
  rm -rf "${HOME:?}/$dir"
  sbx_status --profile "$name" true
  t_ok "$name: creates ~/$dir on the host" test -d "$HOME/$dir"
  rm -rf "${HOME:?}/$dir"
done

# Desktop services: with none here, each is skipped with a warning.
sbx_status --profile chromium true
for service in x11 wayland pulseaudio pipewire dbus-session; do
  t_like "$T_ERR" "^sbx: warning: $service: .*skipped\$" "chromium: $service is absent here: one warning, skipped"
done

# --- a command named after a shipped profile gets it ----------------------------

for file in "$TOP_SRCDIR"/profiles/*.sbx; do
  name=$(basename "$file" .sbx)
  got=$("$SBX" --dry-run "$name" 2>/dev/null | sed -n 's/^profile: //p')
  t_is "$got" "$SBX_PROFILES_DATADIR/$name.sbx (named after the command)" "sbx $name applies $name.sbx"
done

# --- default -------------------------------------------------------------------------

sbx_status --profile default sh -c 'cat "$HOME/.ssh/id_rsa"'
t_isnt "$T_RC" 0 "default: reading ~/.ssh/id_rsa fails"
t_unlike "$T_OUT" "real key" "default: the key's contents do not show"
sbx_status --profile default sh -c 'if test -e "$HOME/.ssh/id_rsa" || test -e "$HOME/.ssh"; then echo visible; else echo absent; fi'
t_is "$T_OUT" "absent" "default: ~/.ssh does not exist inside"
sbx_status --profile default sh -c 'ls -A "$HOME"'
t_is "$T_OUT" "proj" "default: the home holds only the project folder"
sbx_status --profile default cat README
t_is "$T_OUT" "project file" "default: starts in the current directory and reads it"
sbx_status --profile default sh -c 'echo x > /usr/sbx-test-x'
t_isnt "$T_RC" 0 "default: writing /usr/x fails"
t_like "$T_ERR" "Read-only file system" "default: /usr is read-only (EROFS)"
sbx_status --profile default sh -c 'echo x > /etc/sbx-test-x'
t_like "$T_ERR" "Read-only file system" "default: /etc is read-only (EROFS)"
t_ok "default: nothing was written to the host's /usr or /etc" test ! -e /usr/sbx-test-x -a ! -e /etc/sbx-test-x
sbx_status --profile default sh -c 'echo x > /tmp/x && cat /tmp/x && ls -A /tmp'
t_is "$T_OUT" "x
x" "default: /tmp is private and writable (it held nothing)"

sbx_status --profile default sh -c 'echo $$; tr "\0" " " < /proc/1/cmdline; echo; ls /proc | grep -c "^[0-9]"'
set -- $T_OUT
t_is "${1:-}" 2 "default: own pid namespace: the command is pid 2"
t_is "$(basename "${2:-x}")" sbx "default: own pid namespace: pid 1 is sbx, the reaper"
t_ok "default: own pid namespace: only a handful of processes are visible (${!#})" test "${!#}" -le 6
sbx_status --profile default grep '^Cap' /proc/self/status
caps=$(printf '%s\n' "$T_OUT" | awk '{print $1 $2}' | tr '\n' ' ')
t_is "$caps" "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 " \
  "default: capabilities all 0 (inheritable, permitted, effective, bounding, ambient)"
sbx_status --profile default cat /proc/net/dev
t_is "$(printf '%s\n' "$T_OUT" | sed -n '3,$p' | awk -F: '{gsub(/ /, "", $1); print $1}' | tr '\n' ' ')" "lo " \
  "default: no network (only lo)"
sbx_status --profile default sh -c 'grep NoNewPrivs /proc/self/status; grep "^Seccomp:" /proc/self/status'
t_like "$T_OUT" "NoNewPrivs:[[:space:]]+1" "default: no new privileges"
t_like "$T_OUT" "Seccomp:[[:space:]]+2" "default: a seccomp filter is loaded"

# From a project folder under /tmp: the private /tmp must not hide it.
TMPPROJ=$(mktemp -d /tmp/sbx-proj.XXXXXX)
echo 'tmp project' > "$TMPPROJ/README"
( cd "$TMPPROJ" && "$SBX" --profile default cat README ) > "$T_TMP/tmpproj.out" 2>&1
got=$(cat "$T_TMP/tmpproj.out")
t_is "$got" "tmp project" "default: from a project folder under /tmp the command runs there and sees it (cwd-rw vs private-tmp)"
( cd "$TMPPROJ" && "$SBX" --profile build sh -c 'echo built > out' ) >/dev/null 2>&1
t_is "$(cat "$TMPPROJ/out" 2>/dev/null)" "built" "build: from a project folder under /tmp the output reaches the host"
rm -rf "$TMPPROJ"

# cwd-rw from the home folder itself: not bound, a warning.
sbx_status --profile default --dry-run true
t_like "$T_OUT" "^  bind $PROJ $PROJ\$" "default: cwd-rw binds the project folder"
(cd "$HOME" && "$SBX" --profile default --dry-run true) > "$T_TMP/dry.out" 2> "$T_TMP/dry.err"
t_unlike "$(cat "$T_TMP/dry.out")" "^  bind $HOME $HOME\$" "default: run from \$HOME, cwd-rw does not bind the home"
t_like "$(cat "$T_TMP/dry.err")" "^sbx: warning: cwd-rw: " "default: run from \$HOME, cwd-rw warns"
(cd "$T_TMP" && "$SBX" --profile default --dry-run true) > "$T_TMP/dry.out" 2> "$T_TMP/dry.err"
t_unlike "$(cat "$T_TMP/dry.out")" "^  bind $T_TMP $T_TMP\$" "default: run from above \$HOME, cwd-rw does not bind it"
(cd / && "$SBX" --profile default --dry-run true) > "$T_TMP/dry.out" 2> "$T_TMP/dry.err"
t_unlike "$(cat "$T_TMP/dry.out")" "^  bind / /\$" "default: run from /, cwd-rw does not bind /"
got=$(cd "$HOME" && "$SBX" --profile default sh -c 'ls -A "$HOME"; echo "rc=$?"' 2>/dev/null)
t_is "$got" "rc=0" "default: run from \$HOME, the command runs and the home inside is empty"

# --- build ------------------------------------------------------------------------

sbx_status --profile build sh -c 'echo built > build-output.txt'
t_is "$T_RC" 0 "build: writing in the current directory works"
t_is "$(cat "$PROJ/build-output.txt" 2>/dev/null)" "built" "build: the file written in the cwd appears on the host"
rm -f "$PROJ/build-output.txt"
before=$(home_snapshot)
sbx_status --profile build sh -c 'echo x > "$HOME/x"; echo y > "$HOME/.bashrc"; mkdir -p "$HOME/.config/evil"'
t_ok "build: a write to \$HOME/x does not reach the fake home" test ! -e "$HOME/x"
t_is "$(home_snapshot)" "$before" "build: the fake home is unchanged after writes to the home inside"
sbx_status --profile build sh -c 'echo x > /usr/x'
t_like "$T_ERR" "Read-only file system" "build: the system is read-only"
sbx_status --profile build cat /proc/net/dev
t_is "$(printf '%s\n' "$T_OUT" | sed -n '3,$p' | awk -F: '{gsub(/ /, "", $1); print $1}' | tr '\n' ' ')" "lo " \
  "build: no network (only lo in /proc/net/dev)"
sbx_status --profile build readlink /proc/self/ns/net
t_isnt "$T_OUT" "$HOST_NET" "build: its own network namespace"
sbx_status --profile build --enable net readlink /proc/self/ns/net
t_is "$T_OUT" "$HOST_NET" "build --enable net: the host's network namespace"
SBX_NET=1 sbx_status --profile build readlink /proc/self/ns/net
t_is "$T_OUT" "$HOST_NET" "build with SBX_NET=1: the host's network namespace"
mkdir -p "$HOME/.npm"
sbx_status --profile build --enable npm sh -c 'echo cached > "$HOME/.npm/pkg"'
t_is "$(cat "$HOME/.npm/pkg" 2>/dev/null)" "cached" "build --enable npm: ~/.npm is bound read-write"
rm -rf "$HOME/.npm"

# --- build-strict ----------------------------------------------------------------------

mkdir -p "$PROJ/strict"
cat > "$PROJ/strict/hello.c" <<'EOF'
#include <stdio.h>
int main (void) { puts ("hello from a sandboxed build"); return 0; }
EOF
cat > "$PROJ/strict/keyprobe.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main (void)
{
  /* KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3), create 0 */
  long r = syscall (SYS_keyctl, 0L, -3L, 0L);
  if (r < 0)
    puts (errno == EPERM ? "EPERM" : strerror (errno));
  else
    puts ("allowed");
  return 0;
}
EOF
printf 'all: hello keyprobe\nhello: hello.c\n\t$(CC) -o $@ hello.c\nkeyprobe: keyprobe.c\n\t$(CC) -o $@ keyprobe.c\n' > "$PROJ/strict/Makefile"
if command -v make >/dev/null && command -v cc >/dev/null; then
  ( cd "$PROJ/strict" && "$SBX" --profile build-strict make ) > "$T_TMP/strict.out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ]; t_result $? "build-strict: make and cc build a C program in the cwd" "exit $rc: $(cat "$T_TMP/strict.out")"
  t_ok "build-strict: the program built inside is on the host" test -x "$PROJ/strict/hello"
  got=$(cd "$PROJ/strict" && "$SBX" --profile build-strict ./hello 2>&1)
  t_is "$got" "hello from a sandboxed build" "build-strict: the program runs"
  got=$(cd "$PROJ/strict" && "$SBX" --profile build-strict ./keyprobe 2>&1)
  t_is "$got" "EPERM" "build-strict: keyctl is refused (EPERM)"
  outside=$("$PROJ/strict/keyprobe" 2>&1)
  if [ "$outside" = allowed ]; then
    got=$(cd "$PROJ/strict" && "$SBX" --profile build-strict --seccomp.allow keyctl ./keyprobe 2>&1)
    t_is "$got" "allowed" "build-strict --seccomp.allow keyctl: the probe can tell a refusal from a success"
  else
    t_skip "keyctl is refused outside any sandbox here ($outside): no control run"
  fi
  sbx_status --profile build-strict cat /proc/net/dev
  t_is "$(printf '%s\n' "$T_OUT" | sed -n '3,$p' | awk -F: '{gsub(/ /, "", $1); print $1}' | tr '\n' ' ')" "lo " \
    "build-strict: no network, as build"
else
  t_skip "build-strict: make or cc is not installed"
fi

# --- minimal -------------------------------------------------------------------------

echo 'host home file' > "$HOME/visible-marker"
sbx_status --profile minimal cat "$HOME/visible-marker"
# minimal is "the system read-only; nothing else": the home is not there.
[ "$T_RC" -ne 0 ] && ! printf '%s' "$T_OUT" | grep -q .
t_result $? "minimal: the host home is not in the sandbox" "exit $T_RC: $T_OUT $T_ERR"
sbx_status --profile minimal sh -c 'echo x > "$HOME/minimal-write"'
t_isnt "$T_RC" 0 "minimal: writing into the home fails"
t_ok "minimal: nothing was written into the host home" test ! -e "$HOME/minimal-write"
sbx_status --profile minimal sh -c 'echo x > /usr/minimal-write'
t_like "$T_ERR" "Read-only file system" "minimal: the system is read-only"
rm -f "$HOME/visible-marker"

# --- browser -----------------------------------------------------------------------

sbx_status --profile browser readlink /proc/self/ns/net
t_is "$T_OUT" "$HOST_NET" "browser: shares the host's network namespace"
sbx_status --profile browser sh -c 'echo downloaded > "$HOME/Downloads/file.txt"'
t_is "$T_RC" 0 "browser: writing into ~/Downloads works"
t_is "$(cat "$HOME/Downloads/file.txt" 2>/dev/null)" "downloaded" "browser: a file saved in \${DOWNLOADS} appears on the host"
rm -f "$HOME/Downloads/file.txt"
printf 'XDG_DOWNLOAD_DIR="$HOME/Incoming"\n' > "$XDG_CONFIG_HOME/user-dirs.dirs"
mkdir -p "$HOME/Incoming"
sbx_status --profile browser sh -c 'echo got > "$HOME/Incoming/f"'
t_is "$(cat "$HOME/Incoming/f" 2>/dev/null)" "got" "browser: \${DOWNLOADS} follows XDG_DOWNLOAD_DIR of user-dirs.dirs"
rm -rf "$HOME/Incoming" "$XDG_CONFIG_HOME/user-dirs.dirs"
sbx_status --profile browser sh -c 'ls -A "$HOME"'
t_unlike "$T_OUT" "\\.ssh" "browser: the rest of the home is private (no ~/.ssh)"
sbx_status --profile browser cat "$HOME/.ssh/id_rsa"
t_isnt "$T_RC" 0 "browser: ~/.ssh/id_rsa cannot be read"
sbx_status --profile browser grep '^Seccomp:' /proc/self/status
t_like "$T_OUT" "Seccomp:[[:space:]]+2" "browser: a seccomp filter is loaded"
sbx_status --profile browser --dry-run true
t_like "$T_OUT" "^seccomp: .*allow-userns" "browser: allow-userns, for the browser's own sandbox"

# --- shell, curl, python3, node ------------------------------------------------------

sbx_status --profile shell sh -c 'echo ok'
t_is "$T_RC:$T_OUT" "0:ok" "shell: sh -c 'echo ok' prints ok"
sbx_status --profile shell printenv PS1
t_is "$T_OUT" '(sbx) \w \$ ' "shell: sets its PS1"
sbx_status --profile shell sh -c 'echo from-shell > shell-out'
t_is "$(cat "$PROJ/shell-out" 2>/dev/null)" "from-shell" "shell: the current directory is writable"
rm -f "$PROJ/shell-out"
sbx_status --profile curl readlink /proc/self/ns/net
t_is "$T_OUT" "$HOST_NET" "curl: shares the host's network"
for name in python3 node; do
  sbx_status --profile "$name" readlink /proc/self/ns/net
  t_isnt "$T_OUT" "$HOST_NET" "$name: no network by default"
  sbx_status --profile "$name" --enable net readlink /proc/self/ns/net
  t_is "$T_OUT" "$HOST_NET" "$name --enable net: the host's network"
done

t_done
