#!/bin/bash
# Installing by name from a signed apt repository, as users of Debian
# RELEASE (12 or 13) do: scripts/publish-repository.sh publishes the built
# packages with a key made for the test, busybox's httpd (Debian's
# busybox-static) serves them on 127.0.0.1, and a fresh debootstrapped root
# with two kernels (headers and source) adds the repository as README.md
# says (a deb822 source with Signed-By). Then:
#   - a package altered after signing, and a Release file altered after
#     signing, are refused by apt, and nothing is installed;
#   - "apt install kvm-exitstats-dkms kvm-exitstats" builds the modules for
#     both kernels;
#   - a newer release published to the same repository (this tree with the
#     next patch version) arrives with "apt upgrade" and is rebuilt for both
#     kernels.
#
# usage: tests/package/repository.sh 12|13   (after tests/package/build-packages.sh)
set -euo pipefail
release=${1:?usage: tests/package/repository.sh 12|13}
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/repository-root$release
apt_archives=repository-debian$release
# shellcheck source=tests/package/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/source-tree.sh
. "$top/scripts/source-tree.sh"

codename=$(release_codename "$release")
packages=$(packages_for_release "$release")
version=$(dpkg-deb -f "$packages"/kvm-exitstats-dkms_*_all.deb Version)
next=$(echo "$version" | awk -F. -v OFS=. '{ $NF = $NF + 1; print }')
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-repository.XXXXXX")
httpd=
cleanup() {
	[ -z "$httpd" ] || kill "$httpd" 2>/dev/null || true
	unmount_root
	rm -rf "$work"
}
trap cleanup EXIT

# next_release_packages: both packages of this tree as version $next (the
# versions in dkms.conf, CMakeLists.txt, the man page and the changelog),
# built without their tests where this release's packages are built: here,
# or in the Debian 12 package root on a Debian 13 machine.
next_release_packages() {
	local out=$pkgdir/next-$next src prefix=''
	if [ "$release" = 12 ] && [ "$(machine_release)" = 13 ]; then
		prefix=$release_cache/debian12-package-root
		out=$out-debian12-root
		[ -f "$prefix/.complete" ] || fail "no Debian 12 package root: run tests/package/build-packages-in-root.sh 12"
	fi
	lock_until_exit "$out.lock"
	if [ ! -f "$out/.complete" ]; then
		rm -rf "$out"
		mkdir -p "$out"
		src=$prefix/tmp/kes-next/kvm-exitstats-$next
		rm -rf "$prefix/tmp/kes-next"
		copy_source_tree "$top" "$src"
		sed -i "s/^PACKAGE_VERSION=\"$version\"/PACKAGE_VERSION=\"$next\"/" "$src/dkms.conf"
		sed -i "s/^project(kvm-exitstats VERSION $version /project(kvm-exitstats VERSION $next /" "$src/CMakeLists.txt"
		sed -i "1s/\"kvm-exitstats $version\"/\"kvm-exitstats $next\"/" "$src/guest-utils/doc/kvm-exitstats.1"
		{
			echo "kvm-exitstats ($next) $codename; urgency=medium"
			echo
			echo "  * The next release, published by tests/package/repository.sh."
			echo
			echo " -- kvm-exitstats developers <kvm-exitstats@example.org>  $(date -R)"
			echo
			cat "$top/debian/changelog"
		} >"$src/debian/changelog"
		if ! grep -q "\"$next\"" "$src/dkms.conf" || ! grep -q "VERSION $next " "$src/CMakeLists.txt"; then
			fail "cannot set version $next in the copied tree"
		fi
		local build="cd /tmp/kes-next/kvm-exitstats-$next && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -us -uc"
		if [ -n "$prefix" ]; then
			in_chroot "$prefix" sh -c "$build"
		else
			sh -c "$build"
		fi >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log"; fail "building $next failed"; }
		mv "$prefix/tmp/kes-next/kvm-exitstats-dkms_${next}_all.deb" "$prefix/tmp/kes-next/kvm-exitstats_${next}_amd64.deb" "$out/"
		rm -rf "$prefix/tmp/kes-next"
		touch "$out/.complete"
	fi
	echo "$out"
}

# The next release builds while the root is made and its kernels installed.
next_release_packages >/dev/null &
next_job=$!

# A signing key of the test's own, and the repository served over HTTP:
# www/good as published, www/altered-package and www/altered-release each
# with one file changed after signing.
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'kvm-exitstats test archive <archive@example.org>' ed25519 sign 1d 2>"$work/gpg.log" ||
	{ cat "$work/gpg.log"; fail "gpg could not make a key"; }
www=$work/www
start=$(date +%s)
"$top/scripts/publish-repository.sh" --packages "$packages" "$www/good" | sed 's/^/# /'
echo "# published $version: $(($(date +%s) - start)) s"
cp -a "$www/good" "$www/altered-package"
deb=$www/altered-package/pool/main/k/kvm-exitstats/kvm-exitstats_${version}_amd64.deb
printf 'X' | dd of="$deb" bs=1 seek=$(($(stat -c %s "$deb") / 2)) conv=notrunc status=none
cp -a "$www/good" "$www/altered-release"
sed -i "s/^Description: .*/Description: altered after signing/" \
	"$www/altered-release/dists/$codename/InRelease" "$www/altered-release/dists/$codename/Release"

port=''
for try in 1 2 3 4 5; do
	candidate=$((20000 + RANDOM % 20000))
	busybox httpd -f -p "127.0.0.1:$candidate" -h "$www" &
	httpd=$!
	sleep 0.5
	if kill -0 "$httpd" 2>/dev/null &&
		busybox wget -q -O /dev/null "http://127.0.0.1:$candidate/good/kvm-exitstats-archive-keyring.gpg"; then
		port=$candidate
		break
	fi
	echo "# retry $try: httpd could not serve on port $candidate (in use?), another port"
	kill "$httpd" 2>/dev/null || true
	httpd=
done
[ -n "$port" ] || fail "busybox httpd could not serve on 127.0.0.1"
echo "# the repository is served by busybox httpd on 127.0.0.1:$port"

fresh_release_root "$release" "$work"

# Two kernels, each with its image, headers and source: the release's
# default series and its newest.
kernels=()
kernel_packages=()
backports=()
all_series=$(release_series "$release")
for series in "${all_series%% *}" "${all_series##* }"; do
	src=$(kernel_pkgs source_version "$series")
	headers=$(kernel_pkgs headers_for "$series" "$src")
	kernels+=("${headers#linux-headers-}")
	[ -z "$(release_series_from_backports "$series")" ] || backports=(-t "$codename-backports")
	# The signed image, or its -unsigned twin while it is not published.
	kernel_packages+=("$(kernel_pkgs image_package "${headers#linux-headers-}")" "$headers" "linux-source-$series=$src")
done
apt_in_root "$work/apt-kernels.log" install "${backports[@]}" "${kernel_packages[@]}" ||
	{ tail -n 20 "$work/apt-kernels.log"; fail "installing the kernels' images, headers and sources failed"; }
echo "# kernels in the root: ${kernels[*]}"

# use_repository PATH: the repository at www/PATH as the only kvm-exitstats
# source, as README.md's install section writes it.
use_repository() {
	cp "$www/good/kvm-exitstats-archive-keyring.gpg" "$root/usr/share/keyrings/"
	printf 'Types: deb\nURIs: http://127.0.0.1:%s/%s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
		"$port" "$1" "$codename" /usr/share/keyrings/kvm-exitstats-archive-keyring.gpg \
		>"$root/etc/apt/sources.list.d/kvm-exitstats.sources"
}

nothing_of_ours_installed() {
	! in_root dpkg -s kvm-exitstats >/dev/null 2>&1 && ! in_root dpkg -s kvm-exitstats-dkms >/dev/null 2>&1 &&
		! ls "$root"/lib/modules/*/updates/dkms/kvm* >/dev/null 2>&1
}

# apt takes a download it has kept when its checksum matches the index, and
# the altered package's index is the signed one: no kept package of ours.
rm -f "$root"/var/cache/apt/archives/kvm-exitstats*.deb
use_repository altered-package
check "with a package altered after signing, apt update succeeds" apt_in_root "$work/apt-altered-package-update.log" update
check "apt install kvm-exitstats-dkms kvm-exitstats refuses the altered package" \
	sh -c "! chroot '$root' env DEBIAN_FRONTEND=noninteractive apt-get -y -q install kvm-exitstats-dkms kvm-exitstats >'$work/apt-altered-package.log' 2>&1 &&
	       grep -q -i -e 'hash sum mismatch' -e 'hashes' '$work/apt-altered-package.log'"
{ grep -m 1 '^E:.*127\.0\.0\.1' "$work/apt-altered-package.log" || true; } | sed 's/^/# apt: /'
check "nothing of kvm-exitstats is installed" nothing_of_ours_installed

use_repository altered-release
check "with a Release file altered after signing, apt update fails on its signature" \
	sh -c "! chroot '$root' env DEBIAN_FRONTEND=noninteractive apt-get -q update >'$work/apt-altered-release.log' 2>&1 &&
	       grep -q -e BADSIG -e 'signatures were invalid' -e 'is not signed' '$work/apt-altered-release.log'"
{ grep -m 3 -e '^E:.*127\.0\.0\.1' -e '^W:.*127\.0\.0\.1' "$work/apt-altered-release.log" || true; } | sed 's/^/# apt: /'
check "apt install kvm-exitstats-dkms kvm-exitstats then finds no such package" \
	sh -c "! chroot '$root' env DEBIAN_FRONTEND=noninteractive apt-get -y -q install kvm-exitstats-dkms kvm-exitstats >'$work/apt-altered-release-install.log' 2>&1"
{ grep -m 1 '^E:' "$work/apt-altered-release-install.log" || true; } | sed 's/^/# apt: /'
check "nothing of kvm-exitstats is installed" nothing_of_ours_installed

use_repository good
check "with the repository as published, apt update succeeds" apt_in_root "$work/apt-good-update.log" update
start=$(date +%s)
check "apt install kvm-exitstats-dkms kvm-exitstats (by name) succeeds" \
	apt_in_root "$work/apt-install.log" install kvm-exitstats-dkms kvm-exitstats
echo "# install by name with $((${#kernels[@]})) builds: $(($(date +%s) - start)) s"
show_product_lines "$work/apt-install.log"
for kver in "${kernels[@]}"; do
	check "$kver: kvm, kvm-intel, kvm-amd $version from the repository resolve to updates/dkms" modules_in_updates "$kver"
done
check "kvm-exitstats --version prints $version" sh -c "[ \"\$(chroot '$root' kvm-exitstats --version)\" = '$version' ]"

start=$(date +%s)
wait "$next_job" || fail "building the next release, $next, failed"
next_dir=$(next_release_packages)
echo "# the next release, $next, built without its tests (in the background): waited $(($(date +%s) - start)) s for it"
"$top/scripts/publish-repository.sh" --packages "$next_dir" "$www/good" | sed 's/^/# /'
apt_in_root "$work/apt-next-update.log" update || fail "apt update after publishing $next failed"
start=$(date +%s)
check "apt upgrade brings $next" apt_in_root "$work/apt-upgrade.log" upgrade
echo "# apt upgrade with $((${#kernels[@]})) builds: $(($(date +%s) - start)) s"
show_product_lines "$work/apt-upgrade.log"
check "kvm-exitstats-dkms and kvm-exitstats are at $next" \
	sh -c "[ \"\$(chroot '$root' dpkg-query -W -f '\${Version} ' kvm-exitstats-dkms kvm-exitstats)\" = '$next $next ' ]"
version=$next
for kver in "${kernels[@]}"; do
	check "$kver: the modules were rebuilt at $next and resolve to updates/dkms" modules_in_updates "$kver"
done
check "dpkg has no half-configured package" no_half_configured_package
finish
