#!/bin/bash
# Our modules under the kernel's own bug detectors: on a debug kernel that
# tests/debug-kernel/build.sh builds from Debian's linux-source (kasan:
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_LIST; kcsan: KCSAN), the
# emulated host (QEMU TCG with kvm-amd, or Bochs with kvm-intel) boots
# once per module set:
#   stock  the debug kernel's own (Debian's unmodified) KVM modules: the race
#          stress, for a baseline of reports that are not ours;
#   ours   our modules built against it: the contract (l1test) and the race
#          stress (tests/kernel/race_stress.c); a BUG:, WARNING:, KASAN,
#          lockdep or KCSAN report that the baseline does not have fails,
#          printed whole;
#   fault  our modules with a fault injected (tests/debug-kernel/faults):
#          the detector must report it, so that this test can fail.
#
# usage: tests/debug-kernel/run.sh [--kind kasan|kcsan] [--vendor amd|intel]
#                                  [--seconds N] [TARGET]
#   (default: kasan, amd, 60 s of stress, the newest series of
#   scripts/series.sh)
set -euo pipefail
. "$(dirname "$0")/../kernel/lib.sh"

usage="usage: tests/debug-kernel/run.sh [--kind kasan|kcsan] [--vendor amd|intel] [--seconds N] [TARGET]"
kind=kasan vendor=amd seconds=60 target='' stress_options=''
# A fault shows at a VM's first exits or end: a short stress finds it.
fault_seconds=10
while [ $# -gt 0 ]; do
	case $1 in
	--kind) kind=${2:?$usage}; shift 2 ;;
	--vendor) vendor=${2:?$usage}; shift 2 ;;
	--seconds) seconds=${2:?$usage}; shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	-*) echo "$usage" >&2; exit 2 ;;
	*) target=$1; shift ;;
	esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 2; }
case $vendor in
amd) arch=svm ;;
intel) arch=vmx ;;
*) echo "$usage" >&2; exit 2 ;;
esac
target=${target:-$(newest_target)}
# What each fault must make its detector say.
case $kind in
kasan)
	faults="use-after-free lock-order-in-vcpu-path"
	declare -A expected=(
		# The rows are pages: once reused, KASAN names what took them.
		[use-after-free]='BUG: KASAN: [a-z-]+ in kvm_exitstats_retire_rows'
		[lock-order-in-vcpu-path]='WARNING: possible circular locking dependency detected'
	)
	;;
kcsan)
	# KCSAN sets a watchpoint on one access in 4000 by default: one in 100
	# makes a race of a counter with its readers likely within seconds.
	stress_options="kcsan.skip_watch=100"
	faults="racy-write"
	# The exit path is inlined into KVM's run loop: both sides are there.
	declare -A expected=([racy-write]='BUG: KCSAN: data-race in kvm_arch_vcpu_ioctl_run \[kvm\] / kvm_arch_vcpu_ioctl_run \[kvm\]')
	;;
*) echo "$usage" >&2; exit 2 ;;
esac

release=$(target_release "$target")
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-debug-run.XXXXXX")
trap '[ -n "${KES_KEEP:-}" ] && echo "# kept $work" >&2 || rm -rf "$work"' EXIT
start=$(date +%s)
use_debug_kernel "$kind" "$target" "$vendor" "$work"
echo "# our modules built against $kver: $(($(date +%s) - start)) s"
dir=${image%/install}
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,etc,tmp,lib/stock,lib/ours}
cp /bin/busybox "$root/bin/"
copy_stock_module "$image" "$kver" virt/lib/irqbypass "$root/lib"
for m in kvm "kvm-$vendor"; do
	copy_stock_module "$image" "$kver" "arch/x86/kvm/$m" "$root/lib/stock"
	decompress_module "$modules/$m.ko" "$root/lib/ours"
done
for fault in $faults; do
	mkdir -p "$work/$fault"
	cp -a "$top/src-kvm" "$work/$fault/"
	patch -s -d "$work/$fault" -p1 <"$top/tests/debug-kernel/faults/$fault.patch" ||
		fail "tests/debug-kernel/faults/$fault.patch does not apply to src-kvm"
	start=$(date +%s)
	src_kvm=$work/$fault/src-kvm build_in_release "$release" "$kver" "$root/lib/fault-$fault" \
		>"$work/build-$fault.log" 2>&1 ||
		{ tail -n 30 "$work/build-$fault.log"; fail "building the modules with fault $fault failed"; }
	echo "# modules with fault $fault built: $(($(date +%s) - start)) s"
done
build_l1_program "$top/tests/kernel/l1test.c" "$root/bin/l1test"
build_l1_program "$top/tests/kernel/race_stress.c" "$root/bin/race_stress"
build_l1_program "$top/tests/kernel/drain_console.c" "$root/bin/drain_console"
python3 "$top/tests/kernel/series_reasons.py" "$dir/tree/arch/x86/include/uapi/asm" "$arch" >"$root/etc/kes-reasons" ||
	fail "cannot read the exit reasons of $kver"
echo "$vendor" >"$root/etc/kes-vendor"
echo "$arch" >"$root/etc/kes-arch"
cp "$top/tests/debug-kernel/l1-init.sh" "$root/init"
pack_initrd "$root" "$work/initrd.gz"

# boot SET [SECONDS]: the emulated host runs SET; its console in
# $work/SET.log and the kernel's log in $work/SET.dmesg. Every KASAN report
# is printed, except with a fault (one is all it takes, and each vCPU's end
# would print one).
boot() {
	local set=$1 start stress=${2:-$seconds} options
	start=$(date +%s)
	options="$detector_options $stress_options"
	[[ $set != fault-* ]] || options=${options/kasan_multi_shot/}
	export boot_limit=$((3 * stress + 900)) boot_append="kes.set=$set kes.seconds=$stress $options"
	if [ "$vendor" = amd ]; then
		# One TCG thread for both CPUs: the stress switches static keys,
		# and multi-threaded TCG can run text the other CPU is patching
		# (tests/kernel/run-emulated.sh).
		boot_accel=tcg,thread=single boot_qemu "$dir/bzImage" "$work/initrd.gz" "$work/$set.serial" -smp 2 -m 2G
	else
		mkdir -p "$work/$set.bochs"
		bochs_megs=2048 boot_bochs "$dir/bzImage" "$work/initrd.gz" "$work/$set.serial" "$work/$set.bochs"
	fi
	tr -d '\r' <"$work/$set.serial" >"$work/$set.log"
	sed -n '/^KES-DMESG-BEGIN/,/^KES-DMESG-END/p' "$work/$set.log" >"$work/$set.dmesg"
	echo "# $set: booted and ran in $(($(date +%s) - start)) s"
	grep -e '^# stress: ' -e '^KES-FAIL' "$work/$set.log" || true
	grep -q '^KES-END' "$work/$set.log" || {
		tail -n 60 "$work/$set.log" | sed 's/^/# console: /'
		return 1
	}
}

boot stock || fail "the emulated host with Debian's modules did not finish"
check "stock: the race stress ran on Debian's modules" grep -q '^KES-STRESS-RC 0 ' "$work/stock.log"
python3 "$top/tests/debug-kernel/reports.py" --baseline "$work/stock.dmesg"

boot ours || fail "the emulated host with our modules did not finish"
grep '^# contract: .* passed, .* failed' "$work/ours.log" || true
check "ours: the contract passes on the $kind kernel" grep -q '^KES-CONTRACT-RC 0 ' "$work/ours.log"
check "ours: the race stress passes" grep -q '^KES-STRESS-RC 0 ' "$work/ours.log"
check "ours: the modules loaded and unloaded" sh -c "! grep -q '^KES-FAIL' '$work/ours.log'"
check "ours: no $kind kernel report of the KVM modules that the baseline does not have" \
	python3 "$top/tests/debug-kernel/reports.py" "$work/stock.dmesg" "$work/ours.dmesg"

for fault in $faults; do
	boot "fault-$fault" "$fault_seconds" || true
	if grep -E -q "${expected[$fault]}" "$work/fault-$fault.dmesg"; then
		grep -E -m 1 "${expected[$fault]}" "$work/fault-$fault.dmesg" | sed 's/^/# caught: /'
	else
		# What the kernel said instead: its reports of the KVM modules whole.
		python3 "$top/tests/debug-kernel/reports.py" /dev/null "$work/fault-$fault.dmesg" || true
	fi
	check "fault $fault: the $kind kernel reports it (${expected[$fault]})" \
		grep -E -q "${expected[$fault]}" "$work/fault-$fault.dmesg"
done
finish
