#!/bin/bash
# --rootfs: a tiny root file system built from the host's busybox, as /,
# read-only, and pristine under --cow and --cow-tmp.
. "$TOP_SRCDIR/tests/lib.sh"

T=$T_TMP
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ]; then
  t_skip "busybox is not installed"
  t_done
fi

# The root: busybox, its libraries, and an applet link or two.
R=$T/rootfs
mkdir -p "$R/bin" "$R/etc"
cp "$BUSYBOX" "$R/bin/busybox"
for lib in $(ldd "$BUSYBOX" 2>/dev/null | grep -oE '/[^ ]+'); do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
for applet in sh cat ls echo rm mkdir; do ln -s busybox "$R/bin/$applet"; done
echo "from the rootfs" >"$R/etc/motd"
snapshot=$(t_snapshot "$R")

sbx_status --rootfs "$R" /bin/sh -c 'cat /etc/motd; ls /bin/busybox; test -e /usr/bin/env || echo no-host-usr'
t_is "$T_OUT" "$(printf 'from the rootfs\n/bin/busybox\nno-host-usr')" "--rootfs: the rootfs is /, and the host's folders are not there"
sbx_status --rootfs "$R" /bin/sh -c 'ls /proc/self/ >/dev/null && test -c /dev/null && echo ok'
t_is "$T_OUT" "ok" "--rootfs: with its own /proc and /dev, though the rootfs has no such folders"
sbx_status --rootfs "$R" --tmpfs /scratch /bin/sh -c 'echo x > /scratch/x && cat /scratch/x'
t_is "$T_OUT" "x" "--rootfs: later operations mount where the rootfs has no folder"
sbx_status --rootfs "$R" /bin/sh -c 'echo x > /etc/new'
t_isnt "$T_RC" 0 "--rootfs alone: the rootfs is read-only"
sbx_status --rootfs "$R" --dry-run /bin/sh
t_like "$T_OUT" "profile: none" "--rootfs: no profile applies"

sbx_status --rootfs "$R" --overlay-backend kernel --cow "$T/cow" /bin/sh -c 'echo new > /etc/new; rm /etc/motd; cat /etc/new'
t_is "$T_RC:$T_OUT" "0:new" "--rootfs --cow: the root is writable"
t_is "$(t_snapshot "$R")" "$snapshot" "... and the rootfs stays pristine"
sbx_status --diff "$T/cow" --to "$R"
t_is "$T_OUT" "$(printf 'D /etc/motd\nA /etc/new')" "... and --diff shows what changed"
sbx_status --rootfs "$R" --overlay-backend kernel --cow-tmp /bin/sh -c 'echo new > /etc/new; cat /etc/new'
t_is "$T_RC:$T_OUT" "0:new" "--rootfs --cow-tmp: the root is writable"
t_is "$(t_snapshot "$R")" "$snapshot" "... and the rootfs stays pristine"

sbx_status --rootfs "$T/missing" /bin/sh
t_is "$T_RC:$T_ERR" "125:sbx: overlay lower layer: $T/missing: No such file or directory" "--rootfs of a missing folder: exit 125"
sbx_status --rootfs "$R" --rootfs "$R" /bin/sh
t_is "$T_RC:$T_ERR" "125:sbx: --rootfs: only one --rootfs or --image" "--rootfs twice: exit 125"

t_done
