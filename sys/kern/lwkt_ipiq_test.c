/*
 * lwkt_ipiq_test.c - tests of the IPI message queues (suite "ipiq").
 *
 * Counters indexed [src][dst] are written only by the destination CPU
 * (in the message handler), so they need no atomics; the main thread
 * reads them after waiting, with tsleep() timeouts so a lost message
 * shows up as a wrong count and never hangs the run.  Booting with
 * ipiq.drop=1 makes ipiq_storm fail (messages are queued but never
 * announced); ipiq.stall=CPU,MS enables ipiq_watchdog_stall.
 */
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/ktest.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>

#define STORM_MSGS 150  /* per (source, destination) pair */
#define WAIT_MS    3000 /* generous for TCG */

static uint32_t storm_got[MAXCPU][MAXCPU]; /* [src][dst], dst writes */
static volatile uint64_t done_count;

static bool
wait_done(uint64_t want)
{
	uint64_t deadline = nanouptime() + WAIT_MS * NS_PER_MS;

	while (__atomic_load_n(&done_count, __ATOMIC_ACQUIRE) < want) {
		if (nanouptime() > deadline)
			return false;
		tsleep(&done_count, 0, "iwait", 5);
	}
	return true;
}

static void
storm_recv(void *arg1, uint64_t src, void *frame)
{
	storm_got[src][mycpu->gd_cpuid]++;
	__atomic_fetch_add(&done_count, 1, __ATOMIC_RELEASE);
}

/* One per CPU: send STORM_MSGS to every CPU, interleaved. */
static void
storm_sender(void *arg)
{
	int i, dst, me = mycpu->gd_cpuid;

	for (i = 0; i < STORM_MSGS; i++)
		for (dst = 0; dst < ncpus; dst++)
			lwkt_send_ipiq(dst, storm_recv, NULL, (uint64_t)me);
}

static void
ipiq_storm(struct ktest *t)
{
	uint64_t want = (uint64_t)ncpus * ncpus * STORM_MSGS;
	int src, dst, bad = 0;

	memset(storm_got, 0, sizeof(storm_got));
	done_count = 0;
	for (src = 0; src < ncpus; src++)
		lwkt_create(storm_sender, NULL, "istorm", src, TDPRI_NORMAL);
	KT_EXPECT(t, wait_done(want));
	for (src = 0; src < ncpus; src++)
		for (dst = 0; dst < ncpus; dst++)
			if (storm_got[src][dst] != STORM_MSGS && bad++ < 5)
				ktest_fail(t, __FILE__, __LINE__,
				           "%d->%d: %u messages of %d", src,
				           dst, storm_got[src][dst],
				           STORM_MSGS);
	kprintf("    # %lu messages all-to-all\n", want);
}

static void
mask_recv(void *arg1, uint64_t arg2, void *frame)
{
	storm_got[0][mycpu->gd_cpuid]++;
	__atomic_fetch_add(&done_count, 1, __ATOMIC_RELEASE);
}

static void
ipiq_mask_all_but_self(struct ktest *t)
{
	cpumask_t m;
	uint64_t sent0;
	int i;

	memset(storm_got, 0, sizeof(storm_got));
	done_count = 0;
	cpumask_zero(&m);
	for (i = 0; i < ncpus; i++)
		if (i != mycpu->gd_cpuid)
			cpumask_set(&m, i);
	crit_enter(); /* stay on this CPU while counting its IPIs */
	sent0 = mycpu->gd_cnt.pc_ipi_sent;
	lwkt_send_ipiq_mask(&m, mask_recv, NULL, 0);
	KT_EXPECT(t, mycpu->gd_cnt.pc_ipi_sent - sent0 <= 1); /* shorthand */
	crit_exit();
	KT_EXPECT(t, wait_done((uint64_t)ncpus - 1));
	for (i = 0; i < ncpus; i++)
		KT_EXPECT_EQ(t, storm_got[0][i], i == mycpu->gd_cpuid ? 0 : 1);
}

/* Ping-pong: each handler sends the ball back until arg2 reaches 0. */
static void
pong(void *arg1, uint64_t left, void *frame)
{
	int peer = (int)(uintptr_t)arg1;

	if (left == 0) {
		__atomic_fetch_add(&done_count, 1, __ATOMIC_RELEASE);
		return;
	}
	lwkt_send_ipiq(peer, pong, (void *)(uintptr_t)mycpu->gd_cpuid,
	               left - 1);
}

static void
ipiq_ping_pong(struct ktest *t)
{
	int peer = ncpus - 1;
	uint64_t t0 = nanouptime();

	if (peer == mycpu->gd_cpuid)
		KT_SKIP(t, "needs two CPUs");
	done_count = 0;
	lwkt_send_ipiq(peer, pong, (void *)(uintptr_t)mycpu->gd_cpuid, 1000);
	KT_EXPECT(t, wait_done(1));
	kprintf("    # 1000 round trips in %lu us\n",
	        (nanouptime() - t0) / 1000);
}

static void
ipiq_watchdog_stall(struct ktest *t)
{
	int cpu = lwkt_ipiq_stall_cpu, i, n = 2 * IPIQ_FIFO_SIZE;
	uint64_t warn0 = lwkt_ipiq_watchdog_warnings;

	if (cpu < 0)
		KT_SKIP(t, "only with ipiq.stall=CPU,MS");
	if (cpu == mycpu->gd_cpuid)
		KT_SKIP(t, "ipiq.stall must name a CPU other than 0");
	done_count = 0;
	lwkt_send_ipiq(cpu, lwkt_ipiq_stall_ipi, NULL,
	               (uint64_t)lwkt_ipiq_stall_ms);
	/* More than the FIFO holds: the sender waits on the stalled CPU. */
	for (i = 0; i < n; i++)
		lwkt_send_ipiq(cpu, mask_recv, NULL, 0);
	KT_EXPECT(t, wait_done((uint64_t)n));
	if (lwkt_ipiq_stall_ms > 1200)
		KT_EXPECT(t, lwkt_ipiq_watchdog_warnings > warn0);
	kprintf("    # recovered after the stall; %lu watchdog warnings\n",
	        lwkt_ipiq_watchdog_warnings - warn0);
}

KTEST_SUITE(ipiq, "ipiq", NULL, NULL, KTEST_CASE(ipiq_storm),
            KTEST_CASE(ipiq_mask_all_but_self), KTEST_CASE(ipiq_ping_pong),
            KTEST_CASE(ipiq_watchdog_stall));
