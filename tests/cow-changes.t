#!/bin/bash
# What --diff and --commit make of a --cow run beyond plain files: hard
# links, metadata-only changes (files and folders), a bind whose source
# is not its destination; the classic "lowerdir=" options of kernels
# without "lowerdir+"; auto's fall back to FUSE when the kernel refuses.
. "$TOP_SRCDIR/tests/lib.sh"

T=$T_TMP
t_small_system

fuse_built () {
  mkdir -p "$T/probe-l"
  ! "$SBX" "${SYS[@]}" --overlay-backend fuse --overlay-src "$T/probe-l" --tmp-overlay /tmp/p true 2>&1 | grep -q "not built"
}
backends=(kernel)
if fuse_built; then backends+=(fuse); else t_skip "the FUSE backend is not built in: its hard link and metadata cases"; fi

for be in "${backends[@]}"; do
  # --- hard links -------------------------------------------------------------------
  L=$T/hl-$be C=$T/hl-cow-$be R=$T/hl-root-$be
  mkdir -p "$L" && echo old >"$L/orig"
  sbx_status "${SYS[@]}" --overlay-backend "$be" --ro-bind "$L" /data --cow "$C" \
    sh -c 'echo x > /data/one && ln /data/one /data/two && ln /data/orig /data/orig2 && stat -c %h /data/two'
  t_is "$T_RC:$T_OUT" "0:2" "$be: hard links made inside a --cow run"
  mkdir -p "$R${L%/*}" && cp -a "$L" "$R$L"
  ino_before=$(stat -c %i "$R$L/orig")
  sbx_status --diff "$C" --to "$R"
  t_is "$T_OUT" "A $L/one
A $L/orig2 (hard link to $L/orig)
A $L/two (hard link to $L/one)" "$be: --diff names a second link as a link to the first name"
  sbx_status --diff "$C" --to "$R" --json
  got=$(printf '%s' "$T_OUT" | python3 -c 'import json,sys; print(" ".join(c.get("link","-") for c in json.load(sys.stdin)["changes"]))' 2>&1)
  t_is "$got" "- $L/orig $L/one" "$be: --diff --json gives the link's first name"
  sbx_status --commit "$C" --to "$R" --yes
  t_is "$T_RC" 0 "$be: --commit --yes of hard links"
  t_is "$(stat -c '%i %h' "$R$L/two")" "$(stat -c '%i %h' "$R$L/one")" "$be: ... the two new names are one file in the target"
  t_is "$(stat -c %h "$R$L/one")" 2 "$be: ... with two links"
  t_is "$(stat -c '%i %h' "$R$L/orig2")" "$ino_before 2" \
    "$be: ... and a new name of a lower file links to the target's own file, left in place"
  t_is "$(cat "$R$L/orig2")" old "$be: ... whose content is unchanged"

  # --- metadata only ------------------------------------------------------------------
  L=$T/md-$be C=$T/md-cow-$be R=$T/md-root-$be
  mkdir -p "$L/d" "$L/d2" "$L/busy" && echo c >"$L/file" && chmod 755 "$L/d" && chmod 644 "$L/file"
  touch -d 2020-01-01 "$L/d2"
  sbx_status "${SYS[@]}" --overlay-backend "$be" --ro-bind "$L" /data --cow "$C" \
    sh -c 'chmod 700 /data/d && chmod 600 /data/file && touch -d 2001-02-03 /data/d2 && echo n > /data/busy/n'
  t_is "$T_RC" 0 "$be: chmod of a lower folder and file, touch of a folder"
  mkdir -p "$R${L%/*}" && cp -a "$L" "$R$L"
  sbx_status --diff "$C" --to "$R"
  t_is "$T_OUT" "A $L/busy/n
M $L/d (metadata)
M $L/d2 (metadata)
M $L/file (metadata)" "$be: --diff lists metadata-only changes of folders and files, not a folder that only got a new file"
  sbx_status --diff "$C" --to "$R" --json
  got=$(printf '%s' "$T_OUT" | python3 -c 'import json,sys; print(" ".join(str(c.get("metadata_only",False)) for c in json.load(sys.stdin)["changes"]))' 2>&1)
  t_is "$got" "False True True True" "$be: --diff --json flags them metadata_only"
  ino_before=$(stat -c %i "$R$L/file")
  sbx_status --commit "$C" --to "$R" --yes
  t_is "$T_RC" 0 "$be: --commit --yes of metadata changes"
  t_is "$(stat -c %a "$R$L/d") $(stat -c %a "$R$L/file")" "700 600" "$be: ... the target's folder and file get the new modes"
  t_is "$(stat -c %y "$R$L/d2" | cut -c1-10)" 2001-02-03 "$be: ... and the folder its new time"
  t_is "$(stat -c %i "$R$L/file")" "$ino_before" "$be: ... the file is changed in place"
  sbx_status --diff "$C" --to "$R"
  t_is "$T_OUT" "" "$be: after --commit, --diff against the target lists nothing"
done

# Owners --commit gives from its own user namespace, where only the
# caller's ids exist: an upper file in one of the caller's supplementary
# groups (as a setgid folder makes them) gives the target file that group;
# an owner the caller may not give is warned about and left.
extra=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -n 1)
if [ -z "$extra" ]; then
  for _ in 1 2 3 4; do t_skip "the test user has no supplementary group (.ci/run gives sbx-ci one)"; done
else
  L=$T/grp C=$T/grp-cow R=$T/grp-root
  mkdir -p "$L" && echo a >"$L/a"
  sbx_status "${SYS[@]}" --ro-bind "$L" /data --cow "$C" sh -c 'echo new > /data/new && echo changed > /data/a'
  new=$(find "$C/upper" -name new)
  chgrp "$extra" "$new" "${new%/new}/a"
  mkdir -p "$R${L%/*}" && cp -a "$L" "$R$L"
  sbx_status --commit "$C" --to "$R" --yes
  t_is "$T_RC:$T_ERR" "0:" "--commit of files in a supplementary group of the caller's: no warning"
  t_is "$(stat -c %g "$R$L/new" "$R$L/a" | tr '\n' ' ')" "$extra $extra " "... the added and the changed file get that group in the target"
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.fuseoverlayfs.override_stat", sys.argv[2].encode())' \
    "$new" "$(id -u):0:0644"
  sbx_status --commit "$C" --to "$R" --yes
  t_is "$T_RC:$T_ERR" "0:sbx: warning: --commit: $L/new: cannot give it to $(id -u):0: Operation not permitted; its owner is left as it was" \
    "an owner the caller may not give is warned about"
  t_is "$(stat -c %g "$R$L/new")" "$extra" "... and the target file keeps its group"
fi

# Mode 000 in the upper (the sandbox's chmod 0): --diff and --commit still
# read it, as its owner, and change nothing in it.
L=$T/zero C=$T/zero-cow R=$T/zero-root
mkdir -p "$L/d" "$L/e" && echo b >"$L/e/b"
sbx_status "${SYS[@]}" --overlay-backend kernel --ro-bind "$L" /data --cow "$C" \
  sh -c 'chmod 0 /data/d && echo x > /data/e/new && chmod 0 /data/e/new /data/e'
mkdir -p "$R${L%/*}" && cp -a "$L" "$R$L"
sbx_status --diff "$C" --to "$R"
t_is "$T_RC:$T_OUT" "0:M $L/d (metadata)
M $L/e (metadata)
A $L/e/new" "--diff reads an upper made mode 000 inside"
t_is "$(stat -c %a "$C/upper/data/e")" 0 "... and leaves its mode alone"
sbx_status --commit "$C" --to "$R" --yes
t_is "$T_RC:$(stat -c %a "$R$L/d" "$R$L/e" | tr '\n' ' ')" "0:0 0 " "--commit applies it, modes 000 included"
chmod u+rwx "$R$L/e"
t_is "$(stat -c %a "$R$L/e/new")" 0 "... to a new file too"
chmod u+r "$R$L/e/new"
t_is "$(cat "$R$L/e/new")" x "... which has the content of the unreadable upper file"

# A user xattr set on a lower folder is a metadata change; --commit sets it.
L=$T/xa C=$T/xa-cow R=$T/xa-root
mkdir -p "$L/d"
if python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.t", b"1")' "$L/d" 2>/dev/null; then
  sbx_status "${SYS[@]}" --overlay-backend kernel --ro-bind "$L" /data --cow "$C" \
    python3 -c 'import os; os.setxattr("/data/d", "user.sbx", b"v")'
  mkdir -p "$R${L%/*}" && cp -a "$L" "$R$L"
  sbx_status --diff "$C" --to "$R"
  t_is "$T_RC:$T_OUT" "0:M $L/d (metadata)" "an xattr set on a lower folder: --diff lists it"
  sbx_status --commit "$C" --to "$R" --yes
  got=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.sbx").decode())' "$R$L/d" 2>&1)
  t_is "$got" v "... and --commit sets it on the target"
else
  t_skip "no user xattrs on $T"; t_skip "no user xattrs on $T"
fi

# --- a bind whose source is not its destination -----------------------------------
SRC=$T/x/src C=$T/bind-cow R=$T/bind-root
mkdir -p "$SRC/sub" && echo s >"$SRC/sub/s"
sbx_status "${SYS[@]}" --ro-bind "$SRC" /opt/app --cow "$C" --dry-run true
t_is "$(printf '%s\n' "$T_OUT" | grep -A2 ' /opt/app$' | sed -n 3p)" "    changes: --diff and --commit name them under $SRC" \
  "--dry-run says the changes under /opt/app are named by SRC"
# A symlink to SRC as the bound path: the changes go to where it leads.
ln -s "$SRC" "$T/srclink"
sbx_status "${SYS[@]}" --ro-bind "$T/srclink" /opt/app --cow "$C" --dry-run true
t_like "$T_OUT" "changes: --diff and --commit name them under $SRC\$" "... and SRC with its symlinks resolved, never a link --commit would replace"
sbx_status "${SYS[@]}" --ro-bind "$SRC" /opt/app --cow "$C" sh -c 'echo f > /opt/app/f && rm /opt/app/sub/s'
t_is "$T_RC" 0 "--ro-bind SRC /opt/app --cow: writes in /opt/app"
sbx_status --diff "$C"
t_is "$T_OUT" "A $SRC/f
D $SRC/sub/s" "--diff names SRC, the folder bound, not /opt/app"
mkdir -p "$R${SRC%/*}" && cp -a "$SRC" "$R$SRC"
sbx_status --commit "$C" --to "$R" --yes
[ "$(cat "$R$SRC/f")" = f ] && [ ! -e "$R$SRC/sub/s" ] && [ ! -e "$R/opt" ]
t_result $? "--commit --to ROOT applies them under ROOT's SRC, and makes no /opt" "$(cd "$R" && find .)"
[ ! -e "$SRC/f" ] && [ -e "$SRC/sub/s" ]; t_result $? "... leaving the real SRC alone"
sbx_status --commit "$C" --yes
[ "$T_RC" = 0 ] && [ "$(cat "$SRC/f")" = f ] && [ ! -e "$SRC/sub/s" ]
t_result $? "--commit without --to applies them to SRC itself" "$T_ERR"
[ ! -e /opt/app/f ]; t_result $? "... not to /opt/app"

# A corrupt layout file: a clear refusal.
mkdir -p "$T/badlay/upper"
printf 'garbage' >"$T/badlay/layout"
sbx_status --diff "$T/badlay"
t_is "$T_RC:$T_ERR" "125:sbx: read layout: $T/badlay/layout: not an sbx --cow layout" "a corrupt DIR/layout: exit 125, one line"
printf 'sbx-cow-layout 1\0onlyone\0' >"$T/badlay/layout"
sbx_status --commit "$T/badlay" --yes
t_is "$T_RC:$T_ERR" "125:sbx: read layout: $T/badlay/layout: not an sbx --cow layout" "a truncated DIR/layout: exit 125"

# --- the classic lowerdir= options ----------------------------------------------------
L="$T/lo:w,er\\x" U="$T/u:p,1" W="$T/w:k,1"
mkdir -p "$L" "$U" "$W" "$T/l2"
echo low >"$L/f"; echo two >"$T/l2/g"
for legacy in 0 1; do
  SBX_OVERLAY_LEGACY_OPTIONS=$legacy sbx_status "${SYS[@]}" --overlay-backend kernel --overlay-src "$T/l2" --overlay-src "$L" \
    --overlay "$U" "$W" /tmp/o sh -c "cat /tmp/o/f /tmp/o/g && echo w > /tmp/o/n$legacy && grep ' /tmp/o ' /proc/self/mountinfo"
  t_like "$T_OUT" "^low
two
" "legacy=$legacy: layers whose paths hold ':', ',' and '\\' are stacked"
  [ "$(cat "$U/n$legacy")" = w ]; t_result $? "legacy=$legacy: ... the write lands in an upper whose path holds them too"
  if [ $legacy = 1 ]; then
    t_like "$T_OUT" " - overlay .*[ ,]lowerdir=[^,]*\\\\134:" "... through one escaped lowerdir= string"
  else
    t_like "$T_OUT" " - overlay .*[ ,]lowerdir\\+=" "... through lowerdir+ by default"
  fi
done

# Paths too long for one lowerdir= string (fsconfig takes 255 bytes).
LONG=()
for i in 1 2 3 4 5; do
  d=$T/long-layer-$i-$(printf '%040d' 0); mkdir -p "$d"; echo "$i" >"$d/l$i"; LONG+=(--overlay-src "$d")
done
SBX_OVERLAY_LEGACY_OPTIONS=1 sbx_status "${SYS[@]}" --overlay-backend kernel "${LONG[@]}" --tmp-overlay /tmp/o true
t_is "$T_RC" 125 "legacy lowerdir= too long for the kernel: exit 125"
t_like "$T_ERR" "^sbx: overlay /tmp/o: the lower layers' paths, escaped and joined, pass the 255 bytes .*: File name too long" \
  "... saying why in one line"
if fuse_built; then
  SBX_OVERLAY_LEGACY_OPTIONS=1 sbx_status "${SYS[@]}" "${LONG[@]}" --tmp-overlay /tmp/o sh -c 'cat /tmp/o/l1 /tmp/o/l5; grep " /tmp/o " /proc/self/mountinfo'
  t_like "$T_RC:$T_OUT" "^0:1
5
.* - fuse\.sbx-overlay " "... while auto falls back to FUSE"
else
  t_skip "the FUSE backend is not built in"
fi

# --- auto: FUSE when the kernel refuses ---------------------------------------------
# Kernel overlayfs refuses an upper layer on a FUSE file system: give the
# inner sbx a --cow DIR on an outer sbx's FUSE overlay.
mkdir -p "$T/base" "$T/mine" && echo m >"$T/mine/m"
NEST=(--seccomp none --ro-bind / / --proc /proc --dev /dev --dev-bind /dev/fuse /dev/fuse --bind "$T" "$T"
      --overlay-backend fuse --overlay-src "$T/base" --tmp-overlay "$T/fu")
inner () { printf '%q ' "$SBX" "${SYS[@]}" --dev-bind /dev/fuse /dev/fuse --ro-bind "$T/mine" /data --cow "$T/fu/cow" "$@"; }
if [ -c /dev/fuse ] && "$SBX" "${NEST[@]}" true 2>/dev/null && fuse_built; then
  sbx_status "${NEST[@]}" sh -c "$(inner --dry-run true)"
  t_like "$T_OUT" "backend: kernel \\(auto: .*FUSE if the kernel refuses\\)" "--dry-run: auto says it falls back to FUSE"
  sbx_status "${NEST[@]}" sh -c "$(inner sh -c 'cat /data/m; echo w > /data/w; grep " /data " /proc/self/mountinfo')"
  t_is "$T_RC" 0 "auto: --cow with its upper on FUSE runs"
  t_like "$T_OUT" " /data .* - fuse\\.sbx-overlay " "... on the FUSE backend (mountinfo)"
  t_like "$T_ERR" "kernel overlayfs refused .*using the FUSE backend" "... saying why on stderr"
  sbx_status "${NEST[@]}" sh -c "$(inner --overlay-backend kernel true)"
  t_is "$T_RC" 125 "--overlay-backend kernel there: exit 125, no fall back"
  t_like "$T_ERR" "^sbx: overlay /[a-z]+: .*Invalid argument" "... saying the kernel refused"
else
  for _ in 1 2 3 4 5 6; do t_skip "no nested sandbox with FUSE here"; done
fi

t_done
