/*
 * ut_threads.c - pthreads on every CPU: create/join with a shared mutex
 * (futex contention), a condition-variable ping-pong (futex wake round
 * trips), threads pinned to each CPU with sched_setaffinity, 64 threads
 * alive at once, the thread limit (EAGAIN), and a thread storm: N
 * create/exit (argv[1], default 10000) with up to 8 in flight.
 */
#include "utest.h"

#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int ncpu = 1;

static void *
adder(void *arg)
{
	long i, n = (long)arg;

	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return (void *)(long)syscall(SYS_gettid);
}

static void
t_create_join(void)
{
	pthread_t t[8];
	void *ret;
	int i;

	counter = 0;
	for (i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, adder, (void *)2000l) == 0);
	for (i = 0; i < 8; i++) {
		CHECK(pthread_join(t[i], &ret) == 0);
		CHECK((long)ret > 0 && (long)ret != getpid());
	}
	CHECK(counter == 8 * 2000);
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void *
ponger(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 200; i++) {
		pthread_mutex_lock(&mu);
		while (turn != 1)
			pthread_cond_wait(&cv, &mu);
		turn = 0;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static void
t_condvar(void)
{
	pthread_t t;
	int i;

	turn = 0;
	CHECK(pthread_create(&t, NULL, ponger, NULL) == 0);
	for (i = 0; i < 200; i++) {
		pthread_mutex_lock(&mu);
		turn = 1;
		pthread_cond_signal(&cv);
		while (turn != 0)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	CHECK(pthread_join(t, NULL) == 0);
}

static void *
pinned(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;
	volatile double x = 1.0;
	int i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return (void *)1l;
	/* FPU state must survive migration and switches. */
	for (i = 0; i < 10000; i++)
		x = x * 1.0000001 + 0.5;
	return x > 1.0 ? NULL : (void *)2l;
}

static volatile int spin_release;

static void *
spinner(void *arg)
{
	(void)arg;
	while (!spin_release)
		;
	return NULL;
}

/* Another thread's mask: set, read back, and the thread keeps running. */
static void
t_affinity_other(void)
{
	cpu_set_t set, got;
	pthread_t t;
	int err;

	spin_release = 0;
	CHECK(pthread_create(&t, NULL, spinner, NULL) == 0);
	CPU_ZERO(&set);
	CPU_SET(ncpu - 1, &set);
	err = pthread_setaffinity_np(t, sizeof(set), &set);
	if (err != 0)
		ut_line("# pthread_setaffinity_np: %d (%s), cpu %d", err,
		        strerror(err), ncpu - 1);
	CHECK(err == 0);
	CHECK(pthread_getaffinity_np(t, sizeof(got), &got) == 0);
	CHECK(CPU_EQUAL(&set, &got));
	CHECK(sched_getaffinity(0, sizeof(got), &got) == 0);
	CHECK(CPU_COUNT(&got) == ncpu); /* the caller's own is unchanged */
	spin_release = 1;
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(syscall(SYS_sched_getaffinity, 999999, sizeof(got), &got) == -1 &&
	      errno == ESRCH);
}

static void
t_affinity(void)
{
	pthread_t t[64];
	void *ret;
	long i;

	for (i = 0; i < ncpu && i < 64; i++)
		CHECK(pthread_create(&t[i], NULL, pinned, (void *)i) == 0);
	for (i = 0; i < ncpu && i < 64; i++) {
		CHECK(pthread_join(t[i], &ret) == 0);
		CHECK(ret == NULL);
	}
}

/*
 * FPU/SSE state per thread: each thread runs a long floating-point loop
 * with no calls in it (its values live in XMM registers, and it is
 * preempted mid-loop by the timer), under its own rounding mode (MXCSR),
 * and must get exactly what the main thread computed for that seed and
 * mode beforehand.
 */
#define FPU_THREADS 16
#define FPU_ITERS   300000

static double
fp_loop(double seed, int mode)
{
	double x = seed, y = 1.0 / seed;
	long i;

	fesetround(mode);
	for (i = 0; i < FPU_ITERS; i++) {
		x = x * 1.0000001 + y;
		y = y * 0.9999999 + 1e-9 * x;
	}
	fesetround(FE_TONEAREST);
	return x + y;
}

static double fp_expect[FPU_THREADS];

static int
fp_mode(long i)
{
	return i % 2 ? FE_UPWARD : FE_DOWNWARD;
}

static void *
fp_thread(void *arg)
{
	long i = (long)arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(i % ncpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	return fp_loop(1.0 + (double)i, fp_mode(i)) == fp_expect[i]
	           ? NULL
	           : (void *)1l;
}

static void
t_fpu(void)
{
	pthread_t t[FPU_THREADS];
	void *ret;
	long i;

	for (i = 0; i < FPU_THREADS; i++)
		fp_expect[i] = fp_loop(1.0 + (double)i, fp_mode(i));
	CHECK(fp_expect[0] != fp_expect[2]);
	CHECK(fp_loop(2.0, FE_UPWARD) != fp_loop(2.0, FE_DOWNWARD));
	for (i = 0; i < FPU_THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, fp_thread, (void *)i) == 0);
	for (i = 0; i < FPU_THREADS; i++) {
		CHECK(pthread_join(t[i], &ret) == 0);
		CHECK(ret == NULL);
	}
}

static volatile int release;

static void *
waiter(void *arg)
{
	(void)arg;
	while (!release)
		sched_yield();
	return NULL;
}

static void
t_64_threads(void)
{
	pthread_t t[64];
	int i, made = 0;

	release = 0;
	for (i = 0; i < 64; i++)
		if (pthread_create(&t[i], NULL, waiter, NULL) == 0)
			made++;
	CHECK(made == 64);
	release = 1;
	for (i = 0; i < made; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
}

static void *
sleeper(void *arg)
{
	(void)arg;
	while (!release)
		usleep(1000);
	return NULL;
}

static void
t_thread_limit(void)
{
	static pthread_t t[200];
	pthread_attr_t a;
	int i, made, err = 0;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 16384);
	release = 0;
	for (made = 0; made < 200; made++) {
		err = pthread_create(&t[made], &a, sleeper, NULL);
		if (err != 0)
			break;
	}
	/* This kernel stops at its limit with EAGAIN; Linux allows more. */
	CHECK(made == 200 || err == EAGAIN);
	release = 1;
	for (i = 0; i < made; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
}

static int fa, fb;
static volatile int waiting;

static void *
fwaiter(void *arg)
{
	(void)arg;
	waiting = 1;
	/* Woken through fb after the requeue, or the test times out. */
	return (void *)syscall(SYS_futex, &fa, 128 /* WAIT|PRIVATE */, 0, 0);
}

/* REQUEUE moves a waiter from one word to another; WAKE there wakes it. */
static void
t_futex_requeue(void)
{
	struct timespec ts = {0, 2 * 1000 * 1000};
	pthread_t t;
	void *ret;
	long moved = 0;
	int i;

	waiting = 0;
	CHECK(pthread_create(&t, NULL, fwaiter, NULL) == 0);
	while (!waiting)
		sched_yield();
	/* Until the waiter is queued, REQUEUE finds nobody: retry. */
	for (i = 0; i < 500 && moved == 0; i++) {
		nanosleep(&ts, NULL);
		moved = syscall(SYS_futex, &fa, 3 | 128 /* REQUEUE|PRIVATE */,
		                0, 1, &fb);
	}
	CHECK(moved == 1);
	CHECK(syscall(SYS_futex, &fa, 129 /* WAKE|PRIVATE */, 1) == 0);
	CHECK(syscall(SYS_futex, &fb, 129, 1) == 1);
	CHECK(pthread_join(t, &ret) == 0);
	CHECK(ret == NULL);
}

static void *
nothing(void *arg)
{
	return arg;
}

static void
t_storm(long n)
{
	pthread_t t[8];
	long i;
	int k, bad = 0;

	for (i = 0; i < n; i += 8) {
		for (k = 0; k < 8; k++)
			if (pthread_create(&t[k], NULL, nothing, (void *)i) !=
			    0)
				bad++;
		for (k = 0; k < 8; k++)
			if (pthread_join(t[k], NULL) != 0)
				bad++;
	}
	CHECK(bad == 0);
}

static long storm_n = 10000;

static void
t_thread_storm(void)
{
	t_storm(storm_n);
}

int
main(int argc, char **argv)
{
	cpu_set_t set;

	if (argc > 1)
		storm_n = atol(argv[1]);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	ut_begin("ut_threads", 9);
	UT_CASE(t_create_join);
	UT_CASE(t_condvar);
	UT_CASE(t_futex_requeue);
	UT_CASE(t_affinity);
	UT_CASE(t_affinity_other);
	UT_CASE(t_fpu);
	UT_CASE(t_64_threads);
	UT_CASE(t_thread_limit);
	UT_CASE(t_thread_storm);
	return ut_end();
}
