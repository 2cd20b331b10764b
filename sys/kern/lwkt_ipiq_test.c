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

/* Message: busy-wait arg2 microseconds on the target. */
static void
spin_us(void *arg1, uint64_t us, void *frame)
{
	delay_us(us);
}

/* The interrupt-enable bit of the state cpu_intr_disable() returns. */
#define INTR_ON 0x200

static bool
intr_on(void)
{
	uint64_t s = cpu_intr_disable();

	cpu_intr_restore(s);
	return (s & INTR_ON) != 0;
}

/*
 * A wait for another CPU returns with the caller's interrupt state: a
 * caller with interrupts off (a spin-lock holder, an interrupt handler)
 * must not find them on afterwards, and one with them on keeps them on.
 * The target spins 2 ms first, so the wait takes many wait steps.
 */
static void
ipiq_wait_keeps_intr_state(struct ktest *t)
{
	int peer = ncpus - 1;
	uint64_t s;
	cpumask_t m;
	bool after;

	if (peer == mycpu->gd_cpuid)
		KT_SKIP(t, "needs two CPUs");
	cpumask_zero(&m);
	cpumask_set(&m, peer);
	crit_enter(); /* stay on this CPU with interrupts off */
	s = cpu_intr_disable();
	lwkt_cpusync_simple(&m, spin_us, NULL, 2000);
	after = intr_on();
	cpu_intr_restore(s);
	KT_EXPECT(t, !after);
	s = cpu_intr_disable();
	lwkt_ipiq_wait_step();
	after = intr_on();
	cpu_intr_restore(s);
	KT_EXPECT(t, !after);
	crit_exit();
	KT_ASSERT(t, intr_on());
	lwkt_cpusync_simple(&m, spin_us, NULL, 2000);
	KT_EXPECT(t, intr_on());
	lwkt_ipiq_wait_step();
	KT_EXPECT(t, intr_on());
}

/*
 * A drain deferred while a send held its critical section runs when the
 * send ends.  The test sends to itself (the function runs at once,
 * inside the send's hold) a function that asks another CPU to send us a
 * message and waits, interrupts on, until its IPI has been taken and
 * deferred (RQF_IPIQ).  When lwkt_send_ipiq() returns the message must
 * have run, with nothing else in between: interrupts are disabled at
 * once so no tick can do it instead.
 */
static volatile int unhold_ran;  /* the deferred message ran */
static volatile int unhold_seen; /* the IPI arrived during the hold */

static void
unhold_mark(void *arg1, uint64_t arg2, void *frame)
{
	__atomic_store_n(&unhold_ran, 1, __ATOMIC_RELEASE);
}

static void
unhold_bounce(void *arg1, uint64_t back, void *frame)
{
	lwkt_send_ipiq((int)back, unhold_mark, NULL, 0);
}

static void
unhold_inside(void *arg1, uint64_t peer, void *frame)
{
	struct globaldata *gd = mycpu;
	uint64_t s = cpu_intr_disable(), end;

	lwkt_send_ipiq((int)peer, unhold_bounce, NULL, (uint64_t)gd->gd_cpuid);
	cpu_intr_restore(s | INTR_ON);
	end = nanouptime() + 500 * NS_PER_MS;
	while (
	    !(__atomic_load_n(&gd->gd_reqflags, __ATOMIC_ACQUIRE) & RQF_IPIQ) &&
	    nanouptime() < end)
		cpu_pause_hint();
	unhold_seen = (gd->gd_reqflags & RQF_IPIQ) != 0 && !unhold_ran;
	cpu_intr_restore(s);
}

static void
ipiq_unhold_runs_deferred_drain(struct ktest *t)
{
	int peer = ncpus - 1;
	uint64_t s;
	bool ran;

	if (peer == mycpu->gd_cpuid)
		KT_SKIP(t, "needs two CPUs");
	if (lwkt_ipiq_lose_ipi != 0)
		KT_SKIP(t, "needs every IPI (ipiq.lose_ipi is set)");
	KT_ASSERT(t, intr_on());
	KT_ASSERT_EQ(t, curthread->td_critcount, 0);
	unhold_ran = 0;
	unhold_seen = 0;
	lwkt_send_ipiq(mycpu->gd_cpuid, unhold_inside, NULL, (uint64_t)peer);
	s = cpu_intr_disable();
	ran = __atomic_load_n(&unhold_ran, __ATOMIC_ACQUIRE) != 0;
	cpu_intr_restore(s);
	KT_ASSERT(t, unhold_seen); /* the IPI came during the hold */
	KT_EXPECT(t, ran);
	crit_enter(); /* whatever happened, leave nothing pending */
	crit_exit();
}

/*
 * Lost wakeups: round trips to CPUs that are busy (a thread spinning
 * with interrupts on, outside any critical section, so only an IPI or
 * the tick's safety drain makes them drain).  With ipiq.lose_ipi=N some
 * IPIs are never sent and the safety drain must finish every round trip
 * within about a tick; with ipiq.no_safety_drain=1 as well the wait
 * stalls and the watchdog panics ("stuck waiting for a message on"),
 * which test/boot-tests.sh requires.  The spinners give up after 12 s,
 * past the watchdog's 10 s.
 */
#define LOST_ROUNDS 40
#define LOST_SPIN_S 12

static volatile int lost_stop;
static volatile int lost_spinning;

static void
lost_spinner(void *arg)
{
	uint64_t end = nanouptime() + LOST_SPIN_S * NS_PER_S;

	__atomic_fetch_add(&lost_spinning, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&lost_stop, __ATOMIC_ACQUIRE) &&
	       nanouptime() < end)
		cpu_pause_hint();
	__atomic_fetch_sub(&lost_spinning, 1, __ATOMIC_SEQ_CST);
}

static void
lost_rt(void *arg1, uint64_t arg2, void *frame)
{
	__atomic_fetch_add(&done_count, 1, __ATOMIC_RELEASE);
}

static void
ipiq_lost_wakeup_recovered(struct ktest *t)
{
	int k = MIN(3, ncpus - 1), cpu, r;
	uint64_t safety0 = 0, safety1 = 0, lost0 = lwkt_ipiq_lost_ipis;
	uint64_t worst = 0, t0, tick_ms = 1000 / cpu_tick_hz();
	uint64_t end;

	if (k < 1)
		KT_SKIP(t, "needs two CPUs");
	lost_stop = 0;
	lost_spinning = 0;
	done_count = 0;
	for (cpu = 1; cpu <= k; cpu++) {
		safety0 += globaldata_find(cpu)->gd_cnt.pc_ipiq_safety;
		lwkt_create(lost_spinner, NULL, "ispin", cpu, TDPRI_NORMAL);
	}
	end = nanouptime() + WAIT_MS * NS_PER_MS;
	while (__atomic_load_n(&lost_spinning, __ATOMIC_ACQUIRE) < k &&
	       nanouptime() < end)
		tsleep(&lost_spinning, 0, "ispin", 1);
	KT_EXPECT_EQ(t, lost_spinning, k);
	for (r = 0; r < LOST_ROUNDS; r++) {
		for (cpu = 1; cpu <= k; cpu++) {
			t0 = nanouptime();
			lwkt_wait_ipiq(cpu,
			               lwkt_send_ipiq(cpu, lost_rt, NULL, 0));
			worst = MAX(worst, nanouptime() - t0);
		}
	}
	__atomic_store_n(&lost_stop, 1, __ATOMIC_RELEASE);
	for (cpu = 1; cpu <= k; cpu++)
		safety1 += globaldata_find(cpu)->gd_cnt.pc_ipiq_safety;
	KT_EXPECT_EQ(t, done_count, (uint64_t)(LOST_ROUNDS * k));
	kprintf("    # %d round trips to %d busy CPUs, slowest %lu us; %lu "
	        "IPIs lost on purpose, %lu safety drains there (tick %lu "
	        "ms)\n",
	        LOST_ROUNDS * k, k, worst / NS_PER_US,
	        lwkt_ipiq_lost_ipis - lost0, safety1 - safety0, tick_ms);
	if (lwkt_ipiq_lose_ipi != 0) {
		KT_EXPECT(t, lwkt_ipiq_lost_ipis > lost0);
		KT_EXPECT(t, safety1 > safety0);
		/* One tick to notice, plus slack for a loaded TCG host. */
		KT_EXPECT(t, worst / NS_PER_MS <= 2 * tick_ms + 200);
	}
	end = nanouptime() + WAIT_MS * NS_PER_MS;
	while (__atomic_load_n(&lost_spinning, __ATOMIC_ACQUIRE) > 0 &&
	       nanouptime() < end)
		tsleep(&lost_spinning, 0, "ispin", 1);
}

/*
 * Flooding with messages that send: every CPU starts CHAIN_N chains of
 * messages that each hop to another CPU CHAIN_HOPS times, all at once.
 * A hop's handler sends the next hop; with small FIFOs (conf/TINYFIFO)
 * that send finds its FIFO full and the CPU drains its own queues from
 * inside a drain, which runs more hops that find FIFOs full...  Every
 * chain must finish: a waiting CPU must serve a FIFO whose announcement
 * an outer, blocked drain already took, and CPUs at the nesting cap
 * must not wait on each other (see "Deadlock freedom" and "Bounded
 * nesting" in lwkt_ipiq.c).  The deepest nesting seen on any CPU must
 * stay within LWKT_IPIQ_NEST_MAX.  (With 40 chains per CPU at -smp 8,
 * before the cap: 16 levels, then a double fault from a stack overflow;
 * with a cap that made CPUs at it wait without draining: a deadlock.)
 */
#define CHAIN_N    24
#define CHAIN_HOPS 60

static void
hop(void *arg1, uint64_t left, void *frame)
{
	int me = mycpu->gd_cpuid, next;

	if (left == 0) {
		__atomic_fetch_add(&done_count, 1, __ATOMIC_RELEASE);
		return;
	}
	next = (me + 1 + (int)(left % (uint64_t)(ncpus - 1))) % ncpus;
	lwkt_send_ipiq(next, hop, NULL, left - 1);
}

static volatile int chain_go;

static void
chain_starter(void *arg)
{
	int i, me = mycpu->gd_cpuid;

	while (!__atomic_load_n(&chain_go, __ATOMIC_ACQUIRE))
		cpu_pause_hint();
	for (i = 0; i < CHAIN_N; i++)
		lwkt_send_ipiq((me + 1 + i % (ncpus - 1)) % ncpus, hop, NULL,
		               CHAIN_HOPS);
}

static void
ipiq_flood_chains(struct ktest *t)
{
	uint64_t want = (uint64_t)ncpus * CHAIN_N, deepest = 0, spilled = 0;
	uint64_t spill_max = 0;
	int cpu;

	if (ncpus < 2)
		KT_SKIP(t, "needs two CPUs");
	done_count = 0;
	chain_go = 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		lwkt_create(chain_starter, NULL, "ichain", cpu, TDPRI_NORMAL);
	__atomic_store_n(&chain_go, 1, __ATOMIC_RELEASE);
	KT_EXPECT(t, wait_done(want));
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct pcpu_counters *c = &globaldata_find(cpu)->gd_cnt;

		deepest = MAX(deepest, c->pc_ipiq_nest_max);
		spill_max = MAX(spill_max, c->pc_ipiq_spill_max);
		spilled += c->pc_ipiq_spilled;
	}
	kprintf("    # %lu chains of %d hops (FIFO %d): deepest wait-step "
	        "nesting so far %lu (cap %d); %lu sends spilled at the cap, "
	        "at most %lu at once\n",
	        want, CHAIN_HOPS, IPIQ_FIFO_SIZE, deepest, LWKT_IPIQ_NEST_MAX,
	        spilled, spill_max);
	KT_EXPECT(t, deepest <= LWKT_IPIQ_NEST_MAX);
}

KTEST_SUITE(ipiq, "ipiq", NULL, NULL, KTEST_CASE(ipiq_storm),
            KTEST_CASE(ipiq_mask_all_but_self), KTEST_CASE(ipiq_ping_pong),
            KTEST_CASE(ipiq_wait_keeps_intr_state),
            KTEST_CASE(ipiq_flood_chains),
            KTEST_CASE(ipiq_unhold_runs_deferred_drain),
            KTEST_CASE(ipiq_lost_wakeup_recovered),
            KTEST_CASE(ipiq_watchdog_stall));
