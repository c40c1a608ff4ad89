#!/usr/bin/env bash
# Builds and starts the desktop app (embedded SQLite in the app data folder, no server needed).
# Usage: scripts/run.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npm run --silent build:ui
profile=()
[ "${1:-}" = "--release" ] && profile=(--release)
# The custom protocol serves the built UI from the binary instead of the Vite dev server.
exec cargo run "${profile[@]}" -p lgota-app --features tauri/custom-protocol
