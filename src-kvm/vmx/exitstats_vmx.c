// SPDX-License-Identifier: GPL-2.0-only
/* kvm-exitstats builds of kvm-intel.ko carry a version so DKMS replaces the stock module. */
#include <linux/module.h>

MODULE_VERSION(KVM_EXITSTATS_VERSION);
