/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Real-mode L2 guests for the tests and the benchmark that run in the
 * emulated host: a VM with 64 KiB of memory and four pieces of code, and
 * 512 KiB more that the guest has not touched yet.
 */
#ifndef KES_L2VM_H
#define KES_L2VM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM_SIZE	0x10000
#define CODE_QUERY	0x1000	/* cpuid; hlt */
#define CODE_LOOP	0x1100	/* si times cpuid(0); hlt */
#define CODE_OUTB	0x1200	/* out 0x80, al; hlt */
#define CODE_TOUCH	0x1300	/* write one byte to each untouched page; hlt */
#define UNTOUCHED_BASE	0x10000
#define UNTOUCHED_PAGES	128

static int kvm_fd;

static void die(const char *what)
{
	printf("not ok - fatal: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void kvm_open(void)
{
	kvm_fd = open("/dev/kvm", O_RDWR);
	if (kvm_fd < 0)
		die("/dev/kvm");
}

struct vm {
	int fd;
	uint8_t *mem;
	int nr_vcpus;
	uint8_t *untouched;
	int vcpu_fd[2];
	struct kvm_run *run[2];
	long run_size;
};

static const uint8_t guest_code[][21] = {
	{ 0x0f, 0xa2, 0xf4 },
	{ 0x66, 0x31, 0xc0, 0x0f, 0xa2, 0x4e, 0x75, 0xf8, 0xf4 },
	{ 0xe6, 0x80, 0xf4 },
	/*
	 * mov ax, 0x1000; mov cx, 128;
	 * 1: mov es, ax; mov byte es:[0], 1; add ax, 0x100; dec cx; jnz 1b; hlt
	 */
	{ 0xb8, 0x00, 0x10, 0xb9, UNTOUCHED_PAGES, 0x00, 0x8e, 0xc0, 0x26, 0xc6,
	  0x06, 0x00, 0x00, 0x01, 0x05, 0x00, 0x01, 0x49, 0x75, 0xf2, 0xf4 },
};

static void vm_create(struct vm *vm, int nr_vcpus, const struct kvm_cpuid2 *cpuid)
{
	struct kvm_userspace_memory_region region = {
		.memory_size = GUEST_MEM_SIZE,
	};
	struct kvm_userspace_memory_region untouched = {
		.slot = 1,
		.guest_phys_addr = UNTOUCHED_BASE,
		.memory_size = UNTOUCHED_PAGES * 4096,
	};
	int i;

	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap");
	memcpy(vm->mem + CODE_QUERY, guest_code[0], sizeof(guest_code[0]));
	memcpy(vm->mem + CODE_LOOP, guest_code[1], sizeof(guest_code[1]));
	memcpy(vm->mem + CODE_OUTB, guest_code[2], sizeof(guest_code[2]));
	memcpy(vm->mem + CODE_TOUCH, guest_code[3], sizeof(guest_code[3]));
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vm->untouched = mmap(NULL, untouched.memory_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->untouched == MAP_FAILED)
		die("mmap");
	untouched.userspace_addr = (uintptr_t)vm->untouched;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &untouched) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	vm->run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->nr_vcpus = nr_vcpus;
	for (i = 0; i < nr_vcpus; i++) {
		struct kvm_sregs sregs;

		vm->vcpu_fd[i] = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (vm->vcpu_fd[i] < 0)
			die("KVM_CREATE_VCPU");
		vm->run[i] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, vm->vcpu_fd[i], 0);
		if (vm->run[i] == MAP_FAILED)
			die("mmap kvm_run");
		if (cpuid && ioctl(vm->vcpu_fd[i], KVM_SET_CPUID2, cpuid) < 0)
			die("KVM_SET_CPUID2");
		if (ioctl(vm->vcpu_fd[i], KVM_GET_SREGS, &sregs) < 0)
			die("KVM_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(vm->vcpu_fd[i], KVM_SET_SREGS, &sregs) < 0)
			die("KVM_SET_SREGS");
	}
}

static void vm_destroy(struct vm *vm)
{
	int i;

	/* The vCPUs' kvm_run mappings hold the VM too: KVM destroys it now. */
	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->run[i], vm->run_size);
		close(vm->vcpu_fd[i]);
	}
	close(vm->fd);
	munmap(vm->mem, GUEST_MEM_SIZE);
	munmap(vm->untouched, UNTOUCHED_PAGES * 4096);
}

/* Runs the guest from @rip until it halts; I/O exits are completed. */
static void run_until_hlt(struct vm *vm, int i, uint64_t rip,
			  uint64_t rax, uint64_t rcx, uint64_t rsi,
			  struct kvm_regs *out)
{
	struct kvm_regs regs = { .rip = rip, .rax = rax, .rcx = rcx,
				 .rsi = rsi, .rflags = 2 };

	if (ioctl(vm->vcpu_fd[i], KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
	for (;;) {
		if (ioctl(vm->vcpu_fd[i], KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		if (vm->run[i]->exit_reason == KVM_EXIT_HLT)
			break;
		if (vm->run[i]->exit_reason != KVM_EXIT_IO) {
			errno = EINVAL;
			printf("# unexpected exit %u\n", vm->run[i]->exit_reason);
			die("KVM_RUN exit");
		}
	}
	if (out && ioctl(vm->vcpu_fd[i], KVM_GET_REGS, out) < 0)
		die("KVM_GET_REGS");
}

static void cpuid_loop(struct vm *vm, int i, unsigned int count)
{
	run_until_hlt(vm, i, CODE_LOOP, 0, 0, count, NULL);
}

#endif /* KES_L2VM_H */
