// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host's view of the VM-exit statistics: a read-only debugfs file in
 * each VM's KVM directory (/sys/kernel/debug/kvm/PID-FD/exitstats) with the
 * VM's exits and host cycles per reason, summed over its vCPUs from the
 * counters that the guest reads through CPUID.  docs/host-interface.md in
 * kvm-exitstats describes the format.
 *
 * Reading takes no lock that a vCPU takes: the vCPUs are walked under RCU
 * and each reason of each vCPU is read as one snapshot (exitstats_hist.c),
 * so a reader polling every VM does not stall them.  The file is read-only,
 * which keeps it readable under lockdown.
 */
#include <linux/debugfs.h>
#include <linux/kvm_host.h>
#include <linux/seq_file.h>
#include <asm/tsc.h>

#include "exitstats.h"
#include "exitstats_hist.h"

#define HOST_INTERFACE_VERSION	1

static u32 reason_of_slot(u32 numbering, u32 slot)
{
	if (numbering == KVM_EXITSTATS_SVM && slot >= KVM_EXITSTATS_SVM_LOW_SLOTS)
		return KVM_EXITSTATS_SVM_HIGH_BASE +
		       (slot - KVM_EXITSTATS_SVM_LOW_SLOTS);
	return slot;
}

/* Summed by one reader at a time (no large stack). */
static DEFINE_MUTEX(sum_lock);
static struct kvm_exitstats_count sum[KVM_EXITSTATS_NR_SLOTS];
static struct kvm_exitstats_reading row_sum[KVM_EXITSTATS_MAX_ROWS];

static void sum_vm(struct kvm *kvm, struct kvm_exitstats_count *total)
{
	struct kvm_exitstats_reading reading;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 slot;

	for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++) {
		memset(&reading, 0, sizeof(reading));
		kvm_for_each_vcpu(i, vcpu, kvm)
			kvm_exitstats_read_slot(&reading, kvm_exitstats_of(vcpu), slot);
		sum[slot].exits = reading.exits;
		sum[slot].cycles = reading.cycles;
		if (kvm_exitstats_slot_has_row(slot))
			row_sum[kvm_exitstats_row(slot)] = reading;
		total->exits += reading.exits;
		total->cycles += reading.cycles;
	}
}

static void show_histogram(struct seq_file *m, u32 reason,
			   const struct kvm_exitstats_reading *r)
{
	int i;

	seq_printf(m, "hist 0x%x %llu", reason, r->max);
	for (i = 0; i < KVM_EXITSTATS_BUCKETS; i++)
		if (r->bucket[i])
			seq_printf(m, " %d:%llu", i, r->bucket[i]);
	seq_putc(m, '\n');
}

/* A second pass, after the VM's lines: it may hold a few more exits. */
static void show_vcpus(struct seq_file *m, struct kvm *kvm, u32 numbering)
{
	const struct kvm_exitstats_count *count;
	struct kvm_exitstats_count vcpu_total;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 slot;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		count = kvm_exitstats_of(vcpu)->count;
		vcpu_total = (struct kvm_exitstats_count){};
		for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++) {
			sum[slot].exits = READ_ONCE(count[slot].exits);
			sum[slot].cycles = READ_ONCE(count[slot].cycles);
			vcpu_total.exits += sum[slot].exits;
			vcpu_total.cycles += sum[slot].cycles;
		}
		seq_printf(m, "vcpu %d %llu %llu\n", vcpu->vcpu_id,
			   vcpu_total.exits, vcpu_total.cycles);
		for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++)
			if (sum[slot].exits)
				seq_printf(m, "vcpu_reason %d 0x%x %llu %llu\n",
					   vcpu->vcpu_id, reason_of_slot(numbering, slot),
					   sum[slot].exits, sum[slot].cycles);
	}
}

static int exitstats_show(struct seq_file *m, void *unused)
{
	struct kvm *kvm = m->private;
	struct kvm_exitstats_count total = {};
	u32 numbering = kvm_exitstats_numbering;
	u32 slot;

	seq_printf(m, "kvm-exitstats-vm %d\n", HOST_INTERFACE_VERSION);
	if (!static_key_enabled(&kvm_exitstats_enabled)) {
		seq_puts(m, "statistics off\n");
		return 0;
	}

	mutex_lock(&sum_lock);
	sum_vm(kvm, &total);
	seq_puts(m, "statistics on\n");
	seq_printf(m, "numbering %s\n",
		   numbering == KVM_EXITSTATS_VMX ? "vmx" : "svm");
	seq_printf(m, "tsc_khz %u\n", tsc_khz);
	seq_printf(m, "vcpus %d\n", atomic_read(&kvm->online_vcpus));
	seq_printf(m, "total %llu %llu\n", total.exits, total.cycles);
	for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++)
		if (sum[slot].exits)
			seq_printf(m, "reason 0x%x %llu %llu\n",
				   reason_of_slot(numbering, slot),
				   sum[slot].exits, sum[slot].cycles);
	seq_printf(m, "buckets %d\n", KVM_EXITSTATS_BUCKETS);
	for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++)
		if (sum[slot].exits && kvm_exitstats_slot_has_row(slot))
			show_histogram(m, reason_of_slot(numbering, slot),
				       &row_sum[kvm_exitstats_row(slot)]);
	show_vcpus(m, kvm, numbering);
	mutex_unlock(&sum_lock);
	return 0;
}

static int exitstats_open(struct inode *inode, struct file *file)
{
	struct kvm *kvm = inode->i_private;
	int r;

	/* The VM may be on its way out; it stays until the file is closed. */
	if (!kvm_get_kvm_safe(kvm))
		return -ENOENT;
	r = single_open(file, exitstats_show, kvm);
	if (r < 0)
		kvm_put_kvm(kvm);
	return r;
}

static int exitstats_release(struct inode *inode, struct file *file)
{
	kvm_put_kvm(inode->i_private);
	return single_release(inode, file);
}

static const struct file_operations exitstats_fops = {
	.owner = THIS_MODULE,
	.open = exitstats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = exitstats_release,
};

void kvm_exitstats_create_vm_debugfs(struct kvm *kvm)
{
	/* TD exits are not recorded (exitstats.c). */
	if (kvm_exitstats_is_trust_domain(kvm))
		return;
	debugfs_create_file("exitstats", 0444, kvm->debugfs_dentry, kvm,
			    &exitstats_fops);
}
