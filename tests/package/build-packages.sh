#!/bin/bash
# Builds both binary packages from a copy of the committed tree with
# dpkg-buildpackage and checks them with lintian: no error and no warning.
#
# usage: tests/package/build-packages.sh   (packages end up in build/package/)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/package
# The life-cycle tests keep their roots in $out with /proc and /dev mounted
# while they run; never delete through a mount left behind.
{ grep -o " $out/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m"; done
rm -rf --one-file-system "$out"
mkdir -p "$out/src"
# shellcheck source=scripts/source-tree.sh
. "$top/scripts/source-tree.sh"
copy_source_tree "$top" "$out/src"

start=$(date +%s)
# failed_tests_output LOG: what each test that ctest lists as failed printed
# (ctest --verbose prefixes each line with the test's number), its last 40
# lines: a failing test's own words can lie far above the build log's end.
failed_tests_output() {
	local number
	for number in $(sed -n 's/^[[:space:]]*\([0-9][0-9]*\) - .*(\(Failed\|Timeout\|SEGFAULT\|Subprocess aborted\|Not Run\).*$/\1/p' "$1"); do
		echo "--- ctest test $number printed (its last 40 lines):"
		grep "^$number: " "$1" | tail -n 40
	done
}

if ! (cd "$out/src" && dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1); then
	tail -n 40 "$out/build.log"
	failed_tests_output "$out/build.log"
	echo "FAIL: dpkg-buildpackage"
	exit 1
fi
echo "# dpkg-buildpackage -b: $(($(date +%s) - start)) s"
for deb in "$out"/*.deb; do
	echo "# $(basename "$deb"): $(stat -c %s "$deb") bytes, $(dpkg-deb -f "$deb" Installed-Size) KiB installed"
done

lintian --info --pedantic --display-level '>=pedantic' "$out"/*.changes >"$out/lintian.log" 2>&1 || true
sed -i '/running with root privileges is not recommended/d' "$out/lintian.log"
sed 's/^/# lintian: /' "$out/lintian.log"
if grep -q '^[EW]: ' "$out/lintian.log"; then
	echo "FAIL: lintian reports errors or warnings"
	exit 1
fi
echo "lintian: no errors, no warnings ($(grep -c . "$out/lintian.log" || true) other tags)"
