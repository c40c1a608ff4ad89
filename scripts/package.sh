#!/usr/bin/env bash
# Builds the Debian package of the central server (cargo-deb, installed if missing) and checks
# it: the files it installs, the settings as a conffile, its control fields and maintainer
# scripts, and the systemd unit (`systemd-analyze verify`, with the package unpacked as the root
# the unit runs in). Prints the package's path and the unit's exposure score.
# Usage: scripts/package.sh            (needs: cargo, dpkg-deb, systemd-analyze)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'package: %s\n' "$*" >&2; exit 1; }

if ! cargo deb --version >/dev/null 2>&1; then
  say "cargo install cargo-deb"
  cargo install cargo-deb --locked --quiet
fi

say "cargo deb -p lgota-central"
rm -rf target/debian
cargo deb -p lgota-central --quiet >/dev/null
deb=$(ls target/debian/lgota-central_*.deb)
echo "$deb"

say "Checking $deb"
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for want in ./usr/bin/lgota-central ./etc/lgota-central/config.toml ./usr/lib/systemd/system/lgota-central.service \
  ./usr/share/doc/lgota-central/deploy.md ./usr/share/doc/lgota-central/protocol.md \
  ./usr/share/doc/lgota-central/archive.md; do
  grep -qx "$want" <<<"$files" || fail "$want is missing from the package"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -e "$deb" "$work/DEBIAN"
dpkg-deb -x "$deb" "$work/root"
grep -qx /etc/lgota-central/config.toml "$work/DEBIAN/conffiles" || fail "the settings are not a conffile"
control=$(cat "$work/DEBIAN/control")
grep -q '^Package: lgota-central$' <<<"$control" || fail "control: Package"
grep -q '^Depends:.*adduser' <<<"$control" || fail "control: Depends lacks adduser"
grep -q 'adduser --system' "$work/DEBIAN/postinst" || fail "postinst does not create the service user"
grep -q 'deb-systemd-helper' "$work/DEBIAN/postinst" || fail "postinst does not enable the unit"
sh -n "$work/DEBIAN/postinst" && sh -n "$work/DEBIAN/prerm" && sh -n "$work/DEBIAN/postrm" ||
  fail "a maintainer script is not valid sh"
"$work/root/usr/bin/lgota-central" --version >/dev/null || fail "the packaged binary does not run"
# The packaged settings are what the server reads, unchanged: an unknown key would stop it.
"$work/root/usr/bin/lgota-central" --config "$work/root/etc/lgota-central/config.toml" \
  --db "$work/settings-check.db" device list >/dev/null || fail "the packaged config.toml is not read"

unit=/usr/lib/systemd/system/lgota-central.service
say "systemd-analyze verify"
# The unit as packaged, its ExecStart pointed at the unpacked binary (verify checks it exists and
# runs); verify warns without failing on an unknown key, so any word from it fails here.
mkdir -p "$work/verify"
sed "s#/usr/bin/lgota-central#$work/root/usr/bin/lgota-central#" "$work/root$unit" >"$work/verify/lgota-central.service"
said=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$work/verify/lgota-central.service" 2>&1) ||
  fail "systemd-analyze verify: $said"
[ -z "$said" ] || fail "systemd-analyze verify: $said"
say "systemd-analyze security (offline)"
systemd-analyze security --offline=true --root="$work/root" "$unit" --no-pager | tail -n 1
echo "package: ok"
