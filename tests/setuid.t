# sbx must never run with privileges it did not ask for: a setuid or setgid
# copy refuses to start. Making such a copy needs root, so CI (as root)
# provides one in $SBX_SETUID_COPY; elsewhere this is skipped.
. "$TOP_SRCDIR/tests/lib.sh"

if [ -z "${SBX_SETUID_COPY:-}" ] || [ ! -u "$SBX_SETUID_COPY" ]; then
  t_skip "no setuid copy of sbx (CI provides one in SBX_SETUID_COPY)"
  t_done
fi
if [ "$(id -u)" -eq 0 ]; then
  t_skip "running as root: a setuid-root binary is not AT_SECURE for root"
  t_done
fi

marker=$T_TMP/ran
err=$("$SBX_SETUID_COPY" --ro-bind / / --bind "$T_TMP" "$T_TMP" -- touch "$marker" 2>&1)
rc=$?
t_is "$rc" 125 "a setuid sbx exits 125"
t_like "$err" '^sbx: refusing to run setuid or setgid' "and says why in one line"
t_is "$(printf '%s\n' "$err" | wc -l)" 1 "exactly one line"
[ ! -e "$marker" ]; t_result $? "the command did not run"
err=$("$SBX_SETUID_COPY" --help 2>&1 >/dev/null)
t_like "$err" 'refusing' "even --help is refused before anything is parsed"
t_done
