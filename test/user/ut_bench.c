/*
 * ut_bench.c - user-mode costs, printed as the kernel benchmark
 * framework's BENCH lines (sys/sys/bench.h) so test/bench.sh collects
 * them into results.json: a null system call (getpid), a demand-zero
 * page fault (first write to a fresh anonymous page), pthread
 * create + join, and a futex wake round trip between two threads on two
 * CPUs (one wakes the other, which wakes it back).  argv[1]: measured
 * runs per benchmark (default 7, after one discarded warm-up run).
 * Times come from clock_gettime(CLOCK_MONOTONIC) around loops long
 * enough (tens of ms) that the clock's own cost does not matter.  The
 * same binary runs on Linux, which is how the numbers are compared.
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
#include <time.h>
#include <unistd.h>

#define MAXRUNS 31

static int ncpu = 1;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Run fn runs+1 times (the first discarded) and print one BENCH line. */
static void
bench(const char *name, int pages, int runs, uint64_t (*fn)(void))
{
	uint64_t v[MAXRUNS];
	char line[256];
	int i, n;

	(void)fn();
	for (i = 0; i < runs; i++)
		v[i] = fn();
	qsort(v, (size_t)runs, sizeof(v[0]), cmp);
	n = snprintf(line, sizeof(line),
	             "BENCH {\"name\":\"%s\",\"cpus\":%d,\"k\":1,\"pages\":%d,"
	             "\"mode\":\"user\",\"unit\":\"ns\",\"median\":%llu,"
	             "\"min\":%llu,\"max\":%llu,\"runs\":%d}\n",
	             name, ncpu, pages, (unsigned long long)v[runs / 2],
	             (unsigned long long)v[0], (unsigned long long)v[runs - 1],
	             runs);
	(void)!write(1, line, (size_t)n);
}

static uint64_t
null_syscall(void)
{
	const int n = 20000;
	uint64_t t = now_ns();
	int i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	return (now_ns() - t) / n;
}

static uint64_t
demand_zero(void)
{
	const size_t n = 2048; /* 8 MiB */
	volatile char *p = mmap(0, n * 4096, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t;
	size_t i;

	if (p == MAP_FAILED)
		exit(1);
	t = now_ns();
	for (i = 0; i < n; i++)
		p[i * 4096] = 1;
	t = now_ns() - t;
	munmap((void *)p, n * 4096);
	return t / n;
}

static void *
nothing(void *arg)
{
	return arg;
}

static uint64_t
thread_create_join(void)
{
	const int n = 200;
	uint64_t t = now_ns();
	pthread_t th;
	int i;

	for (i = 0; i < n; i++) {
		if (pthread_create(&th, NULL, nothing, NULL) != 0)
			exit(1);
		pthread_join(th, NULL);
	}
	return (now_ns() - t) / n;
}

static volatile int ping, pong, done;

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

static void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *
ponger(void *arg)
{
	int seen = 0;

	(void)arg;
	pin(1);
	while (!done) {
		fwait(&ping, seen);
		seen = ping;
		if (done)
			break;
		__atomic_add_fetch(&pong, 1, __ATOMIC_RELEASE);
		fwake(&pong);
	}
	return NULL;
}

static uint64_t
futex_round_trip(void)
{
	const int n = 500;
	pthread_t th;
	uint64_t t;
	int i, seen;

	ping = pong = done = 0;
	pthread_create(&th, NULL, ponger, NULL);
	pin(0);
	t = now_ns();
	for (i = 0; i < n; i++) {
		seen = pong;
		__atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
		fwake(&ping);
		fwait(&pong, seen);
	}
	t = now_ns() - t;
	done = 1;
	__atomic_add_fetch(&ping, 1, __ATOMIC_RELEASE);
	fwake(&ping);
	pthread_join(th, NULL);
	return t / n;
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	cpu_set_t set;

	if (runs < 1 || runs > MAXRUNS)
		runs = 7;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	bench("user_null_syscall", 0, runs, null_syscall);
	bench("user_demand_zero_fault", 1, runs, demand_zero);
	bench("user_thread_create_join", 0, runs, thread_create_join);
	bench("user_futex_round_trip", 0, runs, futex_round_trip);
	return 0;
}
