/*
 * lwkt_thread_test.c - tests of LWKT threads and the per-CPU scheduler
 * (suite "lwkt").
 *
 * Threads are created on every CPU and report through shared counters;
 * the main thread waits for them with tsleep() timeouts, so a broken
 * wakeup shows up as a failed count, never as a hung boot.  Counters are
 * updated atomically because threads on several CPUs add to them.
 */
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/ktest.h>
#include <sys/systm.h>
#include <sys/thread.h>

#define WAIT_MS 3000 /* generous for TCG with 8 vCPUs on 2 host cores */

static volatile uint64_t t_count;
static volatile int t_flag;
static volatile uint64_t t_stamp[4];
static volatile int t_cpu_seen[MAXCPU];

/* Wait (sleeping, polling every 5 ms) until *c >= want. */
static bool
wait_count(volatile uint64_t *c, uint64_t want)
{
	uint64_t deadline = nanouptime() + WAIT_MS * NS_PER_MS;

	while (__atomic_load_n(c, __ATOMIC_ACQUIRE) < want) {
		if (nanouptime() > deadline)
			return false;
		tsleep(c, 0, "twait", 5);
	}
	return true;
}

static void
count_and_exit(void *arg)
{
	(void)arg;
	if (curthread->td_gd != mycpu)
		kprintf("    # thread on the wrong CPU\n");
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
}

static void
lwkt_create_exit(struct ktest *t)
{
	int cpu, i, rounds = 4;

	t_count = 0;
	for (i = 0; i < rounds; i++)
		for (cpu = 0; cpu < ncpus; cpu++)
			KT_ASSERT(t, lwkt_create(count_and_exit, NULL, "tcount",
			                         cpu, TDPRI_NORMAL) != NULL);
	KT_EXPECT(t, wait_count(&t_count, (uint64_t)rounds * ncpus));
	KT_EXPECT_EQ(t, t_count, (uint64_t)rounds * ncpus);
}

static void
sleeper(void *arg)
{
	(void)arg;
	crit_enter(); /* check-then-sleep is atomic against wakeup() */
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
	while (!t_flag)
		tsleep(&t_flag, 0, "tflag", 0);
	crit_exit();
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
}

static void
lwkt_sleep_wakeup(struct ktest *t)
{
	int cpu;

	t_count = 0;
	t_flag = 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		lwkt_create(sleeper, NULL, "tsleep", cpu, TDPRI_NORMAL);
	KT_ASSERT(t, wait_count(&t_count, (uint64_t)ncpus));
	KT_EXPECT_EQ(t, t_count, (uint64_t)ncpus); /* all still asleep */
	t_flag = 1;
	wakeup(&t_flag);
	KT_EXPECT(t, wait_count(&t_count, 2 * (uint64_t)ncpus));
}

static void
lwkt_tsleep_timeout(struct ktest *t)
{
	uint64_t t0 = nanouptime();
	int r = tsleep(&t_stamp, 0, "tmo", 30);

	KT_EXPECT_EQ(t, r, EWOULDBLOCK);
	KT_EXPECT(t, nanouptime() - t0 >= 30 * NS_PER_MS);
}

/* A CPU-bound thread: runs (never yielding) until t_flag is set. */
static void
busy(void *arg)
{
	uint64_t crit_ms = (uint64_t)(uintptr_t)arg;

	__atomic_store_n(&t_stamp[0], nanouptime(), __ATOMIC_RELEASE);
	if (crit_ms != 0) {
		uint64_t end = nanouptime() + crit_ms * NS_PER_MS;

		crit_enter();
		while (nanouptime() < end)
			cpu_pause_hint();
		t_stamp[2] = nanouptime();
		crit_exit();
	}
	while (!__atomic_load_n(&t_flag, __ATOMIC_ACQUIRE))
		cpu_pause_hint();
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
}

/* The high-priority thread: note when it ran, release the busy one. */
static void
preemptor(void *arg)
{
	t_stamp[1] = nanouptime();
	__atomic_store_n(&t_flag, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
}

static void
run_preempt(struct ktest *t, uint64_t crit_ms)
{
	int cpu = ncpus > 1 ? 1 : 0;
	uint64_t t0;

	t_count = 0;
	t_flag = 0;
	t_stamp[0] = t_stamp[1] = t_stamp[2] = 0;
	lwkt_create(busy, (void *)(uintptr_t)crit_ms, "tbusy", cpu,
	            TDPRI_NORMAL);
	/* Let it start spinning (on CPU 0 we must yield to it). */
	while (__atomic_load_n(&t_stamp[0], __ATOMIC_ACQUIRE) == 0)
		tsleep(&t_stamp, 0, "tstart", 1);
	t0 = nanouptime();
	/* Created on the busy CPU by an IPI-queue message. */
	lwkt_create(preemptor, NULL, "tpreempt", cpu, TDPRI_INT);
	KT_ASSERT(t, wait_count(&t_count, 2));
	KT_EXPECT(t, t_stamp[1] > t0);
	/* Bounded: far less than the busy thread's endless spin. */
	KT_EXPECT(t, t_stamp[1] - t0 < 500 * NS_PER_MS);
	if (crit_ms != 0)
		KT_EXPECT(t,
		          t_stamp[1] >= t_stamp[2]); /* waited for crit_exit */
	kprintf("    # preempted after %lu us\n", (t_stamp[1] - t0) / 1000);
}

static void
lwkt_preempt_busy(struct ktest *t)
{
	run_preempt(t, 0);
}

static void
lwkt_crit_defers_preempt(struct ktest *t)
{
	run_preempt(t, 50);
}

/* Two equal-priority spinners on one CPU both progress (timer tick). */
static volatile uint64_t rr_progress[2];

static void
rr_spinner(void *arg)
{
	int i = (int)(uintptr_t)arg;

	while (!__atomic_load_n(&t_flag, __ATOMIC_ACQUIRE))
		rr_progress[i]++;
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
}

static void
lwkt_round_robin(struct ktest *t)
{
	int cpu = ncpus - 1;

	if (cpu == 0)
		KT_SKIP(t, "needs a second CPU: the main thread would starve");
	t_count = 0;
	t_flag = 0;
	rr_progress[0] = rr_progress[1] = 0;
	lwkt_create(rr_spinner, (void *)0, "trr0", cpu, TDPRI_NORMAL);
	lwkt_create(rr_spinner, (void *)1, "trr1", cpu, TDPRI_NORMAL);
	tsleep(&t_flag, 0, "trr", 100);
	__atomic_store_n(&t_flag, 1, __ATOMIC_RELEASE);
	KT_ASSERT(t, wait_count(&t_count, 2));
	KT_EXPECT(t, rr_progress[0] > 0);
	KT_EXPECT(t, rr_progress[1] > 0);
}

static void
migrator(void *arg)
{
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		lwkt_migrate(cpu);
		t_cpu_seen[cpu] =
		    mycpu->gd_cpuid == cpu && curthread->td_gd == mycpu;
	}
	lwkt_migrate(0);
	__atomic_fetch_add(&t_count, 1, __ATOMIC_RELEASE);
}

static void
lwkt_migrate_all(struct ktest *t)
{
	int cpu;

	t_count = 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		t_cpu_seen[cpu] = 0;
	lwkt_create(migrator, NULL, "tmigrate", ncpus - 1, TDPRI_NORMAL);
	KT_ASSERT(t, wait_count(&t_count, 1));
	for (cpu = 0; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, t_cpu_seen[cpu], 1);
}

static BOOTOPT_BOOL(
    lwkt_overflow_test, "lwkt.overflow_test", false,
    "lwkt suite: overflow a thread stack (must panic: thread stack overflow)");

static volatile int recurse_limit = 1 << 30; /* never reached */

static int
recurse(volatile char *p, int depth)
{
	volatile char buf[512];

	buf[0] = (char)depth;
	if (p != NULL)
		buf[1] = p[0];
	if (depth >= recurse_limit)
		return 0;
	return recurse(buf, depth + 1) + buf[0];
}

static void
overflow_thread(void *arg)
{
	recurse(NULL, 0);
}

/* Expected to panic; the runner checks the message and exit status 35. */
static void
lwkt_stack_overflow(struct ktest *t)
{
	if (!lwkt_overflow_test)
		KT_SKIP(t, "only with lwkt.overflow_test=1 (panics)");
	lwkt_create(overflow_thread, NULL, "toverflow", 0, TDPRI_INT);
	tsleep(&t_flag, 0, "tovf", 2000);
	ktest_fail(t, __FILE__, __LINE__, "no stack overflow panic");
}

KTEST_SUITE(lwkt, "lwkt", NULL, NULL, KTEST_CASE(lwkt_create_exit),
            KTEST_CASE(lwkt_sleep_wakeup), KTEST_CASE(lwkt_tsleep_timeout),
            KTEST_CASE(lwkt_preempt_busy), KTEST_CASE(lwkt_crit_defers_preempt),
            KTEST_CASE(lwkt_round_robin), KTEST_CASE(lwkt_migrate_all),
            KTEST_CASE(lwkt_stack_overflow));
