// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exit reasons a guest may ask about.  Any other reason number is
 * "undefined" (edx = 0xFFFFFFFF), as opposed to a defined reason that KVM
 * has no handler for.
 */
#include <linux/kernel.h>
#include <asm/page.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#include "exitstats.h"
#include "exitstats_reasons.h"

/*
 * Intel SDM Vol. 3C, Appendix C "VMX Basic Exit Reasons", Table C-1, as of
 * order number 325462-078US (December 2022).  35, 38, 42 and 71 are not
 * defined there.  Reasons defined later come from the kernel's own list
 * below, so that each series defines what its KVM can report.
 */
static const struct kvm_exitstats_reason vmx_sdm_reasons[] = {
	{ 0, "EXCEPTION_NMI" },		{ 1, "EXTERNAL_INTERRUPT" },
	{ 2, "TRIPLE_FAULT" },		{ 3, "INIT_SIGNAL" },
	{ 4, "SIPI_SIGNAL" },		{ 5, "IO_SMI" },
	{ 6, "OTHER_SMI" },		{ 7, "INTERRUPT_WINDOW" },
	{ 8, "NMI_WINDOW" },		{ 9, "TASK_SWITCH" },
	{ 10, "CPUID" },		{ 11, "GETSEC" },
	{ 12, "HLT" },			{ 13, "INVD" },
	{ 14, "INVLPG" },		{ 15, "RDPMC" },
	{ 16, "RDTSC" },		{ 17, "RSM" },
	{ 18, "VMCALL" },		{ 19, "VMCLEAR" },
	{ 20, "VMLAUNCH" },		{ 21, "VMPTRLD" },
	{ 22, "VMPTRST" },		{ 23, "VMREAD" },
	{ 24, "VMRESUME" },		{ 25, "VMWRITE" },
	{ 26, "VMOFF" },		{ 27, "VMON" },
	{ 28, "CR_ACCESS" },		{ 29, "DR_ACCESS" },
	{ 30, "IO_INSTRUCTION" },	{ 31, "MSR_READ" },
	{ 32, "MSR_WRITE" },		{ 33, "INVALID_STATE" },
	{ 34, "MSR_LOAD_FAIL" },	{ 36, "MWAIT_INSTRUCTION" },
	{ 37, "MONITOR_TRAP_FLAG" },	{ 39, "MONITOR_INSTRUCTION" },
	{ 40, "PAUSE_INSTRUCTION" },	{ 41, "MCE_DURING_VMENTRY" },
	{ 43, "TPR_BELOW_THRESHOLD" },	{ 44, "APIC_ACCESS" },
	{ 45, "EOI_INDUCED" },		{ 46, "GDTR_IDTR" },
	{ 47, "LDTR_TR" },		{ 48, "EPT_VIOLATION" },
	{ 49, "EPT_MISCONFIG" },	{ 50, "INVEPT" },
	{ 51, "RDTSCP" },		{ 52, "PREEMPTION_TIMER" },
	{ 53, "INVVPID" },		{ 54, "WBINVD" },
	{ 55, "XSETBV" },		{ 56, "APIC_WRITE" },
	{ 57, "RDRAND" },		{ 58, "INVPCID" },
	{ 59, "VMFUNC" },		{ 60, "ENCLS" },
	{ 61, "RDSEED" },		{ 62, "PML_FULL" },
	{ 63, "XSAVES" },		{ 64, "XRSTORS" },
	{ 65, "PCONFIG" },		{ 66, "SPP" },
	{ 67, "UMWAIT" },		{ 68, "TPAUSE" },
	{ 69, "LOADIWKEY" },		{ 70, "ENCLV" },
	{ 72, "ENQCMD_PASID_FAIL" },	{ 73, "ENQCMDS_PASID_FAIL" },
	{ 74, "BUS_LOCK" },		{ 75, "NOTIFY" },
	{ 76, "SEAMCALL" },		{ 77, "TDCALL" },
};

/* The kernel's own list, <asm/vmx.h> VMX_EXIT_REASONS, of this series. */
static const struct kvm_exitstats_reason vmx_kernel_reasons[] = {
	VMX_EXIT_REASONS
};

/* SVM: the codes of the kernel's own table, <asm/svm.h> SVM_EXIT_REASONS. */
static const struct kvm_exitstats_reason svm_reasons[] = {
	SVM_EXIT_REASONS
};

#define REASON_TABLE(_reasons) { _reasons, ARRAY_SIZE(_reasons) }

static const struct kvm_exitstats_reason_table vmx_tables[] = {
	REASON_TABLE(vmx_sdm_reasons),
	REASON_TABLE(vmx_kernel_reasons),
};

static const struct kvm_exitstats_reason_table svm_tables[] = {
	REASON_TABLE(svm_reasons),
};

const struct kvm_exitstats_reason_table *
kvm_exitstats_defined_reasons(u32 numbering, u32 *nr_tables)
{
	if (numbering == KVM_EXITSTATS_VMX) {
		*nr_tables = ARRAY_SIZE(vmx_tables);
		return vmx_tables;
	}
	*nr_tables = ARRAY_SIZE(svm_tables);
	return svm_tables;
}
