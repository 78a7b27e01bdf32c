# shellcheck shell=bash
# A Debian 13 (trixie) root for what cannot run on the Debian 12 build
# machine: trixie's kernels (6.12+deb13 from trixie, 7.2 and 7.3 from
# trixie-backports) are built with its gcc-14 and kbuild (glibc 2.38), and
# its packages are tested there. Nothing of Debian 13 is installed on the
# machine itself.
#
# Sourced; needs debootstrap. Roots and their base tarball are cached in
# KES_TEST_CACHE (default /var/cache/kvm-exitstats-tests), outside the tree.

deb13_cache=${KES_TEST_CACHE:-/var/cache/kvm-exitstats-tests}
deb13_base=$deb13_cache/trixie-minbase.tar.gz
deb13_build_root=$deb13_cache/debian13-build-root

# The archive this machine's own apt uses (Debian 12 suites there).
debian_mirror() {
	local uri
	uri=$(sed -n 's|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	echo "${uri:-http://deb.debian.org/debian}"
}

# A minimal trixie made once with debootstrap and kept as a tarball.
deb13_base_tarball() {
	local tmp
	[ -f "$deb13_base" ] && return 0
	echo "kvm-exitstats: debootstrap trixie (once; cached in $deb13_base)" >&2
	mkdir -p "$deb13_cache"
	tmp=$(mktemp -d "$deb13_cache/.debootstrap.XXXXXX")
	if ! debootstrap --variant=minbase trixie "$tmp" "$(debian_mirror)" >"$tmp.log" 2>&1; then
		tail -n 20 "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		return 1
	fi
	tar -C "$tmp" -czf "$deb13_base.tmp" . && mv "$deb13_base.tmp" "$deb13_base"
	rm -rf "$tmp" "$tmp.log"
}

# Unpacks the base into ROOT with trixie, its updates, security and
# backports as apt sources, and no daemon started by package scripts.
deb13_unpack_root() {
	local root=$1 mirror
	deb13_base_tarball || return 1
	mirror=$(debian_mirror)
	rm -rf --one-file-system "$root"
	mkdir -p "$root"
	tar -C "$root" -xzf "$deb13_base"
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: trixie trixie-updates trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
}

# in_deb13 ROOT COMMAND...: runs COMMAND in ROOT with /proc and /dev mounted
# in a private mount namespace, so nothing stays mounted afterwards.
in_deb13() {
	local root=$1
	shift
	unshare --mount --propagation private sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
		exec chroot "$root" env -i DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
			HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"' sh "$root" "$@"
}

# deb13_kernel_pkgs ROOT FUNCTION ARG...: a function of kernel-packages.sh,
# run against ROOT's apt.
deb13_kernel_pkgs() {
	local root=$1
	shift
	in_deb13 "$root" bash -c "$(cat "$(dirname "${BASH_SOURCE[0]}")/kernel-packages.sh"); $*"
}

# The kernel build root: gcc-14, kbuild, DKMS and, for each series given,
# the current headers and linux-source; gcc and uuid-dev (7.3's selftests
# link libuuid) for the KVM selftests. Made once, brought up to date each call.
deb13_build_root() {
	local series pkgs=(binutils gcc-14 gcc libc6-dev uuid-dev make patch bc kmod xz-utils dkms) version headers
	if [ ! -f "$deb13_build_root/.complete" ]; then
		deb13_unpack_root "$deb13_build_root" || return 1
		touch "$deb13_build_root/.complete"
	fi
	in_deb13 "$deb13_build_root" apt-get -q update >"$deb13_cache/debian13-apt.log" 2>&1 ||
		{ tail -n 20 "$deb13_cache/debian13-apt.log" >&2; return 1; }
	for series in "$@"; do
		version=$(deb13_kernel_pkgs "$deb13_build_root" source_version "$series") ||
			{ echo "kvm-exitstats: error: no linux-source-$series in Debian 13's archive" >&2; return 1; }
		headers=$(deb13_kernel_pkgs "$deb13_build_root" headers_for "$series" "$version") ||
			{ echo "kvm-exitstats: error: no linux-headers of version $version in Debian 13's archive" >&2; return 1; }
		pkgs+=("linux-source-$series=$version" "$headers")
	done
	in_deb13 "$deb13_build_root" apt-get install -y -q --no-install-recommends "${pkgs[@]}" \
		>>"$deb13_cache/debian13-apt.log" 2>&1 ||
		{ tail -n 20 "$deb13_cache/debian13-apt.log" >&2; return 1; }
	# Kernels the archive moved past stay installed but unused; free their room.
	in_deb13 "$deb13_build_root" apt-get clean
}
