/*
 * tlbbench.c - the user-mode benchmarks that compare this kernel with
 * Linux, the same static binary on both (docs/PERFORMANCE.md defines
 * each one; tools/bench-vs-linux.py boots both kernels and compares):
 *
 *   tlb_flush2     N threads (N = 1 .. CPUs, thread i on CPU i), each in
 *                  a loop: mmap 1 MiB anonymous private; for each 4 KiB
 *                  page write one byte, madvise(MADV_DONTNEED) the page,
 *                  read it back (must be 0); munmap.  Result: pages per
 *                  second (one page = write + madvise + read) summed over
 *                  the threads; k = N.
 *   shootdown_1page, shootdown_512pages
 *                  a thread on CPU 0 writes 1 page (512 pages) and
 *                  madvise(MADV_DONTNEED)s them, while k threads of the
 *                  same process spin reading a shared page on CPUs
 *                  1 .. k; k = 0, 1, 2, 4, 7 (those below the CPU
 *                  count).  Result: ns per write + madvise; the
 *                  marginal cost of k remote CPUs is t(k) - t(0).
 *   null_syscall   getpid
 *   demand_zero_fault  first write to a fresh anonymous page
 *   mprotect_toggle    mprotect RO then RW of one written page (ns per
 *                  pair of calls)
 *   thread_create_join pthread_create + pthread_join of an empty thread
 *   futex_round_trip   a futex wake and the wake back, CPUs 0 and 1
 *
 *	tlbbench [RUNS [MS [LIST]]]
 *
 * RUNS (default 5, at most 31): measured runs per point after one
 * discarded warm-up run; MS (default 100): the length of one run; LIST:
 * benchmark names separated by commas or '+' (default all; '+' where the
 * list sits inside a comma-separated boot option, as make bench's
 * run=tlbbench:...:null_syscall+demand_zero_fault does).  Each point is one
 * "BENCH {...}" line (name cpus k pages mode unit median min max runs,
 * plus "kernel": uname's sysname and release), the format
 * tools/bench-report.py reads.  Exit status 0, or 1 if a check failed
 * (a page that did not read back 0 after MADV_DONTNEED) or a system call
 * failed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAXRUNS 31
#define MAXTHR  64
#define PGSZ    4096ul
#define MB1     (1ul << 20)

static int ncpu = 1, runs = 5, run_ms = 100;
static char kernel[160];
static const char *list;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	char line[200];
	int n = snprintf(line, sizeof(line), "# tlbbench: %s failed\n", what);

	(void)!write(1, line, (size_t)n);
	exit(1);
}

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
wanted(const char *name)
{
	const char *p = list;
	size_t n = strlen(name);

	if (p == NULL || strcmp(p, "all") == 0)
		return 1;
	while (p != NULL && *p) {
		if (strncmp(p, name, n) == 0 &&
		    (p[n] == ',' || p[n] == '+' || p[n] == '\0'))
			return 1;
		p += strcspn(p, ",+");
		if (*p != '\0')
			p++;
	}
	return 0;
}

/* One BENCH line from runs values (sorted here). */
static void
report(const char *name, int k, int pages, const char *unit, double *v)
{
	char line[400];
	int n;

	qsort(v, (size_t)runs, sizeof(v[0]), cmp);
	n = snprintf(line, sizeof(line),
	             "BENCH {\"name\":\"%s\",\"cpus\":%d,\"k\":%d,\"pages\":%d,"
	             "\"mode\":\"user\",\"unit\":\"%s\",\"median\":%.0f,"
	             "\"min\":%.0f,\"max\":%.0f,\"runs\":%d,"
	             "\"kernel\":\"%s\"}\n",
	             name, ncpu, k, pages, unit, v[runs / 2], v[0], v[runs - 1],
	             runs, kernel);
	(void)!write(1, line, (size_t)n);
}

/* Call fn(arg) until run_ms passed, runs + 1 times; fn returns one
 * run's value given its length. */
static void
measure(const char *name, int k, int pages, const char *unit, double (*fn)(int),
        int arg)
{
	double v[MAXRUNS];
	int i;

	(void)fn(arg);
	for (i = 0; i < runs; i++)
		v[i] = fn(arg);
	report(name, k, pages, unit, v);
}

/* Repeat op until the run's time is up; ns per op. */
#define TIMED_LOOP(op)                                                         \
	do {                                                                   \
		uint64_t t0_ = now_ns(), end_ = t0_ + run_ms * 1000000ull,     \
		         n_ = 0, t_;                                           \
		do {                                                           \
			for (int j_ = 0; j_ < 16; j_++) {                      \
				op;                                            \
			}                                                      \
			n_ += 16;                                              \
			t_ = now_ns();                                         \
		} while (t_ < end_);                                           \
		return (double)(t_ - t0_) / (double)n_;                        \
	} while (0)

/* ---- tlb_flush2 ---- */

static volatile int f2_go, f2_stop, f2_ready;
static uint64_t f2_count[MAXTHR][8]; /* [i][0], one cache line each */

static void *
f2_thread(void *arg)
{
	int id = (int)(long)arg;

	pin(id);
	__atomic_add_fetch(&f2_ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&f2_go, __ATOMIC_ACQUIRE))
		;
	while (!f2_stop) {
		volatile char *p = mmap(NULL, MB1, PROT_READ | PROT_WRITE,
		                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i;

		if (p == MAP_FAILED)
			die("tlb_flush2 mmap");
		for (i = 0; i < MB1; i += PGSZ) {
			p[i] = 1;
			if (madvise((void *)(p + i), PGSZ, MADV_DONTNEED) != 0)
				die("tlb_flush2 madvise");
			if (p[i] != 0)
				die("tlb_flush2: page not zero after "
				    "MADV_DONTNEED: check");
			__atomic_store_n(&f2_count[id][0], f2_count[id][0] + 1,
			                 __ATOMIC_RELAXED);
		}
		munmap((void *)p, MB1);
	}
	return NULL;
}

static void
bench_tlb_flush2(void)
{
	pthread_t th[MAXTHR];
	double v[MAXRUNS];
	int n, i, r;

	for (n = 1; n <= ncpu && n <= MAXTHR; n++) {
		f2_go = f2_stop = f2_ready = 0;
		memset(f2_count, 0, sizeof(f2_count));
		for (i = 0; i < n; i++)
			if (pthread_create(&th[i], NULL, f2_thread,
			                   (void *)(long)i) != 0)
				die("pthread_create");
		while (__atomic_load_n(&f2_ready, __ATOMIC_ACQUIRE) < n)
			sched_yield();
		__atomic_store_n(&f2_go, 1, __ATOMIC_RELEASE);
		/* The measuring thread sleeps: it takes no CPU from them. */
		for (r = -1; r < runs; r++) {
			uint64_t c0 = 0, c1 = 0, t0, t1;
			struct timespec ts = {run_ms / 1000,
			                      (run_ms % 1000) * 1000000l};

			for (i = 0; i < n; i++)
				c0 += __atomic_load_n(&f2_count[i][0],
				                      __ATOMIC_RELAXED);
			t0 = now_ns();
			nanosleep(&ts, NULL);
			for (i = 0; i < n; i++)
				c1 += __atomic_load_n(&f2_count[i][0],
				                      __ATOMIC_RELAXED);
			t1 = now_ns();
			if (r >= 0)
				v[r] =
				    (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
		}
		f2_stop = 1;
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		report("tlb_flush2", n, 256, "pages/s", v);
	}
}

/* ---- shootdown latency ---- */

static volatile int sd_stop, sd_ready;
static volatile uint64_t sd_shared[512];
static volatile char *sd_buf;

static void *
sd_spinner(void *arg)
{
	uint64_t x = 0;

	pin((int)(long)arg);
	__atomic_add_fetch(&sd_ready, 1, __ATOMIC_RELEASE);
	while (!sd_stop)
		x += sd_shared[0];
	return (void *)(uintptr_t)x;
}

static double
sd_run(int pages)
{
	TIMED_LOOP({
		for (int p_ = 0; p_ < pages; p_++)
			sd_buf[(size_t)p_ * PGSZ] = 1;
		if (madvise((void *)sd_buf, (size_t)pages * PGSZ,
		            MADV_DONTNEED) != 0)
			die("shootdown madvise");
	});
}

static void
bench_shootdown(void)
{
	static const int ks[] = {0, 1, 2, 4, 7};
	pthread_t th[8];
	unsigned i;
	int j, want1 = wanted("shootdown_1page"),
	       want512 = wanted("shootdown_512pages");

	if (!want1 && !want512)
		return;
	sd_buf = mmap(NULL, 512 * PGSZ, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sd_buf == MAP_FAILED)
		die("shootdown mmap");
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		int k = ks[i];

		if (k >= ncpu)
			break;
		sd_stop = sd_ready = 0;
		pin(0);
		for (j = 0; j < k; j++)
			if (pthread_create(&th[j], NULL, sd_spinner,
			                   (void *)(long)(j + 1)) != 0)
				die("pthread_create");
		while (__atomic_load_n(&sd_ready, __ATOMIC_ACQUIRE) < k)
			sched_yield();
		if (want1)
			measure("shootdown_1page", k, 1, "ns", sd_run, 1);
		if (want512)
			measure("shootdown_512pages", k, 512, "ns", sd_run,
			        512);
		sd_stop = 1;
		for (j = 0; j < k; j++)
			pthread_join(th[j], NULL);
	}
	munmap((void *)sd_buf, 512 * PGSZ);
}

/* ---- single-operation costs ---- */

static double
null_syscall(int unused)
{
	(void)unused;
	TIMED_LOOP(syscall(SYS_getpid));
}

static double
demand_zero(int unused)
{
	const size_t n = 1024; /* 4 MiB per mapping */
	uint64_t t = 0, done = 0, end = now_ns() + run_ms * 1000000ull;

	(void)unused;
	do {
		volatile char *p = mmap(0, n * PGSZ, PROT_READ | PROT_WRITE,
		                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t t0;
		size_t i;

		if (p == MAP_FAILED)
			die("demand_zero mmap");
		t0 = now_ns();
		for (i = 0; i < n; i++)
			p[i * PGSZ] = 1;
		t += now_ns() - t0;
		done += n;
		munmap((void *)p, n * PGSZ);
	} while (now_ns() < end);
	return (double)t / (double)done;
}

static volatile char *mp_page;

static double
mprotect_toggle(int unused)
{
	(void)unused;
	TIMED_LOOP({
		if (mprotect((void *)mp_page, PGSZ, PROT_READ) != 0 ||
		    mprotect((void *)mp_page, PGSZ, PROT_READ | PROT_WRITE) !=
		        0)
			die("mprotect");
		mp_page[0]++;
	});
}

static void *
nothing(void *arg)
{
	return arg;
}

static double
thread_create_join(int unused)
{
	(void)unused;
	TIMED_LOOP({
		pthread_t th;

		if (pthread_create(&th, NULL, nothing, NULL) != 0)
			die("pthread_create");
		pthread_join(th, NULL);
	});
}

static volatile int ping, pong, fdone;

static void
fwait(volatile int *w, int val)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == val)
		syscall(SYS_futex, w, 128 /* WAIT|PRIVATE */, val, NULL);
}

static void
fwake(volatile int *w)
{
	syscall(SYS_futex, w, 129 /* WAKE|PRIVATE */, 1);
}

static void *
ponger(void *arg)
{
	int seen = 0;

	(void)arg;
	pin(1);
	while (!fdone) {
		fwait(&ping, seen);
		seen = ping;
		if (fdone)
			break;
		__atomic_add_fetch(&pong, 1, __ATOMIC_RELEASE);
		fwake(&pong);
	}
	return NULL;
}

static double
futex_round_trip(int unused)
{
	pthread_t th;
	uint64_t t0, n = 0, end;
	int seen;

	(void)unused;
	ping = pong = fdone = 0;
	if (pthread_create(&th, NULL, ponger, NULL) != 0)
		die("pthread_create");
	pin(0);
	t0 = now_ns();
	end = t0 + run_ms * 1000000ull;
	do {
		seen = pong;
		__atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
		fwake(&ping);
		fwait(&pong, seen);
		n++;
	} while (now_ns() < end);
	t0 = now_ns() - t0;
	fdone = 1;
	__atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
	fwake(&ping);
	pthread_join(th, NULL);
	return (double)t0 / (double)n;
}

int
main(int argc, char **argv)
{
	struct utsname u;
	cpu_set_t set;

	if (argc > 1)
		runs = atoi(argv[1]);
	if (argc > 2)
		run_ms = atoi(argv[2]);
	if (argc > 3)
		list = argv[3];
	if (runs < 1 || runs > MAXRUNS || run_ms < 1 || run_ms > 10000) {
		printf("# usage: tlbbench [RUNS (1..%d) [MS (1..10000) "
		       "[LIST]]]\n",
		       MAXRUNS);
		return 2;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	if (uname(&u) == 0)
		snprintf(kernel, sizeof(kernel), "%s %s", u.sysname, u.release);
	pin(0);
	if (wanted("null_syscall"))
		measure("null_syscall", 0, 0, "ns", null_syscall, 0);
	if (wanted("demand_zero_fault"))
		measure("demand_zero_fault", 0, 1, "ns", demand_zero, 0);
	if (wanted("mprotect_toggle")) {
		mp_page = mmap(NULL, PGSZ, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mp_page == MAP_FAILED)
			die("mmap");
		mp_page[0] = 1;
		measure("mprotect_toggle", 0, 1, "ns", mprotect_toggle, 0);
		munmap((void *)mp_page, PGSZ);
	}
	if (wanted("thread_create_join"))
		measure("thread_create_join", 0, 0, "ns", thread_create_join,
		        0);
	if (wanted("futex_round_trip") && ncpu > 1)
		measure("futex_round_trip", 1, 0, "ns", futex_round_trip, 0);
	bench_shootdown();
	if (wanted("tlb_flush2"))
		bench_tlb_flush2();
	printf("# tlbbench: done\n");
	return 0;
}
