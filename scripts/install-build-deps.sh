#!/bin/bash
# Installs what building and testing kvm-exitstats needs on Debian 12, with
# the kernel source and headers of both Debian kernel series (6.1 and 6.12)
# in matching versions. Run as root.
set -euo pipefail
# shellcheck source=scripts/kernel-packages.sh
. "$(dirname "$0")/kernel-packages.sh"

series_list=${KES_SERIES:-"6.1 6.12"}
export DEBIAN_FRONTEND=noninteractive

echo "kvm-exitstats: updating the package lists" >&2
apt-get update -q >/dev/null

packages=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils zstd
	dkms dh-dkms debhelper fakeroot lintian debootstrap
	busybox-static qemu-system-x86 bochs bochsbios vgabios xorriso isolinux syslinux-common
	cmake pkg-config tmux bash-completion groff-base python3 libcli11-dev libfmt-dev nlohmann-json3-dev libboost-test-dev cpuid
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
