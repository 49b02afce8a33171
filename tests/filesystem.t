#!/bin/bash
# Filesystem operations: read-only binds (submounts included), writable
# binds, -try binds, tmpfs, dir, symlink, file, the data options,
# remount-ro, chmod, /dev, /proc, the order of operations, and leftovers.
. "$TOP_SRCDIR/tests/lib.sh"

PROBE=${PROBE:-$TOP_SRCDIR/tests/probe}
# shellcheck disable=SC2206
BASE=($SBX_BASE)
one_line () { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && case "$1" in "sbx: "*) true ;; *) false ;; esac; }
absent () { [ ! -e "$1" ] && [ ! -L "$1" ]; }
# fstype_at MOUNTPOINT: an awk program printing the file system type of each
# mount at MOUNTPOINT in mountinfo (the field after the " - " separator).
fstype_at () { echo '$5 == "'"$1"'" { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); break } }'; }

mkdir -p "$T_TMP/src/sub" "$T_TMP/rw"
echo original >"$T_TMP/src/file"
echo below >"$T_TMP/src/sub/deep"
printf 'line one\nline two\n' >"$T_TMP/data"

# --- --ro-bind ----------------------------------------------------------

sbx_status --ro-bind / / "$PROBE" write "$T_TMP/created"
t_is "$T_OUT" "EROFS" "--ro-bind / /: creating a file fails with EROFS"
absent "$T_TMP/created"; t_result $? "... and nothing is created on the host"
sbx_status --ro-bind / / "$PROBE" mkdir "$T_TMP/newdir"
t_is "$T_OUT" "EROFS" "--ro-bind / /: mkdir fails with EROFS"
sbx_status "${BASE[@]}" --ro-bind "$T_TMP/src" /tmp/ro "$PROBE" append /tmp/ro/file changed
t_is "$T_OUT" "EROFS" "--ro-bind SRC DEST: appending to a bound file fails with EROFS"
sbx_status "${BASE[@]}" --ro-bind "$T_TMP/src" /tmp/ro "$PROBE" write /tmp/ro/sub/new
t_is "$T_OUT" "EROFS" "--ro-bind SRC DEST: creating in a subdirectory fails with EROFS"
sbx_status "${BASE[@]}" --ro-bind "$T_TMP/src" /tmp/ro "$PROBE" unlink /tmp/ro/file
t_is "$T_OUT" "EROFS" "--ro-bind SRC DEST: unlink fails with EROFS"
t_is "$(cat "$T_TMP/src/file")" "original" "... and the host file is unchanged"
sbx_status "${BASE[@]}" --ro-bind "$T_TMP/src/file" /tmp/onefile cat /tmp/onefile
t_is "$T_OUT" "original" "--ro-bind of a single file shows its content"

# A submount of the bound tree must be read-only as well. The host's
# /dev/shm is usually a mount of its own, writable by everyone.
shm_mount=$(awk '$5 == "/dev/shm" { print $5 }' /proc/self/mountinfo | head -1)
if [ -n "$shm_mount" ] && [ -w /dev/shm ]; then
  name="/dev/shm/sbx-filesystem-t.$$"
  sbx_status --ro-bind / / "$PROBE" write "$name"
  t_is "$T_OUT" "EROFS" "--ro-bind / /: the host submount /dev/shm is read-only too (EROFS)"
  absent "$name"; t_result $? "... and nothing is created in the host's /dev/shm"
  sbx_status --ro-bind / / --tmpfs /tmp --ro-bind /dev /tmp/d "$PROBE" write "/tmp/d/shm/${name##*/}"
  t_is "$T_OUT" "EROFS" "--ro-bind /dev DEST: DEST/shm (a submount) is read-only (EROFS)"
  absent "$name"; t_result $? "... and nothing is created in the host's /dev/shm"
  sbx_status --ro-bind / / --proc /proc awk '$5 == "/dev/shm" { print $6 }' /proc/self/mountinfo
  t_unlike "$T_OUT" '^rw' "--ro-bind / /: every /dev/shm mount inside is ro in mountinfo"
else
  for _ in 1 2 3 4 5; do t_skip "/dev/shm is not a separate writable mount"; done
fi

# A submount made by ourselves: an outer sandbox mounts a tmpfs inside a
# bound directory, and a sandbox nested in it binds that directory
# read-only. Nesting needs a sandbox without a seccomp filter.
mkdir -p "$T_TMP/a/sub"
if "$SBX" --seccomp none --ro-bind / / true 2>/dev/null; then
  outer=(--seccomp none --ro-bind /usr /usr --ro-bind-try /lib /lib --ro-bind-try /lib64 /lib64
         --ro-bind-try /bin /bin --ro-bind "$SBX" /sbx --ro-bind "$PROBE" /probe --proc /proc
         --bind "$T_TMP/a" /a --tmpfs /a/sub --dir /b)
  sbx_status "${outer[@]}" /sbx --ro-bind / / --ro-bind /a /b /probe write /b/sub/f
  t_is "$T_OUT" "EROFS" "--ro-bind of a tree with a tmpfs submount: writing in the submount fails with EROFS" "$T_ERR"
  sbx_status "${outer[@]}" /sbx --ro-bind / / /probe write /a/sub/f
  t_is "$T_OUT" "EROFS" "--ro-bind / / over a tree with a tmpfs submount: the submount is read-only" "$T_ERR"
  sbx_status "${outer[@]}" /sbx --ro-bind / / --bind /a /b /probe write /b/sub/f
  t_is "$T_OUT" "ok" "(a --bind of the same tree keeps the submount writable)" "$T_ERR"
  t_is "$(ls -A "$T_TMP/a/sub")" "" "... and none of it reached the host directory under the tmpfs"
else
  for _ in 1 2 3 4; do t_skip "sbx has no --seccomp none for a nested sandbox"; done
fi

# The old root must be gone: with --ro-bind / /, no writable mount of the
# host's root file system may remain attached at "/", not even stacked
# below or above the new root where a re-entry of the namespace finds it.
root_dev=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo | tail -1)
sbx_status --ro-bind / / --proc /proc cat /proc/self/mountinfo
t_is "$(printf '%s\n' "$T_OUT" | awk -v d="$root_dev" '$3 == d && $5 == "/" && $6 ~ /^rw/' | wc -l)" 0 \
  "--ro-bind / /: mountinfo has no read-write mount of the host root ($root_dev) at /"
if "$SBX" --seccomp none --ro-bind / / true 2>/dev/null; then
  sbx_status --seccomp none --cap-add CAP_SYS_ADMIN --cap-add CAP_SYS_CHROOT --ro-bind / / --proc /proc \
    "$PROBE" in-mntns /proc/self/ns/mnt write "$T_TMP/reentered"
  t_is "$T_OUT" "EROFS" "re-entering the own mount namespace (setns moves to its root) finds the read-only root"
  absent "$T_TMP/reentered"; t_result $? "... and nothing is written on the host"
else
  t_skip "sbx has no --seccomp none"; t_skip "sbx has no --seccomp none"
fi

# --- --bind and the -try forms ------------------------------------------

sbx_status "${BASE[@]}" --bind "$T_TMP/rw" "$T_TMP/rw" "$PROBE" write "$T_TMP/rw/made" "from inside"
t_is "$T_OUT" "ok" "--bind: the bound directory is writable"
t_is "$(cat "$T_TMP/rw/made" 2>&1)" "from inside" "... and the write shows on the host"
sbx_status "${BASE[@]}" --bind "$T_TMP/rw" /tmp/rw "$PROBE" mkdir /tmp/rw/dir
t_is "$T_OUT" "ok" "--bind at another path: mkdir works"
[ -d "$T_TMP/rw/dir" ]; t_result $? "... and the directory shows on the host"

for opt in bind-try ro-bind-try dev-bind-try; do
  sbx_status "${BASE[@]}" "--$opt" "$T_TMP/missing" /tmp/x sh -c 'test -e /tmp/x && echo there || echo skipped'
  t_is "$T_RC:$T_OUT" "0:skipped" "--$opt with a missing source is skipped (the destination is not created)"
done
sbx_status "${BASE[@]}" --bind-try "$T_TMP/src" /tmp/x cat /tmp/x/file
t_is "$T_OUT" "original" "--bind-try with an existing source binds it"
sbx_status "${BASE[@]}" --bind "$T_TMP/missing" /tmp/x true
t_is "$T_RC" 125 "--bind with a missing source fails with 125"
one_line "$T_ERR"; t_result $? "... with one 'sbx:' line" "$T_ERR"
absent "$T_TMP/missing"; t_result $? "... and creates nothing on the host"

# --- --tmpfs ------------------------------------------------------------

sbx_status "${BASE[@]}" --tmpfs /tmp/t sh -c 'ls -A /tmp/t | wc -l; stat -f -c %T /tmp/t; stat -c %a /tmp/t'
t_is "$T_OUT" "0
tmpfs
755" "--tmpfs: empty, a tmpfs, mode 755 by default"
sbx_status "${BASE[@]}" --tmpfs /tmp/t "$PROBE" write /tmp/t/f x
t_is "$T_OUT" "ok" "--tmpfs is writable"
sbx_status "${BASE[@]}" --tmpfs /tmp/t --proc /proc awk "$(fstype_at /tmp/t)" /proc/self/mountinfo
t_is "$T_OUT" "tmpfs" "--tmpfs: mountinfo shows a tmpfs at the destination"
sbx_status --ro-bind / / --tmpfs "$T_TMP/src" ls -A "$T_TMP/src"
t_is "$T_OUT" "" "--tmpfs over a bound host directory hides its content"
for perms in 0700 1777 0750 0000; do
  sbx_status "${BASE[@]}" --perms "$perms" --tmpfs /tmp/t stat -c %a /tmp/t
  t_is "$T_OUT" "$(printf '%o' $((8#$perms)))" "--perms $perms --tmpfs: mode $perms"
done
sbx_status "${BASE[@]}" --perms 0700 --tmpfs /tmp/t1 --tmpfs /tmp/t2 stat -c %a /tmp/t1 /tmp/t2
t_is "$T_OUT" "700
755" "--perms applies to the next --tmpfs only"
sbx_status "${BASE[@]}" --size 1M --tmpfs /tmp/t --proc /proc sh -c \
  'awk '"'"'$5 == "/tmp/t" { print $NF }'"'"' /proc/self/mountinfo; df -k /tmp/t | awk '"'"'NR == 2 { print $2 }'"'"
t_like "$T_OUT" '(^|,)size=1024k(,|$)' "--size 1M --tmpfs: mountinfo says size=1024k"
t_like "$T_OUT" '^1024$' "--size 1M --tmpfs: df shows 1024 1K-blocks"
sbx_status "${BASE[@]}" --size 1M --tmpfs /tmp/t sh -c \
  'head -c 524288 /dev/zero >/tmp/t/half && echo half-ok; head -c 2097152 /dev/zero >/tmp/t/big 2>/dev/null && echo big-ok || echo big-failed'
t_is "$T_OUT" "half-ok
big-failed" "--size 1M: 512 KiB fit, 2 MiB do not"
sbx_status "${BASE[@]}" --size 64k --perms 0700 --tmpfs /tmp/t --proc /proc awk '$5 == "/tmp/t" { print $NF }' /proc/self/mountinfo
t_like "$T_OUT" 'size=64k' "--size 64k --perms 0700 together: size=64k"
t_like "$T_OUT" 'mode=700' "--size 64k --perms 0700 together: mode=700"

# --- --dir, --symlink ---------------------------------------------------

sbx_status "${BASE[@]}" --dir /tmp/d stat -c %a /tmp/d
t_is "$T_OUT" "755" "--dir creates a directory, mode 755 by default"
sbx_status "${BASE[@]}" --perms 0710 --dir /tmp/d stat -c '%F %a' /tmp/d
t_is "$T_OUT" "directory 710" "--perms 0710 --dir: a directory with mode 710"
sbx_status "${BASE[@]}" --perms 0700 --dir /tmp/p/q/r stat -c '%n %F' /tmp/p /tmp/p/q
t_is "$T_OUT" "/tmp/p directory
/tmp/p/q directory" "--dir creates missing parent directories"
sbx_status "${BASE[@]}" --perms 0700 --dir /tmp/p/q/r stat -c '%a' /tmp/p/q/r
t_is "$T_OUT" "700" "--perms 0700 --dir with missing parents: the directory itself has mode 700"
sbx_status "${BASE[@]}" --dir /tmp/d "$PROBE" write /tmp/d/f
t_is "$T_OUT" "ok" "a --dir in a tmpfs is writable"

sbx_status "${BASE[@]}" --symlink /some/where /tmp/l sh -c 'readlink /tmp/l; stat -c %F /tmp/l'
t_is "$T_OUT" "/some/where
symbolic link" "--symlink creates a symbolic link with that target"
sbx_status "${BASE[@]}" --symlink ../rel/target /tmp/x/l readlink /tmp/x/l
t_is "$T_OUT" "../rel/target" "--symlink keeps a relative target as given, creating the parent"
sbx_status "${BASE[@]}" --symlink /a /tmp/l --symlink /a /tmp/l readlink /tmp/l
t_is "$T_RC:$T_OUT" "0:/a" "--symlink twice with the same target is fine"
sbx_status "${BASE[@]}" --symlink /a /tmp/l --symlink /b /tmp/l true
t_is "$T_RC" 125 "--symlink over a link with another target fails with 125"
one_line "$T_ERR"; t_result $? "... with one 'sbx:' line" "$T_ERR"

# --- --file -------------------------------------------------------------

sbx_status "${BASE[@]}" --file 3 /tmp/f sh -c 'cat /tmp/f; stat -c %a /tmp/f' 3<"$T_TMP/data"
t_is "$T_OUT" "line one
line two
666" "--file FD DEST copies the data; mode 666 by default"
sbx_status "${BASE[@]}" --perms 0640 --file 3 /tmp/f stat -c %a /tmp/f 3<"$T_TMP/data"
t_is "$T_OUT" "640" "--perms 0640 --file: mode 640"
sbx_status "${BASE[@]}" --file 3 /tmp/f "$PROBE" append /tmp/f more 3<"$T_TMP/data"
t_is "$T_OUT" "ok" "a --file in a tmpfs is writable"
head -c 300000 /dev/urandom >"$T_TMP/big"
sbx_status "${BASE[@]}" --file 3 /tmp/big cksum /tmp/big 3<"$T_TMP/big"
t_is "${T_OUT%% *}" "$(cksum <"$T_TMP/big" | cut -d' ' -f1)" "--file copies 300 KB of binary data exactly"
T_OUT=$(printf 'piped\n' | "$SBX" "${BASE[@]}" --file 0 /tmp/f cat /tmp/f 2>&1)
t_is "$T_OUT" "piped" "--file reads from a pipe too"
sbx_status "${BASE[@]}" --file 3 /tmp/a/b/f cat /tmp/a/b/f 3<"$T_TMP/data"
t_is "$(printf '%s\n' "$T_OUT" | head -1)" "line one" "--file creates missing parent directories"

# --- --ro-bind-data, --bind-data -------------------------------------------

sbx_status "${BASE[@]}" --ro-bind-data 3 /tmp/rbd cat /tmp/rbd 3<"$T_TMP/data"
t_is "$T_RC:$T_OUT" "0:line one
line two" "--ro-bind-data FD DEST: DEST holds the data" "$T_ERR"
sbx_status "${BASE[@]}" --ro-bind-data 3 /tmp/rbd "$PROBE" append /tmp/rbd more 3<"$T_TMP/data"
t_is "$T_OUT" "EROFS" "--ro-bind-data: appending fails with EROFS" "$T_ERR"
sbx_status "${BASE[@]}" --ro-bind-data 3 /tmp/rbd "$PROBE" write /tmp/rbd 3<"$T_TMP/data"
t_is "$T_OUT" "EROFS" "--ro-bind-data: opening for writing with O_TRUNC fails with EROFS" "$T_ERR"
sbx_status "${BASE[@]}" --perms 0444 --ro-bind-data 3 /tmp/rbd stat -c %a /tmp/rbd 3<"$T_TMP/data"
t_is "$T_OUT" "444" "--perms 0444 --ro-bind-data: mode 444" "$T_ERR"
mkdir "$T_TMP/hostdir"
sbx_status "${BASE[@]}" --bind "$T_TMP/hostdir" "$T_TMP/hostdir" --ro-bind-data 3 "$T_TMP/hostdir/secret" \
  sh -c "cat '$T_TMP/hostdir/secret'; $PROBE append '$T_TMP/hostdir/secret' more" 3<"$T_TMP/data"
t_is "$T_OUT" "line one
line two
EROFS" "--ro-bind-data under a --bind of a host dir: the data is there, read-only" "$T_ERR"
[ ! -s "$T_TMP/hostdir/secret" ]; t_result $? "... and none of the data is written to the host directory"

sbx_status "${BASE[@]}" --bind-data 3 /tmp/bd sh -c "cat /tmp/bd; $PROBE append /tmp/bd 'line three'; tail -1 /tmp/bd" 3<"$T_TMP/data"
t_is "$T_OUT" "line one
line two
ok
line three" "--bind-data FD DEST: DEST holds the data and is writable" "$T_ERR"
sbx_status "${BASE[@]}" --bind "$T_TMP/hostdir" "$T_TMP/hostdir" --bind-data 3 "$T_TMP/hostdir/copy" \
  sh -c "$PROBE append '$T_TMP/hostdir/copy' more; cat '$T_TMP/hostdir/copy'" 3<"$T_TMP/data"
t_is "$T_OUT" "ok
line one
line two
more" "--bind-data under a --bind of a host dir works inside" "$T_ERR"
[ ! -s "$T_TMP/hostdir/copy" ]; t_result $? "... and neither the data nor the write reach the host directory"

# --- --remount-ro, --chmod ------------------------------------------------

sbx_status "${BASE[@]}" --tmpfs /tmp/r --remount-ro /tmp/r "$PROBE" write /tmp/r/x
t_is "$T_OUT" "EROFS" "--remount-ro makes a tmpfs read-only (EROFS)"
sbx_status "${BASE[@]}" --tmpfs /tmp/r --file 3 /tmp/r/f --remount-ro /tmp/r sh -c "head -1 /tmp/r/f; $PROBE append /tmp/r/f x" 3<"$T_TMP/data"
t_is "$T_OUT" "line one
EROFS" "--remount-ro keeps what was put there before, read-only"
sbx_status "${BASE[@]}" --tmpfs /tmp/r --remount-ro /tmp/r --proc /proc awk '$5 == "/tmp/r" { print substr($6, 1, 2) }' /proc/self/mountinfo
t_is "$T_OUT" "ro" "--remount-ro: mountinfo says ro"
sbx_status "${BASE[@]}" --dir /tmp/d --remount-ro /tmp/d sh -c "$PROBE write /tmp/d/x; $PROBE write /tmp/y"
t_is "$T_OUT" "EROFS
ok" "--remount-ro on a directory that is no mount: it alone becomes read-only"

sbx_status "${BASE[@]}" --dir /tmp/c --chmod 0705 /tmp/c stat -c %a /tmp/c
t_is "$T_OUT" "705" "--chmod 0705 changes a directory's mode"
sbx_status "${BASE[@]}" --file 3 /tmp/f --chmod 0400 /tmp/f stat -c %a /tmp/f 3<"$T_TMP/data"
t_is "$T_OUT" "400" "--chmod 0400 changes a file's mode"
sbx_status "${BASE[@]}" --tmpfs /tmp/t --chmod 1777 /tmp/t stat -c %a /tmp/t
t_is "$T_OUT" "1777" "--chmod 1777 on a tmpfs mount point"
chmod 0750 "$T_TMP/src"
sbx_status "${BASE[@]}" --ro-bind "$T_TMP/src" /tmp/ro --chmod 0777 /tmp/ro true
t_is "$T_RC" 125 "--chmod on a read-only bind fails with 125"
t_is "$(stat -c %a "$T_TMP/src")" "750" "... and the host directory's mode is unchanged"
sbx_status "${BASE[@]}" --chmod 0700 /tmp/missing true
t_is "$T_RC" 125 "--chmod on a missing path fails with 125"
one_line "$T_ERR"; t_result $? "... with one 'sbx:' line" "$T_ERR"

# --- /dev ---------------------------------------------------------------

sbx_status "${BASE[@]}" sh -c 'ls -A /dev | LC_ALL=C sort | tr "\n" " "'
t_is "$T_OUT" "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " \
  "--dev holds exactly fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"
sbx_status "${BASE[@]}" "$PROBE" write /dev/null data
t_is "$T_OUT" "ok" "/dev/null is writable"
sbx_status "${BASE[@]}" "$PROBE" read /dev/zero
t_is "$T_OUT" "ok 16384" "/dev/zero is readable"
sbx_status "${BASE[@]}" sh -c 'head -c 8 /dev/zero | od -An -tx1 | tr -d " "'
t_is "$T_OUT" "0000000000000000" "/dev/zero reads zeros"
sbx_status "${BASE[@]}" "$PROBE" write /dev/full data
t_is "$T_OUT" "ENOSPC" "writing to /dev/full fails with ENOSPC"
sbx_status "${BASE[@]}" "$PROBE" read /dev/urandom
t_is "$T_OUT" "ok 16384" "/dev/urandom is readable"
sbx_status "${BASE[@]}" stat -c '%F %t:%T' /dev/null /dev/zero
t_is "$T_OUT" "character special file 1:3
character special file 1:5" "/dev/null and /dev/zero are the real devices (1:3, 1:5)"
sbx_status "${BASE[@]}" sh -c 'stat -f -c %T /dev/pts; stat -c "%F %t:%T" /dev/pts/ptmx; readlink /dev/ptmx; stat -c %d /dev/pts'
host_pts_dev=$(stat -c %d /dev/pts 2>/dev/null)
t_is "$(printf '%s\n' "$T_OUT" | head -3)" "devpts
character special file 5:2
pts/ptmx" "/dev/pts is a devpts with its own ptmx, and /dev/ptmx points to it"
t_isnt "$(printf '%s\n' "$T_OUT" | sed -n 4p)" "$host_pts_dev" "/dev/pts is a new devpts instance, not the host's"
sbx_status "${BASE[@]}" sh -c 'ls -A /dev/pts | LC_ALL=C sort | tr "\n" " "'
t_is "$T_OUT" "ptmx " "the new /dev/pts holds only ptmx (no host terminals)"
sbx_status "${BASE[@]}" sh -c "stat -c %F /dev/shm; $PROBE write /dev/shm/x"
t_is "$T_OUT" "directory
ok" "/dev/shm is a writable directory"
sbx_status "${BASE[@]}" sh -c 'for l in fd stdin stdout stderr; do readlink /dev/$l; done'
t_is "$T_OUT" "/proc/self/fd
/proc/self/fd/0
/proc/self/fd/1
/proc/self/fd/2" "/dev/fd and /dev/std* point into /proc/self/fd"
sbx_status --ro-bind / / --dev /dev --tmpfs /tmp "$PROBE" read /dev/null
t_is "$T_OUT" "ok 0" "--dev without --proc: /dev/null still works"

# --- /proc --------------------------------------------------------------

sbx_status "${BASE[@]}" stat -f -c %T /proc
t_is "$T_OUT" "proc" "--proc /proc is a proc file system"
sbx_status "${BASE[@]}" --unshare-pid stat -f -c %T /proc
t_is "$T_OUT" "proc" "--proc /proc with --unshare-pid is a proc file system"
sbx_status "${BASE[@]}" --unshare-pid awk "$(fstype_at /proc)" /proc/self/mountinfo
t_is "$(printf '%s\n' "$T_OUT" | tail -1)" "proc" "mountinfo shows proc at /proc"
sbx_status "${BASE[@]}" --unshare-pid sh -c 'set -- /proc/[0-9]*; echo "$*"'
t_is "$T_OUT" "/proc/1 /proc/2" "--unshare-pid --proc: /proc lists only the sandbox's processes (reaper and sh)"

# --- order --------------------------------------------------------------

sbx_status "${BASE[@]}" --bind "$T_TMP/src" /tmp/m --tmpfs /tmp/m ls -A /tmp/m
t_is "$T_RC:$T_OUT" "0:" "a later --tmpfs shadows an earlier --bind at the same place"
sbx_status "${BASE[@]}" --tmpfs /tmp/m --bind "$T_TMP/src" /tmp/m cat /tmp/m/file
t_is "$T_OUT" "original" "a later --bind shadows an earlier --tmpfs at the same place"
sbx_status "${BASE[@]}" --dir /tmp/m/d --tmpfs /tmp/m sh -c 'test -e /tmp/m/d && echo seen || echo hidden'
t_is "$T_OUT" "hidden" "a --dir made before a --tmpfs on its parent is hidden by it"
sbx_status "${BASE[@]}" --tmpfs /tmp/m --dir /tmp/m/d sh -c 'test -d /tmp/m/d && echo seen || echo hidden'
t_is "$T_OUT" "seen" "a --dir made after the --tmpfs is inside it"
sbx_status --ro-bind / / --tmpfs /tmp --proc /proc --tmpfs /tmp cat /proc/self/mountinfo
t_is "$(printf '%s\n' "$T_OUT" | awk '$5 == "/tmp"' | wc -l)" 2 "two --tmpfs /tmp make two stacked mounts"

# --- nothing is left behind ---------------------------------------------

# shellcheck disable=SC2010
sbx_names () { ls -A /tmp | grep -i sbx | grep -v '^sbx-test\.' | LC_ALL=C sort; }
before_tmp=$(sbx_names)
before=$(t_snapshot "$T_TMP" | grep -v '^\./\.stderr ')
sbx_status "${BASE[@]}" --unshare-all --ro-bind "$T_TMP/src" /tmp/ro --tmpfs /tmp/t --dir /tmp/t/d \
  --file 3 /tmp/t/f --symlink /x /tmp/t/l --remount-ro /tmp/t --ro-bind "$T_TMP/data" /tmp/data \
  sh -c 'cat /tmp/ro/file /tmp/t/f /tmp/data >/dev/null' 3<"$T_TMP/data"
t_is "$T_RC" 0 "a run with many operations (binds, tmpfs, dir, file, symlink, remount-ro) succeeds" "$T_ERR"
after=$(t_snapshot "$T_TMP" | grep -v '^\./\.stderr ')
after_tmp=$(sbx_names)
[ "$before" = "$after" ]; t_result $? "... and leaves \$T_TMP exactly as it was" "$(diff <(echo "$before") <(echo "$after"))"
t_is "$after_tmp" "$before_tmp" "... and no sbx-named entry appears in /tmp"
"$SBX" "${BASE[@]}" --tmpfs /tmp/t --ro-bind-data 3 /tmp/t/rbd --bind-data 4 /tmp/t/bd --bind-data 5 /tmp/bd \
  true 3<"$T_TMP/data" 4<"$T_TMP/data" 5<"$T_TMP/data" 2>/dev/null
after=$(t_snapshot "$T_TMP" | grep -v '^\./\.stderr ')
[ "$before" = "$after" ] && [ "$(sbx_names)" = "$before_tmp" ]
t_result $? "a run with the data options leaves \$T_TMP and /tmp as they were" "$(diff <(echo "$before") <(echo "$after"))"
sbx_status "${BASE[@]}" --bind "$T_TMP/rw" /tmp/rw --tmpfs /tmp/rw/t --dir /tmp/rw/t/d true
t_is "$T_RC" 0 "a --tmpfs inside a writable host bind, with a --dir in it, works"
absent "$T_TMP/rw/t/d"; t_result $? "... and what is made inside the tmpfs is not on the host (at most the mount point is)"

t_done
