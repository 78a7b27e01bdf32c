#!/bin/bash
# The host package on a host that boots as Debian's do on UEFI hardware:
# OVMF with Secure Boot enforcing and Microsoft's keys, Debian's signed shim,
# grub and kernel, the kernel locked down. The modules are those DKMS built
# and signed when apt installed kvm-exitstats-dkms in a debootstrapped
# Debian RELEASE root, with the kernel of that release's default series.
# The emulated host (QEMU TCG, AMD SVM) boots three times:
#   not-enrolled  Secure Boot on, DKMS's key not enrolled: the kernel refuses
#                 our modules, Debian's work, and the package's helper and
#                 the command say in one line why and what to do (and after
#                 mokutil --import, that the key waits for the reboot);
#   enrolled      the key in shim's MOK list (written into the firmware's
#                 variables with python3-virt-firmware, standing in for
#                 mokutil --import and the confirmation at the console):
#                 our modules load under lockdown, a guest reads the
#                 leaves, the host's file is readable;
#   off           the same chain with Secure Boot off: nothing is said.
# Then the package is installed again in the root with the firmware's
# variables that the emulated host read (not enrolled, after mokutil
# --import, enrolled): built but not installed while the kernel would
# refuse the modules, installed by dpkg-reconfigure once the key is enrolled.
#
# usage: tests/secure-boot/run.sh 12|13   (after tests/package/build-packages.sh)
# KES_KEEP=1 keeps the work directory with the serial logs.
set -euo pipefail
release=${1:?usage: tests/secure-boot/run.sh 12|13}
pkgdir=$(cd "$(dirname "$0")/../.." && pwd)/build/package
root=$pkgdir/secure-boot-root$release
# apt cannot share its downloads with the life cycle of the same release.
apt_archives=secure-boot-debian$release
# shellcheck source=tests/package/lib.sh
. "$(dirname "$0")/../package/lib.sh"

series=$(target_series "$(release_default_target "$release")")
dkms_deb=$(ls "$pkgdir"/kvm-exitstats-dkms_*_all.deb 2>/dev/null) ||
	fail "no host package in $pkgdir: run tests/package/build-packages.sh"
command_deb=$(ls "$(packages_for_release "$release")"/kvm-exitstats_*_amd64.deb)
version=$(dpkg-deb -f "$dkms_deb" Version)
ovmf=/usr/share/OVMF
[ -f "$ovmf/OVMF_CODE_4M.secboot.fd" ] || fail "no $ovmf/OVMF_CODE_4M.secboot.fd: run scripts/install-build-deps.sh (ovmf)"
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-secure-boot.XXXXXX")
trap 'unmount_root; [ -n "${KES_KEEP:-}" ] && echo "# kept $work" >&2 || rm -rf "$work"' EXIT

fresh_release_root "$release" "$work"

# The kernel a Secure Boot host runs is the newest whose signed image is
# published (at a point release it follows the source and headers by days),
# with its headers and the linux-source of its version.
kernel=""
candidates=$(kernel_pkgs headers_packages "$series")
while read -r headers hversion; do
	[ -n "$(kernel_pkgs "apt-cache show --no-all-versions linux-image-${headers#linux-headers-} 2>/dev/null")" ] || continue
	kernel=${headers#linux-headers-}
	break
done <<<"$candidates"
[ -n "$kernel" ] || fail "no $series kernel of Debian $release has a signed image in the archive"
[ "$hversion" = "$(kernel_pkgs source_version "$series")" ] ||
	echo "# the signed image of the newest $series kernel is not published yet: the host runs $kernel"
log "Debian $release root: $kernel (signed image, headers, linux-source-$series=$hversion), mokutil and the packages"
apt_in_root "$work/apt-kernel.log" install openssl mokutil "linux-image-$kernel" "linux-headers-$kernel" "linux-source-$series=$hversion" ||
	{ tail -n 20 "$work/apt-kernel.log"; fail "installing the $kernel headers and source failed"; }
cp "$dkms_deb" "$command_deb" "$root/tmp/"
start=$(date +%s)
check "apt install ./$(basename "$dkms_deb") ./$(basename "$command_deb") succeeds" \
	apt_in_root "$work/apt-install.log" install "/tmp/$(basename "$dkms_deb")" "/tmp/$(basename "$command_deb")"
echo "# install with the DKMS build: $(($(date +%s) - start)) s"
show_product_lines "$work/apt-install.log"
modules_in_updates "$kernel" || fail "DKMS did not install the modules for $kernel"
signer=$(in_root modinfo -k "$kernel" -F signer kvm)
check "DKMS signed the modules (signer: ${signer:-none})" test -n "$signer"
# The boot chain, as a Secure Boot host installs it; the signed kernel and
# Debian's modules are the root's own.
apt_in_root "$work/apt-boot.log" install --download-only shim-signed grub-efi-amd64-signed ||
	{ tail -n 20 "$work/apt-boot.log"; fail "downloading shim and grub failed"; }
# The boot chain, as a Secure Boot host installs it, and the signed kernel
# with Debian's modules unpacked from its package: the root's own copies of
# those modules are gone while ours are installed (Debian 13's DKMS moves
# them to /var/lib/dkms/kvm-exitstats/original_module).
debs=$test_cache/apt-archives/$apt_archives
image=$work/image
boot=$work/boot
for p in "linux-image-${kernel}_" shim-signed_ shim-helpers-amd64-signed_ grub-efi-amd64-signed_; do
	deb=$(ls "$debs/$p"*.deb | sort -V | tail -n 1)
	case $p in
	linux-image-*) dpkg -x "$deb" "$image" ;;
	*) dpkg -x "$deb" "$boot" ;;
	esac
	echo "# $(basename "$deb")"
done
# Debian 13 puts modules under usr/lib, with lib leading there.
[ -e "$image/lib" ] || ln -s usr/lib "$image/lib"

# The certificate DKMS signed with, as its build log names it.
cert=$(sed -n 's/^Public certificate (MOK): //p' "$root/tmp/kvm-exitstats-dkms-$kernel.log" | tail -n 1)
check "DKMS's build log names its certificate (${cert:-none}), and the certificate exists" test -f "$root$cert"
# What the package's helper and the command read on the host: DKMS's
# configuration and certificate, as apt left them in the root.
initrd_root=$work/initrd
l1_base_root "$initrd_root" "$image" "$kernel"
copy_stock_module "$image" "$kernel" fs/efivarfs/efivarfs "$initrd_root/lib/kes"
mkdir -p "$initrd_root/lib/dkms" "$initrd_root/etc" "$initrd_root/var/lib" "$initrd_root/usr/share"
for m in kvm kvm-amd; do
	copy_stock_module "$image" "$kernel" "arch/x86/kvm/$m" "$initrd_root/lib/kes"
	decompress_module "$(ls "$root/lib/modules/$kernel/updates/dkms/$m.ko"*)" "$initrd_root/lib/dkms"
done
cp -a "$root/etc/dkms" "$initrd_root/etc/"
cp -a "$root/var/lib/dkms" "$initrd_root/var/lib/"
rm -rf "$initrd_root/var/lib/dkms/kvm-exitstats"
cp -a "$root/usr/share/kvm-exitstats-dkms" "$initrd_root/usr/share/"
# The packaged command and mokutil, with the libraries they link, from the root.
for program in /usr/bin/kvm-exitstats /usr/bin/mokutil; do
	copy_with_libraries "$program" "$initrd_root" "$program" "$root"
done
echo "$cert" >"$initrd_root/etc/kes-certificate"
build_l1_program "$top/tests/kernel/l1test.c" "$initrd_root/bin/l1test"
build_l1_program "$top/tests/kernel/idle_vm.c" "$initrd_root/bin/idle_vm"
uapi=$root/usr/src/linux-headers-${kernel%-amd64}-common/arch/x86/include/uapi/asm
python3 "$top/tests/kernel/series_reasons.py" "$uapi" svm >"$initrd_root/etc/kes-reasons" ||
	fail "cannot read the exit reasons of $kernel from $uapi"
cp "$top/tests/secure-boot/l1-init.sh" "$initrd_root/init"
pack_initrd "$initrd_root" "$work/initrd.gz"

# The EFI system partition, on the removable-media path (no boot entry):
# shim, grub beside it, grub's configuration, the signed kernel.
esp=$work/esp
mkdir -p "$esp/EFI/BOOT" "$esp/EFI/debian"
cp "$boot/usr/lib/shim/shimx64.efi.signed" "$esp/EFI/BOOT/BOOTX64.EFI"
cp "$boot/usr/lib/shim/mmx64.efi.signed" "$esp/EFI/BOOT/mmx64.efi"
cp "$boot/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$esp/EFI/BOOT/grubx64.efi"
cp "$image/boot/vmlinuz-$kernel" "$esp/vmlinuz"
cp "$work/initrd.gz" "$esp/initrd.gz"
cat >"$esp/EFI/BOOT/grub.cfg" <<'GRUB'
set timeout=0
search --no-floppy --file --set=root /vmlinuz
linux /vmlinuz console=ttyS0 panic=-1 quiet
initrd /initrd.gz
boot
GRUB
cp "$esp/EFI/BOOT/grub.cfg" "$esp/EFI/debian/grub.cfg"

# boot_state NAME VARS: boots the chain with a copy of the firmware's
# variables VARS; the serial log is $work/NAME.log.
boot_state() {
	local name=$1 vars=$2 start
	cp "$vars" "$work/$name.vars.fd"
	start=$(date +%s)
	timeout 600 qemu-system-x86_64 -machine q35,smm=on -accel tcg,thread=single -cpu max -smp 2 -m 1G \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.secboot.fd" \
		-drive "if=pflash,format=raw,unit=1,file=$work/$name.vars.fd" \
		-drive "if=virtio,format=raw,readonly=on,file=fat:$esp" \
		-nographic -no-reboot -nic none >"$work/$name.serial" 2>&1 </dev/null || true
	echo "# $name: the emulated host booted and ran in $(($(date +%s) - start)) s"
	tr -d '\r' <"$work/$name.serial" | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' >"$work/$name.log"
	sed -n '/KES-BEGIN/,/KES-END/p' "$work/$name.log" | grep -v '^KES-\(BEGIN\|END\)' | sed 's/^/# /'
	grep -q KES-END "$work/$name.log" || {
		tail -n 40 "$work/$name.log" | sed 's/^/# serial: /'
		return 1
	}
}

# said NAME PATTERN: the serial log of NAME has a line matching PATTERN.
said() {
	grep -q -E -- "$2" "$work/$1.log"
}

# one_line NAME PATTERN: exactly one line of NAME's log matches PATTERN.
one_line() {
	one_line_in "$work/$1.log" "$2"
}

one_line_in() {
	[ "$(grep -c -- "$2" "$1")" -eq 1 ]
}

fix_line="kvm-exitstats: Secure Boot is on and the kernel does not trust the key DKMS signed the modules with, so they are not installed and Debian's KVM modules stay in use: run 'mokutil --import $cert'.*reboot.*Enroll MOK.*then run 'dpkg-reconfigure kvm-exitstats-dkms'"
pending_line="kvm-exitstats: Secure Boot is on and the key DKMS signed the modules with ($cert) waits for enrolment, so they are not installed.*reboot.*Enroll MOK.*then run 'dpkg-reconfigure kvm-exitstats-dkms'"

# The firmware's variables of each state: Microsoft's keys and Secure Boot
# on, as shipped; the same with DKMS's certificate in MokList (shim's
# owner GUID), written by Debian 13's virt-fw-vars; no keys, Secure Boot off.
openssl x509 -inform DER -in "$root$cert" -out "$work/mok.pem" 2>/dev/null ||
	openssl x509 -in "$root$cert" -out "$work/mok.pem" || fail "cannot read DKMS's certificate $cert"
inside=$(mktemp -d "$(release_prefix 13)/tmp/kes-vars.XXXXXX")
cp "$ovmf/OVMF_VARS_4M.ms.fd" "$work/mok.pem" "$inside/"
in_release 13 virt-fw-vars -i "/tmp/${inside##*/}/OVMF_VARS_4M.ms.fd" \
	--add-mok 605dab50-e046-4300-abb6-3dd810dd8b23 "/tmp/${inside##*/}/mok.pem" \
	-o "/tmp/${inside##*/}/enrolled.fd" >"$work/virt-fw-vars.log" 2>&1 ||
	{ rm -rf "$inside"; cat "$work/virt-fw-vars.log"; fail "virt-fw-vars --add-mok failed"; }
mv "$inside/enrolled.fd" "$work/enrolled.vars"
rm -rf "$inside"

host_says_only_fix_line() {
	said not-enrolled '^KES-HOST-EXIT 9$' && one_line not-enrolled '^KES-HOST-SAYS' &&
		one_line not-enrolled "^KES-HOST-SAYS $fix_line"
}

log "Secure Boot on, DKMS's key not enrolled"
check "not-enrolled: the emulated host boots through shim, grub and $kernel and runs the test" \
	boot_state not-enrolled "$ovmf/OVMF_VARS_4M.ms.fd"
check "not-enrolled: Secure Boot is on" said not-enrolled '^KES-SECUREBOOT 01$'
check "not-enrolled: the kernel is locked down (integrity)" said not-enrolled '^KES-LOCKDOWN none \[integrity\] confidentiality$'
check "not-enrolled: the kernel refuses our kvm" said not-enrolled '^KES-OURS refused: '
check "not-enrolled: Debian's kvm and kvm-amd load, and a VM runs on them" \
	sh -c "grep -q '^KES-DEBIAN loaded' '$work/not-enrolled.log' && grep -q '^KES-VM-RUNS yes' '$work/not-enrolled.log'"
check "not-enrolled: the package's helper says in one line why and what to run" \
	one_line not-enrolled "^KES-SECURE-BOOT-SAYS $fix_line"
check "not-enrolled: kvm-exitstats host exits 9 and says the same line, nothing else" host_says_only_fix_line
check "not-enrolled: Debian's mokutil agrees: the key is not enrolled" \
	said not-enrolled "^KES-MOKUTIL-TEST-KEY $cert is not enrolled$"
check "not-enrolled: mokutil --import of that certificate succeeds" said not-enrolled '^KES-MOKUTIL-IMPORT-EXIT 0$'
check "not-enrolled: then the helper says in one line that the key waits for the confirmation after a reboot" \
	one_line not-enrolled "^KES-PENDING-SAYS $pending_line"

log "Secure Boot on, DKMS's key enrolled in shim's MOK list"
check "enrolled: the emulated host boots and runs the test" boot_state enrolled "$work/enrolled.vars"
check "enrolled: Secure Boot is on" said enrolled '^KES-SECUREBOOT 01$'
check "enrolled: the kernel is locked down (integrity)" said enrolled '^KES-LOCKDOWN none \[integrity\] confidentiality$'
check "enrolled: Debian's mokutil agrees: the key is enrolled" \
	said enrolled "^KES-MOKUTIL-TEST-KEY $cert is already enrolled$"
check "enrolled: our kvm and kvm-amd $version load" \
	sh -c "grep -q '^KES-OURS loaded' '$work/enrolled.log' && grep -q '^KES-KVM-VERSION $version' '$work/enrolled.log'"
check "enrolled: a guest reads the leaves (l1test passes)" said enrolled '^KES-L1TEST-EXIT 0'
check "enrolled: the host's files of both VMs are readable under lockdown" \
	sh -c "[ \$(grep -c '^KES-HOST-FILE kvm-exitstats-vm 1$' '$work/enrolled.log') -eq 2 ]"
check "enrolled: kvm-exitstats host lists both VMs" \
	sh -c "grep -q '^KES-HOST-EXIT 0' '$work/enrolled.log' && grep -q '^KES-HOST-SAYS (2 VMs;' '$work/enrolled.log'"
check "enrolled: the helper says nothing about Secure Boot" \
	sh -c "grep -q '^KES-SECURE-BOOT-EXIT 0' '$work/enrolled.log' && ! grep -q -e '^KES-SECURE-BOOT-SAYS' -e '^KES-[A-Z-]*-SAYS.*Secure Boot' '$work/enrolled.log'"

log "the same chain, Secure Boot off"
check "off: the emulated host boots and runs the test" boot_state off "$ovmf/OVMF_VARS_4M.fd"
check "off: Secure Boot is off and the kernel is not locked down" \
	sh -c "grep -q '^KES-SECUREBOOT 00' '$work/off.log' && grep -q '^KES-LOCKDOWN \[none\]' '$work/off.log'"
check "off: our kvm and kvm-amd $version load" \
	sh -c "grep -q '^KES-OURS loaded' '$work/off.log' && grep -q '^KES-KVM-VERSION $version' '$work/off.log'"
check "off: nothing is said about Secure Boot" \
	sh -c "grep -q '^KES-SECURE-BOOT-EXIT 0' '$work/off.log' && ! grep -q -e '^KES-SECURE-BOOT-SAYS' -e '^KES-[A-Z-]*-SAYS.*Secure Boot' '$work/off.log'"
for state in not-enrolled enrolled off; do
	check "$state: the kernel logged no warning" \
		sh -c "grep -q KES-END '$work/$state.log' && ! grep -q KES-DMESG-BAD '$work/$state.log'"
done

# The installation on such a host. Its firmware's variables, as the
# emulated host read them (SecureBoot, MokListRT, MokNew), are replayed to
# the Debian root in its /sys, where the package's helper reads them; the
# DKMS key stays the one above. replay_firmware BOOT KIND: the SecureBoot
# variable of BOOT, and its MOK variables of KIND (BEFORE, or PENDING:
# after mokutil --import).
replay_firmware() {
	rm -rf "$root/sys/firmware"
	mkdir -p "$root/sys/firmware/efi/efivars" "$root/sys/firmware/efi/mok-variables"
	grep -e '^KES-VAR efivars/SecureBoot-' -e "^KES-VAR-$2 " "$work/$1.log" |
		python3 -c '
import sys
for line in sys.stdin:
    _, name, data = line.split()
    with open(sys.argv[1] + "/sys/firmware/efi/" + name, "wb") as f:
        f.write(bytes.fromhex(data))' "$root"
}
built_not_installed() {
	in_root dkms status -m kvm-exitstats -k "$kernel" | grep -q ': built' &&
		nothing_installed_for "$kernel" && stock_resolves "$kernel"
}
hooks_keep_debian_modules() {
	one_line_in "$work/hooks.log" "^$fix_line" && built_not_installed
}
# The root's modules of the first installation (Secure Boot off) go first.
apt_in_root "$work/apt-purge.log" purge kvm-exitstats-dkms || fail "apt purge kvm-exitstats-dkms failed"
replay_firmware not-enrolled BEFORE
check "install with Secure Boot on and the key not enrolled: apt install succeeds" \
	apt_in_root "$work/apt-sb-install.log" install "/tmp/$(basename "$dkms_deb")"
show_product_lines "$work/apt-sb-install.log"
check "install: one line says why and what to run" one_line_in "$work/apt-sb-install.log" "^$fix_line"
check "install: built for $kernel, not installed; modprobe finds Debian's modules" built_not_installed
check "install: DKMS's automatic build is off (it would install what the kernel refuses)" \
	grep -q '^AUTOINSTALL=""' "$root/etc/dkms/kvm-exitstats.conf"
# A kernel upgrade meanwhile: the headers' kernel hooks (ours, then DKMS's)
# must not install what the kernel would refuse.
check "a kernel's headers installed meanwhile: its kernel hooks succeed" \
	sh -c "chroot '$root' run-parts --exit-on-error --arg='$kernel' /etc/kernel/header_postinst.d >'$work/hooks.log' 2>&1"
show_product_lines "$work/hooks.log"
check "the hooks say the one line and install nothing" hooks_keep_debian_modules
# (dpkg-reconfigure runs the prerm, which removes what DKMS built, so each
# one builds again: only the last one here.)
replay_firmware not-enrolled PENDING
in_root /usr/share/kvm-exitstats-dkms/kvm-exitstats-dkms-helper secure-boot >"$work/helper-pending.log" 2>&1 || true
show_product_lines "$work/helper-pending.log"
check "after mokutil --import: the helper says in one line that the key waits for the reboot" \
	one_line_in "$work/helper-pending.log" "^$pending_line"
replay_firmware enrolled BEFORE
check "key enrolled: dpkg-reconfigure kvm-exitstats-dkms succeeds" \
	sh -c "chroot '$root' env DEBIAN_FRONTEND=noninteractive dpkg-reconfigure kvm-exitstats-dkms >'$work/reconfigure-enrolled.log' 2>&1"
show_product_lines "$work/reconfigure-enrolled.log"
check "key enrolled: installed for $kernel, nothing said about Secure Boot" \
	sh -c "grep -q '^kvm-exitstats: installed for $kernel' '$work/reconfigure-enrolled.log' &&
	       ! grep -q 'Secure Boot' '$work/reconfigure-enrolled.log'"
check "key enrolled: $kernel's modules resolve to updates/dkms" modules_in_updates "$kernel"
check "key enrolled: DKMS builds automatically again" test ! -e "$root/etc/dkms/kvm-exitstats.conf"
rm -rf "$root/sys/firmware"
finish
