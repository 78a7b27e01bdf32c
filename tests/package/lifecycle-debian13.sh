#!/bin/bash
# The life cycle of both packages (built on Debian 12) on a throwaway Debian
# 13 root, with its DKMS 3.2.2, as a user of Debian 13 meets it:
#   - install with the kernel of trixie's own series (6.12: image, headers,
#     source) and the headers of an older 6.12 whose source is gone: apt
#     succeeds, one line names the fix for the older kernel;
#   - trixie-backports' newest series (7.3; image, headers, its
#     linux-source in one apt command): the modules are built and installed
#     for it by themselves, although DKMS's hook of the image runs first;
#   - its oldest (7.2) without its source: apt succeeds, one line names
#     linux-source-7.2; installing it then builds for it (dpkg trigger);
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
# Debian 13's own series (6.12; scripts/series.sh), the oldest of its list.
own=$(release_series 13)
own=${own%% *}
# What Debian 13's dkms package is, for the record.
src_own=$(kernel_pkgs source_version "$own")
h_own=$(kernel_pkgs headers_for "$own" "$src_own")
k_own=${h_own#linux-headers-}
# The newest older headers of that series: their source version is no longer installable.
old_headers=$(kernel_pkgs headers_packages "$own" | awk -v v="$src_own" '$2 != v { print $1; exit }')
kold=${old_headers#linux-headers-}
oldv=$(kernel_pkgs headers_packages "$own" | awk -v p="$old_headers" '$1 == p { print $2; exit }')
log "installing $k_own (image, headers, source) and the headers of $kold in the Debian 13 root"
apt_in_root "$logs/apt-kernels.log" install "linux-image-$k_own" "$h_own" "linux-source-$own=$src_own" "$old_headers" ||
	{ tail -n 20 "$logs/apt-kernels.log"; fail "installing trixie's $own kernel failed"; }
echo "# Debian 13 root: $(in_root dpkg-query -W -f '${Package} ${Version}' dkms), gcc $(in_root dpkg-query -W -f '${Version}' gcc-14)"
echo "# kernels: $k_own (source $src_own), $kold (headers only)"

cp "$dkms_deb" "$root/tmp/"
start=$(date +%s)
check "apt install ./$(basename "$dkms_deb") succeeds on Debian 13" \
	apt_in_root "$logs/apt-install.log" install "/tmp/$(basename "$dkms_deb")"
echo "# install with one build: $(($(date +%s) - start)) s"
show_product_lines "$logs/apt-install.log"
check "dkms status: installed for $k_own" installed_for "$k_own"
check "$k_own: kvm, kvm-intel, kvm-amd $version resolve to updates/dkms" modules_in_updates "$k_own"
check "$kold, whose source is not installed, gets one line naming linux-source-$own of its version" \
	sh -c "[ \$(grep -c 'not built for $kold.*apt install linux-source-$own=$oldv' '$logs/apt-install.log') -eq 1 ]"
check "nothing is installed for $kold" nothing_installed_for "$kold"
check "dpkg has no half-configured package" no_half_configured_package

# The backports series (scripts/series.sh): the newest, with its source;
# the oldest, first without it; and the series after the newest, which this
# version does not support.
read -r -a backports <<<"$(release_series_from_backports "$(release_series 13)")"
[ "${#backports[@]}" -ge 2 ] || fail "the scenario needs two trixie-backports series in dkms.conf, not: ${backports[*]}"
new=${backports[-1]} old=${backports[0]}
next=$(awk -F. '{ print $1 "." $2 + 1 }' <<<"$new")

# trixie-backports' newest series, image + headers + source in one command.
src_new=$(kernel_pkgs source_version "$new")
h_new=$(kernel_pkgs headers_for "$new" "$src_new")
k_new=${h_new#linux-headers-}
start=$(date +%s)
check "apt install -t trixie-backports linux-image-$k_new $h_new linux-source-$new succeeds" \
	apt_in_root "$logs/apt-$new.log" install -t trixie-backports "linux-image-$k_new" "$h_new" "linux-source-$new=$src_new"
echo "# $new kernel install with the build: $(($(date +%s) - start)) s"
show_product_lines "$logs/apt-$new.log"
check "the modules were built and installed for $k_new with no command of the user's" modules_in_updates "$k_new"
check "the modules of $k_own were left alone" modules_in_updates "$k_own"
check "dpkg has no half-configured package" no_half_configured_package

# The oldest backports series without its source: apt works, the user is
# told what to install.
src_old=$(kernel_pkgs source_version "$old")
h_old=$(kernel_pkgs headers_for "$old" "$src_old")
k_old=${h_old#linux-headers-}
check "apt install -t trixie-backports linux-image-$k_old $h_old (no linux-source-$old) succeeds" \
	apt_in_root "$logs/apt-$old.log" install -t trixie-backports "linux-image-$k_old" "$h_old"
show_product_lines "$logs/apt-$old.log"
check "one line names linux-source-$old for $k_old" \
	sh -c "[ \$(grep -c '^kvm-exitstats: not built for $k_old.*install linux-source-$old' '$logs/apt-$old.log') -eq 1 ]"
check "nothing is installed for $k_old" nothing_installed_for "$k_old"
check "dpkg has no half-configured package" no_half_configured_package
check "installing linux-source-$old succeeds" \
	apt_in_root "$logs/apt-$old-source.log" install "linux-source-$old=$src_old"
check "the dpkg trigger built and installed for $k_old" modules_in_updates "$k_old"

# A series this version does not support, with its headers (the one after
# the newest, as sid will have): what the image's and then the headers'
# postinst run, DKMS's hooks and ours, must succeed, print one line, and
# install nothing.
fake=$next.0-kes-fake
mkdir -p "$root/lib/modules/$fake/build"
printf 'kernelversion:\n\t@echo %s.0\n' "$next" >"$root/lib/modules/$fake/build/Makefile"
check "the image's kernel hooks for $fake (series $next) succeed" \
	sh -c "chroot '$root' run-parts --exit-on-error --arg=$fake /etc/kernel/postinst.d >'$logs/hooks-$next.log' 2>&1"
check "the headers' kernel hooks for $fake succeed" \
	sh -c "chroot '$root' run-parts --exit-on-error --arg=$fake /etc/kernel/header_postinst.d >>'$logs/hooks-$next.log' 2>&1"
show_product_lines "$logs/hooks-$next.log"
check "one line says $next is not supported and names the supported series" \
	sh -c "[ \$(grep -c '^kvm-exitstats: not built for $fake.*Linux $next .* is not supported .* which supports the series' '$logs/hooks-$next.log') -eq 1 ]"
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
check_remove_and_purge "$logs" "$k_own" "$k_new" "$k_old"

check_command_package "$command_deb"

finish
