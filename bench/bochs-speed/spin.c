/* A loop of a known number of instructions (dec + jnz per turn), between
 * two lines on the console: the runner times the lines as they arrive. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long turns = argc > 1 ? strtoul(argv[1], NULL, 10) : 500000000UL;

	printf("KES-SPIN-START %lu\n", turns);
	fflush(stdout);
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(turns));
	printf("KES-SPIN-END\n");
	fflush(stdout);
	return 0;
}
