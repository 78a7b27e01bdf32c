#!/bin/bash
# The states Debian's archive passes through at a point release, reproduced
# in a debootstrapped Debian 12 or 13 root whose only apt source for the
# kernel packages is a local repository of real Debian packages (one of them
# relabelled a point release ahead), and what the host package does in each:
#
#  (a) source, headers and unsigned image of the newer kernel are there, its
#      signed image is not: a kernel that cannot be built is told to boot
#      that kernel with the -unsigned image, and doing so builds for it;
#  (c) a fresh install on a host whose kernel is older than the source: one
#      line names the ways out apt offers; taking the older kernel's own
#      source for a while builds for it, and going back to the newer source
#      takes the modules from neither kernel;
#  (b) the source moves ahead of an installed, running kernel, then the
#      package is upgraded from 0.2.0 (built from its release commit): the
#      upgrade rebuilds that kernel's modules from the sources 0.2.0 left;
#      removing a kernel removes the sources kept for its version.
# apt must never fail.
#
# usage: tests/package/archive-states.sh 12|13   (after tests/package/build-packages.sh)
set -euo pipefail
release=${1:?usage: tests/package/archive-states.sh 12|13}
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/root-states$release
. "$(dirname "$0")/lib.sh"

# The series both releases carry, whose point releases both archives follow.
series=$(shared_series)
# The landed 0.2.0, whose upgrade item (b) tests.
release_commit=7fbc9539ef1cddc924dd2f34faed1ee22891fb50
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
dkms_deb=$(ls "$pkgdir"/kvm-exitstats-dkms_*_all.deb)
logs=$pkgdir/states$release
cache=$test_cache/archive-states/debian$release
mkdir -p "$logs" "$cache"

# The host package of a release, built once from its commit: arch all only,
# and without the build system, since it holds no compiled code (10 s).
release_dkms_deb() {
	local v=$1 commit=$2 dir=$test_cache/release-$1 work
	# The Debian 12 and 13 runs may start together.
	mkdir -p "$test_cache"
	exec 8>"$test_cache/release.lock"
	flock 8
	if [ ! -f "$dir/.complete" ]; then
		git -C "$top" cat-file -e "$commit^{commit}" 2>/dev/null ||
			fail "commit $commit ($v) is not in this clone: clone with its history"
		log "building kvm-exitstats-dkms $v from $commit (once; cached in $dir)"
		rm -rf "$dir"
		work=$(mktemp -d)
		git -C "$top" archive "$commit" | tar -x -C "$work"
		(cd "$work" && DH_OPTIONS=--buildsystem=none DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -A -us -uc >"$logs/build-$v.log" 2>&1) ||
			{ tail -n 20 "$logs/build-$v.log"; rm -rf "$work"; fail "building $v failed"; }
		mkdir -p "$dir"
		mv "$(dirname "$work")"/kvm-exitstats-dkms_"$v"_all.deb "$dir/"
		rm -rf "$work" "$(dirname "$work")"/kvm-exitstats_"$v"*
		touch "$dir/.complete"
	fi
	flock -u 8
	echo "$dir/kvm-exitstats-dkms_${v}_all.deb"
}

# The root, with what the kernel packages and DKMS need from the archive;
# afterwards its only source is the local repository /srv/kes-archive.
start_root() {
	unmount_root
	if [ "$release" = 12 ]; then
		make_bookworm_root
	else
		release_unpack_root 13 "$root" || fail "cannot make the Debian 13 root"
		mount_root
	fi
	apt_in_root "$logs/apt-update.log" update || fail "apt-get update in the root failed"
}

# Downloads PACKAGE=VERSION into the cache once (real Debian packages).
fetch() {
	local p=$1 v=$2 f
	f=$(compgen -G "$cache/${p}_${v/#*:/}_*.deb" || true)
	if [ -z "$f" ]; then
		in_root sh -c "mkdir -p /tmp/kes-fetch && cd /tmp/kes-fetch && apt-get download -q '$p=$v'" \
			>>"$logs/download.log" 2>&1 || fail "cannot download $p $v"
		mv "$root"/tmp/kes-fetch/*.deb "$cache/"
	fi
}

# The local repository: the debs given (from the cache), indexed.
publish() {
	local repo=$root/srv/kes-archive f
	rm -rf "$repo"
	mkdir -p "$repo"
	for f in "$@"; do
		ln "$f" "$repo/" 2>/dev/null || cp "$f" "$repo/"
	done
	(cd "$repo" && dpkg-scanpackages -m . >Packages 2>/dev/null)
	apt_in_root "$logs/apt-update-local.log" update || fail "apt-get update of the local repository failed"
}

# A copy of DEB with its version set to VERSION and its tarball's time moved
# (a rebuilt package has a new one), as the next point release would be.
relabel() {
	local deb=$1 v=$2 out=$3 tree
	[ -f "$out" ] && return 0
	tree=$(mktemp -d "$cache/.relabel.XXXXXX")
	dpkg-deb -R "$deb" "$tree"
	sed -i "s/^Version: .*/Version: $v/" "$tree/DEBIAN/control"
	find "$tree/usr/src" -name 'linux-source-*.tar.*' -exec touch {} +
	dpkg-deb -Znone --root-owner-group -b "$tree" "$out.tmp" >/dev/null
	mv "$out.tmp" "$out"
	rm -rf "$tree"
}

deb_of() {
	ls "$cache/${1}_${2/#*:/}_"*.deb
}

line_for() {
	grep "^kvm-exitstats: not built for $1" "$2" || true
}

old_deb=$(release_dkms_deb 0.2.0 "$release_commit")

trap unmount_root EXIT
start=$(date +%s)
start_root
v_new=$(kernel_pkgs source_version "$series")
h_new=$(kernel_pkgs headers_for "$series" "$v_new") || fail "no $series headers of version $v_new"
headers_list=$(kernel_pkgs headers_packages "$series")
sources_offered=$(kernel_pkgs "apt-cache madison linux-source-$series")
v_old=""
while read -r p v; do
	if [ -z "$v_old" ] && dpkg --compare-versions "$v" lt "$v_new" &&
	   grep -qF "| $v |" <<<"$sources_offered"; then
		v_old=$v
	fi
done <<<"$headers_list"
[ -n "$v_old" ] || fail "apt offers no older linux-source-$series with its headers than $v_new"
h_old=$(awk -v v="$v_old" '$2 == v && !found { print $1; found = 1 }' <<<"$headers_list")
k_new=${h_new#linux-headers-}
k_old=${h_old#linux-headers-}
up=${v_new%%-*}
v_next=$(echo "$up" | awk -F. '{ printf "%s.%s.%d", $1, $2, $3 + 1 }')-${v_new#*-}
img_old=$(kernel_pkgs image_package "$k_old")
echo "# Debian $release: $k_old ($v_old, image $img_old), $k_new ($v_new, image linux-image-$k_new-unsigned only), linux-source-$series $v_next relabelled from $v_new"

# Everything the kernel packages depend on comes from the archive now.
kernel_debs=("linux-source-$series=$v_old" "linux-source-$series=$v_new" "$h_old=$v_old" "$h_new=$v_new"
	"$img_old=$v_old" "linux-image-$k_new-unsigned=$v_new")
for p in "${kernel_debs[@]}"; do
	fetch "${p%%=*}" "${p#*=}"
done
for p in $(in_root apt-cache show --no-all-versions "$h_old" "$h_new" | sed -n 's/^Depends: //p' | tr ',' '\n' |
	   grep -o 'linux-\(headers\|kbuild\)-[^ ]*' | sort -u); do
	fetch "$p" "$(kernel_pkgs "apt-cache show --no-all-versions $p" | sed -n 's/^Version: //p')"
	kernel_debs+=("$p")
done
deps=$(in_root apt-get install -s -q --no-install-recommends "${kernel_debs[@]%%=*}" dkms initramfs-tools 2>/dev/null |
	sed -n 's/^Inst \([^ ]*\) .*/\1/p' | grep -v '^linux-\(source\|headers\|image\|kbuild\)' | tr '\n' ' ')
# shellcheck disable=SC2086 # a list of packages
apt_in_root "$logs/apt-deps.log" install dkms initramfs-tools $deps ||
	{ tail -n 20 "$logs/apt-deps.log"; fail "installing the kernel packages' dependencies failed"; }
no_initramfs_in_root
rm -f "$root"/etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list"
echo 'deb [trusted=yes] file:/srv/kes-archive ./' >"$root/etc/apt/sources.list.d/kes-archive.list"
archive=()
for f in "$cache"/*.deb; do
	case $f in *"_${v_next}_"*) ;; *) archive+=("$f") ;; esac
done
publish "${archive[@]}"
echo "# the root and its archive: $(($(date +%s) - start)) s"

# (a) and (c): a fresh install with the older kernel only, the source of the newer.
check "(c) apt install $h_old linux-source-$series ($v_new) succeeds" \
	apt_in_root "$logs/apt-c-kernel.log" install "$h_old" "linux-source-$series"
image_is_unsigned() {
	[ "$(kernel_pkgs image_package "$k_new")" = "linux-image-$k_new-unsigned" ]
}
check "(a) the signed linux-image-$k_new is not published, its -unsigned twin is" image_is_unsigned
cp "$dkms_deb" "$old_deb" "$root/tmp/"
check "(c) apt install ./$(basename "$dkms_deb") succeeds" \
	apt_in_root "$logs/apt-c-install.log" install "/tmp/$(basename "$dkms_deb")"
line=$(line_for "$k_old" "$logs/apt-c-install.log")
echo "# (a)+(c): $line"
check "(c) one line for $k_old" sh -c "[ \$(grep -c '^kvm-exitstats: not built for $k_old' '$logs/apt-c-install.log') -eq 1 ]"
check "(a) it says to boot $k_new from linux-image-$k_new-unsigned on a host without Secure Boot" \
	sh -c "echo \"\$1\" | grep -qF 'boot $k_new (apt install linux-image-$k_new-unsigned linux-headers-$k_new: its signed image is not published yet, so only on a host without Secure Boot)'" _ "$line"
check "(c) or to install linux-source-$series=$v_old for a while" \
	sh -c "echo \"\$1\" | grep -qF 'apt install linux-source-$series=$v_old (the kernels built for keep their sources, so apt install linux-source-$series goes back safely afterwards)'" _ "$line"
check "(c) nothing is installed for $k_old" nothing_installed_for "$k_old"

check "(a) following it, apt install linux-image-$k_new-unsigned linux-headers-$k_new succeeds" \
	apt_in_root "$logs/apt-a-boot.log" install "linux-image-$k_new-unsigned" "$h_new"
show_product_lines "$logs/apt-a-boot.log"
check "(a) DKMS built and installed for $k_new" modules_in_updates "$k_new"

check "(c) following it, apt install linux-source-$series=$v_old succeeds" \
	apt_in_root "$logs/apt-c-old-source.log" install --allow-downgrades "linux-source-$series=$v_old"
show_product_lines "$logs/apt-c-old-source.log"
check "(c) the dpkg trigger built and installed for $k_old" modules_in_updates "$k_old"
check "(c) $k_new keeps its modules" modules_in_updates "$k_new"
check "(c) going back, apt install linux-source-$series ($v_new) succeeds" \
	apt_in_root "$logs/apt-c-back.log" install "linux-source-$series"
check "(c) $k_old keeps its modules" modules_in_updates "$k_old"
check "(c) $k_new keeps its modules" modules_in_updates "$k_new"
check "(c) the sources of $v_old and $v_new are kept" \
	test -f "$root/var/cache/kvm-exitstats/kept/$series/$v_old/.complete" -a \
	     -f "$root/var/cache/kvm-exitstats/kept/$series/$v_new/.complete"
echo "# kept sources on disk: $(du -sh "$root/var/cache/kvm-exitstats/kept/$series/$v_old" | cut -f1) for $v_old, $(du -sh "$root/var/cache/kvm-exitstats/kept/$series/$v_new" | cut -f1) for $v_new"
check "(c) a rebuild for $k_old can take its kept sources now that the source is $v_new" \
	in_root /usr/src/kvm-exitstats-"$version"/src-kvm/build.sh --check "$k_old"
check "dpkg has no half-configured package" no_half_configured_package

# (b): 0.2.0 on both kernels, the source moves ahead, then the upgrade.
check "(b) apt purge kvm-exitstats-dkms succeeds" apt_in_root "$logs/apt-b-purge.log" purge kvm-exitstats-dkms
check "(b) apt install linux-source-$series=$v_old and ./$(basename "$old_deb") succeeds" \
	apt_in_root "$logs/apt-b-old.log" install --allow-downgrades "linux-source-$series=$v_old" "/tmp/$(basename "$old_deb")"
check "(b) 0.2.0 is installed for $k_old" \
	sh -c "chroot '$root' dkms status -m kvm-exitstats -v 0.2.0 -k '$k_old' | grep -q ': installed'"
relabel "$(deb_of "linux-source-$series" "$v_new")" "$v_next" "$cache/linux-source-${series}_${v_next}_all.deb"
publish "${archive[@]}" "$cache/linux-source-${series}_${v_next}_all.deb"
check "(b) the source moves ahead: apt install linux-source-$series ($v_next) succeeds" \
	apt_in_root "$logs/apt-b-ahead.log" install "linux-source-$series"
check "(b) $k_old still has 0.2.0's modules" \
	sh -c "chroot '$root' dkms status -m kvm-exitstats -v 0.2.0 -k '$k_old' | grep -q ': installed'"
check "(b) apt install ./$(basename "$dkms_deb") (the upgrade from 0.2.0) succeeds" \
	apt_in_root "$logs/apt-b-upgrade.log" install "/tmp/$(basename "$dkms_deb")"
show_product_lines "$logs/apt-b-upgrade.log"
check "(b) the upgrade rebuilt $k_old: its modules are ours, $version" modules_in_updates "$k_old"
check "(b) dkms status: $version installed for $k_old" installed_for "$k_old"
line=$(line_for "$k_new" "$logs/apt-b-upgrade.log")
echo "# (b): $line"
check "(b) $k_new (whose sources 0.2.0 did not keep) gets one line naming linux-source-$series=$v_new" \
	sh -c "echo \"\$1\" | grep -qF 'apt install linux-source-$series=$v_new'" _ "$line"
check "dpkg has no half-configured package" no_half_configured_package

# Removing the older kernel removes the sources kept for its version.
check "apt purge $img_old $h_old succeeds" apt_in_root "$logs/apt-remove-old.log" purge "$img_old" "$h_old"
check "the sources kept for $v_old are gone with its last kernel" \
	test ! -e "$root/var/cache/kvm-exitstats/kept/$series/$v_old"
echo "# Debian $release, the three states: $(($(date +%s) - start)) s"
finish
