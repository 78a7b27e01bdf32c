#!/bin/bash
# The README's first command: installs the build dependencies, builds both
# Debian packages, and shows the patched KVM answering a guest's CPUID.
#
# Without VT-x/AMD-V on this machine, the honest way to show it working is
# emulation: QEMU's TCG emulates an AMD host with SVM, boots Debian's 6.12
# kernel there, loads the rebuilt kvm and kvm-amd into it, and a small program
# runs a guest on them whose CPUID queries are checked against the contract.
#
# usage: sudo scripts/demo.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
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

step "no hardware virtualization here: an emulated AMD host (QEMU TCG) runs Debian's 6.12 kernel with the rebuilt KVM"
"$top/tests/kernel/run-emulated.sh" 6.12 amd 200

cat <<DONE

Done. The packages are in build/package/:
  host:  apt install ./build/package/kvm-exitstats-dkms_*_all.deb
  guest: apt install ./build/package/kvm-exitstats-guest_*_amd64.deb
The lines above come from a guest of the emulated host: discovery returned
"KVMExitStats", and each check compares the exits it caused with what the
patched KVM reported. Run every test with: sudo tests/run.sh
DONE
