#!/bin/bash
# Symlinks planted in bound content (the bubblewrap CVE class): a later
# operation whose destination passes through such a link must stay inside
# the new root. It may create what it was asked to inside the sandbox's own
# tree, or fail with one "sbx:" line and exit 125, but it must never touch
# the host.
. "$TOP_SRCDIR/tests/lib.sh"

PROBE=${PROBE:-$TOP_SRCDIR/tests/probe}
EVIL=$T_TMP/evil
OUT=$T_TMP/outside
# A small sandbox that can run sh, test and stat, with nothing of $T_TMP.
MINI=(--ro-bind /usr /usr --ro-bind-try /lib /lib --ro-bind-try /lib64 /lib64
      --ro-bind-try /bin /bin --ro-bind-try /sbin /sbin --ro-bind "$PROBE" /probe)

mkdir -p "$EVIL" "$T_TMP/src"
echo source >"$T_TMP/src/file"
printf 'data\n' >"$T_TMP/data"
ln -s "$OUT" "$EVIL/abs"
ln -s "../../../../../../../../../../..$OUT" "$EVIL/rel"
ln -s "/oldroot$OUT" "$EVIL/old"
ln -s "/newroot$OUT" "$EVIL/new"
ln -s / "$EVIL/root"
ln -s /nonexistent-sbx-target "$EVIL/dangling"
ln -s loop "$EVIL/loop"
evil_before=$(t_snapshot "$EVIL")
src_before=$(t_snapshot "$T_TMP/src")

# The host resolves every planted link to $OUT, so a slip would land there.
mkdir "$OUT"
[ "$(readlink -f "$EVIL/abs")" = "$OUT" ] && [ "$(readlink -f "$EVIL/rel")" = "$OUT" ] \
  && [ "$(readlink -f "$EVIL/root$OUT")" = "$OUT" ]
t_result $? "(on the host, abs, rel and root\$OUT all lead to \$OUT)"
rmdir "$OUT"

# The operations, as NAME|OPTIONS|CHECK with @ standing for the path prefix
# that goes through a link. CHECK runs inside when sbx succeeded in a
# sandbox where the link leads to a directory of the sandbox's own.
OPS=(
  "dir|--dir @/x|test -d @/x"
  "tmpfs|--tmpfs @/x|test -d @/x"
  "bind|--bind $T_TMP/src @/y|test -f @/y/file"
  "ro-bind|--ro-bind $T_TMP/src @/y|test -f @/y/file"
  "file|--file 3 @/z|test -f @/z"
  "symlink|--symlink t @/w|test -L @/w"
  "ro-bind-data|--ro-bind-data 3 @/v|test -f @/v"
  "bind-data|--bind-data 3 @/v|test -f @/v"
  "chmod|--chmod 0777 @|test \"\$(stat -L -c %a @)\" = 777"
  "remount-ro|--remount-ro @|test \"\$(/probe write @/q)\" = EROFS"
  "dir-nested|--dir @/x/y/z|test -d @/x/y/z"
  "dev|--dev @/d|test -c @/d/null"
  "proc|--proc @/p|test -d @/p/self"
)
PREFIXES=(/evil/abs /evil/rel /evil/old /evil/new "/evil/root$OUT" "/evil/../../../../..$OUT")

shopt -s nullglob dotglob
host_untouched () {  # host_untouched VARIANT: is $OUT as the variant left it?
  if [ "$1" = absent ]; then
    [ ! -e "$OUT" ] && [ ! -L "$OUT" ]
  else
    local entries=("$OUT"/*)
    [ -d "$OUT" ] && [ ! -L "$OUT" ] && [ "${#entries[@]}" -eq 0 ] && [ -O "$OUT" ] \
      && [ "$(stat -c %a "$OUT")" = 700 ]
  fi
}
fine_outcome () {  # rc 0, or 125 with exactly one "sbx: " line
  [ "$T_RC" -eq 0 ] && return 0
  [ "$T_RC" -eq 125 ] && [[ $T_ERR == "sbx: "* && $T_ERR != *$'\n'* ]]
}

# Variants: the host's $OUT is absent, or exists empty (mode 700, writable),
# or exists and the sandbox has directories of its own where the links lead.
for variant in absent empty own; do
  rm -rf "$OUT"
  [ "$variant" = absent ] || { mkdir "$OUT" && chmod 0700 "$OUT"; }
  own=()
  [ "$variant" = own ] && own=(--dir "$OUT" --dir "/oldroot$OUT" --dir "/newroot$OUT")
  for prefix in "${PREFIXES[@]}"; do
    for op in "${OPS[@]}"; do
      name=${op%%|*}; rest=${op#*|}; opts=${rest%%|*}; check=${rest#*|}
      opts=${opts//@/$prefix}; check=${check//@/$prefix}
      # shellcheck disable=SC2086
      if [ "$variant" = own ]; then
        sbx_status "${MINI[@]}" --bind "$EVIL" /evil "${own[@]}" $opts sh -c "$check" 3<"$T_TMP/data"
      else
        sbx_status "${MINI[@]}" --bind "$EVIL" /evil $opts true 3<"$T_TMP/data"
      fi
      desc="$variant \$OUT, --$name through $prefix"
      host_untouched "$variant"
      t_result $? "$desc: the host's \$OUT is untouched" "$(ls -la "$OUT" 2>&1)"
      if [ "$variant" = own ] && [ "$name" != ro-bind-data ] && [ "$name" != bind-data ]; then
        t_is "$T_RC" 0 "$desc: created inside the sandbox's own tree" "$T_ERR"
      else
        fine_outcome
        t_result $? "$desc: done inside the sandbox, or refused with one sbx: line (exit 125)" "exit $T_RC: $T_ERR"
      fi
    done
  done
  [ "$(t_snapshot "$EVIL")" = "$evil_before" ]
  t_result $? "$variant \$OUT: the bound directory with the links is unchanged on the host"
  [ "$(t_snapshot "$T_TMP/src")" = "$src_before" ]
  t_result $? "$variant \$OUT: the bind source is unchanged on the host"
done

# The data options create their file through the same path logic; the
# tests above allow them to fail, so check them where sbx must succeed.
rm -rf "$OUT"; mkdir "$OUT"; chmod 0700 "$OUT"
for opt in ro-bind-data bind-data file; do
  sbx_status "${MINI[@]}" --bind "$EVIL" /evil --dir "$OUT" "--$opt" 3 /evil/abs/v cat "$OUT/v" 3<"$T_TMP/data"
  t_is "$T_RC:$T_OUT" "0:data" "--$opt through an absolute link lands on the sandbox's own \$OUT" "$T_ERR"
  host_untouched empty; t_result $? "... and not on the host's"
done

# --- a link to / ----------------------------------------------------------

sbx_status "${MINI[@]}" --bind "$EVIL" /evil --tmpfs /evil/root/tmp --proc /proc sh -c \
  'grep -c " /tmp .* - tmpfs " /proc/self/mountinfo; stat -f -c %T /tmp'
t_is "$T_OUT" "1
tmpfs" "root -> /: --tmpfs /evil/root/tmp mounts a tmpfs on the sandbox's /tmp"
sbx_status --ro-bind / / --bind "$EVIL" "$EVIL" --tmpfs "$EVIL/root/tmp" sh -c 'ls -A /tmp | wc -l'
t_is "$T_OUT" 0 "root -> / over --ro-bind / /: the sandbox's /tmp is the new, empty tmpfs"
sbx_status "${MINI[@]}" --bind "$EVIL" /evil --dir /evil/root/made-by-sbx test -d /made-by-sbx
t_is "$T_RC" 0 "root -> /: --dir /evil/root/made-by-sbx creates /made-by-sbx in the sandbox's root"
[ ! -e /made-by-sbx ]; t_result $? "... not in the host's"
sbx_status "${MINI[@]}" --bind "$EVIL" /evil --file 3 "/evil/root$OUT/z" cat "$OUT/z" 3<"$T_TMP/data"
t_is "$T_RC:$T_OUT" "0:data" "root -> /: --file through it lands on the sandbox's \$OUT/z"
host_untouched empty; t_result $? "... and the host's \$OUT (which exists and is writable) stays empty"

# --- the link itself as the destination ---------------------------------

for variant in absent empty; do
  rm -rf "$OUT"
  [ "$variant" = absent ] || { mkdir "$OUT" && chmod 0700 "$OUT"; }
  for opt in "--file 3" "--ro-bind-data 3" "--bind-data 3" "--bind $T_TMP/src/file" "--dir" "--tmpfs" "--symlink t"; do
    for link in abs rel; do
      # shellcheck disable=SC2086
      sbx_status "${MINI[@]}" --bind "$EVIL" /evil $opt "/evil/$link" true 3<"$T_TMP/data"
      host_untouched "$variant"
      t_result $? "$variant \$OUT, ${opt%% *} with the link /evil/$link itself as destination: the host is untouched"
      fine_outcome
      t_result $? "... done inside or refused with one sbx: line" "exit $T_RC: $T_ERR"
    done
  done
done

# --- the directory with the links as the new root itself -------------------

rm -rf "$OUT"; mkdir "$OUT"; chmod 0700 "$OUT"
for prefix in /abs /rel /old /new "/root$OUT" "/../..$OUT"; do
  for op in "--dir @/x" "--tmpfs @/x" "--file 3 @/z" "--symlink t @/w" "--bind $T_TMP/src @/y" "--chmod 0777 @"; do
    # shellcheck disable=SC2086
    sbx_status --ro-bind "$EVIL" / ${op//@/$prefix} /nonexistent-command 3<"$T_TMP/data"
    host_untouched empty
    t_result $? "--ro-bind evil / then ${op//@/$prefix}: the host's \$OUT is untouched" "$(ls -la "$OUT" 2>&1)"
    { [ "$T_RC" -eq 127 ] || fine_outcome; }
    t_result $? "... set up inside (the command is then not found, 127) or refused with one sbx: line" "exit $T_RC: $T_ERR"
  done
done

# --- dangling links and loops ------------------------------------------------

for link in dangling loop; do
  for opt in "--dir /evil/$link/x" "--tmpfs /evil/$link/x" "--file 3 /evil/$link/x" "--bind $T_TMP/src /evil/$link/x" \
             "--symlink t /evil/$link/x" "--chmod 0700 /evil/$link"; do
    # shellcheck disable=SC2086
    sbx_status "${MINI[@]}" --bind "$EVIL" /evil $opt true 3<"$T_TMP/data"
    t_is "$T_RC" 125 "$link link in the path ($opt): exit 125"
    [ "$(printf '%s\n' "$T_ERR" | wc -l)" -eq 1 ] && case "$T_ERR" in "sbx: "*) true ;; *) false ;; esac
    t_result $? "$link link in the path ($opt): one sbx: line" "$T_ERR"
  done
done
[ ! -e /nonexistent-sbx-target ]; t_result $? "the dangling link's target was not created on the host"
[ "$(t_snapshot "$EVIL")" = "$evil_before" ]
t_result $? "the bound directory with the links is unchanged on the host at the end"

t_done
