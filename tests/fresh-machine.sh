#!/bin/bash
# The README's quick start on a fresh machine of Debian RELEASE (12 or 13),
# with a fresh root standing in for it: debootstrapped, with only the apt
# sources a fresh install has (the release, its updates and security; no
# backports), git, and a clone of this repository's HEAD in /root (with
# --tarball: no git, and this tree as a release archive has it, without
# .git: what git tracks in a clone, every file but build/ without git).
# There, as root:
#   - scripts/demo.sh with no option must pass, on that release's default
#     kernel, through to the guest's table of exits;
#   - tests/e2e/run.sh on that kernel must pass (the checks the demo skips);
#   - a Debian 13 machine builds its own kernel natively, and the demo of
#     its default kernel needs nothing from trixie-backports.
# With --whole, the README's second command follows the first instead of
# the end-to-end test: scripts/install-build-deps.sh and all of tests/run.sh
# on that machine (with its own roots of the other release, made there).
# apt's downloads are kept in the test cache across runs (as in the package
# tests); everything else is fetched and built as on a new machine.
#
# usage: tests/fresh-machine.sh 12|13 [--tarball] [--whole]   (about 8
#   minutes; --whole about as long as tests/run.sh itself on a cold cache)
set -euo pipefail
usage="usage: tests/fresh-machine.sh 12|13 [--tarball] [--whole]"
release=${1:?$usage}
shift
whole='' tarball=''
for option in "$@"; do
	case $option in
	--whole) whole=yes ;;
	--tarball) tarball=yes ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
pkgdir=$top/build/fresh-debian$release
root=$pkgdir/root
# Its own download cache: it runs beside the package suites.
apt_archives=fresh-debian$1
# shellcheck source=tests/package/lib.sh
. "$top/tests/package/lib.sh"
# shellcheck source=scripts/source-tree.sh
. "$top/scripts/source-tree.sh"
default_series=$(release_default_target "$release") || exit 2

cleanup() {
	mountpoint -q "$root/dev/shm" && umount -l "$root/dev/shm"
	unmount_root
	mountpoint -q "$root" && umount -l "$root"
	return 0
}
trap cleanup EXIT
cleanup
mkdir -p "$pkgdir"
release_unpack_root "$release" "$root" || fail "cannot make the Debian $release root"
release_sources "$release" >"$root/etc/apt/sources.list.d/debian.sources"
# A machine's / is a mount point (unshare --propagation private needs one).
mount --bind "$root" "$root"
mount_root
mount --bind /dev/shm "$root/dev/shm"
sources_before=$(cat "$root"/etc/apt/sources.list.d/*)

start=$(date +%s)
apt_in_root "$pkgdir/apt-git.log" update || fail "apt-get update in the fresh root failed"
if [ -n "$tarball" ]; then
	copy_source_tree "$top" "$root/root/kvm-exitstats"
	echo "# a fresh Debian $release root without git, and this tree as a release archive has it (no .git): $(($(date +%s) - start)) s"
else
	git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
		fail "this tree is no git clone, which the fresh machine would clone: run tests/fresh-machine.sh $release --tarball"
	apt_in_root "$pkgdir/apt-git.log" install git ca-certificates ||
		{ tail -n 20 "$pkgdir/apt-git.log"; fail "installing git failed"; }
	git clone -q "$top" "$root/root/kvm-exitstats" ||
		fail "cannot clone $top"
	echo "# a fresh Debian $release root with git and a clone of $(git -C "$top" rev-parse --short HEAD): $(($(date +%s) - start)) s"
fi

# Every file of the tree is in the copy that the package build started from.
tree_in_package_build() {
	local tree=$root/root/kvm-exitstats missing
	[ -d "$tree/build/package/src/debian" ] || return 1
	missing=$(comm -23 <(cd "$tree" && find . -path ./build -prune -o -type f -print | sort) \
		<(cd "$tree/build/package/src" && find . -type f -print | sort))
	[ -z "$missing" ] || { echo "# not in the package build's copy: $(echo "$missing" | paste -sd " ")"; return 1; }
}

start=$(date +%s)
demo_rc=0
in_root sh -c 'cd /root/kvm-exitstats && scripts/demo.sh' >"$pkgdir/demo.log" 2>&1 || demo_rc=$?
sed 's/^/# demo: /' "$pkgdir/demo.log" | tail -n 40
check "scripts/demo.sh passes on a fresh Debian $release machine ($(($(date +%s) - start)) s)" test "$demo_rc" -eq 0
check "the demo ran the machine's own default kernel ($default_series), built natively" \
	grep -q "an emulated host runs Debian's $default_series kernel (this machine: Debian $release)" "$pkgdir/demo.log"
check "the guest's table of exits was shown (kvm-exitstats run -- portio 2000)" \
	sh -c "grep -q '^VM exits during: portio 2000' '$pkgdir/demo.log' && grep -qE '^reason +exits +share' '$pkgdir/demo.log'"
check "the demo built no Bochs (its emulator is QEMU)" \
	test ! -e "$root/var/cache/kvm-exitstats-tests/bochs"
check "no Debian $((release == 12 ? 13 : 12)) root was made" \
	test ! -e "$root/var/cache/kvm-exitstats-tests/debian$((release == 12 ? 13 : 12))-build-root"
check "apt's sources are as a fresh install has them (nothing added)" \
	test "$(cat "$root"/etc/apt/sources.list.d/*)" = "$sources_before"
if [ -n "$tarball" ]; then
	check "the demo ran without git (none is installed) and without .git" \
		sh -c "! chroot '$root' sh -c 'command -v git' >/dev/null && [ ! -e '$root/root/kvm-exitstats/.git' ]"
	check "the packages were built from every file of the tree" tree_in_package_build
fi

if [ -n "$whole" ]; then
	start=$(date +%s)
	whole_rc=0
	in_root sh -c "cd /root/kvm-exitstats && scripts/install-build-deps.sh && tests/run.sh" >"$pkgdir/run.log" 2>&1 ||
		whole_rc=$?
	{ grep '^=== ' "$pkgdir/run.log" || true; } | sed 's/^/# tests\/run.sh: /'
	tail -n 40 "$pkgdir/run.log" | sed 's/^/# tests\/run.sh: /'
	check "scripts/install-build-deps.sh and tests/run.sh pass on the fresh Debian $release machine ($(($(date +%s) - start)) s)" \
		test "$whole_rc" -eq 0
	finish
fi

start=$(date +%s)
e2e_rc=0
in_root sh -c "cd /root/kvm-exitstats && tests/e2e/run.sh $default_series" >"$pkgdir/e2e.log" 2>&1 || e2e_rc=$?
sed 's/^/# e2e: /' "$pkgdir/e2e.log"
check "tests/e2e/run.sh $default_series passes on the fresh Debian $release machine ($(($(date +%s) - start)) s)" \
	test "$e2e_rc" -eq 0
finish
