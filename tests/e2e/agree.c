// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's half of the host/guest agreement check (tests/e2e): reads its
 * CPUID exits and their cycles through the leaves, prints them, and waits
 * for the host to read its file; then executes N CPUIDs and does it again.
 * Nothing else in the guest executes CPUID meanwhile, so the host's figures
 * for the CPUID reason must be exactly the guest's plus its own readings.
 * The guest then reads the reason's histogram (interface 2): the host's
 * buckets must hold the guest's, and no more exits besides than the
 * histogram reading's own CPUIDs.
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
#define LEAF_HISTOGRAM 0x4FFFFFF4u
#define LEAF_BUCKET 0x4FFFFFF5u
#define NR_BUCKETS 36
#define NUMBERING_VMX 1
#define VMX_CPUID 10
#define SVM_CPUID 0x72

/* "max=M buckets=I:N,...", then how many CPUIDs the reading took. */
static unsigned int print_histogram(unsigned int reason)
{
	unsigned int a, b, c, d, i, queries = 1;
	uint64_t nonempty, count;

	__cpuid_count(LEAF_HISTOGRAM, reason, a, b, c, d);
	nonempty = (uint64_t)(b & 0xff) << 32 | a;
	printf(" max=%llu buckets=", (unsigned long long)d << 32 | c);
	for (i = 0; i < NR_BUCKETS; i++) {
		if (!(nonempty >> i & 1))
			continue;
		__cpuid_count(LEAF_BUCKET, reason | i << 16, a, b, c, d);
		count = (uint64_t)b << 32 | a;
		printf("%s%u:%llu", queries > 1 ? "," : "", i, (unsigned long long)count);
		queries++;
	}
	return queries;
}

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
		printf("L2-AGREE %u reason=%u exits=%llu cycles=%llu", round, reason,
		       (unsigned long long)exits, (unsigned long long)cycles);
		printf(" queries=%u\n", print_histogram(reason));
		fflush(stdout);
		wait_for_host();
	}
	return 0;
}
