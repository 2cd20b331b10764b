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
 * Lost wakeups.  The argument above assumes the IPI reaches the target
 * after our FIFO publish and mask bit are visible to it.  If it could
 * overtake them, the target would drain an empty mask, our bit would
 * stay set, and coalescing would then suppress every later IPI of ours:
 * the queue would stall.  Two defences, in this order:
 *  1. the IPI is ordered after the stores: an x2APIC ICR write (WRMSR,
 *     not serializing) is preceded by MFENCE; LFENCE, as the SDM asks
 *     (sys/platform/pc64/lapic.c; an xAPIC ICR write is an ordinary
 *     store, which x86 keeps in order);
 *  2. lwkt_ipiq_tick(): every CPU's timer tick drains its queues when
 *     its gd_ipimask or gd_ipimask_passive is not empty
 *     (pc_ipiq_safety), so a wakeup lost anyway (a hardware fault, or
 *     ipiq.lose_ipi=N which drops every Nth IPI to prove this) delays
 *     the queue by at most one tick.  The passive mask matters: a FIFO
 *     full of passive messages whose sender's wake-up IPI was lost is
 *     announced only there (test/model/ipiq.pml found this; mutant
 *     TICK_ACTIVE_ONLY).
 * ipiq.no_safety_drain=1 turns 2 off: with ipiq.lose_ipi the watchdog
 * then catches the stall (test/boot-tests.sh row ipiq-lose-nosafety).
 *
 * Deadlock freedom.  Every wait for another CPU (room in a full FIFO,
 * lwkt_wait_ipiq, the shootdown waits in pmap_inval.c) loops on
 * wait_step(): (1) run every message queued to this CPU, from every
 * source FIFO that is not empty, whether or not it is announced in
 * gd_ipimask; (2) pause, with interrupts enabled for that instant only
 * if the code that started the wait had them enabled; (3) return with
 * the interrupt state it was entered with.  So a waiting CPU always
 * serves the CPUs that wait on it, and two CPUs flooding each other keep
 * each other's FIFOs moving.  Step (1) must not rely on the mask: a
 * message handler that waits runs inside a drain that has already taken
 * (exchanged to 0) the announcements of the FIFO it is draining, and a
 * source whose FIFO is full cannot queue, so cannot announce, again;
 * draining only announced FIFOs then leaves that FIFO unserved while
 * its producer waits on us - a deadlock seen with 8-entry FIFOs.  An
 * unannounced drain leaves the bit set, so a later drain may find the
 * FIFO empty; that costs a spurious pass, never a message.  Step (1)
 * also serves the TLB invalidations queued to this CPU that its usual
 * server cannot run while we spin (pmap_inval_poll(): with pmap.inval=
 * thread the invalidation thread cannot be switched to, with sync the
 * vector cannot be taken when interrupts are off), so a CPU waiting for
 * anything still acknowledges the shootdowns of CPUs waiting on it.  The depth
 * of wait-step drains on a CPU is counted in gd_ipiq_nest, and the
 * deepest in pc_ipiq_nest_max.  Every wait has a watchdog: a warning
 * after 1 s and a panic naming the CPUs, the queue and its indexes
 * after 10 s.
 *
 * Bounded nesting.  Each wait-step drain can run a handler whose send
 * finds a FIFO full and waits, one level deeper, on the same stack;
 * unbounded, a flood of such handlers overflows the stack.  So a wait
 * step drains only while gd_ipiq_nest < LWKT_IPIQ_NEST_MAX.  A CPU at
 * the cap must still never wait on a full FIFO, or CPUs at the cap
 * could wait on each other with nobody draining (seen: a deadlock).  So
 * ipiq_put(), at the cap, puts a message it cannot queue into this
 * CPU's spill (IPIQ_SPILL_MAX entries, touched only by this CPU with
 * interrupts off) and returns; the sequence number it returns is the
 * FIFO index the message will get.  Per-pair FIFO order is kept: while
 * the spill holds a message for T, every later send to T goes behind it
 * (into the spill while it is less than half full - the rest is kept
 * for sends at the cap - else it waits, draining, until the spill for T
 * is empty).  spill_flush() moves spilled messages, oldest first and
 * each target's in order, into FIFOs with room and announces them like
 * any send; it runs at every send, every wait step, the end of every
 * drain and every tick, so a spilled message moves on as soon as its
 * FIFO has room, and within a tick even if this CPU goes idle.  Steps of
 * ipiq_put(target): (1) spill_flush; (2) if no spilled message for
 * target and the FIFO takes it: announce, done; (3) if at the cap and
 * the spill has room, or below it with a spilled message for target and
 * the spill under half full: append to the spill, done; (4) wait_step
 * (drains only below the cap), watchdog, back to (1).  So every CPU
 * that waits below the cap serves its FIFOs, and a CPU at the cap waits
 * only when its spill is full: the one case left in which waits could
 * form a cycle.  Under the flood test (8-entry FIFOs, -smp 8) the spill
 * peaks around 50-60 of its 96 entries; pc_ipiq_spilled counts spilled
 * sends, pc_ipiq_spill_max the peak, pc_ipiq_nest_capped the wait steps
 * at the cap that could not drain.
 */
#include <sys/lwkt_ipiq.h>

#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>

BOOTOPT_INT(lwkt_ipiq_debug_drop, "ipiq.drop", 0, 0, 1 << 30,
            "fault injection: lose the wakeup of every Nth IPI-queue message");
static BOOTOPT_STR(ipiq_stall, "ipiq.stall",
                   "CPU,MS: the ipiq watchdog test stalls CPU for MS ms");
BOOTOPT_INT(lwkt_ipiq_lose_ipi, "ipiq.lose_ipi", 0, 0, 1 << 30,
            "fault injection: do not send every Nth hardware IPI the "
            "queues ask for (the tick's safety drain must recover)");
BOOTOPT_BOOL(lwkt_ipiq_no_safety_drain, "ipiq.no_safety_drain", false,
             "debug: 1 = the timer tick does not drain the IPI queues");

#define WATCHDOG_WARN_NS  (1 * NS_PER_S)
#define WATCHDOG_PANIC_NS (10 * NS_PER_S)

int lwkt_ipiq_stall_cpu = -1;         /* ipiq.stall: CPU to stall */
int lwkt_ipiq_stall_ms;               /* ipiq.stall: for how long */
uint64_t lwkt_ipiq_watchdog_warnings; /* watchdog warnings printed */
uint64_t lwkt_ipiq_lost_ipis;         /* IPIs lost by ipiq.lose_ipi */
static uint64_t ipiq_ipis_wanted;     /* IPIs asked for (ipiq.lose_ipi) */
static int ipiq_ncpus;                /* CPUs with FIFOs */

/* Messages a CPU at the nesting cap could not queue yet (see header). */
#define IPIQ_SPILL_MAX 96

struct ipiq_spill_entry {
	int se_target;     /* the CPU it is for */
	bool se_wake;      /* active (true) or passive */
	ipifunc_t se_func; /* the message */
	void *se_arg1;     /* its first argument */
	uint64_t se_arg2;  /* its second argument */
};

struct ipiq_spill {
	int sp_n;             /* entries in sp_e, oldest first */
	cpumask_t sp_targets; /* targets with an entry in sp_e */
	struct ipiq_spill_entry sp_e[IPIQ_SPILL_MAX]; /* the messages */
};

static struct ipiq_spill *ipiq_spill[MAXCPU]; /* by cpuid; owner only */
_Static_assert(sizeof(struct ipiq_spill) <= KMALLOC_MAX,
               "ipiq: a spill must fit one kmalloc object");

/* The interrupt-enable bit of the state cpu_intr_disable() returns. */
#define INTR_ON 0x200

/*
 * Senders and drainers hold a critical section (when threads exist) so
 * that the interrupts wait_step() may let in cannot preempt them half-way:
 * a drain must not be re-entered by another thread on the same CPU.  An
 * IPI taken meanwhile is deferred (RQF_IPIQ), as in any critical section.
 * ipiq_unhold(flags) gets the interrupt state the caller had (and has
 * again by then): when the hold ends the last critical section and that
 * state is "enabled" - thread context, never an interrupt handler, which
 * runs with interrupts off - it does the deferred work at once, like
 * crit_exit(); with interrupts off the caller's own crit_exit() or
 * interrupt return does it, as they would for any critical section.
 */
static void
ipiq_hold(void)
{
	struct thread *td = curthread;

	if (td != NULL)
		td->td_critcount++;
	cpu_ccfence();
}

static void
ipiq_unhold(uint64_t flags)
{
	struct thread *td = curthread;

	cpu_ccfence();
	if (td == NULL)
		return;
	if (--td->td_critcount == 0 && (flags & INTR_ON) &&
	    __atomic_load_n(&td->td_gd->gd_reqflags, __ATOMIC_RELAXED) != 0)
		lwkt_crit_exit_slow();
}

static int ipiq_drain(bool all);
static void spill_flush(void);
static bool ipi_lost(void);

void
lwkt_ipiq_bootopts(void)
{
	char buf[24];

	if (optlist_item(ipiq_stall, 0, buf, sizeof(buf)) >= 0) {
		const char *p = buf;
		int cpu = 0, ms = 0;

		while (*p >= '0' && *p <= '9')
			cpu = cpu * 10 + (*p++ - '0');
		if (optlist_item(ipiq_stall, 1, buf, sizeof(buf)) >= 0)
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
	if (lwkt_ipiq_lose_ipi != 0)
		kprintf("ipiq: fault injection: losing every %dth hardware "
		        "IPI\n",
		        lwkt_ipiq_lose_ipi);
	if (lwkt_ipiq_no_safety_drain)
		kprintf("ipiq: DEBUG ipiq.no_safety_drain=1: a lost IPI "
		        "stalls its queue\n");
}

/*
 * ipiq.lose_ipi=N: true for every Nth hardware IPI (or mask send's set
 * of IPIs) the queues ask for, which is then not sent - as if it had overtaken its mask bit (see the
 * header).  The announcement stays set, so coalescing holds back later
 * IPIs to that target too: only a drain for another reason, or the
 * tick's safety drain, gets the queue going again.
 */
static bool
ipi_lost(void)
{
	if (lwkt_ipiq_lose_ipi == 0 ||
	    __atomic_add_fetch(&ipiq_ipis_wanted, 1, __ATOMIC_RELAXED) %
	            (uint64_t)lwkt_ipiq_lose_ipi !=
	        0)
		return false;
	__atomic_fetch_add(&lwkt_ipiq_lost_ipis, 1, __ATOMIC_RELAXED);
	return true;
}

void
lwkt_ipiq_init(int n)
{
	int src, dst;

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
	for (dst = 0; dst < n; dst++)
		ipiq_spill[dst] = kmalloc(sizeof(struct ipiq_spill), M_ZERO);
	__atomic_store_n(&ipiq_ncpus, n, __ATOMIC_RELEASE);
}

bool
lwkt_ipiq_ready(void)
{
	return __atomic_load_n(&ipiq_ncpus, __ATOMIC_ACQUIRE) > 0;
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
 * One step of a wait for something another CPU will only do after we
 * serve it (room in its FIFO, its acknowledgement): run every message
 * queued to us, then pause.  See "Deadlock freedom" in the header for
 * why every incoming FIFO is drained, announced or not.  outer is the interrupt state of the code that
 * started the wait: only when that code had interrupts enabled do they
 * open for the pause (so a timer or a panic's stop IPI can be taken); a
 * caller with interrupts disabled never sees them enabled.  Returns with
 * the interrupt state it was entered with.
 */
static void
wait_step(uint64_t outer)
{
	struct globaldata *gd = mycpu;
	uint64_t s;

	if (gd->gd_ipiq_nest < LWKT_IPIQ_NEST_MAX) {
		gd->gd_ipiq_nest++;
		if ((uint64_t)gd->gd_ipiq_nest > gd->gd_cnt.pc_ipiq_nest_max)
			gd->gd_cnt.pc_ipiq_nest_max =
			    (uint64_t)gd->gd_ipiq_nest;
		ipiq_drain(true);
		gd->gd_ipiq_nest--;
	} else {
		gd->gd_cnt.pc_ipiq_nest_capped++;
	}
	pmap_inval_poll(); /* never nests: serving runs no message */
	s = cpu_intr_disable();
	spill_flush();
	if (outer & INTR_ON) {
		cpu_intr_restore(s | INTR_ON);
		cpu_pause_hint(); /* an interrupt can be taken here */
		(void)cpu_intr_disable();
	} else {
		cpu_pause_hint();
	}
	cpu_intr_restore(s);
}

void
lwkt_ipiq_wait_step(void)
{
	uint64_t s = cpu_intr_disable();

	cpu_intr_restore(s);
	wait_step(s);
}

/*
 * Announce a message just queued in our FIFO to tgd (interrupts off).
 * Returns true when the target needs a hardware IPI - the caller sends
 * it.  A passive message (wake false) is announced only in
 * gd_ipimask_passive, which promises nothing: the target finds it at its
 * next drain.  An active message is announced in gd_ipimask; if our bit
 * there was already set, an earlier announcement of ours has not been
 * taken yet, so a drain that will see this message is already owed (see
 * the header) and no IPI is needed either.
 */
static bool
ipiq_announce(struct globaldata *me, struct globaldata *tgd, bool wake)
{
	me->gd_cnt.pc_ipiq_sent++;
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

/*
 * Move what fits of this CPU's spill into the FIFOs, oldest first,
 * keeping each target's order (a target whose FIFO is full blocks only
 * its own later entries), and announce each; IPIs are sent at the end.
 * Interrupts off.  Never runs a message, so it never nests.
 */
static void
spill_flush(void)
{
	struct globaldata *me = mycpu;
	struct ipiq_spill *sp = ipiq_spill[me->gd_cpuid];
	cpumask_t blocked, need, left;
	int i, w = 0;

	if (sp == NULL || sp->sp_n == 0)
		return;
	cpumask_zero(&blocked);
	cpumask_zero(&need);
	cpumask_zero(&left);
	for (i = 0; i < sp->sp_n; i++) {
		struct ipiq_spill_entry *e = &sp->sp_e[i];
		struct globaldata *tgd = globaldata_find(e->se_target);

		if (!cpumask_test(&blocked, e->se_target) &&
		    ipiq_fifo_put(tgd->gd_ipiq[me->gd_cpuid], e->se_func,
		                  e->se_arg1, e->se_arg2, NULL)) {
			if (ipiq_announce(me, tgd, e->se_wake))
				cpumask_set(&need, e->se_target);
			continue;
		}
		cpumask_set(&blocked, e->se_target);
		cpumask_set(&left, e->se_target);
		sp->sp_e[w++] = *e;
	}
	sp->sp_n = w;
	sp->sp_targets = left;
	if (!cpumask_isempty(&need) && !ipi_lost())
		cpu_send_ipiq_mask(&need);
}

/*
 * Queue one message for target and announce it.  Interrupts are off.
 * Returns true when the target needs a hardware IPI - the caller sends
 * it.  A full FIFO is waited for with wait_step() (which drains, one
 * level deeper); at the nesting cap, where a wait could not drain, the
 * message goes to this CPU's spill instead, and so does every later one
 * to the same target until the spill has passed them all on (see
 * "Bounded nesting" in the header).
 */
static bool
ipiq_put(int target, ipifunc_t func, void *arg1, uint64_t arg2, uint32_t *seqp,
         bool wake, uint64_t outer)
{
	struct globaldata *me = mycpu, *tgd;
	struct ipiq_spill *sp = ipiq_spill[me->gd_cpuid];
	struct lwkt_ipiq *q;
	uint64_t start = 0;
	bool warned = false;
	uint32_t seq;

	KASSERT(target >= 0 && target < ipiq_ncpus, "ipiq: bad target");
	tgd = globaldata_find(target);
	q = tgd->gd_ipiq[me->gd_cpuid];
	for (;;) {
		spill_flush();
		if (!cpumask_test(&sp->sp_targets, target) &&
		    ipiq_fifo_put(q, func, arg1, arg2, &seq))
			break;
		/*
		 * At the cap a wait could not drain: spill.  Below it,
		 * spill only to stay behind our own spilled messages to
		 * this target, and only into the first half, which keeps
		 * the rest for sends at the cap.
		 */
		if (me->gd_ipiq_nest >= LWKT_IPIQ_NEST_MAX
		        ? sp->sp_n < IPIQ_SPILL_MAX
		        : cpumask_test(&sp->sp_targets, target) &&
		              sp->sp_n < IPIQ_SPILL_MAX / 2) {
			struct ipiq_spill_entry *e = &sp->sp_e[sp->sp_n];
			uint32_t ahead = 0;
			int i;

			for (i = 0; i < sp->sp_n; i++)
				ahead += sp->sp_e[i].se_target == target;
			e->se_target = target;
			e->se_wake = wake;
			e->se_func = func;
			e->se_arg1 = arg1;
			e->se_arg2 = arg2;
			sp->sp_n++;
			cpumask_set(&sp->sp_targets, target);
			if ((uint64_t)sp->sp_n > me->gd_cnt.pc_ipiq_spill_max)
				me->gd_cnt.pc_ipiq_spill_max =
				    (uint64_t)sp->sp_n;
			me->gd_cnt.pc_ipiq_spilled++;
			/* Its place in the FIFO: after those still ahead. */
			*seqp = q->ip_windex + ahead;
			return false; /* announced when it reaches the FIFO */
		}
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
		wait_step(outer);
		watchdog_check(start, &warned, target, "on a full FIFO to", q);
	}
	*seqp = seq;
	return ipiq_announce(me, tgd, wake);
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
	else if (ipiq_put(target, func, arg1, arg2, &seq, wake, flags) &&
	         !ipi_lost())
		cpu_send_ipiq(target);
	cpu_intr_restore(flags);
	ipiq_unhold(flags);
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
		if (cpu != me &&
		    ipiq_put(cpu, func, arg1, arg2, &seq, true, flags))
			cpumask_set(&need, cpu);
	}
	/* One ICR write may cover them all: lose all or none. */
	if (!cpumask_isempty(&need) && !ipi_lost())
		cpu_send_ipiq_mask(&need);
	if (cpumask_test(mask, me))
		func(arg1, arg2, NULL);
	cpu_intr_restore(flags);
	ipiq_unhold(flags);
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

/*
 * Drain this CPU's incoming FIFOs: those announced in gd_ipimask and
 * gd_ipimask_passive, and with all set, every non-empty one whether
 * announced or not (a waiter's drain: see "Deadlock freedom").
 */
static int
ipiq_drain(bool all)
{
	struct globaldata *gd = mycpu;
	uint64_t flags;
	int n = 0, src;

	ipiq_hold();
	flags = cpu_intr_disable();
	/* Re-entry (a message that waits) drains from the inner call. */
	__atomic_store_n(&gd->gd_ipi_draining, 1, __ATOMIC_SEQ_CST);
	if (all) {
		for (src = 0; src < ipiq_ncpus; src++) {
			struct lwkt_ipiq *q = gd->gd_ipiq[src];
			int r;

			if (q == NULL || ipiq_fifo_count(q) == 0)
				continue;
			r = ipiq_fifo_drain(q, NULL, IPIQ_DRAIN_ALL);
			n += r;
			gd->gd_cnt.pc_ipiq_recv += (uint64_t)r;
		}
	}
	for (;;) {
		cpumask_t mask;
		int w;

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
	spill_flush(); /* what we spilled may fit now */
	cpu_intr_restore(flags);
	ipiq_unhold(flags);
	return n;
}

int
lwkt_process_ipiq(void)
{
	return ipiq_drain(false);
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

/*
 * The safety drain, from every CPU's local APIC tick: if a message is
 * announced in our gd_ipimask or gd_ipimask_passive, drain as if its IPI
 * had come
 * (in a critical section, deferred to its end like an IPI).  A lost
 * wakeup - an IPI that overtook its mask bit, or one the hardware
 * dropped - leaves the bit set and, through coalescing, holds back every
 * later IPI to us; this bounds the stall to one tick.  Counted in
 * pc_ipiq_safety (an IPI merely in flight at the tick counts too).
 */
void
lwkt_ipiq_tick(void *frame)
{
	struct globaldata *gd = mycpu;

	if (gd->gd_ipiq == NULL)
		return;
	spill_flush(); /* a spill left behind moves on within a tick */
	if (lwkt_ipiq_no_safety_drain || !lwkt_ipiq_pending())
		return;
	gd->gd_cnt.pc_ipiq_safety++;
	lwkt_ipiq_intr(frame);
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
	uint64_t start, outer;
	bool warned = false;

	if (target == mycpu->gd_cpuid)
		return;
	q = globaldata_find(target)->gd_ipiq[mycpu->gd_cpuid];
	start = nanouptime();
	outer = cpu_intr_disable();
	cpu_intr_restore(outer);
	while (!ipiq_fifo_done(q, seq)) {
		wait_step(outer);
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
