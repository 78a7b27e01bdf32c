#!/bin/bash
# Builds both binary packages from the committed tree on the Debian release
# that this machine does not run (12 or 13: its debhelper, compiler and
# libraries) in a root of their own, and checks them with that release's
# lintian: no error and no warning. tests/package/build-packages.sh builds
# them on this machine's release; this proves the source package builds on
# the other one too, and on a Debian 13 machine makes the command package
# that the Debian 12 root's tests install.
#
# usage: tests/package/build-packages-in-root.sh 12|13   (packages end up in build/package/debianN-build/)
set -euo pipefail
. "$(dirname "$0")/../kernel/lib.sh"

release=${1:?usage: tests/package/build-packages-in-root.sh 12|13}
release_codename "$release" >/dev/null || exit 2
out=$top/build/package/debian$release-build
root=$release_cache/debian$release-package-root
build_deps=(build-essential fakeroot lintian debhelper cmake bash-completion groff-base tmux
	    libboost-test-dev libcli11-dev libfmt-dev nlohmann-json3-dev gnuplot-nox)

rm -rf "$out"
mkdir -p "$out"
if [ ! -f "$root/.complete" ]; then
	log "making a Debian $release root for building packages (once; $root)"
	release_unpack_root "$release" "$root" || fail "cannot make the Debian $release root"
	touch "$root/.complete"
fi
start=$(date +%s)
in_chroot "$root" sh -c "apt-get -q update && apt-get install -y -q --no-install-recommends ${build_deps[*]} && apt-get clean" \
	>"$out/apt.log" 2>&1 || { tail -n 20 "$out/apt.log"; fail "installing the build dependencies in Debian $release failed"; }
echo "# build dependencies in the Debian $release root: $(($(date +%s) - start)) s"

rm -rf "$root/tmp/kes-src"
mkdir -p "$root/tmp/kes-src/src"
# shellcheck source=scripts/source-tree.sh
. "$top/scripts/source-tree.sh"
copy_source_tree "$top" "$root/tmp/kes-src/src"
start=$(date +%s)
if in_chroot "$root" sh -c "cd /tmp/kes-src/src && dpkg-buildpackage -b -us -uc" >"$out/build.log" 2>&1; then
	check "dpkg-buildpackage -b succeeds on Debian $release ($(($(date +%s) - start)) s)" true
else
	tail -n 30 "$out/build.log" | sed 's/^/# /'
	check "dpkg-buildpackage -b succeeds on Debian $release" false
	finish
fi
cp "$root"/tmp/kes-src/*.deb "$root"/tmp/kes-src/*.changes "$out/"
for deb in "$out"/*.deb; do
	echo "# $(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
done
# --fail-on: exit 0 only when lintian ran and found no error and no warning.
lintian_rc=0
in_chroot "$root" sh -c "cd /tmp/kes-src && lintian --fail-on error,warning --pedantic --display-level '>=pedantic' ./*.changes" \
	>"$out/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges is not recommended' "$out/lintian.log" | sed 's/^/# lintian: /' || true
check "Debian $release's lintian ($(in_chroot "$root" dpkg-query -W -f '${Version}' lintian)) reports no error and no warning" \
	test "$lintian_rc" -eq 0
rm -rf "$root/tmp/kes-src"

finish
