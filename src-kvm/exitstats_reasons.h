/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ARCH_X86_KVM_EXITSTATS_REASONS_H
#define ARCH_X86_KVM_EXITSTATS_REASONS_H

#include <linux/types.h>

struct kvm_exitstats_reason {
	u32 reason;
	const char *name;
};

const struct kvm_exitstats_reason *
kvm_exitstats_defined_reasons(u32 numbering, u32 *nr_reasons);

#endif /* ARCH_X86_KVM_EXITSTATS_REASONS_H */
