#!/bin/bash
# Networking: --net none, host, user (pasta, then slirp4netns: host
# loopback, --port for TCP and UDP, the helper gone after exit and after
# SIGKILL of sbx), the allow-list proxy, and bad input. All traffic stays
# on this machine: servers listen on the host's 127.0.0.1 or inside.
. "$TOP_SRCDIR/tests/lib.sh"

# shellcheck disable=SC2206
BASE=($SBX_BASE --die-with-parent)
one_line () { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && case "$1" in "sbx: "*) true ;; *) false ;; esac; }
have () { command -v "$1" >/dev/null 2>&1; }
free_port () {  # free_port tcp|udp: a port nobody is bound to right now
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
# retry N COMMAND...: run COMMAND until it succeeds, at most N times.
retry () { local n=$1; shift; while [ "$n" -gt 0 ]; do "$@" && return 0; n=$((n - 1)); sleep 0.1; done; return 1; }
# The backend attached for the sbx of pid $1 (pasta's last argument is
# that pid, slirp4netns's are the pid and the interface).
helper_of () { pgrep -u "$(id -u)" -f "(pasta|slirp4netns) .* $1( eth0)?\$" >/dev/null; }
helper_gone () { ! helper_of "$1"; }

if ! have curl || ! have python3; then
  t_skip "curl and python3 are needed (Debian packages curl, python3)"
  t_done
fi

mkdir -p "$T_TMP/www" "$T_TMP/empty"
echo "token-$$" >"$T_TMP/www/index.html"
HOST_PORT=$(free_port tcp)
(cd "$T_TMP/www" && exec python3 -m http.server --bind 127.0.0.1 "$HOST_PORT" >/dev/null 2>&1) &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; t_cleanup' EXIT
retry 100 curl -sf -o /dev/null "http://127.0.0.1:$HOST_PORT/" || echo "# the host server did not start"

# --- --net none ---------------------------------------------------------

if have ip; then
  sbx_status "${BASE[@]}" --net none ip -o link show
  t_is "$(printf '%s\n' "$T_OUT" | awk '{ print $2 }')" "lo:" "--net none: lo is the only interface"
  t_like "$T_OUT" "<[^>]*\\bUP\\b" "--net none: lo is UP"
else
  t_skip "ip (iproute2) is not installed"
  t_skip "ip (iproute2) is not installed"
fi
sbx_status "${BASE[@]}" --net none curl -s -m 5 "http://127.0.0.1:$HOST_PORT/index.html"
t_isnt "$T_RC" 0 "--net none: the host's loopback server cannot be reached"
t_unlike "$T_OUT" "token-$$" "... and nothing of it comes back"
sbx_status --noprofile --net none --dry-run true
t_like "$T_OUT" "^network: none" "--net none: --dry-run shows the mode"

# --- --net host ---------------------------------------------------------

sbx_status "${BASE[@]}" --unshare-all --net host readlink /proc/self/ns/net
t_is "$T_OUT" "$(readlink /proc/self/ns/net)" "--net host: the host's network namespace, even after --unshare-all"

# --- --net user ---------------------------------------------------------

for backend in pasta slirp4netns; do
  if ! have "$backend"; then
    for _ in 1 2 3 4 5 6 7 8; do t_skip "$backend is not installed"; done
    continue
  fi
  NET=(--net user --net-backend "$backend")

  sbx_status "${BASE[@]}" "${NET[@]}" curl -s -m 5 "http://10.0.2.2:$HOST_PORT/index.html"
  t_unlike "$T_OUT" "token-$$" "$backend: without --host-loopback, the host's 127.0.0.1 is out of reach"
  sbx_status "${BASE[@]}" "${NET[@]}" --host-loopback curl -s -m 5 "http://10.0.2.2:$HOST_PORT/index.html"
  t_is "$T_OUT" "token-$$" "$backend: with --host-loopback, the gateway reaches the host's 127.0.0.1 (first connect works)"

  # A server inside, reached from the host through --port.
  fwd=$(free_port tcp)
  "$SBX" "${BASE[@]}" --ro-bind "$T_TMP/www" /srv "${NET[@]}" --port "$fwd:8000" \
    timeout 30 python3 -m http.server --bind 0.0.0.0 --directory /srv 8000 >/dev/null 2>&1 &
  sbx_pid=$!
  got=$(retry 100 curl -sf -m 2 "http://127.0.0.1:$fwd/index.html")
  t_is "$got" "token-$$" "$backend: --port HOSTPORT:SANDBOXPORT reaches a server inside"
  helper_of "$sbx_pid"; t_result $? "$backend: the helper runs while the sandbox does"
  kill -TERM "$sbx_pid"; wait "$sbx_pid" 2>/dev/null
  helper_gone "$sbx_pid"; t_result $? "$backend: the helper is gone once sbx has exited"

  # UDP: a datagram sent to the host port arrives inside.
  ufwd=$(free_port udp)
  "$SBX" "${BASE[@]}" "${NET[@]}" --port "$ufwd:5353/udp" python3 -c '
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5353))
s.settimeout(20); print(s.recvfrom(100)[0].decode())' >"$T_TMP/udp.out" 2>&1 &
  sbx_pid=$!
  send_udp () {
    python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"datagram", ("127.0.0.1", int(sys.argv[1])))' "$ufwd"
    grep -q datagram "$T_TMP/udp.out"
  }
  retry 100 send_udp
  wait "$sbx_pid"
  t_is "$(cat "$T_TMP/udp.out")" "datagram" "$backend: --port HOSTPORT:SANDBOXPORT/udp forwards UDP"

  # SIGKILL of sbx: nothing is left to notice, yet the helper goes.
  "$SBX" "${BASE[@]}" "${NET[@]}" sleep 60 &
  sbx_pid=$!
  retry 100 helper_of "$sbx_pid"
  kill -KILL "$sbx_pid"; wait "$sbx_pid" 2>/dev/null
  retry 100 helper_gone "$sbx_pid"; t_result $? "$backend: the helper is gone after SIGKILL of sbx"

  sbx_status "${BASE[@]}" "${NET[@]}" --dns 192.0.2.53 cat /etc/resolv.conf
  t_like "$T_OUT" "^nameserver 192\\.0\\.2\\.53$" "$backend: --dns writes the sandbox's own resolv.conf"
done

# --- --net allow= -------------------------------------------------------

printf '127.0.0.1 good.test www.other.test bad.test\n' >"$T_TMP/hosts"
ALLOW=(--hosts-file "$T_TMP/hosts" --net-log "$T_TMP/net.log")
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test,*.other.test cat /etc/hosts
t_is "$T_OUT" "$(cat "$T_TMP/hosts")" "--hosts-file installs the hosts file"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 "http://good.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=: an allowed name is fetched through the proxy"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 -p "http://good.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=: CONNECT to an allowed name tunnels"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 -w '\n%{http_code}' "http://bad.test:$HOST_PORT/index.html"
t_like "$T_OUT" "403$" "allow=: a name not listed gets 403"
t_like "$T_OUT" "bad.test is not in the network allow-list" "... with a body that says why"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 -p "http://bad.test:$HOST_PORT/index.html"
t_isnt "$T_RC" 0 "allow=: CONNECT to a name not listed is refused"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net 'allow=*.other.test' curl -sS -m 5 "http://www.other.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=*.DOMAIN: a subdomain is allowed"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net 'allow=*.other.test' curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://other.test:$HOST_PORT/"
t_is "$T_OUT" "403" "allow=*.DOMAIN: the domain itself is not"
t_like "$(cat "$T_TMP/net.log")" " allow GET good.test:$HOST_PORT" "--net-log records allowed requests"
t_like "$(cat "$T_TMP/net.log")" " deny GET bad.test:$HOST_PORT" "--net-log records refused requests"
t_like "$(cat "$T_TMP/net.log")" " allow CONNECT good.test:$HOST_PORT" "--net-log records CONNECT"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 --noproxy '*' "http://good.test:$HOST_PORT/index.html"
t_isnt "$T_RC" 0 "allow=: a direct connection, without the proxy, is impossible"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 --noproxy '*' "http://192.0.2.1:$HOST_PORT/"
t_like "$T_ERR" "unreachable|Couldn't connect|Failed to connect" "allow=: no route out of the sandbox"
# The proxy is sbx's child in a session of its own; SIGKILL of sbx ends it.
"$SBX" "${BASE[@]}" --net allow=good.test sleep 60 &
sbx_pid=$!
proxy_of () { ps -o pid=,sid= --ppid "$sbx_pid" | awk '$1 == $2 { print $1 }'; }
retry 100 test -n "$(proxy_of)"
proxy=$(proxy_of)
kill -KILL "$sbx_pid"; wait "$sbx_pid" 2>/dev/null
proxy_gone () { ! kill -0 "$proxy" 2>/dev/null || [ "$(ps -o stat= -p "$proxy")" = Z ]; }
[ -n "$proxy" ] && retry 100 proxy_gone; t_result $? "allow=: the proxy is gone after SIGKILL of sbx"

# --- bad input ----------------------------------------------------------

# bad DESCRIPTION REGEX ARGS...: exit 125, one clear line. $BAD_PATH, if
# set, is sbx's PATH (to hide the helpers).
BAD_PATH=$PATH
bad () {
  local desc=$1 regex=$2; shift 2
  T_ERR=$(PATH=$BAD_PATH "$SBX" --noprofile "$@" 2>&1 >/dev/null); T_RC=$?
  t_is "$T_RC" 125 "$desc: exit 125"
  one_line "$T_ERR" && printf '%s\n' "$T_ERR" | grep -Eq -- "$regex"
  t_result $? "$desc: says so in one line" "got: $T_ERR"
}
bad "unknown net mode" "unknown network mode 'bogus'" --net bogus true
bad "unknown backend" "unknown network backend" --net user --net-backend vde true
bad "malformed port spec" "malformed port spec 'abc'" --net user --port abc true
bad "port spec without the sandbox port" "malformed port spec '8080'" --net user --port 8080 true
bad "port out of range" "'70000' is not a port number" --net user --port 70000:80 true
bad "unknown port protocol" "unknown protocol 'sctp'" --net user --port 8080:80/sctp true
bad "port address not an IP" "'nowhere' is not an IP address" --net user --port nowhere:8080:80 true
bad "--port without --net user" "--port: needs --net user" --port 8080:80 true
bad "--net user undone by --share-net" "needs its own network namespace" --net user --share-net true
bad "bad allow-list domain" "not a domain name" --net 'allow=exa mple.com' true
bad "port already in use" "127.0.0.1:$HOST_PORT/tcp: host port already in use" --net user --port "$HOST_PORT:80" true
BAD_PATH=$T_TMP/empty
bad "missing helpers" "neither pasta nor slirp4netns is installed.*passt" --net user true
bad "missing pasta" "pasta is not installed \\(install the Debian package passt\\)" \
  --net user --net-backend pasta true
bad "missing slirp4netns" "slirp4netns is not installed \\(install the Debian package slirp4netns\\)" \
  --net user --net-backend slirp4netns true

t_done
