#!/bin/bash
# Builds both binary packages from the committed tree on Debian 13 (its
# debhelper, gcc-14, libfmt10) in a root of their own, and checks them with
# Debian 13's lintian: no error and no warning. The packages users get are
# built on Debian 12 (tests/package/build-packages.sh); this proves the
# source package builds on the current release too.
#
# usage: tests/package/build-packages-debian13.sh   (packages end up in build/package/debian13-build/)
set -euo pipefail
. "$(dirname "$0")/../kernel/lib.sh"

out=$top/build/package/debian13-build
root=$deb13_cache/debian13-package-root
build_deps=(build-essential fakeroot lintian debhelper cmake bash-completion groff-base tmux
	    libboost-test-dev libcli11-dev libfmt-dev nlohmann-json3-dev gnuplot-nox)

rm -rf "$out"
mkdir -p "$out"
if [ ! -f "$root/.complete" ]; then
	log "making a Debian 13 root for building packages (once; $root)"
	deb13_unpack_root "$root" || fail "cannot make the Debian 13 root"
	touch "$root/.complete"
fi
start=$(date +%s)
in_deb13 "$root" sh -c "apt-get -q update && apt-get install -y -q --no-install-recommends ${build_deps[*]} && apt-get clean" \
	>"$out/apt.log" 2>&1 || { tail -n 20 "$out/apt.log"; fail "installing the build dependencies in Debian 13 failed"; }
echo "# build dependencies in the Debian 13 root: $(($(date +%s) - start)) s"

rm -rf "$root/tmp/kes-src"
mkdir -p "$root/tmp/kes-src/src"
(cd "$top" && git ls-files -z --cached | xargs -0 cp --parents -t "$root/tmp/kes-src/src")
start=$(date +%s)
if in_deb13 "$root" sh -c "cd /tmp/kes-src/src && dpkg-buildpackage -b -us -uc" >"$out/build.log" 2>&1; then
	check "dpkg-buildpackage -b succeeds on Debian 13 ($(($(date +%s) - start)) s)" true
else
	tail -n 30 "$out/build.log" | sed 's/^/# /'
	check "dpkg-buildpackage -b succeeds on Debian 13" false
	finish
fi
cp "$root"/tmp/kes-src/*.deb "$root"/tmp/kes-src/*.changes "$out/"
for deb in "$out"/*.deb; do
	echo "# $(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
done
# --fail-on: exit 0 only when lintian ran and found no error and no warning.
lintian_rc=0
in_deb13 "$root" sh -c "cd /tmp/kes-src && lintian --fail-on error,warning --pedantic --display-level '>=pedantic' ./*.changes" \
	>"$out/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges is not recommended' "$out/lintian.log" | sed 's/^/# lintian: /' || true
check "Debian 13's lintian ($(in_deb13 "$root" dpkg-query -W -f '${Version}' lintian)) reports no error and no warning" \
	test "$lintian_rc" -eq 0
rm -rf "$root/tmp/kes-src"

finish
