#!/usr/bin/env bash
# Start-up of the release desktop app to the recording screen, with an empty log and with
# 100,000 records in it: builds the app (release, the UI embedded) and the log filler
# (crates/lgota-core/examples/fill_log.rs), prepares two data folders (set up, so the app opens
# on the recording screen; the big log is cached in $CARGO_TARGET_DIR/bench-startup/), starts Xvfb and runs scripts/bench-startup.mjs (tauri-driver;
# median of 5 starts each, printed side by side). A measurement, not a test: nothing fails on a
# slow figure. Usage: scripts/bench-startup.sh [RUNS] [RECORDS]   (npm run bench:startup)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
records="${2:-100000}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh --test
say "build: UI, the app (release), the log filler"
# Only when the UI changed: a rebuilt ui/dist makes cargo recompile the app.
if [ ! -d ui/dist/assets ] || [ -n "$(find ui -path ui/dist -prune -o -newer ui/dist/index.html -type f -print -quit)" ]; then
  npm run --silent build:ui >/dev/null
fi
cargo build --release -p lgota-app --features tauri/custom-protocol --quiet
cargo build --release -p lgota-core --example fill_log --quiet
target="${CARGO_TARGET_DIR:-$PWD/target}"
app="$target/release/lgota-app"

work="$(mktemp -d "${TMPDIR:-/tmp}/lgota-startup-XXXXXX")"
xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The app keeps its log in $XDG_DATA_HOME/<identifier>/lgota.db (src-tauri/src/lib.rs).
identifier="$(node -p 'require("./src-tauri/tauri.conf.json").identifier')"
say "data: an empty log, and $records records"
mkdir -p "$work/empty/$identifier" "$work/big/$identifier"
"$target/release/examples/fill_log" "$work/empty/$identifier/lgota.db" 0
# Recording 100,000 checks one committed transaction at a time takes minutes: the filled log is
# kept next to the build and made again only when the filler (so the core) was rebuilt.
cached="$target/bench-startup/log-$records.db"
if [ ! -f "$cached" ] || [ "$target/release/examples/fill_log" -nt "$cached" ]; then
  mkdir -p "$target/bench-startup"
  rm -f "$cached" "$cached-wal" "$cached-shm"
  "$target/release/examples/fill_log" "$cached.tmp" "$records"
  sqlite3 "$cached.tmp" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  rm -f "$cached.tmp-wal" "$cached.tmp-shm"
  mv "$cached.tmp" "$cached"
fi
cp "$cached" "$work/big/$identifier/lgota.db"

display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 480x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
export DISPLAY=":$display" WEBKIT_DISABLE_COMPOSITING_MODE=1 NO_AT_BRIDGE=1

say "start-up, $runs starts each"
label="$records records"
node scripts/bench-startup.mjs "$app" "$runs" "empty log=$work/empty" "$label=$work/big"
