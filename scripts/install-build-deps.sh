#!/bin/bash
# Installs what building and testing kvm-exitstats needs on Debian 12, with
# the kernel source and headers of both Debian kernel series (6.1 and 6.12)
# in matching versions. Run as root.
set -euo pipefail

series_list=${KES_SERIES:-"6.1 6.12"}
export DEBIAN_FRONTEND=noninteractive

echo "kvm-exitstats: updating the package lists" >&2
apt-get update -q >/dev/null

packages=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils zstd
	dkms dh-dkms debhelper fakeroot lintian
	busybox-static qemu-system-x86 bochs bochsbios vgabios xorriso isolinux syslinux-common
	cmake pkg-config tmux bash-completion groff-base libcli11-dev libfmt-dev nlohmann-json3-dev libboost-test-dev cpuid
)

# The headers package whose version is the source package's version.
headers_for() {
	local series=$1 version=$2 p
	# The generic amd64 flavour only: not -rt-amd64, not -cloud-amd64.
	for p in $(apt-cache pkgnames "linux-headers-$series." |
		   grep -E "^linux-headers-${series//./\\.}\.[^-]*(-[0-9]+)?-amd64\$" | sort -rV); do
		if [ "$(apt-cache show --no-all-versions "$p" | sed -n 's/^Version: //p')" = "$version" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

for series in $series_list; do
	version=$(apt-cache policy "linux-source-$series" | sed -n 's/^  Candidate: //p')
	[ -n "$version" ] && [ "$version" != "(none)" ] ||
		{ echo "kvm-exitstats: error: linux-source-$series is not in the package lists" >&2; exit 1; }
	headers=$(headers_for "$series" "$version") ||
		{ echo "kvm-exitstats: error: no linux-headers-*-amd64 of version $version for linux-source-$series" >&2; exit 1; }
	packages+=("linux-source-$series" "$headers")
done

echo "kvm-exitstats: installing ${#packages[@]} packages" >&2
apt-get install -y -q --no-install-recommends "${packages[@]}" >/tmp/kvm-exitstats-apt.log 2>&1 ||
	{ tail -n 30 /tmp/kvm-exitstats-apt.log >&2; exit 1; }
echo "kvm-exitstats: build dependencies installed" >&2
