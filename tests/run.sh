#!/bin/bash
# Runs every test suite of kvm-exitstats (as root: the kernel-side tests install
# DKMS modules for the installed kernel headers and boot emulators).
# Install what they need first with scripts/install-build-deps.sh.
#
# usage: tests/run.sh
# The last line reads "N passed, N failed", counting test suites.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
failed_names=()
failed_logs=()

# Each suite's output is kept, so that the end of the run can repeat how the
# failed ones ended (a CI log shown in part still shows why).
logs=$(mktemp -d "${TMPDIR:-/tmp}/kes-run.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# Counts a suite that ran from START to END (now if not given) and ended
# with status RC, its output in LOG.
tally() {
	local name=$1 rc=$2 start=$3 log=$4 end=${5:-$(date +%s)}
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "=== $name: PASS ($((end - start)) s)"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		failed_logs+=("$log")
		echo "=== $name: FAIL ($((end - start)) s)"
	fi
}

suite() {
	local name=$1 start rc log=$logs/$((passed + failed + 1)).log
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$name" "$rc" "$start" "$log"
}

# suite_pair NAME1 COMMAND1 ARG... [--then NAME COMMAND ARG...]... -- NAME2
# COMMAND2 ARG... [--then ...]: two lanes of independent suites at once, for
# the machine's two cores. The suites of a lane (joined by --then) run one
# after another, so that short suites fill the time of a long one beside
# them. Each suite's output is shown whole when both lanes have ended, with
# the time it took itself.
suite_pair() {
	local names=() cmds=() lane_of=() lane=0 pids=() i first=$((passed + failed + 1))
	while [ $# -gt 0 ]; do
		names+=("$1")
		lane_of+=("$lane")
		shift
		local cmd=()
		while [ $# -gt 0 ] && [ "$1" != -- ] && [ "$1" != --then ]; do
			cmd+=("$1")
			shift
		done
		[ "${1:-}" = -- ] && lane=$((lane + 1))
		[ $# -gt 0 ] && shift
		cmds+=("$(printf '%q ' "${cmd[@]}")")
	done
	local l
	for l in $(seq 0 "$lane"); do
		for i in "${!names[@]}"; do
			[ "${lane_of[$i]}" = "$l" ] && echo "=== ${names[$i]} (lane $((l + 1)) of $((lane + 1)))"
		done
		(
			for i in "${!names[@]}"; do
				[ "${lane_of[$i]}" = "$l" ] || continue
				local log=$logs/pair-$first-$i suite_start rc=0
				suite_start=$(date +%s)
				bash -c "${cmds[$i]}" >"$log.log" 2>&1 || rc=$?
				echo "$rc $suite_start $(date +%s)" >"$log.end"
			done
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in "${!names[@]}"; do
		local log=$logs/pair-$first-$i rc=1 suite_start suite_end='' end_line=''
		suite_start=$(date +%s)
		# A lane that could not write its end line (a full disk) failed.
		[ -f "$log.end" ] && read -r end_line <"$log.end"
		if [[ "$end_line" =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]]; then
			read -r rc suite_start suite_end <<<"$end_line"
		fi
		echo "=== ${names[$i]}: its output"
		cat "$log.log" 2>/dev/null
		tally "${names[$i]}" "$rc" "$suite_start" "$log.log" "${suite_end:-}"
	done
}

[ "$(id -u)" -eq 0 ] || { echo "tests/run.sh must run as root" >&2; exit 2; }
# The suites' roots, images and kernels take up to 20 GB at once beside the
# test cache; a full disk fails every suite after it with unrelated errors.
for dir in "$top" "${TMPDIR:-/tmp}" /var/cache; do
	free_gb=$(($(df -P -k "$dir" | awk 'NR == 2 { print $4 }') / 1024 / 1024))
	[ "$free_gb" -ge 20 ] || {
		echo "tests/run.sh: $dir has $free_gb GB free, the suites need 20 GB: free some (old test clones, ${TMPDIR:-/tmp}/kes-*)" >&2
		exit 2
	}
done
# This machine's Debian release builds its own kernels; the other release's
# are built, and its quick start tried, in roots of it.
machine=$(. "$top/scripts/release-roots.sh" && machine_release) || exit 2
other=$((machine == 12 ? 13 : 12))
# The kernel series, as dkms.conf lists them (scripts/series.sh).
default_target=$(. "$top/scripts/release-roots.sh" && release_default_target "$machine")
read -r -a targets <<<"$(. "$top/scripts/series.sh" && kernel_targets)"
newest=$(. "$top/scripts/series.sh" && newest_target)
oldest=${targets[0]}
default_12=$(. "$top/scripts/series.sh" && release_default_target 12)
default_13=$(. "$top/scripts/series.sh" && release_default_target 13)

suite "the test scripts' library" "$top/tests/lib-test.sh"
suite "guest utilities: build and ctest" "$top/tests/guest/ctest.sh"
# The package build's serial steps (debhelper, dpkg-deb, lintian) leave a
# core to the static build beside it.
suite_pair "Debian packages build on this Debian $machine, lintian-clean" "$top/tests/package/build-packages.sh" -- \
	"guest command as a static binary" "$top/tests/guest/static-build.sh" --then \
	"what the command says to Prometheus: promtool, node_exporter and a prometheus server" \
	"$top/tests/guest/prometheus_test.sh" "$top/build/cmake/guest-utils/kvm-exitstats-model" --then \
	"the document checks fail on a stale version, a removed option, a README usage error, an old sample, a missing file" \
	"$top/tests/docs/check_test.sh" "$top/build/cmake/tests/guest/print_command_line" \
	"$top/build/cmake/guest-utils/kvm-exitstats-model"
# The Debian 12 root's tests install a command built on Debian 12. (On a
# Debian 12 machine the fresh Debian 13 machine below builds there.)
if [ "$machine" = 13 ]; then
	suite "Debian packages build in a Debian 12 root, lintian-clean there" "$top/tests/package/build-packages-in-root.sh" 12
fi
# Package suites two at a time: each runs dpkg (one core) much of its time,
# and the two of a pair keep apt's downloads apart (one per release).
suite_pair "package life cycle on a debootstrapped Debian 12" "$top/tests/package/lifecycle.sh" -- \
	"package life cycle on a debootstrapped Debian 13" "$top/tests/package/lifecycle-debian13.sh"
# The repository test (apt, a package build, DKMS builds) follows the
# upgrade in its lane: the fresh machine's tmux test of host watch, which a
# compiler beside it once made fail, waits for its frames no longer
# (3f5449e; docs/testing.md).
suite_pair "upgrade from Debian 12 to 13 with the package installed" "$top/tests/package/upgrade-12-to-13.sh" --then \
	"a signed apt repository on Debian 13: install by name, altered package and Release refused, apt upgrade to a newer release" \
	"$top/tests/package/repository.sh" 13 -- \
	"the quick start on a fresh Debian $other machine from a release archive (no git), then end to end on its default kernel" \
	"$top/tests/fresh-machine.sh" "$other" --tarball
suite_pair "the archive's point-release states on Debian 12: (a) signed image late, (b) source ahead and our upgrade, (c) older kernel" \
	"$top/tests/package/archive-states.sh" 12 -- \
	"the archive's point-release states on Debian 13" "$top/tests/package/archive-states.sh" 13 --then \
	"Debian's autopkgtest of both packages (debian/tests) in a Debian $machine root" "$top/tests/package/autopkgtest.sh" "$machine"
# The DKMS test takes the machine's default kernel only: the life cycles
# above build every series of both releases through DKMS. It runs first:
# build-test's build of that kernel is then the second build of its source.
# Beside them: the Secure Boot hosts (apt and DKMS in a root, then one
# emulated CPU at a time).
suite_pair "DKMS builds and installs the modules on this machine ($default_target)" \
	"$top/tests/kernel/dkms-test.sh" "$default_target" --then \
	"kernel modules build for every supported kernel" "$top/tests/kernel/build-test.sh" "${targets[@]}" -- \
	"Secure Boot on Debian 12 ($default_12): OVMF, shim, grub, signed kernel; key not enrolled, enrolled, Secure Boot off; the installation in each" \
	"$top/tests/secure-boot/run.sh" 12 --then \
	"Secure Boot on Debian 13 ($default_13)" "$top/tests/secure-boot/run.sh" 13
# Each contract boots QEMU with one TCG thread (thread=single): two at a
# time, newest first, and the watchdog's test (which mostly waits) beside
# the last when they are odd in number.
amd_suite() {
	printf '%s\n' "$1 kvm-amd under QEMU TCG" "$top/tests/kernel/run-emulated.sh" "$1" amd
}
for ((i = ${#targets[@]} - 1; i >= 0; i -= 2)); do
	mapfile -t first < <(amd_suite "${targets[$i]}")
	if [ "$i" -ge 1 ]; then
		mapfile -t second < <(amd_suite "${targets[$((i - 1))]}")
	else
		second=("the emulated host's watchdog" "$top/tests/kernel/watch-serial-test.sh")
	fi
	suite_pair "${first[@]}" -- "${second[@]}"
done
[ $((${#targets[@]} % 2)) = 1 ] ||
	suite "the emulated host's watchdog" "$top/tests/kernel/watch-serial-test.sh"
# Bochs is single-threaded, and guest time follows its own instruction count.
suite_pair "$newest kvm-intel under Bochs" "$top/tests/kernel/run-emulated.sh" "$newest" intel -- \
	"$oldest kvm-intel under Bochs" "$top/tests/kernel/run-emulated.sh" "$oldest" intel
# The VMX and nested-VMX selftests on kvm-intel: three Bochs at once (stock
# and both scopes), so one series at a time, after the TDX build; beside
# them the repository on Debian 12 (apt, DKMS builds: Bochs' guest time
# follows its own instruction count, not the clock).
suite_pair "the TDX layout assertion holds and bites ($newest)" "$top/tests/kernel/tdx-build-test.sh" "$newest" --then \
	"$newest KVM selftests on kvm-intel (VMX, nested VMX) under Bochs: ours as stock" \
	"$top/tests/kvm-selftests/run.sh" "$newest" --bochs --vmx --then \
	"$oldest KVM selftests on kvm-intel (VMX, nested VMX) under Bochs: ours as stock" \
	"$top/tests/kvm-selftests/run.sh" "$oldest" --bochs --vmx -- \
	"a signed apt repository on Debian 12" "$top/tests/package/repository.sh" 12
# Both vendors end to end at once: QEMU's (about 4 minutes) and then the
# fault injection (about 2) run inside the time of Bochs' (about 8), which
# uses one core; the two end-to-end tests share the newest series' host
# modules, which the first to need them builds (lock_until_exit).
suite_pair "$newest end to end on kvm-amd (QEMU TCG): Linux guests on the packaged KVM" "$top/tests/e2e/run.sh" "$newest" --then \
	"the KVM selftest comparison catches injected faults" "$top/tests/kvm-selftests/inject-test.sh" "$newest" -- \
	"$newest end to end on kvm-intel (Bochs): Linux guests on the packaged KVM" "$top/tests/e2e/run.sh" "$newest" --bochs
# The debug kernels, built from Debian's source once per source version
# (both at once: each build then has a core, and each emulated host runs
# on one TCG thread), each followed by the end-to-end test on its kernel;
# the KASAN kernel then runs kvm-intel under Bochs too.
suite_pair "$newest under KASAN, lockdep and DEBUG_ATOMIC_SLEEP (kvm-amd, QEMU): contract, race stress, injected faults caught" \
	"$top/tests/debug-kernel/run.sh" --kind kasan --seconds 30 "$newest" --then \
	"$newest end to end on the KASAN kernel (kvm-amd, QEMU)" "$top/tests/e2e/run.sh" "$newest" --debug-kernel kasan --then \
	"$newest under KASAN and lockdep on kvm-intel (Bochs): contract, race stress, injected faults caught" \
	"$top/tests/debug-kernel/run.sh" --kind kasan --vendor intel --seconds 30 "$newest" -- \
	"$newest under KCSAN (kvm-amd, QEMU): contract, race stress, an injected race caught" \
	"$top/tests/debug-kernel/run.sh" --kind kcsan --seconds 30 "$newest" --then \
	"$newest end to end on the KCSAN kernel (kvm-amd, QEMU)" "$top/tests/e2e/run.sh" "$newest" --debug-kernel kcsan
suite "rules of the KVM selftest comparison" python3 "$top/tests/kvm-selftests/compare_test.py"
suite "rules of the debug kernels' report judge" python3 "$top/tests/debug-kernel/reports_test.py"
suite "$newest KVM selftests: ours as stock" "$top/tests/kvm-selftests/run.sh" "$newest"
# The other series' selftests are manual commands (docs/contributing.md):
# CI has no room for them beside the newest's.

# A CI page that shows only the end of the run still shows which checks of
# a failed suite failed, then its end.
for i in "${!failed_names[@]}"; do
	echo "=== how '${failed_names[$i]}' ended:"
	bash -c '. "$1" && failed_checks "$2"' - "$top/tests/lib.sh" "${failed_logs[$i]}" | sed 's/^/# failed check: /'
	tail -n 30 "${failed_logs[$i]}" | sed 's/^/# /'
done
[ $failed -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
