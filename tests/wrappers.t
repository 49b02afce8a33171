#!/bin/bash
# Wrappers: --wrap NAME makes a symlink NAME -> sbx; running it runs the
# real NAME from PATH through profile NAME. --unwrap, --list-wrapped,
# --wrap-dir, and the refusals.
. "$TOP_SRCDIR/tests/lib.sh"

t_fake_home
UPROF=$XDG_CONFIG_HOME/sbx/profiles
BIN=$T_TMP/bin          # the wrapper folder
REAL=$T_TMP/real        # real programs of the test's own
PROJ=$HOME/proj
mkdir -p "$UPROF" "$REAL" "$PROJ" || exit 1
cd "$PROJ" || exit 1
SELF=$(readlink -f "$SBX")
SYSPATH=/usr/local/bin:/usr/bin:/bin

# --- --wrap --------------------------------------------------------------------

sbx_status --wrap-dir "$BIN" --wrap printenv
t_is "$T_RC" 0 "--wrap printenv exits 0"
t_ok "--wrap creates the wrapper folder and a symlink in it" test -L "$BIN/printenv"
t_is "$(readlink "$BIN/printenv")" "$SELF" "the wrapper's target is the sbx binary"
t_like "$T_OUT" "^$BIN/printenv -> $SELF\$" "--wrap says what it made"
sbx_status --wrap-dir "$BIN" --wrap printenv
t_is "$T_RC" 0 "--wrap of an existing wrapper is fine (idempotent)"
t_is "$(readlink "$BIN/printenv")" "$SELF" "... and leaves it as it was"

sbx_status --wrap-dir "$BIN" --list-wrapped
t_is "$T_RC" 0 "--list-wrapped exits 0"
t_is "$T_OUT" "printenv	$BIN/printenv" "--list-wrapped lists the wrapper (NAME, tab, path)"

# Running the wrapper: the real printenv, through profile printenv.
printf 'ro-system\nsetenv WRAP_MARK from-printenv-profile\n' > "$UPROF/printenv.sbx"
got=$(PATH=$BIN:$SYSPATH printenv WRAP_MARK 2>&1)
t_is "$got" "from-printenv-profile" "running the wrapper runs the real printenv through profile printenv"
got=$(PATH=$BIN:$SYSPATH "$BIN/printenv" WRAP_MARK 2>&1)
t_is "$got" "from-printenv-profile" "running the wrapper by its path works too"
got=$(PATH=$BIN:$SYSPATH WRAP_MARK=outside printenv WRAP_MARK 2>&1)
t_is "$got" "from-printenv-profile" "the profile's setenv wins over the caller's value"

# More wrappers of the same program ahead of the real one on PATH, and the
# wrapper folder visible inside: neither may lead back into sbx.
mkdir -p "$T_TMP/bin2"
ln -s "$SBX" "$T_TMP/bin2/printenv"
printf 'ro-system\nro-bind %s %s\nro-bind %s %s\nproc /proc\nunshare-pid\nsetenv WRAP_MARK nested-check\n' \
  "$T_TMP" "$T_TMP" "$(dirname "$SELF")" "$(dirname "$SELF")" > "$UPROF/printenv.sbx"
out=$(PATH=$BIN:$T_TMP/bin2:$SYSPATH timeout 60 "$BIN/printenv" WRAP_MARK PATH 2>"$T_TMP/err"); rc=$?
[ "$rc" -eq 0 ]; t_result $? "a wrapper with sbx links ahead of the real program on PATH exits 0" "exit $rc: $(cat "$T_TMP/err")"
t_is "$out" "nested-check
$BIN:$T_TMP/bin2:$SYSPATH" "it runs the real printenv once, not itself (the caller's PATH is passed on)"
t_is "$(cat "$T_TMP/err")" "" "... with nothing on stderr"
got=$(PATH=$BIN:$T_TMP/bin2:$SYSPATH timeout 60 "$BIN/printenv" 2>&1 | grep -c '^WRAP_MARK=')
t_is "$got" 1 "the real program's output appears exactly once"

# The wrapper runs the real program in a sandbox: pid 1 is sbx.
printf '#!/bin/sh\necho "$$ $(tr "\\0" " " < /proc/1/cmdline)"\n' > "$REAL/whoami-pid"
chmod 755 "$REAL/whoami-pid"
printf 'ro-system\nro-bind %s %s\nproc /proc\nunshare-pid\n' "$REAL" "$REAL" > "$UPROF/whoami-pid.sbx"
"$SBX" --wrap-dir "$BIN" --wrap whoami-pid >/dev/null
set -- $(PATH=$BIN:$REAL:$SYSPATH whoami-pid 2>&1)
t_is "${1:-}:$(basename "${2:-x}")" "2:whoami-pid" "the real program runs as pid 2 in a new pid namespace, under the reaper"

# --- the exit status passes through ------------------------------------------------

printf '#!/bin/sh\ncase "$1" in kill) kill -TERM $$ ;; esac\nexit "$1"\n' > "$REAL/exitwith"
chmod 755 "$REAL/exitwith"
printf 'ro-system\nro-bind %s %s\n' "$REAL" "$REAL" > "$UPROF/exitwith.sbx"
"$SBX" --wrap-dir "$BIN" --wrap exitwith >/dev/null
PATH=$BIN:$REAL:$SYSPATH exitwith 0 >/dev/null 2>&1
t_is "$?" 0 "a wrapper passes exit status 0 through"
PATH=$BIN:$REAL:$SYSPATH exitwith 7 >/dev/null 2>&1
t_is "$?" 7 "a wrapper passes exit status 7 through"
PATH=$BIN:$REAL:$SYSPATH exitwith 1 >/dev/null 2>&1
t_is "$?" 1 "a wrapper passes exit status 1 through"
# (in a subshell that waits, so that its "Terminated" notice is hidden)
( PATH=$BIN:$REAL:$SYSPATH exitwith kill; exit $? ) >/dev/null 2>&1
t_is "$?" 143 "a command killed by SIGTERM: 128+15 through the wrapper"

# --- several names, the default folder -------------------------------------------------

sbx_status --wrap-dir "$BIN" --wrap true,false
t_is "$T_RC" 0 "--wrap NAME,NAME makes several wrappers"
t_ok "... both links exist" test -L "$BIN/true" -a -L "$BIN/false"
sbx_status --wrap-dir "$BIN" --list-wrapped
t_is "$(printf '%s\n' "$T_OUT" | cut -f1 | LC_ALL=C sort | tr '\n' ' ')" "exitwith false printenv true whoami-pid " \
  "--list-wrapped lists every wrapper"
sbx_status --wrap-dir "$BIN" --unwrap true,false
t_ok "--unwrap NAME,NAME removes several" test ! -e "$BIN/true" -a ! -L "$BIN/false"

sbx_status --wrap ls
t_is "$T_RC" 0 "--wrap without --wrap-dir exits 0"
t_is "$(readlink "$HOME/.local/bin/ls")" "$SELF" "--wrap without --wrap-dir uses ~/.local/bin"
sbx_status --list-wrapped
t_is "$T_OUT" "ls	$HOME/.local/bin/ls" "--list-wrapped without --wrap-dir lists ~/.local/bin"
sbx_status --unwrap ls
t_ok "--unwrap without --wrap-dir removes it from ~/.local/bin" test ! -e "$HOME/.local/bin/ls" -a ! -L "$HOME/.local/bin/ls"

# --- --unwrap ---------------------------------------------------------------------------

sbx_status --wrap-dir "$BIN" --unwrap printenv
t_is "$T_RC" 0 "--unwrap printenv exits 0"
t_ok "--unwrap removes the symlink" test ! -e "$BIN/printenv" -a ! -L "$BIN/printenv"
sbx_status --wrap-dir "$BIN" --list-wrapped
t_unlike "$T_OUT" "^printenv" "--list-wrapped no longer lists it"
got=$(PATH=$BIN:$SYSPATH printenv WRAP_MARK)
t_is "$got" "" "after --unwrap, printenv is the real one again, outside any profile"
sbx_status --wrap-dir "$BIN" --unwrap printenv
t_is "$T_RC" 125 "--unwrap of a wrapper that is not there exits 125"

# --- refusals ------------------------------------------------------------------------------

echo 'my own script' > "$BIN/mine"
ln -s /usr/bin/env "$BIN/envlink"
ln -s "$T_TMP/nowhere" "$BIN/dangling"
mkdir "$BIN/adir"
before=$(t_snapshot "$BIN"; readlink "$BIN/envlink" "$BIN/dangling")
for name in mine envlink dangling adir; do
  sbx_status --wrap-dir "$BIN" --wrap "$name"
  t_is "$T_RC" 125 "--wrap refuses to replace '$name', which is not an sbx wrapper (125)"
  t_like "$T_ERR" "$BIN/$name.*not an sbx wrapper" "--wrap '$name': the message says why"
  sbx_status --wrap-dir "$BIN" --unwrap "$name"
  t_is "$T_RC" 125 "--unwrap refuses to remove '$name', which is not an sbx wrapper (125)"
  t_like "$T_ERR" "$BIN/$name" "--unwrap '$name': the message names it"
done
t_is "$(t_snapshot "$BIN"; readlink "$BIN/envlink" "$BIN/dangling")" "$before" "the files that are not wrappers are left exactly as they were"
t_is "$(cat "$BIN/mine")" "my own script" "... contents included"
sbx_status --wrap-dir "$BIN" --list-wrapped
t_unlike "$T_OUT" "^(mine|envlink|dangling|adir)	" "--list-wrapped lists only links to sbx"

for name in sbx ../x .hidden a/b; do
  sbx_status --wrap-dir "$BIN" --wrap "$name"
  t_is "$T_RC" 125 "--wrap refuses the name '$name'"
done
t_ok "a refused name creates nothing outside the wrapper folder" test ! -e "$T_TMP/x"
sbx_status --wrap-dir relative/dir --wrap printenv
t_is "$T_RC" 125 "--wrap-dir must be an absolute path"
t_ok "... and nothing was created for it" test ! -e "$PROJ/relative"
t_ok "a refused --wrap made no other wrapper" test ! -e "$BIN/printenv"

# --- a wrapper whose program is not on PATH ------------------------------------------------

"$SBX" --wrap-dir "$BIN" --wrap no-such-program-xyz >/dev/null
out=$(PATH=$BIN:$SYSPATH no-such-program-xyz 2>&1); rc=$?
t_is "$rc" 125 "a wrapper whose program is not on PATH exits 125"
t_like "$out" "no-such-program-xyz" "... and the message names the program"
t_like "$out" "PATH" "... and says it is not on PATH"
# Only wrappers on PATH: the same.
out=$(PATH=$BIN:$T_TMP/bin2 "$BIN/no-such-program-xyz" 2>&1); rc=$?
t_is "$rc" 125 "a wrapper whose PATH holds only sbx links exits 125"

t_done
