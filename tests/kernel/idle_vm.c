/*
 * Holds one VM (an in-kernel irqchip and one vCPU) open until it is killed.
 *
 * Each time the number of VMs goes from 0 to 1 and back, KVM flips a static
 * key, which live-patches kernel text. Under QEMU's multi-threaded TCG a
 * vCPU can then run into the int3 of a half-patched instruction and the
 * emulated host panics. With this VM open for the whole run, the key stays on.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int must(int result, const char *what)
{
	if (result < 0) {
		perror(what);
		_exit(1);
	}
	return result;
}

int main(void)
{
	int kvm = must(open("/dev/kvm", O_RDWR | O_CLOEXEC), "/dev/kvm");
	int vm = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");

	must(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	must(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
	puts("idle VM open");
	fflush(stdout);
	for (;;)
		pause();
}
