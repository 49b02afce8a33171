#!/usr/bin/env bash
# The FUSE overlay backend (src/fuseovl*.c), driven through
# tests/fuseovl-run: union reads, copy-up, whiteouts, opaque folders,
# renames (folders, RENAME_EXCHANGE, RENAME_NOREPLACE), links, attributes,
# squash_owner, several lowers, the read-only union, override_stat, the
# .wh. format where mknod is refused, the upper format checked against the
# real fuse-overlayfs both ways, and cleanup after SIGKILL.
. "$TOP_SRCDIR/tests/lib.sh"

# Built next to the probe by make check.
RUN=${FUSEOVL_RUN:-$(dirname "${PROBE:-$SBX/tests/probe}")/fuseovl-run}
if [ ! -x "$RUN" ]; then t_skip "tests/fuseovl-run is not built"; t_done; fi
if [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; then t_skip "/dev/fuse is not usable"; t_done; fi

W=$T_TMP
fresh () {  # fresh: a lower tree, an empty upper and work folder
  rm -rf "$W/lower" "$W/upper" "$W/work" "$W/mnt"
  mkdir -p "$W/lower/dir/sub" "$W/lower/tree/deep" "$W/upper" "$W/work" "$W/mnt"
  echo hello > "$W/lower/file"
  echo inner > "$W/lower/dir/inner"
  echo sub > "$W/lower/dir/sub/s"
  echo leaf > "$W/lower/tree/deep/leaf"
  ln -s file "$W/lower/link"
  echo gone > "$W/lower/victim"
}
sum_lower () { (cd "$W/lower" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort; find . -type f -exec cat {} +) | sha256sum; }
ovl () {  # ovl [DRIVER-OPTIONS] -- SCRIPT: run SCRIPT in the mounted union
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
  "$RUN" "${opts[@]}" --upper "$W/upper" --work "$W/work" --lower "$W/lower" "$W/mnt" \
    sh -c "cd '$W/mnt' && $1"
}
is_whiteout () { [ "$(stat -c '%F %t:%T' "$1" 2>/dev/null)" = "character special file 0:0" ] || [ -e "$(dirname "$1")/.wh.$(basename "$1")" ]; }
opaque () { python3 -c 'import os,sys; sys.exit(0 if os.getxattr(sys.argv[1], "user.fuseoverlayfs.opaque") == b"y" else 1)' "$1" 2>/dev/null || [ -e "$1/.wh..wh..opq" ]; }

# --- reads ------------------------------------------------------------------
fresh
before=$(sum_lower)
out=$(ovl -- 'cat file dir/inner dir/sub/s; readlink link; ls | tr "\n" " "; find . | wc -l')
t_is "$out" "hello
inner
sub
file
dir file link tree victim 11" "reads and listings show the lower layer"
t_is "$(ls -A "$W/upper")" "" "reading copies nothing up"

# --- writes -----------------------------------------------------------------
out=$(ovl -- 'echo world >> file && cat file && echo new > dir/new && cat dir/new && mkdir -p a/b && echo x > a/b/c && cat a/b/c')
t_is "$out" "hello
world
new
x" "writes, appends and new files read back"
t_is "$(cat "$W/upper/file" "$W/upper/dir/new" "$W/upper/a/b/c" 2>&1)" "hello
world
new
x" "writes land in the upper layer"
t_is "$(cat "$W/upper/dir/new"; ls "$W/upper/dir")" "new
new" "copy-up of a folder brings only what was written"
t_is "$(sum_lower)" "$before" "the lower tree is unchanged (checksum)"

# --- deletes ----------------------------------------------------------------
out=$(ovl -- 'rm victim && ls; test ! -e victim && echo hidden')
t_unlike "$out" "victim" "a deleted lower file disappears from listings"
t_like "$out" "hidden" "a deleted lower file is gone by name"
t_ok "deleting a lower file leaves a whiteout" is_whiteout "$W/upper/victim"
t_is "$(ovl -- 'ls victim 2>&1 >/dev/null | wc -l; ls')" "1
a
dir
file
link
tree" "the whiteout hides the file in the next session"

out=$(ovl -- 'rm -rf dir && mkdir dir && ls -A dir | wc -l && echo fresh > dir/f && ls dir')
t_is "$out" "0
f" "rm -rf of a lower folder and mkdir gives an empty folder"
t_ok "the re-created folder is opaque in the upper layer" opaque "$W/upper/dir"
t_is "$(ovl -- 'ls dir')" "f" "the opaque folder stays empty of lower files next time"

# --- renames ----------------------------------------------------------------
out=$(ovl -- 'mv tree moved && cat moved/deep/leaf && test ! -e tree && echo ok')
t_is "$out" "leaf
ok" "renaming a lower folder works"
t_ok "the old folder name is whited out" is_whiteout "$W/upper/tree"
out=$(ovl -- 'echo a > n1 && mkdir d1 && echo b > d1/x && mv n1 n2 && mv d1 d2 && cat n2 d2/x && ls | grep -c "^[nd][12]$"')
t_is "$out" "a
b
2" "renaming new files and folders works"
out=$(ovl -- 'echo over > o && mv o file && cat file')
t_is "$out" "over" "renaming over a lower file replaces it"

# --- folder renames and renameat2 -------------------------------------------
# renameat2 with flags, as mv does not give them: rn2 x|n OLD NEW prints ok
# or the error.
cat > "$W/rn2.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
flags = {"x": 2, "n": 1}[sys.argv[1]]  # RENAME_EXCHANGE, RENAME_NOREPLACE
r = libc.renameat2(-100, sys.argv[2].encode(), -100, sys.argv[3].encode(), flags)
print("ok" if r == 0 else os.strerror(ctypes.get_errno()))
PY
rn2="python3 '$W/rn2.py'"
fresh
mkdir -p "$W/lower/tree/deep/deeper" "$W/lower/tree/empty"
echo l2 > "$W/lower/tree/deep/deeper/l2"; ln -s leaf "$W/lower/tree/deep/sl"; echo gone > "$W/lower/tree/gone"
# A shell stays inside the folder while it moves: the kernel's nodes below
# it must follow.
trace=; command -v strace >/dev/null && trace="strace -f -e trace=renameat2,rename,renameat -o '$W/trace'"
out=$(ovl -- "rm tree/gone && echo new > tree/deep/new && cd tree/deep && $trace mv ../../tree ../../moved; cat leaf new deeper/l2 && readlink sl && pwd -P && cd '$W/mnt' && find moved | sort && test ! -e tree && ls")
t_is "$out" "leaf
new
l2
leaf
$W/mnt/moved/deep
moved
moved/deep
moved/deep/deeper
moved/deep/deeper/l2
moved/deep/leaf
moved/deep/new
moved/deep/sl
moved/empty
dir
file
link
moved
victim" "a lower folder with nested content moves whole; the old name is gone"
if [ -s "$W/trace" ]; then
  t_unlike "$(cat "$W/trace")" "EXDEV" "the folder moves with one rename, not mv's copy fallback"
else
  t_skip "strace is not installed"
fi
t_ok "the old folder name is whited out" is_whiteout "$W/upper/tree"
t_ok "the moved folder is opaque in the upper layer" opaque "$W/upper/moved"
t_is "$(cd "$W/upper/moved" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./deep ./deep/deeper ./deep/deeper/l2 ./deep/leaf ./deep/new ./deep/sl ./empty " \
  "the moved folder carries its whole content and no stale whiteout"
t_is "$(ovl -- 'cat moved/deep/deeper/l2; ls tree 2>&1 >/dev/null | wc -l')" "l2
1" "the move holds in the next session"
out=$(ovl -- "mv moved/deep dir/sub/ && mv dir tree && find tree | sort | tr '\n' ' '")
t_is "$out" "tree tree/inner tree/sub tree/sub/deep tree/sub/deep/deeper tree/sub/deep/deeper/l2 tree/sub/deep/leaf tree/sub/deep/new tree/sub/deep/sl tree/sub/s " \
  "a folder moves into a moved lower folder, and over the whiteout of a lower folder"
t_ok "a folder moved onto a deleted lower folder's name is opaque" opaque "$W/upper/tree"

fresh
mkdir -p "$W/lower/d2"; echo two > "$W/lower/d2/two"
out=$(ovl -- "$rn2 x file victim && cat file victim && $rn2 x dir d2 && ls dir d2 && cat dir/two d2/inner d2/sub/s && $rn2 x dir file && cat dir && ls file")
t_is "$out" "ok
gone
hello
ok
d2:
inner
sub

dir:
two
two
inner
sub
ok
gone
two" "RENAME_EXCHANGE swaps lower files, lower folders, and a folder with a file"
t_is "$(ovl -- 'cat dir file/two d2/inner victim')" "gone
two
inner
hello" "the exchanges hold in the next session"
out=$(ovl -- "$rn2 n d2 victim; $rn2 n d2 link; echo x > n1; $rn2 n n1 victim; $rn2 n n1 n2 && cat n2; $rn2 x n1 nothere")
t_is "$out" "File exists
File exists
File exists
ok
x
No such file or directory" "RENAME_NOREPLACE refuses an existing name (EEXIST) and moves onto a free one"

# --- listings while the folder changes ---------------------------------------
# One reader stops after a small getdents batch; files come and go and a
# second reader lists the folder from the start; the first reader resumes.
cat > "$W/resume.py" <<'PY'
import ctypes, os, sys
d = sys.argv[1]
for i in range(300): open(os.path.join(d, "f%03d" % i), "w").close()
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(1024)
def batch():
    n, pos, out = libc.syscall(217, fd, buf, 1024), 0, []  # getdents64
    while pos < n:
        reclen = int.from_bytes(buf.raw[pos + 16:pos + 18], "little")
        out.append(buf.raw[pos + 19:pos + reclen].split(b"\0")[0].decode())
        pos += reclen
    return out
seen = batch()
for i in range(40): open(os.path.join(d, "g%03d" % i), "w").close()
os.unlink(os.path.join(d, "f299"))
os.listdir(d)
while True:
    b = batch()
    if not b: break
    seen += b
kept = [n for n in seen if n.startswith("f") and n != "f299"]
print(len(kept), len(set(kept)))
PY
fresh
t_is "$(ovl -- "python3 '$W/resume.py' dir/sub")" "299 299" "a reader resuming in a changed folder gets every other entry exactly once"

# --- links ------------------------------------------------------------------
fresh
out=$(ovl -- 'ln file hard && echo more >> hard && cat file && stat -c "%h" file hard && test "$(stat -c %i file)" = "$(stat -c %i hard)" && echo same')
t_is "$out" "hello
more
2
2
same" "a hard link to a lower file shares data and inode"
# One file with several names is one node: it goes by another name when
# its own is removed or renamed, and names looked up apart in a later
# session share the kernel's inode (its cached size and pages).
out=$(ovl -- 'echo x > a && ln a b && rm a && cat b && echo more >> b && cat b && stat -c %h b')
t_is "$out" "x
x
more
1" "a hard link outlives the removal of the name it was made from"
out=$(ovl -- 'echo p > p && ln p q && mv q r && rm p && cat r && echo p2 >> r && cat r')
t_is "$out" "p
p
p2" "renaming one name of a file and removing the other keeps it reachable"
out=$(ovl -- "echo e > e1 && ln e1 e2 && echo f > f1 && $rn2 x e2 f1 && cat e1 e2 f1 && rm e1 && cat f1 && echo e3 >> f1 && cat f1")
t_is "$out" "ok
e
f
e
e
e
e3" "exchanging one name of a file with another file keeps both reachable by their new names"
ovl -- 'echo n > n1 && ln n1 n2' >/dev/null
out=$(ovl -- 'cat n1 n2 >/dev/null && echo third >> n2 && cat n1 && test "$(stat -c "%i %h %s" n1)" = "$(stat -c "%i %h %s" n2)" && echo same && rm n2 && echo fourth >> n1 && cat n1 && stat -c %h n1')
t_is "$out" "n
third
same
n
third
fourth
1" "upper hard links from an earlier session, looked up apart, show each other's writes"
out=$(ovl -- 'ln -s dir/inner sl && readlink sl && cat sl && ln -sf nowhere link && readlink link')
t_is "$out" "dir/inner
inner
nowhere" "symlinks are created, followed and replaced"

# --- attributes -------------------------------------------------------------
out=$(ovl -- 'chmod 640 file && stat -c %a file && truncate -s 2 dir/inner && stat -c %s dir/inner && head -c 2 dir/inner; echo')
t_is "$out" "640
2
in" "chmod and truncate work on lower files"
t_is "$(stat -c %a "$W/upper/file")" "640" "chmod is recorded in the upper layer"
# A listing or READLINK makes the kernel ask for the attributes again; the
# server answers lower folders and symlinks from what it found, and must
# stop once they are copied up. A merged folder's link count is 1, as
# kernel overlayfs gives it: its subfolders are spread over the layers.
fresh
lmode=$(stat -c %a "$W/lower/dir")
out=$(ovl -- 'ls dir >/dev/null; stat -c %a:%h dir; chmod 700 dir && mkdir dir/new2 && ls dir >/dev/null && stat -c %a:%h dir
readlink link; touch -h -d @1000000000 link && readlink link >/dev/null && stat -c %Y link')
t_is "$out" "$lmode:3
700:1
file
1000000000" "attributes asked again after a listing or readlink follow copy-up"
fresh
out=$(ovl -- "python3 -c 'import os; os.setxattr(\"dir/sub/s\", \"user.k\", b\"v\"); print(os.getxattr(\"dir/sub/s\", \"user.k\").decode(), [x for x in os.listxattr(\"dir/sub/s\")])'")
t_is "$out" "v ['user.k']" "user xattrs are set, read and listed"
t_is "$(ovl -- "python3 -c 'import os; print(os.listxattr(\".\"), os.listxattr(\"dir\"))'")" "[] []" "the union's own markers are not listed"
out=$(ovl -- "python3 -c '
import mmap
with open(\"victim\", \"r+b\") as f:
    m = mmap.mmap(f.fileno(), 0); m[0:4] = b\"GONE\"; m.flush(); m.close()
print(open(\"victim\").read().strip())'")
t_is "$out" "GONE" "writes through mmap reach the file"
t_is "$(cat "$W/lower/victim")" "gone" "mmap writes leave the lower file alone"

# --- squash_owner -------------------------------------------------------------
# A root-owned lower: a package's folder under /usr/share/doc.
pkg=
for d in /usr/share/doc/*/; do
  [ -f "$d/copyright" ] && [ "$(stat -c %u "$d")" = 0 ] && { pkg=$(basename "$d"); break; }
done
if [ -n "$pkg" ] && [ "$(id -u)" != 0 ]; then
  rm -rf "$W/upper" "$W/work"; mkdir -p "$W/upper" "$W/work"
  sq () { "$RUN" "$@" --upper "$W/upper" --work "$W/work" --lower /usr/share/doc "$W/mnt" sh -c "cd '$W/mnt/$pkg' && $SQ" 2>&1; }
  me="$(id -u) $(id -g)"
  t_is "$(SQ='stat -c "%u %g" . copyright' sq --squash)" "$me
$me" "squash_owner shows root-owned lower files as the sandbox user"
  t_is "$(SQ='stat -c %u copyright' sq --root --squash)" "0" "squash_owner with uid 0 in the sandbox shows them as root"
  t_is "$(SQ='echo mine > newfile && echo extra >> copyright && chmod 600 copyright && tail -n 1 copyright && cat newfile && stat -c %a copyright' sq --squash)" "extra
mine
600" "copy-up into a root-owned lower folder works with squash_owner"
  t_isnt "$(tail -n 1 "/usr/share/doc/$pkg/copyright")" "extra" "root-owned lower files are unchanged"
  rm -rf "$W/upper" "$W/work"; mkdir -p "$W/upper" "$W/work"
  t_is "$(SQ='stat -c %u copyright; { echo x > nope; } 2>/dev/null || echo refused' sq)" "65534
refused" "without squash_owner root-owned files show as nobody and refuse writes"
else
  t_skip "no root-owned folder under /usr/share/doc, or running as root"
  t_skip "squash_owner"; t_skip "squash_owner"; t_skip "squash_owner"; t_skip "squash_owner"
fi

# --- the fuse-overlayfs format, both ways -----------------------------------
if command -v fuse-overlayfs >/dev/null && command -v unshare >/dev/null; then
  fresh
  ovl -- 'echo changed > file && rm victim && rm -rf dir && mkdir dir && echo d > dir/d' >/dev/null
  out=$(unshare -Urm sh -c "fuse-overlayfs -o lowerdir='$W/lower',upperdir='$W/upper',workdir='$W/work' '$W/mnt' 2>/dev/null && cd '$W/mnt' && cat file && ls && ls dir" 2>&1)
  t_is "$out" "changed
dir
file
link
tree
d" "fuse-overlayfs reads an upper layer written by sbx"
  fo () { unshare -Urm sh -c "fuse-overlayfs -o lowerdir='$W/lower',upperdir='$W/upper',workdir='$W/work' '$W/mnt' 2>/dev/null && cd '$W/mnt' && $1" 2>&1; }
  fresh; mkdir -p "$W/lower/tree/more"; echo m > "$W/lower/tree/more/m"
  ovl -- "echo t > tree/t && rm tree/more/m && mv tree moved && mkdir tree && echo f > tree/f && $rn2 x dir file" >/dev/null
  out=$(fo 'find moved tree | sort | tr "\n" " "; cat moved/deep/leaf moved/t tree/f file/inner dir')
  t_is "$out" "moved moved/deep moved/deep/leaf moved/more moved/t tree tree/f leaf
t
f
inner
hello" "fuse-overlayfs reads folder renames and exchanges written by sbx"
  fresh
  unshare -Urm sh -c "fuse-overlayfs -o lowerdir='$W/lower',upperdir='$W/upper',workdir='$W/work' '$W/mnt' && cd '$W/mnt' && echo changed > file && rm victim && rm -rf dir && mkdir dir && echo d > dir/d" >/dev/null 2>&1
  out=$(ovl -- 'cat file && ls && ls dir')
  t_is "$out" "changed
dir
file
link
tree
d" "sbx reads an upper layer written by fuse-overlayfs"
else
  t_skip "fuse-overlayfs is not installed"; t_skip "fuse-overlayfs is not installed"
fi

# --- several lowers, and the read-only union --------------------------------
L=$W/layers
rm -rf "$L"; mkdir -p "$L/l1" "$L/l2/d" "$L/l3/d" "$L/l2/od" "$L/l3/od"
echo one > "$L/l1/a"; echo two > "$L/l2/a"; echo three > "$L/l3/a"; echo 3b > "$L/l3/b"; echo 2only > "$L/l2/two"
echo 3c > "$L/l3/c"; python3 -c 'import os, stat, sys; os.mknod(sys.argv[1], stat.S_IFCHR, 0)' "$L/l2/c"
echo 3w > "$L/l3/w"; : > "$L/l2/.wh.w"
echo 2d > "$L/l2/d/x2"; echo 3d > "$L/l3/d/x3"
echo 2o > "$L/l2/od/o2"; echo 3o > "$L/l3/od/o3"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.fuseoverlayfs.opaque", b"y")' "$L/l2/od"
lowers=(--lower "$L/l1" --lower "$L/l2" --lower "$L/l3")
view='cat a b && ls | tr "\n" " " && ls d od | tr "\n" " "'
rm -rf "$W/upper" "$W/work"; mkdir -p "$W/upper" "$W/work"
out=$("$RUN" --upper "$W/upper" --work "$W/work" "${lowers[@]}" "$W/mnt" sh -c "cd '$W/mnt' && $view")
t_is "$out" "one
3b
a b d od two d: x2 x3  od: o2 " "three lowers: the top wins, middle whiteouts (0/0 and .wh.) and opaque folders hide the bottom"
out=$("$RUN" --upper "$W/upper" --work "$W/work" "${lowers[@]}" "$W/mnt" sh -c "cd '$W/mnt' && rm two d/x3 && echo up >> b && ls | tr '\n' ' ' && ls d && cat b")
t_is "$out" "a b d od x2
3b
up" "three lowers: deletes and copy-up from the bottom layer"
t_is "$(cat "$W/upper/b"; is_whiteout "$W/upper/two" && is_whiteout "$W/upper/d/x3" && echo whiteouts)" "3b
up
whiteouts" "three lowers: the changes are in the upper layer"
if command -v fuse-overlayfs >/dev/null; then
  out=$(unshare -Urm sh -c "fuse-overlayfs -o lowerdir='$L/l1:$L/l2:$L/l3',upperdir='$W/upper',workdir='$W/work' '$W/mnt' 2>/dev/null && cd '$W/mnt' && $view" 2>&1)
  t_is "$out" "one
3b
up
a b d od d: x2  od: o2 " "fuse-overlayfs sees the same three-lower union"
else
  t_skip "fuse-overlayfs is not installed"
fi

before=$(cd "$L" && find . -printf '%p %y %s\n' | LC_ALL=C sort)
out=$("$RUN" "${lowers[@]}" "$W/mnt" sh -c "cd '$W/mnt' && $view; echo; { echo x > a; } 2>&1; { echo x >> b; } 2>&1; touch new 2>&1; rm a 2>&1; mkdir nd 2>&1; mv a z 2>&1; ln -s a sl 2>&1; chmod 600 a 2>&1; true")
t_is "$(echo "$out" | head -n 3)" "one
3b
a b d od two d: x2 x3  od: o2 " "a union with no upper reads the lowers"
t_is "$(echo "$out" | grep -c 'Read-only file system')" "8" "a union with no upper refuses every write with EROFS"
t_is "$(cd "$L" && find . -printf '%p %y %s\n' | LC_ALL=C sort)" "$before" "a union with no upper leaves the lowers untouched"
# Its superblock is read-only too (the kernel then leaves atimes alone, and
# asks for no attributes again after a listing); a writable one's is not.
sb_opts () { awk -v m="$W/mnt" '$5 == m { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 3); exit } }' /proc/self/mountinfo; }
out=$("$RUN" "${lowers[@]}" "$W/mnt" sh -c "$(declare -f sb_opts); W='$W'; sb_opts")
t_like "$out" "^ro," "a union with no upper has a read-only superblock"
out=$("$RUN" --upper "$W/upper" --work "$W/work" "${lowers[@]}" "$W/mnt" sh -c "$(declare -f sb_opts); W='$W'; sb_opts")
t_like "$out" "^rw," "a writable union's superblock is not read-only"

# --- override_stat ------------------------------------------------------------
fresh
setx () { python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' "$@"; }
setx "$W/lower" user.containers.override_stat 0:0:0755
setx "$W/lower/file" user.containers.override_stat 0:0:0600
setx "$W/lower/dir" user.containers.override_stat "$(id -u):$(id -g):0710"
out=$(ovl -- "stat -c '%u %a' file dir dir/inner && python3 -c 'import os; print(os.listxattr(\"file\"))'")
t_is "$out" "65534 600
$(id -u) 710
$(id -u) 644
[]" "user.containers.override_stat gives owner and mode (0 is unmapped here) and is not listed"

# --- .wh. whiteouts where mknod is refused ------------------------------------
# sbx's own seccomp refuses mknod (and setxattr, for the .wh..wh..opq
# marker) to the driver and so to the FUSE server it starts.
if [ -x "$SBX" ]; then
  fresh
  blocked () {
    "$SBX" --bind / / --dev-bind /dev /dev --seccomp.allow unshare,mount,fsopen,fsconfig,fsmount,move_mount \
      --seccomp.block mknod,mknodat,setxattr,fsetxattr,lsetxattr -- \
      "$RUN" --upper "$W/upper" --work "$W/work" --lower "$W/lower" "$W/mnt" sh -c "cd '$W/mnt' && $1" 2>&1
  }
  out=$(blocked 'rm victim && rm -rf dir && mkdir dir && echo f > dir/f && mv tree moved && ls | tr "\n" " " && ls -A dir moved')
  t_is "$out" "dir file link moved dir:
f

moved:
deep" "with mknod and setxattr refused, deletes, re-created folders and folder moves still work"
  t_is "$(cd "$W/upper" && find . -name '.wh.*' | LC_ALL=C sort | tr '\n' ' '; find . -type c | wc -l)" \
    "./.wh.tree ./.wh.victim ./dir/.wh..wh..opq ./moved/.wh..wh..opq ./moved/deep/.wh..wh..opq 0" "the upper layer has .wh. whiteout files and .wh..wh..opq markers, no devices"
  t_is "$(ovl -- 'ls | tr "\n" " " && ls -A dir moved')" "dir file link moved dir:
f

moved:
deep" "sbx reads the .wh. format in the next session"
  if command -v fuse-overlayfs >/dev/null; then
    out=$(unshare -Urm sh -c "fuse-overlayfs -o lowerdir='$W/lower',upperdir='$W/upper',workdir='$W/work' '$W/mnt' 2>/dev/null && cd '$W/mnt' && ls | tr '\n' ' ' && ls -A dir moved" 2>&1)
    t_is "$out" "dir file link moved dir:
f

moved:
deep" "fuse-overlayfs reads the .wh. format written by sbx"
  else
    t_skip "fuse-overlayfs is not installed"
  fi
else
  t_skip "sbx is not built"; t_skip "sbx is not built"; t_skip "sbx is not built"; t_skip "sbx is not built"
fi
# --- new names in an upper-only folder ------------------------------------------
# There the server makes the object without looking at the name first: a
# whiteout left by another tool, or a taken name, must still come out right.
fresh
mkdir "$W/upper/only"
for n in f d s l; do python3 -c 'import os, stat, sys; os.mknod(sys.argv[1], stat.S_IFCHR, 0)' "$W/upper/only/$n"; done
echo taken > "$W/upper/only/taken"
out=$(ovl -- 'echo new > only/f && mkdir only/d && ln -s f only/s && ln only/f only/l && cat only/f only/l && readlink only/s && ls only/d | wc -l
  (set -C; : > only/taken) 2>/dev/null || echo refused; mkdir only/taken 2>/dev/null || echo refused; cat only/taken; ls only | tr "\n" " "')
t_is "$out" "new
new
f
0
refused
refused
taken
d f l s taken " "an upper-only folder: new files, folders and links replace whiteouts there, taken names are refused"
t_is "$(stat -c %F "$W/upper/only/f" "$W/upper/only/d" "$W/upper/only/s" "$W/upper/only/l" | tr '\n' ' ')" \
  "regular file directory symbolic link regular file " "the whiteouts are replaced in the upper layer"

# --- lifetime ---------------------------------------------------------------
fresh
ovl --pidfile "$W/pid" -- 'true'
pid=$(cat "$W/pid")
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
t_fails "the server exits with the command" kill -0 "$pid"

# The server's own mount namespace is copied before the union is attached:
# a copy holding it would keep the mount (and every inode the sandbox used)
# alive after the sandbox, to be torn down in the server's exit.
fresh
out=$(ovl --pidfile "$W/pid" -- "grep -c ' fuse.sbx-overlay ' /proc/self/mountinfo; grep -c ' fuse.sbx-overlay ' /proc/\$(cat '$W/pid')/mountinfo")
t_is "$out" "1
0" "the union is mounted in the sandbox, not in the server's own namespace"

rm -f "$W/pid"
"$RUN" --pidfile "$W/pid" --upper "$W/upper" --work "$W/work" --lower "$W/lower" "$W/mnt" sleep 60 &
driver=$!
for _ in $(seq 50); do [ -s "$W/pid" ] && break; sleep 0.1; done
pid=$(cat "$W/pid" 2>/dev/null)
ns=$(readlink "/proc/$driver/ns/mnt")
kill -KILL "$driver"; wait "$driver" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
t_fails "SIGKILL of the sandbox leaves no server process" kill -0 "$pid"
left=$(for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "$p"; done)
t_is "$left" "" "SIGKILL leaves no process, hence no mount, in the sandbox's namespace"
t_is "$(grep -c sbx-overlay /proc/self/mountinfo)" "0" "nothing is mounted on the host"

# --- bad input --------------------------------------------------------------
out=$("$RUN" --upper "$W/upper" --lower "$W/missing" "$W/mnt" true 2>&1); rc=$?
t_is "$rc" "125" "a missing lower layer fails with 125"
t_like "$out" "^sbx: overlay lower layer: .*/missing: No such file or directory$" "the message names the missing layer"
out=$(unshare -Urm sh -c "mount -t tmpfs none /dev && exec '$RUN' --upper '$W/upper' --lower '$W/lower' '$W/mnt' true" 2>&1); rc=$?
t_is "$rc" "125" "no /dev/fuse fails with 125"
t_like "$out" "^sbx: FUSE overlay: /dev/fuse: No such file or directory: .*0666.*--overlay-backend kernel" "the message names /dev/fuse and the fix"

t_done
