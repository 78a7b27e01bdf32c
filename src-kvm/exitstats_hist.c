// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exit latency histograms: which reasons have a row, each vCPU's rows,
 * and readings of them that take no lock a vCPU takes.
 *
 * A vCPU writes one exit as: its bucket, its row's maximum, the reason's
 * cycles, the reason's exits (kvm_exitstats_add()).  A reader reads in the
 * opposite order; when the buckets it read sum to the exits it read first,
 * none of them moved in between, so exits, cycles, maximum and buckets
 * describe the same exits.  Otherwise the vCPU was inside an exit's writes
 * and the reader reads again.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "exitstats_hist.h"

/* The sink row, at index nr_rows, must be reachable too. */
static_assert(KVM_EXITSTATS_MAX_ROWS * sizeof(struct kvm_exitstats_row) <= U16_MAX);

u16 kvm_exitstats_row_offset[KVM_EXITSTATS_NR_SLOTS];
static u8 row_of_slot[KVM_EXITSTATS_NR_SLOTS];
static u32 nr_rows;

/* Where a vCPU whose own rows could not be allocated writes: never read. */
static struct kvm_exitstats_row fallback_rows[KVM_EXITSTATS_MAX_ROWS + 1];

/* Called before any vCPU exists: each counted slot gets a row of its own. */
void kvm_exitstats_assign_rows(const unsigned long *counted_slots)
{
	u32 slot;

	WARN_ON_ONCE(bitmap_weight(counted_slots, KVM_EXITSTATS_NR_SLOTS) >
		     KVM_EXITSTATS_MAX_ROWS);
	nr_rows = 0;
	memset(row_of_slot, U8_MAX, sizeof(row_of_slot));
	for_each_set_bit(slot, counted_slots, KVM_EXITSTATS_NR_SLOTS)
		if (nr_rows < KVM_EXITSTATS_MAX_ROWS)
			row_of_slot[slot] = nr_rows++;
	for (slot = 0; slot < KVM_EXITSTATS_NR_SLOTS; slot++) {
		if (row_of_slot[slot] == U8_MAX)
			row_of_slot[slot] = nr_rows;
		kvm_exitstats_row_offset[slot] = row_of_slot[slot] *
						 sizeof(struct kvm_exitstats_row);
	}
}

bool kvm_exitstats_slot_has_row(u32 slot)
{
	return row_of_slot[slot] < nr_rows;
}

u32 kvm_exitstats_row(u32 slot)
{
	return row_of_slot[slot];
}

static bool has_own_rows(const struct kvm_exitstats_vcpu *s)
{
	return s->rows != fallback_rows;
}

/*
 * From the page allocator, with reclaim and compaction if need be, as KVM
 * allocates the vCPU itself: above a page, kvcalloc() alone tries that
 * lightly or not at all and goes to vmalloc, which made creating 4096 vCPUs
 * (kvm_create_max_vcpus) take 45% longer under emulation.  vmalloc only if
 * that fails; without memory at all, the exits are counted without rows.
 */
void kvm_exitstats_alloc_rows(struct kvm_exitstats_vcpu *s)
{
	s->rows = kcalloc(nr_rows + 1, sizeof(*s->rows),
			  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!s->rows)
		s->rows = kvcalloc(nr_rows + 1, sizeof(*s->rows),
				   GFP_KERNEL_ACCOUNT);
	if (!s->rows)
		s->rows = fallback_rows;
}

/* The vCPU runs no more: its rows are added to @retired (if any) and freed. */
void kvm_exitstats_retire_rows(struct kvm_exitstats_vcpu *s,
			       struct kvm_exitstats_row *retired)
{
	u32 row, i;

	if (!s->rows || !has_own_rows(s))
		return;
	for (row = 0; retired && row < nr_rows; row++) {
		retired[row].max = max(retired[row].max, s->rows[row].max);
		for (i = 0; i < KVM_EXITSTATS_BUCKETS; i++)
			retired[row].bucket[i] += s->rows[row].bucket[i];
	}
	kvfree(s->rows);
	s->rows = fallback_rows;
}

static void add_reading(struct kvm_exitstats_reading *sum,
			const struct kvm_exitstats_reading *r)
{
	int i;

	sum->exits += r->exits;
	sum->cycles += r->cycles;
	sum->max = max(sum->max, r->max);
	for (i = 0; i < KVM_EXITSTATS_BUCKETS; i++)
		sum->bucket[i] += r->bucket[i];
}

/* Adds @s's counters of @slot to @sum; the slot is in bounds. */
void kvm_exitstats_read_slot(struct kvm_exitstats_reading *sum,
			     const struct kvm_exitstats_vcpu *s, u32 slot)
{
	const struct kvm_exitstats_count *count = s->count + slot;
	const struct kvm_exitstats_row *row;
	struct kvm_exitstats_reading r;
	unsigned int tries = 0;
	u64 in_buckets;
	int i;

	if (!kvm_exitstats_slot_has_row(slot) || !has_own_rows(s)) {
		sum->exits += READ_ONCE(count->exits);
		sum->cycles += READ_ONCE(count->cycles);
		return;
	}
	row = s->rows + row_of_slot[slot];
	for (;;) {
		r.exits = READ_ONCE(count->exits);
		if (!r.exits)
			return;
		/* Pairs with the barriers of kvm_exitstats_add(), read backwards. */
		smp_rmb();
		r.cycles = READ_ONCE(count->cycles);
		/* The maximum after the cycles, as in kvm_exitstats_add(). */
		smp_rmb();
		r.max = READ_ONCE(row->max);
		/* And the buckets last, as they are written first. */
		smp_rmb();
		in_buckets = 0;
		for (i = 0; i < KVM_EXITSTATS_BUCKETS; i++) {
			r.bucket[i] = READ_ONCE(row->bucket[i]);
			in_buckets += r.bucket[i];
		}
		if (in_buckets == r.exits)
			break;
		/* Let a vCPU that was preempted inside its writes finish them. */
		if (++tries % 64)
			cpu_relax();
		else
			cond_resched();
	}
	add_reading(sum, &r);
}

/* The sums of destroyed vCPUs, which change only under the caller's lock. */
void kvm_exitstats_read_retired(struct kvm_exitstats_reading *sum,
				const struct kvm_exitstats_count *count,
				const struct kvm_exitstats_row *retired, u32 slot)
{
	struct kvm_exitstats_reading r = {
		.exits = count->exits,
		.cycles = count->cycles,
	};

	if (kvm_exitstats_slot_has_row(slot)) {
		retired += row_of_slot[slot];
		r.max = retired->max;
		memcpy(r.bucket, retired->bucket, sizeof(r.bucket));
	}
	add_reading(sum, &r);
}

u64 kvm_exitstats_nonempty_buckets(const struct kvm_exitstats_reading *r)
{
	u64 nonempty = 0;
	int i;

	for (i = 0; i < KVM_EXITSTATS_BUCKETS; i++)
		if (r->bucket[i])
			nonempty |= BIT_ULL(i);
	return nonempty;
}
