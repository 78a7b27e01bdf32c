// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM-exit statistics answered through CPUID leaves 0x4FFFFFF0..0x4FFFFFFF.
 *
 * Each vCPU counts its own exits per reason slot; readers sum the vCPUs of
 * the querying VM ("vm" scope) or of every VM plus the vCPUs that are gone
 * ("host" scope).  The exit path only writes the vCPU's own counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <asm/tsc.h>

#include "exitstats.h"
#include "exitstats_hist.h"
#include "exitstats_reasons.h"

#define LEAF_DISCOVERY		0x4FFFFFF0u
#define LEAF_INFO		0x4FFFFFF1u
#define LEAF_TOTAL_EXITS64	0x4FFFFFF2u
#define LEAF_REASON_EXITS64	0x4FFFFFF3u
#define LEAF_REASON_HISTOGRAM	0x4FFFFFF4u
#define LEAF_REASON_BUCKET	0x4FFFFFF5u
#define LEAF_REASON_CYCLES	0x4FFFFFFCu
#define LEAF_REASON_EXITS_ALT	0x4FFFFFFDu
#define LEAF_REASON_EXITS	0x4FFFFFFEu
#define LEAF_TOTALS		0x4FFFFFFFu

#define INTERFACE_VERSION	2
/* "KVMExitStats", little-endian in ebx, ecx, edx like KVM's own signature. */
#define SIGNATURE_EBX		0x454d564bu
#define SIGNATURE_ECX		0x53746978u
#define SIGNATURE_EDX		0x73746174u
#define UNDEFINED_REASON_EDX	0xFFFFFFFFu

/* SCOPE_HIDDEN: counted for the host's file, and guests see stock KVM. */
enum exitstats_scope { SCOPE_OFF, SCOPE_VM, SCOPE_HOST, SCOPE_HIDDEN };

static const char * const scope_names[] = {
	[SCOPE_OFF] = "off",
	[SCOPE_VM] = "vm",
	[SCOPE_HOST] = "host",
	[SCOPE_HIDDEN] = "hidden",
};

DEFINE_STATIC_KEY_TRUE(kvm_exitstats_enabled);
KVM_EXITSTATS_EXPORT(kvm_exitstats_enabled);

static int exitstats_scope = SCOPE_VM;

/* Exits that started before the statistics were last switched on are dropped. */
u64 kvm_exitstats_enabled_since_tsc;
/* Set by the vendor module's init; the inline exit hook reads them. */
u32 kvm_exitstats_numbering;
size_t kvm_exitstats_vcpu_offset;

static struct {
	u32 max_reason;
	DECLARE_BITMAP(defined, KVM_EXITSTATS_NR_SLOTS);
	DECLARE_BITMAP(handled, KVM_EXITSTATS_NR_SLOTS);
} vendor;

/* All live vCPUs, and the sums of those destroyed, for the "host" scope. */
static DEFINE_MUTEX(vcpus_lock);
static LIST_HEAD(vcpus);
static struct kvm_exitstats_count retired[KVM_EXITSTATS_NR_SLOTS];
static struct kvm_exitstats_row retired_rows[KVM_EXITSTATS_MAX_ROWS];

static int exitstats_param_set(const char *val, const struct kernel_param *kp)
{
	int scope = sysfs_match_string(scope_names, val);

	if (scope < 0)
		return -EINVAL;

	if (scope == SCOPE_OFF) {
		static_branch_disable(&kvm_exitstats_enabled);
	} else if (!static_key_enabled(&kvm_exitstats_enabled)) {
		WRITE_ONCE(kvm_exitstats_enabled_since_tsc, rdtsc());
		static_branch_enable(&kvm_exitstats_enabled);
	}
	WRITE_ONCE(exitstats_scope, scope);
	return 0;
}

static int exitstats_param_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n", scope_names[READ_ONCE(exitstats_scope)]);
}

static const struct kernel_param_ops exitstats_param_ops = {
	.set = exitstats_param_set,
	.get = exitstats_param_get,
};
module_param_cb(exitstats, &exitstats_param_ops, NULL, 0644);
MODULE_PARM_DESC(exitstats,
		 "VM-exit statistics for guests via CPUID 0x4FFFFFFx: vm (own VM, default), host (all VMs), hidden (host's debugfs only) or off");

static void mark_reason(unsigned long *bitmap, u32 numbering, u32 reason)
{
	u32 slot = kvm_exitstats_slot(numbering, reason);

	if (slot < KVM_EXITSTATS_NR_SLOTS)
		__set_bit(slot, bitmap);
}

static void mark_defined(const struct kvm_exitstats_reason_table *table)
{
	u32 i, reason;

	for (i = 0; i < table->nr_reasons; i++) {
		if (table->reasons[i].reason > U32_MAX)
			continue;
		reason = table->reasons[i].reason;
		if (kvm_exitstats_slot(kvm_exitstats_numbering, reason) >= KVM_EXITSTATS_NR_SLOTS)
			continue;
		mark_reason(vendor.defined, kvm_exitstats_numbering, reason);
		vendor.max_reason = max(vendor.max_reason, reason);
	}
}

void __kvm_exitstats_vendor_init(const struct kvm_exitstats_vendor *v)
{
	const struct kvm_exitstats_reason_table *tables;
	DECLARE_BITMAP(counted, KVM_EXITSTATS_NR_SLOTS);
	u32 i, nr_tables;

	kvm_exitstats_numbering = v->numbering;
	kvm_exitstats_vcpu_offset = v->vcpu_offset;
	vendor.max_reason = 0;
	bitmap_zero(vendor.defined, KVM_EXITSTATS_NR_SLOTS);
	bitmap_zero(vendor.handled, KVM_EXITSTATS_NR_SLOTS);

	tables = kvm_exitstats_defined_reasons(v->numbering, &nr_tables);
	for (i = 0; i < nr_tables; i++)
		mark_defined(&tables[i]);

	for (i = 0; i < v->nr_handlers; i++)
		if (v->handlers[i])
			mark_reason(vendor.handled, v->numbering, i);

	bitmap_and(counted, vendor.defined, vendor.handled, KVM_EXITSTATS_NR_SLOTS);
	kvm_exitstats_assign_rows(counted);
}
KVM_EXITSTATS_EXPORT(__kvm_exitstats_vendor_init);

void kvm_exitstats_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_exitstats_vcpu *s = kvm_exitstats_of(vcpu);

	s->exit_reason = KVM_EXITSTATS_NO_EXIT;
	INIT_LIST_HEAD(&s->node);
	kvm_exitstats_alloc_rows(s);
	if (kvm_exitstats_is_trust_domain(vcpu->kvm))
		return;
	mutex_lock(&vcpus_lock);
	list_add(&s->node, &vcpus);
	mutex_unlock(&vcpus_lock);
}

void kvm_exitstats_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_exitstats_vcpu *s = kvm_exitstats_of(vcpu);
	u64 exits = 0;
	int slot;

	mutex_lock(&vcpus_lock);
	list_del_init(&s->node);
	for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++) {
		retired[slot].exits += s->count[slot].exits;
		retired[slot].cycles += s->count[slot].cycles;
		exits += s->count[slot].exits;
	}
	/* A vCPU that never exited has nothing in its rows to add. */
	kvm_exitstats_retire_rows(s, exits ? retired_rows : NULL);
	mutex_unlock(&vcpus_lock);
}

static void add_counts(struct kvm_exitstats_count *sum,
		       const struct kvm_exitstats_count *count, u32 slot)
{
	u32 first = slot, last = slot, i;

	if (slot == KVM_EXITSTATS_NR_SLOTS) {
		first = 0;
		last = KVM_EXITSTATS_NR_SLOTS - 1;
	}
	for (i = first; i <= last; i++) {
		sum->exits += READ_ONCE(count[i].exits);
		sum->cycles += READ_ONCE(count[i].cycles);
	}
}

/* Sum one slot, or all of them for KVM_EXITSTATS_NR_SLOTS, over the scope. */
static struct kvm_exitstats_count sum_counts(struct kvm_vcpu *vcpu, u32 slot,
					     int scope)
{
	struct kvm_exitstats_count sum = {};
	struct kvm_exitstats_vcpu *s;
	struct kvm_vcpu *v;
	unsigned long i;

	if (scope == SCOPE_VM) {
		kvm_for_each_vcpu(i, v, vcpu->kvm)
			add_counts(&sum, kvm_exitstats_of(v)->count, slot);
		return sum;
	}

	mutex_lock(&vcpus_lock);
	list_for_each_entry(s, &vcpus, node)
		add_counts(&sum, s->count, slot);
	add_counts(&sum, retired, slot);
	mutex_unlock(&vcpus_lock);
	return sum;
}

/* One slot's counters and histogram, summed over the scope. */
static void sum_reading(struct kvm_vcpu *vcpu, u32 slot, int scope,
			struct kvm_exitstats_reading *sum)
{
	struct kvm_exitstats_vcpu *s;
	struct kvm_vcpu *v;
	unsigned long i;

	memset(sum, 0, sizeof(*sum));
	if (scope == SCOPE_VM) {
		kvm_for_each_vcpu(i, v, vcpu->kvm)
			kvm_exitstats_read_slot(sum, kvm_exitstats_of(v), slot);
		return;
	}

	mutex_lock(&vcpus_lock);
	list_for_each_entry(s, &vcpus, node)
		kvm_exitstats_read_slot(sum, s, slot);
	kvm_exitstats_read_retired(sum, retired + slot, retired_rows, slot);
	mutex_unlock(&vcpus_lock);
}

enum reason_class { REASON_UNDEFINED, REASON_NOT_HANDLED, REASON_COUNTED };

/* @reason comes from the guest: the slot is clamped under speculation too. */
static enum reason_class classify_reason(u32 reason, u32 *slot)
{
	u32 s;

	if (reason > vendor.max_reason)
		return REASON_UNDEFINED;
	s = kvm_exitstats_slot(kvm_exitstats_numbering, reason);
	if (s >= KVM_EXITSTATS_NR_SLOTS)
		return REASON_UNDEFINED;
	s = array_index_nospec(s, KVM_EXITSTATS_NR_SLOTS);
	if (!test_bit(s, vendor.defined))
		return REASON_UNDEFINED;
	if (!test_bit(s, vendor.handled))
		return REASON_NOT_HANDLED;
	*slot = s;
	return REASON_COUNTED;
}

/* Answers an undefined or unhandled reason (edx); true for a counted one. */
static bool counted_reason(u32 reason, u32 *slot, u32 *edx)
{
	switch (classify_reason(reason, slot)) {
	case REASON_UNDEFINED:
		*edx = UNDEFINED_REASON_EDX;
		return false;
	case REASON_NOT_HANDLED:
		return false;
	case REASON_COUNTED:
		break;
	}
	return true;
}

static void answer_reason(struct kvm_vcpu *vcpu, u32 leaf, u32 reason,
			  int scope, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	struct kvm_exitstats_count sum;
	u32 slot;

	if (!counted_reason(reason, &slot, edx))
		return;

	sum = sum_counts(vcpu, slot, scope);
	switch (leaf) {
	case LEAF_REASON_EXITS64:
		*eax = lower_32_bits(sum.exits);
		*ebx = upper_32_bits(sum.exits);
		break;
	case LEAF_REASON_CYCLES:
		*ebx = upper_32_bits(sum.cycles);
		*ecx = lower_32_bits(sum.cycles);
		break;
	default:
		*eax = lower_32_bits(sum.exits);
		break;
	}
}

/*
 * 0x4FFFFFF4: ecx = reason; 0x4FFFFFF5: ecx = reason | bucket << 16.  The
 * bucket comes from the guest: it is clamped under speculation too.
 */
static void answer_histogram(struct kvm_vcpu *vcpu, u32 leaf, u32 ecx,
			     int scope, u32 *eax, u32 *ebx, u32 *ecx_out,
			     u32 *edx)
{
	struct kvm_exitstats_reading reading;
	u32 reason = ecx, bucket = 0, slot;
	u64 nonempty;

	if (leaf == LEAF_REASON_BUCKET) {
		reason = ecx & 0xFFFF;
		bucket = ecx >> 16;
	}
	if (bucket >= KVM_EXITSTATS_BUCKETS) {
		*edx = UNDEFINED_REASON_EDX;
		return;
	}
	if (!counted_reason(reason, &slot, edx))
		return;
	if (!kvm_exitstats_slot_has_row(slot))
		return;

	sum_reading(vcpu, slot, scope, &reading);
	if (leaf == LEAF_REASON_BUCKET) {
		bucket = array_index_nospec(bucket, KVM_EXITSTATS_BUCKETS);
		*eax = lower_32_bits(reading.bucket[bucket]);
		*ebx = upper_32_bits(reading.bucket[bucket]);
		return;
	}
	nonempty = kvm_exitstats_nonempty_buckets(&reading);
	*eax = lower_32_bits(nonempty);
	*ebx = upper_32_bits(nonempty) | KVM_EXITSTATS_BUCKETS << 8;
	*ecx_out = lower_32_bits(reading.max);
	*edx = upper_32_bits(reading.max);
}

/* Answers the leaves 0x4FFFFFF0..0x4FFFFFFF; the caller checked the range. */
bool __kvm_exitstats_cpuid(struct kvm_vcpu *vcpu, u32 *eax, u32 *ebx,
			   u32 *ecx, u32 *edx)
{
	int scope = READ_ONCE(exitstats_scope);
	u32 leaf = *eax, reason = *ecx;
	struct kvm_exitstats_count sum;

	if (scope == SCOPE_OFF || scope == SCOPE_HIDDEN ||
	    kvm_exitstats_is_trust_domain(vcpu->kvm))
		return false;

	*eax = *ebx = *ecx = *edx = 0;
	switch (leaf) {
	case LEAF_DISCOVERY:
		*eax = INTERFACE_VERSION;
		*ebx = SIGNATURE_EBX;
		*ecx = SIGNATURE_ECX;
		*edx = SIGNATURE_EDX;
		break;
	case LEAF_INFO:
		*eax = kvm_exitstats_numbering;
		*ebx = scope == SCOPE_HOST;
		*ecx = vendor.max_reason;
		*edx = tsc_khz;
		break;
	case LEAF_TOTAL_EXITS64:
		sum = sum_counts(vcpu, KVM_EXITSTATS_NR_SLOTS, scope);
		*eax = lower_32_bits(sum.exits);
		*ebx = upper_32_bits(sum.exits);
		break;
	case LEAF_TOTALS:
		sum = sum_counts(vcpu, KVM_EXITSTATS_NR_SLOTS, scope);
		*eax = lower_32_bits(sum.exits);
		*ebx = upper_32_bits(sum.cycles);
		*ecx = lower_32_bits(sum.cycles);
		break;
	case LEAF_REASON_EXITS64:
	case LEAF_REASON_CYCLES:
	case LEAF_REASON_EXITS_ALT:
	case LEAF_REASON_EXITS:
		answer_reason(vcpu, leaf, reason, scope, eax, ebx, ecx, edx);
		break;
	case LEAF_REASON_HISTOGRAM:
	case LEAF_REASON_BUCKET:
		answer_histogram(vcpu, leaf, reason, scope, eax, ebx, ecx, edx);
		break;
	default:
		/* 0x4FFFFFF6..0x4FFFFFFB are reserved. */
		break;
	}
	return true;
}

MODULE_VERSION(KVM_EXITSTATS_VERSION);
