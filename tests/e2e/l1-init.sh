#!/bin/busybox sh
# init of the emulated host (L1): loads the rebuilt KVM and runs Linux guests
# (L2) on it with QEMU. kes.mode=demo shows one guest's session; kes.mode=test
# also runs two guests at once under each scope and switches the statistics
# off under a running guest.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /dev/shm
mode=$(sed -n 's/.*kes\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
# How long a guest may take to boot (longer in Bochs than in QEMU).
patience=$(sed -n 's/.*kes\.patience=\([0-9]*\).*/\1/p' /proc/cmdline)
patience=${patience:-180}
param=/sys/module/kvm/parameters/exitstats

echo KES-BEGIN
dmesg -c | grep -E 'WARNING|BUG|Oops' | sed 's/^/# before KVM was loaded: /'
for m in $(cat /etc/kes-modules); do
	insmod "/lib/kes/$m.ko" || echo "KES-FAIL insmod $m"
done
echo "# emulated host: Linux $(uname -r), kvm $(cat /sys/module/kvm/version), exitstats=$(cat $param)"
idle_vm || echo "KES-FAIL idle_vm"

# l2 ROLE: one guest on /dev/kvm, its console on stdin and stdout.
l2() {
	qemu-system-x86_64 -accel kvm -cpu host -m 256M -smp 1 -nic none -nographic \
		-no-reboot -L /qemu -kernel /l2/vmlinuz -initrd /l2/initrd.gz \
		-append "console=ttyS0 quiet panic=-1 kes.role=$1"
}

# wait_for TEXT FILE: until the guest's console shows TEXT (at most
# $patience seconds).
wait_for() {
	i=0
	while ! grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $((patience * 10)) ] && { echo "KES-FAIL timed out waiting for $1 in $2"; return 1; }
		sleep 0.1
	done
}

# show_guest NAME FILE: what a guest's console showed, for a failure report.
show_guest() {
	echo "# last lines of guest $1:"
	tail -n 15 "$2" | sed "s/^/#   /"
}

# Two guests at once: "window" measures 6 s of its own VM while "load" does
# 5000 port reads; under scope vm the window must not see them.
scope_pair() {
	echo "$1" >$param
	rm -f /tmp/a.in /tmp/b.in /tmp/a.out /tmp/b.out
	mkfifo /tmp/a.in /tmp/b.in
	l2 window </tmp/a.in >/tmp/a.out 2>&1 &
	a=$!
	l2 load </tmp/b.in >/tmp/b.out 2>&1 &
	b=$!
	exec 3>/tmp/a.in 4>/tmp/b.in
	# A guest that hangs must not stop the run: both are killed in the end.
	(sleep $((patience + 60)) && echo "KES-FAIL scope $1: guests still running after $((patience + 60)) s" &&
	 show_guest A /tmp/a.out && show_guest B /tmp/b.out && kill $a $b) 2>/dev/null &
	watchdog=$!
	if wait_for L2-READY /tmp/a.out && wait_for L2-READY /tmp/b.out; then
		echo go >&3
		echo go >&4
	else
		show_guest A /tmp/a.out
		show_guest B /tmp/b.out
		kill $a $b
	fi
	wait $a
	wait $b
	kill $watchdog 2>/dev/null
	exec 3>&- 4>&-
	sed "s/^/[guest A, scope $1] /" /tmp/a.out
	sed "s/^/[guest B, scope $1] /" /tmp/b.out
}

if [ "$mode" = demo ]; then
	l2 demo </dev/null 2>&1 | sed 's/^/[guest] /'
elif [ "$mode" = boots ]; then
	# Boots a guest again and again: how often the emulated stack fails it.
	n=$(sed -n 's/.*kes\.boots=\([0-9]*\).*/\1/p' /proc/cmdline)
	i=0
	while [ $i -lt "$n" ]; do
		i=$((i + 1))
		l2 boot </dev/null >/tmp/boot.out 2>&1
		if grep -q "L2-DONE" /tmp/boot.out && ! grep -q "Oops\|BUG:\|Kernel panic" /tmp/boot.out; then
			echo "KES-BOOT $i ok $(grep -c 'guest boot: .*WARNING' /tmp/boot.out) boot warnings"
		else
			echo "KES-BOOT $i failed: $(grep -m1 'Oops\|BUG:\|Kernel panic\|RIP:' /tmp/boot.out)"
		fi
	done
else
	l2 check </dev/null 2>&1 | sed 's/^/[guest] /'
	scope_pair vm
	scope_pair host
	echo vm >$param
	# Switching the statistics off live-patches the code every VM exit
	# runs (a static key). Under QEMU's multi-threaded TCG, another emulated
	# CPU running that code can meet it half patched (see idle_vm.c), so the
	# guest and the switch share CPU 0 from here on.
	taskset -p -c 0 $$ >/dev/null
	l2 watch </dev/null >/tmp/w.out 2>&1 &
	w=$!
	wait_for "exits/s" /tmp/w.out && sleep 2
	echo "# switching the statistics off under the running guest"
	echo off >$param
	wait $w
	sed 's/^/[guest, watch] /' /tmp/w.out
	echo vm >$param
fi

dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|general protection' && echo "KES-DMESG-BAD"
echo KES-END
drain_console
poweroff -f
