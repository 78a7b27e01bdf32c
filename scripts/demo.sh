#!/bin/bash
# The README's first command: installs the build dependencies, builds both
# Debian packages, and shows the product working: an emulated host loads the
# KVM modules that DKMS builds from the host package, starts a Linux guest on
# them, and in the guest Debian's cpuid tool and the packaged kvm-exitstats
# command read the exit statistics.
#
# Without VT-x/AMD-V offered to this machine's guests, QEMU's TCG emulates an
# AMD host with SVM; where this machine's /dev/kvm offers VMX or SVM to
# guests, the emulated host runs on it instead.
#
# usage: scripts/demo.sh [--series 6.1|6.12|6.12+deb13|7.2|7.3]   (as root)
#   6.1 and 6.12 are Debian 12's kernels; 6.12+deb13, 7.2 and 7.3 are Debian
#   13's (built in a Debian 13 root that the first run makes, about 2 minutes)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
series=6.12
series_usage="--series 6.1|6.12|6.12+deb13|7.2|7.3"
case "${1:-}" in
--series) series=${2:?$series_usage} ;;
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
"") ;;
*) echo "usage: $0 [$series_usage]" >&2; exit 2 ;;
esac
case $series in
6.1 | 6.12) debian13_series="" ;;
6.12+deb13 | 7.2 | 7.3) debian13_series=${series%+deb13} ;;
*) echo "usage: $0 [$series_usage]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "run as root (su -, or sudo $0): it installs packages and boots an emulator" >&2; exit 2; }

step() {
	echo
	echo "==> $*"
}

step "installing the build dependencies"
KES_SERIES_DEBIAN13=$debian13_series "$top/scripts/install-build-deps.sh"

step "building the Debian packages"
"$top/tests/package/build-packages.sh"
ls -l "$top"/build/package/*.deb

step "an emulated host runs Debian's $series kernel with the packaged KVM, and a Linux guest on it"
"$top/tests/e2e/run.sh" "$series" --demo

cat <<DONE

Done. The packages are in build/package/:
  host:  apt install ./build/package/kvm-exitstats-dkms_*_all.deb ./build/package/kvm-exitstats_*_amd64.deb
         (then, as root: kvm-exitstats host)
  guest: apt install ./build/package/kvm-exitstats_*_amd64.deb
Run every test with: tests/run.sh (as root)
DONE
