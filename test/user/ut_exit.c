/*
 * ut_exit.c - a process that exits while its threads run on every CPU:
 * threads spinning in user mode (one pinned to each CPU), blocked in a
 * futex wait, sleeping, and looping on system calls; main returns 0
 * (exit_group) with all of them still running.  The kernel must stop
 * every thread, tear the address space down and report status 0, with
 * no page leaked (kern_userboot.c checks).
 */
#include "utest.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

static volatile int started;
static int futex_word;

static void *
spin(void *arg)
{
	cpu_set_t set;
	volatile unsigned long x = 0;

	CPU_ZERO(&set);
	CPU_SET((long)arg, &set);
	sched_setaffinity(0, sizeof(set), &set);
	__atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		x++;
	return NULL;
}

static void *
block(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_futex, &futex_word, 128 /* WAIT|PRIVATE */, 0, 0);
	return NULL;
}

static void *
sleeper(void *arg)
{
	struct timespec ts = {100, 0};

	(void)arg;
	__atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

static void *
caller(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_getpid);
	return NULL;
}

int
main(void)
{
	cpu_set_t set;
	pthread_t t;
	long i, ncpu = 1, want;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	ut_begin("ut_exit", 1);
	for (i = 0; i < ncpu; i++)
		pthread_create(&t, NULL, spin, (void *)i);
	pthread_create(&t, NULL, block, NULL);
	pthread_create(&t, NULL, sleeper, NULL);
	pthread_create(&t, NULL, caller, NULL);
	want = ncpu + 3;
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < want)
		sched_yield();
	ut_line("ok 1 threads_running_at_exit # %ld threads", want);
	ut_line("1 passed, 0 failed");
	return 0; /* exit_group with every thread still running */
}
