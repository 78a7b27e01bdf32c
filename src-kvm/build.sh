#!/bin/bash
# Build kvm.ko, kvm-intel.ko and kvm-amd.ko with exit statistics for one
# kernel, out of tree, from that kernel's own source.
#
# usage: build.sh KVER OUTDIR
#
# Kernel source, first found wins:
#   1. a full source tree at /lib/modules/KVER/build (self-built kernels);
#   2. KVM_EXITSTATS_KERNEL_SOURCE, from the environment or from
#      /etc/default/kvm-exitstats: a source directory or a source tarball;
#   3. /usr/src/linux-source-X.Y.tar.* (Debian's linux-source-X.Y) or
#      /usr/src/linux-source-X.Y.Z/linux-source-X.Y.Z.tar.* (Ubuntu's).
# Only Makefile, arch/x86/kvm and virt/kvm are extracted from a tarball, once
# per tarball, into KVM_EXITSTATS_CACHE (default /var/cache/kvm-exitstats).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog="kvm-exitstats"

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

say() {
	echo "$prog: $*" >&2
}

usage() {
	cat <<EOF
usage: $0 KVER OUTDIR
       $0 --check KVER
       $0 --prune

Builds kvm.ko, kvm-intel.ko and kvm-amd.ko with VM-exit statistics for the
kernel release KVER (for example $(uname -r)) into OUTDIR. With --check,
only tells whether the headers and the matching kernel source are there.
The KVM sources of each Debian linux-source version built from are kept
while a kernel of that version is installed; --prune removes the others.

Environment:
  KVM_EXITSTATS_KERNEL_SOURCE  kernel source directory or tarball to use
                               (also read from /etc/default/kvm-exitstats)
  KVM_EXITSTATS_CACHE          where extracted sources are kept
                               (default /var/cache/kvm-exitstats)
  KVM_EXITSTATS_JOBS           parallel make jobs (default: number of CPUs)
EOF
}

makefile_version() {
	sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$1/Makefile" |
		paste -sd.
}

# Debian kernels carry their package version in UTS_VERSION ("Debian
# 6.1.192-2"); the version in kernel KVER's headers, if any.
headers_debian_version() {
	local h=/lib/modules/$1/build/include/generated
	sed -n 's/.*UTS_VERSION.*Debian \([^ ]*\) .*/\1/p' "$h/utsversion.h" "$h/compile.h" 2>/dev/null | head -n1 || true
}

# The Debian version of installed kernel KVER: from its headers, or from
# the package of its image.
installed_kernel_debian() {
	local v
	v=$(headers_debian_version "$1")
	if [ -z "$v" ] && [ -e "/boot/vmlinuz-$1" ]; then
		v=$(dpkg-query -S "/boot/vmlinuz-$1" 2>/dev/null | head -n1 | cut -d: -f1 |
			xargs -r dpkg-query -W -f '${Version}' 2>/dev/null || true)
	fi
	echo "$v"
}

# Removes the kept sources of versions that no installed kernel (its
# headers or its image) has any more.
prune_kept_sources() {
	local dir k versions=" " upstreams=" " v
	for k in /lib/modules/*; do
		k=${k##*/}
		[ -e "/lib/modules/$k/build/Makefile" ] || [ -e "/boot/vmlinuz-$k" ] || continue
		v=$(installed_kernel_debian "$k")
		[ -n "$v" ] && versions="$versions$v "
		upstreams="$upstreams$(echo "$k" | grep -o '^[0-9]*\.[0-9]*\.[0-9]*' || true) ${v%%-*} "
	done
	[ -d "$cache" ] || return 0
	exec 9>"$cache/.lock"
	flock 9
	for dir in "$cache"/kept/*/*; do
		[ -d "$dir" ] || continue
		case $versions in
		*" ${dir##*/} "*) ;;
		*) rm -rf "$dir" && say "removed the kept sources of linux-source-$(basename "$(dirname "$dir")") ${dir##*/}: no kernel of that version is installed" ;;
		esac
	done
	rmdir "$cache"/kept/* 2>/dev/null || true
	# What kvm-exitstats 0.2.0 extracted, by the Linux version it holds.
	for dir in "$cache"/linux-source-*.tar.*-*; do
		[ -f "$dir/Makefile" ] || continue
		case $upstreams in
		*" $(makefile_version "$dir") "*) ;;
		*) rm -rf "$dir" ;;
		esac
	done
	flock -u 9
}

cache=${KVM_EXITSTATS_CACHE:-/var/cache/kvm-exitstats}
check_only=""
if [ "${1:-}" = "--prune" ] && [ $# -eq 1 ]; then
	prune_kept_sources
	exit 0
elif [ "${1:-}" = "--check" ] && [ $# -eq 2 ]; then
	# Only say whether a build for KVER can work, quickly: no extraction.
	check_only=1
	set -- "$2" ""
elif [ $# -ne 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	usage
	[ $# -eq 2 ] || exit 2
	exit 0
fi

kver=$1
outdir=$2
headers=/lib/modules/$kver/build
jobs=${KVM_EXITSTATS_JOBS:-$(nproc)}
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$here/../dkms.conf")
[ -n "$version" ] || die "no PACKAGE_VERSION in $here/../dkms.conf"
supported=$(sed -n 's/^KVM_EXITSTATS_SERIES="\(.*\)"$/\1/p' "$here/../dkms.conf")
[ -n "$supported" ] || die "no KVM_EXITSTATS_SERIES in $here/../dkms.conf"

if [ -z "${KVM_EXITSTATS_KERNEL_SOURCE:-}" ] && [ -r /etc/default/kvm-exitstats ]; then
	# shellcheck disable=SC1091
	. /etc/default/kvm-exitstats
fi

[ -f "$headers/Makefile" ] ||
	die "no kernel headers for $kver at $headers: install linux-headers-$kver"

kernel_version=$(make -s -C "$headers" kernelversion 2>/dev/null) ||
	die "cannot read the kernel version from $headers"
series=$(echo "$kernel_version" | cut -d. -f1-2)
kernel_debian=$(headers_debian_version "$kver")

case " $supported " in
*" $series "*) ;;
*) die "Linux $series ($kver) is not supported by kvm-exitstats $version, which supports the series $supported:" \
       "boot a kernel of those series, or see docs/porting.md to add $series" ;;
esac
[ -f "$here/hooks/$series.patch" ] || die "src-kvm/hooks/$series.patch is missing from this installation"

is_full_tree() {
	[ -f "$1/arch/x86/kvm/x86.c" ] && [ -f "$1/virt/kvm/kvm_main.c" ]
}

find_tarball() {
	local t
	for t in /usr/src/linux-source-"$series".tar.* \
		 /usr/src/linux-source-"$kernel_version"*/linux-source-*.tar.*; do
		[ -f "$t" ] && { echo "$t"; return 0; }
	done
	return 1
}

tarball_debian_version() {
	dpkg-query -S "$1" 2>/dev/null | head -n1 | cut -d: -f1 |
		xargs -r dpkg-query -W -f '${Version}' 2>/dev/null || true
}

# The KVM sources of a Debian package's tarball are kept per package version
# in kept/SERIES/VERSION, for as long as a kernel of that version is
# installed (--prune removes the others), so that a kernel whose
# linux-source-X.Y apt has moved past can still be built. Other tarballs are
# kept per content, the latest of a name only.
kept_dir() {
	echo "$cache/kept/$1/$2"
}

# tarball_cache_dir TARBALL DEBIAN-VERSION (empty: not from a package)
tarball_cache_dir() {
	if [ -n "$2" ]; then
		kept_dir "$series" "$2"
	else
		echo "$cache/$(basename "$1")-$(stat -c '%s-%Y' "$1")"
	fi
}

# Extracts the needed parts of a tarball once; prints the extracted tree.
prepare_tarball() {
	local tarball=$1 dir top tmp
	dir=$(tarball_cache_dir "$tarball" "$2")
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
	if [ ! -f "$dir/.complete" ]; then
		say "extracting arch/x86/kvm and virt/kvm from $tarball (once per source version)"
		top=$(tar -tf "$tarball" 2>/dev/null | head -n1 | cut -d/ -f1 || true)
		[ -n "$top" ] || die "cannot read $tarball"
		tmp=$(mktemp -d "$cache/.extract.XXXXXX")
		tar -xf "$tarball" -C "$tmp" "$top/Makefile" "$top/arch/x86/kvm" "$top/virt/kvm" ||
			{ rm -rf "$tmp"; die "cannot extract the KVM sources from $tarball"; }
		rm -rf "$dir"
		mkdir -p "$(dirname "$dir")"
		mv "$tmp/$top" "$dir"
		rmdir "$tmp"
		touch "$dir/.complete"
		case $dir in
		"$cache/kept/"*) ;;
		*)
			# Other extractions of the same non-packaged tarball name are stale.
			find "$cache" -mindepth 1 -maxdepth 1 -name "$(basename "$tarball")-*" ! -path "$dir" \
				-exec rm -rf {} + ;;
		esac
	fi
	flock -u 9
	echo "$dir"
}

# The kept sources of this kernel's own version, if any: kept/SERIES/VERSION,
# or what kvm-exitstats 0.2.0 left in the cache (one extraction per tarball
# name, its Debian version not recorded: taken when its Linux version is
# the kernel's and it is not the installed tarball of another version).
kept_source() {
	local dir installed
	[ -n "$kernel_debian" ] || return 1
	dir=$(kept_dir "$series" "$kernel_debian")
	[ -f "$dir/.complete" ] && { echo "$dir"; return 0; }
	installed=${tarball:+$cache/$(basename "$tarball")-$(stat -c '%s-%Y' "$tarball")}
	for dir in "$cache"/linux-source-"$series".tar.*-*; do
		if [ ! -f "$dir/.complete" ] || [ "$dir" = "$installed" ]; then
			continue
		fi
		[ "$(makefile_version "$dir")" = "$kernel_version" ] && { echo "$dir"; return 0; }
	done
	return 1
}

# Moves what 0.2.0 extracted for this kernel to where its version is kept.
adopt_legacy() {
	local dir
	dir=$(kept_dir "$series" "$kernel_debian")
	mkdir -p "$(dirname "$dir")"
	exec 9>"$cache/.lock"
	flock 9
	[ -f "$dir/.complete" ] || mv "$1" "$dir"
	flock -u 9
	echo "$dir"
}

# The version of a tarball's source without extracting it, if known.
cheap_tarball_version() {
	local tarball=$1 debian=$2 dir
	dir=$(tarball_cache_dir "$tarball" "$debian")
	if [ -f "$dir/.complete" ]; then
		makefile_version "$dir"
	elif [ -n "$debian" ]; then
		echo "${debian%-*}"
	fi
}

# apt's view, for advice that names only what apt can install now.
apt_has_version() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' -v v="$2" '{ gsub(/ /, "", $2) } $2 == v { found = 1 } END { exit !found }'
}

apt_has_package() {
	apt-cache show --no-all-versions "$1" 2>/dev/null | grep '^Package:' >/dev/null
}

# The kernel release whose headers package has VERSION (for example the
# kernel of the installed source), if apt knows one.
kernel_of_version() {
	local names
	names=$(apt-cache pkgnames "linux-headers-$series." 2>/dev/null |
		grep -E "^linux-headers-${series//./\\.}\.[^-]*(-[0-9]+)?-amd64\$") || return 1
	# shellcheck disable=SC2086 # a list of package names
	apt-cache madison $names 2>/dev/null |
		awk -F'|' -v v="$1" '{ gsub(/ /, "", $1); gsub(/ /, "", $2) }
			$2 == v && !found { sub(/^linux-headers-/, "", $1); print $1; found = 1 }
			END { exit !found }'
}

kernel_image_installed() {
	{ dpkg-query -W -f '${Status}\n' "linux-image-$1" "linux-image-$1-unsigned" 2>/dev/null || true; } |
		grep 'ok installed' >/dev/null
}

# What to do when the source of this kernel's version is not here: each way
# out that apt offers now, none of which takes the modules from another
# kernel (the sources of every kernel built for are kept).
source_advice() {
	local have_debian=$1 ways=() other
	if [ -n "$kernel_debian" ] && [ -n "$have_debian" ] &&
	   dpkg --compare-versions "$have_debian" gt "$kernel_debian" &&
	   other=$(kernel_of_version "$have_debian") && [ "$other" != "$kver" ]; then
		if kernel_image_installed "$other"; then
			ways+=("boot $other, which is installed")
		elif apt_has_package "linux-image-$other"; then
			ways+=("boot $other (apt install linux-image-$other linux-headers-$other)")
		elif apt_has_package "linux-image-$other-unsigned"; then
			ways+=("boot $other (apt install linux-image-$other-unsigned linux-headers-$other: its signed image is not published yet, so only on a host without Secure Boot)")
		fi
	fi
	if [ -z "$kernel_debian" ]; then
		ways+=("install linux-source-$series of Linux $kernel_version")
	elif apt_has_version "linux-source-$series" "$kernel_debian"; then
		if [ -n "$have_debian" ]; then
			ways+=("build for $kver with apt install linux-source-$series=$kernel_debian (the kernels built for keep their sources, so apt install linux-source-$series goes back safely afterwards)")
		else
			ways+=("apt install linux-source-$series=$kernel_debian")
		fi
	fi
	if [ ${#ways[@]} -eq 0 ]; then
		ways+=("apt offers no linux-source-$series $kernel_debian (after apt update, see apt-cache madison linux-source-$series): boot a kernel of a version it offers, or set KVM_EXITSTATS_KERNEL_SOURCE in /etc/default/kvm-exitstats to the source of Linux $kernel_version")
	fi
	local IFS=$'\n'
	echo "${ways[*]}" | sed ':a; N; $!ba; s/\n/, or /g'
}

source_tree=""
source_desc=""
tarball=""
if is_full_tree "$headers"; then
	source_tree=$headers
	source_desc="the source tree at $headers"
elif [ -n "${KVM_EXITSTATS_KERNEL_SOURCE:-}" ]; then
	src=$KVM_EXITSTATS_KERNEL_SOURCE
	if [ -d "$src" ]; then
		is_full_tree "$src" || die "KVM_EXITSTATS_KERNEL_SOURCE=$src is not a kernel source tree"
		source_tree=$src
	elif [ -f "$src" ]; then
		tarball=$src
	else
		die "KVM_EXITSTATS_KERNEL_SOURCE=$src does not exist"
	fi
	source_desc="KVM_EXITSTATS_KERNEL_SOURCE=$src"
else
	tarball=$(find_tarball) || tarball=""
	if source_tree=$(kept_source); then
		tarball=""
		if [ -z "$check_only" ] && [ "${source_tree#"$cache/kept/"}" = "$source_tree" ]; then
			source_tree=$(adopt_legacy "$source_tree")
		fi
		source_desc="the sources kept from linux-source-$series $kernel_debian ($source_tree)"
	elif [ -n "$tarball" ]; then
		source_desc=$tarball
	else
		die "no kernel source for $kver (Linux $kernel_version${kernel_debian:+, $kernel_debian}): $(source_advice "")"
	fi
fi

source_debian=""
if [ -n "$tarball" ]; then
	source_debian=$(tarball_debian_version "$tarball")
	if [ -n "$check_only" ]; then
		source_version=$(cheap_tarball_version "$tarball" "$source_debian")
	elif [ -n "$source_debian" ] && [ -n "$kernel_debian" ] && [ "$source_debian" != "$kernel_debian" ]; then
		# Another version: no need to extract it to say so.
		source_version=${source_debian%-*}
	else
		source_tree=$(prepare_tarball "$tarball" "$source_debian")
		source_version=$(makefile_version "$source_tree")
	fi
else
	source_version=$(makefile_version "$source_tree")
fi

if { [ -n "$source_version" ] && [ "$source_version" != "$kernel_version" ]; } ||
   { [ -n "$source_debian" ] && [ -n "$kernel_debian" ] && [ "$source_debian" != "$kernel_debian" ]; }; then
	want="Linux $kernel_version${kernel_debian:+ ($kernel_debian)}"
	have="Linux ${source_version:-${source_debian%-*}}${source_debian:+ ($source_debian)}"
	if [ -n "${KVM_EXITSTATS_KERNEL_SOURCE:-}" ]; then
		fix="point KVM_EXITSTATS_KERNEL_SOURCE at the source of $want, or unset it to use linux-source-$series"
	else
		fix=$(source_advice "$source_debian")
	fi
	die "$source_desc is $have but kernel $kver is $want: $fix"
fi
[ -z "$check_only" ] || exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/kvm-exitstats-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

say "building kvm.ko, kvm-intel.ko and kvm-amd.ko $version for $kver from $source_desc"
cp -a "$source_tree/Makefile" "$work/"
mkdir -p "$work/arch/x86" "$work/virt"
cp -a "$source_tree/arch/x86/kvm" "$work/arch/x86/"
cp -a "$source_tree/virt/kvm" "$work/virt/"
rm -f "$work"/arch/x86/kvm/Kbuild "$work"/arch/x86/kvm/*.o "$work"/arch/x86/kvm/*.ko
kvm=$work/arch/x86/kvm

# The in-tree Makefile reads $(srctree), which is the headers tree here.
write_kbuild() {
	echo "# Generated by kvm-exitstats build.sh from arch/x86/kvm/Makefile."
	echo "KVM_EXITSTATS_SOURCE := $work"
	sed 's|\$(srctree)|$(KVM_EXITSTATS_SOURCE)|g' "$kvm/Makefile"
	echo "ccflags-y += -I \$(KVM_EXITSTATS_SOURCE)/virt/kvm"
}

if [ "${KVM_EXITSTATS_UNPATCHED:-}" = 1 ]; then
	# Only for bench/exit-overhead: the same build without the statistics.
	write_kbuild >"$kvm/Kbuild"
else
	cp "$here"/exitstats.c "$here"/exitstats.h "$here"/exitstats_reasons.c "$here"/exitstats_debugfs.c \
	   "$here"/exitstats_hist.c "$here"/exitstats_hist.h \
	   "$here"/exitstats_reasons.h "$kvm/"
	cp "$here/vmx/exitstats_vmx.c" "$kvm/vmx/"
	cp "$here/svm/exitstats_svm.c" "$kvm/svm/"
	patch -p1 -d "$work" --batch --forward --no-backup-if-mismatch --quiet \
		<"$here/hooks/$series.patch" >"$work/patch.log" 2>&1 ||
		die "the $series hooks do not apply to Linux $source_version:$(sed 's/^/ /' "$work/patch.log" | tr '\n' ';')"
	# Where KVM exports its internals to its own modules only (7.x), its
	# Makefile fails on any other export in arch/x86/kvm.
	export_macro=EXPORT_SYMBOL_GPL
	grep -qw EXPORT_SYMBOL_FOR_KVM_INTERNAL "$kvm/x86.c" &&
		export_macro=EXPORT_SYMBOL_FOR_KVM_INTERNAL
	{
		write_kbuild
		echo "ccflags-y += -DKVM_EXITSTATS_VERSION='\"$version\"'"
		echo "ccflags-y += -DKVM_EXITSTATS_EXPORT=$export_macro"
		# Only for bench/exit-overhead: exits counted up to KVM's own TSC read.
		[ "${KVM_EXITSTATS_TSC_PROBE:-}" != 1 ] || echo "ccflags-y += -DKVM_EXITSTATS_TSC_PROBE"
		echo "kvm-y += exitstats.o exitstats_reasons.o exitstats_debugfs.o exitstats_hist.o"
		echo "kvm-intel-y += vmx/exitstats_vmx.o"
		echo "kvm-amd-y += svm/exitstats_svm.o"
	} >"$kvm/Kbuild"
fi

if ! make -C "$headers" M="$kvm" -j"$jobs" modules >"$work/make.log" 2>&1; then
	tail -n 40 "$work/make.log" >&2
	die "building the modules for $kver failed (full log above)"
fi
if grep -q 'warning:' "$work/make.log"; then
	grep -B2 -A4 'warning:' "$work/make.log" >&2
	die "the build for $kver has compiler warnings"
fi

mkdir -p "$outdir"
for m in kvm kvm-intel kvm-amd; do
	[ -f "$kvm/$m.ko" ] || die "the build did not produce $m.ko"
	cp "$kvm/$m.ko" "$outdir/.$m.ko.new"
done
for m in kvm kvm-intel kvm-amd; do
	mv -f "$outdir/.$m.ko.new" "$outdir/$m.ko"
done
say "built $outdir/kvm.ko kvm-intel.ko kvm-amd.ko"
