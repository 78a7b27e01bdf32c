#!/bin/busybox sh
# init of the Linux guest (L2) that runs on the rebuilt KVM of the emulated
# host. kes.role= on the kernel command line says what it does.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp
export PATH=/usr/bin:/bin
role=$(sed -n 's/.*kes\.role=\([a-z]*\).*/\1/p' /proc/cmdline)
# A line of its own after the firmware's screen codes.
echo
# Warnings of the guest's own boot on an emulated CPU: reported, then cleared,
# so the check at the end sees only what happened while the tools ran.
dmesg -c | grep -E 'WARNING|BUG|Oops' | sed 's/^/# guest boot: /'

show() {
	echo "\$ $*"
	"$@"
}

json() {
	echo "L2-JSON-BEGIN $1"
	cat "$2"
	echo "L2-JSON-END $1"
}

case $role in
demo)
	show cpuid -1 -r -l 0x4FFFFFFF
	show cpuid -1 -r -l 0x4FFFFFFF
	show kvm-exitstats
	show kvm-exitstats run -- portio 2000
	;;
check)
	cpuid -1 -r -l 0x4FFFFFF0 | sed -n 's/^ *0x4ffffff0 0x00: /L2-SIGNATURE /p'
	cpuid -1 -r -l 0x4FFFFFFF | sed -n 's/^ *0x4fffffff 0x00: /L2-TOTALS /p'
	cpuid -1 -r -l 0x4FFFFFFF | sed -n 's/^ *0x4fffffff 0x00: /L2-TOTALS /p'
	kvm-exitstats --json >/tmp/report.json
	json report /tmp/report.json
	kvm-exitstats --json run -o /tmp/run.json -- portio 3000
	json run /tmp/run.json
	;;
window | load)
	# Wait for the host's "go" on the console, so both guests measure at once.
	echo L2-READY
	read -r _
	if [ "$role" = window ]; then
		kvm-exitstats --json run -o /tmp/window.json -- sleep 6
	else
		sleep 1
		kvm-exitstats --json run -o /tmp/window.json -- portio 5000
	fi
	json "$role" /tmp/window.json
	;;
boot)
	# The boot itself (tests/e2e/run.sh --boots); the recorded boot then
	# keeps its last vCPU busy with kes.busy=N port reads, and waits for
	# the host's "go" (it has read the vCPUs).
	busy=$(sed -n 's/.*kes\.busy=\([0-9]*\).*/\1/p' /proc/cmdline)
	if [ -n "$busy" ]; then
		taskset -c $(($(nproc) - 1)) portio "$busy"
		echo "L2-BUSY-DONE $(nproc) vCPUs"
		read -r _
	fi
	;;
agree)
	# The host reads its file between the guest's readings (agree.c).
	agree 1000
	echo "L2-AGREE-EXIT $?"
	;;
watch)
	kvm-exitstats watch --interval 1
	echo "L2-WATCH-EXIT $?"
	;;
esac
dmesg | grep -E 'WARNING|BUG|Oops|Call Trace' && echo "L2-DMESG-BAD"
echo L2-DONE
drain_console
poweroff -f
