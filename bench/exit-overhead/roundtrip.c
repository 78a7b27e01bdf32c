// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs in the emulated host: times CPUID round trips of a real-mode L2
 * guest (cpuid in a loop, each one a VM exit) with the host TSC.
 *
 * usage: roundtrip LABEL [ROUND_TRIPS] [REPETITIONS]
 * prints "RESULT LABEL <cycles per round trip, best repetition>", and where
 * kvm-exitstats counts the VM's exits, "COUNTED LABEL <host cycles it
 * counted per CPUID exit>" from the VM's file in debugfs.
 */
#include <x86intrin.h>

#include "l2vm.h"

/* The VM's CPUID exits and their cycles, as its exitstats file says. */
static void print_counted(const char *label, const struct vm *vm)
{
	const char *cpuid = getenv("CPUID_REASON");
	unsigned long long exits, cycles;
	char path[96], line[256], code[32];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/exitstats", getpid(), vm->fd);
	f = fopen(path, "r");
	if (!f || !cpuid)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "reason %31s %llu %llu", code, &exits, &cycles) == 3 &&
		    !strcmp(code, cpuid) && exits)
			printf("COUNTED %s %.1f\n", label, (double)cycles / exits);
	fclose(f);
}

int main(int argc, char **argv)
{
	unsigned int count = argc > 2 ? strtoul(argv[2], NULL, 0) : 20000;
	unsigned int reps = argc > 3 ? strtoul(argv[3], NULL, 0) : 5;
	double best = 0;
	struct vm idle, vm;
	unsigned int r;

	if (argc < 2 || !count || !reps) {
		fprintf(stderr, "usage: %s LABEL [ROUND_TRIPS] [REPETITIONS]\n", argv[0]);
		return 2;
	}
	kvm_open();
	vm_create(&idle, 1, NULL);
	vm_create(&vm, 1, NULL);
	cpuid_loop(&vm, 0, 1000);
	for (r = 0; r < reps; r++) {
		uint64_t start = __rdtsc();
		double per;

		cpuid_loop(&vm, 0, count);
		per = (double)(__rdtsc() - start) / count;
		printf("# %s repetition %u: %.1f cycles per round trip\n", argv[1], r + 1, per);
		if (!r || per < best)
			best = per;
	}
	printf("RESULT %s %.1f\n", argv[1], best);
	print_counted(argv[1], &vm);
	vm_destroy(&vm);
	vm_destroy(&idle);
	return 0;
}
