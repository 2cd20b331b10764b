/*
 * lwkt_ipiq.c - inter-CPU message queues.
 *
 * A CPU never touches another CPU's run queue or data structures
 * directly; it asks the owner to do it by queueing a function call
 * (func, arg1, arg2) in the FIFO for that (source, target) pair.  Each
 * FIFO has exactly one producer (the source CPU, with interrupts off so
 * its own interrupt handlers cannot interleave) and one consumer (the
 * target CPU), so it needs no lock: see lwkt_ipiq_fifo.c for the index
 * protocol.
 *
 * SPIN model of the protocol below (waking, coalescing, passive sends,
 * full FIFOs, the hold and the safety drain): test/model/ipiq.pml.
 *
 * Waking the target.  After queueing, the sender sets its bit in the
 * target's gd_ipimask and then reads the target's gd_ipi_draining flag;
 * only when the target is not draining does it send a hardware IPI
 * (counted as avoided otherwise).  The target, while draining, clears
 * gd_ipi_draining and then re-reads gd_ipimask before it stops.
 *
 * Invariant: a queued message is always either seen by a drain already
 * in progress or announced by a hardware IPI.  Both sides do "write mine,
 * then read theirs" with sequentially consistent operations, so in the
 * single total order either the sender's read of gd_ipi_draining comes
 * after the target's clear (and the sender sends the IPI), or the
 * target's re-read of gd_ipimask comes after the sender's set (and the
 * target drains the message itself).  No message can fall between.
 *
 * Coalescing.  The sender sets its bit with a test-and-set; when the bit
 * was already set, it sends nothing.  That is safe because of the
 * invariant: a set bit is an announcement the target has not taken yet
 * (taking it is the drain's exchange of gd_ipimask), and it is owed a
 * drain, by an IPI or by a drain in progress.  That drain exchanges the
 * mask after our test-and-set, hence after our FIFO publish, so it sees
 * our new message too.  Passive messages are announced in a separate
 * gd_ipimask_passive, which owes nothing, so they never suppress the IPI
 * of a later active message.
 *
 * Deadlock freedom.  A sender that finds its FIFO full does not spin
 * with interrupts off: it drains its own incoming queues (with interrupts
 * enabled in between), so two CPUs flooding each other keep each other's
 * FIFOs moving.  Every wait has a watchdog: a warning after 1 s and a
 * panic naming the CPUs, the queue and its indexes after 10 s.
 */
#include <sys/lwkt_ipiq.h>

#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <sys/thread.h>

BOOTOPT_DECLARE(
    ipiq_drop, "ipiq.drop",
    "fault injection: lose the wakeup of every Nth IPI-queue message");
BOOTOPT_DECLARE(ipiq_stall, "ipiq.stall",
                "CPU,MS: the ipiq watchdog test stalls CPU for MS ms");

#define WATCHDOG_WARN_NS  (1 * NS_PER_S)
#define WATCHDOG_PANIC_NS (10 * NS_PER_S)

int lwkt_ipiq_debug_drop;             /* drop every Nth message (tests only) */
int lwkt_ipiq_stall_cpu = -1;         /* ipiq.stall: CPU to stall */
int lwkt_ipiq_stall_ms;               /* ipiq.stall: for how long */
uint64_t lwkt_ipiq_watchdog_warnings; /* watchdog warnings printed */
static int ipiq_ncpus;                /* CPUs with FIFOs */

/*
 * Senders and drainers hold a critical section (when threads exist) so
 * that the interrupts wait_step() lets in cannot preempt them half-way:
 * a drain must not be re-entered by another thread on the same CPU.
 * These adjust the count without running deferred work; the callers'
 * own crit_exit() or interrupt return does that.
 */
static void
ipiq_hold(void)
{
	struct thread *td = curthread;

	if (td != NULL)
		td->td_critcount++;
	__asm__ volatile("" ::: "memory");
}

static void
ipiq_unhold(void)
{
	struct thread *td = curthread;

	__asm__ volatile("" ::: "memory");
	if (td != NULL)
		td->td_critcount--;
}

void
lwkt_ipiq_bootopts(void)
{
	char buf[24];

	lwkt_ipiq_debug_drop =
	    (int)bootopt_get_u64("ipiq.drop", 0, 0, 1u << 30);
	if (bootopt_list_next("ipiq.stall", 0, buf, sizeof(buf)) >= 0) {
		const char *p = buf;
		int cpu = 0, ms = 0;

		while (*p >= '0' && *p <= '9')
			cpu = cpu * 10 + (*p++ - '0');
		if (bootopt_list_next("ipiq.stall", 1, buf, sizeof(buf)) >= 0)
			for (p = buf; *p >= '0' && *p <= '9'; p++)
				ms = ms * 10 + (*p - '0');
		if (cpu < ncpus && ms > 0) {
			lwkt_ipiq_stall_cpu = cpu;
			lwkt_ipiq_stall_ms = ms;
		} else {
			kprintf(
			    "ipiq: warning: ipiq.stall=CPU,MS: bad value\n");
		}
	}
	if (lwkt_ipiq_debug_drop != 0)
		kprintf("ipiq: fault injection: dropping the wakeup of every "
		        "%dth message\n",
		        lwkt_ipiq_debug_drop);
}

void
lwkt_ipiq_init(int n)
{
	int src, dst;

	ipiq_ncpus = n;
	for (dst = 0; dst < n; dst++) {
		struct globaldata *gd = globaldata_find(dst);

		gd->gd_ipiq =
		    kmalloc(sizeof(struct lwkt_ipiq *) * (size_t)n, M_ZERO);
		for (src = 0; src < n; src++) {
			struct lwkt_ipiq *q;

			if (src == dst)
				continue;
			q = (struct lwkt_ipiq *)kmalloc(
			    roundup2(sizeof(*q), 64), M_ZERO);
			if (sizeof(*q) > KMALLOC_MAX)
				panic("ipiq: FIFO larger than a page");
			ipiq_fifo_init(q);
			gd->gd_ipiq[src] = q;
		}
	}
}

static void
watchdog_check(uint64_t start, bool *warned, int target, const char *what,
               struct lwkt_ipiq *q)
{
	uint64_t waited = nanouptime() - start;

	if (waited < WATCHDOG_WARN_NS)
		return;
	if (!*warned || waited >= WATCHDOG_PANIC_NS) {
		kprintf("ipiq: %s: cpu %d waiting %lu ms on cpu %d: queue "
		        "%d->%d windex %u rindex %u xindex %u, target "
		        "draining %d\n",
		        waited >= WATCHDOG_PANIC_NS ? "PANIC" : "warning",
		        mycpu->gd_cpuid, waited / NS_PER_MS, target,
		        mycpu->gd_cpuid, target, q->ip_windex, q->ip_rindex,
		        q->ip_xindex, globaldata_find(target)->gd_ipi_draining);
		*warned = true;
		lwkt_ipiq_watchdog_warnings++;
	}
	if (waited >= WATCHDOG_PANIC_NS)
		panic("ipiq: cpu %d stuck %s cpu %d", mycpu->gd_cpuid, what,
		      target);
}

/*
 * Let our own incoming messages run while we wait for something another
 * CPU will only do after we serve it.  Interrupts are briefly enabled so
 * a hardware IPI (or anything else pending) can be taken.
 */
static void
wait_step(void)
{
	lwkt_process_ipiq();
	cpu_intr_restore(cpu_intr_disable() | 0x200);
	cpu_pause_hint();
}

/*
 * Queue one message for target and announce it.  Interrupts are off.
 * Returns true when the target needs a hardware IPI - the caller sends
 * it.  A passive message (wake false) is announced only in
 * gd_ipimask_passive, which promises nothing: the target finds it at its
 * next drain.  An active message is announced in gd_ipimask; if our bit
 * there was already set, an earlier announcement of ours has not been
 * taken yet, so a drain that will see this message is already owed (see
 * the header) and no IPI is needed either.
 */
static bool
ipiq_put(int target, ipifunc_t func, void *arg1, uint64_t arg2, uint32_t *seqp,
         bool wake)
{
	struct globaldata *me = mycpu, *tgd;
	struct lwkt_ipiq *q;
	uint64_t start = 0;
	bool warned = false;
	uint32_t seq;

	KASSERT(target >= 0 && target < ipiq_ncpus, "ipiq: bad target");
	tgd = globaldata_find(target);
	q = tgd->gd_ipiq[me->gd_cpuid];
	while (!ipiq_fifo_put(q, func, arg1, arg2, &seq)) {
		/* Full: keep our own queues moving until there is room. */
		if (start == 0) {
			/*
			 * One IPI is enough: every queued message was either
			 * announced already or queued passively, and this one
			 * makes the target drain them all.  Sending one per
			 * spin only floods a CPU that is already busy
			 * draining.
			 */
			start = nanouptime();
			me->gd_cnt.pc_ipiq_full++;
			cpu_send_ipiq(target);
		}
		wait_step();
		watchdog_check(start, &warned, target, "on a full FIFO to", q);
	}
	me->gd_cnt.pc_ipiq_sent++;
	*seqp = seq;
	if (lwkt_ipiq_debug_drop != 0 &&
	    me->gd_cnt.pc_ipiq_sent % (uint64_t)lwkt_ipiq_debug_drop == 0)
		return false; /* fault injection: never announced */
	if (!wake) {
		cpumask_atomic_set(&tgd->gd_ipimask_passive, me->gd_cpuid);
		return false;
	}
	if (cpumask_atomic_testandset(&tgd->gd_ipimask, me->gd_cpuid) ||
	    __atomic_load_n(&tgd->gd_ipi_draining, __ATOMIC_SEQ_CST)) {
		me->gd_cnt.pc_ipi_avoided++;
		return false;
	}
	return true;
}

static uint32_t
send_ipiq(int target, ipifunc_t func, void *arg1, uint64_t arg2, bool wake)
{
	uint64_t flags;
	uint32_t seq = 0;

	ipiq_hold();
	flags = cpu_intr_disable();
	if (target == mycpu->gd_cpuid)
		func(arg1, arg2, NULL);
	else if (ipiq_put(target, func, arg1, arg2, &seq, wake))
		cpu_send_ipiq(target);
	cpu_intr_restore(flags);
	ipiq_unhold();
	return seq;
}

void
lwkt_send_ipiq_mask(const cpumask_t *mask, ipifunc_t func, void *arg1,
                    uint64_t arg2)
{
	int me = mycpu->gd_cpuid, cpu;
	cpumask_t need;
	uint64_t flags;
	uint32_t seq;

	ipiq_hold();
	flags = cpu_intr_disable();
	cpumask_zero(&need);
	CPUMASK_FOREACH(cpu, mask)
	{
		if (cpu != me && ipiq_put(cpu, func, arg1, arg2, &seq, true))
			cpumask_set(&need, cpu);
	}
	cpu_send_ipiq_mask(&need);
	if (cpumask_test(mask, me))
		func(arg1, arg2, NULL);
	cpu_intr_restore(flags);
	ipiq_unhold();
}

uint32_t
lwkt_send_ipiq(int target, ipifunc_t func, void *arg1, uint64_t arg2)
{
	return send_ipiq(target, func, arg1, arg2, true);
}

uint32_t
lwkt_send_ipiq_passive(int target, ipifunc_t func, void *arg1, uint64_t arg2)
{
	return send_ipiq(target, func, arg1, arg2, false);
}

bool
lwkt_ipiq_pending(void)
{
	struct globaldata *gd = mycpu;

	return !cpumask_isempty(&gd->gd_ipimask) ||
	       !cpumask_isempty(&gd->gd_ipimask_passive);
}

int
lwkt_process_ipiq(void)
{
	struct globaldata *gd = mycpu;
	uint64_t flags;
	int n = 0;

	ipiq_hold();
	flags = cpu_intr_disable();
	/* Re-entry (a message that waits) drains from the inner call. */
	__atomic_store_n(&gd->gd_ipi_draining, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		cpumask_t mask;
		int src, w;

		for (w = 0; w < CPUMASK_NWORDS; w++)
			mask.cm_word[w] =
			    __atomic_exchange_n(&gd->gd_ipimask.cm_word[w], 0,
			                        __ATOMIC_SEQ_CST) |
			    __atomic_exchange_n(
			        &gd->gd_ipimask_passive.cm_word[w], 0,
			        __ATOMIC_SEQ_CST);
		if (cpumask_isempty(&mask)) {
			__atomic_store_n(&gd->gd_ipi_draining, 0,
			                 __ATOMIC_SEQ_CST);
			if (cpumask_isempty(&gd->gd_ipimask))
				break;
			__atomic_store_n(&gd->gd_ipi_draining, 1,
			                 __ATOMIC_SEQ_CST);
			continue;
		}
		CPUMASK_FOREACH(src, &mask)
		{
			int r = ipiq_fifo_drain(gd->gd_ipiq[src], NULL,
			                        IPIQ_DRAIN_ALL);

			n += r;
			gd->gd_cnt.pc_ipiq_recv += (uint64_t)r;
		}
	}
	cpu_intr_restore(flags);
	ipiq_unhold();
	return n;
}

/*
 * The IPI handler.  In a critical section the drain is deferred to
 * crit_exit() (RQF_IPIQ): that is what lets a thread check a condition
 * and go to sleep without a remote wakeup running in between.  The
 * invariant above still holds: the message stays announced in
 * gd_ipimask, and the deferred drain sees it.
 */
void
lwkt_ipiq_intr(void *frame)
{
	struct globaldata *gd = mycpu;
	struct thread *td = gd->gd_curthread;

	(void)frame;
	if (td != NULL && td->td_critcount > 0) {
		__atomic_fetch_or(&gd->gd_reqflags, RQF_IPIQ, __ATOMIC_RELAXED);
		return;
	}
	lwkt_process_ipiq();
}

/* Message: ignore our queues for arg2 ms (fault injection, tests). */
void
lwkt_ipiq_stall_ipi(void *arg1, uint64_t arg2, void *frame)
{
	uint64_t end = nanouptime() + arg2 * NS_PER_MS;

	kprintf("ipiq: cpu %d stalling for %lu ms (ipiq.stall)\n",
	        mycpu->gd_cpuid, arg2);
	while (nanouptime() < end)
		cpu_pause_hint();
}

void
lwkt_wait_ipiq(int target, uint32_t seq)
{
	struct lwkt_ipiq *q;
	uint64_t start;
	bool warned = false;

	if (target == mycpu->gd_cpuid)
		return;
	q = globaldata_find(target)->gd_ipiq[mycpu->gd_cpuid];
	start = nanouptime();
	while (!ipiq_fifo_done(q, seq)) {
		wait_step();
		watchdog_check(start, &warned, target,
		               "waiting for a message on", q);
	}
}

void
lwkt_cpusync_simple(const cpumask_t *mask, ipifunc_t func, void *arg1,
                    uint64_t arg2)
{
	uint32_t seqs[MAXCPU];
	int cpu;

	CPUMASK_FOREACH(cpu, mask)
	{
		if (cpu != mycpu->gd_cpuid)
			seqs[cpu] = lwkt_send_ipiq(cpu, func, arg1, arg2);
	}
	if (cpumask_test(mask, mycpu->gd_cpuid))
		lwkt_send_ipiq(mycpu->gd_cpuid, func, arg1, arg2);
	CPUMASK_FOREACH(cpu, mask)
	{
		if (cpu != mycpu->gd_cpuid)
			lwkt_wait_ipiq(cpu, seqs[cpu]);
	}
}
