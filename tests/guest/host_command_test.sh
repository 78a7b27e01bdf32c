#!/bin/bash
# The host commands as a user runs them, on a modelled host (fake /sys and
# /proc): each error's exit status and message, host record --wait from a
# VM's first exits to its end, and plot's SVG of the recording.
#
# usage: host_command_test.sh KVM_EXITSTATS_MODEL_BINARY
set -uo pipefail
binary=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/guest/fake_host.sh
. "$here/fake_host.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/kes-host-command.XXXXXX")
host=$work/host
grower=
trap '[ -z "$grower" ] || kill "$grower" 2>/dev/null; rm -rf "$work"' EXIT
failed=0

# expect STATUS TEXT SETTINGS ARGS...: the command exits STATUS and says TEXT.
expect() {
	local status=$1 text=$2 settings=$3 out got
	shift 3
	out=$(PATH=${run_path:-$PATH} KES_MODEL="host-root=$host $settings" "$binary" "$@" 2>&1)
	got=$?
	if [ "$got" = "$status" ] && grep -q -- "$text" <<<"$out"; then
		echo "ok - $* -> $status: $(head -n1 <<<"$out" | cut -c1-90)"
	else
		echo "not ok - $* -> $got, expected $status and '$text': $out"
		failed=1
	fi
}

fake_host "$host"
fake_vm "$host" 100 11 web1
fake_vm "$host" 200 12 db
fake_counts "$host" 100-11 3000 9000000
expect 0 "web1" "" host --window 0
expect 0 '"name": "db"' "" host --json
expect 0 "VM exits of VM web1, pid 100, 2 vCPUs (AMD SVM host" "" host --vm web1
expect 0 "npf (0x400)" "" host --vm 100-11
expect 0 'kvm_exitstats_vm_exits_total{vm="web1",pid="100",kvm_dir="100-11",numbering="svm",reason="io",code="123"} 1500' "" host --vm web1 --prometheus
# --vcpus: modules before 0.4.0 keep no per-vCPU part; 0.4.0's file has one.
expect 1 "keep no per-vCPU counts (kvm-exitstats-dkms before 0.4.0): upgrade kvm-exitstats-dkms" "" host --vm web1 --vcpus
expect 2 "--vcpus requires --vm" "" host --vcpus
cat >"$host/sys/kernel/debug/kvm/200-12/exitstats" <<'FILE'
kvm-exitstats-vm 1
statistics on
numbering svm
tsc_khz 2994000
vcpus 2
total 1100 9000000
reason 0x78 100 1000000
reason 0x7b 1000 8000000
buckets 36
hist 0x78 20000 13:90 15:10
hist 0x7b 9000 12:900 14:100
vcpu 0 1000 8000000
vcpu_reason 0 0x7b 1000 8000000
vcpu 1 100 1000000
vcpu_reason 1 0x78 100 1000000
FILE
expect 0 "    0          1,000  90.9%          8,000,000  88.9%  io 100%" "" host --vm db --vcpus
expect 0 "    1            100   9.1%          1,000,000  11.1%  hlt 100%" "" host --vm db --vcpus
expect 0 '"vcpu": 1' "" host --vm db --vcpus --json
expect 0 "io 89% p99 " "" host --window 0
expect 0 "" "" host --prometheus -o "$work/out.prom"
grep -q 'kvm_exitstats_vm_all_exits_total{vm="web1",pid="100",kvm_dir="100-11"} 3000' "$work/out.prom" &&
	! ls "$work"/out.prom.tmp 2>/dev/null && echo "ok - -o writes the textfile (and no temporary is left)" ||
	{ echo "not ok - -o FILE: $(cat "$work/out.prom")"; failed=1; }
expect 11 'no running VM is "nope"' "" host --vm nope
expect 2 "needs --vm PID|NAME or --wait NAME" "" host record -o "$work/x.csv"

mv "$host/sys/kernel/debug/kvm" "$host/kvm"
expect 6 "only root can read KVM's files in debugfs" "root=no" host
mv "$host/kvm" "$host/sys/kernel/debug/kvm"
echo "sysfs /sys sysfs rw 0 0" >"$host/proc/self/mounts"
expect 7 "mount -t debugfs none /sys/kernel/debug" "" host
echo off >"$host/sys/module/kvm/parameters/exitstats"
expect 10 "echo vm > /sys/module/kvm/parameters/exitstats" "" host --vm web1
rm "$host/sys/module/kvm/parameters/exitstats"
expect 9 "install kvm-exitstats-dkms" "" host
# Where kvm-exitstats-dkms is installed, its helper says why Secure Boot
# keeps its modules out, or nothing when it does not.
helper=$host/usr/share/kvm-exitstats-dkms/kvm-exitstats-dkms-helper
mkdir -p "$(dirname "$helper")"
printf '#!/bin/sh\n[ "$1" = secure-boot ] || exit 2\necho "kvm-exitstats: Secure Boot is on and the kernel does not trust the key"\nexit 1\n' >"$helper"
chmod +x "$helper"
expect 9 "^kvm-exitstats: Secure Boot is on and the kernel does not trust the key$" "" host
printf '#!/bin/sh\nexit 0\n' >"$helper"
expect 9 "install kvm-exitstats-dkms" "" host
rm -r "$host/usr"
rm -r "$host/sys/module/kvm"
expect 8 "modprobe kvm-intel" "" host watch

# A VM that ends under host watch --vm: exit 12.
fake_host "$host"
fake_vm "$host" 300 13 short
(sleep 0.5; rm -r "$host/sys/kernel/debug/kvm/300-13") &
expect 12 "the VM short (300-13) went away while it was read" "" host watch --vm short --interval 0.1

# host record --wait: a VM named "boot" appears after the command started,
# grows, and ends; the recording starts at its first sample and ends with it.
fake_host "$host"
fake_vm "$host" 400 14 boot
rm -r "$host/sys/kernel/debug/kvm/400-14"
(
	sleep 0.5
	mkdir -p "$host/sys/kernel/debug/kvm/400-14"
	for i in $(seq 0 40); do
		FAKE_LATENCY=yes fake_counts "$host" 400-14 $((i * i * 7)) $((i * i * 7000))
		sleep 0.02
	done
	rm -r "$host/sys/kernel/debug/kvm/400-14"
) &
grower=$!
expect 0 "until the VM ended" "" host record --wait boot -o "$work/boot.csv" --interval 0.05
wait "$grower" 2>/dev/null
grower=
head -n 3 "$work/boot.csv" | sed 's/^/# /'
last_total=$(grep ',total,' "$work/boot.csv" | tail -n1 | cut -d, -f7)
first_time=$(sed -n 2p "$work/boot.csv" | cut -d, -f1)
[ "$first_time" = 0.000 ] && [ "${last_total:-0}" -gt 0 ] &&
	echo "ok - the recording starts at 0.000 s and ends with $last_total exits" ||
	{ echo "not ok - recording: first time $first_time, last total $last_total"; failed=1; }

# series_sum SVG: the exits of the picture's series, as its key gives them.
series_sum() {
	grep -o '>[^<>]*: [0-9,]* exits<' "$1" | sed 's/.*: \([0-9,]*\) exits</\1/; s/,//g' | awk '{ s += $1 } END { print s }'
}

# plot: SVG whose series add up to the total; errors for bad input.
expect 0 "VM boot: " "" plot "$work/boot.csv" -o "$work/boot.svg"
sum=$(series_sum "$work/boot.svg")
title=$(grep -o ': [0-9,]* VM exits, ' "$work/boot.svg" | head -n1 | tr -dc 0-9)
[ -n "$sum" ] && [ "$sum" = "$title" ] && [ "$title" = "$last_total" ] &&
	echo "ok - the SVG's series add up to its title's total and the recording's ($sum)" ||
	{ echo "not ok - SVG series $sum, title $title, recording $last_total"; failed=1; }
expect 0 "" "" plot "$work/boot.csv" -o "$work/boot.png"
# plot --latency: a panel per reason, the costliest first, each titled with
# its exits as the recording's last histograms hold them.
grep -q '^time_s,.*,cycles,max_cycles,b0,.*,b35$' "$work/boot.csv" &&
	echo "ok - the recording of modules that keep histograms has max_cycles,b0..b35" ||
	{ echo "not ok - no latency columns: $(head -n1 "$work/boot.csv")"; failed=1; }
expect 0 "how long its VM exits took" "" plot --latency --top 2 "$work/boot.csv" -o "$work/latency.svg"
panels=$(grep -o '>[a-z]* (0x[0-9a-f]*): [0-9,]* exits, p50 [^<]*<' "$work/latency.svg" | sed 's/^>//; s/<$//')
echo "$panels" | sed 's/^/# panel: /'
io_exits=$(grep ',123,io,' "$work/boot.csv" | tail -n1 | cut -d, -f7 | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta')
[ "$(echo "$panels" | wc -l)" = 2 ] && echo "$panels" | head -n1 | grep -q "^io (0x7b): $io_exits exits, p50 .*, max 1.4µs$" &&
	[ "$(grep -c '<path\|<rect' "$work/latency.svg")" -gt 20 ] &&
	echo "ok - plot --latency draws the two costliest reasons, io first with its $io_exits exits" ||
	{ echo "not ok - latency panels: $panels (io $io_exits)"; failed=1; }
expect 0 "" "" plot --latency "$work/boot.csv" -o "$work/latency.png"
[ "$(head -c 4 "$work/latency.png" | tail -c 3)" = PNG ] && echo "ok - latency PNG" || { echo "not ok - no latency PNG"; failed=1; }
[ "$(head -c 4 "$work/boot.png" | tail -c 3)" = PNG ] && echo "ok - PNG" || { echo "not ok - no PNG"; failed=1; }
expect 2 "name the output FILE.svg or FILE.png" "" plot "$work/boot.csv" -o "$work/boot.pdf"
printf '%s\n' time_s,vm,numbering,tsc_khz,reason,name,exits,cycles 0.000,x,svm,1,123,io,5,5 \
	'0.000,x,svm,1,total,all reasons,5,5' 0.100,x,svm,1,123,io,4,5 '0.100,x,svm,1,total,all reasons,4,5' >"$work/bad.csv"
expect 1 "line 5: the counts go down at 0.1 s" "" plot "$work/bad.csv" -o "$work/bad.svg"
run_path=/nonexistent expect 13 "apt install gnuplot-nox" "" plot "$work/boot.csv" -o "$work/x.svg"
# The guest's `watch --csv` is a recording too.
KES_MODEL='numbering=svm exits=hlt:7:70 tick-exits=npf:10:100,io:5:50' "$binary" watch --csv --count 4 >"$work/guest.csv"
expect 0 "Recorded in the guest: 67 VM exits" "" plot "$work/guest.csv" -o "$work/guest.svg"
guest_total=$(grep ',total,' "$work/guest.csv" | tail -n1 | cut -d, -f7)
guest_sum=$(series_sum "$work/guest.svg")
[ "$guest_sum" = "$guest_total" ] && [ "$(grep -c ',total,' "$work/guest.csv")" = 5 ] &&
	echo "ok - watch --csv in a guest: 5 samples, plotted, the series add up ($guest_sum)" ||
	{ echo "not ok - watch --csv: total $guest_total, series $guest_sum"; cat "$work/guest.csv"; failed=1; }
expect 1 "--latency: the recording has no histograms" "" plot --latency "$work/guest.csv" -o "$work/none.svg"
exit $failed
