#!/bin/bash
# The command line: --help, --version, --dry-run, and bad input.
. "$TOP_SRCDIR/tests/lib.sh"

# A scratch tree used as bind sources and working directory: every run
# below must leave it exactly as it was.
S=$T_TMP/scratch
mkdir -p "$S/src/sub" "$S/cwd"
echo data > "$S/src/file"
BEFORE=$(t_snapshot "$S")

# --- --help, -h, --version ------------------------------------------------

sbx_status --help
t_is "$T_RC" 0 "--help exits 0"
t_is "$T_ERR" "" "--help prints nothing on stderr"
HELP=$T_OUT
t_like "$HELP" '^Usage: sbx ' "--help starts with a usage line"
for section in General Namespaces Identity Filesystem Process Reporting; do
  t_like "$HELP" "^$section( .*)?:\$" "--help has the $section section"
done
# Every section title of the option table, as a heading line of its own.
missing=""
while IFS= read -r title; do
  printf '%s\n' "$HELP" | grep -Fqx -- "$title:" || missing="$missing [$title]"
done < <(sed -n 's/^ *\[SBX_SECT_[A-Z]*\] = "\(.*\)",$/\1/p' "$TOP_SRCDIR/src/options.c")
t_is "$missing" "" "--help has a heading for every section of the option table"
nopts=$(sed -n 's/^  { "\([a-z0-9.-]*\)", [0-9].*/\1/p' "$TOP_SRCDIR/src/options.c" | wc -l)
t_ok "the option names can be read from src/options.c ($nopts)" test "$nopts" -gt 40
t_is "$(printf '%s\n' "$HELP" | grep -c '^  --')" "$nopts" "--help has one line per option of the table"
missing=""
for opt in $(sed -n 's/^  { "\([a-z0-9.-]*\)", [0-9].*/\1/p' "$TOP_SRCDIR/src/options.c"); do
  printf '%s\n' "$HELP" | grep -Eq -- "^  --$opt( |\$)" || missing="$missing --$opt"
done
t_is "$missing" "" "--help lists every option of the option table"
t_like "$HELP" '125' "--help documents exit status 125"

sbx_status -h
t_is "$T_RC" 0 "-h exits 0"
t_is "$T_OUT" "$HELP" "-h prints the same as --help"

sbx_status --version
t_is "$T_RC" 0 "--version exits 0"
t_like "$T_OUT" '^sbx [0-9]+\.[0-9]+\.[0-9]+$' "--version prints 'sbx X.Y.Z'"
t_is "$(printf '%s\n' "$T_OUT" | wc -l)" 1 "--version prints one line"
t_is "$T_ERR" "" "--version prints nothing on stderr"

# --- --dry-run ---------------------------------------------------------------

uid=$(id -u)
gid=$(id -g)
cd "$S/cwd" || exit 1
sbx_status --dry-run --unshare-pid --unshare-net --ro-bind / / --bind "$S/src" /newdir/x \
  --dir /made --tmpfs /made/t --symlink /newdir/x /made/link --bind "$S/src" "$S/src/sub/new" \
  --dir "$S/src/created" --chmod 0700 /made --remount-ro /newdir/x \
  --setenv FOO 'a b' -- sh -c 'touch /made/x'
t_is "$T_RC" 0 "--dry-run exits 0"
t_is "$T_ERR" "" "--dry-run prints nothing on stderr"
DRY=$T_OUT
t_like "$DRY" '^namespaces: user mount pid net$' "--dry-run: the namespaces line"
t_like "$DRY" "^uid-map: $uid $uid 1\$" "--dry-run: the uid map"
t_like "$DRY" "^gid-map: $gid $gid 1\$" "--dry-run: the gid map"
got=$(printf '%s\n' "$DRY" | sed -n '/^filesystem:$/,/^  pivot-root$/p')
want="filesystem:
  tmpfs / (new root)
  ro-bind / /
  bind $S/src /newdir/x
  dir /made
  tmpfs /made/t
  symlink /newdir/x /made/link
  bind $S/src $S/src/sub/new
  dir $S/src/created
  chmod 0700 /made
  remount-ro /newdir/x
  pivot-root"
t_is "$got" "$want" "--dry-run: the filesystem operations, in order"
t_like "$DRY" '^capabilities: none$' "--dry-run: capabilities none"
t_like "$DRY" '^no-new-privs: yes$' "--dry-run: no-new-privs yes"
t_like "$DRY" "^command: sh -c 'touch /made/x'\$" "--dry-run: the command, quoted"
t_like "$DRY" "^environment: set:FOO='a b'\$" "--dry-run: the environment edits"
t_like "$DRY" "^chdir: $S/cwd " "--dry-run: the caller's directory as the default"
t_is "$(t_snapshot "$S")" "$BEFORE" "--dry-run creates nothing in the host directories it names"
t_ok "--dry-run creates no /newdir or /made on the host" test ! -e /newdir -a ! -e /made

# A profile that asks for host folders: --dry-run shows them, creates none.
if [ -f "$TOP_SRCDIR/profiles/firefox.sbx" ]; then
  mkdir -p "$S/home"
  BEFORE=$(t_snapshot "$S")
  T_OUT=$(HOME=$S/home XDG_CONFIG_HOME=$S/home/.config XDG_CACHE_HOME=$S/home/.cache \
          SBX_PROFILES_DATADIR=$TOP_SRCDIR/profiles "$SBX" --dry-run --profile firefox true 2>/dev/null)
  T_RC=$?
  t_is "$T_RC" 0 "--dry-run --profile firefox: exits 0"
  t_like "$T_OUT" "^host-mkdir: $S/home/\\.mozilla\$" "--dry-run: the profile's host folder is in the plan"
  t_is "$(t_snapshot "$S")" "$BEFORE" "--dry-run: the profile's host folder is not created"
else
  t_skip "no profiles/firefox.sbx"
fi

sbx_status --noprofile --dry-run --cap-add net_raw true
t_like "$T_OUT" '^capabilities: CAP_NET_RAW$' "--dry-run: a kept capability is listed"
t_like "$T_OUT" '^process: exec-in-place$' "--dry-run: without a pid namespace sbx runs the command in place"

# --- bad input -----------------------------------------------------------------
# Each case: exit 125, exactly one line on stderr that starts with "sbx: ",
# nothing on stdout, and the scratch directory left as it was.

bad () {  # bad DESCRIPTION ARGS...
  local desc=$1; shift
  sbx_status "$@"
  t_is "$T_RC" 125 "$desc: exits 125"
  local lines
  lines=$(wc -l < "$T_TMP/.stderr")
  [ "$lines" -eq 1 ] && printf '%s\n' "$T_ERR" | grep -q '^sbx: '
  t_result $? "$desc: exactly one line on stderr, starting with 'sbx: '" "stderr ($lines lines): $T_ERR"
  t_is "$T_OUT" "" "$desc: nothing on stdout"
  t_is "$(t_snapshot "$S")" "$BEFORE" "$desc: the scratch directory is unchanged"
}

# Good operations come first, so that a sbx that acted before it checked
# everything would leave something behind.
GOOD="--bind $S/src /w --dir /w/made-by-sbx --bind $S/src $S/src --dir $S/src/made"

bad "unknown option" $GOOD --no-such-option true
bad "unknown short option" $GOOD -z true
bad "missing argument" $GOOD --tmpfs
bad "missing second argument" $GOOD --bind /usr
bad "relative destination" $GOOD --bind /usr usr true
bad "relative --dir" $GOOD --dir made true
bad "missing bind source" $GOOD --bind "$S/no-such-source" /x true
bad "missing ro-bind source" $GOOD --ro-bind "$S/no-such-source" /x true
bad "--file with an fd that is not open" $GOOD --file 9 /x true 9>&-
bad "--info-fd with an fd that is not open" $GOOD --info-fd 9 true 9>&-
bad "--json-status-fd with an fd that is not open" $GOOD --json-status-fd 9 true 9>&-
bad "--keep-fd with an fd that is not open" $GOOD --keep-fd 9 true 9>&-
bad "invalid capability name" $GOOD --cap-add CAP_NO_SUCH_THING true
bad "invalid capability name for --cap-drop" $GOOD --cap-drop nope true
bad "missing COMMAND" $GOOD
bad "missing COMMAND after --" $GOOD --
bad "--perms with a bad mode" $GOOD --perms 0799 --tmpfs /t true
bad "--perms with a word" $GOOD --perms rwx --tmpfs /t true
bad "--chmod with a bad mode" $GOOD --chmod 9 /w true
bad "--size with garbage" $GOOD --size lots --tmpfs /t true
bad "--size with a bad suffix" $GOOD --size 12Q --tmpfs /t true
bad "--size not followed by --tmpfs" $GOOD --size 1M --dir /t true
bad "--uid not a number" $GOOD --uid root true
bad "--as-pid-1 without --unshare-pid" $GOOD --as-pid-1 true
bad "--mqueue without --unshare-ipc" $GOOD --mqueue /dev/mqueue true
bad "--dry-run with bad input" --dry-run $GOOD --bind /usr usr true

# The -try form of a missing source is fine.
sbx_status --ro-bind / / --bind-try "$S/no-such-source" /tmp --tmpfs /run sh -c 'echo ran'
t_is "$T_RC" 0 "--bind-try with a missing source: exits 0"
t_is "$T_OUT" "ran" "--bind-try with a missing source: the command runs"
t_is "$T_ERR" "" "--bind-try with a missing source: nothing on stderr"
t_is "$(t_snapshot "$S")" "$BEFORE" "--bind-try with a missing source: nothing created"

# `--` and the first non-option word end sbx's options.
sbx_status --ro-bind / / -- printf '%s,' --help
t_is "$T_OUT" "--help," "after --, '--help' is an argument of the command"
sbx_status --ro-bind / / printf '%s,' --version --bind
t_is "$T_OUT" "--version,--bind," "options after the command are the command's"
t_is "$T_RC" 0 "... and exit 0"

t_done
