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
# usage: sudo scripts/demo.sh [--series 6.1|6.12]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
series=6.12
case "${1:-}" in
--series) series=${2:?--series needs 6.1 or 6.12} ;;
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
"") ;;
*) echo "usage: $0 [--series 6.1|6.12]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo $0): it installs packages and boots an emulator" >&2; exit 2; }

step() {
	echo
	echo "==> $*"
}

step "installing the build dependencies"
"$top/scripts/install-build-deps.sh"

step "building the Debian packages"
"$top/tests/package/build-packages.sh"
ls -l "$top"/build/package/*.deb

step "an emulated host runs Debian's $series kernel with the packaged KVM, and a Linux guest on it"
"$top/tests/e2e/run.sh" "$series" --demo

cat <<DONE

Done. The packages are in build/package/:
  host:  apt install ./build/package/kvm-exitstats-dkms_*_all.deb
  guest: apt install ./build/package/kvm-exitstats-guest_*_amd64.deb
Run every test with: sudo tests/run.sh
DONE
