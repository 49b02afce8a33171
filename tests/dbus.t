# dbus-session: the session bus socket, or, with dbus-talk names and
# xdg-dbus-proxy installed, a filtering proxy's socket at the same path.
. "$TOP_SRCDIR/tests/lib.sh"

for tool in dbus-daemon dbus-send xdg-dbus-proxy; do
  if ! command -v "$tool" >/dev/null; then
    t_skip "$tool is not installed (Debian: dbus-daemon, dbus-bin, xdg-dbus-proxy)"
    t_done
  fi
done

# Not under /tmp: the profiles below cover /tmp with a private one.
W=$(mktemp -d /var/tmp/sbx-dbus.XXXXXX) || W=$T_TMP
trap 'kill "$(cat "$W/pid" 2>/dev/null)" 2>/dev/null; rm -rf "$W"; t_cleanup' EXIT
mkdir -p "$W/run" "$W/home/proj"
chmod 700 "$W/run"
cat > "$W/bus.conf" <<CONF
<busconfig><type>session</type><listen>unix:path=$W/bus</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
CONF
dbus-daemon --config-file="$W/bus.conf" --fork --print-pid > "$W/pid"
export DBUS_SESSION_BUS_ADDRESS=unix:path=$W/bus XDG_RUNTIME_DIR=$W/run HOME=$W/home
cd "$W/home/proj" || exit 1
printf 'ro-system\nproc /proc\ndev /dev\nunshare-pid\ndbus-session\n' > "$W/open.sbx"
cp "$W/open.sbx" "$W/filtered.sbx"
echo 'dbus-talk org.example.Allowed' >> "$W/filtered.sbx"

own_name () {  # own_name PROFILE: try to own a bus name from inside
  "$SBX" --profile "$W/$1.sbx" dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.RequestName string:org.example.Mine uint32:0 2>&1 | tail -n 1
}

plan=$("$SBX" --profile "$W/open.sbx" --dry-run true)
t_like "$plan" "ro-bind $W/bus $W/bus" "dbus-session binds the bus socket itself"
t_unlike "$plan" "dbus-proxy" "and starts no proxy without dbus-talk names"
t_like "$(own_name open)" "uint32 1" "a sandbox on the open bus can own a name"

plan=$("$SBX" --profile "$W/filtered.sbx" --dry-run true)
t_like "$plan" "dbus-proxy: xdg-dbus-proxy unix:path=$W/bus $W/run/sbx/dbus-proxy-[0-9]+ --filter --talk=org.example.Allowed" \
  "with dbus-talk, --dry-run shows the filtering proxy"
t_like "$plan" "ro-bind $W/run/sbx/dbus-proxy-[0-9]+ $W/bus" "and the proxy's socket bound where the bus was"
t_like "$plan" "DBUS_SESSION_BUS_ADDRESS=unix:path=$W/bus" "so the address inside does not change"
[ ! -e "$W/run/sbx" ] || [ -z "$(ls "$W/run/sbx")" ]; t_result $? "--dry-run starts nothing"

out=$("$SBX" --profile "$W/filtered.sbx" dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
      org.freedesktop.DBus.ListNames 2>&1)
t_like "$out" 'string "org.freedesktop.DBus"' "through the proxy, the bus itself answers"
t_unlike "$(own_name filtered)" "uint32 1" "through the proxy, owning a name that was not granted is refused"
t_is "$(ls "$W/run/sbx" 2>/dev/null)" "" "the proxy socket is removed after the sandbox exits"
t_is "$(pgrep -u "$(id -u)" -f "xdg-dbus-proxy --fd=[0-9]+ unix:path=$W/bus" | wc -l)" 0 "no proxy is left running"

# SIGKILL of sbx: the monitor's end of the proxy's pipe closes, the proxy stops.
# (--die-with-parent ends the sandbox itself with sbx.)
"$SBX" --profile "$W/filtered.sbx" --die-with-parent sleep 1000 >/dev/null 2>&1 &
sbx_pid=$!
for _ in $(seq 100); do
  pgrep -u "$(id -u)" -f "xdg-dbus-proxy --fd=[0-9]+ unix:path=$W/bus" >/dev/null && break
  sleep 0.05
done
pgrep -u "$(id -u)" -f "xdg-dbus-proxy --fd=[0-9]+ unix:path=$W/bus" >/dev/null; t_result $? "a proxy runs while the sandbox does"
kill -KILL "$sbx_pid"
wait "$sbx_pid" 2>/dev/null
gone=1
for _ in $(seq 100); do
  pgrep -u "$(id -u)" -f "xdg-dbus-proxy --fd=[0-9]+ unix:path=$W/bus" >/dev/null || { gone=0; break; }
  sleep 0.05
done
t_result $gone "after SIGKILL of sbx the proxy is gone"

# Without xdg-dbus-proxy: a warning, and the bus itself.
err=$(PATH=/nonexistent "$SBX" --profile "$W/filtered.sbx" --dry-run /bin/true 2>&1 >/dev/null)
t_like "$err" "xdg-dbus-proxy is not installed; the whole session bus is shared" "a missing proxy is said in one warning"
t_done
