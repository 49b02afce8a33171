#!/bin/bash
# A real browser end to end: Chromium, headless, through the shipped
# chromium profile, fetches a page from a local HTTP server on 127.0.0.1
# and saves a screenshot into the downloads folder the profile shares.
. "$TOP_SRCDIR/tests/lib.sh"

t_fake_home
PROJ=$HOME/proj
DL=$HOME/Downloads      # ${DOWNLOADS}: the one home folder the profile shares
mkdir -p "$PROJ" "$DL" "$HOME/.config" "$T_TMP/www" || exit 1
cd "$PROJ" || exit 1

if ! command -v chromium >/dev/null 2>&1; then
  t_skip "chromium is not installed (Debian: apt-get install chromium)"
  t_done
fi

# --- a local HTTP server on 127.0.0.1 ---------------------------------------------

cat > "$T_TMP/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>sbx browser test</title></head>
<body style="background:#c00000;color:#fff;font:32px sans-serif">
<h1 id="h">served to a sandboxed browser</h1>
<script>document.getElementById("h").setAttribute("data-js", "ran-" + (40 + 2));</script>
</body></html>
EOF

SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; t_cleanup' EXIT

# port_open PORT: something accepts connections on 127.0.0.1:PORT.
port_open () { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server () {  # start_server PORT: start one; 0 once it answers
  if busybox --list 2>/dev/null | grep -qx httpd; then
    busybox httpd -f -p "127.0.0.1:$1" -h "$T_TMP/www" 2>>"$T_TMP/server.log" &
  elif command -v python3 >/dev/null 2>&1; then
    python3 -m http.server --bind 127.0.0.1 --directory "$T_TMP/www" "$1" >>"$T_TMP/server.log" 2>&1 &
  else
    return 2
  fi
  SERVER_PID=$!
  local i
  for i in $(seq 1 50); do
    port_open "$1" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
  return 1
}

PORT=""
for try in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 20000))
  port_open "$port" && continue
  start_server "$port"
  case $? in
    0) PORT=$port; break ;;
    2) break ;;
  esac
done
if [ -z "$PORT" ]; then
  t_skip "no local HTTP server could be started (needs busybox with httpd, or python3)"
  t_done
fi
URL=http://127.0.0.1:$PORT/
t_ok "the local HTTP server answers on 127.0.0.1:$PORT" port_open "$PORT"

# --- chromium through the chromium profile ---------------------------------------------

FLAGS=(--headless --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --window-size=800,600
       "--user-data-dir=$HOME/.config/chromium")

# browse LABEL [CHROMIUM-FLAG]...: screenshot $URL into $DL/LABEL.png,
# with the sbx options of the array EXTRA_SBX after --profile chromium.
EXTRA_SBX=()
browse () {
  local label=$1; shift
  rm -f "$DL/$label.png"
  timeout -k 10 120 "$SBX" --profile chromium ${EXTRA_SBX[@]+"${EXTRA_SBX[@]}"} chromium "${FLAGS[@]}" "$@" \
    "--screenshot=$DL/$label.png" "$URL" > "$T_TMP/$label.log" 2>&1
}

# check_png LABEL DESCRIPTION
check_png () {
  local f=$DL/$1.png
  t_ok "$2: the screenshot exists on the host" test -f "$f"
  t_ok "$2: the screenshot is not empty" test -s "$f"
  t_is "$(head -c 4 "$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')" "89504e47" "$2: the screenshot is a PNG (\\x89PNG)"
}

# 1. With Chromium's own sandbox: the profile has allow-userns for it.
browse own-sandbox
rc=$?
[ "$rc" -eq 0 ]; t_result $? "chromium with its own sandbox, in the chromium profile, exits 0" "exit $rc:
$(grep -v '^sbx: warning:' "$T_TMP/own-sandbox.log" | tail -n 15)"
check_png own-sandbox "chromium with its own sandbox"

# 1b. The same with chroot taken off sbx's deny-list: Chromium's namespace
# sandbox chroots into /proc/self/fdinfo/ after creating its user namespace,
# so allow-userns alone is not enough for it.
EXTRA_SBX=(--seccomp.allow chroot)
browse own-sandbox-chroot
rc=$?
EXTRA_SBX=()
[ "$rc" -eq 0 ]; t_result $? "chromium with its own sandbox and --seccomp.allow chroot exits 0" "exit $rc:
$(grep -v '^sbx: warning:' "$T_TMP/own-sandbox-chroot.log" | tail -n 15)"
check_png own-sandbox-chroot "chromium with its own sandbox and chroot allowed"

# 2. With Chromium's own sandbox off: only sbx's.
browse no-sandbox --no-sandbox
rc=$?
[ "$rc" -eq 0 ]; t_result $? "chromium --no-sandbox, in the chromium profile, exits 0" "exit $rc:
$(grep -v '^sbx: warning:' "$T_TMP/no-sandbox.log" | tail -n 15)"
check_png no-sandbox "chromium --no-sandbox"
size=$(stat -c %s "$DL/no-sandbox.png" 2>/dev/null || echo 0)
t_ok "chromium --no-sandbox: the screenshot is a real rendering ($size bytes)" test "$size" -gt 1000

# The page really came over the network, and its script ran.
dom=$(timeout -k 10 120 "$SBX" --profile chromium chromium "${FLAGS[@]}" --no-sandbox --dump-dom "$URL" 2>/dev/null)
t_like "$dom" 'data-js="ran-42"' "chromium fetched the page from 127.0.0.1 and ran its script (--dump-dom)"

# The browser's own folder is kept, the rest of the home is not touched.
t_ok "the profile's mkdir made ~/.config/chromium on the host" test -d "$HOME/.config/chromium"
t_ok "chromium's settings were kept in ~/.config/chromium" test -n "$(ls -A "$HOME/.config/chromium" 2>/dev/null)"
t_is "$(cd "$HOME" && ls -A | LC_ALL=C sort | tr '\n' ' ')" ".cache .config Downloads proj " \
  "nothing else appeared in the home"
t_is "$(ls -A "$PROJ")" "" "the project folder (not shared with the browser) is untouched"

t_done
