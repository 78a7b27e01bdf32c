#!/bin/bash
# The release upgrade as a user does it: a Debian 12 root with Debian's
# default kernel (linux-image-amd64, linux-headers-amd64) and the host
# package installed with what it recommends, its modules built; then the
# sources switched to Debian 13 and `apt full-upgrade`. The upgrade must
# succeed, bring trixie's 6.12.N+deb13 kernel with its headers and source,
# and leave the modules built for it, with nothing half-configured.
#
# usage: tests/package/upgrade-12-to-13.sh   (after tests/package/build-packages.sh)
set -euo pipefail
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/root-upgrade
. "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
dkms_deb=$(ls "$pkgdir"/kvm-exitstats-dkms_*_all.deb)
logs=$pkgdir/upgrade
mkdir -p "$logs"

trap unmount_root EXIT
make_bookworm_root

start=$(date +%s)
apt_in_root "$logs/apt-update-12.log" update || fail "apt-get update (Debian 12) failed"
apt_in_root "$logs/apt-initramfs.log" install initramfs-tools || fail "installing initramfs-tools failed"
# Until the upgrade brings initramfs-tools' hook back.
no_initramfs_in_root
apt_in_root "$logs/apt-kernel-12.log" install linux-image-amd64 linux-headers-amd64 ||
	{ tail -n 20 "$logs/apt-kernel-12.log"; fail "installing Debian 12's kernel failed"; }
k12=$(in_root dpkg-query -W -f '${Depends}' linux-headers-amd64 | grep -o 'linux-headers-[^ ,]*' | head -n1)
k12=${k12#linux-headers-}

cp "$dkms_deb" "$root/tmp/"
# What apt install brings by default with the package: the linux-source
# metapackage it recommends, which follows the release's default series.
# (Not all recommends: in a chroot, trixie's exim4, which gnupg's recommends
# pull in through gpg-wks-server, fails its own configuration.)
check "the package recommends linux-source first, and linux-headers-amd64" \
	sh -c "dpkg-deb -f '$dkms_deb' Recommends | grep -q '^linux-headers-amd64 .*, linux-source |'"
check "on Debian 12, apt install ./$(basename "$dkms_deb") linux-source succeeds" \
	apt_in_root "$logs/apt-install-12.log" install "/tmp/$(basename "$dkms_deb")" linux-source
show_product_lines "$logs/apt-install-12.log"
check "the modules are built for Debian 12's $k12" modules_in_updates "$k12"
echo "# Debian 12 with the package: $(($(date +%s) - start)) s"

# The upgrade: trixie's suites, then full-upgrade as the release notes say.
sed -i 's/\bbookworm\b/trixie/g' "$root/etc/apt/sources.list.d/debian.sources"
start=$(date +%s)
apt_in_root "$logs/apt-update-13.log" update || fail "apt-get update (Debian 13) failed"
check "apt full-upgrade to Debian 13 succeeds" \
	apt_in_root "$logs/apt-full-upgrade.log" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		full-upgrade
elapsed=$(($(date +%s) - start))
echo "# apt full-upgrade to Debian 13 with the module build: $elapsed s"
show_product_lines "$logs/apt-full-upgrade.log"
tail -n 15 "$logs/apt-full-upgrade.log" | grep -i 'error\|fail' | sed 's/^/# /' || true
k13=$(in_root dpkg-query -W -f '${Depends}' linux-headers-amd64 | grep -o 'linux-headers-[^ ,]*' | head -n1)
k13=${k13#linux-headers-}
echo "# after the upgrade: $(in_root cat /etc/debian_version), $(in_root dpkg-query -W -f '${Package} ${Version}' dkms), kernel $k13"
check "the root is Debian 13 now" sh -c "grep -q '^13' '$root/etc/debian_version'"
default13=$(target_series "$(release_default_target 13)")
check "Debian 13's default kernel is a $default13.N+deb13 ($k13)" sh -c "echo '$k13' | grep -q '^${default13//./\\.}\..*+deb13-amd64$'"
check "the modules were built and installed for $k13 during the upgrade" modules_in_updates "$k13"
check "dkms status: installed for $k13" installed_for "$k13"
check "dpkg has no half-configured package" no_half_configured_package
check "kvm-exitstats-dkms is still installed and configured" \
	sh -c "chroot '$root' dpkg-query -W -f '\${Status}' kvm-exitstats-dkms | grep -qx 'install ok installed'"

finish
