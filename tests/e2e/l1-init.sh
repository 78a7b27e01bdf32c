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
# The host's view needs debugfs; without it, the command says so.
kvm-exitstats host >/tmp/no-debugfs.out 2>&1
echo "KES-HOST-NO-DEBUGFS-EXIT $? $(cat /tmp/no-debugfs.out)"
mount -t debugfs none /sys/kernel/debug
# As under Secure Boot: lockdown refuses debugfs files that can be written
# (KVM's own mmu_rmaps_stat), and the host's file must stay readable.
mount -t securityfs securityfs /sys/kernel/security
echo integrity >/sys/kernel/security/lockdown
echo "KES-LOCKDOWN $(cat /sys/kernel/security/lockdown)"
cat /sys/kernel/debug/kvm/*/mmu_rmaps_stat >/dev/null 2>/tmp/rmaps.err
echo "KES-LOCKDOWN-RMAPS $? $(head -n 1 /tmp/rmaps.err)"

# l2 ROLE: one guest on /dev/kvm (l2_cpus vCPUs, default 1), its console
# on stdin and stdout. Called only in a subshell (in the background or a
# pipeline), which becomes the QEMU process: $! is QEMU's pid.
l2() {
	exec qemu-system-x86_64 -name "guest-$1" -accel kvm -cpu host -m 256M -smp "${l2_cpus:-1}" -nic none -nographic \
		-no-reboot -L /qemu -kernel /l2/vmlinuz -initrd /l2/initrd.gz \
		-append "console=ttyS0 quiet panic=-1 $l2_append kes.role=$1"
}

# alive PID: the guest's QEMU has not ended (a child that ended but was not
# waited for yet is a zombie, and kill -0 still finds it).
alive() {
	stat=
	{ read -r stat </proc/$1/stat; } 2>/dev/null
	case $stat in
	'' | *') Z '*) return 1 ;;
	esac
}

# wait_for TEXT FILE PID [PARTNER]: until the guest's console shows TEXT;
# fails when its QEMU (or the partner guest's) ends first or after $patience
# seconds, and says why in $why. A guest that ran to its end without TEXT
# failed on its own, not by the emulator: $retry becomes "no".
wait_for() {
	i=0
	name=$(basename "$2" .out)
	while ! grep -q "$1" "$2" 2>/dev/null; do
		if [ -n "$4" ] && ! alive "$4"; then
			why="the guest started with guest $name ended before $name showed $1"
			return 1
		fi
		if ! alive "$3"; then
			grep -q "$1" "$2" && return 0
			if grep -q L2-DONE "$2"; then
				why="guest $name ran to its end without showing $1"
				retry=no
			else
				why="guest $name: its QEMU ended before the guest showed $1 (the guest reset)"
			fi
			return 1
		fi
		i=$((i + 1))
		[ $i -gt $patience ] && { why="guest $name did not show $1 within $patience s"; return 1; }
		sleep 1
	done
}

# end_guests PID...: a guest powers itself off after L2-DONE; one that has
# not after 10 s, or that failed, is killed.
end_guests() {
	i=0
	while [ $i -lt 10 ]; do
		running=
		for p in "$@"; do
			alive $p && running="$running $p"
		done
		[ -z "$running" ] && break
		i=$((i + 1))
		sleep 1
	done
	[ -n "$running" ] && kill -KILL $running 2>/dev/null
	for p in "$@"; do
		wait $p
	done
}

# show_guest NAME FILE [LINES]: what a guest's console showed, for a failure
# report.
show_guest() {
	echo "# last lines of guest $1:"
	tail -n "${3:-15}" "$2" | prefix "#   "
}

# prefix TEXT: each line of stdin after TEXT, the last one ended too (a
# guest that was stopped may not have ended its last line).
prefix() {
	awk -v text="$1" '{ print text $0 }'
}

# show_threads PID: what each thread of a guest's QEMU is doing (state,
# user and system ticks, where it sleeps in the kernel), twice a second
# apart, for a guest that stopped making progress.
show_threads() {
	alive $1 || return 0
	for round in 1 2; do
		for t in /proc/$1/task/*; do
			echo "#   $(cat $t/comm): $(sed 's/.*) //' $t/stat | cut -d' ' -f1,12,13) $(cat $t/wchan)"
			[ $round = 2 ] && head -n 6 $t/stack | sed 's/^/#     /'
		done 2>/dev/null
		[ $round = 1 ] && sleep 1
	done
}

# Under QEMU's TCG a nested guest sometimes resets early in its boot or stops
# making progress, on Debian's own kvm-amd as on ours (tests/e2e/run.sh
# --boots N --pair [--stock], docs/testing.md). A step whose guest does so is
# run again, at most $attempts times in all, and each failed attempt is shown.
attempts=3
retry=yes

# another_attempt STEP N: after failed attempt N of STEP, whether to try
# again; the last failure is a KES-FAIL.
another_attempt() {
	if [ "$2" -lt $attempts ] && [ "$retry" = yes ]; then
		echo "# $1, attempt $2 of $attempts: $why; trying again"
		return 0
	fi
	echo "KES-FAIL $1, attempt $2: $why"
	retry=yes
	return 1
}

# retried WHAT NAME OUT ATTEMPT: runs the function ATTEMPT again when it
# fails, showing guest NAME's console OUT after each failure.
retried() {
	n=1
	until $4; do
		another_attempt "$1" $n || break
		show_guest "$2" "$3" 100
		n=$((n + 1))
	done
}

# guest ROLE OUT: one guest from boot to L2-DONE, its console in OUT.
guest() {
	l2 "$1" </dev/null >"$2" 2>&1 &
	g=$!
	wait_for L2-DONE "$2" $g || { show_threads $g; end_guests $g; return 1; }
	end_guests $g
}

# step NAME ROLE: runs guest ROLE, again when it fails, and shows its
# console with [NAME] before each line.
step() {
	n=1
	until guest "$2" /tmp/$2.out; do
		another_attempt "the $2 guest" $n || break
		show_guest "$2" /tmp/$2.out 100
		n=$((n + 1))
	done
	prefix "[$1] " </tmp/$2.out
}

# pair_attempt: two guests at once, "window" measures 6 s of its own VM
# while "load" does 5000 port reads.
pair_attempt() {
	rm -f /tmp/A.in /tmp/B.in /tmp/A.out /tmp/B.out
	mkfifo /tmp/A.in /tmp/B.in
	l2 window </tmp/A.in >/tmp/A.out 2>&1 &
	a=$!
	l2 load </tmp/B.in >/tmp/B.out 2>&1 &
	b=$!
	exec 3>/tmp/A.in 4>/tmp/B.in
	ok=no
	# A guest whose partner ended early may stay halted for good
	# (docs/testing.md): no use waiting for it.
	if wait_for L2-READY /tmp/A.out $a $b && wait_for L2-READY /tmp/B.out $b $a; then
		echo go >&3
		echo go >&4
		[ "$1" = vm ] && host_view_of_pair
		wait_for L2-DONE /tmp/A.out $a && wait_for L2-DONE /tmp/B.out $b && ok=yes
	fi
	[ $ok = yes ] || { show_threads $a; show_threads $b; }
	end_guests $a $b
	exec 3>&- 4>&-
	[ $ok = yes ]
}

# scope_pair SCOPE: the pair under kvm.exitstats=SCOPE; under "vm" the
# window must not see the other guest's port reads, under "host" it must.
scope_pair() {
	echo "$1" >$param
	n=1
	until pair_attempt "$1"; do
		another_attempt "the guest pair, scope $1" $n || break
		show_guest A /tmp/A.out 100
		show_guest B /tmp/B.out 100
		n=$((n + 1))
	done
	prefix "[guest A, scope $1] " </tmp/A.out
	prefix "[guest B, scope $1] " </tmp/B.out
}

# watch_attempt: a guest runs "kvm-exitstats watch" and the host switches
# the statistics off under it.
watch_attempt() {
	echo vm >$param
	l2 watch </dev/null >/tmp/watch.out 2>&1 &
	w=$!
	ok=no
	if wait_for "exits/s" /tmp/watch.out $w; then
		sleep 2
		echo "# switching the statistics off under the running guest"
		echo off >$param
		kvm-exitstats host >/tmp/host-off.out 2>&1
		echo "KES-HOST-OFF-EXIT $? $(head -n 1 /tmp/host-off.out)"
		echo "KES-FILE-OFF $(cat /sys/kernel/debug/kvm/*/exitstats | sort -u | tr '\n' ' ')"
		wait_for L2-DONE /tmp/watch.out $w && ok=yes
	fi
	[ $ok = yes ] || show_threads $w
	end_guests $w
	[ $ok = yes ]
}

# block NAME FILE: a file on the console between markers, for check.py.
block() {
	echo "KES-BLOCK-BEGIN $1"
	cat "$2"
	echo "KES-BLOCK-END $1"
}

# host_view_of_pair: while guest B of the pair does its port reads, the
# host lists both guests by name (table, JSON) and writes Prometheus text.
host_view_of_pair() {
	sleep 2
	kvm-exitstats host --window 2 >/tmp/host-table.out 2>&1
	echo "KES-HOST-TABLE-EXIT $?"
	prefix "[host] " </tmp/host-table.out
	kvm-exitstats host --json --window 0 >/tmp/host-list.json 2>&1
	block host-list /tmp/host-list.json
	kvm-exitstats host --prometheus >/tmp/host.prom 2>&1
	block host-prometheus /tmp/host.prom
	# What a refresh costs here, with these VMs (a figure, not a check).
	vms=$(ls -d /sys/kernel/debug/kvm/*-*/exitstats | wc -l)
	time kvm-exitstats host watch --interval 0.05 --count 40 >/dev/null 2>/tmp/cost.out
	echo "KES-HOST-COST vms=$vms refreshes=40 $(grep -v '^real' /tmp/cost.out | tr '\n\t' '  ')"
}

# agree_attempt: the host reads the "agree" guest's file between the
# guest's own readings of its CPUID exits (agree.c).
agree_attempt() {
	rm -f /tmp/agree.in
	mkfifo /tmp/agree.in
	l2 agree </tmp/agree.in >/tmp/agree.out 2>&1 &
	g=$!
	exec 3>/tmp/agree.in
	ok=no
	if wait_for "L2-AGREE 1" /tmp/agree.out $g; then
		kvm-exitstats host --vm guest-agree --json >/tmp/agree-1.json 2>&1
		echo go >&3
		if wait_for "L2-AGREE 2" /tmp/agree.out $g; then
			kvm-exitstats host --vm guest-agree --json >/tmp/agree-2.json 2>&1
			echo go >&3
			wait_for L2-DONE /tmp/agree.out $g && ok=yes
		fi
	fi
	[ $ok = yes ] || show_threads $g
	end_guests $g
	exec 3>&-
	[ $ok = yes ]
}

# record_attempt: "host record --wait" catches a guest's boot from its first
# exits and ends with the guest; a "host watch" of that guest ends with the
# VM gone, and the host then has no such VM. The guest has two vCPUs where
# the emulated host has two CPUs, and after its boot keeps its last vCPU
# busy with port I/O; "host --vm --vcpus" then shows them side by side.
record_attempt() {
	rm -f /tmp/boot.csv /tmp/record.out /tmp/host-watch.out /tmp/vcpus.json /tmp/boot.in
	kvm-exitstats host record --wait guest-boot -o /tmp/boot.csv >/tmp/record.out 2>&1 &
	r=$!
	sleep 1
	mkfifo /tmp/boot.in
	cpus=$(($(nproc) >= 2 ? 2 : 1))
	(l2_cpus=$cpus l2_append="$l2_append kes.busy=3000" && l2 boot) </tmp/boot.in >/tmp/boot.out 2>&1 &
	g=$!
	exec 4>/tmp/boot.in
	i=0
	until kvm-exitstats host --vm guest-boot --window 0 >/dev/null 2>&1 || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kvm-exitstats host watch --vm guest-boot --interval 0.5 >/tmp/host-watch.out 2>&1 &
	hw=$!
	ok=no
	if wait_for L2-BUSY-DONE /tmp/boot.out $g; then
		kvm-exitstats host --vm guest-boot --vcpus --json >/tmp/vcpus.json 2>&1
		echo go >&4
		wait_for L2-DONE /tmp/boot.out $g && ok=yes
	fi
	[ $ok = yes ] || show_threads $g
	end_guests $g
	exec 4>&-
	# Both end with the VM; should they not, they are stopped here.
	(sleep 10; kill $r $hw) 2>/dev/null &
	stopper=$!
	wait $r
	record_status=$?
	wait $hw
	watch_status=$?
	kill $stopper 2>/dev/null
	kvm-exitstats host --vm guest-boot >/tmp/gone.out 2>&1
	gone_status=$?
	[ $ok = yes ] || return 1
	echo "KES-RECORD-EXIT $record_status $(tail -n 1 /tmp/record.out)"
	echo "KES-HOST-WATCH-EXIT $watch_status $(tail -n 1 /tmp/host-watch.out)"
	echo "KES-HOST-GONE-EXIT $gone_status $(tail -n 1 /tmp/gone.out)"
	prefix "[host watch] " </tmp/host-watch.out | head -n 5
	echo "KES-BOOT-VCPUS $cpus"
	block boot-vcpus /tmp/vcpus.json
	echo "KES-BLOCK-BEGIN boot-csv"
	gzip -c /tmp/boot.csv | base64
	echo "KES-BLOCK-END boot-csv"
}

if [ "$mode" = demo ]; then
	step guest demo
elif [ "$mode" = boots ]; then
	# Boots a guest (or two at once with kes.pair=yes) again and again, with
	# no second attempts: how often the emulated stack fails them.
	n=$(sed -n 's/.*kes\.boots=\([0-9]*\).*/\1/p' /proc/cmdline)
	guests=A
	grep -q 'kes\.pair=yes' /proc/cmdline && guests="A B"
	# A guest that stops is reported with its registers (QEMU's monitor,
	# Ctrl-A c on its console); without KASLR, RIP matches System.map.
	l2_append=nokaslr
	dmesg -c >/dev/null
	i=0
	while [ $i -lt "$n" ]; do
		i=$((i + 1))
		pids=
		for g in $guests; do
			rm -f /tmp/boot-$g.in
			mkfifo /tmp/boot-$g.in
			l2 boot </tmp/boot-$g.in >/tmp/boot-$g.out 2>&1 &
			pids="$pids $!"
		done
		exec 5>/tmp/boot-A.in
		[ "$guests" = A ] || exec 6>/tmp/boot-B.in
		(sleep "$patience" && for g in $guests; do
			printf '\001cinfo registers\n' >/tmp/boot-$g.in
		done && sleep 2 && for p in $pids; do
			echo "# guest QEMU $p still running after $patience s:"
			show_threads $p
		done && kill $pids) 2>/dev/null &
		watchdog=$!
		wait $pids
		kill $watchdog 2>/dev/null
		exec 5>&- 6>&-
		for g in $guests; do
			out=/tmp/boot-$g.out
			if grep -q "L2-DONE" $out && ! grep -q "Oops\|BUG:\|Kernel panic" $out; then
				echo "KES-BOOT $i $g ok $(grep -c 'guest boot: .*WARNING' $out) boot warnings"
			else
				echo "KES-BOOT $i $g failed: $(grep -m1 'Oops\|BUG:\|Kernel panic\|RIP:' $out)"
				show_guest "$g" $out 60
			fi
		done
		dmesg -c | grep -v "Unhandled WRMSR" | sed "s/^/# host log during boot $i: /"
	done
else
	step guest check
	scope_pair vm
	retried "the agree guest" agree /tmp/agree.out agree_attempt
	prefix "[guest, agree] " </tmp/agree.out
	block agree-1 /tmp/agree-1.json
	block agree-2 /tmp/agree-2.json
	retried "the recorded boot" boot /tmp/boot.out record_attempt
	scope_pair host
	# Switching the statistics off live-patches the code every VM exit
	# runs (a static key). Under QEMU's multi-threaded TCG, another emulated
	# CPU running that code can meet it half patched (see idle_vm.c), so the
	# guest and the switch share CPU 0 from here on.
	taskset -p -c 0 $$ >/dev/null
	retried "the watch guest" watch /tmp/watch.out watch_attempt
	prefix "[guest, watch] " </tmp/watch.out
	echo vm >$param
fi

if [ -e /etc/kes-keep-reports ]; then
	# A debug kernel: its whole log, for tests/debug-kernel/reports.py.
	echo KES-DMESG-BEGIN
	dmesg
	echo KES-DMESG-END
else
	dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|general protection' && echo "KES-DMESG-BAD"
fi
echo KES-END
drain_console
poweroff -f
