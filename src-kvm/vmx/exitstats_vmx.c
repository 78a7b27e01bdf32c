// SPDX-License-Identifier: GPL-2.0-only
/* kvm-exitstats builds of kvm-intel.ko carry a version so DKMS replaces the stock module. */
#include <linux/module.h>

#ifdef CONFIG_KVM_INTEL_TDX
#include "vmx.h"
#include "tdx.h"

/*
 * kvm.ko finds a vCPU's counters at one offset, taken from struct vcpu_vmx,
 * but kvm-intel also creates TD vCPUs (struct vcpu_tdx), which share only
 * struct vcpu_vt with it.  The counters must live in vcpu_vt for the offset
 * to be valid for both.
 */
static_assert(offsetof(struct vcpu_vmx, vt.exitstats) ==
	      offsetof(struct vcpu_tdx, vt.exitstats));
#endif

MODULE_VERSION(KVM_EXITSTATS_VERSION);
