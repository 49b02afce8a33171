#!/bin/bash
# The image loader behind --image, through its test driver (image-load):
# an OCI layout and docker save tarballs built here from files the test
# creates; layer contents, whiteouts and opaque folders in overlayfs's
# format, digest checks, the config, the cache (reused, never partial),
# and every kind of bad image refused with one line and nothing written
# outside the cache.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/image-build.sh"

LOAD=${IMAGE_LOAD:-$(dirname "${PROBE:-$TOP_SRCDIR/tests/probe}")/image-load}
for tool in tar gzip sha256sum; do
  if ! command -v "$tool" >/dev/null; then t_skip "$tool is not installed"; t_done; fi
done
if [ ! -x "$LOAD" ]; then t_skip "no test driver at $LOAD (make check builds it)"; t_done; fi

one_line () { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && case "$1" in "sbx: "*) true ;; *) false ;; esac; }
# load CACHE IMAGE: run the driver with XDG_CACHE_HOME=CACHE; sets T_RC, T_OUT, T_ERR.
load () {
  T_OUT=$(XDG_CACHE_HOME=$1 "$LOAD" "$2" 2>"$T_TMP/.stderr"); T_RC=$?
  T_ERR=$(cat "$T_TMP/.stderr")
}
layer () { printf '%s\n' "$T_OUT" | sed -n "s/^layer $1: //p"; }
tree () { "$LOAD" --tree "$1" | LC_ALL=C sort; }
# no_partial CACHE: the cache holds no temporary folder and only complete layers.
no_partial () {
  local d
  for d in "$1"/sbx/layers/* "$1"/sbx/layers/.[!.]*; do
    [ -e "$d" ] || continue
    [ -f "$d/complete" ] || { echo "partial: $d"; return 1; }
  done
}
n_layers () { find "$1/sbx/layers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

B=$T_TMP/build
mkdir -p "$B"
img_build_test "$B" >/dev/null 2>&1
OCI_L1=${IMG_LAYERS%% *} OCI_L2=${IMG_LAYERS##* } DIFF_L2=${IMG_DIFFS##* } OCI_CONFIG=$IMG_CONFIG

# --- an OCI layout ---------------------------------------------------------

C=$T_TMP/cache
load "$C" "$B/oci"
t_is "$T_RC" 0 "OCI layout: loads (exit 0)" 
t_like "$T_OUT" "^layers: 2$" "... two layers"
L0=$(layer 0) L1=$(layer 1) FIRST=$T_OUT
t_is "$L0" "$C/sbx/layers/$OCI_L1/rootfs" "... the bottom layer is unpacked under layers/<its digest>"
t_is "$L1" "$C/sbx/layers/$OCI_L2/rootfs" "... and so is the top (gzip) layer"
t_is "$(cat "$L0/etc/hello" 2>&1)" "hello from layer 1" "layer 1: file contents"
t_is "$(stat -c %a "$L0/bin/tool")" 755 "layer 1: mode kept, setuid bit dropped"
t_is "$(readlink "$L0/link")" "etc/hello" "layer 1: symlink kept as is"
t_is "$(stat -c %i "$L0/etc/hello-hard")" "$(stat -c %i "$L0/etc/hello")" "layer 1: hard link is a hard link"
t_is "$(stat -c %F "$L0/fifo")" "fifo" "layer 1: fifo"
t_like "$(tree "$L1")" "^c etc/gone 0,0$" "layer 2: .wh.gone became a 0/0 character device (overlayfs whiteout)"
[ ! -e "$L1/etc/.wh.gone" ]; t_result $? "... and the .wh.gone marker is not kept"
t_like "$(tree "$L1")" "^d opq overlay.opaque=y fuseoverlayfs.opaque=y$" \
  "layer 2: .wh..wh..opq became user.overlay.opaque and user.fuseoverlayfs.opaque"
[ ! -e "$L1/opq/.wh..wh..opq" ]; t_result $? "... and the opaque marker file is not kept"
t_is "$(cat "$L1/opq/new" 2>&1)" "new opaque content" "layer 2: file in the opaque folder"
t_is "$(cat "$(dirname "$L1")/complete")" "sbx layer 1
whiteouts=chardev
opaque=xattr" "the stamp names the whiteout and opaque forms used"
t_is "$(printf '%s\n' "$T_OUT" | sed -n 's/^entrypoint: //p')" "[/bin/tool] [--flag]" "config: Entrypoint"
t_is "$(printf '%s\n' "$T_OUT" | sed -n 's/^cmd: //p')" "[run] [a b]" "config: Cmd"
t_is "$(printf '%s\n' "$T_OUT" | sed -n 's/^env: //p')" "[PATH=/usr/bin:/bin] [GREETING=hello world]" "config: Env"
t_is "$(printf '%s\n' "$T_OUT" | sed -n 's/^workdir: //p')" "/work" "config: WorkingDir"
t_is "$(printf '%s\n' "$T_OUT" | sed -n 's/^user: //p')" "1000:1000" "config: User"
no_partial "$C"; t_result $? "the cache holds complete layers only"

# --- what the overlay backends make of the layers ------------------------------

# merged BACKEND: the union of the two layers, as a sorted listing, mounted
# in a user namespace by kernel overlayfs (userxattr) or fuse-overlayfs.
merged () {
  local m=$T_TMP/merged-$1
  mkdir -p "$m"
  case $1 in
    kernel) unshare -Urm sh -c 'mount -t overlay overlay -o "userxattr,lowerdir=$2:$3" "$1" && cd "$1" && find . | LC_ALL=C sort' \
              sh "$m" "$L1" "$L0" 2>&1 ;;
    fuse) unshare -Urm sh -c 'fuse-overlayfs -o "lowerdir=$2:$3" "$1" 2>/dev/null && (cd "$1" && find . | LC_ALL=C sort); fusermount3 -u "$1"' \
            sh "$m" "$L1" "$L0" 2>&1 ;;
  esac
}
EXPECTED_MERGED='.
./bin
./bin/tool
./etc
./etc/added
./etc/hello
./etc/hello-hard
./fifo
./link
./opq
./opq/new'
if ! command -v unshare >/dev/null || ! unshare -Urm true 2>/dev/null; then
  t_skip "no unprivileged user namespaces (unshare -Urm)"
else
  t_is "$(merged kernel)" "$EXPECTED_MERGED" "kernel overlayfs (userxattr) over the layers: whiteout hides etc/gone, opq is opaque"
fi
if ! command -v fuse-overlayfs >/dev/null || ! command -v fusermount3 >/dev/null; then
  t_skip "fuse-overlayfs is not installed"
elif [ ! -w /dev/fuse ]; then
  t_skip "/dev/fuse is not usable"
else
  t_is "$(merged fuse)" "$EXPECTED_MERGED" "fuse-overlayfs over the layers: the same view"
fi

# --- an index with several platforms ------------------------------------------------

case $(uname -m) in
  x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; i?86) arch=386 ;; armv*) arch=arm ;;
  ppc64le) arch=ppc64le ;; s390x) arch=s390x ;; riscv64) arch=riscv64 ;; *) arch=unknown ;;
esac
msize=$(stat -c %s "$B/oci/blobs/sha256/$IMG_MANIFEST")
multi () {  # multi DIR ARCH: the test image behind an index for another platform and ARCH
  rm -rf "$1"; cp -r "$B/oci" "$1"
  printf '{"schemaVersion":2,"manifests":[%s,%s]}\n' \
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$(printf '0%.0s' $(seq 64))\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"other\"}}" \
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$IMG_MANIFEST\",\"size\":$msize,\"platform\":{\"os\":\"linux\",\"architecture\":\"$2\"}}" \
    > "$1/index.json"
}
multi "$T_TMP/multi" "$arch"
load "$C" "$T_TMP/multi"
t_is "$T_RC:$(layer 1)" "0:$L1" "an index for two platforms: the manifest for linux/$arch is used"
multi "$T_TMP/multi-none" other2
load "$C" "$T_TMP/multi-none"
t_like "$T_RC $T_ERR" "^125 sbx: read image: .*: index has 2 manifests and none for linux/$arch$" \
  "... and with none for this host: exit 125, says so"

# --- the cache is reused --------------------------------------------------------

before=$(stat -c '%i %Y' "$L0" "$L1" "$L0/etc/hello" "$(dirname "$L1")/complete")
sleep 1
load "$C" "$B/oci"
t_is "$T_OUT" "$FIRST" "second load: same layers and config"
t_is "$(stat -c '%i %Y' "$L0" "$L1" "$L0/etc/hello" "$(dirname "$L1")/complete")" "$before" \
  "second load: the cached layers are reused (same inodes, mtimes unchanged)"

# --- docker save tarballs ----------------------------------------------------------

load "$C" "$B/docker-legacy.tar"
t_is "$T_RC" 0 "docker save (legacy) tarball: loads"
t_is "$(layer 0)" "$L0" "... its uncompressed layer 1 shares the OCI layout's cache entry"
t_is "$(layer 1)" "$C/sbx/layers/$DIFF_L2/rootfs" "... its layer 2 is cached under its diff_id"
t_is "$(tree "$(layer 1)")" "$(tree "$L1")" "... with the same tree as the gzip layer"
t_like "$T_OUT" "^entrypoint: \[/bin/tool\] \[--flag\]$" "... and the same config"
C2=$T_TMP/cache2
load "$C2" "$B/docker-oci.tar"
t_is "$T_RC" 0 "docker 25 / podman save tarball (OCI blobs): loads"
t_is "$(layer 1)" "$C2/sbx/layers/$OCI_L2/rootfs" "... layer 2 cached under its blob digest"
t_is "$(tree "$(layer 1)")" "$(tree "$L1")" "... same tree"

# --- long names: pax headers, GNU long names, ustar prefixes -----------------------

seg=$(printf 'n%.0s' $(seq 90))
long="$seg/$seg/$seg/$seg"
mkdir -p "$T_TMP/long/$long"
echo deep > "$T_TMP/long/$long/file-with-a-long-name"
ln -s "$long/file-with-a-long-name" "$T_TMP/long/$seg-link"
for fmt in pax gnu; do
  tar --format=$fmt -C "$T_TMP/long" -cf "$T_TMP/long-$fmt.tar" .
  img_layout "$T_TMP/longimg-$fmt" '{}' "$T_TMP/long-$fmt.tar"
  load "$T_TMP/cache-long-$fmt" "$T_TMP/longimg-$fmt"
  t_is "$(cat "$(layer 0)/$long/file-with-a-long-name" 2>&1)" deep "$fmt tar: a 380-character name"
  t_is "$(readlink "$(layer 0)/$seg-link" 2>&1)" "$long/file-with-a-long-name" "$fmt tar: a long symlink target"
done
mkdir -p "$T_TMP/ustar/$seg/$seg"
echo split > "$T_TMP/ustar/$seg/$seg/file"
tar --format=ustar -C "$T_TMP/ustar" -cf "$T_TMP/ustar.tar" .
img_layout "$T_TMP/ustarimg" '{}' "$T_TMP/ustar.tar"
load "$T_TMP/cache-ustar" "$T_TMP/ustarimg"
t_is "$(cat "$(layer 0)/$seg/$seg/file" 2>&1)" split "ustar tar: a name split into prefix and name"

# --- leftovers of a killed unpack ------------------------------------------------

# An sbx killed while unpacking leaves an unlocked temporary folder; the
# next unpack removes it, but never one that a live sbx holds locked.
C3=$T_TMP/cache3
mkdir -p "$C3/sbx/layers/.tmp-dead-abc123/rootfs/etc" "$C3/sbx/layers/.tmp-busy-abc123/rootfs"
touch -d '2 hours ago' "$C3/sbx/layers/.tmp-dead-abc123" "$C3/sbx/layers/.tmp-busy-abc123"
if command -v flock >/dev/null; then
  (exec 9<"$C3/sbx/layers/.tmp-busy-abc123" && flock -x 9 && exec sleep 30) & holder=$!
  sleep 0.5
  load "$C3" "$B/oci"
  t_is "$T_RC" 0 "a cache with leftovers: loads"
  [ ! -e "$C3/sbx/layers/.tmp-dead-abc123" ]; t_result $? "... an unlocked stale temporary folder is removed"
  [ -d "$C3/sbx/layers/.tmp-busy-abc123" ]; t_result $? "... a locked one (an sbx still unpacking) is kept"
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
else
  t_skip "flock(1) is not installed"
fi

# An sbx killed in the middle of a layer: a gzip that hands over the start
# of the layer and then hangs holds the unpack there.
C4=$T_TMP/cache4
mkdir -p "$T_TMP/fakebin"
cat > "$T_TMP/fakebin/gzip" <<'FAKE'
#!/bin/sh
echo $$ > "$FAKE_GZIP_PID"
head -c 10240 "$FAKE_GZIP_OUT"
exec sleep 120
FAKE
chmod +x "$T_TMP/fakebin/gzip"
FAKE_GZIP_PID=$T_TMP/fakegzip.pid FAKE_GZIP_OUT=$B/layer2.tar PATH=$T_TMP/fakebin:$PATH \
  XDG_CACHE_HOME=$C4 "$LOAD" "$B/oci" >/dev/null 2>&1 & loader=$!
for _ in $(seq 200); do
  ls -d "$C4"/sbx/layers/.tmp-"$OCI_L2"-*/rootfs/etc >/dev/null 2>&1 && break
  sleep 0.1
done
ls -d "$C4"/sbx/layers/.tmp-"$OCI_L2"-*/rootfs/etc >/dev/null 2>&1; t_result $? "killed mid-layer: the unpack had started"
kill -KILL "$loader"; wait "$loader" 2>/dev/null
[ -s "$T_TMP/fakegzip.pid" ] && kill "$(cat "$T_TMP/fakegzip.pid")" 2>/dev/null
[ ! -e "$C4/sbx/layers/$OCI_L2" ]; t_result $? "... the half-unpacked layer never got its cache name"
touch -d '2 hours ago' "$C4"/sbx/layers/.tmp-"$OCI_L2"-*
load "$C4" "$B/oci"
t_is "$T_RC:$(layer 1)" "0:$C4/sbx/layers/$OCI_L2/rootfs" "... the next load unpacks it afresh"
t_is "$(tree "$(layer 1)")" "$(tree "$L1")" "... complete"
no_partial "$C4"; t_result $? "... and removes the leftover"

# --- bad images ------------------------------------------------------------------

# bad NAME DESCRIPTION REGEX IMAGE: loading IMAGE into a fresh cache fails
# with one line matching REGEX, exit 125, and leaves no partial layer.
bad () {
  local cache=$T_TMP/bad-$1
  load "$cache" "$4"
  t_is "$T_RC" 125 "$2: exit 125"
  one_line "$T_ERR"; t_result $? "... one line starting 'sbx: '" "$T_ERR"
  t_like "$T_ERR" "$3" "... says why"
  no_partial "$cache"; t_result $? "... nothing partial left in the cache"
}
copy_oci () { rm -rf "$1"; cp -r "$B/oci" "$1"; }

copy_oci "$T_TMP/flip"
f=$T_TMP/flip/blobs/sha256/$OCI_L1
printf 'X' | dd of="$f" bs=1 seek=600 conv=notrunc 2>/dev/null
bad flip "a flipped byte in a layer" "sha256:$OCI_L1: digest mismatch" "$T_TMP/flip"
t_is "$(n_layers "$T_TMP/bad-flip")" 0 "... and that layer is not in the cache"

copy_oci "$T_TMP/flipcfg"
f=$T_TMP/flipcfg/blobs/sha256/$OCI_CONFIG
sed -i 's/1000:1000/0000:1000/' "$f"
bad flipcfg "a changed config" "config: digest mismatch" "$T_TMP/flipcfg"

copy_oci "$T_TMP/missing"
rm "$T_TMP/missing/blobs/sha256/$OCI_L2"
bad missing "a missing layer blob" "layer 2: blob sha256:$OCI_L2 is missing" "$T_TMP/missing"

copy_oci "$T_TMP/badjson"
printf '{"schemaVersion":2,"manifests":[' > "$T_TMP/badjson/index.json"
bad badjson "a truncated index.json" "index.json: bad JSON" "$T_TMP/badjson"

copy_oci "$T_TMP/nolayout"
rm "$T_TMP/nolayout/oci-layout"
bad nolayout "a folder without oci-layout" "oci-layout is missing" "$T_TMP/nolayout"

bad notimage "a tarball that is no image" "neither manifest.json nor index.json" "$B/layer1.tar"

head -c 3000 "$B/docker-legacy.tar" > "$T_TMP/trunc-docker.tar"
bad truncdocker "a truncated docker tarball" "truncated archive" "$T_TMP/trunc-docker.tar"

# A layer whose digest is right but whose tar is cut short.
mkdir -p "$T_TMP/big"
head -c 20000 /dev/zero > "$T_TMP/big/file"
img_tar "$T_TMP/big" "$T_TMP/big.tar"
head -c 6000 "$T_TMP/big.tar" > "$T_TMP/trunc.tar"
img_layout "$T_TMP/trunc" '{}' "$T_TMP/trunc.tar"
bad trunc "a truncated layer tar" "truncated" "$T_TMP/trunc"

# Garbage under a gzip media type (digest right).
head -c 2000 /dev/urandom > "$T_TMP/garbage.tar.gz"
img_layout "$T_TMP/garbage" '{}' "$T_TMP/garbage.tar.gz" 2>/dev/null
bad garbage "a gzip layer that is not gzip" "corrupt gzip data" "$T_TMP/garbage"

# A layer escaping with '..': a good entry first, so the unpacking has
# started when it is refused.
mkdir -p "$T_TMP/dots/a/b/c/d/e"
echo good > "$T_TMP/dots/a/b/c/d/e/first"
echo evil > "$T_TMP/dots/escaped"
(cd "$T_TMP/dots/a/b/c/d/e" && tar --format=pax -P -cf "$T_TMP/dots.tar" first ../../../../../escaped)
rm "$T_TMP/dots/escaped"
img_layout "$T_TMP/dotimg" '{}' "$T_TMP/dots.tar"
before=$(t_snapshot "$T_TMP")
bad dots "a layer with a '..' entry" "'\.\./\.\./\.\./\.\./\.\./escaped': '\.\.' component" "$T_TMP/dotimg"
t_is "$(n_layers "$T_TMP/bad-dots")" 0 "... the cache is left empty"
after=$(t_snapshot "$T_TMP" | grep -v '^\./bad-dots\|^\./\.stderr')
t_is "$after" "$(printf '%s\n' "$before" | grep -v '^\./\.stderr')" "... and nothing was written outside the cache"

echo abs > "$T_TMP/abs-target"
(cd "$T_TMP" && tar --format=pax -P -cf "$T_TMP/abs.tar" "$T_TMP/abs-target")
rm "$T_TMP/abs-target"
img_layout "$T_TMP/absimg" '{}' "$T_TMP/abs.tar"
bad abs "a layer with an absolute path" "absolute path" "$T_TMP/absimg"
[ ! -e "$T_TMP/abs-target" ]; t_result $? "... and the absolute path was not created"

# A symlink to a folder outside, then a file through it.
mkdir -p "$T_TMP/sl/real" "$T_TMP/outside"
ln -s "$T_TMP/outside" "$T_TMP/sl/evil"
echo through > "$T_TMP/sl/real/file"
tar --format=pax -C "$T_TMP/sl" --transform 's,^real,evil,' -cf "$T_TMP/sl.tar" evil real/file
img_layout "$T_TMP/slimg" '{}' "$T_TMP/sl.tar"
bad symlink "a layer writing through its own symlink" "evil/file: goes through a symlink" "$T_TMP/slimg"
t_is "$(ls -A "$T_TMP/outside")" "" "... and nothing was written where the symlink points"

# A hard link to a file outside the layer.
echo secret > "$T_TMP/hl-secret"
mkdir -p "$T_TMP/hl"
ln "$T_TMP/hl-secret" "$T_TMP/hl/link"
(cd "$T_TMP/hl" && tar --format=pax -P -cf "$T_TMP/hl3.tar" ../hl-secret link &&
  tar -P --delete -f "$T_TMP/hl3.tar" ../hl-secret)
img_layout "$T_TMP/hlimg" '{}' "$T_TMP/hl3.tar"
bad hardlink "a layer hard-linking outside itself" "link.*'\.\.' component" "$T_TMP/hlimg"
t_is "$(stat -c %h "$T_TMP/hl-secret")" 2 "... and the outside file got no new link"

t_done
