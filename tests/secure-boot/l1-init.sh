#!/bin/busybox sh
# shellcheck shell=dash
# init of the emulated Secure Boot host: reports the firmware's and the
# kernel's state, tries the modules DKMS built and signed, loads Debian's
# where the kernel refuses them (the package then leaves Debian's in place
# for modprobe: run.sh checks that part), and shows what the packages say.
# Each result is a "KES-..." line that tests/secure-boot/run.sh judges.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security
# Debian builds efivarfs as a module, which systemd loads and mounts at boot.
insmod /lib/kes/efivarfs.ko
mount -t efivarfs efivarfs /sys/firmware/efi/efivars
mkdir -p /tmp
refused=
helper=/usr/share/kvm-exitstats-dkms/kvm-exitstats-dkms-helper
secure_boot_var=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c

# dump NAME FILE: the firmware's variable (or configuration table) in hex,
# which run.sh replays to the package's installation in the Debian root.
dump() {
	[ -e "$2" ] && echo "KES-VAR $1 $(od -An -v -tx1 "$2" | tr -d ' \n')"
}
mok_variables() {
	dump "mok-variables/MokListRT" /sys/firmware/efi/mok-variables/MokListRT
	for var in /sys/firmware/efi/efivars/MokListRT-* /sys/firmware/efi/efivars/MokNew-*; do
		dump "efivars/${var##*/}" "$var"
	done
}

echo KES-BEGIN
echo "KES-SECUREBOOT $(od -An -tx1 "$secure_boot_var" 2>/dev/null | awk '{ print $NF }')"
dump "efivars/${secure_boot_var##*/}" "$secure_boot_var"
mok_variables | sed 's/^KES-VAR/KES-VAR-BEFORE/'
echo "KES-LOCKDOWN $(cat /sys/kernel/security/lockdown)"
dmesg | grep -i -m 3 -e 'secure boot' -e 'lockdown' | sed 's/^/# boot: /'
dmesg | grep -e "Loaded X.509 cert" | sed 's/^/# boot: /'
dmesg -c >/dev/null

insmod /lib/kes/irqbypass.ko && insmod /lib/kes/ccp.ko || echo "KES-FAIL Debian's irqbypass or ccp"
if insmod /lib/dkms/kvm.ko 2>/tmp/insmod.err; then
	if insmod /lib/dkms/kvm-amd.ko 2>>/tmp/insmod.err; then
		echo "KES-OURS loaded"
	else
		echo "KES-OURS kvm-amd refused: $(cat /tmp/insmod.err)"
	fi
else
	refused=yes
	echo "KES-OURS refused: $(cat /tmp/insmod.err)"
	dmesg | tail -n 3 | sed 's/^/# kernel: /'
	# What modprobe finds where the package installs nothing the kernel
	# refuses: Debian's own modules.
	insmod /lib/kes/kvm.ko && insmod /lib/kes/kvm-amd.ko && echo "KES-DEBIAN loaded"
fi
echo "KES-KVM-VERSION $(cat /sys/module/kvm/version 2>/dev/null || echo none)"
idle_vm && echo "KES-VM-RUNS yes"

# What the host package's helper and the command say on the host.
$helper secure-boot >/tmp/secure-boot.out 2>&1
echo "KES-SECURE-BOOT-EXIT $?"
sed 's/^/KES-SECURE-BOOT-SAYS /' /tmp/secure-boot.out
mount -t debugfs none /sys/kernel/debug
kvm-exitstats host --window 0 >/tmp/host.out 2>&1
echo "KES-HOST-EXIT $?"
sed 's/^/KES-HOST-SAYS /' /tmp/host.out

echo "KES-MOKUTIL-SB-STATE $(mokutil --sb-state 2>&1)"
echo "KES-MOKUTIL-TEST-KEY $(mokutil --test-key "$(cat /etc/kes-certificate)" 2>&1)"
if [ -n "$refused" ]; then
	# The user's first step: ask shim to enroll the key at the next boot.
	mokutil --generate-hash=kes-secure-boot-test >/tmp/mok.hash &&
		mokutil --import "$(cat /etc/kes-certificate)" --hash-file /tmp/mok.hash >/tmp/import.out 2>&1
	echo "KES-MOKUTIL-IMPORT-EXIT $?"
	sed 's/^/# mokutil: /' /tmp/import.out
	$helper secure-boot 2>&1 | sed 's/^/KES-PENDING-SAYS /'
	mok_variables | sed 's/^KES-VAR/KES-VAR-PENDING/'
fi

if [ -e /sys/module/kvm/parameters/exitstats ]; then
	# A guest reads the leaves; the host's file is readable under lockdown.
	# shellcheck disable=SC2046 # the reasons, one word each
	/bin/l1test svm 200 $(cat /etc/kes-reasons) >/tmp/l1test.out 2>&1
	echo "KES-L1TEST-EXIT $?"
	tail -n 1 /tmp/l1test.out | sed 's/^/# l1test: /'
	grep '^not ok' /tmp/l1test.out | sed 's/^/# l1test: /'
	for file in /sys/kernel/debug/kvm/*/exitstats; do
		echo "KES-HOST-FILE $(head -n 1 "$file" 2>&1)"
	done
fi
dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|general protection' && echo "KES-DMESG-BAD"
echo KES-END
sleep 2
poweroff -f
