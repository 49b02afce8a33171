# Builds small container images for the image tests, from files it creates,
# with only tar, gzip and sha256sum. Source it for the functions, or run
#   sh tests/image-build.sh DIR
# to get DIR/oci (an OCI image layout), DIR/docker-legacy.tar (old docker
# save format) and DIR/docker-oci.tar (docker 25 / podman save format).

# Deterministic archives: same input, same digests.
IMG_TAR_OPTS='--format=pax --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime'

img_sha () { sha256sum "$1" | cut -d' ' -f1; }

# img_tar DIR OUT: the contents of DIR as a layer tar (names start "./").
img_tar () {
  # shellcheck disable=SC2086
  tar $IMG_TAR_OPTS -C "$1" -cf "$2" .
}

# img_layout DIR CONFIG LAYER...: an OCI image layout in DIR. CONFIG is the
# JSON text of the config's "config" object; each LAYER a .tar or .tar.gz.
# Sets IMG_CONFIG (hex), IMG_MANIFEST (hex), IMG_LAYERS and IMG_DIFFS
# (space-separated hexes, bottom first).
img_layout () {
  local dir=$1 cfg=$2 l h size mt diff sep='' descs='' diffs=''
  shift 2
  mkdir -p "$dir/blobs/sha256"
  IMG_LAYERS='' IMG_DIFFS=''
  for l in "$@"; do
    h=$(img_sha "$l"); size=$(stat -c %s "$l")
    cp "$l" "$dir/blobs/sha256/$h"
    case $l in
      *.gz) mt=application/vnd.oci.image.layer.v1.tar+gzip
            diff=$(gzip -dc "$l" | sha256sum | cut -d' ' -f1) ;;
      *) mt=application/vnd.oci.image.layer.v1.tar; diff=$h ;;
    esac
    descs="$descs$sep{\"mediaType\":\"$mt\",\"digest\":\"sha256:$h\",\"size\":$size}"
    diffs="$diffs$sep\"sha256:$diff\""
    IMG_LAYERS="$IMG_LAYERS${sep:+ }$h" IMG_DIFFS="$IMG_DIFFS${sep:+ }$diff"
    sep=,
  done
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$cfg" "$diffs" > "$dir/config.tmp"
  IMG_CONFIG=$(img_sha "$dir/config.tmp")
  local csize; csize=$(stat -c %s "$dir/config.tmp")
  mv "$dir/config.tmp" "$dir/blobs/sha256/$IMG_CONFIG"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$IMG_CONFIG" "$csize" "$descs" > "$dir/manifest.tmp"
  IMG_MANIFEST=$(img_sha "$dir/manifest.tmp")
  local msize; msize=$(stat -c %s "$dir/manifest.tmp")
  mv "$dir/manifest.tmp" "$dir/blobs/sha256/$IMG_MANIFEST"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}\n' \
    "$IMG_MANIFEST" "$msize" > "$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}\n' > "$dir/oci-layout"
}

# img_docker_legacy OCIDIR OUT: OCIDIR (made by img_layout, variables still
# set) as an old-style docker save tarball: HEX.json config, N/layer.tar
# uncompressed layers.
img_docker_legacy () {
  local oci=$1 out=$2 work n=0 h layers='' sep=''
  work=$(mktemp -d "${TMPDIR:-/tmp}/img-docker.XXXXXX")
  cp "$oci/blobs/sha256/$IMG_CONFIG" "$work/$IMG_CONFIG.json"
  for h in $IMG_LAYERS; do
    n=$((n + 1)); mkdir "$work/$n"
    if [ "$(head -c2 "$oci/blobs/sha256/$h" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
      gzip -dc "$oci/blobs/sha256/$h" > "$work/$n/layer.tar"
    else
      cp "$oci/blobs/sha256/$h" "$work/$n/layer.tar"
    fi
    layers="$layers$sep\"$n/layer.tar\""; sep=,
  done
  printf '[{"Config":"%s.json","RepoTags":["sbx-test:latest"],"Layers":[%s]}]\n' "$IMG_CONFIG" "$layers" > "$work/manifest.json"
  # shellcheck disable=SC2086
  tar $IMG_TAR_OPTS -C "$work" -cf "$out" .
  rm -rf "$work"
}

# img_docker_oci OCIDIR OUT: the docker 25 / podman form: the OCI layout
# plus a manifest.json naming blobs/sha256/HEX.
img_docker_oci () {
  local oci=$1 out=$2 work h layers='' sep=''
  work=$(mktemp -d "${TMPDIR:-/tmp}/img-docker.XXXXXX")
  cp -r "$oci/." "$work/"
  for h in $IMG_LAYERS; do layers="$layers$sep\"blobs/sha256/$h\""; sep=,; done
  printf '[{"Config":"blobs/sha256/%s","RepoTags":["sbx-test:latest"],"Layers":[%s]}]\n' "$IMG_CONFIG" "$layers" > "$work/manifest.json"
  # shellcheck disable=SC2086
  tar $IMG_TAR_OPTS -C "$work" -cf "$out" .
  rm -rf "$work"
}

IMG_TEST_CONFIG='{"Entrypoint":["/bin/tool","--flag"],"Cmd":["run","a b"],"Env":["PATH=/usr/bin:/bin","GREETING=hello world"],"WorkingDir":"/work","User":"1000:1000"}'

# img_build_test DIR: the test image. Layer 1 (plain tar): files, a
# symlink, a hard link, a fifo, a folder to be made opaque. Layer 2
# (gzip): deletes etc/gone (whiteout), makes opq opaque with a new file,
# adds etc/added.
img_build_test () {
  local dir=$1
  mkdir -p "$dir/l1/etc" "$dir/l1/bin" "$dir/l1/opq/sub" "$dir/l2/etc" "$dir/l2/opq"
  echo 'hello from layer 1' > "$dir/l1/etc/hello"
  echo 'to be deleted' > "$dir/l1/etc/gone"
  echo 'old opaque content' > "$dir/l1/opq/old"
  echo 'old sub content' > "$dir/l1/opq/sub/deep"
  printf '#!/bin/sh\necho tool\n' > "$dir/l1/bin/tool"
  chmod 755 "$dir/l1/bin/tool"
  chmod 4755 "$dir/l1/bin/tool" 2>/dev/null || true
  ln -s etc/hello "$dir/l1/link"
  ln "$dir/l1/etc/hello" "$dir/l1/etc/hello-hard"
  mkfifo "$dir/l1/fifo"
  : > "$dir/l2/etc/.wh.gone"
  : > "$dir/l2/opq/.wh..wh..opq"
  echo 'new opaque content' > "$dir/l2/opq/new"
  echo 'added in layer 2' > "$dir/l2/etc/added"
  img_tar "$dir/l1" "$dir/layer1.tar"
  img_tar "$dir/l2" "$dir/layer2.tar"
  gzip -n -9 < "$dir/layer2.tar" > "$dir/layer2.tar.gz"
  img_layout "$dir/oci" "$IMG_TEST_CONFIG" "$dir/layer1.tar" "$dir/layer2.tar.gz"
  img_docker_legacy "$dir/oci" "$dir/docker-legacy.tar"
  img_docker_oci "$dir/oci" "$dir/docker-oci.tar"
}

if [ "${0##*/}" = image-build.sh ] && [ $# -eq 1 ]; then
  set -eu
  img_build_test "$1"
fi
