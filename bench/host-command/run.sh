#!/bin/bash
# Benchmark (not a test): the CPU time that `kvm-exitstats host watch`
# spends per refresh with 1, 2 and 100 VMs, on a modelled host whose
# debugfs files are generated (tests/guest/fake_host.sh), every VM with
# three reasons. The command is the real one built on the model's clock
# (kvm-exitstats-model), so the figures are this machine's user and system
# time of listing the VMs, reading each file, parsing and drawing; the
# kernel's side (summing the vCPUs' counters in the file's read) is not in
# them.
#
# usage: bench/host-command/run.sh [REFRESHES]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
refreshes=${1:-500}
# shellcheck source=tests/guest/fake_host.sh
. "$top/tests/guest/fake_host.sh"
build=$top/build/bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target kvm-exitstats-model >/dev/null
model=$build/guest-utils/kvm-exitstats-model
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-bench-host.XXXXXX")
trap 'rm -rf "$work"' EXIT

# cpu_seconds VMS N: user + system seconds of `host watch -n N` (not a
# terminal: one line per refresh) with VMS VMs.
cpu_seconds() {
	local TIMEFORMAT=%U+%S
	{ time KES_MODEL="host-root=$work/host" "$model" host watch --interval 0.1 --count "$2" >/dev/null; } 2>&1 | bc
}

echo "kvm-exitstats host watch, CPU time per refresh ($refreshes refreshes, $(nproc) CPUs, $(uname -r)):"
for vms in 1 2 100; do
	fake_host "$work/host"
	for i in $(seq 1 "$vms"); do
		fake_vm "$work/host" $((1000 + i)) 10 "vm-$i"
		fake_counts "$work/host" $((1000 + i))-10 $((i * 12345)) $((i * 98765432))
	done
	one=$(cpu_seconds "$vms" 1)
	many=$(cpu_seconds "$vms" "$((refreshes + 1))")
	per=$(echo "($many - $one) * 1000000 / $refreshes" | bc)
	printf "  %3d VMs: %6d us per refresh (%s s for %d refreshes, %s s for the first)\n" \
		"$vms" "$per" "$many" "$((refreshes + 1))" "$one"
done
