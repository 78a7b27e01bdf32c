#!/bin/bash
# Installs what building and testing kvm-exitstats needs on Debian 12, with
# the kernel source and headers of both Debian 12 kernel series (6.1 and
# 6.12) in matching versions; then makes (once) or updates the Debian 13 root
# (scripts/debian13-root.sh) with gcc-14 and the headers and source of
# Debian 13's series (6.12, 7.2, 7.3). Run as root.
#
# KES_SERIES and KES_SERIES_DEBIAN13 change the two lists (an empty
# KES_SERIES_DEBIAN13: no Debian 13 root).
set -euo pipefail
# shellcheck source=scripts/kernel-packages.sh
. "$(dirname "$0")/kernel-packages.sh"
# shellcheck source=scripts/debian13-root.sh
. "$(dirname "$0")/debian13-root.sh"

series_list=${KES_SERIES:-"6.1 6.12"}
series_debian13=${KES_SERIES_DEBIAN13-"6.12 7.2 7.3"}
export DEBIAN_FRONTEND=noninteractive

echo "kvm-exitstats: updating the package lists" >&2
apt-get update -q >/dev/null

packages=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils zstd
	dkms dh-dkms debhelper fakeroot lintian debootstrap
	busybox-static qemu-system-x86 bochs bochsbios vgabios xorriso isolinux syslinux-common
	cmake pkg-config tmux gnuplot-nox bash-completion groff-base python3 libcli11-dev libfmt-dev nlohmann-json3-dev libboost-test-dev cpuid
)

for series in $series_list; do
	version=$(source_version "$series") ||
		{ echo "kvm-exitstats: error: linux-source-$series is not in the package lists" >&2; exit 1; }
	headers=$(headers_for "$series" "$version") ||
		{ echo "kvm-exitstats: error: no linux-headers-*-amd64 of version $version for linux-source-$series" >&2; exit 1; }
	packages+=("linux-source-$series" "$headers")
done

echo "kvm-exitstats: installing ${#packages[@]} packages" >&2
apt-get install -y -q --no-install-recommends "${packages[@]}" >/tmp/kvm-exitstats-apt.log 2>&1 ||
	{ tail -n 30 /tmp/kvm-exitstats-apt.log >&2; exit 1; }
echo "kvm-exitstats: build dependencies installed" >&2

if [ -n "$series_debian13" ]; then
	echo "kvm-exitstats: preparing the Debian 13 root with the $series_debian13 headers and sources ($deb13_build_root)" >&2
	start=$(date +%s)
	# shellcheck disable=SC2086 # a list of series
	deb13_build_root $series_debian13 || { echo "kvm-exitstats: error: the Debian 13 root failed" >&2; exit 1; }
	echo "kvm-exitstats: Debian 13 root ready ($(($(date +%s) - start)) s)" >&2
fi
