#!/bin/bash
# The selftest comparison must catch what goes wrong with our modules: this
# runs it (tests/kvm-selftests/run.sh) on five quick selftests with faults
# injected into the emulated hosts of our modules, stock left alone:
#   exitstats=vm    panics while it boots (first boot only), logs a
#                   WARNING during cpuid_test, and resets during steal_time
#                   without a word in its log (as QEMU's TCG sometimes does)
#   exitstats=host  panics during platform_info_test and fails
#                   set_sregs_test
# and checks that each fault is reported where it happened, that the runner
# boots again and goes on after each panic, and that the run fails.
#
# usage: tests/kvm-selftests/inject-test.sh [SERIES]   (default 6.12)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/kernel/lib.sh
. "$here/../kernel/lib.sh"

series=${1:-6.12}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

log "the selftest comparison on $series with injected faults (2 to 3 minutes)"
rc=0
KES_INJECT="vm:boot-panic vm:warn:cpuid_test vm:reset:steal_time host:panic:platform_info_test host:fail:set_sregs_test" \
	"$here/run.sh" "$series" --only 'cpuid_test|platform_info_test|set_sregs_test|steal_time' \
	>"$out" 2>&1 || rc=$?
sed 's/^/    | /' "$out"

# row TEST: the comparison's row of TEST: name, stock, vm, host, verdict.
row() {
	grep -E "^$1 " "$out" | sed -E 's/ +/ /g; s/([a-z]+) [0-9.]+s/\1/g'
}
# after TEST TEXT: TEXT is among the lines printed under TEST's row.
after() {
	awk -v t="$1" '$1 == t { on = 1; next } /^[^ ]/ { on = 0 } on' "$out" | grep -qF "$2"
}
has() { grep -qF "$1" "$out"; }

check "the run fails (exit status $rc)" [ "$rc" -eq 1 ]
check "the vm host that died while booting was booted again" \
	has "vm: the emulated host died before the first test"
check "the booted-again vm host loaded the modules" \
	[ "$(row '\(loading-the-modules\)')" = "(loading-the-modules) pass pass pass same" ]
check "a WARNING with ours only is a regression" \
	[ "$(row cpuid_test)" = "cpuid_test pass pass pass REGRESSION" ]
check "the WARNING is shown under its test" \
	after cpuid_test "WARNING: injected by the runner in cpuid_test"
check "a panic during a test is reported as its crash" \
	[ "$(row platform_info_test)" = "platform_info_test pass pass crash REGRESSION" ]
check "the panic is shown under its test" \
	after platform_info_test "Kernel panic - not syncing: sysrq triggered crash"
check "the host was booted again after the panic" \
	has "host: the emulated host died during platform_info_test; resuming after it"
check "a failure with ours where stock passes is a regression, on the booted-again host" \
	[ "$(row set_sregs_test)" = "set_sregs_test pass pass fail REGRESSION" ]
check "the regressions were run again (each fault comes back: they stay counted)" \
	has "running them again"
# Stock's result is not the point here: steal_time itself races (its worker
# thread may end before pthread_getaffinity_np asks for its affinity, ESRCH),
# and a host lost with ours is a regression whatever stock's result.
check "a reset during a test, with nothing in the log, is reported as its crash" \
	[ "$(row steal_time | cut -d' ' -f3,5)" = "crash REGRESSION" ]
check "the vm host was booted again after the reset" \
	has "vm: the emulated host died during steal_time; resuming after it"
check "the test without a fault matches stock (the vm host ran it after the reset)" \
	[ "$(row xcr0_cpuid_test)" = "xcr0_cpuid_test pass pass pass same" ]
check "every test matched by --only has a row" \
	[ "$(grep -cE ' (same|REGRESSION|better)$' "$out")" -eq 6 ]
check "the last line counts the four regressions" \
	[ "$(tail -n 1 "$out")" = "2 passed, 4 failed" ]
finish
