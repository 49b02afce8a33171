# The documents cover every option, and mention no option sbx lacks.
#
# The options are those `sbx --help` lists (the option table in
# src/options.c is the single source of truth). Each must appear in the man
# page and in the bash, zsh and fish completions; conversely every option of
# the man page's .TP entries, of the zsh optspecs and of the fish
# completions must exist.
. "$TOP_SRCDIR/tests/lib.sh"

man_page=$TOP_SRCDIR/man/sbx.1
bash_comp=$TOP_SRCDIR/completions/sbx
zsh_comp=$TOP_SRCDIR/completions/_sbx
fish_comp=$TOP_SRCDIR/completions/sbx.fish

# Characters an option name is made of: "seccomp" must not be found in
# "--seccomp.block", nor "bind" in "--bind-try".
name_chars='A-Za-z0-9_.-'
after_name="([^$name_chars]|\$)"

help=$("$SBX" --help 2>&1)
t_is "$?" 0 "sbx --help exits 0"
# "  --name ARGS   help text": two spaces, then the option.
options=$(printf '%s\n' "$help" | sed -n "s/^  --\([A-Za-z0-9][$name_chars]*\).*/\1/p")
count=$(printf '%s\n' "$options" | grep -c .)
[ "$count" -gt 40 ]; t_result $? "sbx --help lists more than 40 options ($count)" \
  "the help lists too few options to be the real table: $help"

regex_quote () {  # regex_quote NAME: NAME as an extended regex ('.' literal)
  printf '%s' "$1" | sed 's/[.]/\\./g'
}

has () {  # has FILE EXTENDED-REGEX
  [ -f "$1" ] && grep -Eq -- "$2" "$1"
}

for opt in $options; do
  q=$(regex_quote "$opt")
  has "$man_page" "\\\\-\\\\-$q$after_name"
  t_result $? "man/sbx.1 documents --$opt" "no '\\-\\-$opt' in $man_page"
  has "$bash_comp" "--$q$after_name"
  t_result $? "completions/sbx (bash) completes --$opt" "no '--$opt' in $bash_comp"
  has "$zsh_comp" "--$q$after_name"
  t_result $? "completions/_sbx (zsh) completes --$opt" "no '--$opt' in $zsh_comp"
  has "$fish_comp" "-l $q$after_name"
  t_result $? "completions/sbx.fish completes --$opt" "no '-l $opt' in $fish_comp"
done

known () {  # known NAME: is --NAME an option of sbx?
  printf '%s\n' "$options" | grep -Fxq -- "$1"
}

# Every option named in a .TP tag line of the man page (escapes undone:
# "\-\-unshare\-pid\fR:" names --unshare-pid) must exist.
man_tags=$(sed -n '/^\.TP/{n;p;}' "$man_page" 2>/dev/null)
man_named=$(printf '%s\n' "$man_tags" | sed 's/\\-/-/g; s/\\f[BIRP]//g' \
  | grep -oE -- "--[A-Za-z0-9][$name_chars]*" | sed 's/^--//; s/\.*$//' | sort -u)
[ -n "$man_named" ]; t_result $? "man/sbx.1 has .TP entries for options"
for name in $man_named; do
  known "$name"; t_result $? "man/sbx.1: --$name (a .TP entry) is an option of sbx" \
    "sbx --help does not list --$name"
done

# Each option has exactly one .TP entry of its own: the tag line starts
# with it.
unique=
for opt in $options; do
  q=$(regex_quote "$opt")
  n=$(printf '%s\n' "$man_tags" | grep -cE -- "^\.[BI]?[BIR]? *\"?\\\\-\\\\-$q$after_name")
  [ "$n" -eq 1 ] || unique="$unique --$opt ($n entries)"
done
[ -z "$unique" ]; t_result $? "man/sbx.1 has exactly one .TP entry per option" "wrong:$unique"

# The zsh optspecs ('--name[description]...') and the fish completions
# ('complete -c sbx ... -l name') name only options that exist.
zsh_named=$(grep -oE -- "--[A-Za-z0-9][$name_chars]*\[" "$zsh_comp" 2>/dev/null | sed 's/^--//; s/\[$//' | sort -u)
[ -n "$zsh_named" ]; t_result $? "completions/_sbx has option specs"
for name in $zsh_named; do
  known "$name"; t_result $? "completions/_sbx: --$name is an option of sbx" "sbx --help does not list --$name"
done
fish_named=$(grep -E '^complete +-c +sbx' "$fish_comp" 2>/dev/null \
  | grep -oE -- "-l [A-Za-z0-9][$name_chars]*" | sed 's/^-l //' | sort -u)
[ -n "$fish_named" ]; t_result $? "completions/sbx.fish has -l entries"
for name in $fish_named; do
  known "$name"; t_result $? "completions/sbx.fish: -l $name is an option of sbx" "sbx --help does not list --$name"
done

# The documents are well-formed, where the tools to check them are here.
if command -v groff >/dev/null; then
  out=$(groff -man -ww -z "$man_page" 2>&1)
  [ -z "$out" ]; t_result $? "man/sbx.1 renders without groff warnings" "$out"
else
  t_skip "groff is not installed"
fi
t_ok "completions/sbx is valid bash" bash -n "$bash_comp"
for shell in zsh fish; do
  if command -v "$shell" >/dev/null; then
    case $shell in
      zsh) t_ok "completions/_sbx is valid zsh" zsh -n "$zsh_comp" ;;
      fish) t_ok "completions/sbx.fish is valid fish" fish -n "$fish_comp" ;;
    esac
  else
    t_skip "$shell is not installed"
  fi
done

t_done
