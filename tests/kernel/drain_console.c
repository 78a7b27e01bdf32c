/*
 * Waits until everything written to standard output (a serial console) has
 * left the UART, so that "poweroff -f" right after it loses nothing.
 *
 * A write to a tty only queues the bytes. An emulated guest inside an
 * emulated host sends a few kilobytes through its UART in seconds, and a
 * fixed sleep before powering off cut the end of its reports.
 */
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	if (tcdrain(STDOUT_FILENO) < 0) {
		perror("drain_console: tcdrain");
		return 1;
	}
	return 0;
}
