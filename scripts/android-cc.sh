#!/bin/sh
# The C compiler of the Android Rust check (scripts/android-check.sh): clang aimed at Android
# API 24 on arm64, with Debian's arm64 glibc headers standing in for the NDK's sysroot. Enough for
# build scripts that compile a little C (ring, libsqlite3-sys) to type-check the crate graph;
# nothing built this way is linked into an APK — the real build uses the NDK (docs/android.md).
exec clang --target=aarch64-linux-android24 --sysroot=/usr/aarch64-linux-gnu -I/usr/aarch64-linux-gnu/include "$@"
