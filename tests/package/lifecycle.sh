#!/bin/bash
# The life cycle of both packages on a throwaway Debian 12 root made with
# debootstrap from Debian's archive: install the host package with the
# headers and sources of Debian 12's oldest and newest series (6.1 and 6.12,
# scripts/series.sh), kernel upgrades with and without matching
# source, the source arriving later (dpkg trigger), remove, purge; then the
# guest package and its command outside a patched VM.
#
# usage: tests/package/lifecycle.sh   (after tests/package/build-packages.sh)
set -euo pipefail
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/root
. "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
dkms_deb=$(ls "$pkgdir"/kvm-exitstats-dkms_*_all.deb)
command_deb=$(ls "$(packages_for_release 12)"/kvm-exitstats_*_amd64.deb)

all_series=$(release_series 12)
first=${all_series%% *} last=${all_series##* }
[ "$first" != "$last" ] || fail "the scenario needs two Debian 12 series in dkms.conf, not: $all_series"

trap unmount_root EXIT
make_bookworm_root
log "installing the $first and $last headers and sources in the root"
apt_in_root "$pkgdir/apt-update.log" update
apt_in_root "$pkgdir/apt-initramfs.log" install initramfs-tools ||
	{ tail -n 20 "$pkgdir/apt-initramfs.log"; fail "installing initramfs-tools failed"; }
no_initramfs_in_root
src_first=$(kernel_pkgs source_version "$first")
src_last=$(kernel_pkgs source_version "$last")
h_first=$(kernel_pkgs headers_for "$first" "$src_first")
h_last=$(kernel_pkgs headers_for "$last" "$src_last")
k_first=${h_first#linux-headers-}
k_last=${h_last#linux-headers-}
apt_in_root "$pkgdir/apt-kernels.log" install "linux-source-$first" "linux-source-$last" "$h_first" "$h_last" ||
	{ tail -n 20 "$pkgdir/apt-kernels.log"; fail "installing the kernel packages failed"; }
echo "# kernels in the root: $k_first (source $src_first), $k_last (source $src_last, image installed)"

# Install: DKMS builds for every kernel with headers.
cp "$dkms_deb" "$command_deb" "$root/tmp/"
start=$(date +%s)
check "apt install ./$(basename "$dkms_deb") succeeds" \
	apt_in_root "$pkgdir/apt-install.log" install "/tmp/$(basename "$dkms_deb")"
echo "# install with two builds: $(($(date +%s) - start)) s"
grep '^kvm-exitstats: ' "$pkgdir/apt-install.log" | sed 's/^/# /'
for kver in "$k_first" "$k_last"; do
	check "dkms status: installed for $kver" installed_for "$kver"
	check "$kver: kvm, kvm-intel, kvm-amd $version resolve to updates/dkms" modules_in_updates "$kver"
done
check "without loaded KVM, the install says the next load takes the new modules" \
	grep -q "KVM is not loaded; the next" "$pkgdir/apt-install.log"

# A kernel upgrade whose source is there: DKMS builds for it by itself.
cloud=$(kernel_pkgs "apt-cache pkgnames linux-headers-${k_first%-amd64}-cloud-amd64" | head -n1)
if [ -n "$cloud" ]; then
	check "installing $cloud (same source) succeeds" \
		apt_in_root "$pkgdir/apt-cloud.log" install "$cloud"
	check "DKMS built and installed for ${cloud#linux-headers-} automatically" \
		modules_in_updates "${cloud#linux-headers-}"
fi

# A kernel upgrade without matching source: apt does not break, the user is
# told which package to install, nothing is installed for that kernel.
older=$(kernel_pkgs headers_packages "$first" | awk -v v="$src_first" '$2 != v { print; exit }')
older_pkg=${older%% *}
older_version=${older##* }
older_kver=${older_pkg#linux-headers-}
check "installing $older_pkg (source is $src_first) succeeds" \
	apt_in_root "$pkgdir/apt-older.log" install "$older_pkg"
grep '^kvm-exitstats: ' "$pkgdir/apt-older.log" | sed 's/^/# /'
check "the user is told to install linux-source-$first=$older_version" \
	grep -q "not built for $older_kver.*apt install linux-source-$first=$older_version" "$pkgdir/apt-older.log"
check "nothing is installed for $older_kver" \
	sh -c "! ls '$root/lib/modules/$older_kver/updates/dkms/kvm'* 2>/dev/null"
check "DKMS's automatic build is off while a kernel lacks its source" \
	grep -q '^AUTOINSTALL=""' "$root/etc/dkms/kvm-exitstats.conf"
check "dpkg has no half-configured package" \
	sh -c "! chroot '$root' dpkg --audit | grep -q ."

# The matching source arrives: the trigger builds for the kernel that lacks it.
check "installing linux-source-$first=$older_version succeeds" \
	apt_in_root "$pkgdir/apt-source.log" install --allow-downgrades "linux-source-$first=$older_version"
check "the dpkg trigger built and installed for $older_kver" modules_in_updates "$older_kver"
check "the modules of $k_first were left alone" modules_in_updates "$k_first"
check "with every kernel built, DKMS builds automatically again" \
	test ! -e "$root/etc/dkms/kvm-exitstats.conf"

# Remove: Debian's modules resolve again; purge: nothing is left.
check_remove_and_purge "$pkgdir" "$k_last"

# The guest package: outside a patched VM the command says so.
check_command_package "$command_deb"

finish
