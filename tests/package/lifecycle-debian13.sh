#!/bin/bash
# The life cycle of both packages (built on Debian 12) on a throwaway Debian
# 13 root, with its DKMS 3.2.2, as a user of Debian 13 meets it:
#   - install with trixie's 6.12 kernel (image, headers, source) and the
#     headers of an older 6.12 whose source is gone: apt succeeds, one line
#     names the fix for the older kernel;
#   - trixie-backports' 7.3 kernel (image, headers, linux-source-7.3 in one
#     apt command): the modules are built and installed for it by
#     themselves, although DKMS's hook of the image runs first;
#   - 7.2 without its source: apt succeeds, one line names linux-source-7.2;
#     installing linux-source-7.2 then builds for it (dpkg trigger);
#   - a kernel image of a series that is not supported (no headers): apt
#     succeeds;
#   - remove and purge bring Debian's modules back for every kernel;
#   - the guest package installs and runs.
#
# usage: tests/package/lifecycle-debian13.sh   (after tests/package/build-packages.sh)
set -euo pipefail
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/root13
. "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
dkms_deb=$(ls "$pkgdir"/kvm-exitstats-dkms_*_all.deb)
command_deb=$(ls "$(packages_for_release 13)"/kvm-exitstats_*_amd64.deb)
logs=$pkgdir/debian13
mkdir -p "$logs"

trap unmount_root EXIT
unmount_root
release_unpack_root 13 "$root" || fail "cannot make the Debian 13 root"
mount_root

apt_in_root "$logs/apt-update.log" update || fail "apt-get update in the Debian 13 root failed"
apt_in_root "$logs/apt-dkms.log" install dkms initramfs-tools ||
	{ tail -n 20 "$logs/apt-dkms.log"; fail "installing dkms in the Debian 13 root failed"; }
no_initramfs_in_root
# What Debian 13's dkms package is, for the record.
src612=$(kernel_pkgs source_version 6.12)
h612=$(kernel_pkgs headers_for 6.12 "$src612")
k612=${h612#linux-headers-}
# The newest older 6.12 headers: their source version is no longer installable.
old612=$(kernel_pkgs headers_packages 6.12 | awk -v v="$src612" '$2 != v { print $1; exit }')
kold=${old612#linux-headers-}
oldv=$(kernel_pkgs headers_packages 6.12 | awk -v p="$old612" '$1 == p { print $2; exit }')
log "installing $k612 (image, headers, source) and the headers of $kold in the Debian 13 root"
apt_in_root "$logs/apt-kernels.log" install "linux-image-$k612" "$h612" "linux-source-6.12=$src612" "$old612" ||
	{ tail -n 20 "$logs/apt-kernels.log"; fail "installing trixie's 6.12 kernel failed"; }
echo "# Debian 13 root: $(in_root dpkg-query -W -f '${Package} ${Version}' dkms), gcc $(in_root dpkg-query -W -f '${Version}' gcc-14)"
echo "# kernels: $k612 (source $src612), $kold (headers only)"

cp "$dkms_deb" "$root/tmp/"
start=$(date +%s)
check "apt install ./$(basename "$dkms_deb") succeeds on Debian 13" \
	apt_in_root "$logs/apt-install.log" install "/tmp/$(basename "$dkms_deb")"
echo "# install with one build: $(($(date +%s) - start)) s"
show_product_lines "$logs/apt-install.log"
check "dkms status: installed for $k612" installed_for "$k612"
check "$k612: kvm, kvm-intel, kvm-amd $version resolve to updates/dkms" modules_in_updates "$k612"
check "$kold, whose source is not installed, gets one line naming linux-source-6.12 of its version" \
	sh -c "[ \$(grep -c 'not built for $kold.*apt install linux-source-6.12=$oldv' '$logs/apt-install.log') -eq 1 ]"
check "nothing is installed for $kold" nothing_installed_for "$kold"
check "dpkg has no half-configured package" no_half_configured_package

# trixie-backports' newest series, image + headers + source in one command.
src73=$(kernel_pkgs source_version 7.3)
h73=$(kernel_pkgs headers_for 7.3 "$src73")
k73=${h73#linux-headers-}
start=$(date +%s)
check "apt install -t trixie-backports linux-image-$k73 $h73 linux-source-7.3 succeeds" \
	apt_in_root "$logs/apt-7.3.log" install -t trixie-backports "linux-image-$k73" "$h73" "linux-source-7.3=$src73"
echo "# 7.3 kernel install with the build: $(($(date +%s) - start)) s"
show_product_lines "$logs/apt-7.3.log"
check "the modules were built and installed for $k73 with no command of the user's" modules_in_updates "$k73"
check "the modules of $k612 were left alone" modules_in_updates "$k612"
check "dpkg has no half-configured package" no_half_configured_package

# 7.2 without its source: apt works, the user is told what to install.
src72=$(kernel_pkgs source_version 7.2)
h72=$(kernel_pkgs headers_for 7.2 "$src72")
k72=${h72#linux-headers-}
check "apt install -t trixie-backports linux-image-$k72 $h72 (no linux-source-7.2) succeeds" \
	apt_in_root "$logs/apt-7.2.log" install -t trixie-backports "linux-image-$k72" "$h72"
show_product_lines "$logs/apt-7.2.log"
check "one line names linux-source-7.2 for $k72" \
	sh -c "[ \$(grep -c '^kvm-exitstats: not built for $k72.*install linux-source-7.2' '$logs/apt-7.2.log') -eq 1 ]"
check "nothing is installed for $k72" nothing_installed_for "$k72"
check "dpkg has no half-configured package" no_half_configured_package
check "installing linux-source-7.2 succeeds" \
	apt_in_root "$logs/apt-7.2-source.log" install "linux-source-7.2=$src72"
check "the dpkg trigger built and installed for $k72" modules_in_updates "$k72"

# A series this version does not support, with its headers (7.4 will reach
# sid): what the image's and then the headers' postinst run, DKMS's hooks and
# ours, must succeed, print one line, and install nothing.
fake=7.4.0-kes-fake
mkdir -p "$root/lib/modules/$fake/build"
printf 'kernelversion:\n\t@echo 7.4.0\n' >"$root/lib/modules/$fake/build/Makefile"
check "the image's kernel hooks for $fake (series 7.4) succeed" \
	sh -c "chroot '$root' run-parts --exit-on-error --arg=$fake /etc/kernel/postinst.d >'$logs/hooks-7.4.log' 2>&1"
check "the headers' kernel hooks for $fake succeed" \
	sh -c "chroot '$root' run-parts --exit-on-error --arg=$fake /etc/kernel/header_postinst.d >>'$logs/hooks-7.4.log' 2>&1"
show_product_lines "$logs/hooks-7.4.log"
check "one line says 7.4 is not supported and names the supported series" \
	sh -c "[ \$(grep -c '^kvm-exitstats: not built for $fake.*Linux 7.4 .* is not supported .* which supports the series' '$logs/hooks-7.4.log') -eq 1 ]"
check "nothing is installed for $fake" nothing_installed_for "$fake"
rm -rf "$root/lib/modules/$fake"

# A series this version does not support, as trixie-backports still carries
# (images of 6.13-6.19 whose headers and source are gone; some of them are
# no longer installable either): the newest one apt can install.
unsupported=""
for p in $(kernel_pkgs "apt-cache pkgnames linux-image-6.1" | grep -E '^linux-image-6\.1[3-9]\.[0-9.]+\+deb13-amd64$' | sort -rV); do
	if in_root apt-get -s -q install -t trixie-backports "$p" >/dev/null 2>&1; then
		unsupported=$p
		break
	fi
done
if [ -n "$unsupported" ]; then
	check "apt install -t trixie-backports $unsupported (an unsupported series) succeeds" \
		apt_in_root "$logs/apt-unsupported.log" install -t trixie-backports "$unsupported"
	check "dpkg has no half-configured package" no_half_configured_package
else
	echo "# no installable kernel image of an unsupported series in trixie-backports today"
fi

# Remove: Debian's modules resolve again for every kernel; purge: nothing left.
check_remove_and_purge "$logs" "$k612" "$k73" "$k72"

check_command_package "$command_deb"

finish
