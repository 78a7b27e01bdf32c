/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ARCH_X86_KVM_EXITSTATS_REASONS_H
#define ARCH_X86_KVM_EXITSTATS_REASONS_H

#include <linux/types.h>

/* 64 bits: SVM_EXIT_REASONS holds SVM_EXIT_ERR (-1ull) from 7.2 on. */
struct kvm_exitstats_reason {
	u64 reason;
	const char *name;
};

struct kvm_exitstats_reason_table {
	const struct kvm_exitstats_reason *reasons;
	u32 nr_reasons;
};

/* The tables whose union is the defined reasons of @numbering. */
const struct kvm_exitstats_reason_table *
kvm_exitstats_defined_reasons(u32 numbering, u32 *nr_tables);

#endif /* ARCH_X86_KVM_EXITSTATS_REASONS_H */
