#!/usr/bin/env bash
# Installs what «Льгота» needs on Debian 12, idempotently: the system libraries of a Tauri
# desktop build, the npm packages, and (with --test) what the end-to-end tests drive the app with
# and what the Android Rust check (scripts/android-check.sh) compiles with.
# Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "run as root or install sudo: apt packages are needed"
  sudo_cmd=(sudo)
fi

apt_packages=(libwebkit2gtk-4.1-dev build-essential pkg-config curl file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev)
if [ "$want_test" = 1 ]; then
  apt_packages+=(webkit2gtk-driver xvfb imagemagick sqlite3 chromium)
  # The Android Rust check: clang aimed at Android with Debian's arm64 headers, and llvm-ar-14.
  apt_packages+=(clang libc6-dev-arm64-cross llvm-14)
  # The server's Debian package (scripts/package.sh): dpkg-shlibdeps, systemd-analyze.
  apt_packages+=(dpkg-dev systemd)
  # The server's PostgreSQL backend: a throwaway cluster per test run (scripts/pg-test-cluster.sh).
  apt_packages+=(postgresql)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || die "Rust is not installed: install it with rustup (https://rustup.rs), then run this again"
command -v node >/dev/null || die "Node.js ≥ 20.19 is not installed (Debian 12's nodejs 18 is too old for Vite 8)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node.js $(node --version) is too old: Vite 8 needs ≥ 20.19"

# npm packages: reinstall only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$want_test" = 1 ] && ! rustup target list --installed | grep -qx aarch64-linux-android; then
  say "rustup target add aarch64-linux-android"
  rustup target add aarch64-linux-android
fi

if [ "$want_test" = 1 ] && ! cargo deb --version >/dev/null 2>&1; then
  say "cargo install cargo-deb"
  cargo install cargo-deb --locked --quiet
fi

if [ "$want_test" = 1 ] && ! command -v tauri-driver >/dev/null; then
  say "cargo install tauri-driver"
  cargo install tauri-driver --locked --quiet
fi
