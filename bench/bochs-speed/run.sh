#!/bin/bash
# Benchmark (not a test): how fast the two Bochs builds run the Intel
# emulated host, Debian's bochs package and the one tests/kernel/build-bochs.sh
# builds for the tests. Each boots Debian's kernel of TARGET with a busybox
# initramfs that runs a loop of a known number of instructions and powers
# off; the same emulated machine and configuration for both (boot_bochs).
# Figures per run: the boot (Bochs started to the loop's first line), the
# loop's MIPS (2 instructions per turn, timed by its console lines as they
# arrive, to 0.1 s) and the whole run. Bochs is single-threaded: run it on
# an idle machine.
#
# usage: bench/bochs-speed/run.sh [TARGET] [RUNS]   (TARGET: default the
#   machine's own default kernel; RUNS per build, default 2; about 2 minutes
#   a run with Debian's package, 40 s with the built one)
set -euo pipefail
. "$(dirname "$0")/../../tests/kernel/lib.sh"

target=${1:-$(release_default_target "$(machine_release)")}
runs=${2:-2}
turns=1000000000
kver=$(kernel_release_of_series "$target") || fail "no linux-headers for Linux $target"
image=$(kernel_image_dir "$kver")
built=$("$top/tests/kernel/build-bochs.sh" --cached) || fail "cannot build Bochs"

work=$(mktemp -d "${TMPDIR:-/tmp}/kes-bochs-speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,proc}
cp /bin/busybox "$root/bin/busybox"
gcc -static -O2 -Wall -Wextra -Werror -o "$root/bin/spin" "$(dirname "$0")/spin.c"
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
/bin/spin $turns
poweroff -f
INIT
pack_initrd "$root" "$work/initrd.gz"

# seconds_since START: wall seconds since START (date +%s.%N), to 0.01.
seconds_since() {
	echo "$(date +%s.%N) - $1" | bc -l | xargs printf '%.2f'
}

log "Bochs on Linux $kver: $runs runs each, the loop is $((2 * turns / 1000000))M instructions"
printf '%-8s %-28s %8s %8s %8s\n' build binary boot_s loop_mips total_s
for run in $(seq "$runs"); do
	for flavour in debian built; do
		serial=$work/serial-$flavour-$run.log
		start=$(date +%s.%N)
		KES_BOCHS=$flavour boot_limit=1200 boot_bochs "$image/boot/vmlinuz-$kver" "$work/initrd.gz" "$serial" "$work/$flavour-$run" &
		job=$!
		booted='' looped=''
		while kill -0 $job 2>/dev/null; do
			if [ -z "$booted" ] && grep -q KES-SPIN-START "$serial" 2>/dev/null; then
				booted=$(seconds_since "$start")
				loop_start=$(date +%s.%N)
			fi
			if [ -n "$booted" ] && [ -z "$looped" ] && grep -q KES-SPIN-END "$serial" 2>/dev/null; then
				looped=$(seconds_since "$loop_start")
			fi
			sleep 0.1
		done
		wait $job || true
		total=$(seconds_since "$start")
		[ -n "$looped" ] || { tail -n 20 "$serial" >&2; fail "$flavour run $run: the loop did not finish"; }
		printf '%-8s %-28s %8s %8.0f %8s\n' "$flavour" \
			"$([ "$flavour" = debian ] && dpkg-query -W -f 'bochs ${Version}' bochs || echo "bochs $(cat "$(dirname "$built")/version")")" \
			"$booted" "$(echo "2 * $turns / $looped / 1000000" | bc -l)" "$total"
	done
done
