// SPDX-License-Identifier: GPL-2.0-only
/*
 * A race stress of what a host does while its guests exit, for the debug
 * kernels (tests/debug-kernel/run.sh). For SECONDS:
 * - VM threads create VMs, create each VM's vCPUs in a thread of their own,
 *   run them (CPUID of every leaf 0x4FFFFFF0..0x4FFFFFFF, port I/O, HLT)
 *   and destroy the VMs, keeping some host files open past their VM's end;
 * - reader threads read every VM's host file, and the files kept open once
 *   their VM has ended (their close then destroys the VM);
 * - a switcher cycles kvm.exitstats through all its values.
 * On Debian's unmodified modules (no host files, no parameter) the VMs and
 * vCPUs run alike, for a baseline.
 *
 * usage: race_stress SECONDS
 * Prints what it did and "ok"/"not ok" lines; the kernel's own reports are
 * for the caller to find in the kernel log.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define VM_THREADS	3
#define READERS		2
#define MAX_VCPUS	4
#define ROUNDS		40
#define MAX_HELD	16
#define GUEST_MEM	0x10000
#define GUEST_CODE	0x1000
#define LEAF_BASE	0x4FFFFFF0u
#define PARAMETER	"/sys/module/kvm/parameters/exitstats"
#define KVM_DEBUGFS	"/sys/kernel/debug/kvm"

/* cpuid; out 0x80, al; hlt */
static const uint8_t guest_code[] = { 0x0f, 0xa2, 0xe6, 0x80, 0xf4 };

static int kvm_fd;
static struct timespec deadline;
static atomic_bool stop;
static atomic_ulong vms, vcpus, guest_runs, file_reads, held_reads, switches;
static atomic_uint failures;

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static int held[MAX_HELD];
static int nr_held;

static void fail(const char *what)
{
	printf("not ok - %s: %s\n", what, strerror(errno));
	atomic_fetch_add(&failures, 1);
	atomic_store(&stop, true);
}

static bool past_deadline(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return atomic_load(&stop) || now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

struct vcpu_arg {
	int vm_fd, id;
	pthread_t thread;
};

/* One round: CPUID of @leaf with @ecx, an OUT, then HLT. */
static int run_round(int fd, struct kvm_run *run, uint32_t leaf, uint32_t ecx)
{
	struct kvm_regs regs = { .rip = GUEST_CODE, .rax = leaf, .rcx = ecx,
				 .rflags = 2 };

	if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return 0;
		if (run->exit_reason != KVM_EXIT_IO) {
			errno = EPROTO;
			return -1;
		}
	}
}

static void *vcpu_thread(void *p)
{
	struct vcpu_arg *arg = p;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	long run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	int fd, round;

	fd = ioctl(arg->vm_fd, KVM_CREATE_VCPU, arg->id);
	if (fd < 0) {
		fail("KVM_CREATE_VCPU");
		return NULL;
	}
	atomic_fetch_add(&vcpus, 1);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		fail("mmap kvm_run");
		close(fd);
		return NULL;
	}
	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0) {
		fail("KVM_GET_SREGS");
		goto out;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0) {
		fail("KVM_SET_SREGS");
		goto out;
	}
	/* Every leaf, with reasons and buckets in ecx, and a plain leaf 0. */
	for (round = 0; round < ROUNDS; round++) {
		uint32_t leaf = round % 17 == 16 ? 0 : LEAF_BASE + round % 17;

		if (run_round(fd, run, leaf, (uint32_t)round * 0x10007u) < 0) {
			fail("KVM_RUN");
			break;
		}
		atomic_fetch_add(&guest_runs, 1);
	}
out:
	munmap(run, run_size);
	close(fd);
	return NULL;
}

static void hold_file(int fd)
{
	pthread_mutex_lock(&held_lock);
	if (nr_held < MAX_HELD)
		held[nr_held++] = fd;
	else
		close(fd);
	pthread_mutex_unlock(&held_lock);
}

static int take_held_file(void)
{
	int fd = -1;

	pthread_mutex_lock(&held_lock);
	if (nr_held)
		fd = held[--nr_held];
	pthread_mutex_unlock(&held_lock);
	return fd;
}

static void one_vm(unsigned int n)
{
	struct kvm_userspace_memory_region region = { .memory_size = GUEST_MEM };
	struct vcpu_arg arg[MAX_VCPUS];
	int nr_vcpus = 1 + n % MAX_VCPUS, i, file = -1, vm_fd;
	char path[96];
	uint8_t *mem;

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0) {
		fail("KVM_CREATE_VM");
		return;
	}
	atomic_fetch_add(&vms, 1);
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("mmap");
		close(vm_fd);
		return;
	}
	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		fail("KVM_SET_USER_MEMORY_REGION");
		nr_vcpus = 0;
	}
	for (i = 0; i < nr_vcpus; i++) {
		arg[i] = (struct vcpu_arg){ .vm_fd = vm_fd, .id = i };
		pthread_create(&arg[i].thread, NULL, vcpu_thread, &arg[i]);
	}
	/*
	 * Every other VM's host file stays open past the VM's end; KVM names
	 * the VM's directory after the creating thread's id.
	 */
	if (n % 2) {
		snprintf(path, sizeof(path), KVM_DEBUGFS "/%d-%d/exitstats",
			 gettid(), vm_fd);
		file = open(path, O_RDONLY);
	}
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(arg[i].thread, NULL);
	close(vm_fd);
	munmap(mem, GUEST_MEM);
	if (file >= 0)
		hold_file(file);
}

static void *vm_thread(void *p)
{
	unsigned int n = (uintptr_t)p;

	while (!past_deadline()) {
		one_vm(n);
		n += VM_THREADS;
	}
	return NULL;
}

static bool read_whole(int fd)
{
	char buffer[4096];
	ssize_t got;
	size_t total = 0;

	while ((got = read(fd, buffer, sizeof(buffer))) > 0)
		total += got;
	return got == 0 && total > 0;
}

static void read_every_host_file(void)
{
	struct dirent *entry;
	char path[300];
	DIR *dir = opendir(KVM_DEBUGFS);
	int fd;

	if (!dir)
		return;
	while ((entry = readdir(dir))) {
		if (!strchr(entry->d_name, '-'))
			continue;
		snprintf(path, sizeof(path), KVM_DEBUGFS "/%s/exitstats", entry->d_name);
		fd = open(path, O_RDONLY);
		/* The VM may have ended since readdir. */
		if (fd < 0)
			continue;
		if (read_whole(fd))
			atomic_fetch_add(&file_reads, 1);
		close(fd);
	}
	closedir(dir);
}

static void *reader_thread(void *p)
{
	int fd;

	(void)p;
	while (!past_deadline()) {
		read_every_host_file();
		fd = take_held_file();
		if (fd < 0)
			continue;
		if (read_whole(fd))
			atomic_fetch_add(&held_reads, 1);
		else
			fail("reading a host file held past its VM's end");
		close(fd);
	}
	return NULL;
}

static void *switcher_thread(void *p)
{
	static const char *const values[] = { "off", "vm", "host", "hidden" };
	unsigned int i = 0;
	int fd;

	(void)p;
	while (!past_deadline()) {
		const char *value = values[i++ % 4];

		fd = open(PARAMETER, O_WRONLY);
		if (fd < 0 && errno == ENOENT)
			return NULL;
		if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value)) {
			fail("writing " PARAMETER);
			return NULL;
		}
		close(fd);
		atomic_fetch_add(&switches, 1);
		usleep(2000);
	}
	return NULL;
}

static unsigned int vm_directories_left(void)
{
	struct dirent *entry;
	unsigned int left = 0;
	DIR *dir = opendir(KVM_DEBUGFS);

	if (!dir)
		return 0;
	while ((entry = readdir(dir)))
		left += strchr(entry->d_name, '-') != NULL;
	closedir(dir);
	return left;
}

int main(int argc, char **argv)
{
	pthread_t vm_threads[VM_THREADS], readers[READERS], switcher;
	int seconds = argc == 2 ? atoi(argv[1]) : 0, i, fd;
	bool stock = access(PARAMETER, F_OK) != 0;
	unsigned int left;

	if (seconds <= 0) {
		fprintf(stderr, "usage: race_stress SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm_fd = open("/dev/kvm", O_RDWR);
	if (kvm_fd < 0) {
		printf("not ok - /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	printf("# race stress for %d s: %d VM threads (1 to %d vCPUs, each created in its own thread), %d readers, 1 switcher%s\n",
	       seconds, VM_THREADS, MAX_VCPUS, READERS,
	       stock ? " (no kvm.exitstats: Debian's modules, the baseline)" : "");
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	for (i = 0; i < VM_THREADS; i++)
		pthread_create(&vm_threads[i], NULL, vm_thread, (void *)(uintptr_t)i);
	for (i = 0; i < READERS; i++)
		pthread_create(&readers[i], NULL, reader_thread, NULL);
	pthread_create(&switcher, NULL, switcher_thread, NULL);
	for (i = 0; i < VM_THREADS; i++)
		pthread_join(vm_threads[i], NULL);
	for (i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	pthread_join(switcher, NULL);
	while ((fd = take_held_file()) >= 0)
		close(fd);
	if (!stock) {
		fd = open(PARAMETER, O_WRONLY);
		if (fd < 0 || write(fd, "vm", 2) != 2)
			fail("restoring " PARAMETER);
		close(fd);
	}

	printf("# race stress: %lu VMs, %lu vCPUs, %lu guest runs (CPUID, OUT, HLT), %lu host-file reads, %lu of files held past their VM's end, %lu switches of kvm.exitstats\n",
	       atomic_load(&vms), atomic_load(&vcpus), atomic_load(&guest_runs),
	       atomic_load(&file_reads), atomic_load(&held_reads),
	       atomic_load(&switches));
	printf("%s - every vCPU ran its %d rounds\n",
	       atomic_load(&guest_runs) == atomic_load(&vcpus) * ROUNDS ? "ok" : "not ok",
	       ROUNDS);
	if (!stock)
		printf("%s - host files were read, %s\n",
		       atomic_load(&file_reads) && atomic_load(&held_reads) &&
		       atomic_load(&switches) ? "ok" : "not ok",
		       "live and past their VM's end, while kvm.exitstats switched");
	left = vm_directories_left();
	printf("%s - no VM is left behind in " KVM_DEBUGFS " (%u)\n",
	       left ? "not ok" : "ok", left);
	return atomic_load(&failures) || left ||
	       atomic_load(&guest_runs) != atomic_load(&vcpus) * ROUNDS ||
	       (!stock && !(atomic_load(&file_reads) && atomic_load(&held_reads) &&
			    atomic_load(&switches)));
}
