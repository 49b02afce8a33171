# Seccomp: every blocked call fails inside with the documented errno and
# works (or fails differently) outside; policies, allow-lists, the cache.
. "$TOP_SRCDIR/tests/lib.sh"
: "${SYSPROBE:?SYSPROBE must name the sysprobe helper}"

export XDG_CACHE_HOME=$T_TMP/cache
sp () { "$SYSPROBE" "$@" 2>&1; }
# The probe may live under /tmp (a build tree there): bind it back.
inside () { "$SBX" --ro-bind / / --dev /dev --tmpfs /tmp --ro-bind "$SYSPROBE" "$SYSPROBE" "$@" 2>&1; }

status=$(inside grep -E '^Seccomp(_filters)?:' /proc/self/status | tr -s '\t ' ' ' | paste -sd' ')
t_is "$status" "Seccomp: 2 Seccomp_filters: 1" "every sandbox gets one filter: the policy with the hardening checks"
status=$(inside --seccomp none grep '^Seccomp:' /proc/self/status | tr -s '\t ' ' ')
t_is "$status" "Seccomp: 0" "--seccomp none loads no filter at all"

# call  inside-errno  outside-result
while read -r call want outside; do
  got_out=$(sp "$call")
  if [ "$got_out" != "$outside" ]; then
    t_skip "$call: outside gives $got_out here, not $outside: the host cannot show the difference"
    continue
  fi
  t_is "$(inside "$SYSPROBE" "$call")" "$want" "$call is refused inside with $want (outside: $outside)"
done <<'LIST'
keyctl EPERM ok
unshare-user EPERM ok
clone-newuser EPERM ok
clone3 ENOSYS ok
ptrace-child EPERM ok
tiocsti EPERM ENOTTY
tioclinux EPERM ENOTTY
personality-rie EPERM ok
bpf EPERM EINVAL
LIST
# Every entry of the default deny-list, by number with harmless zero
# arguments. Many fail outside too (no privilege), so the proof that the
# filter refuses them is --seccomp.kill: only a filter kills with SIGSYS.
for call in add_key keyctl request_key init_module finit_module delete_module kexec_load \
            kexec_file_load reboot swapon swapoff acct settimeofday clock_settime clock_adjtime \
            adjtimex mount umount2 pivot_root chroot fsopen fsconfig fsmount fspick move_mount \
            open_tree mount_setattr setns unshare ptrace process_vm_readv process_vm_writev kcmp \
            perf_event_open bpf userfaultfd lookup_dcookie quotactl nfsservctl uselib vhangup iopl \
            ioperm open_by_handle_at name_to_handle_at; do
  "$SYSPROBE" raw "$call" >/dev/null 2>&1; outside=$?
  (inside --seccomp.kill "$SYSPROBE" raw "$call" >/dev/null 2>&1) 2>/dev/null; killed=$?
  [ "$outside" -eq 0 ] && [ "$killed" -eq 159 ]
  t_result $? "deny-list $call: the filter refuses it inside (SIGSYS under seccomp.kill), not outside" \
    "outside exit $outside, inside with seccomp.kill exit $killed"
  t_is "$(inside "$SYSPROBE" raw "$call")" EPERM "deny-list $call: inside it fails with EPERM"
done
t_is "$(inside "$SYSPROBE" raw clone3)" ENOSYS "deny-list clone3: ENOSYS, so that libc falls back to clone"
t_is "$(inside "$SYSPROBE" personality-query)" ok "personality's query value stays allowed"
t_is "$(inside "$SYSPROBE" fork)" ok "a plain fork (clone without namespace flags) works"
t_is "$(inside unshare -U true 2>&1; echo "rc=$?")" "unshare: unshare failed: Operation not permitted
rc=1" "unshare -U inside fails"

# mount: with CAP_SYS_ADMIN kept, only the filter can refuse it.
t_is "$(inside --cap-add CAP_SYS_ADMIN --seccomp none "$SYSPROBE" mount)" ok "mount works with CAP_SYS_ADMIN and no filter"
t_is "$(inside --cap-add CAP_SYS_ADMIN "$SYSPROBE" mount)" EPERM "the default policy refuses mount even with CAP_SYS_ADMIN"
t_is "$(inside --allow-userns "$SYSPROBE" unshare-user)" ok "allow-userns permits nested user namespaces"
t_is "$(inside --allow-debuggers "$SYSPROBE" ptrace-child)" ok "allow-debuggers permits ptrace"
t_is "$(inside --seccomp.allow keyctl "$SYSPROBE" keyctl)" ok "seccomp.allow takes a call off the deny-list"

t_is "$(inside "$SYSPROBE" socket-packet)" EPERM "AF_PACKET without protocol: refused for lack of CAP_NET_RAW"
t_is "$(inside --protocol unix,inet "$SYSPROBE" socket-packet)" EAFNOSUPPORT "protocol unix,inet: AF_PACKET fails with EAFNOSUPPORT"
t_is "$(inside --protocol unix,inet "$SYSPROBE" socket-inet6)" EAFNOSUPPORT "protocol unix,inet: AF_INET6 fails with EAFNOSUPPORT"
t_is "$(inside --protocol unix,inet "$SYSPROBE" socket-inet)" ok "protocol unix,inet: AF_INET works"
t_is "$(inside --protocol unix,inet "$SYSPROBE" socket-unix)" ok "protocol unix,inet: AF_UNIX works"

t_is "$(inside "$SYSPROBE" wx-mmap)" ok "a W+X mapping works by default"
t_is "$(inside --memory-deny-write-execute "$SYSPROBE" wx-mmap)" EPERM "memory-deny-write-execute refuses a W+X mmap"

case $(sp int80) in
  ok)
    t_is "$(inside "$SYSPROBE" int80)" EPERM "an i386 int 0x80 system call is refused (block-secondary)"
    t_is "$(inside --seccomp.block-secondary no "$SYSPROBE" int80)" ok "seccomp.block-secondary no lets it through" ;;
  *)
    t_skip "this kernel has no i386 emulation: int 0x80 faults even outside a sandbox"
    t_skip "this kernel has no i386 emulation: int 0x80 faults even outside a sandbox" ;;
esac

t_is "$(inside --seccomp.block uname "$SYSPROBE" uname)" EPERM "seccomp.block adds a call"
t_is "$(inside --seccomp.errno ENOSYS --seccomp.block uname "$SYSPROBE" uname)" ENOSYS "seccomp.errno selects the errno"
t_is "$(inside --seccomp.block 'socket(arg0 == AF_INET6)' "$SYSPROBE" socket-inet6)" EPERM "an argument filter refuses the matching call"
t_is "$(inside --seccomp.block 'socket(arg0 == AF_INET6)' "$SYSPROBE" socket-inet)" ok "and lets the others through"
(inside --seccomp.kill --seccomp.block uname "$SYSPROBE" uname >/dev/null) 2>/dev/null; rc=$?
t_is "$rc" 159 "seccomp.kill kills with SIGSYS (128+31)"

(inside --seccomp.log --seccomp.block uname "$SYSPROBE" uname > "$T_TMP/log.out") 2>/dev/null
t_is "$(cat "$T_TMP/log.out")" ok "seccomp.log lets the call run (and only logs it)"

# caps.keep and caps.drop are the list forms of --cap-add and --cap-drop.
capeff () { inside "$@" sh -c 'grep ^CapEff: /proc/self/status' | awk '{print $2}'; }
t_is "$(capeff --caps.keep CAP_NET_RAW,cap_net_bind_service)" 0000000000002400 "caps.keep keeps exactly the listed capabilities"
t_is "$(capeff --caps.keep ALL --caps.drop all)" 0000000000000000 "caps.drop all drops them again"
t_is "$(capeff --caps.keep ALL --caps.drop CAP_SYS_ADMIN | cut -c9-)" "$(printf '%08x' $(( 0xffffffff & ~(1 << 21) )))" \
  "caps.drop removes one from ALL"

# Allow-list mode runs a real build.
mkdir -p "$T_TMP/build"
printf 'int main (void) { return 0; }\n' > "$T_TMP/build/hello.c"
printf 'hello: hello.c\n\tcc -o hello hello.c\n' > "$T_TMP/build/Makefile"
if command -v make >/dev/null && command -v cc >/dev/null; then
  out=$("$SBX" --ro-bind / / --dev /dev --tmpfs /tmp --bind "$T_TMP/build" "$T_TMP/build" --chdir "$T_TMP/build" \
        --unsetenv MAKEFLAGS --unsetenv MFLAGS --unsetenv MAKELEVEL \
        --seccomp allowlist --seccomp.allowlist @default-allow sh -c 'make -s --no-print-directory && ./hello && echo built' 2>&1)
  t_is "$out" built "allow-list @default-allow runs make, cc and sh"
else
  t_skip "make or cc missing"
fi
t_is "$(inside --seccomp.allowlist @default-allow "$SYSPROBE" keyctl)" EPERM "keyctl is not on the allow-list"
t_is "$(inside --seccomp.allowlist @default-allow --seccomp.errno ENOSYS "$SYSPROBE" keyctl)" ENOSYS "allow-list mode with seccomp.errno"
printf '# a list file\n@default-allow\nkeyctl\n' > "$T_TMP/list"
t_is "$(inside --seccomp.allowlist "$T_TMP/list" "$SYSPROBE" keyctl)" ok "an allow-list file adds names"
t_is "$(inside --seccomp.allowlist @default-allow "$SYSPROBE" tiocsti)" EPERM "an allow-list that allows ioctl still refuses TIOCSTI"
t_is "$(inside --seccomp.allowlist @default-allow "$SYSPROBE" personality-rie)" EPERM "and still refuses a harmful personality"

# The cache.
rm -rf "$XDG_CACHE_HOME"
inside true >/dev/null
files=$(ls "$XDG_CACHE_HOME/sbx/seccomp" 2>/dev/null | wc -l)
t_is "$files" 1 "the first launch writes one cache file"
entry=$(ls -d "$XDG_CACHE_HOME"/sbx/seccomp/*.bpf 2>/dev/null | head -n 1)
t_is "$(stat -c %a "$XDG_CACHE_HOME/sbx/seccomp" 2>/dev/null)" 700 "the cache folder is private"
before=$(stat -c '%i %Y' "$entry" 2>/dev/null)
touch -d '2000-01-01' "$entry"
stamp=$(stat -c '%i %Y' "$entry")
inside true >/dev/null
t_is "$(stat -c '%i %Y' "$entry")" "$stamp" "a second launch uses the cache file and does not rewrite it"
printf 'garbage' | dd of="$entry" bs=1 seek=40 conv=notrunc 2>/dev/null
t_is "$(inside "$SYSPROBE" keyctl)" EPERM "a corrupted cache file is not trusted: the filter still refuses keyctl"
t_isnt "$(stat -c '%i %Y' "$entry")" "$stamp" "and it is rebuilt"
cmp -s "$entry" <(inside true >/dev/null; cat "$entry"); t_result $? "the rebuilt file is stable"
printf 'SBXBPF1\n' > "$entry"
t_is "$(inside "$SYSPROBE" keyctl)" EPERM "a truncated (foreign) cache file is rebuilt, never loaded"
t_isnt "$(stat -c %s "$entry")" 8 "and replaced with a whole one"
out=$("$SBX" --ro-bind / / --bind "$T_TMP" "$T_TMP" "$SYSPROBE" keyctl)
t_is "$out" EPERM "a sandbox with the cache folder in view still runs"
out=$("$SBX" --ro-bind / / --bind "$T_TMP" "$T_TMP" sh -c "touch '$XDG_CACHE_HOME/sbx/seccomp/x' 2>&1; echo \$?")
t_like "$out" 'Read-only file system' "the cache folder is read-only inside a sandbox that shows it"
mounts_at () { awk -v p="$1" '$5 == p' /proc/self/mountinfo | wc -l; }
t_is "$("$SBX" --ro-bind / / --bind "$T_TMP" "$T_TMP" bash -c "$(declare -f mounts_at); mounts_at '$XDG_CACHE_HOME/sbx/seccomp'")" 1 \
  "the read-only protection is a mount of its own on the cache folder"
t_is "$("$SBX" --ro-bind / / --tmpfs "$T_TMP" bash -c "$(declare -f mounts_at); mounts_at '$XDG_CACHE_HOME/sbx/seccomp'")" 0 \
  "no protection mount in a sandbox that does not show the cache folder"

# Export and fd-loaded programs.
"$SBX" --seccomp-export "$T_TMP/filter.bpf"; rc=$?
size=$(stat -c %s "$T_TMP/filter.bpf" 2>/dev/null || echo 0)
t_is "$rc" 0 "--seccomp-export exits 0"
[ "$size" -gt 0 ] && [ $((size % 8)) -eq 0 ]; t_result $? "and writes whole BPF instructions ($size bytes)"
t_is "$(inside --seccomp none --seccomp 3 "$SYSPROBE" keyctl 3<"$T_TMP/filter.bpf")" EPERM "--seccomp FD loads an exported program"
status=$(inside --seccomp none --seccomp 3 grep '^Seccomp_filters:' /proc/self/status 3<"$T_TMP/filter.bpf" | tr -s '\t ' ' ')
t_is "$status" "Seccomp_filters: 1" "and only that program with --seccomp none"
t_is "$(inside --seccomp none --seccomp 3 "$SYSPROBE" tiocsti 3<"$T_TMP/filter.bpf")" EPERM "the exported program carries the TIOCSTI check"
status=$(inside --add-seccomp-fd 3 grep '^Seccomp_filters:' /proc/self/status 3<"$T_TMP/filter.bpf" | tr -s '\t ' ' ')
t_is "$status" "Seccomp_filters: 2" "--add-seccomp-fd stacks on the policy"

# Bad input.
bad () {  # bad DESCRIPTION ARGS...
  local desc=$1; shift
  local err rc
  err=$("$SBX" "$@" true 2>&1 >/dev/null); rc=$?
  t_is "$rc" 125 "$desc: exit 125"
  t_like "$err" '^sbx: --[a-z.-]+: .+' "$desc: one clear line ($err)"
  t_is "$(printf '%s\n' "$err" | wc -l)" 1 "$desc: exactly one line"
}
bad "an unknown system call" --seccomp.block no_such_call
bad "an unknown errno name" --seccomp.errno ENOTANERRNO
bad "an unknown group" --seccomp.allowlist @no-such-group
bad "a malformed argument filter" --seccomp.block 'ioctl(arg1 = TIOCSTI)'
bad "an unknown argument constant" --seccomp.block 'ioctl(arg1 == NOT_A_CONSTANT)'
bad "an unknown socket family" --protocol unix,carrier-pigeon
bad "an unknown policy" --seccomp strict
bad "a closed fd" --add-seccomp-fd 9
bad "an unknown capability in a list" --caps.keep CAP_NET_RAW,CAP_NOPE
t_done
