// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs inside the emulated host (L1) with the rebuilt KVM loaded: creates
 * VMs through /dev/kvm, runs real-mode guest code (L2) and checks the
 * CPUID contract of docs/cpuid-interface.md.
 *
 * usage: l1test vmx|svm [loop-count | loaded-off]
 * Prints one "ok"/"not ok" line per check and a closing
 * "N passed, N failed" line; exits non-zero on any failure.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/mount.h>

#include "l2vm.h"

#define LEAF_DISCOVERY	0x4FFFFFF0u
#define LEAF_INFO	0x4FFFFFF1u
#define LEAF_TOTAL64	0x4FFFFFF2u
#define LEAF_REASON64	0x4FFFFFF3u
#define LEAF_HISTOGRAM	0x4FFFFFF4u
#define LEAF_BUCKET	0x4FFFFFF5u
#define NR_BUCKETS	36
#define LEAF_CYCLES	0x4FFFFFFCu
#define LEAF_EXITS_ALT	0x4FFFFFFDu
#define LEAF_EXITS	0x4FFFFFFEu
#define LEAF_TOTALS	0x4FFFFFFFu

struct regs4 {
	uint32_t a, b, c, d;
};

struct vendor {
	const char *name;
	uint32_t numbering, max_reason;
	uint32_t cpuid, hlt, io, npf;
	uint32_t undefined[8];
	uint32_t not_handled[4];
};

static const struct vendor vendors[] = {
	{ "vmx", 1, 77, 10, 12, 30, 48,
	  { 35, 38, 42, 71, 78, 1000, 0xFFFF, 0xFFFFFFFF }, { 3, 11, 16, 51 } },
	{ "svm", 2, 0x403, 0x72, 0x78, 0x7b, 0x400,
	  { 0x1, 0x42, 0x8e, 0xa0, 0x100, 0x3ff, 0x404, 0xFFFFFFFF },
	  { 0x2, 0x63, 0x6e, 0x70 } },
};

static const struct vendor *v;
static int passed, failed;

/* The reasons the kernel series defines, from its headers (argv[3]). */
static uint32_t series_reasons[512];
static unsigned int nr_series_reasons;
static uint32_t max_reason;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", passed + failed + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static struct regs4 query(struct vm *vm, uint32_t leaf, uint32_t ecx)
{
	struct kvm_regs r;

	run_until_hlt(vm, 0, CODE_QUERY, leaf, ecx, 0, &r);
	return (struct regs4){ r.rax, r.rbx, r.rcx, r.rdx };
}

static uint64_t reason_exits(struct vm *vm, uint32_t reason)
{
	struct regs4 r = query(vm, LEAF_REASON64, reason);

	return (uint64_t)r.b << 32 | r.a;
}

static uint64_t reason_cycles(struct vm *vm, uint32_t reason)
{
	struct regs4 r = query(vm, LEAF_CYCLES, reason);

	return (uint64_t)r.b << 32 | r.c;
}

static uint64_t total_exits(struct vm *vm)
{
	struct regs4 r = query(vm, LEAF_TOTAL64, 0);

	return (uint64_t)r.b << 32 | r.a;
}

static void set_scope(const char *scope)
{
	int fd = open("/sys/module/kvm/parameters/exitstats", O_WRONLY);

	if (fd < 0 || write(fd, scope, strlen(scope)) != (ssize_t)strlen(scope))
		die("write /sys/module/kvm/parameters/exitstats");
	close(fd);
}

static int is_undefined(struct regs4 r)
{
	return r.a == 0 && r.b == 0 && r.c == 0 && r.d == 0xFFFFFFFF;
}

static int is_zero(struct regs4 r)
{
	return r.a == 0 && r.b == 0 && r.c == 0 && r.d == 0;
}

static void test_discovery(struct vm *vm)
{
	struct regs4 r = query(vm, LEAF_DISCOVERY, 0);
	char sig[13] = {};

	memcpy(sig, &r.b, 4);
	memcpy(sig + 4, &r.c, 4);
	memcpy(sig + 8, &r.d, 4);
	check(r.a == 2 && !strcmp(sig, "KVMExitStats"),
	      "discovery: version %u, signature \"%s\"", r.a, sig);

	r = query(vm, LEAF_INFO, 0);
	check(r.a == v->numbering && r.b == 0 && r.c == max_reason && r.d > 0,
	      "info: numbering %u, scope %u, max reason %#x, TSC %u kHz",
	      r.a, r.b, r.c, r.d);
}

static void test_exact_counts(struct vm *vm)
{
	uint64_t first, second, c1, c2;
	struct regs4 a, b;

	first = reason_exits(vm, v->cpuid);
	second = reason_exits(vm, v->cpuid);
	check(second - first == 1,
	      "two 0x4FFFFFF3 queries of reason CPUID differ by 1 (%llu, %llu)",
	      (unsigned long long)first, (unsigned long long)second);

	a = query(vm, LEAF_EXITS, v->cpuid);
	b = query(vm, LEAF_EXITS_ALT, v->cpuid);
	check(b.a - a.a == 1 && a.b == 0 && a.c == 0 && a.d == 0 && b.d == 0,
	      "0x4FFFFFFE then 0x4FFFFFFD of reason CPUID differ by 1 (%u, %u)",
	      a.a, b.a);

	c1 = reason_cycles(vm, v->cpuid);
	cpuid_loop(vm, 0, 100);
	c2 = reason_cycles(vm, v->cpuid);
	check(c2 > c1, "cycles of reason CPUID grow (%llu -> %llu)",
	      (unsigned long long)c1, (unsigned long long)c2);

	a = query(vm, LEAF_TOTALS, 0);
	cpuid_loop(vm, 0, 100);
	b = query(vm, LEAF_TOTALS, 0);
	check(b.a - a.a >= 102 && a.d == 0 &&
	      ((uint64_t)b.b << 32 | b.c) > ((uint64_t)a.b << 32 | a.c),
	      "0x4FFFFFFF: exits %u -> %u, cycles %llu -> %llu", a.a, b.a,
	      (unsigned long long)a.b << 32 | a.c,
	      (unsigned long long)b.b << 32 | b.c);

	first = reason_exits(vm, v->io);
	run_until_hlt(vm, 0, CODE_OUTB, 0, 0, 0, NULL);
	second = reason_exits(vm, v->io);
	check(second - first == 1, "one OUT is one exit of the I/O reason (%llu -> %llu)",
	      (unsigned long long)first, (unsigned long long)second);

	first = reason_exits(vm, v->hlt);
	second = reason_exits(vm, v->hlt);
	check(second - first == 1, "one query's HLT is one exit of reason HLT");
}

/* Queries every per-reason leaf for each reason; counts answers that fail @ok. */
static unsigned int count_bad_answers(struct vm *vm, const uint32_t *reasons,
				      unsigned int nr, int (*ok)(struct regs4))
{
	static const uint32_t leaves[] = { LEAF_EXITS, LEAF_EXITS_ALT,
					   LEAF_CYCLES, LEAF_REASON64,
					   LEAF_HISTOGRAM, LEAF_BUCKET };
	unsigned int i, j, bad = 0;
	struct regs4 r;

	for (i = 0; i < nr; i++)
		for (j = 0; j < sizeof(leaves) / sizeof(leaves[0]); j++) {
			r = query(vm, leaves[j], reasons[i]);
			if (!ok(r)) {
				printf("# leaf %#x reason %#x: %#x %#x %#x %#x\n",
				       leaves[j], reasons[i], r.a, r.b, r.c, r.d);
				bad++;
			}
		}
	return bad;
}

static void test_reason_classes(struct vm *vm)
{
	unsigned int i, bad;
	struct regs4 r;

	bad = count_bad_answers(vm, v->undefined, sizeof(v->undefined) / sizeof(v->undefined[0]),
				is_undefined);
	check(!bad, "undefined reasons answer edx=0xFFFFFFFF, others 0");

	bad = count_bad_answers(vm, v->not_handled,
				sizeof(v->not_handled) / sizeof(v->not_handled[0]), is_zero);
	check(!bad, "defined reasons without a KVM handler answer all zeros");

	r = query(vm, LEAF_REASON64, max_reason);
	check(r.d == 0, "the highest reason %#x is accepted", max_reason);

	bad = 0;
	for (i = 0x4FFFFFF6; i <= 0x4FFFFFFB; i++)
		bad += !is_zero(query(vm, i, v->cpuid));
	check(!bad, "reserved leaves 0x4FFFFFF6..0x4FFFFFFB answer all zeros");
}

static int is_series_reason(uint32_t reason)
{
	unsigned int i;

	for (i = 0; i < nr_series_reasons; i++)
		if (series_reasons[i] == reason)
			return 1;
	return 0;
}

/* Exactly the reasons of the series' own headers are defined. */
static void test_series_reasons(struct vm *vm)
{
	uint32_t reason, bad = 0;
	struct regs4 r;

	for (reason = 0; reason <= max_reason + 16; reason++) {
		if (v->numbering == 2 && reason == 0x100)
			reason = 0x400;
		r = query(vm, LEAF_REASON64, reason);
		if (is_series_reason(reason) == is_undefined(r)) {
			printf("# reason %#x: edx %#x, defined by the series: %d\n",
			       reason, r.d, is_series_reason(reason));
			bad++;
		}
	}
	check(!bad, "the %u reasons the series' headers define are defined, no other up to %#x",
	      nr_series_reasons, max_reason + 16);
}

/*
 * The per-reason counts are read one query at a time while the queries
 * themselves add exits, so their sum lies between the totals read before
 * and after; the window is small next to the counts after the warm-up.
 */
static void test_sum_of_reasons(struct vm *vm)
{
	uint64_t before, after, sum = 0;
	uint32_t reason, slot_count = 0;
	struct regs4 r;

	cpuid_loop(vm, 0, 2000);
	before = total_exits(vm);
	for (reason = 0; reason <= max_reason; reason++) {
		if (v->numbering == 2 && reason == 0x100)
			reason = 0x400;
		r = query(vm, LEAF_REASON64, reason);
		if (r.d)
			continue;
		sum += (uint64_t)r.b << 32 | r.a;
		slot_count++;
	}
	after = total_exits(vm);
	check(before <= sum && sum <= after && before > 2000,
	      "sum over %u reasons %llu lies within the totals %llu..%llu",
	      slot_count, (unsigned long long)sum,
	      (unsigned long long)before, (unsigned long long)after);
}

/* A reason's histogram as the guest reads it: 0x4FFFFFF4, then 0x4FFFFFF5. */
struct histogram {
	uint64_t nonempty, max, sum;
	uint64_t bucket[NR_BUCKETS];
	unsigned int nr_buckets;
};

static void read_histogram(struct vm *vm, uint32_t reason, struct histogram *h)
{
	struct regs4 r = query(vm, LEAF_HISTOGRAM, reason);
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->nonempty = (uint64_t)(r.b & 0xff) << 32 | r.a;
	h->nr_buckets = r.b >> 8 & 0xff;
	h->max = (uint64_t)r.d << 32 | r.c;
	for (i = 0; i < NR_BUCKETS; i++) {
		if (!(h->nonempty >> i & 1))
			continue;
		r = query(vm, LEAF_BUCKET, reason | i << 16);
		h->bucket[i] = (uint64_t)r.b << 32 | r.a;
		h->sum += h->bucket[i];
	}
}

static int bucket_of(uint64_t cycles)
{
	int b = cycles ? 64 - __builtin_clzll(cycles) : 0;

	return b < NR_BUCKETS ? b : NR_BUCKETS - 1;
}

static int highest_bucket(uint64_t nonempty)
{
	return nonempty ? 63 - __builtin_clzll(nonempty) : -1;
}

static int median_bucket(const uint64_t *bucket, uint64_t sum)
{
	uint64_t below = 0;
	int i;

	for (i = 0; i < NR_BUCKETS; i++) {
		below += bucket[i];
		if (below * 2 >= sum && sum)
			return i;
	}
	return -1;
}

/* Buckets with exits are marked, hold the count, and the maximum is in the last. */
static int histogram_agrees(const struct histogram *h, uint64_t exits)
{
	if (!exits)
		return h->nr_buckets == NR_BUCKETS && !h->nonempty && !h->max;
	return h->nr_buckets == NR_BUCKETS && h->sum == exits &&
	       highest_bucket(h->nonempty) == bucket_of(h->max);
}

/* Each reason with a histogram costs its vCPUs a row of 37 words each. */
static void test_histogram_memory(struct vm *vm)
{
	unsigned int rows = 0, bytes;
	uint32_t reason;

	for (reason = 0; reason <= max_reason; reason++) {
		if (v->numbering == 2 && reason == 0x100)
			reason = 0x400;
		if ((query(vm, LEAF_HISTOGRAM, reason).b >> 8 & 0xff) == NR_BUCKETS)
			rows++;
	}
	bytes = (rows + 1) * (NR_BUCKETS + 1) * 8;
	check(rows > 0 && bytes <= 32768,
	      "%u reasons have histograms: %u bytes per vCPU with the row of the others (at most 32 KiB)",
	      rows, bytes);
}

static void test_histograms(struct vm *vm)
{
	struct histogram io, npf, cpuid;
	uint64_t io_exits, npf_before, npf_after, cpuid_before, cpuid_after;
	unsigned int i, bad = 0;
	struct regs4 r;

	test_histogram_memory(vm);
	for (i = 0; i < 5; i++)
		run_until_hlt(vm, 0, CODE_OUTB, 0, 0, 0, NULL);
	io_exits = reason_exits(vm, v->io);
	read_histogram(vm, v->io, &io);
	check(histogram_agrees(&io, io_exits) && io_exits >= 5,
	      "I/O: %u buckets, the marked ones sum to the %llu exits, maximum %llu in bucket %d",
	      io.nr_buckets, (unsigned long long)io_exits,
	      (unsigned long long)io.max, highest_bucket(io.nonempty));
	for (i = 0; i < NR_BUCKETS; i++)
		if (!(io.nonempty >> i & 1)) {
			r = query(vm, LEAF_BUCKET, v->io | i << 16);
			bad += r.a || r.b || r.c || r.d;
		}
	check(!bad, "I/O: each bucket not marked in 0x4FFFFFF4 holds 0 (%u do not)", bad);

	r = query(vm, LEAF_BUCKET, v->io | NR_BUCKETS << 16);
	check(is_undefined(r), "0x4FFFFFF5 with bucket %d answers as an undefined reason",
	      NR_BUCKETS);

	/* Each first write to a page exits to KVM, which faults the page in. */
	npf_before = reason_exits(vm, v->npf);
	run_until_hlt(vm, 0, CODE_TOUCH, 0, 0, 0, NULL);
	npf_after = reason_exits(vm, v->npf);
	read_histogram(vm, v->npf, &npf);
	cpuid_before = reason_exits(vm, v->cpuid);
	read_histogram(vm, v->cpuid, &cpuid);
	cpuid_after = reason_exits(vm, v->cpuid);
	check(npf_after - npf_before >= UNTOUCHED_PAGES / 2 && histogram_agrees(&npf, npf_after),
	      "nested page faults: %llu for %d new pages, buckets sum to the %llu exits",
	      (unsigned long long)(npf_after - npf_before), UNTOUCHED_PAGES,
	      (unsigned long long)npf_after);
	check(cpuid.sum > cpuid_before && cpuid.sum < cpuid_after &&
	      highest_bucket(cpuid.nonempty) == bucket_of(cpuid.max),
	      "CPUID, read while the reads add exits: buckets sum to %llu, between %llu and %llu",
	      (unsigned long long)cpuid.sum, (unsigned long long)cpuid_before,
	      (unsigned long long)cpuid_after);
	check(median_bucket(npf.bucket, npf.sum) > median_bucket(cpuid.bucket, cpuid.sum),
	      "a first touch of a page costs more than a CPUID: median bucket %d > %d",
	      median_bucket(npf.bucket, npf.sum), median_bucket(cpuid.bucket, cpuid.sum));
}

/* The host's file of @vm: /sys/kernel/debug/kvm/PID-FD/exitstats. */
static FILE *open_host_file(const struct vm *vm)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/exitstats",
		 getpid(), vm->fd);
	return fopen(path, "r");
}

struct host_file {
	uint64_t reason_exits[0x500];
	uint64_t cpuid_exits, vcpu_exits[2];
	unsigned int hist_lines, bad_lines, vcpus;
};

/*
 * Reads the host's file of @vm once: every hist line must sum to its reason
 * line and have its maximum in its highest bucket.
 */
static int read_host_file(const struct vm *vm, struct host_file *f)
{
	char line[2048], *p, *end;
	unsigned long long n, max;
	unsigned int reason, id;
	FILE *file = open_host_file(vm);

	memset(f, 0, sizeof(*f));
	if (!file)
		return -1;
	while (fgets(line, sizeof(line), file)) {
		if (sscanf(line, "reason %x %llu", &reason, &n) == 2 && reason < 0x500) {
			f->reason_exits[reason] = n;
		} else if (sscanf(line, "vcpu %u %llu", &id, &n) == 2 && id < 2) {
			f->vcpu_exits[id] = n;
			f->vcpus++;
		} else if (sscanf(line, "hist %x %llu", &reason, &max) == 2 && reason < 0x500) {
			uint64_t sum = 0, nonempty = 0;
			unsigned int bucket;

			p = strchr(strchr(line, ' ') + 1, ' ') + 1;
			strtoull(p, &end, 10);
			for (p = end; sscanf(p, " %u:%llu", &bucket, &n) == 2; ) {
				sum += n;
				nonempty |= bucket < 64 ? 1ull << bucket : 0;
				p = strchr(p + 1, ' ');
				if (!p)
					break;
			}
			f->hist_lines++;
			if (sum != f->reason_exits[reason] ||
			    highest_bucket(nonempty) != bucket_of(max)) {
				printf("# %s", line);
				f->bad_lines++;
			}
		}
	}
	fclose(file);
	f->cpuid_exits = f->reason_exits[v->cpuid];
	return 0;
}

struct reader_arg {
	const struct vm *vm;
	volatile int stop;
	unsigned int reads, hist_lines, bad_lines;
};

static void *host_file_reader(void *p)
{
	struct reader_arg *arg = p;
	struct host_file f;

	while (!arg->stop && read_host_file(arg->vm, &f) == 0) {
		arg->reads++;
		arg->hist_lines += f.hist_lines;
		arg->bad_lines += f.bad_lines;
	}
	return NULL;
}

struct loop_arg {
	struct vm *vm;
	int vcpu;
	unsigned int count;
};

static void *loop_thread(void *p)
{
	struct loop_arg *arg = p;

	cpuid_loop(arg->vm, arg->vcpu, arg->count);
	return NULL;
}

static void test_two_vcpus(unsigned int count)
{
	struct reader_arg reader = {};
	struct loop_arg args[2];
	struct histogram h;
	struct host_file f;
	pthread_t thread[2], reader_thread;
	uint64_t before, after;
	struct vm vm;
	int i;

	vm_create(&vm, 2, NULL);
	reader.vm = &vm;
	before = reason_exits(&vm, v->cpuid);
	pthread_create(&reader_thread, NULL, host_file_reader, &reader);
	for (i = 0; i < 2; i++) {
		args[i] = (struct loop_arg){ &vm, i, count };
		pthread_create(&thread[i], NULL, loop_thread, &args[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(thread[i], NULL);
	reader.stop = 1;
	pthread_join(reader_thread, NULL);
	after = reason_exits(&vm, v->cpuid);
	check(after - before == 2ull * count + 1,
	      "two vCPUs with %u CPUIDs each running at once: %llu exits (expected %llu)",
	      count, (unsigned long long)(after - before), 2ull * count + 1);
	check(reader.reads > 0 && reader.hist_lines > 0 && !reader.bad_lines,
	      "host file read %u times while both vCPUs ran: %u hist lines, each summing to its reason with its maximum in its last bucket (%u do not)",
	      reader.reads, reader.hist_lines, reader.bad_lines);

	for (i = 0; i < 2; i++)
		run_until_hlt(&vm, i, CODE_OUTB, 0, 0, 0, NULL);
	read_host_file(&vm, &f);
	check(f.vcpus == 2 && f.vcpu_exits[0] >= count && f.vcpu_exits[1] >= count,
	      "host file: 2 vcpu lines, %llu and %llu exits", (unsigned long long)f.vcpu_exits[0],
	      (unsigned long long)f.vcpu_exits[1]);
	read_histogram(&vm, v->io, &h);
	check(histogram_agrees(&h, reason_exits(&vm, v->io)) && f.hist_lines > 0 && !f.bad_lines,
	      "two vCPUs: the guest's I/O histogram and the host file's agree with the counts");
	vm_destroy(&vm);
}

static void test_scopes(struct vm *vm, unsigned int count)
{
	uint64_t before, after;
	struct histogram h1, h2;
	struct vm other;

	vm_create(&other, 1, NULL);
	read_histogram(vm, v->npf, &h1);
	run_until_hlt(&other, 0, CODE_TOUCH, 0, 0, 0, NULL);
	read_histogram(vm, v->npf, &h2);
	check(h2.sum == h1.sum && h2.nonempty == h1.nonempty,
	      "vm scope: another VM's page faults are not in this VM's histogram (%llu, %llu)",
	      (unsigned long long)h1.sum, (unsigned long long)h2.sum);
	before = reason_exits(vm, v->cpuid);
	cpuid_loop(&other, 0, count);
	after = reason_exits(vm, v->cpuid);
	check(after - before == 1,
	      "vm scope: another VM's %u CPUIDs are invisible (delta %llu)",
	      count, (unsigned long long)(after - before));

	set_scope("host");
	check(query(vm, LEAF_INFO, 0).b == 1, "host scope: 0x4FFFFFF1 ebx = 1");
	read_histogram(vm, v->npf, &h2);
	check(h2.sum >= h1.sum + UNTOUCHED_PAGES / 2 && h2.sum == reason_exits(vm, v->npf),
	      "host scope: the page faults of all VMs are in the histogram (%llu)",
	      (unsigned long long)h2.sum);
	before = reason_exits(vm, v->cpuid);
	cpuid_loop(&other, 0, count);
	after = reason_exits(vm, v->cpuid);
	check(after - before == count + 1ull,
	      "host scope: another VM's %u CPUIDs are visible (delta %llu)",
	      count, (unsigned long long)(after - before));

	read_histogram(vm, v->npf, &h1);
	before = reason_exits(vm, v->cpuid);
	vm_destroy(&other);
	after = reason_exits(vm, v->cpuid);
	read_histogram(vm, v->npf, &h2);
	check(after - before == 1,
	      "host scope: a destroyed VM's exits stay in the host totals (delta %llu)",
	      (unsigned long long)(after - before));
	check(h2.sum == h1.sum && h2.nonempty == h1.nonempty && h2.max == h1.max,
	      "host scope: a destroyed VM's page faults stay in the histogram (%llu, %llu)",
	      (unsigned long long)h1.sum, (unsigned long long)h2.sum);
	set_scope("vm");
	check(query(vm, LEAF_INFO, 0).b == 0, "back to vm scope: 0x4FFFFFF1 ebx = 0");
}

static void test_off(void)
{
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[2];
	} cpuid = {
		.head.nent = 2,
		.entries = {
			{ .function = LEAF_DISCOVERY, .eax = 0x11111111,
			  .ebx = 0x22222222, .ecx = 0x33333333, .edx = 0x44444444 },
			{ .function = LEAF_TOTALS, .eax = 0x55555555 },
		},
	};
	uint64_t before, after;
	struct regs4 r;
	struct vm vm;
	int i, fd;

	vm_create(&vm, 1, &cpuid.head);
	r = query(&vm, LEAF_DISCOVERY, 0);
	check(r.b == 0x454d564b, "on: our answer comes before the VMM's CPUID table");

	before = reason_exits(&vm, v->cpuid);
	set_scope("off");
	r = query(&vm, LEAF_DISCOVERY, 0);
	check(r.a == 0x11111111 && r.b == 0x22222222 && r.c == 0x33333333 &&
	      r.d == 0x44444444, "off: 0x4FFFFFF0 answers the VMM's table like stock KVM");
	r = query(&vm, LEAF_TOTALS, 0);
	check(r.a == 0x55555555, "off: 0x4FFFFFFF answers the VMM's table like stock KVM");
	for (i = 0; i < 10; i++)
		query(&vm, LEAF_REASON64, v->cpuid);
	set_scope("vm");
	after = reason_exits(&vm, v->cpuid);
	check(after - before == 1, "exits while off are not counted (delta %llu)",
	      (unsigned long long)(after - before));
	vm_destroy(&vm);

	fd = open("/sys/module/kvm/parameters/exitstats", O_WRONLY);
	check(fd >= 0 && write(fd, "bogus", 5) < 0 && errno == EINVAL,
	      "kvm.exitstats rejects an unknown value");
	close(fd);
}

/* Counted for the host's file while guests see stock KVM. */
static void test_hidden(struct vm *vm)
{
	uint64_t before, after, host_before;
	struct host_file f;
	struct regs4 r;
	int i;

	read_host_file(vm, &f);
	host_before = f.cpuid_exits;
	before = reason_exits(vm, v->cpuid);
	set_scope("hidden");
	r = query(vm, LEAF_DISCOVERY, 0);
	check(r.b != 0x454d564b, "hidden: no signature at 0x4FFFFFF0 (ebx %#x)", r.b);
	r = query(vm, LEAF_HISTOGRAM, v->cpuid);
	check(!(r.b >> 8 == NR_BUCKETS && r.b != 0), "hidden: 0x4FFFFFF4 is not ours (ebx %#x)", r.b);
	for (i = 0; i < 10; i++)
		query(vm, LEAF_REASON64, v->cpuid);
	if (read_host_file(vm, &f) < 0)
		f.cpuid_exits = 0;
	check(f.cpuid_exits >= host_before + 13,
	      "hidden: the host file keeps counting (CPUID %llu -> %llu)",
	      (unsigned long long)host_before, (unsigned long long)f.cpuid_exits);
	set_scope("vm");
	after = reason_exits(vm, v->cpuid);
	check(after - before == 13, "back to vm: the hidden time's exits were counted (delta %llu)",
	      (unsigned long long)(after - before));
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_fuzz(struct vm *vm, unsigned int count)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned int i, bad = 0;

	for (i = 0; i < count; i++) {
		uint32_t leaf = 0x4FFFFFF0u + xorshift(&seed) % 16;
		uint32_t ecx = xorshift(&seed);
		struct regs4 r;

		if (i & 1)
			ecx %= max_reason + 16;
		r = query(vm, leaf, ecx);
		switch (leaf) {
		case LEAF_EXITS: case LEAF_EXITS_ALT: case LEAF_CYCLES: case LEAF_REASON64:
		case LEAF_BUCKET:
			if (r.d && !is_undefined(r))
				bad++;
			break;
		case LEAF_HISTOGRAM:
			if (!is_undefined(r) && !is_zero(r) && (r.b >> 8 & 0xff) != NR_BUCKETS)
				bad++;
			break;
		case LEAF_DISCOVERY:
			if (r.a != 2 || r.b != 0x454d564b)
				bad++;
			break;
		case LEAF_INFO: case LEAF_TOTAL64: case LEAF_TOTALS:
			if (r.d && leaf != LEAF_INFO)
				bad++;
			break;
		default:
			if (!is_zero(r))
				bad++;
		}
	}
	check(!bad, "%u queries with random ecx on every leaf answer consistently (%u bad)",
	      count, bad);
}

/* kvm.ko was loaded with exitstats=off: stock answers until switched on. */
static void test_loaded_off(void)
{
	char value[16] = {};
	uint64_t before, after;
	struct regs4 r;
	struct vm vm;
	int fd;

	fd = open("/sys/module/kvm/parameters/exitstats", O_RDONLY);
	check(fd >= 0 && read(fd, value, sizeof(value) - 1) > 0 && !strcmp(value, "off\n"),
	      "kvm.exitstats=off at load time reads back \"off\"");
	close(fd);

	vm_create(&vm, 1, NULL);
	r = query(&vm, LEAF_DISCOVERY, 0);
	check(r.b != 0x454d564b, "loaded off: no signature at 0x4FFFFFF0 (ebx %#x)", r.b);
	set_scope("vm");
	before = reason_exits(&vm, v->cpuid);
	after = reason_exits(&vm, v->cpuid);
	check(query(&vm, LEAF_DISCOVERY, 0).b == 0x454d564b && after - before == 1 && before < 3,
	      "switched on at run time: counting starts (%llu, %llu)",
	      (unsigned long long)before, (unsigned long long)after);
	vm_destroy(&vm);
}

int main(int argc, char **argv)
{
	int loaded_off = argc > 2 && !strcmp(argv[2], "loaded-off");
	unsigned int count = argc > 2 && !loaded_off ? strtoul(argv[2], NULL, 0) : 2000;
	struct vm idle, vm;
	unsigned int i;

	for (i = 0; argc > 1 && i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (!strcmp(argv[1], vendors[i].name))
			v = &vendors[i];
	if (!v) {
		fprintf(stderr, "usage: %s vmx|svm [loop-count|loaded-off] [REASON,...]\n", argv[0]);
		return 2;
	}
	max_reason = v->max_reason;
	if (argc > 3) {
		char *list = argv[3], *end;

		max_reason = 0;
		while (*list && nr_series_reasons < sizeof(series_reasons) / sizeof(series_reasons[0])) {
			series_reasons[nr_series_reasons] = strtoul(list, &end, 0);
			if (series_reasons[nr_series_reasons] > max_reason)
				max_reason = series_reasons[nr_series_reasons];
			nr_series_reasons++;
			list = *end == ',' ? end + 1 : end;
			if (end == list && *list)
				break;
		}
	}
	kvm_open();
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 && errno != EBUSY)
		die("mount debugfs");

	/*
	 * Keep one VM for the whole run so KVM's own static keys do not flip
	 * as VMs come and go (a live-patching race of multi-threaded TCG).
	 */
	vm_create(&idle, 1, NULL);
	if (loaded_off) {
		test_loaded_off();
		vm_destroy(&idle);
		printf("%d passed, %d failed\n", passed, failed);
		return failed ? 1 : 0;
	}
	vm_create(&vm, 1, NULL);

	test_discovery(&vm);
	test_exact_counts(&vm);
	test_reason_classes(&vm);
	if (nr_series_reasons)
		test_series_reasons(&vm);
	test_sum_of_reasons(&vm);
	test_histograms(&vm);
	test_two_vcpus(count);
	test_scopes(&vm, count);
	test_hidden(&vm);
	test_off();
	test_fuzz(&vm, 2 * count);

	vm_destroy(&vm);
	vm_destroy(&idle);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
