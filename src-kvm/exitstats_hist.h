/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit latency histograms for their readers: the guest's leaves and the
 * host's file.
 */
#ifndef ARCH_X86_KVM_EXITSTATS_HIST_H
#define ARCH_X86_KVM_EXITSTATS_HIST_H

#include "exitstats.h"

/* One reason's counters, summed over vCPUs that were each read consistently. */
struct kvm_exitstats_reading {
	u64 exits;
	u64 cycles;
	u64 max;
	u64 bucket[KVM_EXITSTATS_BUCKETS];
};

void kvm_exitstats_assign_rows(const unsigned long *counted_slots);
bool kvm_exitstats_slot_has_row(u32 slot);
u32 kvm_exitstats_row(u32 slot);
void kvm_exitstats_alloc_rows(struct kvm_exitstats_vcpu *s);
void kvm_exitstats_retire_rows(struct kvm_exitstats_vcpu *s,
			       struct kvm_exitstats_row *retired);
void kvm_exitstats_read_slot(struct kvm_exitstats_reading *sum,
			     const struct kvm_exitstats_vcpu *s, u32 slot);
void kvm_exitstats_read_retired(struct kvm_exitstats_reading *sum,
				const struct kvm_exitstats_count *count,
				const struct kvm_exitstats_row *retired, u32 slot);
u64 kvm_exitstats_nonempty_buckets(const struct kvm_exitstats_reading *r);

#endif /* ARCH_X86_KVM_EXITSTATS_HIST_H */
