/*
 * ut_vmrace.c - concurrent faults and munmaps of the same range on
 * different CPUs.  One thread (CPU 0) keeps replacing a 64-page range:
 * munmap, then mmap MAP_FIXED again, and mprotect/madvise(DONTNEED) on
 * parts of it; the other threads (one per remaining CPU, at most 7) keep
 * writing and reading every page, catching SIGSEGV when the range is
 * gone.  Checked: a thread that writes a value and reads the same page
 * back without a fault in between sees its value or 0 (the page was
 * replaced), never another thread's stale frame contents after a
 * shootdown; the process exits 0 and, through kern_userboot.c's page
 * count, nothing leaked (a page mapped outside the map by a racing
 * fault would leak: vm.fault_nolock=1 shows it).  argv[1]: seconds.
 */
#include "utest.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define NPG  64
#define PGSZ 4096

static volatile char *range;
static volatile int stop;
static __thread sigjmp_buf jb;
static __thread volatile int in_probe;
static unsigned long faults[8], bad[8], ops[8];

static void
onsegv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	if (in_probe)
		siglongjmp(jb, 1);
	abort();
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *
toucher(void *arg)
{
	long id = (long)arg;
	volatile unsigned long v = (unsigned long)id << 32;
	unsigned long r = 0x9e3779b9ul * (unsigned long)(id + 1);

	pin((int)id);
	while (!stop) {
		volatile unsigned long *p;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		p = (volatile unsigned long *)(range + (r % NPG) * PGSZ +
		                               8 * id);
		in_probe = 1;
		if (sigsetjmp(jb, 1) == 0) {
			unsigned long got;

			*p = ++v;
			got = *p;
			/* Its own value, or 0 if the page was replaced between. */
			if (got != v && got != 0)
				bad[id]++;
		} else {
			faults[id]++;
		}
		in_probe = 0;
		ops[id]++;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t t[8];
	cpu_set_t set;
	long i, n = 1, secs = argc > 1 ? atol(argv[1]) : 3;
	unsigned long nbad = 0, nf = 0, nops = 0, rounds = 0;
	struct timespec t0, t1;
	void *p;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = onsegv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n > 8)
		n = 8;
	ut_begin("ut_vmrace", 1);
	p = mmap(0, NPG * PGSZ, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	range = p;
	pin(0);
	for (i = 1; i < n; i++)
		pthread_create(&t[i], NULL, toucher, (void *)i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		munmap(p, NPG * PGSZ);
		sched_yield();
		if (mmap(p, NPG * PGSZ, PROT_READ | PROT_WRITE,
		         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
			return 2;
		mprotect((char *)p + 8 * PGSZ, 8 * PGSZ, PROT_READ);
		madvise((char *)p + 16 * PGSZ, 16 * PGSZ, MADV_DONTNEED);
		mprotect((char *)p + 8 * PGSZ, 8 * PGSZ,
		         PROT_READ | PROT_WRITE);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec < secs);
	stop = 1;
	for (i = 1; i < n; i++) {
		pthread_join(t[i], NULL);
		nbad += bad[i];
		nf += faults[i];
		nops += ops[i];
	}
	if (nbad == 0 && (n == 1 || nops > 0))
		ut_line("ok 1 race # %lu remaps, %lu accesses, %lu faults "
		        "caught on %ld CPUs",
		        rounds, nops, nf, n);
	else
		ut_line("not ok 1 race # %lu wrong values", nbad);
	ut_line("%d passed, %d failed", nbad == 0, nbad != 0);
	return nbad != 0;
}
