#!/bin/bash
# The kvm-exitstats command builds as one static binary that runs without
# any shared library, so it can be dropped into a minimal guest image. It
# is configured as on a machine without Boost (only the tests need it):
# CMake says the tests are not built, and the command builds.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build/static
rm -f "$build/CMakeCache.txt"
configured=$(cmake -S "$top" -B "$build" -DKVM_EXITSTATS_STATIC=ON -DCMAKE_DISABLE_FIND_PACKAGE_Boost=TRUE \
	-DCMAKE_BUILD_TYPE=Release)
grep -q "Boost.Test not found (libboost-test-dev): the tests are not built, the command is" <<<"$configured" ||
	{ echo "$configured"; echo "configuring without Boost does not say that the tests are not built"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target kvm-exitstats >/dev/null
binary=$build/guest-utils/kvm-exitstats
file "$binary" | grep -q "statically linked" || { file "$binary"; echo "not static"; exit 1; }
# No loader, no library: run it in an empty root.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp "$binary" "$root/kvm-exitstats"
version=$(chroot "$root" /kvm-exitstats --version)
[ "$version" = "$(sed -n 's/^project(kvm-exitstats VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")" ]
echo "static kvm-exitstats $version: $(stat -c %s "$binary") bytes, runs in an empty root"
