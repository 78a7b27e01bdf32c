// SPDX-License-Identifier: GPL-2.0-only
/*
 * A workload for the guest in the end-to-end test: N reads of I/O port 0x80
 * (the POST diagnostic port, which nothing answers) through /dev/port, each
 * one an IN instruction in the guest's kernel and so a VM exit for port I/O.
 * (/dev/port rather than ioperm() and IN in user space: that faulted in the
 * nested guest under TCG.)
 *
 * usage: portio N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long i, count = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
	unsigned char value;
	int fd = open("/dev/port", O_RDONLY);

	if (fd < 0) {
		perror("/dev/port");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (pread(fd, &value, 1, 0x80) != 1) {
			perror("read port 0x80");
			return 1;
		}
	}
	printf("portio: %ld reads of port 0x80\n", count);
	return 0;
}
