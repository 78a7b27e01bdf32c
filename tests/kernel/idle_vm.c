/*
 * Holds KVM's run-time static keys on until it is killed.
 *
 * KVM flips a static key when the first VM opens and the last one closes
 * (preempt notifiers), when the first vCPU's local APIC is software- or
 * hardware-disabled and the last one is enabled again, when the first vCPU
 * without an in-kernel local APIC comes and the last one goes, and when the
 * first VM configures Xen and the last one stops. Each flip live-patches
 * kernel text. Under QEMU's multi-threaded TCG a vCPU can then run into the
 * int3 of a half-patched instruction and the emulated host panics (seen in
 * __schedule and in kvm_recalculate_apic_map, with Debian's own modules).
 * With these two VMs open for the whole run, no count returns to zero, so
 * the keys never flip back and forth.
 *
 * Exits 0 once the keys are on; a child process holds them until killed.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

#define MSR_IA32_APICBASE 0x1b
/* The selftests' Xen hypercall MSR, inside KVM's range for Xen's MSR. */
#define XEN_HYPERCALL_MSR 0x40000200

static int must(int result, const char *what)
{
	if (result < 0) {
		perror(what);
		_exit(1);
	}
	return result;
}

/* A vCPU whose in-kernel local APIC stays software- and hardware-disabled. */
static void open_vm_with_disabled_apic(int kvm)
{
	int vm = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
	int vcpu;
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entry;
	} apic_base;

	must(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	vcpu = must(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
	memset(&apic_base, 0, sizeof(apic_base));
	apic_base.header.nmsrs = 1;
	apic_base.entry.index = MSR_IA32_APICBASE;
	apic_base.entry.data = 0;
	if (must(ioctl(vcpu, KVM_SET_MSRS, &apic_base), "KVM_SET_MSRS") != 1) {
		fputs("KVM_SET_MSRS: APIC base not set\n", stderr);
		_exit(1);
	}
}

/* A vCPU without an in-kernel local APIC, in a VM configured for Xen. */
static void open_vm_without_apic(int kvm)
{
	int vm = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
	struct kvm_xen_hvm_config xen;

	must(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM) <= 0)
		return;
	memset(&xen, 0, sizeof(xen));
	xen.msr = XEN_HYPERCALL_MSR;
	must(ioctl(vm, KVM_XEN_HVM_CONFIG, &xen), "KVM_XEN_HVM_CONFIG");
}

int main(void)
{
	int kvm = must(open("/dev/kvm", O_RDWR | O_CLOEXEC), "/dev/kvm");

	open_vm_with_disabled_apic(kvm);
	open_vm_without_apic(kvm);
	if (must(fork(), "fork") > 0)
		return 0;
	for (;;)
		pause();
}
