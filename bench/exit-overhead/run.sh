#!/bin/bash
# Benchmark (not a test): the cost of a CPUID round trip through the rebuilt
# KVM without the statistics, and with ours under exitstats=vm, host and off;
# and, for what users do today to get time per reason, through Debian's own
# modules with KVM's kvm_exit tracepoint on (kvm_stat -t, perf kvm stat live)
# and with kvm_exit and kvm_entry on (the events perf kvm stat record uses).
# QEMU runs the emulated host with -icount shift=0,sleep=off, so its TSC
# counts executed instructions and the figures are path lengths, free of
# noise from this machine.
#
# usage: bench/exit-overhead/run.sh [SERIES] [ROUND_TRIPS]   (SERIES: a target of tests/kernel/lib.sh)
set -euo pipefail
. "$(dirname "$0")/../../tests/kernel/lib.sh"

series=${1:-6.12}
count=${2:-20000}
kver=$(kernel_release_of_series "$series") || fail "no linux-headers for Linux $series"
image=$(kernel_image_dir "$kver")
ours=$(patched_modules_dir "$kver")
stock=$build_root/$kver-unpatched
if [ ! -f "$stock/kvm.ko" ]; then
	log "building the same modules without the statistics"
	build_for_kernel "$kver" "$stock" KVM_EXITSTATS_UNPATCHED=1 >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kes-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
l1_base_root "$root" "$image" "$kver"
mkdir -p "$root/lib/stock" "$root/lib/ours" "$root/lib/debian"
copy_stock_module "$image" "$kver" arch/x86/kvm/kvm "$root/lib/debian"
copy_stock_module "$image" "$kver" arch/x86/kvm/kvm-amd "$root/lib/debian"
cp "$stock/kvm.ko" "$stock/kvm-amd.ko" "$root/lib/stock/"
cp "$ours/kvm.ko" "$ours/kvm-amd.ko" "$root/lib/ours/"
build_l1_program "$top/bench/exit-overhead/roundtrip.c" "$root/bin/roundtrip"
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
insmod /lib/kes/irqbypass.ko
insmod /lib/kes/ccp.ko
insmod /lib/debian/kvm.ko && insmod /lib/debian/kvm-amd.ko
roundtrip debian-stock $count
# Tracing as perf and kvm_stat do it, without saving command names on the way.
t=/sys/kernel/tracing
mount -t tracefs nodev \$t
echo 0 >\$t/options/record-cmd
echo 1 >\$t/events/kvm/kvm_exit/enable
roundtrip debian-stock+kvm_exit-traced $count
echo 1 >\$t/events/kvm/kvm_entry/enable
roundtrip debian-stock+kvm_exit+kvm_entry $count
echo 0 >\$t/events/kvm/enable
echo "# trace events recorded (ring buffer, overwriting): \$(grep -c kvm_exit \$t/trace) kvm_exit in the buffer"
rmmod kvm_amd kvm
insmod /lib/stock/kvm.ko && insmod /lib/stock/kvm-amd.ko
roundtrip rebuilt-without-statistics $count
rmmod kvm_amd kvm
insmod /lib/ours/kvm.ko && insmod /lib/ours/kvm-amd.ko
for scope in vm host off; do
	echo \$scope >/sys/module/kvm/parameters/exitstats
	roundtrip exitstats=\$scope $count
done
echo BENCH-END
poweroff -f
INIT
pack_initrd "$root" "$work/initrd.gz"

log "booting $kver under QEMU TCG with -icount shift=0,sleep=off"
boot_qemu "$image/boot/vmlinuz-$kver" "$work/initrd.gz" "$work/serial.log" \
	-smp 1 -icount shift=0,sleep=off
tr -d '\r' <"$work/serial.log" | grep '^# \|^RESULT' || true
grep -q BENCH-END "$work/serial.log" || { tail -n 30 "$work/serial.log"; fail "the benchmark did not finish"; }

tr -d '\r' <"$work/serial.log" | awk -v kver="$kver" '
/^RESULT/ { cost[$2] = $3; order[n++] = $2 }
END {
	base = cost["rebuilt-without-statistics"]
	debian = cost["debian-stock"]
	printf "\nCPUID round trip on %s, cycles of the emulated host (path length):\n", kver
	for (i = 0; i < n; i++) {
		label = order[i]
		target = label == "exitstats=off" ? 1.005 : 1.02
		if (label == "rebuilt-without-statistics" || label == "debian-stock")
			printf "  %-34s %10.1f\n", label, cost[label]
		else if (label ~ /^debian-stock\+/)
			printf "  %-34s %10.1f  ratio %.4f to debian-stock\n", label, cost[label], cost[label] / debian
		else
			printf "  %-34s %10.1f  ratio %.4f (target <= %.3f: %s)\n", label, cost[label],
			       cost[label] / base, target, cost[label] / base <= target ? "met" : "MISSED"
	}
}'
