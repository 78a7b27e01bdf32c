// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's half of the host/guest agreement check (tests/e2e): reads its
 * CPUID exits and their cycles through the leaves, prints them, and waits
 * for the host to read its file; then executes N CPUIDs and does it again.
 * Nothing else in the guest executes CPUID meanwhile, so the host's figures
 * for the CPUID reason must be exactly the guest's plus its own readings.
 *
 * usage: agree N
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LEAF_INFO 0x4FFFFFF1u
#define LEAF_REASON_EXITS64 0x4FFFFFF3u
#define LEAF_REASON_CYCLES 0x4FFFFFFCu
#define NUMBERING_VMX 1
#define VMX_CPUID 10
#define SVM_CPUID 0x72

static void wait_for_host(void)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "agree: no word from the host\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned int a, b, c, d, reason, round;
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : -1;
	uint64_t exits, cycles;

	if (n < 0) {
		fprintf(stderr, "usage: agree N\n");
		return 2;
	}
	__cpuid(LEAF_INFO, a, b, c, d);
	reason = a == NUMBERING_VMX ? VMX_CPUID : SVM_CPUID;
	for (round = 1; round <= 2; round++) {
		if (round == 2)
			for (long i = 0; i < n; i++)
				__cpuid(0, a, b, c, d);
		__cpuid_count(LEAF_REASON_EXITS64, reason, a, b, c, d);
		exits = (uint64_t)b << 32 | a;
		__cpuid_count(LEAF_REASON_CYCLES, reason, a, b, c, d);
		cycles = (uint64_t)b << 32 | c;
		printf("L2-AGREE %u reason=%u exits=%llu cycles=%llu\n", round, reason,
		       (unsigned long long)exits, (unsigned long long)cycles);
		fflush(stdout);
		wait_for_host();
	}
	return 0;
}
