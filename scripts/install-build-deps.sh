#!/bin/bash
# Installs what building and testing kvm-exitstats needs on Debian 12 or 13,
# with the kernel source and headers (in matching versions) of the kernel
# series that this machine's release ships; then makes (once) or updates the
# build root of the other release (scripts/release-roots.sh) with its
# compiler and the headers and source of its series. Run as root.
#
# Each release's series are those of dkms.conf it ships (scripts/series.sh):
# on Debian 13 the ones after 6.12 come from trixie-backports (added to
# apt's sources if missing: backports are only installed where asked for by
# name, nothing else is upgraded from them). KES_SERIES_DEBIAN12 and
# KES_SERIES_DEBIAN13 change the two lists (empty: nothing of that release). Last, it builds the Bochs of the Intel tests
# (tests/kernel/build-bochs.sh), unless KES_BUILD_BOCHS=no (the demo, which
# runs no Intel test; a test that needs Bochs builds it then).
set -euo pipefail
# shellcheck source=scripts/kernel-packages.sh
. "$(dirname "$0")/kernel-packages.sh"
# shellcheck source=scripts/release-roots.sh
. "$(dirname "$0")/release-roots.sh"

machine=$(machine_release)
declare -A series_of=([12]=${KES_SERIES_DEBIAN12-$(release_series 12)} [13]=${KES_SERIES_DEBIAN13-$(release_series 13)})
other=$((machine == 12 ? 13 : 12))
export DEBIAN_FRONTEND=noninteractive

# A Debian 13 machine needs trixie-backports for the series after its own.
if [ "$machine" = 13 ] && [ -n "$(release_series_from_backports "${series_of[13]}")" ] &&
	! grep -q ' trixie-backports/main ' <<<"$(apt-cache policy 2>/dev/null)"; then
	echo "kvm-exitstats: adding trixie-backports to apt's sources, for the kernels of $(release_series_from_backports "${series_of[13]}") (/etc/apt/sources.list.d/kvm-exitstats-backports.sources)" >&2
	printf 'Types: deb\nURIs: %s\nSuites: trixie-backports\nComponents: main\nSigned-By: %s\n' \
		"$(debian_mirror)" /usr/share/keyrings/debian-archive-keyring.gpg \
		>/etc/apt/sources.list.d/kvm-exitstats-backports.sources
fi

echo "kvm-exitstats: updating the package lists (Debian $machine)" >&2
apt-get update -q >/dev/null

packages=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils zstd
	dkms dh-dkms debhelper fakeroot lintian debootstrap
	busybox-static qemu-system-x86 bochs bochsbios vgabios xorriso isolinux syslinux-common
	cmake pkg-config tmux gnuplot-nox bash-completion groff-base python3 libcli11-dev libfmt-dev nlohmann-json3-dev libboost-test-dev cpuid uuid-dev
	prometheus prometheus-node-exporter curl
	ovmf openssl reprepro gnupg autopkgtest
)
# ovmf, openssl: the Secure Boot test's firmware and DKMS's certificate;
# reprepro, gnupg: the signed repository; autopkgtest: debian/tests.
# Debian 13's virt-fw-vars writes the MOK list of the Secure Boot test (on
# Debian 12, the Debian 13 root has it).
if [ "$machine" = 13 ]; then packages+=(python3-virt-firmware); fi

for series in ${series_of[$machine]}; do
	version=$(source_version "$series") ||
		{ echo "kvm-exitstats: error: linux-source-$series is not in the package lists" >&2; exit 1; }
	headers=$(headers_for "$series" "$version") ||
		{ echo "kvm-exitstats: error: no linux-headers-*-amd64 of version $version for linux-source-$series" >&2; exit 1; }
	packages+=("linux-source-$series=$version" "$headers")
done

echo "kvm-exitstats: installing ${#packages[@]} packages" >&2
apt-get install -y -q --no-install-recommends "${packages[@]}" >/tmp/kvm-exitstats-apt.log 2>&1 ||
	{ tail -n 30 /tmp/kvm-exitstats-apt.log >&2; exit 1; }
echo "kvm-exitstats: build dependencies installed" >&2

# The Intel tests' Bochs builds while the other release's root is made.
bochs_log=/tmp/kvm-exitstats-bochs.log
bochs_job=
if [ "${KES_BUILD_BOCHS:-yes}" != no ]; then
	"$(dirname "$0")/../tests/kernel/build-bochs.sh" >"$bochs_log" 2>&1 &
	bochs_job=$!
fi

if [ -n "${series_of[$other]}" ]; then
	echo "kvm-exitstats: preparing the Debian $other root with the ${series_of[$other]} headers and sources ($(release_build_root_dir "$other"))" >&2
	start=$(date +%s)
	# shellcheck disable=SC2086 # a list of series
	release_build_root "$other" ${series_of[$other]} || { echo "kvm-exitstats: error: the Debian $other root failed" >&2; exit 1; }
	echo "kvm-exitstats: Debian $other root ready ($(($(date +%s) - start)) s)" >&2
fi

if [ -n "$bochs_job" ]; then
	wait "$bochs_job" || { cat "$bochs_log" >&2; echo "kvm-exitstats: error: building Bochs for the Intel tests failed" >&2; exit 1; }
	grep -v '^/' "$bochs_log" >&2 || true
fi
