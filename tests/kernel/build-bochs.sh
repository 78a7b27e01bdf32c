#!/bin/bash
# Builds, once per input, the Bochs that emulates the Intel (VMX) host of
# the tests, and prints the path of its binary. Its source is Debian 13's
# bochs source package (trixie), fetched by apt from a deb-src list of its
# own (the machine's apt sources are not touched); apt checks its hash
# against the signed index. Only the upstream tarball is used: Debian's
# patches change the sample configuration, paths, BIOS and documentation
# builds, none of which this binary uses (the BIOS images stay Debian's
# bochsbios and vgabios packages).
#
# Debian's bochs package is built for people: every GUI, plugins, the
# internal debugger, instrumentation, SMP, sound, USB and network cards.
# Each of those costs time on every emulated instruction or device access
# (the debugger and instrumentation hook every instruction; SMP turns the
# CPU into an array indexed on every access; plugins call devices through
# pointers). The tests need one CPU with VMX, x86-64 and AVX (the Haswell
# model), PCI, a CD-ROM, a serial port and no display, so this build has
# exactly that, with every speed-up configure offers. docs/testing.md has
# the measurements ("Bochs, built for the tests").
#
# The result is kept in the test cache under a hash of the configure
# options, the compiler flags and the compiler's version, with the source
# version beside it: a change to any of them, or a new Debian source version,
# builds anew; otherwise nothing is fetched or built. With --cached, the apt
# lists are not refreshed when a build of this recipe exists (the tests call
# it so; the set-up does not).
#
# usage: tests/kernel/build-bochs.sh [--cached]   (about 2.5 minutes cold)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
test_cache=${KES_TEST_CACHE:-/var/cache/kvm-exitstats-tests}
# shellcheck source=scripts/release-roots.sh
. "$top/scripts/release-roots.sh"

configure_options=(
	--with-nogui --without-x11 --without-x
	--disable-plugins --disable-debugger --disable-debugger-gui
	--disable-x86-debugger --disable-instrumentation --disable-smp
	--disable-idle-hack --disable-stats --disable-readline --disable-docbook
	# Without a GUI, its once-a-second IPS line is logged from a signal
	# handler, which deadlocks when the signal lands in another log write.
	--disable-show-ips
	--enable-all-optimizations
	--enable-cpu-level=6 --enable-x86-64 --enable-vmx=2
	# AVX for the Haswell model; Bochs 3.0 builds AVX only with EVEX.
	--enable-avx --enable-evex
	--enable-fpu --enable-a20-pin --enable-pci --enable-cdrom
	--disable-usb --disable-sb16 --disable-es1370 --disable-ne2000
	--disable-e1000 --disable-pnic --disable-clgd54xx --disable-voodoo
	--disable-gameport --disable-busmouse
)
compiler_flags="-O2 -pipe"

recipe=$(printf '%s\n' "${configure_options[@]}" "$compiler_flags" "$(gcc -dumpfullversion)" | sha256sum | cut -c1-12)
dir=$test_cache/bochs/$recipe
if [ "${1:-}" = --cached ] && [ -x "$dir/bochs" ]; then
	echo "$dir/bochs"
	exit 0
fi

mkdir -p "$test_cache/bochs"
exec 9>"$test_cache/bochs/.lock"
flock 9
# What a stopped build left behind.
rm -rf "$test_cache"/bochs/.build.*

lists=$test_cache/bochs/apt-lists
mkdir -p "$lists/partial"
printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
	"$(debian_mirror)" /usr/share/keyrings/debian-archive-keyring.gpg >"$test_cache/bochs/deb-src.sources"
apt_options=(-o "Dir::Etc::SourceList=$test_cache/bochs/deb-src.sources"
	-o Dir::Etc::SourceParts=/nonexistent -o "Dir::State::Lists=$lists")
apt-get "${apt_options[@]}" update -q >"$test_cache/bochs/apt.log" 2>&1 ||
	{ tail -n 5 "$test_cache/bochs/apt.log" >&2; echo "kvm-exitstats: error: cannot read Debian 13's source index for bochs" >&2; exit 1; }
version=$(apt-cache "${apt_options[@]}" showsrc bochs | sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$version" ] || { echo "kvm-exitstats: error: no bochs in Debian 13's source index" >&2; exit 1; }

if [ -x "$dir/bochs" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ]; then
	echo "$dir/bochs"
	exit 0
fi

echo "kvm-exitstats: building Bochs $version for the Intel tests (once; cached in $dir)" >&2
start=$(date +%s)
work=$(mktemp -d "$test_cache/bochs/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get "${apt_options[@]}" source --download-only --tar-only -q "bochs=$version") \
	>"$work/fetch.log" 2>&1 ||
	{ tail -n 5 "$work/fetch.log" >&2; echo "kvm-exitstats: error: cannot fetch the bochs $version source" >&2; exit 1; }
mkdir "$work/src"
tar -xf "$work"/bochs_*.orig.tar.* -C "$work/src" --strip-components=1
if ! (cd "$work/src" &&
	./configure "${configure_options[@]}" CFLAGS="$compiler_flags" CXXFLAGS="$compiler_flags" &&
	make -j"$(nproc)") >"$work/build.log" 2>&1; then
	tail -n 20 "$work/build.log" >&2
	echo "kvm-exitstats: error: building Bochs $version failed (log above)" >&2
	exit 1
fi
mkdir -p "$work/out"
cp "$work/src/bochs" "$work/out/bochs"
echo "$version" >"$work/out/version"
rm -rf "$dir"
mv "$work/out" "$dir"
# Builds of other recipes are stale now.
find "$test_cache/bochs" -mindepth 1 -maxdepth 1 -type d -regextype egrep -regex '.*/[0-9a-f]{12}' \
	! -name "$recipe" -exec rm -rf {} +
echo "kvm-exitstats: Bochs $version built ($(($(date +%s) - start)) s)" >&2
echo "$dir/bochs"
