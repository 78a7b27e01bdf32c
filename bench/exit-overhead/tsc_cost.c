// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs on the machine of the benchmark itself (not emulated): what one
 * rdtsc costs there, read back to back as the exit path's two reads are
 * independent of each other (uops.info's reciprocal throughput), in ticks
 * of the TSC (its nominal frequency, whatever the core's clock).
 *
 * prints "TSC_READ <ticks per rdtsc, best of 11 runs>"
 */
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>

int main(void)
{
	const unsigned int reads = 1000000;
	double best = 0;
	uint64_t sink = 0;
	unsigned int run, i;

	for (run = 0; run < 11; run++) {
		uint64_t start = __rdtsc();
		double per;

		for (i = 0; i < reads; i += 4)
			sink += __rdtsc() + __rdtsc() + __rdtsc() + __rdtsc();
		per = (double)(__rdtsc() - start) / reads;
		if (!run || per < best)
			best = per;
	}
	printf("TSC_READ %.1f\n", best);
	return sink == 1;
}
