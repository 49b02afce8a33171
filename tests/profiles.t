#!/bin/bash
# Profiles: the language (comments, quotes, variables, ?NAME lines,
# includes, NAME.local, --ignore, errors with FILE:LINE) and the lookup
# (which profile applies, the search path, read-only profile folders).
. "$TOP_SRCDIR/tests/lib.sh"

t_fake_home
UPROF=$XDG_CONFIG_HOME/sbx/profiles    # the user's profile folder
P=$T_TMP/p                             # profiles given by path
PROJ=$HOME/proj
mkdir -p "$UPROF" "$P" "$PROJ" "$HOME/.cache" || exit 1
cd "$PROJ" || exit 1

# mk FILE LINE...: write a profile, one argument a line.
mk () { local f=$1; shift; printf '%s\n' "$@" > "$f"; }
# pp [OPTION]... PROFILE: sbx [OPTION]... --print-profile PROFILE, into
# $T_RC, $T_OUT and $T_ERR.
pp () { sbx_status "${@:1:$#-1}" --print-profile "${@: -1}"; }
# The names of the setenv lines in $T_OUT, on one line.
names () { printf '%s\n' "$T_OUT" | sed -n 's/^setenv \([A-Z_]*\) .*/\1/p' | tr '\n' ' '; }

# --- comments, blank lines and quotes ----------------------------------------

mk "$P/lang.sbx" \
  '# a comment line' \
  '' \
  '   ' \
  'ro-system' \
  '    # an indented comment' \
  'setenv GREETING "hello world"   # a trailing comment' \
  '	setenv   TABBED    yes	' \
  'setenv HASH "x # y"' \
  'setenv JOINED ab"c d"e' \
  'setenv ESCAPED "say \"hi\" \\ ok"' \
  'setenv EMPTYQ ""'
sbx_status --print-profile "$P/lang.sbx"
t_is "$T_RC" 0 "--print-profile of a profile with comments and blank lines exits 0"
want="ro-system  # $P/lang.sbx:4
setenv GREETING \"hello world\"  # $P/lang.sbx:6
setenv TABBED yes  # $P/lang.sbx:7
setenv HASH \"x # y\"  # $P/lang.sbx:8
setenv JOINED \"abc de\"  # $P/lang.sbx:9
setenv ESCAPED \"say \"hi\" \\ ok\"  # $P/lang.sbx:10
setenv EMPTYQ \"\"  # $P/lang.sbx:11"
t_is "$T_OUT" "$want" "comments and blank lines are dropped; each directive is printed with its file:line"

sbx_status --profile "$P/lang.sbx" sh -c 'printf "%s|" "$GREETING" "$TABBED" "$HASH" "$JOINED" "$ESCAPED" "${EMPTYQ-unset}"'
t_is "$T_RC" 0 "a profile with quotes runs"
t_is "$T_OUT" 'hello world|yes|x # y|abc de|say "hi" \ ok||' \
  "quotes group words with blanks, keep '#', join with the word around them, and take \\\" and \\\\"

# --- variables -----------------------------------------------------------------

mkdir -p "$P/sub" "$T_TMP/run"
mk "$P/vars.sbx" \
  'ro-system' \
  'setenv V_HOME ${HOME}' \
  'setenv V_USER ${USER}' \
  'setenv V_UID ${UID}' \
  'setenv V_GID ${GID}' \
  'setenv V_RUNTIME_DIR ${RUNTIME_DIR}' \
  'setenv V_CWD ${CWD}' \
  'setenv V_CONFIG ${CONFIG}' \
  'setenv V_CACHE ${CACHE}' \
  'setenv V_DATA ${DATA}' \
  'setenv V_DOWNLOADS ${DOWNLOADS}' \
  'setenv V_PROFILE_DIR ${PROFILE_DIR}' \
  'setenv V_TWO ${UID}:${GID}/${USER}' \
  'include ./sub/vars.inc'
mk "$P/sub/vars.inc" 'setenv V_INC_PROFILE_DIR ${PROFILE_DIR}'
export XDG_RUNTIME_DIR=$T_TMP/run
pp "$P/vars.sbx"
got=$(printf '%s\n' "$T_OUT" | sed -n 's/^setenv \(V_[A-Z_]*\) \(.*\)  # .*/\1=\2/p')
t_is "$T_RC" 0 "--print-profile of a profile using every variable exits 0"
want="V_HOME=$HOME
V_USER=$USER
V_UID=$(id -u)
V_GID=$(id -g)
V_RUNTIME_DIR=$T_TMP/run
V_CWD=$PROJ
V_CONFIG=$XDG_CONFIG_HOME
V_CACHE=$XDG_CACHE_HOME
V_DATA=$HOME/.local/share
V_DOWNLOADS=$HOME/Downloads
V_PROFILE_DIR=$P
V_TWO=$(id -u):$(id -g)/$USER
V_INC_PROFILE_DIR=$P/sub"
t_is "$got" "$want" "every variable expands (PROFILE_DIR is the folder of the file holding the line)"

inside=$("$SBX" --profile "$P/vars.sbx" sh -c 'env | grep "^V_" | LC_ALL=C sort' 2>&1)
t_is "$inside" "$(printf '%s\n' "$want" | LC_ALL=C sort)" "the expanded values reach the command's environment"

# XDG_DATA_HOME and the downloads folder of user-dirs.dirs.
printf 'XDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_DOWNLOAD_DIR="$HOME/My Downloads"\n' > "$XDG_CONFIG_HOME/user-dirs.dirs"
XDG_DATA_HOME=$T_TMP/data XDG_CACHE_HOME=$T_TMP/cache pp "$P/vars.sbx"
got=$(printf '%s\n' "$T_OUT" | sed -n 's/^setenv \(V_DATA\|V_DOWNLOADS\|V_CACHE\) \(.*\)  # .*/\1=\2/p')
t_is "$got" "V_CACHE=$T_TMP/cache
V_DATA=$T_TMP/data
V_DOWNLOADS=\"$HOME/My Downloads\"" "CACHE and DATA follow XDG_*_HOME; DOWNLOADS follows user-dirs.dirs"
rm -f "$XDG_CONFIG_HOME/user-dirs.dirs"

# An unknown variable.
mk "$P/unknown-var.sbx" 'ro-system' '# two' 'setenv X ${NO_SUCH_VARIABLE}'
sbx_status --profile "$P/unknown-var.sbx" true
t_is "$T_RC" 125 "an unknown variable exits 125"
t_like "$T_ERR" "^sbx: $P/unknown-var.sbx:3: .*NO_SUCH_VARIABLE" "an unknown variable: FILE:LINE and the name"
mk "$P/unknown-var2.sbx" 'ro-system' 'setenv X ${home}'
sbx_status --print-profile "$P/unknown-var2.sbx"
t_is "$T_RC" 125 "variable names are case-sensitive: \${home} is unknown"
mk "$P/unterminated-var.sbx" 'ro-system' 'setenv X ${HOME'
sbx_status --print-profile "$P/unterminated-var.sbx"
t_is "$T_RC" 125 "an unterminated \${ exits 125"
t_like "$T_ERR" "^sbx: $P/unterminated-var.sbx:2: " "an unterminated \${: FILE:LINE"

# An empty variable: RUNTIME_DIR with XDG_RUNTIME_DIR unset.
unset XDG_RUNTIME_DIR
mk "$P/empty-try.sbx" 'ro-system' 'ro-bind-try ${RUNTIME_DIR}/bus /run/bus' 'bind-try ${RUNTIME_DIR} /run/user' 'setenv AFTER yes'
pp "$P/empty-try.sbx"
t_is "$T_RC" 0 "an empty variable on a -try line: --print-profile exits 0"
t_is "$T_OUT" "ro-system  # $P/empty-try.sbx:1
setenv AFTER yes  # $P/empty-try.sbx:4" "an empty variable on a -try line skips that line only"
sbx_status --profile "$P/empty-try.sbx" sh -c 'echo "$AFTER"; if test -e /run/user; then echo has-run-user; fi'
t_is "$T_RC:$T_OUT" "0:yes" "an empty variable on a -try line: the sandbox runs without that line"
mk "$P/empty.sbx" 'ro-system' 'ro-bind ${RUNTIME_DIR} /run/user'
sbx_status --profile "$P/empty.sbx" true
t_is "$T_RC" 125 "an empty variable on a line without -try exits 125"
t_like "$T_ERR" "^sbx: $P/empty.sbx:2: .*empty" "an empty variable without -try: FILE:LINE and why"
mk "$P/empty-setenv.sbx" 'ro-system' 'setenv R ${RUNTIME_DIR}'
sbx_status --print-profile "$P/empty-setenv.sbx"
t_is "$T_RC" 125 "an empty variable in setenv (no -try form) is an error too"
t_like "$T_ERR" "^sbx: $P/empty-setenv.sbx:2: " "the empty-variable error names FILE:LINE"

# --- ?NAME lines ---------------------------------------------------------------

mk "$P/opt.sbx" 'ro-system' '?extra setenv EXTRA on' '?two-words setenv TWO on' 'setenv ALWAYS on'
pp "$P/opt.sbx"
t_is "$T_RC:$(names)" "0:ALWAYS " "?NAME lines are off by default"
pp --enable extra "$P/opt.sbx"
t_is "$(names)" "EXTRA ALWAYS " "--enable NAME turns on the ?NAME lines (and no others)"
pp --enable extra --enable two-words "$P/opt.sbx"
t_is "$(names)" "EXTRA TWO ALWAYS " "--enable can be given more than once"
SBX_EXTRA=1 pp "$P/opt.sbx"
t_is "$(names)" "EXTRA ALWAYS " "SBX_NAME=1 turns on the ?NAME lines"
SBX_TWO_WORDS=1 pp "$P/opt.sbx"
t_is "$(names)" "TWO ALWAYS " "SBX_NAME: a dash in NAME is an underscore, upper case"
SBX_EXTRA=0 pp "$P/opt.sbx"
t_is "$(names)" "ALWAYS " "SBX_NAME=0 leaves the ?NAME lines off"
sbx_status --print-profile "$P/opt.sbx" --enable extra
t_is "$(names)" "EXTRA ALWAYS " "--enable after --print-profile counts too"
sbx_status --enable extra --profile "$P/opt.sbx" sh -c 'echo "${EXTRA-unset} ${TWO-unset}"'
t_is "$T_OUT" "on unset" "an enabled ?NAME line applies in the sandbox"
mk "$P/opt-bad.sbx" 'ro-system' '?lonely'
sbx_status --print-profile "$P/opt-bad.sbx"
t_is "$T_RC" 125 "'?NAME' with no directive exits 125"
t_like "$T_ERR" "^sbx: $P/opt-bad.sbx:2: " "'?NAME' with no directive: FILE:LINE"

# --- include -----------------------------------------------------------------------

mk "$UPROF/byname.inc" 'setenv BYNAME yes'
mk "$P/inc-name.sbx" 'include byname.inc' 'include minimal'
pp "$P/inc-name.sbx"
t_is "$T_RC" 0 "include NAME from the search path: exits 0"
t_is "$T_OUT" "setenv BYNAME yes  # $UPROF/byname.inc:1
ro-system  # $SBX_PROFILES_DATADIR/minimal.sbx:2" \
  "include NAME finds NAME (or NAME.sbx) in the user folder and in the shipped profiles"

# ./x.inc is relative to the including file, wherever sbx runs from; a
# decoy in the current directory must not be used.
mkdir -p "$P/rel/sub" "$T_TMP/decoy/sub"
mk "$P/rel/top.sbx" 'include ./sub/x.inc' 'setenv TOP yes' 'ro-system'
mk "$P/rel/sub/x.inc" 'setenv X_INC yes' 'include ../y.inc'
mk "$P/rel/y.inc" 'setenv Y_INC yes'
mk "$T_TMP/decoy/sub/x.inc" 'setenv DECOY yes'
got=$(cd "$T_TMP/decoy" && "$SBX" --print-profile "$P/rel/top.sbx" 2>&1)
t_is "$got" "setenv X_INC yes  # $P/rel/sub/x.inc:1
setenv Y_INC yes  # $P/rel/y.inc:1
setenv TOP yes  # $P/rel/top.sbx:2
ro-system  # $P/rel/top.sbx:3" "include ./x.inc and ../x.inc resolve against the including file's folder, not the cwd"
got=$(cd / && "$SBX" --profile "$P/rel/top.sbx" sh -c 'echo "${X_INC-} ${Y_INC-} ${TOP-} ${DECOY-none}"' 2>&1)
t_is "$got" "yes yes yes none" "relative includes apply from any cwd"

mk "$P/inc-missing.sbx" 'ro-system' 'include ./nowhere.inc'
sbx_status --print-profile "$P/inc-missing.sbx"
t_is "$T_RC" 125 "including a missing file exits 125"
t_like "$T_ERR" "^sbx: $P/inc-missing.sbx:2: .*nowhere.inc" "including a missing file: FILE:LINE and the name"
mk "$P/inc-args.sbx" 'include a b'
sbx_status --print-profile "$P/inc-args.sbx"
t_like "$T_RC:$T_ERR" "^125:sbx: $P/inc-args.sbx:1: " "include with two names: 125 and FILE:LINE"

# Cycles.
mk "$P/cyc-a.sbx" 'ro-system' 'include ./cyc-b.sbx'
mk "$P/cyc-b.sbx" 'setenv B yes' 'include ./cyc-a.sbx'
sbx_status --profile "$P/cyc-a.sbx" true
t_is "$T_RC" 125 "an include cycle (a includes b includes a) exits 125"
t_like "$T_ERR" "cycle" "an include cycle: the message says so"
t_like "$T_ERR" "cyc-a.sbx" "an include cycle: the message names the file included again"
t_like "$T_ERR" "$P/cyc-b.sbx:2" "an include cycle: the message names the include line that closes it (FILE:LINE)"
mk "$P/self.sbx" 'ro-system' 'include ./self.sbx'
sbx_status --print-profile "$P/self.sbx"
t_is "$T_RC" 125 "a profile including itself exits 125"
t_like "$T_ERR" "cycle" "a profile including itself: an include cycle"

# Depth: 16 files deep is fine, 17 is an error.
chain () {  # chain DIR N: c1.inc includes c2.inc ... includes cN.inc
  local i
  mkdir -p "$1"
  for i in $(seq 1 "$2"); do
    mk "$1/c$i.inc" "setenv DEPTH $i"
    if [ "$i" -lt "$2" ]; then echo "include ./c$((i + 1)).inc" >> "$1/c$i.inc"; fi
  done
}
chain "$P/deep16" 16
chain "$P/deep17" 17
pp "$P/deep16/c1.inc"
t_is "$T_RC:$(printf '%s\n' "$T_OUT" | sed -n 's/^setenv DEPTH \([0-9]*\) .*/\1/p' | tr '\n' ' ')" \
  "0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 " "includes 16 files deep are read"
pp "$P/deep17/c1.inc"
t_is "$T_RC" 125 "includes 17 files deep exit 125"
t_like "$T_ERR" "deep|depth|nested" "includes too deep: the message says so"
t_like "$T_ERR" "16" "includes too deep: the message gives the limit"
sbx_status --profile "$P/deep17/c1.inc" true
t_is "$T_RC" 125 "includes 17 files deep: --profile exits 125 too"

# --- NAME.local ---------------------------------------------------------------------

mk "$UPROF/mine.sbx" 'ro-system' 'setenv ORDER profile' 'setenv ONLY_PROFILE yes'
mk "$UPROF/mine.local" 'setenv ORDER local' 'setenv ONLY_LOCAL yes'
pp mine
t_is "$T_OUT" "ro-system  # $UPROF/mine.sbx:1
setenv ORDER profile  # $UPROF/mine.sbx:2
setenv ONLY_PROFILE yes  # $UPROF/mine.sbx:3
setenv ORDER local  # $UPROF/mine.local:1
setenv ONLY_LOCAL yes  # $UPROF/mine.local:2" "NAME.local is read after NAME, its lines with their own file:line"
sbx_status --profile mine sh -c 'echo "$ORDER $ONLY_PROFILE $ONLY_LOCAL"'
t_is "$T_OUT" "local yes yes" "NAME.local applies after NAME: its settings win"

# --- --ignore -------------------------------------------------------------------------

mk "$P/ign.sbx" 'ro-system' 'setenv IGN1 yes' 'include ./ign.inc' '?extra setenv IGN3 yes' 'unsetenv NOTHING'
mk "$P/ign.inc" 'setenv IGN2 yes'
pp --ignore setenv --enable extra "$P/ign.sbx"
t_is "$T_OUT" "ro-system  # $P/ign.sbx:1
unsetenv NOTHING  # $P/ign.sbx:5" "--ignore DIRECTIVE drops those lines, in included files and ?NAME lines too"
sbx_status --ignore setenv --profile "$P/ign.sbx" sh -c 'echo "${IGN1-unset} ${IGN2-unset}"'
t_is "$T_OUT" "unset unset" "--ignore: the dropped lines do not apply in the sandbox"
pp --ignore ro-system --ignore unsetenv "$P/ign.sbx"
got=$(printf '%s\n' "$T_OUT" | sed 's/  #.*//' | tr '\n' ' ')
t_is "$got" "setenv IGN1 yes setenv IGN2 yes " "--ignore can be given more than once"
pp --ignore include "$P/ign.sbx"
got=$(printf '%s\n' "$T_OUT" | sed 's/  #.*//' | tr '\n' ' ')
t_is "$got" "ro-system setenv IGN1 yes unsetenv NOTHING " "--ignore include drops include lines"

# --- the command line after --profile ----------------------------------------------

mk "$P/order.sbx" 'ro-system' 'proc /proc' 'setenv X 1' 'setenv KEEP profile' 'net none'
sbx_status --profile "$P/order.sbx" --setenv X 2 sh -c 'echo "$X $KEEP"'
t_is "$T_OUT" "2 profile" "an option after --profile overrides the profile (--setenv X 2 wins), the rest stays"
sbx_status --profile "$P/order.sbx" --unsetenv KEEP sh -c 'echo "${KEEP-unset}"'
t_is "$T_OUT" "unset" "--unsetenv after --profile removes what the profile set"
host_net=$(readlink /proc/self/ns/net)
sbx_status --profile "$P/order.sbx" readlink /proc/self/ns/net
t_isnt "$T_OUT" "$host_net" "the profile's 'net none' gives a new network namespace"
sbx_status --profile "$P/order.sbx" --share-net readlink /proc/self/ns/net
t_is "$T_OUT" "$host_net" "--share-net after a profile with 'net none' keeps the host's network"
sbx_status --dry-run --profile "$P/order.sbx" --share-net true
t_unlike "$(printf '%s\n' "$T_OUT" | grep '^namespaces:')" ' net' "--dry-run: --share-net after the profile drops the net namespace"
sbx_status --profile "$P/order.sbx" --tmpfs /extra sh -c 'test -d /extra && test -d /usr/bin && echo both'
t_is "$T_OUT" "both" "a filesystem option after --profile extends the profile's file system"

# --- errors: FILE:LINE, exit 125, and nothing launched ------------------------------

MARK=$T_TMP/marker
mkdir -p "$T_TMP/out"
# check_error NAME LINE REGEX DESC PROFILE-LINES...: the profile's line LINE
# is bad: 125, "sbx: FILE:LINE: ..." matching REGEX, no marker created.
check_error () {
  local name=$1 line=$2 re=$3 desc=$4; shift 4
  local f=$P/err-$name.sbx
  mk "$f" 'ro-system' "bind $T_TMP/out $T_TMP/out" "$@"
  rm -f "$T_TMP/out/marker"
  sbx_status --profile "$f" touch "$T_TMP/out/marker"
  t_is "$T_RC" 125 "$desc: exit 125"
  t_like "$T_ERR" "^sbx: $f:$line: $re" "$desc: 'sbx: FILE:LINE: message'"
  t_ok "$desc: nothing was launched" test ! -e "$T_TMP/out/marker"
}
# The control: the same profile without a bad line does launch.
mk "$P/err-none.sbx" 'ro-system' "bind $T_TMP/out $T_TMP/out"
sbx_status --profile "$P/err-none.sbx" touch "$T_TMP/out/marker"
t_ok "the control profile launches and creates the marker" test "$T_RC" = 0 -a -e "$T_TMP/out/marker"

check_error unknown 3 ".*frobnicate" "an unknown directive" 'frobnicate /x'
check_error nargs 3 "setenv: .*2 argument" "too few arguments" 'setenv ONLY_NAME'
check_error nargs2 4 "tmpfs: .*1 argument" "too many arguments" 'setenv A b' 'tmpfs /a /b'
check_error nargs0 3 "" "an argument to a directive that takes none" 'home-private please'
check_error help 3 ".*help" "a CLI-only option as a directive (help)" 'help'
check_error profile 3 ".*profile" "a CLI-only option as a directive (profile x)" 'profile default'
check_error dryrun 3 ".*dry-run" "a CLI-only option as a directive (dry-run)" 'dry-run'
check_error wrap 3 ".*wrap" "a CLI-only option as a directive (wrap x)" 'wrap ls'
check_error printprofile 3 ".*print-profile" "a CLI-only option as a directive (print-profile x)" 'print-profile default'
check_error relative 4 "tmpfs: .*relative" "a bad argument (tmpfs relative)" 'setenv A b' 'tmpfs relative'
check_error badnet 3 "net: .*bogus" "a bad argument (net bogus)" 'net bogus'
check_error badcap 3 ".*cap" "a bad argument (caps.keep no_such_cap)" 'caps.keep no_such_cap'
check_error quote 3 ".*quote" "an unterminated quote" 'setenv A "open ended'
check_error dashes 3 ".*--setenv" "a directive written with its dashes" '--setenv A b'
check_error missing 3 ".*/nonexistent" "a missing bind source" 'bind /nonexistent /x'
check_error missing-ro 4 ".*/nonexistent" "a missing ro-bind source" 'setenv A b' 'ro-bind /nonexistent/deeper /x'
check_error homeout 3 ".*not under" "home-bind outside home" 'home-bind /etc'

# An error in an included file names the included file.
mk "$P/err-inc.inc" 'setenv OK yes' 'bogus-directive'
mk "$P/err-inc.sbx" 'ro-system' "bind $T_TMP/out $T_TMP/out" 'include ./err-inc.inc'
rm -f "$T_TMP/out/marker"
sbx_status --profile "$P/err-inc.sbx" touch "$T_TMP/out/marker"
t_is "$T_RC" 125 "an error in an included file exits 125"
t_like "$T_ERR" "^sbx: $P/err-inc.inc:2: " "an error in an included file gives that file's FILE:LINE"
t_ok "an error in an included file: nothing was launched" test ! -e "$T_TMP/out/marker"
sbx_status --print-profile "$P/err-unknown.sbx"
t_is "$T_RC" 125 "--print-profile reports the same errors (exit 125)"
t_like "$T_ERR" "^sbx: $P/err-unknown.sbx:3: " "--print-profile: the error's FILE:LINE"

# --- lookup: which profile applies ---------------------------------------------------

profile_line () { "$SBX" --dry-run "$@" 2>/dev/null | sed -n 's/^profile: //p'; }
t_is "$(profile_line true)" "$SBX_PROFILES_DATADIR/default.sbx (the default for commands without one)" \
  "sbx COMMAND with no profile of that name applies 'default'"
t_is "$(profile_line --setenv A b true)" "$SBX_PROFILES_DATADIR/default.sbx (the default for commands without one)" \
  "a non-filesystem option keeps the default profile"
t_is "$(profile_line --ro-bind / / true)" "none (the command line builds its own file system)" \
  "a command line with a filesystem option applies no profile"
t_is "$(profile_line --tmpfs /x true)" "none (the command line builds its own file system)" \
  "--tmpfs is a filesystem option too"
t_is "$(profile_line --noprofile true)" "none (--noprofile)" "--noprofile applies none"
t_is "$(profile_line --profile minimal --ro-bind / / true)" "$SBX_PROFILES_DATADIR/minimal.sbx (--profile)" \
  "--profile NAME applies NAME even with filesystem options"
t_is "$(profile_line curl -V)" "$SBX_PROFILES_DATADIR/curl.sbx (named after the command)" \
  "a command with a shipped profile of its name applies it"
t_is "$(profile_line /some/where/python3 -c 1)" "$SBX_PROFILES_DATADIR/python3.sbx (named after the command)" \
  "the command's basename picks the profile"

sbx_status --profile minimal --noprofile true
t_is "$T_RC" 125 "--profile and --noprofile together exit 125"
t_like "$T_ERR" "profile" "--profile and --noprofile together: the message says why"
sbx_status --noprofile --profile minimal true
t_is "$T_RC" 125 "--noprofile and --profile (either order) exit 125"

# A command with a user profile of its name.
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\necho "mark=${MYTOOL_MARK:-unset}"\n' > "$T_TMP/bin/mytool"
chmod 755 "$T_TMP/bin/mytool"
mk "$UPROF/mytool.sbx" 'ro-system' "ro-bind $T_TMP/bin $T_TMP/bin" 'setenv MYTOOL_MARK from-profile'
t_is "$(profile_line "$T_TMP/bin/mytool")" "$UPROF/mytool.sbx (named after the command)" \
  "a command with a user profile of its name applies it (--dry-run)"
sbx_status "$T_TMP/bin/mytool"
t_is "$T_RC:$T_OUT" "0:mark=from-profile" "running /path/to/mytool applies mytool.sbx"
T_OUT=$(PATH=$T_TMP/bin:$PATH "$SBX" mytool 2>&1)
t_is "$T_OUT" "mark=from-profile" "running mytool from PATH applies mytool.sbx"
T_OUT=$("$SBX" --noprofile --ro-bind / / "$T_TMP/bin/mytool" 2>&1)
t_is "$T_OUT" "mark=unset" "--noprofile: mytool.sbx is not applied"

# The user's folder comes before the shipped profiles.
mk "$UPROF/minimal.sbx" 'ro-system' 'setenv MIN_MARK user-minimal'
t_is "$(profile_line --profile minimal true)" "$UPROF/minimal.sbx (--profile)" \
  "a profile in the user folder overrides the shipped one of the same name"
sbx_status --profile minimal sh -c 'echo "${MIN_MARK-unset}"'
t_is "$T_OUT" "user-minimal" "the user's minimal.sbx is the one applied"
rm -f "$UPROF/minimal.sbx"
sbx_status --profile minimal sh -c 'echo "${MIN_MARK-unset}"'
t_is "$T_OUT" "unset" "without it the shipped minimal.sbx applies again"

# XDG_CONFIG_HOME unset: ~/.config/sbx/profiles.
t_is "$(env -u XDG_CONFIG_HOME "$SBX" --dry-run "$T_TMP/bin/mytool" 2>/dev/null | sed -n 's/^profile: //p')" \
  "$UPROF/mytool.sbx (named after the command)" "without XDG_CONFIG_HOME the user folder is ~/.config/sbx/profiles"

# NAME.local for a shipped profile, from the user folder.
mk "$UPROF/default.local" 'setenv LOCAL_MARK from-default-local'
sbx_status sh -c 'echo "${LOCAL_MARK-unset}"'
t_is "$T_RC:$T_OUT" "0:from-default-local" "default.local in the user folder is applied with the shipped default"
pp default
t_like "$(printf '%s\n' "$T_OUT" | tail -n 1)" "^setenv LOCAL_MARK from-default-local  # $UPROF/default.local:1\$" \
  "--print-profile default ends with default.local"
rm -f "$UPROF/default.local"

# An unknown profile lists the folders searched.
sbx_status --profile no-such-profile true
t_is "$T_RC" 125 "an unknown profile exits 125"
t_like "$T_ERR" "no-such-profile" "an unknown profile: the message names it"
t_like "$T_ERR" "$UPROF" "an unknown profile: the message lists the user folder"
t_like "$T_ERR" "/etc/sbx/profiles" "an unknown profile: the message lists /etc/sbx/profiles"
t_like "$T_ERR" "$SBX_PROFILES_DATADIR" "an unknown profile: the message lists the shipped profiles' folder"
sbx_status --profile "$P/no-such-file.sbx" true
t_is "$T_RC" 125 "a profile path that does not exist exits 125"
t_like "$T_ERR" "$P/no-such-file.sbx" "a profile path that does not exist: the message names it"
sbx_status --print-profile no-such-profile
t_is "$T_RC" 125 "--print-profile of an unknown profile exits 125"

# The profile folders are read-only inside a sandbox that shows them.
sbx_status --profile minimal --bind "$T_TMP" "$T_TMP" sh -c "echo x > '$UPROF/new.sbx'"
t_isnt "$T_RC" 0 "writing into the user profile folder from inside fails"
t_like "$T_ERR" "Read-only file system" "the user profile folder is read-only inside (EROFS)"
t_ok "nothing was written into the user profile folder" test ! -e "$UPROF/new.sbx"
sbx_status --profile minimal --bind "$T_TMP" "$T_TMP" sh -c "echo x > '$T_TMP/out/writable' && echo ok"
t_is "$T_OUT" "ok" "the rest of the bound tree stays writable"
sbx_status --profile minimal --bind "$T_TMP" "$T_TMP" sh -c "echo x >> '$UPROF/mine.sbx'"
t_like "$T_ERR" "Read-only file system" "an existing profile cannot be changed from inside either"

t_done
