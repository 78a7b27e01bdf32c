# A host's /sys and /proc as kvm-exitstats' KVM shows them, in a directory,
# for the host commands of kvm-exitstats-model (KES_MODEL host-root=DIR).
# Sourced by the tests and by bench/host-command.

# fake_host DIR: KVM loaded with the statistics on, debugfs mounted, no VM.
fake_host() {
	rm -rf "$1"
	mkdir -p "$1/sys/module/kvm/parameters" "$1/sys/kernel/debug/kvm" "$1/proc/self"
	echo vm >"$1/sys/module/kvm/parameters/exitstats"
	echo "debugfs /sys/kernel/debug debugfs rw,relatime 0 0" >"$1/proc/self/mounts"
}

# fake_vm DIR PID FD NAME: a QEMU process PID with -name NAME and its VM.
fake_vm() {
	mkdir -p "$1/sys/kernel/debug/kvm/$2-$3" "$1/proc/$2"
	printf 'qemu-system-x86_64\0-name\0guest=%s,debug-threads=on\0-m\0' "$4" >"$1/proc/$2/cmdline"
	fake_counts "$1" "$2-$3" 0 0
}

# fake_hist REASON EXITS: a histogram line for a reason: nine in ten exits
# in bucket 10 (512-1023 cycles), the rest in bucket 13 (4096-8191), so
# that the buckets grow with the exits.
fake_hist() {
	local slow=$(($2 / 10))
	if [ "$slow" -gt 0 ]; then
		printf 'hist %s 4097 10:%d 13:%d\n' "$1" $(($2 - slow)) "$slow"
	else
		printf 'hist %s 1000 10:%d\n' "$1" "$2"
	fi
}

# fake_counts DIR PID-FD EXITS CYCLES: the VM's file, its exits split over
# three SVM reasons (io, npf, hlt); replaced at once, as a reader sees KVM's.
# With FAKE_LATENCY=yes, the reasons' histograms too (fake_hist).
fake_counts() {
	local file=$1/sys/kernel/debug/kvm/$2/exitstats io npf hlt
	io=$(($3 / 2)) npf=$(($3 / 3))
	hlt=$(($3 - io - npf))
	{
		printf 'kvm-exitstats-vm 1\nstatistics on\nnumbering svm\ntsc_khz 2994000\nvcpus 2\n'
		printf 'total %d %d\n' "$3" "$4"
		[ "$hlt" -gt 0 ] && printf 'reason 0x78 %d %d\n' "$hlt" $(($4 - $4 / 2 - $4 / 3))
		[ "$io" -gt 0 ] && printf 'reason 0x7b %d %d\n' "$io" $(($4 / 2))
		[ "$npf" -gt 0 ] && printf 'reason 0x400 %d %d\n' "$npf" $(($4 / 3))
		if [ "${FAKE_LATENCY:-}" = yes ]; then
			echo "buckets 36"
			[ "$hlt" -gt 0 ] && fake_hist 0x78 "$hlt"
			[ "$io" -gt 0 ] && fake_hist 0x7b "$io"
			[ "$npf" -gt 0 ] && fake_hist 0x400 "$npf"
		fi
		true
	} >"$file.new"
	mv "$file.new" "$file"
}
