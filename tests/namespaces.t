#!/bin/bash
# Namespaces: which ones sbx creates, pid 1 and the reaper, the network
# namespace's loopback, and --share-net.
. "$TOP_SRCDIR/tests/lib.sh"

# The probe is reached through --ro-bind / / wherever it lives on the host.
PROBE=${PROBE:-$TOP_SRCDIR/tests/probe}
ALL_NS="pid net ipc uts cgroup mnt user"
# The namespaces sbx only creates when asked (user and mnt are always new).
OPT_NS="pid net ipc uts cgroup"

# ns_inside OPTIONS...: print "name:[inode]" for every namespace in $ALL_NS,
# one per line, as the sandboxed command sees them.
ns_inside () {
  "$SBX" "$@" --ro-bind / / --proc /proc \
    sh -c 'for n in '"$ALL_NS"'; do readlink /proc/self/ns/$n; done' 2>&1
}
ns_pick () {  # ns_pick LISTING NAME
  printf '%s\n' "$1" | grep "^$2:" || echo "missing $2"
}
host_ns () { readlink "/proc/self/ns/$1"; }

# --- pid 1 and the reaper ---------------------------------------------

sbx_status --unshare-pid --ro-bind / / --proc /proc "$PROBE" pid
t_is "$T_OUT" "2 1" "--unshare-pid: the command is pid 2 and its parent is pid 1"
sbx_status --unshare-pid --ro-bind / / --proc /proc cat /proc/1/comm
t_is "$T_OUT" "$(basename "$SBX" | cut -c1-15)" "--unshare-pid: pid 1 is sbx's reaper"
sbx_status --unshare-pid --as-pid-1 --ro-bind / / --proc /proc "$PROBE" pid
t_is "$T_OUT" "1 0" "--as-pid-1: the command itself is pid 1"

host_ps=$(ps ax | wc -l)
sbx_status --unshare-pid --ro-bind / / --proc /proc ps ax
t_is "$(printf '%s\n' "$T_OUT" | wc -l)" 3 "ps ax inside lists only the reaper and ps (header + 2 lines)"
t_is "$(printf '%s\n' "$T_OUT" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "1 2 " "ps ax inside shows pids 1 and 2 only"
t_isnt "$host_ps" 3 "(the host's ps ax lists more than that)"
sbx_status --unshare-pid --as-pid-1 --ro-bind / / --proc /proc ps ax
t_is "$(printf '%s\n' "$T_OUT" | wc -l)" 2 "--as-pid-1: ps ax inside lists only itself (header + 1 line)"
sbx_status --unshare-pid --ro-bind / / --proc /proc --dev /dev \
  sh -c 'sleep 30 & a=$!; sleep 30 & b=$!; ps ax; kill $a $b'
t_is "$(printf '%s\n' "$T_OUT" | wc -l)" 6 "ps ax inside lists every sandbox process and no other (header, reaper, sh, 2 sleep, ps)"

# --- namespace identities ---------------------------------------------

default=$(ns_inside)
for n in $OPT_NS; do
  t_is "$(ns_pick "$default" "$n")" "$(host_ns "$n")" "without --unshare-$n, the $n namespace is the host's"
done
for n in mnt user; do
  t_like "$(ns_pick "$default" "$n")" "^$n:\[[0-9]+\]$" "the $n namespace inode is readable inside"
  t_isnt "$(ns_pick "$default" "$n")" "$(host_ns "$n")" "a new $n namespace is always created"
done

# Each --unshare-X on its own: X is new, the other optional ones are not.
for n in $OPT_NS; do
  inside=$(ns_inside "--unshare-$n")
  t_like "$(ns_pick "$inside" "$n")" "^$n:\[[0-9]+\]$" "--unshare-$n: the $n namespace inode is readable"
  t_isnt "$(ns_pick "$inside" "$n")" "$(host_ns "$n")" "--unshare-$n: the $n namespace is new"
  same=""
  for other in $OPT_NS; do
    [ "$other" = "$n" ] && continue
    [ "$(ns_pick "$inside" "$other")" = "$(host_ns "$other")" ] || same="$same $other"
  done
  t_is "$same" "" "--unshare-$n: no other namespace is unshared"
done

inside=$(ns_inside --unshare-user)
t_isnt "$(ns_pick "$inside" user)" "$(host_ns user)" "--unshare-user is accepted and the user namespace is new"

inside=$(ns_inside --unshare-all)
for n in $ALL_NS; do
  t_isnt "$(ns_pick "$inside" "$n")" "$(host_ns "$n")" "--unshare-all: the $n namespace is new"
done

inside=$(ns_inside --unshare-all --share-net)
t_is "$(ns_pick "$inside" net)" "$(host_ns net)" "--unshare-all --share-net: the net namespace is the host's"
for n in pid ipc uts cgroup; do
  t_isnt "$(ns_pick "$inside" "$n")" "$(host_ns "$n")" "--unshare-all --share-net: the $n namespace is still new"
done

sbx_status --unshare-cgroup-try --ro-bind / / readlink /proc/self/ns/cgroup
t_is "$T_RC" 0 "--unshare-cgroup-try runs the command"
t_isnt "$T_OUT" "$(host_ns cgroup)" "--unshare-cgroup-try: the cgroup namespace is new (the kernel has them)"

# --- the network namespace ---------------------------------------------

ifaces () { awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | LC_ALL=C sort | tr '\n' ' '; }
host_ifaces=$(ifaces </proc/net/dev)
sbx_status --unshare-net --ro-bind / / --proc /proc cat /proc/net/dev
t_is "$(printf '%s\n' "$T_OUT" | ifaces)" "lo " "--unshare-net: /proc/net/dev lists only lo"
sbx_status --unshare-net --ro-bind / / "$PROBE" if-up lo
t_is "$T_OUT" "up" "--unshare-net: lo is up (SIOCGIFFLAGS)"
if command -v ip >/dev/null 2>&1; then
  sbx_status --unshare-net --ro-bind / / ip -o link
  t_is "$(printf '%s\n' "$T_OUT" | wc -l)" 1 "--unshare-net: ip -o link shows one interface"
  t_like "$T_OUT" '^1: lo: <[A-Z_,]*\bUP\b' "--unshare-net: ip link shows lo with the UP flag"
else
  t_skip "ip is not installed"
  t_skip "ip is not installed"
fi
sbx_status --unshare-net --ro-bind / / "$PROBE" if-up eth0
t_is "$T_OUT" "ENODEV" "--unshare-net: a host interface name does not exist inside"
sbx_status --unshare-all --ro-bind / / --proc /proc cat /proc/net/dev
t_is "$(printf '%s\n' "$T_OUT" | ifaces)" "lo " "--unshare-all: only lo"
sbx_status --unshare-all --share-net --ro-bind / / --proc /proc cat /proc/net/dev
t_is "$(printf '%s\n' "$T_OUT" | ifaces)" "$host_ifaces" "--unshare-all --share-net: the host's interfaces are there"

# --- nesting ------------------------------------------------------------

# The kernel refuses a nested user namespace to a process it considers
# chrooted: a sandbox whose old root was left attached shows that.
if "$SBX" --seccomp none --ro-bind / / true 2>/dev/null; then
  sbx_status --seccomp none --ro-bind / / --proc /proc "$SBX" --ro-bind / / "$PROBE" pid
  t_is "$T_RC" 0 "a sandbox (--ro-bind / /, no seccomp filter) can start a nested sandbox" "$T_ERR"
else
  t_skip "sbx has no --seccomp none"
fi

t_done
