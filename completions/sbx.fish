# fish completion for sbx(1). Every option of `sbx --help` is listed here
# (tests/docs.t checks it). Options are completed until `--` or the first
# word that is not an option; from there on the command and its arguments.

# The kinds of the arguments an option takes (empty for a flag); fails for
# a word that is not an option of sbx.
function __sbx_option_args
    switch $argv[1]
        case --bind --bind-try --ro-bind --ro-bind-try --dev-bind --dev-bind-try --symlink
            echo path path
        case --tmpfs --proc --dev --mqueue --dir --remount-ro --chdir --seccomp-export
            echo path
        case --file --bind-data --ro-bind-data
            echo fd path
        case --chmod
            echo mode path
        case --overlay
            echo path path path
        case --overlay-src --tmp-overlay --ro-overlay --diff --commit --to --discard --cow --rootfs --image
            echo path
        case --overlay-backend
            echo value
        case --json --yes --cow-tmp
            echo
        case --setenv
            echo var value
        case --name --enter --stop
            echo value
        case --kill
            echo value value
        case --list --json
            echo
        case --home-bind --mkdir --wrap-dir
            echo path
        case --profile --print-profile --enable --ignore --wrap --unwrap --net --dbus-talk
            echo value
        case --uid --gid --perms --size --unsetenv --hostname --argv0 --cap-add --cap-drop \
            --keep-fd --seccomp --seccomp.block --seccomp.allow --seccomp.allowlist \
            --seccomp.errno --seccomp.block-secondary --protocol --add-seccomp-fd \
            --caps.keep --caps.drop --info-fd --json-status-fd \
            --memory --memory-swap --pids --cpus --cpu-weight --io-weight --rlimit-as \
            --rlimit-nproc --rlimit-nofile --rlimit-fsize --rlimit-cpu --rlimit-core \
            --timeout --kill-after
            echo value
        case --net-backend --port --dns --hosts-file --net-log
            echo value
        case --host-loopback
            echo
        case --help --version --dry-run --unshare-user --unshare-user-try --unshare-pid \
            --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup --unshare-cgroup-try \
            --unshare-all --share-net --clearenv --die-with-parent --new-session --as-pid-1 \
            --seccomp.kill --seccomp.log --allow-userns --allow-debuggers \
            --memory-deny-write-execute --noprofile --list-wrapped --home-private \
            --private-tmp --ro-system --cwd-rw --x11 --wayland --pulseaudio --pipewire --dri \
            --dbus-session --fonts-themes
            echo
        case '*'
            return 1
    end
end

# Where the cursor is: "option" (an option or the command may come),
# "first-arg" (the first argument of an option), "arg KIND" (a later
# argument of a multi-argument option), or "command N" (the command started
# at token N of the command line).
function __sbx_position
    set -l tokens (commandline -opc)
    set -l i 2
    while test $i -le (count $tokens)
        set -l word $tokens[$i]
        if test "$word" = --
            echo command (math $i + 1)
            return
        end
        if __sbx_option_args $word >/dev/null
            set -l kinds (string split -n ' ' -- (__sbx_option_args $word))
            set -l n (count $kinds)
            set -l left (math (count $tokens) - $i)
            if test $left -lt $n
                # The cursor is on argument left+1 of this option. fish
                # completes the first one from the option's own entry.
                if test $left -eq 0
                    echo first-arg
                else
                    echo arg $kinds[(math $left + 1)]
                end
                return
            end
            set i (math $i + 1 + $n)
            continue
        end
        if string match -q -- '-?*' $word
            set i (math $i + 1)
            continue
        end
        echo command $i
        return
    end
    echo option
end

# Options (and their first argument, which fish completes from the
# option's entry) may come here.
function __sbx_want_option
    contains -- (__sbx_position) option first-arg
end

function __sbx_want_command
    test (__sbx_position) = option
end

function __sbx_second_arg
    test (__sbx_position) = "arg $argv[1]"
end

function __sbx_in_command
    string match -q 'command *' -- (__sbx_position)
end

function __sbx_complete_command
    set -l at (string split ' ' -- (__sbx_position))[2]
    set -l tokens (commandline -opc) (commandline -ct)
    set -l command $tokens[$at..-1]
    # A "command" that looks like an option is nothing to complete.
    string match -q -- '-*' $command[1]; and return
    __fish_complete_subcommand --commandline $command
end

function __sbx_capabilities
    set -l caps ALL CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID \
        CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE \
        CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE \
        CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT \
        CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE \
        CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN \
        CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF \
        CAP_CHECKPOINT_RESTORE
    # With --caps.keep and --caps.drop, complete the last item of a list.
    set -l prefix ''
    set -l item (commandline -ct)
    if test "$argv[1]" = --list
        set prefix (string match -r -- '^.*,' $item); or set prefix ''
        set item (string replace -r -- '^.*,' '' $item)
    end
    # sbx takes the names in either case, with or without the CAP_ prefix.
    if not string match -qir -- '^(|c|ca|cap|cap_.*)$' $item
        set caps (string replace -- CAP_ '' $caps)
    end
    if string match -qr -- '^[a-z]' $item
        set caps (string lower -- $caps)
    end
    printf '%s\n' $prefix$caps
end

# The items in ARGV, after the items already typed in a comma-separated list.
function __sbx_list
    set -l prefix (string match -r -- '^.*,' (commandline -ct)); or set prefix ''
    printf '%s\n' $prefix$argv
end

# The folders profiles are looked up in (see sbx(1), FILES).
function __sbx_profile_dirs
    set -l config $XDG_CONFIG_HOME
    string match -q '/*' -- "$config"; or set config $HOME/.config
    set -l data $SBX_PROFILES_DATADIR
    test -n "$data"; or set data /usr/local/share/sbx/profiles
    printf '%s\n' $config/sbx/profiles /etc/sbx/profiles $data /usr/share/sbx/profiles
end

function __sbx_profiles
    for dir in (__sbx_profile_dirs)
        for file in $dir/*.sbx
            string replace -r '\.sbx$' '' -- (path basename -- $file)
        end
    end
end

# The NAME of the profiles' optional ?NAME lines.
function __sbx_enable_names
    for dir in (__sbx_profile_dirs)
        for file in $dir/*.sbx $dir/*.inc $dir/*.local
            string match -rg -- '^\s*\?([A-Za-z0-9_-]+)' <$file
        end
    end | sort -u
end

# A directive is a long option without its dashes.
function __sbx_directives
    sbx --help 2>/dev/null | string match -rg -- '^  --([^ ]+)'
end

complete -c sbx -f

# General
complete -c sbx -n __sbx_want_option -s h -l help -d "Print the help and exit"
complete -c sbx -n __sbx_want_option -l version -d "Print the version and exit"
complete -c sbx -n __sbx_want_option -l dry-run -d "Print the plan and exit without creating anything"

# Profiles and high-level directives (also profile lines)
complete -c sbx -n __sbx_want_option -l profile -x -a "(__sbx_profiles; string match -q -- '*/*' (commandline -ct); and __fish_complete_path (commandline -ct))" -d "Apply the profile NAME (or the file at a path); later options extend it"
complete -c sbx -n __sbx_want_option -l noprofile -d "Apply no profile"
complete -c sbx -n __sbx_want_option -l print-profile -x -a "(__sbx_profiles; string match -q -- '*/*' (commandline -ct); and __fish_complete_path (commandline -ct))" -d "Print the resolved directives of NAME with their file:line, and exit"
complete -c sbx -n __sbx_want_option -l enable -x -a "(__sbx_enable_names)" -d "Apply the profile's optional ?NAME lines"
complete -c sbx -n __sbx_want_option -l ignore -x -a "(__sbx_directives)" -d "Drop the profile's DIRECTIVE lines"
complete -c sbx -n __sbx_want_option -l wrap -x -a "(__fish_complete_command)" -d "Create wrapper symlinks NAME -> sbx (in ~/.local/bin), and exit"
complete -c sbx -n __sbx_want_option -l unwrap -x -a "(__fish_complete_command)" -d "Remove those wrapper symlinks, and exit"
complete -c sbx -n __sbx_want_option -l wrap-dir -x -a "(__fish_complete_directories)" -d "The folder for --wrap, --unwrap and --list-wrapped"
complete -c sbx -n __sbx_want_option -l list-wrapped -d "List the wrapper symlinks, and exit"
complete -c sbx -n __sbx_want_option -l home-private -d "An empty tmpfs as the home folder"
complete -c sbx -n __sbx_want_option -l home-bind -r -F -d "Bind these paths under home back, read-write, if they exist"
complete -c sbx -n __sbx_want_option -l mkdir -r -F -d "Create the folder PATH under home on the host first"
complete -c sbx -n __sbx_want_option -l private-tmp -d "An empty tmpfs on /tmp"
complete -c sbx -n __sbx_want_option -l ro-system -d "/usr, /etc and the /bin, /lib, /lib64, /sbin links, read-only"
complete -c sbx -n __sbx_want_option -l cwd-rw -d "The current directory read-write, and start there"
complete -c sbx -n __sbx_want_option -l net -x -a "none host user allow=" -d "Network: none (lo only), host, user (pasta/slirp4netns) or allow=DOMAIN[:PORT],..."
complete -c sbx -n __sbx_want_option -l x11 -d "The X server socket and its cookie"
complete -c sbx -n __sbx_want_option -l wayland -d "The Wayland compositor socket"
complete -c sbx -n __sbx_want_option -l pulseaudio -d "The PulseAudio socket"
complete -c sbx -n __sbx_want_option -l pipewire -d "The PipeWire socket"
complete -c sbx -n __sbx_want_option -l dri -d "The GPU device nodes"
complete -c sbx -n __sbx_want_option -l dbus-session -d "The D-Bus session bus socket"
complete -c sbx -n __sbx_want_option -l dbus-talk -x -d "A bus name the sandbox may talk to, for a filtering proxy"
complete -c sbx -n __sbx_want_option -l fonts-themes -d "Fonts, icon and GTK themes, read-only"

# Namespaces
complete -c sbx -n __sbx_want_option -l unshare-user -d "Create a user namespace (always on)"
complete -c sbx -n __sbx_want_option -l unshare-user-try -d "Create a user namespace (always on)"
complete -c sbx -n __sbx_want_option -l unshare-pid -d "Create a pid namespace"
complete -c sbx -n __sbx_want_option -l unshare-net -d "Create a network namespace with only lo"
complete -c sbx -n __sbx_want_option -l unshare-ipc -d "Create an IPC namespace"
complete -c sbx -n __sbx_want_option -l unshare-uts -d "Create a UTS (host name) namespace"
complete -c sbx -n __sbx_want_option -l unshare-cgroup -d "Create a cgroup namespace"
complete -c sbx -n __sbx_want_option -l unshare-cgroup-try -d "Create a cgroup namespace if the kernel can"
complete -c sbx -n __sbx_want_option -l unshare-all -d "Create every namespace: user, pid, net, ipc, uts, cgroup"
complete -c sbx -n __sbx_want_option -l share-net -d "Keep the host's network namespace (after --unshare-all)"
complete -c sbx -n __sbx_want_option -l net-backend -x -a "pasta slirp4netns" -d "With --net user: the user-mode network helper"
complete -c sbx -n __sbx_want_option -l port -x -d "With --net user: forward [ADDR:]HOSTPORT:SANDBOXPORT[/tcp|/udp]"
complete -c sbx -n __sbx_want_option -l host-loopback -d "With --net user: let the sandbox reach the host's 127.0.0.1"
complete -c sbx -n __sbx_want_option -l dns -x -d "Write the sandbox's own resolv.conf with this name server"
complete -c sbx -n __sbx_want_option -l hosts-file -r -F -d "Install FILE as the sandbox's /etc/hosts"
complete -c sbx -n __sbx_want_option -l net-log -r -F -d "With --net allow=: append each proxy decision to FILE"

# Identity
complete -c sbx -n __sbx_want_option -l uid -x -d "Map the caller's uid to UID inside"
complete -c sbx -n __sbx_want_option -l gid -x -d "Map the caller's gid to GID inside"

# Filesystem (carried out in the order given)
complete -c sbx -n __sbx_want_option -l bind -r -F -d "Bind mount the host path SRC on DEST, recursively"
complete -c sbx -n __sbx_want_option -l bind-try -r -F -d "As --bind, but skip it if SRC does not exist"
complete -c sbx -n __sbx_want_option -l ro-bind -r -F -d "Bind mount SRC read-only on DEST, submounts included"
complete -c sbx -n __sbx_want_option -l ro-bind-try -r -F -d "As --ro-bind, but skip it if SRC does not exist"
complete -c sbx -n __sbx_want_option -l dev-bind -r -F -d "Bind mount SRC on DEST, allowing device access"
complete -c sbx -n __sbx_want_option -l dev-bind-try -r -F -d "As --dev-bind, but skip it if SRC does not exist"
complete -c sbx -n __sbx_want_option -l tmpfs -r -F -d "Mount a new tmpfs on DEST"
complete -c sbx -n __sbx_want_option -l proc -r -F -d "Mount a new procfs on DEST"
complete -c sbx -n __sbx_want_option -l dev -r -F -d "Mount a minimal /dev on DEST"
complete -c sbx -n __sbx_want_option -l mqueue -r -F -d "Mount a new mqueue file system on DEST"
complete -c sbx -n __sbx_want_option -l dir -r -F -d "Create the directory DEST"
complete -c sbx -n __sbx_want_option -l symlink -r -F -d "Create the symbolic link DEST pointing to TARGET"
complete -c sbx -n __sbx_want_option -l file -x -d "Copy the contents of FD to the new file DEST"
complete -c sbx -n __sbx_want_option -l bind-data -x -d "Copy the contents of FD to DEST and bind mount it"
complete -c sbx -n __sbx_want_option -l ro-bind-data -x -d "Copy the contents of FD to DEST and bind mount it read-only"
complete -c sbx -n __sbx_want_option -l remount-ro -r -F -d "Make the mount at DEST read-only"
complete -c sbx -n __sbx_want_option -l chmod -x -d "Change the permissions of PATH to the octal MODE"
complete -c sbx -n __sbx_want_option -l perms -x -d "Octal permissions for the next --tmpfs, --dir, --file or data option"
complete -c sbx -n __sbx_want_option -l size -x -d "Size limit for the next --tmpfs (K, M and G suffixes allowed)"
complete -c sbx -n __sbx_want_option -l chdir -x -a "(__fish_complete_directories)" -d "Change to the directory DIR inside the sandbox"

# Process
complete -c sbx -n __sbx_want_option -l setenv -x -a "(set -nx)" -d "Set the environment variable VAR to VALUE"
complete -c sbx -n __sbx_want_option -l unsetenv -x -a "(set -nx)" -d "Remove the environment variable VAR"
complete -c sbx -n __sbx_want_option -l clearenv -d "Remove every environment variable (PWD is set again)"
complete -c sbx -n __sbx_want_option -l hostname -x -d "Set the host name inside (implies --unshare-uts)"
complete -c sbx -n __sbx_want_option -l die-with-parent -d "Kill the sandbox when the process that started sbx dies"
complete -c sbx -n __sbx_want_option -l new-session -d "Run the command in a new terminal session (setsid)"
complete -c sbx -n __sbx_want_option -l as-pid-1 -d "Run the command as pid 1, with no reaper (needs --unshare-pid)"
complete -c sbx -n __sbx_want_option -l argv0 -x -d "Run the command with argv[0] set to VALUE"
complete -c sbx -n __sbx_want_option -l cap-add -x -a "(__sbx_capabilities)" -d "Keep the capability CAP, or ALL"
complete -c sbx -n __sbx_want_option -l cap-drop -x -a "(__sbx_capabilities)" -d "Drop the capability CAP, or ALL (the default)"
complete -c sbx -n __sbx_want_option -l keep-fd -x -d "Hand the file descriptor FD to the command (others are closed)"

# Seccomp and capabilities
complete -c sbx -n __sbx_want_option -l seccomp -x -a "default none allowlist" -d "Seccomp policy: default, none or allowlist, or a BPF program's fd"
complete -c sbx -n __sbx_want_option -l seccomp.block -x -d "Also refuse these system calls (NAME or NAME(argN OP VALUE))"
complete -c sbx -n __sbx_want_option -l seccomp.allow -x -d "Take these system calls off the deny-list, or add them to the allow-list"
complete -c sbx -n __sbx_want_option -l seccomp.allowlist -r -F -a "@default-allow @basic-io @file-system @memory @process @signal @credentials @io-event @ipc @network-io @time @aio" -d "Allow-list mode: allow only these @groups, files of names, and system calls"
complete -c sbx -n __sbx_want_option -l seccomp.errno -x -a "EPERM ENOENT EIO EBADF EAGAIN ENOMEM EACCES EFAULT EBUSY EEXIST EINVAL ENOSPC EROFS ENOSYS ENOTSUP EOPNOTSUPP EAFNOSUPPORT ENOTTY" -d "The errno refused system calls return (default EPERM)"
complete -c sbx -n __sbx_want_option -l seccomp.kill -d "Kill the process on a refused system call instead"
complete -c sbx -n __sbx_want_option -l seccomp.log -d "Only log refused system calls (audit), letting them run"
complete -c sbx -n __sbx_want_option -l seccomp.block-secondary -x -a "yes no" -d "Refuse the i386 and x32 system call ABIs (default yes)"
complete -c sbx -n __sbx_want_option -l allow-userns -d "Allow nested namespaces (unshare, clone with namespace flags)"
complete -c sbx -n __sbx_want_option -l allow-debuggers -d "Allow ptrace, process_vm_readv/writev and kcmp"
complete -c sbx -n __sbx_want_option -l protocol -x -a "(__sbx_list unix inet inet6 netlink packet bluetooth vsock alg can xdp key)" -d "Allow only these socket families (comma-separated)"
complete -c sbx -n __sbx_want_option -l memory-deny-write-execute -d "Refuse memory that is both writable and executable"
complete -c sbx -n __sbx_want_option -l add-seccomp-fd -x -d "Load one more compiled BPF program from FD, stacked on the policy"
complete -c sbx -n __sbx_want_option -l seccomp-export -r -F -d "Write the compiled policy filter to FILE and exit"
complete -c sbx -n __sbx_want_option -l caps.keep -x -a "(__sbx_capabilities --list)" -d "Keep these capabilities (a list; the profile form of --cap-add)"
complete -c sbx -n __sbx_want_option -l caps.drop -x -a "(__sbx_capabilities --list)" -d "Drop these capabilities, or all (the profile form of --cap-drop)"

# Reporting
complete -c sbx -n __sbx_want_option -l info-fd -x -d "Write the child pid and namespace ids to FD as JSON"
complete -c sbx -n __sbx_want_option -l json-status-fd -x -d "Write JSON lines with the child pid and the exit status to FD"

# Resource limits
complete -c sbx -n __sbx_want_option -l memory -x -d "Memory limit (cgroup memory.max)"
complete -c sbx -n __sbx_want_option -l memory-swap -x -d "Swap the sandbox may use besides --memory"
complete -c sbx -n __sbx_want_option -l pids -x -d "At most N processes and threads"
complete -c sbx -n __sbx_want_option -l cpus -x -d "CPU bandwidth in CPUs"
complete -c sbx -n __sbx_want_option -l cpu-weight -x -d "CPU weight, 1 to 10000"
complete -c sbx -n __sbx_want_option -l io-weight -x -d "I/O weight, 1 to 10000"
complete -c sbx -n __sbx_want_option -l limits-best-effort -d "Without a delegated cgroup, fall back to rlimits"
complete -c sbx -n __sbx_want_option -l rlimit-as -x -d "RLIMIT_AS"
complete -c sbx -n __sbx_want_option -l rlimit-nproc -x -d "RLIMIT_NPROC"
complete -c sbx -n __sbx_want_option -l rlimit-nofile -x -d "RLIMIT_NOFILE"
complete -c sbx -n __sbx_want_option -l rlimit-fsize -x -d "RLIMIT_FSIZE"
complete -c sbx -n __sbx_want_option -l rlimit-cpu -x -d "RLIMIT_CPU"
complete -c sbx -n __sbx_want_option -l rlimit-core -x -d "RLIMIT_CORE"
complete -c sbx -n __sbx_want_option -l timeout -x -d "SIGTERM the sandbox after DURATION; exit status 124"
complete -c sbx -n __sbx_want_option -l kill-after -x -d "SIGKILL after --timeout's SIGTERM"
complete -c sbx -n __sbx_want_option -l stats -d "At exit, print peak memory, CPU time and any limit reached"

# The second argument of --bind SRC DEST, --file FD DEST, --chmod MODE PATH...
complete -c sbx -n '__sbx_second_arg path' -F

# The command, then its own arguments.
complete -c sbx -n __sbx_want_command -a "(__fish_complete_command)"
complete -c sbx -n __sbx_in_command -a "(__sbx_complete_command)"
complete -c sbx -n __sbx_want_option -l json -d "Print machine-readable JSON (with --list and --diff)"
complete -c sbx -n __sbx_want_option -l diff -x -a "(__fish_complete_directories)" -d "List what a --cow run changed in DIR, and exit"
complete -c sbx -n __sbx_want_option -l commit -x -a "(__fish_complete_directories)" -d "Apply the changes in DIR onto the --to tree"
complete -c sbx -n __sbx_want_option -l to -x -a "(__fish_complete_directories)" -d "The tree --diff compares with and --commit writes to"
complete -c sbx -n __sbx_want_option -l yes -d "Let --commit change the tree"
complete -c sbx -n __sbx_want_option -l discard -x -a "(__fish_complete_directories)" -d "Remove the upper and work folders of a --cow DIR"
complete -c sbx -n __sbx_want_option -l cow -x -a "(__fish_complete_directories)" -d "Every read-only bind becomes copy-on-write"
complete -c sbx -n __sbx_want_option -l cow-tmp -d "As --cow, with the writes on a tmpfs discarded at exit"
complete -c sbx -n __sbx_want_option -l overlay-backend -x -a "kernel fuse auto" -d "Who serves overlays"
complete -c sbx -n __sbx_want_option -l overlay-src -x -a "(__fish_complete_directories)" -d "A lower layer for the next overlay"
complete -c sbx -n __sbx_want_option -l overlay -r -F -d "Mount an overlay on DEST with a persistent upper"
complete -c sbx -n __sbx_want_option -l tmp-overlay -r -F -d "Mount an overlay on DEST with a tmpfs upper"
complete -c sbx -n __sbx_want_option -l ro-overlay -r -F -d "Mount a read-only overlay on DEST"
complete -c sbx -n __sbx_want_option -l rootfs -x -a "(__fish_complete_directories)" -d "Use the unpacked root file system DIR as /"
complete -c sbx -n __sbx_want_option -l image -r -F -d "Run from an OCI image layout or a save tarball"
complete -c sbx -n __sbx_want_option -l name -x -d "Register the sandbox as NAME (default: PROFILE-PID) for --list, --enter, --stop"
complete -c sbx -n __sbx_want_option -l list -d "List the running sandboxes, and exit"
complete -c sbx -n __sbx_want_option -l enter -x -a "(sbx --list 2>/dev/null | tail -n +2 | cut -d' ' -f1)" -d "Run COMMAND (default \$SHELL) inside the running sandbox NAME"
complete -c sbx -n __sbx_want_option -l stop -x -a "(sbx --list 2>/dev/null | tail -n +2 | cut -d' ' -f1)" -d "Stop the sandbox NAME: SIGTERM, then SIGKILL after 10 s"
complete -c sbx -n __sbx_want_option -l kill -x -a "(sbx --list 2>/dev/null | tail -n +2 | cut -d' ' -f1)" -d "Send SIGNAL (a name or number) to the sandbox NAME"
