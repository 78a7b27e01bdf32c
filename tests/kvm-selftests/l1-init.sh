#!/bin/busybox sh
# init of the emulated host that runs the kernel's KVM selftests on the kvm
# and kvm-amd in /lib/kes. Kernel command line:
#   kes.passes=stock|vm|host  a pass over all tests (a comma-separated list
#                             for several); vm and host set kvm.exitstats first
#   kes.limit=SECONDS         per-test time limit
#   kes.resume=PASS:N         start there (after the emulated host died)
#   kes.inject=FAULT[:TEST],...  faults for tests/kvm-selftests/inject-test.sh:
#                             boot-panic (before loading the modules), or in
#                             TEST panic, reset (the machine resets with no
#                             word in the log, as QEMU's TCG sometimes does),
#                             warn (a WARNING line in the kernel log) or fail
#                             (the test is not run; it fails)
# Prints KES-START and KES-RESULT lines that tests/kvm-selftests/run.sh reads.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/shm /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
export PATH=/bin HOME=/tmp
# The runner and the idle VM must survive the memory-hungry tests.
echo -1000 >/proc/self/oom_score_adj

arg() {
	sed -n "s/.*kes\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline
}
passes=$(arg passes | tr , ' ')
limit=$(arg limit)
resume=$(arg resume)
inject=",$(arg inject),"

# injected FAULT [TEST]: whether the runner asked for FAULT (in TEST).
injected() {
	case $inject in *",$1${2:+:$2},"*) return 0 ;; esac
	return 1
}

# kernel_log PASS NAME: the kernel's report lines since the last call, for
# compare.py; on a debug kernel (/etc/kes-keep-reports) also the whole log
# when it has a report, whose frames tests/debug-kernel/reports.py reads.
kernel_log() {
	dmesg -c >/tmp/kernel.log
	reports='WARNING:|BUG:|Oops|general protection|Kernel panic'
	grep -E "$reports" /tmp/kernel.log | sed "s/^/KES-DMESG $1 $2: /"
	if [ -e /etc/kes-keep-reports ] && grep -qE "$reports" /tmp/kernel.log; then
		sed "s/^/KES-KLOG $1 $2: /" /tmp/kernel.log
	fi
}

echo KES-BEGIN
injected boot-panic && echo c >/proc/sysrq-trigger
loaded=pass
for m in $(cat /etc/kes-modules); do
	insmod "/lib/kes/$m.ko" || loaded=fail
done
# KVM's run-time static keys held on (see idle_vm.c).
/bin/idle_vm || loaded=fail
# Loading the modules counts as a test of its own: its kernel log is
# compared like a test's.
echo "KES-RESULT ${passes%% *} (loading-the-modules) $loaded 0"
kernel_log "${passes%% *}" "(loading-the-modules)"

# run_test PASS NAME PATH [ARGS]: one test in a session of its own, killed
# with everything it started when it is done or over the time limit.
run_test() {
	rm -rf /tmp/run /tmp/timed-out
	mkdir /tmp/run
	cd /tmp/run || return
	injected panic "$2" && echo c >/proc/sysrq-trigger
	injected reset "$2" && echo b >/proc/sysrq-trigger
	program=/st/$3
	injected fail "$2" && program=/bin/false
	start=$(cut -d' ' -f1 /proc/uptime)
	# The test, unlike its runner, is fair game for the OOM killer.
	# ARGS are words without quotes (run.sh's emulated_args).
	# shellcheck disable=SC2086
	setsid sh -c 'echo 0 >/proc/self/oom_score_adj && exec "$0" "$@"' "$program" $4 >/tmp/out 2>&1 </dev/null &
	pid=$!
	test_limit=$(awk -v n="$2" '$1 == n { print $2 }' /st/limits 2>/dev/null)
	setsid sh -c "sleep ${test_limit:-$limit}; touch /tmp/timed-out; kill -9 -$pid" 2>/dev/null &
	watchdog=$!
	wait $pid
	rc=$?
	kill -9 -$watchdog 2>/dev/null
	kill -9 -$pid 2>/dev/null
	cd /
	seconds=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
	if [ -e /tmp/timed-out ]; then
		result=timeout
	elif [ $rc = 0 ]; then
		result=pass
	elif [ $rc = 4 ]; then
		result=skip
	else
		result=fail
	fi
	echo "KES-RESULT $1 $2 $result $seconds"
	if [ $result = fail ] || [ $result = timeout ]; then
		grep -v '^ok \|^# *$' /tmp/out | tail -n 4 | sed "s/^/KES-OUTPUT $1 $2: /"
	fi
	injected warn "$2" && echo "WARNING: injected by the runner in $2" >/dev/kmsg
	kernel_log "$1" "$2"
}

started=yes
[ -n "$resume" ] && started=no
for pass in $passes; do
	[ "$pass" = stock ] || echo "$pass" >/sys/module/kvm/parameters/exitstats
	i=0
	while read -r name path args; do
		i=$((i + 1))
		[ "$pass" = "${resume%%:*}" ] && [ $i -ge "${resume##*:}" ] && started=yes
		[ $started = yes ] || continue
		echo "KES-START $pass:$i $name"
		run_test "$pass" "$name" "$path" "$args"
	done </st/list
	[ "$pass" = "${resume%%:*}" ] && started=yes
done
echo KES-END
/bin/drain_console
poweroff -f
