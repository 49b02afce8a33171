#!/bin/bash
# Overlays: bubblewrap's --overlay-src, --overlay, --tmp-overlay and
# --ro-overlay; --cow and --cow-tmp with the behaviour suite for each
# backend (reads, writes, whiteouts, opaque folders, renames, links);
# --diff (text and JSON), --commit, --discard; SIGKILL of sbx; bad input.
. "$TOP_SRCDIR/tests/lib.sh"

T=$T_TMP
t_small_system
one_line () { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && case "$1" in "sbx: "*) true ;; *) false ;; esac; }
checksum () { (cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && find . -type f -exec md5sum {} + | LC_ALL=C sort); }
no_overlay_mounts () { ! grep -q "$T" /proc/self/mountinfo; }

make_lower () {  # make_lower DIR: the tree every suite starts from
  rm -rf "$1"
  mkdir -p "$1/dir/sub" "$1/gone" "$1/rmd/x"
  echo hi >"$1/f"
  echo del >"$1/del"
  echo y >"$1/gone/y"
  echo z >"$1/rmd/x/z"
  echo deep >"$1/dir/sub/g"
}

# --- bubblewrap's options ---------------------------------------------------------
mkdir -p "$T/l1" "$T/l2" "$T/up" "$T/wk"
printf 1 >"$T/l1/a"; printf 2 >"$T/l1/b"; printf 3 >"$T/l2/b"; printf 4 >"$T/up/a"
B=("${SYS[@]}" --overlay-backend kernel)
sbx_status "${B[@]}" --overlay-src "$T/l1" --overlay "$T/up" "$T/wk" /tmp/x/y/z cat /tmp/x/y/z/a /tmp/x/y/z/b
t_is "$T_OUT" "42" "--overlay: the upper's file hides the lower's, the lower's shows through"
sbx_status "${B[@]}" --overlay-src "$T/l1" --overlay-src "$T/l2" --overlay "$T/up" "$T/wk" /tmp/o \
  sh -c 'printf 5 > /tmp/o/b; cat /tmp/o/b'
t_is "$T_OUT" "5" "--overlay: a write is seen inside"
t_is "$(cat "$T/up/b")" "5" "... and lands in RWSRC"
t_is "$(cat "$T/l2/b")" "3" "... and the lower layer is unchanged"
sbx_status "${B[@]}" --overlay-src "$T/l1" --tmp-overlay /tmp/x --overlay-src "$T/l2" --tmp-overlay /tmp/y \
  sh -c 'cat /tmp/x/b; printf 4 > /tmp/x/b; cat /tmp/x/b; cat /tmp/y/b'
t_is "$T_OUT" "243" "--tmp-overlay: each overlay takes the sources given since the last one"
t_is "$(cat "$T/l1/b")" "2" "... and the lower layer is unchanged"
sbx_status "${B[@]}" --overlay-src "$T/l1" --overlay-src "$T/l2" --ro-overlay /tmp/x \
  sh -c 'cat /tmp/x/a /tmp/x/b; printf 4 > /tmp/x/b'
t_is "$T_OUT" "13" "--ro-overlay: later sources lie on top"
t_isnt "$T_RC" "0" "--ro-overlay: writing fails"
sbx_status "${B[@]}" --proc /proc --overlay-src "$T/l1" --tmp-overlay /tmp/x cat /proc/self/mountinfo
t_like "$T_OUT" " /tmp/x .* - overlay .*userxattr" "the kernel overlay is mounted with userxattr"

sbx_status "${B[@]}" --overlay "$T/up" "$T/wk" /tmp/x true
t_is "$T_RC:$T_ERR" "125:sbx: --overlay: requires at least one --overlay-src" "--overlay without --overlay-src: exit 125"
sbx_status "${B[@]}" --tmp-overlay /tmp/x true
t_is "$T_RC:$T_ERR" "125:sbx: --tmp-overlay: requires at least one --overlay-src" "--tmp-overlay without --overlay-src: exit 125"
sbx_status "${B[@]}" --overlay-src "$T/l1" --ro-overlay /tmp/x true
t_is "$T_RC:$T_ERR" "125:sbx: --ro-overlay: requires at least two --overlay-src" "--ro-overlay with one source: exit 125"
pending="sbx: --overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay"
sbx_status "${B[@]}" --overlay-src "$T/l1" true
t_is "$T_RC:$T_ERR" "125:$pending" "a trailing --overlay-src: exit 125"
sbx_status "${B[@]}" --overlay-src "$T/l1" --chdir / true
t_is "$T_RC:$T_ERR" "125:$pending" "--overlay-src before another option: exit 125"
sbx_status "${B[@]}" --overlay-src "$T/missing" --tmp-overlay /tmp/x true
t_is "$T_RC:$T_ERR" "125:sbx: overlay lower layer: $T/missing: No such file or directory" "a missing lower layer: exit 125, one line"
sbx_status "${B[@]}" --overlay-src "$T/l1" --overlay "$T/up" /proc/self /tmp/x true
t_is "$T_RC" 125 "a work folder on /proc: exit 125"
one_line "$T_ERR"; t_result $? "... with one line" "$T_ERR"
sbx_status --noprofile --overlay-backend sideways true
t_is "$T_RC:$T_ERR" "125:sbx: --overlay-backend: unknown backend 'sideways' (kernel, fuse or auto)" "an unknown backend: exit 125"

# --- --dry-run: the backend and why ------------------------------------------------
mkdir -p "$T/mine"
sbx_status "${SYS[@]}" --ro-bind "$T/mine" /data --cow "$T/dry" --dry-run true
t_like "$T_OUT" "overlay lower=$T/mine upper=$T/dry/upper/data work=$T/dry/work/[0-9]+ /data" \
  "--dry-run shows --cow's overlay of a bound folder"
t_like "$T_OUT" "backend: kernel \(auto: kernel overlayfs" "... on the kernel backend when the caller owns the lower"
t_like "$T_OUT" "backend: fuse \(auto: the lower /usr belongs to uid 0" \
  "... and on FUSE, saying why, for root's /usr"
t_like "$T_OUT" "namespaces:.* pid" "... and a FUSE overlay brings a pid namespace"
[ ! -e "$T/dry" ]; t_result $? "--dry-run creates nothing"

# --- the behaviour suite, per backend -----------------------------------------------
fuse_built () {
  mkdir -p "$T/probe-l"
  local err
  err=$("$SBX" "${SYS[@]}" --overlay-backend fuse --overlay-src "$T/probe-l" --tmp-overlay /tmp/p true 2>&1)
  ! printf '%s' "$err" | grep -q "not built"
}

suite () {  # suite BACKEND
  local be=$1
  local L=$T/lower-$be C=$T/cow-$be R=$T/root-$be
  make_lower "$L"
  local before; before=$(checksum "$L")
  local S=("${SYS[@]}" --overlay-backend "$be" --ro-bind "$L" /data --cow "$C")

  sbx_status "${S[@]}" cat /data/f
  t_is "$T_OUT" "hi" "$be: reads see the lower layer"

  sbx_status "${S[@]}" sh -c 'echo new > /data/new && echo more >> /data/f && cat /data/f /data/new'
  t_is "$T_OUT" "$(printf 'hi\nmore\nnew')" "$be: writes are seen inside"
  [ -f "$C/upper/data/new" ] && [ "$(cat "$C/upper/data/f")" = "$(printf 'hi\nmore')" ]
  t_result $? "$be: ... and land in DIR/upper"
  t_is "$(checksum "$L")" "$before" "$be: ... and the lower tree is unchanged (checksums)"

  sbx_status "${S[@]}" sh -c 'rm /data/del && ! test -e /data/del'
  t_is "$T_RC" 0 "$be: deleting a lower file hides it"
  t_is "$(stat -c '%F %t:%T' "$C/upper/data/del" 2>&1)" "character special file 0:0" "$be: ... and leaves a 0/0 whiteout"

  sbx_status "${S[@]}" sh -c 'rm -rf /data/rmd && mkdir /data/rmd && echo n > /data/rmd/n && ls /data/rmd'
  t_is "$T_OUT" "n" "$be: rm -rf and re-creating a lower folder shows only the new content"
  if [ "$be" = kernel ]; then
    op=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$C/upper/data/rmd" 2>&1)
  else
    op=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.fuseoverlayfs.opaque").decode())' "$C/upper/data/rmd" 2>&1 \
         || { [ -e "$C/upper/data/rmd/.wh..wh..opq" ] && echo y; })
  fi
  t_is "$op" "y" "$be: ... and the folder is opaque in the upper layer"

  sbx_status "${S[@]}" sh -c 'mv /data/gone /data/moved && cat /data/moved/y && ! test -e /data/gone'
  t_is "$T_RC:$T_OUT" "0:y" "$be: renaming a lower folder works"

  sbx_status "${S[@]}" sh -c 'ln /data/new /data/hard && ln -s f /data/sym && stat -c %h /data/hard && readlink /data/sym && cat /data/sym'
  t_is "$T_OUT" "$(printf '2\nf\nhi\nmore')" "$be: hard links and symlinks work"
  t_is "$(checksum "$L")" "$before" "$be: after all that, the lower tree is still unchanged"

  # The changes are named by the bound folder, $L, not by /data.
  mkdir -p "$R/usr" "$R/etc" "$R${L%/*}" && cp -a "$L" "$R$L"
  expected="D $L/del
M $L/f
D $L/gone
A $L/hard
A $L/moved
A $L/moved/y
A $L/new (hard link to $L/hard)
D $L/rmd/x
A $L/rmd/n
A $L/sym"
  sbx_status --diff "$C" --to "$R"
  t_is "$T_RC:$T_OUT" "0:$expected" "$be: --diff lists exactly the changes"
  sbx_status --diff "$C" --to "$R" --json
  got=$(printf '%s' "$T_OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(c["change"][0].upper()+" "+c["path"]+(" (hard link to %s)" % c["link"] if "link" in c else "") for c in d["changes"]))' 2>&1)
  t_is "$got" "$expected" "$be: --diff --json holds the same changes"

  local view; view=$("$SBX" "${S[@]}" sh -c 'cd /data && find . -printf "%p %y %l\n" | LC_ALL=C sort && find . -type f -exec md5sum {} + | LC_ALL=C sort' 2>&1)
  sbx_status --commit "$C" --to "$R"
  t_like "$T_OUT" "dry run: 10 changes; give --yes" "$be: --commit without --yes is a dry run"
  t_is "$(checksum "$R$L")" "$before" "$be: ... that changes nothing"
  sbx_status --commit "$C" --to "$R" --yes
  t_is "$T_RC" 0 "$be: --commit --yes succeeds"
  t_is "$(cd "$R$L" && find . -printf '%p %y %l\n' | LC_ALL=C sort && find . -type f -exec md5sum {} + | LC_ALL=C sort)" \
    "$view" "$be: ... and the copy of the lower tree now looks as the sandbox saw it"

  sbx_status --discard "$C"
  [ "$T_RC" = 0 ] && [ ! -e "$C" ]; t_result $? "$be: --discard removes DIR" "$T_ERR"

  local snap; snap=$(t_snapshot "$T")
  sbx_status "${SYS[@]}" --overlay-backend "$be" --ro-bind "$L" /data --cow-tmp \
    sh -c 'echo x > /data/tmpnew && rm /data/f && cat /data/tmpnew'
  t_is "$T_RC:$T_OUT" "0:x" "$be: --cow-tmp: writes work"
  t_is "$(t_snapshot "$T")" "$snap" "$be: ... and leave nothing on disk"

  # SIGKILL of sbx mid-run: no mount and no helper process left.
  local tag="1001.$$$RANDOM" out=$T/kill-$be pid
  "$SBX" "${S[@]}" --unshare-pid --die-with-parent sh -c "echo x > /data/k; echo ready; exec sleep $tag" >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.05; done
  grep -q ready "$out"; t_result $? "$be: the sandbox started" "$(cat "$out")"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  for _ in $(seq 100); do pgrep -f "$tag" >/dev/null || break; sleep 0.05; done
  ! pgrep -f "$tag" >/dev/null; t_result $? "$be: after SIGKILL of sbx, no sandbox or helper process is left" \
    "$(pgrep -af "$tag")"
  no_overlay_mounts; t_result $? "$be: ... and no mount"
  for p in $(pgrep -f "$tag"); do kill -9 "$p"; done
  rm -rf "$C"
}

suite kernel
if fuse_built; then
  suite fuse
  # The case auto exists for: writing under root's /usr with one id mapped.
  name=sbx-overlay-t.$$
  sbx_status "${SYS[@]}" --cow "$T/usrcow" sh -c "echo x > /usr/local/$name && cat /usr/local/$name"
  t_is "$T_RC:$T_OUT" "0:x" "auto: --cow lets the sandbox write in root's /usr/local (FUSE, squash_owner)"
  [ ! -e "/usr/local/$name" ] && [ -f "$T/usrcow/upper/usr/local/$name" ]
  t_result $? "... the file is in DIR/upper only, not on the host"
  sbx_status --diff "$T/usrcow"
  t_is "$T_OUT" "A /usr/local/$name" "... and --diff against / names it"
else
  t_skip "the FUSE overlay backend is not built in: its behaviour suite"
fi

# --- bad input for --cow and the verbs -----------------------------------------------
mkdir -p "$T/lw"
echo a >"$T/lw/a"
sbx_status "${SYS[@]}" --ro-bind "$T/lw" /data --cow "$T/lw/cow" true
t_is "$T_RC" 125 "--cow DIR inside a lower layer: exit 125"
t_like "$T_ERR" "^sbx: --cow: $T/lw/cow: inside the lower layer $T/lw" "... saying so in one line"
[ ! -e "$T/lw/cow" ]; t_result $? "... and nothing is created"
sbx_status "${SYS[@]}" --ro-bind "$T/lw" /data --cow /proc/sbx-cow true
t_is "$T_RC" 125 "--cow DIR on /proc: exit 125"
t_like "$T_ERR" "^sbx: --cow: /proc/sbx-cow: this file system cannot hold" "... saying so"
if "$SBX" --seccomp none --ro-bind / / --proc /proc --dev /dev true 2>/dev/null; then
  sbx_status --seccomp none --ro-bind / / --proc /proc --dev /dev \
    "$SBX" "${SYS[@]}" --ro-bind "$T/lw" /data --cow "$T/rocow" true
  t_is "$T_RC" 125 "--cow DIR on a read-only bind: exit 125"
  t_like "$T_ERR" "^sbx: --cow: $T/rocow: a read-only file system cannot hold" "... saying so"
else
  t_skip "nested sandboxes are not possible here"; t_skip "nested sandboxes are not possible here"
fi
sbx_status --tmpfs /tmp --cow "$T/nocow" true
t_is "$T_RC:$T_ERR" "125:sbx: --cow: the plan has no read-only folder to make copy-on-write" "--cow with nothing to overlay: exit 125"
sbx_status --noprofile --cow "$T/x" --cow-tmp true
t_is "$T_RC" 125 "--cow and --cow-tmp together: exit 125"
sbx_status --diff "$T/nothing"
t_is "$T_RC:$T_ERR" "125:sbx: read upper: $T/nothing: No such file or directory" "--diff of a missing folder: exit 125"
mkdir -p "$T/nc"
sbx_status --discard "$T/nc"
t_is "$T_RC" 125 "--discard of a folder that is not a --cow folder: exit 125"
[ -d "$T/nc" ]; t_result $? "... and it is left alone"
# --commit never writes outside ROOT, even through a symlink in it.
mkdir -p "$T/esc/upper/link" "$T/escroot" "$T/outside"
echo evil >"$T/esc/upper/link/file"
ln -s "$T/outside" "$T/escroot/link"
sbx_status --commit "$T/esc" --to "$T/escroot" --yes
t_is "$T_RC" 0 "--commit where ROOT has a symlink leading out of it: done"
[ -d "$T/escroot/link" ] && [ ! -L "$T/escroot/link" ] && [ "$(cat "$T/escroot/link/file")" = evil ]
t_result $? "... by replacing the symlink with the folder, not writing through it"
[ ! -e "$T/outside/file" ]; t_result $? "... and nothing is written outside ROOT"

t_done
