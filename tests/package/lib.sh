# shellcheck shell=bash
# What the package life-cycle tests share: a throwaway Debian root in
# $root, apt in it, and what DKMS installed for a kernel there.
# The caller sets root, pkgdir and version.
. "$(dirname "${BASH_SOURCE[0]}")/../kernel/lib.sh"

in_root() {
	chroot "$root" env -i DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

unmount_root() {
	local m
	for m in var/cache/apt/archives dev/pts dev proc; do
		mountpoint -q "$root/$m" && umount -l "$root/$m"
	done
	return 0
}

# Also, for these throwaway roots: dpkg does not sync each file it unpacks,
# and apt's downloads are kept across runs in the test cache, one directory
# per Debian release (apt verifies each against the index before use; files
# unused for 30 days are dropped), or the one the caller names in
# $apt_archives (apt cannot share its download directory with a second apt
# running at the same time).
mount_root() {
	local debs
	debs=$test_cache/apt-archives/${apt_archives:-debian$(cut -d. -f1 "$root/etc/debian_version")}
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/kes-unsafe-io"
	mkdir -p "$debs/partial"
	find "$debs" -maxdepth 1 -name '*.deb' -atime +30 -delete
	mount --bind "$debs" "$root/var/cache/apt/archives"
}

# A fresh Debian 12 root at $root from the cached base tarball, with the
# apt sources of a fresh install, no daemon started, /proc and /dev mounted.
make_bookworm_root() {
	unmount_root
	release_unpack_root 12 "$root" || fail "cannot make the Debian 12 root"
	mount_root
}

# The packages built for Debian RELEASE: this machine's build, except for a
# Debian 12 root on a Debian 13 machine (a command built there needs Debian
# 13's libraries): the build of tests/package/build-packages-in-root.sh 12.
packages_for_release() {
	local dir=$top/build/package
	if [ "$1" = 12 ] && [ "$(machine_release)" = 13 ]; then
		dir=$top/build/package/debian12-build
	fi
	if ! ls "$dir"/kvm-exitstats_*_amd64.deb >/dev/null 2>&1; then
		case $dir in
		*/debian12-build) fail "no packages in $dir: run tests/package/build-packages-in-root.sh 12" ;;
		*) fail "no packages in $dir: run tests/package/build-packages.sh" ;;
		esac
	fi
	echo "$dir"
}

# The kernels' own initramfs is not what the package tests test, and takes
# half a minute or more per kernel image installed: with initramfs-tools
# installed, neither its kernel hook nor its trigger makes one.
no_initramfs_in_root() {
	sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$root/etc/initramfs-tools/update-initramfs.conf"
	chmod -x "$root/etc/kernel/postinst.d/initramfs-tools"
}

# fresh_release_root RELEASE LOGDIR: $root as a fresh root of Debian
# RELEASE (its apt lists up to date, initramfs-tools installed but making
# no initramfs), /proc and /dev mounted; apt's logs go to LOGDIR.
fresh_release_root() {
	unmount_root
	release_unpack_root "$1" "$root" || fail "cannot make the Debian $1 root"
	mount_root
	apt_in_root "$2/apt-update.log" update || fail "apt-get update in the Debian $1 root failed"
	apt_in_root "$2/apt-initramfs.log" install initramfs-tools ||
		{ tail -n 20 "$2/apt-initramfs.log"; fail "installing initramfs-tools in the Debian $1 root failed"; }
	no_initramfs_in_root
}

# apt-get in the root; its output goes to LOG.
apt_in_root() {
	local log=$1
	shift
	in_root apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "$@" >"$log" 2>&1
}

installed_for() {
	in_root dkms status -m kvm-exitstats -v "$version" -k "$1" 2>/dev/null | grep -q ': installed'
}

# resolves_under KVER MODULE DIR: modprobe's choice for MODULE is in DIR of
# /lib/modules/KVER (Debian 13 has /lib as a link to /usr/lib: either is named).
resolves_under() {
	case $(in_root modinfo -k "$1" -F filename "$2") in
	"/lib/modules/$1/$3/"* | "/usr/lib/modules/$1/$3/"*) return 0 ;;
	*) return 1 ;;
	esac
}

modules_in_updates() {
	local kver=$1 m
	for m in kvm kvm-intel kvm-amd; do
		ls "$root/lib/modules/$kver/updates/dkms/$m.ko"* >/dev/null 2>&1 || return 1
		[ "$(in_root modinfo -k "$kver" -F version "$m")" = "$version" ] || return 1
		resolves_under "$kver" "$m" updates/dkms || return 1
	done
}

stock_resolves() {
	local kver=$1 m
	for m in kvm kvm-intel kvm-amd; do
		resolves_under "$kver" "$m" kernel || return 1
	done
}

nothing_installed_for() {
	! ls "$root/lib/modules/$1/updates/dkms/kvm"* >/dev/null 2>&1
}

# Runs a function of scripts/kernel-packages.sh in the root.
kernel_pkgs() {
	in_root bash -c "$(cat "$top/scripts/kernel-packages.sh"); $*"
}

no_half_configured_package() {
	! chroot "$root" dpkg --audit | grep -q .
}

# The kvm-exitstats lines apt printed, as comments.
show_product_lines() {
	grep '^kvm-exitstats: ' "$1" | sed 's/^/# /'
}

# Removing the host package brings Debian's modules back for each KVER given;
# purging it leaves nothing of it. apt's logs go to LOGDIR.
check_remove_and_purge() {
	local logdir=$1 kver left
	shift
	check "apt remove kvm-exitstats-dkms succeeds" \
		apt_in_root "$logdir/apt-remove.log" remove kvm-exitstats-dkms
	for kver in "$@"; do
		check "after remove, $kver resolves Debian's kvm, kvm-intel, kvm-amd" stock_resolves "$kver"
	done
	check "after remove, no DKMS module is left" \
		sh -c "! ls '$root'/lib/modules/*/updates/dkms/kvm* 2>/dev/null"
	check "apt purge kvm-exitstats-dkms succeeds" \
		apt_in_root "$logdir/apt-purge.log" purge kvm-exitstats-dkms
	for left in /usr/src/kvm-exitstats-"$version" /var/lib/dkms/kvm-exitstats /var/cache/kvm-exitstats \
		    /etc/kernel/header_postinst.d/kvm-exitstats /etc/kernel/header_postinst.d/00kvm-exitstats \
		    /etc/kernel/postrm.d/kvm-exitstats \
		    /etc/dkms/kvm-exitstats.conf; do
		check "after purge, $left is gone" test ! -e "$root$left"
	done
	check "after purge, no module is left in /lib/modules/*/updates" \
		sh -c "! find '$root'/lib/modules/*/updates -name 'kvm*' 2>/dev/null | grep -q ."
}

# A kvm-exitstats-guest 0.1.0 with the first release's files (the command,
# its man page and completion), to upgrade from.
make_old_guest_package() {
	local dir=$1 tree=$1/old-guest
	rm -rf "$tree"
	mkdir -p "$tree/DEBIAN" "$tree/usr/bin" "$tree/usr/share/man/man1" "$tree/usr/share/bash-completion/completions"
	printf '#!/bin/sh\necho 0.1.0\n' >"$tree/usr/bin/kvm-exitstats"
	chmod 755 "$tree/usr/bin/kvm-exitstats"
	echo old | gzip -9n >"$tree/usr/share/man/man1/kvm-exitstats.1.gz"
	echo old >"$tree/usr/share/bash-completion/completions/kvm-exitstats"
	printf '%s\n' 'Package: kvm-exitstats-guest' 'Version: 0.1.0' 'Architecture: amd64' \
		'Maintainer: kvm-exitstats developers <kvm-exitstats@example.org>' \
		'Description: show the VM exits of a KVM guest (first release)' >"$tree/DEBIAN/control"
	dpkg-deb --root-owner-group -b "$tree" "$dir/kvm-exitstats-guest_0.1.0_amd64.deb" >/dev/null
	echo "$dir/kvm-exitstats-guest_0.1.0_amd64.deb"
}

# The command's package in the root, over the first release's
# kvm-exitstats-guest: outside a patched VM the command says so.
check_command_package() {
	local command_deb=$1 old_deb out status dir=${logs:-$pkgdir}
	old_deb=$(make_old_guest_package "$dir")
	cp "$command_deb" "$old_deb" "$root/tmp/"
	check "apt install ./$(basename "$old_deb") (the first release's guest package) succeeds" \
		apt_in_root "$dir/apt-old-guest.log" install "/tmp/$(basename "$old_deb")"
	check "apt install ./$(basename "$command_deb") succeeds over it" \
		apt_in_root "$dir/apt-guest.log" install "/tmp/$(basename "$command_deb")"
	check "kvm-exitstats-guest is gone and kvm-exitstats owns the command" \
		sh -c "! chroot '$root' dpkg -s kvm-exitstats-guest >/dev/null 2>&1 &&
		       [ \"\$(chroot '$root' dpkg -S /usr/bin/kvm-exitstats)\" = 'kvm-exitstats: /usr/bin/kvm-exitstats' ] &&
		       [ -z \"\$(chroot '$root' dpkg --audit)\" ]"
	status=0
	out=$(in_root kvm-exitstats 2>&1) || status=$?
	echo "# kvm-exitstats in the root: exit $status: $out" | head -n 2
	if grep -q '^flags.* hypervisor' /proc/cpuinfo; then
		check "kvm-exitstats exits 4 with the no-interface message" \
			sh -c "[ $status -eq 4 ] && echo \"\$1\" | grep -q 'install the kvm-exitstats-dkms package'" _ "$out"
	else
		check "kvm-exitstats exits 3: not under a hypervisor" \
			sh -c "[ $status -eq 3 ] && echo \"\$1\" | grep -q 'not running under a hypervisor'" _ "$out"
	fi
	check "kvm-exitstats --version prints $version" sh -c "[ \"\$(chroot '$root' kvm-exitstats --version)\" = '$version' ]"
	check "kvm-exitstats --help and host --help run" \
		sh -c "chroot '$root' kvm-exitstats --help >/dev/null && chroot '$root' kvm-exitstats host --help | grep -q record"
	check "the man page (with the host commands) and the bash completion are installed" \
		sh -c "zgrep -q 'host record' '$root/usr/share/man/man1/kvm-exitstats.1.gz' &&
		       grep -q record '$root/usr/share/bash-completion/completions/kvm-exitstats'"
	check "the textfile timer is installed and not enabled" \
		sh -c "ls '$root'/lib/systemd/system/kvm-exitstats-textfile.timer '$root'/usr/lib/systemd/system/kvm-exitstats-textfile.timer 2>/dev/null | grep -q . &&
		       ! ls '$root'/etc/systemd/system/*/kvm-exitstats-textfile.* 2>/dev/null | grep -q ."
	check "apt purge kvm-exitstats succeeds and leaves no file" \
		sh -c "chroot '$root' env DEBIAN_FRONTEND=noninteractive apt-get -y -q purge kvm-exitstats >/dev/null 2>&1 &&
		       [ ! -e '$root/usr/bin/kvm-exitstats' ] &&
		       ! ls '$root'/lib/systemd/system/kvm-exitstats-textfile.* '$root'/usr/lib/systemd/system/kvm-exitstats-textfile.* 2>/dev/null | grep -q ."
}
