#!/usr/bin/env bash
# Runs every test of «Льгота»: formatting and lints, the UI's type check and unit tests, the
# Android Rust check (clippy for aarch64-linux-android), the Rust tests (core with real SQLite
# files, the app's commands on Tauri's mock runtime), the end-to-end tests of the real app under
# Xvfb driven by tauri-driver, and the dashboard in chromium (both against a real lgota-central
# started by tests/central.mjs). The server's store tests and the dashboard's browser tests run on
# SQLite and on PostgreSQL: a throwaway cluster of its own (scripts/pg-test-cluster.sh), or the
# server LGOTA_TEST_POSTGRES_URL names if it is set.
# Installs what it needs first (scripts/setup.sh --test). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# A clean CI clone builds once: incremental caches would only add gigabytes to its disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

scripts/setup.sh --test

say "PostgreSQL for the server's tests"
# shellcheck source=scripts/pg-test-cluster.sh
. scripts/pg-test-cluster.sh

say "UI: type check, unit tests, build"
npm run --silent check:ui
npm run --silent test:ui
npm run --silent build:ui

say "Rust: formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "Android: the phone's Rust side type-checks and lints (no SDK: nothing is linked)"
scripts/android-check.sh

say "Rust: tests"
cargo test --workspace

say "The server's Debian package: built and checked (contents, conffile, systemd unit)"
scripts/package.sh

say "End-to-end: the real app under Xvfb, the dashboard in chromium"
cargo build -p lgota-app --features tauri/custom-protocol --quiet
cargo build -p lgota-central --quiet
export LGOTA_APP_BIN="$PWD/target/debug/lgota-app" LGOTA_CENTRAL_BIN="$PWD/target/debug/lgota-central"

xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
  pg_test_cluster_stop
}
trap cleanup EXIT
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 480x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
export DISPLAY=":$display" WEBKIT_DISABLE_COMPOSITING_MODE=1 NO_AT_BRIDGE=1
# One app window at a time: the test files run one after another. tests/dashboard drives the
# central office's pages in Debian's headless chromium (playwright-core, no browser download).
node --test --test-concurrency=1 tests/e2e/ tests/dashboard/

say "The dashboard in chromium again, on PostgreSQL (a database of its own per server)"
LGOTA_CENTRAL_POSTGRES_URL="$LGOTA_TEST_POSTGRES_URL" node --test --test-concurrency=1 tests/dashboard/
