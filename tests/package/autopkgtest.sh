#!/bin/bash
# Debian's package tests (debian/tests/) run by Debian's autopkgtest tool
# against the built packages, in a fresh debootstrapped Debian RELEASE root
# (autopkgtest-virt-chroot): the modules build for the installed kernel, and
# the installed command passes its tests.
#
# usage: tests/package/autopkgtest.sh 12|13   (after tests/package/build-packages.sh)
set -euo pipefail
release=${1:?usage: tests/package/autopkgtest.sh 12|13}
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/autopkgtest-root$release
apt_archives=autopkgtest-debian$release
# shellcheck source=tests/package/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/source-tree.sh
. "$top/scripts/source-tree.sh"

command -v autopkgtest >/dev/null || fail "autopkgtest is not installed: run scripts/install-build-deps.sh"
packages=$(packages_for_release "$release")
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-autopkgtest.XXXXXX")
trap 'unmount_root; rm -rf "$work"' EXIT

fresh_release_root "$release" "$work"

copy_source_tree "$top" "$work/src"
start=$(date +%s)
rc=0
autopkgtest --output-dir "$work/out" \
	"$packages"/kvm-exitstats-dkms_*_all.deb "$packages"/kvm-exitstats_*_amd64.deb "$work/src" \
	-- chroot "$root" >"$work/autopkgtest.log" 2>&1 || rc=$?
elapsed=$(($(date +%s) - start))
grep -e '^kvm-exitstats' -e '^ok - ' -e '^not ok' -e 'FAIL' "$work/out/log" 2>/dev/null | sed 's/^/# /' || true
echo "# autopkgtest's summary ($elapsed s, exit $rc):"
sed 's/^/#   /' "$work/out/summary" 2>/dev/null || tail -n 30 "$work/autopkgtest.log" | sed 's/^/# /'
check "autopkgtest ran both tests and both passed (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q '^dkms-modules *PASS' '$work/out/summary' && grep -q '^command *PASS' '$work/out/summary'"
finish
