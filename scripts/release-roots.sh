# shellcheck shell=bash
# Debian releases as build environments. A kernel is built, and its packages
# are tested, in the release that ships it: natively where this machine runs
# that release, otherwise in a cached debootstrapped root of it. Debian 12
# ships the series up to 6.12, Debian 13 6.12 and later (scripts/series.sh,
# which names the targets and the default kernel of each). Nothing of the
# other release is installed on the machine itself.
#
# Sourced; needs debootstrap for the other release. Roots and their base
# tarballs are cached in KES_TEST_CACHE (default
# /var/cache/kvm-exitstats-tests), outside the tree.

release_cache=${KES_TEST_CACHE:-/var/cache/kvm-exitstats-tests}
# shellcheck source=scripts/series.sh
. "$(dirname "${BASH_SOURCE[0]}")/series.sh"

# The Debian release this machine runs: 12 or 13 (KES_OS_RELEASE names
# another os-release file, for tests).
machine_release() {
	local id version
	# shellcheck disable=SC1090 # os-release, or a stand-in for tests
	id=$(. "${KES_OS_RELEASE:-/etc/os-release}" && echo "${ID:-}")
	# shellcheck disable=SC1090
	version=$(. "${KES_OS_RELEASE:-/etc/os-release}" && echo "${VERSION_ID:-}")
	case $id:$version in
	debian:12 | debian:13) echo "$version" ;;
	*)
		echo "kvm-exitstats: error: this machine runs ${id:-an unknown system} ${version:-(no VERSION_ID)}; building and testing need Debian 12 or 13" >&2
		return 1
		;;
	esac
}

release_codename() {
	case $1 in
	12) echo bookworm ;;
	13) echo trixie ;;
	*) echo "kvm-exitstats: error: Debian $1 is not a release kvm-exitstats builds for (12, 13)" >&2; return 1 ;;
	esac
}

# The root where release N's kernels are built when the machine runs another.
release_build_root_dir() {
	echo "$release_cache/debian$1-build-root"
}

# "" where the machine runs release N, else the path of its build root: the
# prefix of that release's files (/usr/src, /var/lib/dpkg, ...) from here.
release_prefix() {
	[ "$1" = "$(machine_release)" ] || release_build_root_dir "$1"
}

# The archive this machine's own apt uses.
debian_mirror() {
	local uri
	uri=$(sed -n 's|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	[ -n "$uri" ] || uri=$(sed -n 's|^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*/debian\)/* .*|\2|p' /etc/apt/sources.list 2>/dev/null | head -n1)
	echo "${uri:-http://deb.debian.org/debian}"
}

# A minimal root of release N made once with debootstrap, kept as a tarball;
# prints its path.
release_base_tarball() {
	local codename base tmp
	codename=$(release_codename "$1") || return 1
	base=$release_cache/$codename-minbase.tar.gz
	if [ ! -f "$base" ]; then
		echo "kvm-exitstats: debootstrap $codename (once; cached in $base)" >&2
		mkdir -p "$release_cache"
		tmp=$(mktemp -d "$release_cache/.debootstrap.XXXXXX")
		if ! debootstrap --variant=minbase "$codename" "$tmp" "$(debian_mirror)" >"$tmp.log" 2>&1; then
			tail -n 20 "$tmp.log" >&2
			rm -rf "$tmp" "$tmp.log"
			return 1
		fi
		tar -C "$tmp" -czf "$base.tmp" . && mv "$base.tmp" "$base"
		rm -rf "$tmp" "$tmp.log"
	fi
	echo "$base"
}

# release_sources N [SUITE...]: apt's sources of release N, as a fresh install
# of it has them (the release, its updates and security), plus the suites
# given (for example trixie-backports).
release_sources() {
	local codename mirror
	codename=$(release_codename "$1") || return 1
	shift
	mirror=$(debian_mirror)
	cat <<SOURCES
Types: deb
URIs: $mirror
Suites: $codename $codename-updates${*:+ $*}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}

# release_unpack_root N ROOT: a fresh root of release N from its base
# tarball, with apt's sources of a fresh install (and backports for 13, where
# 7.2 and 7.3 come from), and no daemon started by package scripts.
release_unpack_root() {
	local release=$1 root=$2 base
	base=$(release_base_tarball "$release") || return 1
	rm -rf --one-file-system "$root"
	mkdir -p "$root"
	tar -C "$root" -xzf "$base"
	rm -f "$root/etc/apt/sources.list"
	if [ "$release" = 13 ]; then
		release_sources 13 trixie-backports
	else
		release_sources "$release"
	fi >"$root/etc/apt/sources.list.d/debian.sources"
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
}

# in_chroot ROOT COMMAND...: runs COMMAND in ROOT with /proc and /dev mounted
# in a private mount namespace, so nothing stays mounted afterwards.
in_chroot() {
	local root=$1
	shift
	unshare --mount --propagation private sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
		exec chroot "$root" env -i DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
			HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"' sh "$root" "$@"
}

# in_release N COMMAND...: runs COMMAND where release N's kernels are built:
# here, or in its build root.
in_release() {
	local release=$1 prefix
	shift
	prefix=$(release_prefix "$release")
	if [ -z "$prefix" ]; then
		env DEBIAN_FRONTEND=noninteractive "$@"
	else
		in_chroot "$prefix" "$@"
	fi
}

# release_kernel_pkgs N FUNCTION ARG...: a function of kernel-packages.sh,
# run against release N's apt.
release_kernel_pkgs() {
	local release=$1
	shift
	in_release "$release" bash -c "$(cat "$(dirname "${BASH_SOURCE[0]}")/kernel-packages.sh"); $*"
}

# release_build_root N SERIES...: the build root of release N (which this
# machine does not run): gcc, kbuild, DKMS and, for each series given, the
# current headers and linux-source; uuid-dev (7.3's selftests link libuuid)
# for the KVM selftests; Debian 13's virt-fw-vars. Made once, brought up to
# date each call.
release_build_root() {
	local release=$1 root series version headers log
	local pkgs=(binutils gcc libc6-dev uuid-dev make patch bc kmod xz-utils dkms)
	shift
	# Debian 13's virt-fw-vars writes the MOK list of the Secure Boot test.
	if [ "$release" = 13 ]; then pkgs+=(python3-virt-firmware); fi
	root=$(release_build_root_dir "$release")
	log=$release_cache/debian$release-apt.log
	if [ ! -f "$root/.complete" ]; then
		release_unpack_root "$release" "$root" || return 1
		touch "$root/.complete"
	fi
	in_chroot "$root" apt-get -q update >"$log" 2>&1 || { tail -n 20 "$log" >&2; return 1; }
	for series in "$@"; do
		version=$(release_kernel_pkgs "$release" source_version "$series") ||
			{ echo "kvm-exitstats: error: no linux-source-$series in Debian $release's archive" >&2; return 1; }
		headers=$(release_kernel_pkgs "$release" headers_for "$series" "$version") ||
			{ echo "kvm-exitstats: error: no linux-headers of version $version in Debian $release's archive" >&2; return 1; }
		pkgs+=("linux-source-$series=$version" "$headers")
	done
	in_chroot "$root" apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; return 1; }
	# Kernels the archive moved past stay installed but unused; free their room.
	in_chroot "$root" apt-get clean
}
