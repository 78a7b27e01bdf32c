#!/bin/busybox sh
# shellcheck shell=dash
# init of the emulated host on a debug kernel: loads the module set that the
# kernel command line names (kes.set=stock|ours|fault-NAME, under /lib/SET),
# runs the contract (l1test) for our unmodified modules, then the race
# stress, and prints the whole kernel log. tests/debug-kernel/run.sh judges
# the "KES-..." lines and the log's reports.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
set=$(sed -n 's/.*kes\.set=\([^ ]*\).*/\1/p' /proc/cmdline)
seconds=$(sed -n 's/.*kes\.seconds=\([0-9]*\).*/\1/p' /proc/cmdline)
vendor=$(cat /etc/kes-vendor)

echo KES-BEGIN
echo "KES-SET $set"
insmod /lib/irqbypass.ko || echo "KES-FAIL insmod irqbypass"
for m in kvm "kvm-$vendor"; do
	insmod "/lib/$set/$m.ko" || echo "KES-FAIL insmod $set/$m"
done
echo "KES-KVM-VERSION $(cat /sys/module/kvm/version 2>/dev/null || echo stock)"
if [ "$set" = ours ]; then
	start=$(date +%s)
	/bin/l1test "$(cat /etc/kes-arch)" 2000 $(cat /etc/kes-reasons) >/tmp/l1test.out 2>&1
	echo "KES-CONTRACT-RC $? $(($(date +%s) - start))"
	sed 's/^/# contract: /' /tmp/l1test.out
fi
start=$(date +%s)
/bin/race_stress "$seconds" >/tmp/stress.out 2>&1
echo "KES-STRESS-RC $? $(($(date +%s) - start))"
sed 's/^/# stress: /' /tmp/stress.out
for m in "kvm-$vendor" kvm; do
	rmmod "$m" || echo "KES-FAIL rmmod $m"
done
echo KES-DMESG-BEGIN
dmesg
echo KES-DMESG-END
echo KES-END
# The whole log is long: under Bochs, powering off at once cut its end.
/bin/drain_console
poweroff -f
