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
# usage: scripts/demo.sh [--series TARGET]   (as root)
#   TARGET is a supported kernel series as scripts/series.sh names them:
#   6.1 and 6.12 are Debian 12's kernels; 6.12+deb13 and the backports' 7.x
#   Debian 13's. The default is the default kernel of the release this
#   machine runs (Debian 12: 6.1; Debian 13: 6.12+deb13). A kernel of the
#   other release is built in a root of that release, which the first run
#   makes (about 2 minutes).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/release-roots.sh
. "$top/scripts/release-roots.sh"
series_usage="--series $(kernel_targets | tr ' ' '|')"
case "${1:-}" in
--series) series=${2:?$series_usage} ;;
-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
"") series='' ;;
*) echo "usage: $0 [$series_usage]" >&2; exit 2 ;;
esac
machine=$(machine_release) || exit 2
[ -n "$series" ] || series=$(release_default_target "$machine")
# What install-build-deps.sh installs: the demo's kernel (and, for a
# backports host, Debian 13's own series, whose kernel its guests run),
# nothing of the other release.
[[ " $(kernel_targets) " == *" $series "* ]] || { echo "usage: $0 [$series_usage]" >&2; exit 2; }
guest_series=$(release_series 13)
guest_series=${guest_series%% *}
case $(target_release "$series"):$series in
12:*) series_debian12=$series series_debian13='' ;;
13:*+deb13) series_debian12='' series_debian13=${series%+deb13} ;;
13:*) series_debian12='' series_debian13="$guest_series $series" ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "run as root (su -, or sudo $0): it installs packages and boots an emulator" >&2; exit 2; }

step() {
	echo
	echo "==> $*"
}

step "installing the build dependencies"
# The demo's emulator is QEMU: the Intel tests' Bochs is built when a test needs it.
KES_SERIES_DEBIAN12=$series_debian12 KES_SERIES_DEBIAN13=$series_debian13 KES_BUILD_BOCHS=no \
	"$top/scripts/install-build-deps.sh"

step "building the Debian packages"
"$top/tests/package/build-packages.sh"
ls -l "$top"/build/package/*.deb

step "an emulated host runs Debian's $series kernel (this machine: Debian $machine) with the packaged KVM, and a Linux guest on it"
"$top/tests/e2e/run.sh" "$series" --demo

cat <<DONE

Done. The packages are in build/package/:
  host:  apt install ./build/package/kvm-exitstats-dkms_*_all.deb ./build/package/kvm-exitstats_*_amd64.deb
         (then, as root: kvm-exitstats host)
  guest: apt install ./build/package/kvm-exitstats_*_amd64.deb
Run every test with: scripts/install-build-deps.sh && tests/run.sh (as root; the first installs the kernels of every supported series)
DONE
