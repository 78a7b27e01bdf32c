#!/bin/bash
# Boots a Debian kernel of SERIES in an emulator with the rebuilt KVM modules
# loaded and runs tests/kernel/l1test.c in it against real-mode L2 guests.
#
# usage: run-emulated.sh SERIES amd|intel [LOOP_COUNT]
#   amd:   QEMU TCG (-cpu max, SVM) runs kvm.ko + kvm-amd.ko
#   intel: Bochs (VMX) runs kvm.ko + kvm-intel.ko
# Exits non-zero when a check fails or the kernel logs WARNING/BUG/Oops.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: run-emulated.sh SERIES amd|intel [LOOP_COUNT]}
vendor=${2:?usage: run-emulated.sh SERIES amd|intel [LOOP_COUNT]}
count=${3:-2000}
case $vendor in
amd) arch=svm ;;
intel) arch=vmx ;;
*) fail "vendor must be amd or intel" ;;
esac

kver=$(kernel_release_of_series "$series") ||
	fail "no linux-headers for Linux $series installed"
image=$(kernel_image_dir "$kver")
modules=$(patched_modules_dir "$kver")
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT

build_l1_program "$top/tests/kernel/l1test.c" "$work/l1test"
# What this series' own headers define is what the modules must define.
uapi=$(target_root "$series")/usr/src/linux-headers-${kver%-amd64}-common/arch/x86/include/uapi/asm
reasons=$(python3 "$top/tests/kernel/series_reasons.py" "$uapi" "$arch") ||
	fail "cannot read the exit reasons of $kver from $uapi"

root=$work/root
l1_base_root "$root" "$image" "$kver"
cp "$work/l1test" "$root/bin/"
cp "$modules/kvm.ko" "$root/lib/kes/"
cp "$modules/kvm-$vendor.ko" "$root/lib/kes/"

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
echo KES-BEGIN
# Warnings of the emulated machine's own boot are not ours: report, then clear.
dmesg -c | grep -E 'WARNING|BUG|Oops' | sed 's/^/# before KVM was loaded: /'
for m in $(kvm_load_order "$vendor"); do
	insmod /lib/kes/\$m.ko || echo "not ok - insmod \$m"
done
echo "# kvm version \$(cat /sys/module/kvm/version), exitstats=\$(cat /sys/module/kvm/parameters/exitstats)"
/bin/l1test $arch $count $reasons
rc=\$?
echo "# reloading kvm with exitstats=off"
rmmod kvm_$vendor kvm
insmod /lib/kes/kvm.ko exitstats=off && insmod /lib/kes/kvm-$vendor.ko
/bin/l1test $arch loaded-off || rc=1
echo "KES-RC \$rc"
dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|general protection' && echo "KES-DMESG-BAD"
echo KES-END
sleep 3
poweroff -f
EOF
pack_initrd "$root" "$work/initrd.gz"

serial=$work/serial.log
start=$(date +%s)
if [ "$vendor" = amd ]; then
	log "QEMU TCG (AMD SVM) boots $kver with the rebuilt kvm + kvm-amd"
	# The test switches the statistics' static key at run time and creates
	# and destroys many VMs (KVM's own static key). Under multi-threaded TCG
	# a CPU can meet kernel text the other is live-patching (once: a soft
	# lockup after all checks passed); one thread runs both CPUs instead.
	boot_accel=tcg,thread=single boot_qemu "$image/boot/vmlinuz-$kver" "$work/initrd.gz" "$serial" -smp 2
else
	log "Bochs (Intel VMX) boots $kver with the rebuilt kvm + kvm-intel"
	boot_bochs "$image/boot/vmlinuz-$kver" "$work/initrd.gz" "$serial" "$work"
fi
elapsed=$(( $(date +%s) - start ))

sed -n '/KES-BEGIN/,/KES-END/p' "$serial" | tr -d '\r' | grep -v '^KES-' || true
if ! grep -q KES-END "$serial"; then
	tail -n 40 "$serial" >&2
	[ "$vendor" = intel ] && tail -n 20 "$work/bochs/bochs.out" >&2
	fail "$series/$vendor: the emulated host did not finish the test ($elapsed s)"
fi
grep -q KES-DMESG-BAD "$serial" && fail "$series/$vendor: the emulated host logged a kernel warning"
grep -q 'KES-RC 0' "$serial" || fail "$series/$vendor: l1test reported failures"
log "PASS $series/$vendor ($kver) in $elapsed s"
