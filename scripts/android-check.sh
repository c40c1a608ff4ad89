#!/usr/bin/env bash
# The phone's Rust side, checked without the Android SDK: `cargo clippy -D warnings` of the app
# (src-tauri with its `#[cfg(mobile)]` code and the phone-only plugins, the core, the client)
# for aarch64-linux-android. Clippy type-checks everything `cargo check` does, so a change that
# stops the phone build from compiling fails here. Build scripts that compile C (ring,
# libsqlite3-sys) use clang with Debian's arm64 headers (scripts/android-cc.sh); nothing is
# linked, so the NDK, Gradle and the APK stay untested here (docs/android.md, «CI»).
# Needs `scripts/setup.sh --test` (the Rust target, clang, the arm64 headers, llvm-ar-14) and the
# built UI (`npm run build:ui`): generate_context!() embeds it. Usage: scripts/android-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f ui/dist/index.html ] || npm run --silent build:ui
export CC_aarch64_linux_android="$PWD/scripts/android-cc.sh" AR_aarch64_linux_android=llvm-ar-14
exec cargo clippy --target aarch64-linux-android -p lgota-app --features tauri/custom-protocol --quiet -- -D warnings
