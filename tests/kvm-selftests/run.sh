#!/bin/bash
# The kernel's own KVM selftests on Debian's kvm/kvm-amd and on ours: builds
# the x86_64 tests from linux-source-SERIES (static), boots Debian's kernel of
# SERIES under QEMU TCG (AMD SVM), or with --bochs under Bochs (Intel VMX,
# kvm-intel), three times at once: with the stock modules, with ours under
# exitstats=vm and with ours under exitstats=host; then compares the results
# test by test.
#
# usage: tests/kvm-selftests/run.sh SERIES [--bochs] [--vmx] [--limit SECONDS] [--only REGEX]
#                                    [--debug-kernel kasan|kcsan]
#   --bochs  the emulated host is Bochs with VMX (kvm-intel), one CPU
#   --vmx    only the VMX and nested-virtualization tests (vmx_*, nested_*,
#            the eVMCS tests, state_test, smm_test, triple_fault_event_test)
#   --limit  per-test time limit (default 30 s; the emulated host's seconds)
#   --only   run only the tests whose name matches REGEX
#   --debug-kernel  the emulated hosts boot the debug kernel of SERIES that
#            tests/debug-kernel/build.sh builds (KASAN and lockdep, or
#            KCSAN) instead of Debian's, stock being its own KVM modules:
#            besides the comparison, every kernel report during a test with
#            ours is judged by tests/debug-kernel/reports.py against those
#            with stock, and printed whole
# KES_KEEP=1 keeps the work directory with the serial logs.
# KES_INJECT="PASS:FAULT[:TEST] ..." injects faults into the emulated hosts
# (l1-init.sh lists them), for tests/kvm-selftests/inject-test.sh.
# Exits non-zero when a test passes on stock but not on ours, or when the
# emulated host logs WARNING/BUG/Oops during a test with ours and not with
# stock. The last line: "N passed, N failed" (matches stock vs regressions).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/kernel/lib.sh
. "$here/../kernel/lib.sh"

usage="usage: tests/kvm-selftests/run.sh SERIES [--bochs] [--vmx] [--limit SECONDS] [--only REGEX] [--debug-kernel kasan|kcsan]"
series=${1:?$usage}
shift
limit=30
only=.
vendor=amd
debug_kind='' detector_options=''
while [ $# -gt 0 ]; do
	case $1 in
	--bochs) vendor=intel ;;
	--vmx) only='vmx_|(^|/)nested_|evmcs|(^|/)state_test|(^|/)smm_test|triple_fault' ;;
	--limit) limit=${2:?$usage}; shift ;;
	--only) only=${2:?$usage}; shift ;;
	--debug-kernel) debug_kind=${2:?$usage}; shift ;;
	*) fail "$usage" ;;
	esac
	shift
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kes-selftests.XXXXXX")
trap '[ -n "${KES_KEEP:-}" ] && echo "# kept $work" >&2 || rm -rf "$work"' EXIT
if [ -z "$debug_kind" ]; then
	kver=$(kernel_release_of_series "$series") || fail "no linux-headers for Linux $series installed"
	image=$(kernel_image_dir "$kver")
	kernel=$image/boot/vmlinuz-$kver
	modules=$(patched_modules_dir "$kver")
	load_order=$(kvm_load_order "$vendor")
else
	use_debug_kernel "$debug_kind" "$series" "$vendor" "$work"
fi

# Runs a shell command where the series is built: here, or in the build
# root of its release (its compiler and glibc).
in_build_env() {
	in_release "$(target_release "$series")" sh -c "$1"
}

# The x86_64 KVM selftests of linux-source-SERIES, built once per source
# version (the test cache keeps the newest build of each target); prints the
# directory with bin/ and list ("name path" per test).
selftests_dir() {
	local sseries build_env='' tarball version out src src_in kvm kvm_in name path
	sseries=$(target_series "$series")
	build_env=$(release_prefix "$(target_release "$series")")
	tarball=$build_env/usr/src/linux-source-$sseries.tar.xz
	[ -f "$tarball" ] || fail "$tarball missing: apt-get install linux-source-$sseries"
	version=$(in_build_env "dpkg-query -W -f '\${Version}' linux-source-$sseries")
	# Kept outside the tree, so that a fresh clone (CI) reuses them: one
	# build per source version and per recipe (this function's text).
	out=$test_cache/selftests/$series/$version-$(declare -f selftests_dir | sha256sum | cut -c1-12)
	if [ ! -f "$out/.complete" ]; then
		rm -rf "$(dirname "$out")"
		mkdir -p "$out/bin"
		log "building the KVM selftests of linux-source-$sseries $version (about a minute)" >&2
		# The tree is unpacked where the build runs; src is its path from here.
		src_in=${build_env:+/tmp/kes-selftests}
		src_in=${src_in:-$work}/linux-source-$sseries
		src=$build_env$src_in
		rm -rf "$src"
		mkdir -p "$(dirname "$src")"
		tar -xf "$tarball" -C "$(dirname "$src")"
		kvm=$src/tools/testing/selftests/kvm
		kvm_in=$src_in/tools/testing/selftests/kvm
		in_build_env "make -C $src_in headers" >"$out/build.log" 2>&1 ||
			{ tail -n 20 "$out/build.log" >&2; fail "make headers failed (log: $out/build.log)"; }
		# -k: a test that does not build (a stable backport can break one)
		# is reported as not built instead of stopping all the others.
		in_build_env "make -k -j$(nproc) -C $kvm_in EXTRA_CFLAGS=-static" >>"$out/build.log" 2>&1 ||
			# In 6.1, tests that include <linux/kernel.h> before
			# <asm/kvm.h> get the tools' linux/types.h, which does not
			# bring __DECLARE_FLEX_ARRAY; build what failed once more
			# with the exported uapi <linux/stddef.h> included first.
			in_build_env "make -k -j$(nproc) -C $kvm_in \
				EXTRA_CFLAGS='-static -include $src_in/usr/include/linux/stddef.h'" \
				>>"$out/build.log" 2>&1 || true
		# Every program the build made (a .sh test runs a helper program).
		(cd "$kvm" && find . -path ./lib -prune -o -type f -executable ! -name '*.sh' -print) |
			while read -r path; do
				mkdir -p "$out/bin/$(dirname "$path")"
				strip -o "$out/bin/$path" "$kvm/$path"
			done
		for name in $(in_build_env "make -s -C $kvm_in emit_tests" | cut -d: -f2); do
			path=$(cd "$kvm" && find . -name "$name" -type f | head -n1)
			if [ -z "$path" ]; then
				echo "$name" >>"$out/not-built"
				continue
			fi
			case $name in *.sh) mkdir -p "$out/bin/$(dirname "$path")"; cp "$kvm/$path" "$out/bin/$path" ;; esac
			echo "$name bin/${path#./}" >>"$out/list"
		done
		[ -s "$out/list" ] || fail "no selftest built (log: $out/build.log)"
		# One test that a backport breaks is reported; most not building is
		# a broken build environment, not a result.
		[ "$(wc -l <"$out/list")" -gt "$(cat "$out/not-built" 2>/dev/null | wc -l)" ] ||
			fail "most selftests did not build (log: $out/build.log)"
		rm -rf "$src"
		touch "$out/.complete"
	fi
	echo "$out"
}

tests=$(selftests_dir)
if [ -s "$tests/not-built" ]; then
	log "not built from linux-source-$series (compile errors in $tests/build.log): $(tr '\n' ' ' <"$tests/not-built")"
fi
grep -E "^[^ ]*($only)[^ ]* " "$tests/list" >"$work/list" || fail "no selftest matches $only"
# Tests that Bochs itself cannot run, with stock kvm-intel as with ours
# (each would cost a hung emulated host and its reboot): said, one line
# each, and not run; never counted as passed.
declare -A bochs_cannot_run=(
	[vmx_preemption_timer_test]="the VMX-preemption timer does not fire under Bochs: the emulated host locks up (soft lockup) with stock kvm-intel too"
)
if [ "$vendor" = intel ]; then
	for name in "${!bochs_cannot_run[@]}"; do
		grep -qE "^([^ ]*/)?$name " "$work/list" || continue
		log "not run under Bochs: $name: ${bochs_cannot_run[$name]}"
		grep -vE "^([^ ]*/)?$name " "$work/list" >"$work/list.run" || true
		mv "$work/list.run" "$work/list"
	done
	[ -s "$work/list" ] || fail "no selftest left to run under Bochs"
fi
# Stress tests sized for hardware (1 GiB of guest memory per vCPU) time out
# in an emulated host on stock KVM as on ours, which shows nothing: they run
# with 16 MiB, the same code paths, and say so.
declare -A emulated_args=(
	[demand_paging_test]="-b 16M"
	[dirty_log_perf_test]="-b 16M"
	[kvm_page_table_test]="-b 16M"
	[memslot_modification_stress_test]="-b 16M"
)
for name in "${!emulated_args[@]}"; do
	grep -qE "^([^ ]*/)?$name " "$work/list" || continue
	log "run with smaller sizes in the emulated host: $name ${emulated_args[$name]}"
	awk -v name="$name" -v args="${emulated_args[$name]}" \
		'{ n = $1; sub(/.*\//, "", n) } n == name { $0 = $0 " " args } { print }' "$work/list" >"$work/list.args"
	mv "$work/list.args" "$work/list"
done
# Tests that never end in an emulated host within the limit, on stock KVM
# as on ours (on 7.3, in every CI run since 0.2.0): waiting the whole limit for
# each, on three hosts, shows no more than a shorter run does (that the
# host survives them), so they run for 10 s, and say so.
declare -A emulated_limit=(
	[hardware_disable_test]=10
	[memslot_perf_test]=10
	[rseq_test]=10
	[save_restore_pf_stress_test]=10
	[set_memory_region_test]=10
)
: >"$work/limits"
for name in "${!emulated_limit[@]}"; do
	grep -qE "^([^ ]*/)?$name " "$work/list" || continue
	[ "${emulated_limit[$name]}" -lt "$limit" ] || continue
	log "run for ${emulated_limit[$name]} s, not $limit (it times out in an emulated host on stock KVM too): $name"
	grep -E "^([^ ]*/)?$name " "$work/list" | awk -v s="${emulated_limit[$name]}" '{ print $1, s }' >>"$work/limits"
done
log "$(wc -l <"$work/list") KVM selftests of linux-source-$series, ${limit} s limit each$([ ! -s "$work/limits" ] || echo " (but those above)")"

# One root per module set: busybox, bash (for the .sh tests), the tests.
make_root() {
	local kind=$1 root=$work/root-$1
	l1_base_root "$root" "$image" "$kver"
	copy_with_libraries /bin/bash "$root"
	mkdir -p "$root/etc" "$root/st"
	cp -r "$tests/bin" "$root/st/"
	build_l1_program "$top/tests/kernel/idle_vm.c" "$root/bin/idle_vm"
	build_l1_program "$top/tests/kernel/drain_console.c" "$root/bin/drain_console"
	echo "root:x:0:0:root:/tmp:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	echo "$load_order" >"$root/etc/kes-modules"
	copy_kvm_modules "$image" "$kver" "$vendor" "$([ "$kind" = stock ] && echo stock || echo "$modules")" "$root"
	cp "$here/l1-init.sh" "$root/init"
	# A debug kernel's reports are kept whole (l1-init.sh's KES-KLOG).
	[ -z "$debug_kind" ] || touch "$root/etc/kes-keep-reports"
}

# boot_watched INITRD LOG: boots the emulated host (QEMU with two CPUs, or
# Bochs with one), stopped when the serial log has not grown for the
# per-test limit plus two minutes (a hung emulated host).
boot_watched() {
	local initrd=$1 log=$2
	if [ "$vendor" = amd ]; then
		boot_limit=7200 boot_qemu "$kernel" "$initrd" "$log" -smp 2 -m 2G &
	else
		# Bochs cannot exit on a reboot: a panicked host stops (panic=0)
		# and the watch below ends it.
		boot_append="$boot_append panic=0" boot_limit=7200 bochs_megs=2048 \
			boot_bochs "$kernel" "$initrd" "$log" "${log%.log}" &
	fi
	watch_serial $! "$log" $((limit + 120)) || echo "KES-HUNG" >>"$log"
}

# injections PASS BOOT: the kernel parameter with the faults KES_INJECT asks
# for in PASS; boot-panic only on a pass's first boot, or it would never
# run a test.
injections() {
	local item list=''
	for item in ${KES_INJECT:-}; do
		[ "${item%%:*}" = "$1" ] || continue
		item=${item#*:}
		[ "$item" = boot-panic ] && [ "$2" -gt 1 ] && continue
		list+=${list:+,}$item
	done
	echo "${list:+kes.inject=$list}"
}

# boots PASS: boots until PASS has run every test of its list; a test
# during which the emulated host died or hung is recorded as "crash" or
# "hang", and the next boot resumes after it. The results go to
# $work/serial-PASS.log.
boots() {
	local pass=$1 resume='' n=0 early=0 log last position what all=$work/serial-$1.log
	while :; do
		n=$((n + 1))
		log=$work/serial-$pass-$n.log
		boot_append="kes.passes=$pass kes.limit=$limit ${resume:+kes.resume=$resume} $(injections "$pass" $n) $detector_options" \
			boot_watched "$work/initrd-$pass.gz" "$log"
		tr -d '\r' <"$log" >>"$all"
		grep -q '^KES-END' "$all" && return 0
		last=$(tr -d '\r' <"$log" | grep '^KES-START' | tail -n1 || true)
		if [ -z "$last" ]; then
			# Under QEMU's TCG an emulated host sometimes dies while it
			# boots, before any KVM module is loaded (docs/testing.md).
			early=$((early + 1))
			tail -n 30 "$log"
			[ $early -lt 3 ] || fail "$pass: the emulated host died before the first test, $early times"
			log "$pass: the emulated host died before the first test (its last lines above); booting it again" >&2
			continue
		fi
		last=${last#KES-START }
		position=${last%% *}
		last=${last#* }
		what=crash
		grep -q '^KES-HUNG' "$log" && ! grep -q 'Kernel panic' "$log" && what=hang
		echo "KES-RESULT $pass $last $what 0" >>"$all"
		# A reset under QEMU's TCG leaves no such line: none is fine.
		tr -d '\r' <"$log" | awk -v at="KES-DMESG $pass $last: " '/Oops|BUG|panic/ && n++ < 3 { print at $0 }' >>"$all"
		resume=$pass:$(( ${position#*:} + 1 ))
		log "$pass: the emulated host $([ $what = hang ] && echo hung || echo died) during $last; resuming after it" >&2
	done
}

# prepare_pass PASS LIST: the initramfs of PASS, running the tests of LIST.
prepare_pass() {
	local pass=$1 root
	root=$work/root-$([ "$pass" = stock ] && echo stock || echo ours)
	cp "$2" "$root/st/list"
	cp "$work/limits" "$root/st/limits"
	pack_initrd "$root" "$work/initrd-$pass.gz"
}

# all_passes LIST: stock, vm and host, each in an emulated host of its own,
# all at once.
all_passes() {
	local pass
	local -A pids
	for pass in stock vm host; do
		prepare_pass "$pass" "$1"
	done
	for pass in stock vm host; do
		boots "$pass" &
		pids[$pass]=$!
	done
	for pass in stock vm host; do
		wait "${pids[$pass]}" || fail "the runner of the $pass emulated host stopped (its reason above)"
	done
}

# Bochs is built (once) before the emulated hosts' watches start.
if [ "$vendor" = intel ] && [ "$(bochs_flavour)" = built ]; then
	"$top/tests/kernel/build-bochs.sh" --cached >/dev/null || fail "cannot build Bochs for the Intel tests"
fi
make_root stock
make_root ours
start=$(date +%s)
log "stock kvm-$vendor, ours with exitstats=vm and ours with exitstats=host: three emulated hosts ($([ "$vendor" = amd ] && echo "QEMU TCG, AMD SVM" || echo "Bochs, Intel VMX")) at once"
all_passes "$work/list"
log "the three emulated hosts finished in $(( $(date +%s) - start )) s"
first=("$work"/serial-{stock,vm,host}.log)

# Tests that assert a timing tolerance against the emulator's clocks, and
# have failed on stock KVM too in the emulated host (docs/testing.md): on
# the retry each runs three times in each host, and the best result counts.
timing_tests=(apic_bus_clock_test hyperv_clock)

# Three emulated hosts on two cores: a slow test can miss its limit in one
# and not in another. What regressed runs again, one emulated host at a
# time, on stock and on ours; only what regresses again counts.
# (A debug kernel's reports are judged apart, below: they are no reason to
# run a test again.)
python3 "$here/compare.py" --list-regressions ${debug_kind:+--reports-judged-apart} "${first[@]}" >"$work/regressed"
retry=()
if [ -s "$work/regressed" ]; then
	log "not passing on ours where stock passed: $(tr '\n' ' ' <"$work/regressed"); running them again"
	awk -v names=" ${timing_tests[*]} " 'NR == FNR { again[$1]; next }
		$1 in again { print; n = $1; sub(/.*\//, "", n); if (index(names, " " n " ")) { print; print } }' \
		"$work/regressed" "$work/list" >"$work/retry-list"
	timing_retried=$(awk '{ print $1 }' "$work/retry-list" | sort | uniq -d | tr '\n' ' ')
	[ -z "$timing_retried" ] ||
		log "timing tests get three tries on the retry, on stock and on ours alike (the best counts, a lost host always): $timing_retried"
	for pass in stock vm host; do
		mv "$work/serial-$pass.log" "$work/first-$pass.log"
	done
	first=("$work"/first-{stock,vm,host}.log)
	for pass in stock vm host; do
		prepare_pass "$pass" "$work/retry-list"
		boots "$pass"
	done
	retry=(--retry "$work"/serial-{stock,vm,host}.log)
fi
log "whole comparison: $(( $(date +%s) - start )) s"
status=0
python3 "$here/compare.py" ${debug_kind:+--reports-judged-apart} --limits "$work/limits" "${first[@]}" "${retry[@]}" ||
	status=$?
[ -n "$debug_kind" ] || exit $status
# A debug kernel: besides the results, the kernel's reports during the
# tests with ours are judged against those with stock, and printed whole
# with the test each came in.
# kernel_logs PASS...: the whole kernel logs that those passes' tests printed
# (first run and retry), each line after "PASS TEST ".
kernel_logs() {
	local pass log
	for pass in "$@"; do
		for log in "$work/first-$pass.log" "$work/serial-$pass.log"; do
			[ ! -f "$log" ] || sed -n "s/^KES-KLOG $pass \([^ ]*\): /$pass \1 /p" "$log"
		done
	done
}
kernel_logs stock vm host | awk '{ print "# kernel reports during " $2 " (" $1 ")" }' | uniq
kernel_logs stock | cut -d' ' -f3- >"$work/stock.klog"
kernel_logs vm host | cut -d' ' -f3- >"$work/ours.klog"
python3 "$top/tests/debug-kernel/reports.py" --baseline "$work/stock.klog"
python3 "$top/tests/debug-kernel/reports.py" "$work/stock.klog" "$work/ours.klog" || status=1
exit $status
