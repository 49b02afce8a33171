#!/bin/bash
# Exit statuses: the command's own, 128+N for a signal, 126/127 when the
# command cannot run, 125 when sbx itself fails.
. "$TOP_SRCDIR/tests/lib.sh"

# The process shapes: sbx becomes the command; sbx monitors a pid 1 reaper
# that runs the command; sbx monitors the command as pid 1; sbx monitors
# the command to report its status.
exec 7>/dev/null
SHAPES=("in-place:" "pid-ns:--unshare-pid" "as-pid-1:--unshare-pid --as-pid-1" "status-fd:--json-status-fd 7")

one_line () {  # one_line DESCRIPTION: $T_ERR is exactly one line
  local lines
  lines=$(wc -l < "$T_TMP/.stderr")
  t_is "$lines" 1 "$1: exactly one line on stderr"
}

for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  # shellcheck disable=SC2086
  for code in 0 1 3 124 125 126 127 255; do
    sbx_status $SBX_BASE $opts sh -c "exit $code"
    t_is "$T_RC" "$code" "$name: 'exit $code' gives $code"
  done
  sbx_status $SBX_BASE $opts sh -c 'exit 3'
  t_is "$T_ERR" "" "$name: a failing command makes sbx print nothing"

  if [ "$name" != as-pid-1 ]; then
    # pid 1 of a namespace cannot be killed from inside it.
    sbx_status $SBX_BASE $opts sh -c 'kill -TERM $$; sleep 5'
    t_is "$T_RC" 143 "$name: killed by SIGTERM gives 128+15"
    sbx_status $SBX_BASE $opts sh -c 'kill -KILL $$; sleep 5'
    t_is "$T_RC" 137 "$name: killed by SIGKILL gives 128+9"
    sbx_status $SBX_BASE $opts sh -c 'kill -USR1 $$; sleep 5'
    t_is "$T_RC" 138 "$name: killed by SIGUSR1 gives 128+10"
    t_is "$T_ERR" "" "$name: a killed command makes sbx print nothing"
  fi

  sbx_status $SBX_BASE $opts no-such-cmd-xyz
  t_is "$T_RC" 127 "$name: a missing command gives 127"
  one_line "$name: missing command"
  t_like "$T_ERR" '^sbx: execute: no-such-cmd-xyz: ' "$name: missing command: 'sbx: execute: ...'"
  t_is "$T_OUT" "" "$name: missing command: nothing on stdout"

  sbx_status $SBX_BASE $opts /no/such/dir/cmd
  t_is "$T_RC" 127 "$name: a missing command given by path gives 127"
  t_like "$T_ERR" '^sbx: execute: /no/such/dir/cmd: ' "$name: ... with 'sbx: execute: PATH: ...'"
done

# A file that is there but not executable, and a directory.
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\necho should not run\n' > "$T_TMP/bin/notexec"
chmod 0644 "$T_TMP/bin/notexec"
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts --ro-bind "$T_TMP/bin" /tmp/bin /tmp/bin/notexec
  t_is "$T_RC" 126 "$name: a non-executable file gives 126"
  one_line "$name: non-executable file"
  t_like "$T_ERR" '^sbx: execute: /tmp/bin/notexec: Permission denied$' "$name: non-executable: 'sbx: execute: ...'"
  t_is "$T_OUT" "" "$name: non-executable: the file did not run"

  sbx_status $SBX_BASE $opts --ro-bind "$T_TMP/bin" /tmp/bin --setenv PATH /tmp/bin notexec
  t_is "$T_RC" 126 "$name: a non-executable file found on PATH gives 126"
  one_line "$name: non-executable file on PATH"

  sbx_status $SBX_BASE $opts /tmp
  t_is "$T_RC" 126 "$name: a directory gives 126"
  one_line "$name: directory"
  t_like "$T_ERR" '^sbx: execute: /tmp: ' "$name: directory: 'sbx: execute: /tmp: ...'"
done

# sbx itself failing at launch: 125 and "sbx: STEP: OBJECT: REASON".
for shape in "${SHAPES[@]}"; do
  name=${shape%%:*}
  opts=${shape#*:}
  sbx_status $SBX_BASE $opts --chdir /nonexistent sh -c 'echo ran'
  t_is "$T_RC" 125 "$name: --chdir /nonexistent gives 125"
  one_line "$name: --chdir /nonexistent"
  t_like "$T_ERR" '^sbx: [a-z][a-z -]*: /nonexistent: No such file or directory$' \
    "$name: --chdir /nonexistent: 'sbx: STEP: /nonexistent: REASON'"
  t_is "$T_OUT" "" "$name: --chdir /nonexistent: the command did not run"

  sbx_status $SBX_BASE $opts --remount-ro /nonexistent sh -c 'echo ran'
  t_is "$T_RC" 125 "$name: --remount-ro /nonexistent gives 125"
  one_line "$name: --remount-ro /nonexistent"
  t_like "$T_ERR" '^sbx: [a-z][a-z -]*: /nonexistent: No such file or directory$' \
    "$name: --remount-ro /nonexistent: 'sbx: STEP: /nonexistent: REASON'"
  t_is "$T_OUT" "" "$name: --remount-ro /nonexistent: the command did not run"

  sbx_status $SBX_BASE $opts --bind /usr /usr/local/sbx-no-such-dir sh -c 'echo ran'
  t_is "$T_RC" 125 "$name: a mount point on a read-only tree gives 125"
  one_line "$name: mount point on a read-only tree"
  t_like "$T_ERR" '^sbx: [a-z][a-z -]*: /usr/local/sbx-no-such-dir: .+$' \
    "$name: mount point on a read-only tree: 'sbx: STEP: OBJECT: REASON'"
done

t_done
