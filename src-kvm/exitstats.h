/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM-exit statistics for guests: every VM exit is counted per exit reason
 * together with the host TSC cycles spent handling it, and the guest reads
 * the counts through CPUID leaves 0x4FFFFFF0..0x4FFFFFFF.
 * docs/cpuid-interface.md in kvm-exitstats describes the leaves.
 */
#ifndef ARCH_X86_KVM_EXITSTATS_H
#define ARCH_X86_KVM_EXITSTATS_H

#include <linux/bitops.h>
#include <linux/jump_label.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <asm/msr.h>

#define KVM_EXITSTATS_VMX	1
#define KVM_EXITSTATS_SVM	2

/*
 * VMX basic exit reasons are used as slots directly.  SVM exit codes are
 * sparse (0x0..0xff and 0x400..); they are folded into the same slot range.
 */
#define KVM_EXITSTATS_SVM_HIGH_BASE	0x400
#define KVM_EXITSTATS_SVM_LOW_SLOTS	0x100
#define KVM_EXITSTATS_SVM_HIGH_SLOTS	0x10
#define KVM_EXITSTATS_NR_SLOTS		(KVM_EXITSTATS_SVM_LOW_SLOTS + \
					 KVM_EXITSTATS_SVM_HIGH_SLOTS)
#define KVM_EXITSTATS_NO_EXIT		U32_MAX

/* The guest-visible interface: CPUID leaves 0x4FFFFFF0..0x4FFFFFFF. */
#define KVM_EXITSTATS_LEAF_BASE		0x4FFFFFF0u
#define KVM_EXITSTATS_LEAF_MASK		0xFFFFFFF0u

struct kvm_exitstats_count {
	u64 exits;
	u64 cycles;
};

/*
 * Each exit's cycles also go into a log2 histogram of its reason, with the
 * buckets of KVM's LOGHIST statistics: bucket 0 holds exits of 0 cycles,
 * bucket i (1..34) those of 2^(i-1) to 2^i - 1 cycles, and bucket 35 all
 * of 2^34 cycles (seconds) or more.  Only reasons KVM handles have a row;
 * the other slots share a last row that nobody reads.
 */
#define KVM_EXITSTATS_BUCKETS		36
#define KVM_EXITSTATS_MAX_ROWS		128

struct kvm_exitstats_row {
	u64 max;
	u64 bucket[KVM_EXITSTATS_BUCKETS];
};

/*
 * Embedded in each vendor vCPU structure and written only by the thread
 * running that vCPU, so the exit path touches no shared cache line.
 */
struct kvm_exitstats_vcpu {
	u64 exit_tsc;
	u32 exit_reason;
	struct list_head node;
	/* kvm_exitstats_nr_rows + 1 rows, or the shared fallback rows. */
	struct kvm_exitstats_row *rows;
	struct kvm_exitstats_count count[KVM_EXITSTATS_NR_SLOTS];
};

DECLARE_STATIC_KEY_TRUE(kvm_exitstats_enabled);

struct kvm_exitstats_vendor {
	int (*const *handlers)(struct kvm_vcpu *vcpu);
	u32 nr_handlers;
	u32 numbering;
	size_t vcpu_offset;
};

void __kvm_exitstats_vendor_init(const struct kvm_exitstats_vendor *vendor);

/*
 * Called by the vendor module before it registers /dev/kvm.  @_member is
 * where the counters sit in @_vcpu_type, which must hold for every vCPU
 * that this vendor module creates.  @_handlers is the vendor's exit handler
 * table: a defined reason without a handler is reported as "not enabled in
 * KVM".
 */
#define kvm_exitstats_vendor_init(_numbering, _vcpu_type, _member, _handlers) \
	__kvm_exitstats_vendor_init(&(const struct kvm_exitstats_vendor) { \
		.numbering = (_numbering),				\
		.vcpu_offset = offsetof(_vcpu_type, _member),		\
		.handlers = (_handlers),				\
		.nr_handlers = ARRAY_SIZE(_handlers),			\
	})
void kvm_exitstats_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_exitstats_create_vm_debugfs(struct kvm *kvm);
void kvm_exitstats_vcpu_destroy(struct kvm_vcpu *vcpu);
bool __kvm_exitstats_cpuid(struct kvm_vcpu *vcpu, u32 *eax, u32 *ebx,
			   u32 *ecx, u32 *edx);

/*
 * Read on every exit by the inline hooks of kvm.ko (x86.c), so that the
 * exit path makes no call: the vendor's numbering and where its vCPUs keep
 * the counters, and when the statistics were last switched on.
 */
extern u32 kvm_exitstats_numbering;
extern size_t kvm_exitstats_vcpu_offset;
extern u64 kvm_exitstats_enabled_since_tsc;
/* Where each slot's row starts in a vCPU's rows, in bytes. */
extern u16 kvm_exitstats_row_offset[KVM_EXITSTATS_NR_SLOTS];

/*
 * A TD vCPU (Intel TDX, 6.16+) is a struct vcpu_tdx, which shares only
 * struct vcpu_vt with struct vcpu_vmx; the counters sit in vcpu_vt there
 * (exitstats_vmx.c asserts it), so the offset is valid, but TD exits are
 * not recorded and TDs see the leaves as on stock KVM.
 */
static inline bool kvm_exitstats_is_trust_domain(struct kvm *kvm)
{
#ifdef KVM_X86_TDX_VM
	return kvm->arch.vm_type == KVM_X86_TDX_VM;
#else
	return false;
#endif
}

static __always_inline struct kvm_exitstats_vcpu *
kvm_exitstats_of(struct kvm_vcpu *vcpu)
{
	return (void *)vcpu + kvm_exitstats_vcpu_offset;
}

/* Map a reason to its counter slot; KVM_EXITSTATS_NR_SLOTS if it has none. */
static __always_inline u32 kvm_exitstats_slot(u32 numbering, u32 reason)
{
	if (numbering == KVM_EXITSTATS_VMX)
		return reason < KVM_EXITSTATS_NR_SLOTS ?
		       reason : KVM_EXITSTATS_NR_SLOTS;

	if (reason < KVM_EXITSTATS_SVM_LOW_SLOTS)
		return reason;
	if (reason - KVM_EXITSTATS_SVM_HIGH_BASE < KVM_EXITSTATS_SVM_HIGH_SLOTS)
		return KVM_EXITSTATS_SVM_LOW_SLOTS +
		       (reason - KVM_EXITSTATS_SVM_HIGH_BASE);
	return KVM_EXITSTATS_NR_SLOTS;
}

/*
 * Called by vendor code right after the hardware VM exit.  SVM's exit code
 * is 64 bits wide from 7.2 on; codes above 32 bits (SVM_EXIT_ERR) have no
 * slot and are not counted, as before.
 */
static __always_inline void kvm_exitstats_vm_exit(struct kvm_exitstats_vcpu *s,
						  u64 reason)
{
	if (static_branch_likely(&kvm_exitstats_enabled)) {
		s->exit_tsc = rdtsc();
		s->exit_reason = reason <= U32_MAX ? reason : KVM_EXITSTATS_NO_EXIT;
	}
}

/*
 * Readers (exitstats_hist.c) take no lock: they read exits first and the
 * row last, and keep a reading only when the row's buckets sum to the exits
 * read, which this order of the writes makes a consistent snapshot.  Only
 * this vCPU's thread writes these counters, so its own reads of them race
 * with nothing; each write is one WRITE_ONCE() store, which the readers'
 * READ_ONCE() pairs with: a race by design, marked so for KCSAN.
 */
static __always_inline void kvm_exitstats_add(struct kvm_exitstats_vcpu *s,
					      u32 slot, u64 cycles)
{
	struct kvm_exitstats_row *row = (void *)s->rows +
					*(kvm_exitstats_row_offset + slot);
	struct kvm_exitstats_count *count = s->count + slot;
	u64 *bucket = row->bucket + min_t(u32, fls64(cycles),
					  KVM_EXITSTATS_BUCKETS - 1);

	WRITE_ONCE(*bucket, *bucket + 1);
	if (cycles > row->max)
		WRITE_ONCE(row->max, cycles);
	/* The row before the cycles: pairs with kvm_exitstats_read_slot(). */
	smp_wmb();
	WRITE_ONCE(count->cycles, count->cycles + cycles);
	/* The exits last: a reader that sees them sees all the rest. */
	smp_wmb();
	WRITE_ONCE(count->exits, count->exits + 1);
}

/*
 * bench/exit-overhead builds a probe with KVM_EXITSTATS_TSC_PROBE: each exit
 * then counts only up to KVM's own TSC read after it (last_guest_tsc, equal
 * to the host's TSC plus the offset without TSC scaling), the part that
 * sharing that read would no longer count.
 */
static __always_inline u64 kvm_exitstats_end_tsc(struct kvm_vcpu *vcpu)
{
#ifdef KVM_EXITSTATS_TSC_PROBE
	return vcpu->arch.last_guest_tsc - vcpu->arch.l1_tsc_offset;
#else
	return rdtsc();
#endif
}

/*
 * Called when the exit is handled: the fastpath re-enters or the handler
 * returned.  The slot is in bounds here; pointers, not array indexes, keep
 * UBSAN_BOUNDS kernels (Debian 13's 7.x) from checking it again.
 */
static __always_inline void kvm_exitstats_handled(struct kvm_vcpu *vcpu)
{
	struct kvm_exitstats_vcpu *s;
	u32 slot;

	if (!static_branch_likely(&kvm_exitstats_enabled))
		return;
	s = kvm_exitstats_of(vcpu);
	slot = kvm_exitstats_slot(kvm_exitstats_numbering, s->exit_reason);
	s->exit_reason = KVM_EXITSTATS_NO_EXIT;
	if (slot >= KVM_EXITSTATS_NR_SLOTS ||
	    s->exit_tsc < READ_ONCE(kvm_exitstats_enabled_since_tsc))
		return;
	kvm_exitstats_add(s, slot, kvm_exitstats_end_tsc(vcpu) - s->exit_tsc);
}

static __always_inline bool kvm_exitstats_cpuid(struct kvm_vcpu *vcpu,
						u32 *eax, u32 *ebx,
						u32 *ecx, u32 *edx)
{
	if (!static_branch_likely(&kvm_exitstats_enabled) ||
	    (*eax & KVM_EXITSTATS_LEAF_MASK) != KVM_EXITSTATS_LEAF_BASE)
		return false;
	return __kvm_exitstats_cpuid(vcpu, eax, ebx, ecx, edx);
}

#endif /* ARCH_X86_KVM_EXITSTATS_H */
