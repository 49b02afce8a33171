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

# UDP: an echo server that replies to recvfrom's address ("bye" ends it),
# and a client that sends one word to 127.0.0.1:PORT and prints the reply,
# if one comes within SECONDS.
UDP_ECHO='import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(60)
while True:
    data, peer = s.recvfrom(100)
    print(data.decode(), flush=True)
    if data == b"bye":
        break
    s.sendto(b"echo:" + data, peer)'
UDP_ASK='import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
c.settimeout(float(sys.argv[3]))
try:
    print(c.recvfrom(100)[0].decode())
except OSError:
    pass'
udp_ask () { python3 -c "$UDP_ASK" "$@"; }  # udp_ask PORT WORD SECONDS
# udp_arrived PORT FILE: send "ping"; true once the server has logged one.
udp_arrived () { udp_ask "$1" ping 0.05 >/dev/null; grep -qx ping "$2"; }

# The same round trip with the backend run by hand, no sbx: pasta spawns
# the server in its own namespace; slirp4netns is attached to an
# `unshare -rn` server and given the forward through its API socket, as
# sbx does. Prints the reply, or nothing.
upstream_udp () {  # upstream_udp pasta|slirp4netns HOSTPORT SANDBOXPORT [--host-loopback]
  local backend=$1 h=$2 s=$3 hl=${4:-} dir pid slirp=
  dir=$(mktemp -d "$T_TMP/upstream.XXXXXX")
  if [ "$backend" = pasta ]; then
    pasta --config-net -f -q -t none -T none -U none ${hl:---no-map-gw} -u "127.0.0.1/$h:$s" \
      -- python3 -c "$UDP_ECHO" "$s" >"$dir/out" 2>/dev/null &
    pid=$!
  else
    unshare -rn python3 -c "$UDP_ECHO" "$s" >"$dir/out" 2>/dev/null &
    pid=$!
    slirp4netns --configure --mtu=65520 ${hl:---disable-host-loopback} --api-socket "$dir/api" \
      "$pid" tap0 >/dev/null 2>&1 &
    slirp=$!
    retry 100 python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(("{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"udp\", \"host_addr\": \"127.0.0.1\", "
           "\"host_port\": %s, \"guest_port\": %s}}" % (sys.argv[2], sys.argv[3])).encode())
s.shutdown(socket.SHUT_WR); sys.exit(b"return" not in s.recv(200))' "$dir/api" "$h" "$s" 2>/dev/null
  fi
  retry 100 udp_arrived "$h" "$dir/out" && udp_ask "$h" round 3
  udp_ask "$h" bye 0 >/dev/null
  wait "$pid" 2>/dev/null
  [ -z "$slirp" ] || { kill "$slirp"; wait "$slirp" 2>/dev/null; }
}

# udp_case BACKEND same|remapped [--host-loopback]: two points, the
# datagram in, the reply out. A reply the backend itself loses when run
# by hand is an upstream limit: skipped, with the reason.
udp_case () {
  local backend=$1 how=$2 hl=${3:-} h s what got pid
  h=$(free_port udp)
  if [ "$how" = same ]; then s=$h; else s=$(( h == 5353 ? 5354 : 5353 )); fi
  what="$backend${hl:+ $hl}: --port H:S/udp, H $([ "$how" = same ] && echo "=" || echo "!=") S"
  "$SBX" "${BASE[@]}" "${NET[@]}" $hl --port "$h:$s/udp" python3 -c "$UDP_ECHO" "$s" >"$T_TMP/udp.out" 2>&1 &
  pid=$!
  retry 100 udp_arrived "$h" "$T_TMP/udp.out"; t_result $? "$what: a datagram to 127.0.0.1:H arrives inside"
  got=$(udp_ask "$h" round 3)
  udp_ask "$h" bye 0 >/dev/null
  wait "$pid" 2>/dev/null
  if [ "$got" = echo:round ]; then
    t_result 0 "$what: the reply to the sender's address comes back"
  elif [ -n "$(upstream_udp "$backend" "$(free_port udp)" "$s" $hl)" ]; then
    t_result 1 "$what: the reply to the sender's address comes back" "lost through sbx, not by hand"
  elif [ "$backend" = pasta ]; then
    t_skip "$what: pasta run by hand loses the reply too: this pasta (Debian 12's 2023-03-09) sends spliced UDP replies of a remapped port to no socket (sendmmsg on fd 0, ENOTSOCK); use the same port on both sides"
  else
    t_skip "$what: slirp4netns run by hand loses the reply too: libslirp's disable-host-loopback (sbx's default) drops every datagram to the gateway address, replies to a forwarded port included; --host-loopback lifts it"
  fi
}


for backend in pasta slirp4netns; do
  if ! have "$backend"; then
    for _ in $(seq 9); do t_skip "$backend is not installed"; done
    continue
  fi
  NET=(--net user --net-backend "$backend")

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

  # UDP: an echo server inside replies to recvfrom's address; a client
  # on the host sends to 127.0.0.1:HOSTPORT and waits for the reply.
  if [ "$backend" = pasta ]; then
    udp_case "$backend" same ""
    udp_case "$backend" remapped ""
  else
    udp_case "$backend" remapped --host-loopback
    udp_case "$backend" remapped ""
  fi

  # SIGKILL of sbx: nothing is left to notice, yet the helper goes.
  "$SBX" "${BASE[@]}" "${NET[@]}" sleep 60 &
  sbx_pid=$!
  retry 100 helper_of "$sbx_pid"
  kill -KILL "$sbx_pid"; wait "$sbx_pid" 2>/dev/null
  retry 100 helper_gone "$sbx_pid"; t_result $? "$backend: the helper is gone after SIGKILL of sbx"

  sbx_status "${BASE[@]}" "${NET[@]}" --dns 192.0.2.53 cat /etc/resolv.conf
  t_like "$T_OUT" "^nameserver 192\\.0\\.2\\.53$" "$backend: --dns writes the sandbox's own resolv.conf"
done

# --- --host-loopback -----------------------------------------------------

# Without --host-loopback, pasta (--no-map-gw) sends what the sandbox
# sends to the gateway address on to that address for real, out of the
# host. So this part runs in a stand-in host: a user and network namespace
# whose only route out is a veth pair with both ends in it, where packets
# die. A server on its 127.0.0.1 must be out of reach from the sandbox by
# the gateway address and by 127.0.0.1, unless --host-loopback.
cat >"$T_TMP/standin.sh" <<'EOF'
set -e
ip link set lo up
ip link add sbx-v0 type veth peer name sbx-v1
ip addr add 192.0.2.200/24 dev sbx-v0
ip link set sbx-v1 up
ip link set sbx-v0 up
ip route add default via 192.0.2.1
set +e
EOF
cat >"$T_TMP/loopback.sh" <<'EOF'
. "$DIR/standin.sh"
python3 -m http.server --bind 127.0.0.1 --directory "$WWW" 8080 >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:8080/ && break; sleep 0.1; done
# probe ARGS... ADDR: what the sandbox fetches from ADDR:8080, if anything.
probe () {
  local addr=${*: -1}
  # shellcheck disable=SC2086
  "$SBX" $SBX_ARGS "${@:1:$#-1}" curl -s -m 4 --connect-timeout 2 "http://$addr:8080/index.html" | tr -d '\n'
}
for backend in $BACKENDS; do
  for hl in "" --host-loopback; do
    # shellcheck disable=SC2086
    printf '%s%s: gw=[%s] lo=[%s]\n' "$backend" "$hl" "$(probe --net user --net-backend "$backend" $hl 10.0.2.2)" \
      "$(probe --net user --net-backend "$backend" $hl 127.0.0.1)"
  done
done
kill "$server"
EOF
backends=
for b in pasta slirp4netns; do have "$b" && backends="$backends $b"; done
if ! have ip || ! have unshare || ! unshare -rn true 2>/dev/null; then
  for _ in $(seq 6); do t_skip "--host-loopback: needs ip, and unshare -rn for a stand-in host"; done
else
  lb=$(DIR=$T_TMP WWW=$T_TMP/www SBX=$SBX SBX_ARGS="${BASE[*]}" BACKENDS=$backends unshare -rn bash "$T_TMP/loopback.sh" 2>&1)
  for b in pasta slirp4netns; do
    if ! have "$b"; then
      for _ in 1 2 3; do t_skip "$b is not installed"; done
      continue
    fi
    line=$(printf '%s\n' "$lb" | grep "^$b: ")
    t_is "$line" "$b: gw=[] lo=[]" "$b: without --host-loopback, the host's 127.0.0.1 is out of reach by the gateway address and by 127.0.0.1"
    line=$(printf '%s\n' "$lb" | grep "^$b--host-loopback: ")
    t_like "$line" "^$b--host-loopback: gw=\\[token-$$\\]" "$b: with --host-loopback, the gateway address reaches it (first connect works)"
    t_like "$line" "lo=\\[\\]$" "$b: ... and 127.0.0.1 inside is still the sandbox's own"
  done
fi

# --- --net allow= -------------------------------------------------------

printf '127.0.0.1 good.test www.other.test bad.test\n' >"$T_TMP/hosts"
ALLOW=(--hosts-file "$T_TMP/hosts" --net-log "$T_TMP/net.log")
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test,*.other.test cat /etc/hosts
t_is "$T_OUT" "$(cat "$T_TMP/hosts")" "--hosts-file installs the hosts file"
sbx_status --noprofile --net 'allow=good.test,*.other.test:8443' --dry-run true
t_like "$T_OUT" "^network: allow-list proxy .* for good\.test \*\.other\.test:8443$" "allow=: --dry-run shows the entries and their ports"
GOOD="allow=good.test:$HOST_PORT"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "$GOOD" curl -sS -m 5 "http://good.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=DOMAIN:PORT: an allowed name and port is fetched through the proxy"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "$GOOD" curl -sS -m 5 -p "http://good.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=DOMAIN:PORT: CONNECT to that port tunnels"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -s -m 5 -p -o /dev/null -w '%{http_connect}' "http://good.test:$HOST_PORT/index.html"
t_is "$T_OUT" "403" "allow=DOMAIN: CONNECT to another port than 443 gets 403"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 -w '\n%{http_code}' "http://good.test:$HOST_PORT/index.html"
t_like "$T_OUT" "403$" "allow=DOMAIN: plain HTTP to another port than 80 gets 403"
t_like "$T_OUT" "port $HOST_PORT of good.test is not in the network allow-list" "... with a body that says why"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "allow=good.test:1,good.test:$HOST_PORT" curl -sS -m 5 -p "http://good.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=: the same domain may be listed with several ports"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "$GOOD" curl -sS -m 5 -w '\n%{http_code}' "http://bad.test:$HOST_PORT/index.html"
t_like "$T_OUT" "403$" "allow=: a name not listed gets 403"
t_like "$T_OUT" "bad.test is not in the network allow-list" "... with a body that says why"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "$GOOD" curl -sS -m 5 -p "http://bad.test:$HOST_PORT/index.html"
t_isnt "$T_RC" 0 "allow=: CONNECT to a name not listed is refused"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "allow=*.other.test:$HOST_PORT" curl -sS -m 5 "http://www.other.test:$HOST_PORT/index.html"
t_is "$T_OUT" "token-$$" "allow=*.DOMAIN:PORT: a subdomain is allowed"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "allow=*.other.test:$HOST_PORT" curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://other.test:$HOST_PORT/"
t_is "$T_OUT" "403" "allow=*.DOMAIN: the domain itself is not"
t_like "$(cat "$T_TMP/net.log")" " allow GET good.test:$HOST_PORT" "--net-log records allowed requests"
t_like "$(cat "$T_TMP/net.log")" " deny GET bad.test:$HOST_PORT" "--net-log records refused requests"
t_like "$(cat "$T_TMP/net.log")" " allow CONNECT good.test:$HOST_PORT" "--net-log records CONNECT"
t_like "$(cat "$T_TMP/net.log")" " deny CONNECT good.test:$HOST_PORT" "--net-log records a CONNECT refused for its port"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net "$GOOD" curl -sS -m 5 --noproxy '*' "http://good.test:$HOST_PORT/index.html"
t_isnt "$T_RC" 0 "allow=: a direct connection, without the proxy, is impossible"
sbx_status "${BASE[@]}" "${ALLOW[@]}" --net allow=good.test curl -sS -m 5 --noproxy '*' "http://192.0.2.1:$HOST_PORT/"
t_like "$T_ERR" "unreachable|Couldn't connect|Failed to connect" "allow=: no route out of the sandbox"

# The default ports, 80 and 443, and names that resolve slowly or not at
# all, in a stand-in host again: a user, network and mount namespace whose
# resolv.conf names a DNS server of the test's on its own 127.0.0.1. That
# server logs each query; it never answers for slow.test and says "no such
# name" for every other name. Nothing of it leaves the namespace.
mkdir -p "$T_TMP/dns"
cat >"$T_TMP/dns.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, peer = s.recvfrom(512)
    labels, i = [], 12
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    name = ".".join(labels)
    with open(sys.argv[1], "a") as log:
        print(name, flush=True, file=log)
    if name != "slow.test":
        s.sendto(q[:2] + b"\x81\x83" + q[4:6] + b"\0\0\0\0\0\0" + q[12:i + 5], peer)
EOF
cat >"$T_TMP/proxy.sh" <<'EOF'
. "$DIR/standin.sh"
printf 'nameserver 127.0.0.1\noptions attempts:1\n' >"$DIR/resolv.conf"
mount --bind "$DIR/resolv.conf" /etc/resolv.conf || exit 1
python3 "$DIR/dns.py" "$DIR/dns/queries" 2>/dev/null &
dns=$!
cd "$WWW"
python3 -m http.server --bind 127.0.0.1 80 >/dev/null 2>&1 &
web80=$!
python3 -m http.server --bind 127.0.0.1 443 >/dev/null 2>&1 &
web443=$!
for port in 80 443; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
# shellcheck disable=SC2086
run () { "$SBX" $SBX_ARGS --hosts-file "$DIR/hosts" --ro-bind "$DIR/dns" /tmp/dns "$@"; }
echo "port80: $(run --net allow=good.test curl -s -m 10 http://good.test/index.html)"
echo "port443: $(run --net allow=good.test curl -s -m 10 -p http://good.test:443/index.html)"
echo "gone: $(run --net allow=gone.test curl -s -m 10 -w ' %{http_code}' http://gone.test/ | tr -d '\n')"
# A request for slow.test first; once its lookup has reached the DNS
# server (and hangs there), one for good.test; then is the first still
# waiting?
run --net allow=slow.test,good.test sh -c '
  curl -s -m 60 -o /dev/null http://slow.test/ & slow=$!
  for _ in $(seq 600); do grep -qx slow.test /tmp/dns/queries 2>/dev/null && break; sleep 0.05; done
  grep -qx slow.test /tmp/dns/queries && echo "slow: lookup pending"
  echo "good: $(curl -s -m 20 http://good.test/index.html)"
  kill -0 $slow 2>/dev/null && echo "slow: still waiting"
  kill $slow'
kill "$dns" "$web80" "$web443"
EOF
printf '127.0.0.1 good.test\n' >"$T_TMP/hosts"
if ! have ip || ! have unshare || ! unshare -rnm true 2>/dev/null; then
  for _ in $(seq 6); do t_skip "allow=: needs ip, and unshare -rnm for a stand-in host"; done
else
  px=$(DIR=$T_TMP WWW=$T_TMP/www SBX=$SBX SBX_ARGS="${BASE[*]}" unshare -rnm bash "$T_TMP/proxy.sh" 2>&1)
  t_like "$px" "^port80: token-$$\$" "allow=DOMAIN: plain HTTP to port 80 is allowed by default"
  t_like "$px" "^port443: token-$$\$" "allow=DOMAIN: CONNECT to port 443 is allowed by default"
  t_like "$px" "^gone: sbx proxy: cannot resolve gone.test 502\$" "allow=: a name that does not resolve gets 502, saying so"
  t_like "$px" "^slow: lookup pending\$" "allow=: a lookup that hangs in the resolver is pending ..."
  t_like "$px" "^good: token-$$\$" "... while a second request is served ..."
  t_like "$px" "^slow: still waiting\$" "... and the first is still waiting after it"
fi

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
bad "allow-list entry with an empty port" "malformed allow-list entry 'good.test:': '' is not a port number" \
  --net allow=good.test: true
bad "allow-list entry with port 0" "malformed allow-list entry 'good.test:0': '0' is not a port number" \
  --net allow=good.test:0 true
bad "allow-list entry with a port out of range" "'70000' is not a port number" --net allow=good.test:70000 true
bad "allow-list entry with a service name" "'https' is not a port number" --net allow=good.test:https true
bad "allow-list entry with two ports" "'443:80' is not a port number" --net allow=good.test:443:80 true
bad "allow-list entry with a port and no domain" "not a domain name: ''" --net allow=:443 true
bad "port already in use" "127.0.0.1:$HOST_PORT/tcp: host port already in use" --net user --port "$HOST_PORT:80" true
# A helper that fails once started: sbx says what it said, and the
# command, whose start overlapped with the helper's, never runs.
mkdir -p "$T_TMP/fakebin" "$T_TMP/ran"
printf '#!/bin/sh\necho "pasta: no, not today" >&2\nexit 1\n' >"$T_TMP/fakebin/pasta"
chmod +x "$T_TMP/fakebin/pasta"
BAD_PATH=$T_TMP/fakebin:$PATH
bad "a helper that fails" "^sbx: network: pasta: pasta: no, not today\$" \
  --ro-bind / / --dev /dev --tmpfs /tmp --bind "$T_TMP/ran" /tmp/ran --net user --net-backend pasta touch /tmp/ran/yes
t_is "$(ls "$T_TMP/ran")" "" "a helper that fails: the command did not run"
# sbx killed while the helper starts: once the network is ready, the
# sandbox, which waited for it, must not run the command without sbx. A
# stand-in pasta holds its start until told to go.
mkdir -p "$T_TMP/slowbin" "$T_TMP/slow"
cat >"$T_TMP/slowbin/pasta" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -P ] && pidfile=$2; shift; done
: >"$SLOW/started"
while [ ! -e "$SLOW/go" ]; do sleep 0.05; done
echo $$ >"$pidfile"
: >"$SLOW/ready"
exec sleep 30
EOF
chmod +x "$T_TMP/slowbin/pasta"
rm -f "$T_TMP/ran/"*
PATH=$T_TMP/slowbin:$PATH SLOW=$T_TMP/slow "$SBX" --noprofile --ro-bind / / --dev /dev --tmpfs /tmp \
  --bind "$T_TMP/ran" /tmp/ran --net user --net-backend pasta touch /tmp/ran/killed 2>/dev/null &
sbx_pid=$!
retry 100 test -e "$T_TMP/slow/started"
kill -KILL "$sbx_pid"; wait "$sbx_pid" 2>/dev/null
: >"$T_TMP/slow/go"
retry 100 test -e "$T_TMP/slow/ready"
sandbox_gone () { ! pgrep -u "$(id -u)" -f "/tmp/ran/killed" >/dev/null; }
retry 100 sandbox_gone; t_result $? "sbx killed while the helper starts: the sandbox goes too"
t_is "$(ls "$T_TMP/ran")" "" "... and the command never ran"
BAD_PATH=$T_TMP/empty
bad "missing helpers" "neither pasta nor slirp4netns is installed.*passt" --net user true
bad "missing pasta" "pasta is not installed \\(install the Debian package passt\\)" \
  --net user --net-backend pasta true
bad "missing slirp4netns" "slirp4netns is not installed \\(install the Debian package slirp4netns\\)" \
  --net user --net-backend slirp4netns true

t_done
