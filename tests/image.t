#!/bin/bash
# --image: a two-layer OCI image built here (busybox in layer 1; a
# whiteout, an opaque folder and a new file in layer 2) run as the root,
# with its Entrypoint, Cmd, Env and WorkingDir; --cow over it; bad images.
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/image-build.sh"

T=$T_TMP
BUSYBOX=$(command -v busybox || true)
for tool in tar gzip sha256sum; do
  command -v "$tool" >/dev/null || { t_skip "$tool is not installed"; t_done; }
done
[ -n "$BUSYBOX" ] || { t_skip "busybox is not installed"; t_done; }
export XDG_CACHE_HOME=$T/cache

L1=$T/l1 L2=$T/l2
mkdir -p "$L1/bin" "$L1/etc" "$L1/opq" "$L1/work" "$L2/etc" "$L2/opq"
cp "$BUSYBOX" "$L1/bin/busybox"
for lib in $(ldd "$BUSYBOX" 2>/dev/null | grep -oE '/[^ ]+'); do
  mkdir -p "$L1$(dirname "$lib")"
  cp -L "$lib" "$L1$lib"
done
for applet in sh cat ls echo pwd env id rm; do ln -s busybox "$L1/bin/$applet"; done
echo 'hello from layer 1' >"$L1/etc/hello"
echo 'to be deleted' >"$L1/etc/gone"
echo 'old' >"$L1/opq/old"
: >"$L2/etc/.wh.gone"
: >"$L2/opq/.wh..wh..opq"
echo 'new' >"$L2/opq/new"
echo 'added in layer 2' >"$L2/etc/added"
img_tar "$L1" "$T/layer1.tar"
img_tar "$L2" "$T/layer2.tar"
gzip -n <"$T/layer2.tar" >"$T/layer2.tar.gz"
img_layout "$T/oci" '{"Entrypoint":["/bin/sh","-c"],"Cmd":["cat /etc/hello; pwd; echo $GREETING"],"Env":["PATH=/bin","GREETING=hi there"],"WorkingDir":"/work"}' \
  "$T/layer1.tar" "$T/layer2.tar.gz"

sbx_status --image "$T/oci"
t_is "$T_RC:$T_OUT" "0:$(printf 'hello from layer 1\n/work\nhi there')" \
  "--image: Entrypoint and Cmd run in the image, in its WorkingDir, with its Env"
sbx_status --image "$T/oci" /bin/sh -c 'ls /opq; test -e /etc/gone || echo gone; cat /etc/added'
t_is "$T_OUT" "$(printf 'new\ngone\nadded in layer 2')" "--image: layer 2's whiteout and opaque folder apply"
sbx_status --image "$T/oci" --setenv GREETING changed /bin/sh -c 'echo $GREETING'
t_is "$T_OUT" "changed" "--image: --setenv wins over the image's Env"
sbx_status --image "$T/oci" /bin/sh -c 'echo x > /etc/new'
t_isnt "$T_RC" 0 "--image alone: the root is read-only"
sbx_status --image "$T/oci" --cow "$T/cow" /bin/sh -c 'echo x > /etc/new && rm /etc/hello && cat /etc/new'
t_is "$T_RC:$T_OUT" "0:x" "--image --cow: the root is writable"
[ -f "$T/cow/upper/etc/new" ]; t_result $? "... the writes are in DIR/upper"
sbx_status --image "$T/oci" /bin/cat /etc/hello
t_is "$T_OUT" "hello from layer 1" "... and the image is unchanged"
sbx_status --image "$T/oci" --dry-run
t_like "$T_OUT" "ro-overlay lower=$XDG_CACHE_HOME/sbx/layers/[0-9a-f]+/rootfs:" "--dry-run shows the layers as the root overlay"

# Bad images: exit 125, one line.
mkdir -p "$T/empty"
sbx_status --image "$T/empty" /bin/sh
t_is "$T_RC" 125 "--image of a folder that is no image: exit 125"
sbx_status --image "$T/missing" /bin/sh
t_is "$T_RC" 125 "--image of a missing path: exit 125"
cp -r "$T/oci" "$T/bad"
h=${IMG_LAYERS%% *}
printf 'x' >>"$T/bad/blobs/sha256/$h"
sbx_status --image "$T/bad" /bin/sh
t_is "$T_RC" 125 "--image with a layer that fails its digest: exit 125"
t_is "$(printf '%s\n' "$T_ERR" | wc -l)" 1 "... with one line" 

t_done
