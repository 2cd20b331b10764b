/*
 * pmap_inval.c - TLB shootdowns as asynchronous messages.
 *
 * Three deliveries, chosen at boot (pmap.inval=ipiq|thread|sync, below
 * "Delivery variants"); the paragraph that follows describes ipiq.
 *
 * A CPU that changed page-table entries (the initiator) queues the
 * affected ranges on a struct pmap_inval_batch.  pmap_inval_batch_flush()
 * snapshots the pmap's pm_active, invalidates locally when this CPU is in
 * it, and sends ONE message per other target CPU through the LWKT IPI
 * queues (lwkt_send_ipiq_mask: the FIFO layer already skips the hardware
 * IPI when a target is draining).  The message points at a flight record
 * holding the ranges (or "flush all" above pmap_inval_ceiling pages); the
 * target's drain runs pmap_inval_ipi(), which invalidates and acknowledges
 * by decrementing fl_pending.  pmap_inval_batch_wait() waits for the
 * count to reach zero and only then frees the frames and page-table pages
 * queued on the batch.  While it waits the CPU keeps draining its own
 * IPI queues, so two CPUs shooting each other down both make progress,
 * and a watchdog warns after 1 s and panics after 10 s naming the
 * pending CPUs and their queue indexes.
 *
 * SPIN models (test/model/, make test-model): pmap_active.pml (the
 * pm_active invariant), idle_defer.pml (idle deferral), flight_free.pml
 * (flight records and deferred frees).
 *
 * Invariant (pm_active).  At the moment wait() returns, no CPU holds a
 * TLB entry made from a PTE value the initiator replaced before its
 * flush.  The argument, with every step below a seq_cst operation (x86:
 * locked RMWs, plain loads) and CR3 loads serializing:
 *
 *   pmap_activate(next) on CPU C:  set C in next->pm_active; load CR3;
 *                                  clear C in prev->pm_active.
 *   initiator I:                   update PTEs (xchg/cmpxchg);
 *                                  snapshot pm_active; message targets.
 *
 *   - C in the snapshot: C gets a message and invalidates (or, if it
 *     has meanwhile left the pmap, its CR3 load already dropped every
 *     entry: user mappings are never global and there is no PCID).
 *   - C not in the snapshot but running on the pmap: C's set came after
 *     I's snapshot in the total order, hence after I's PTE update, and
 *     C's CR3 load (after its set) flushed the TLB: its walks read the
 *     new PTEs.
 *   - C not in the snapshot and not running on it: C's clear came
 *     before the snapshot, and its CR3 load before the clear, so C has
 *     no entry for the pmap at all.
 * The kernel pmap counts as active on every online CPU (its entries are
 * global and survive CR3 loads), so kernel shootdowns go to all of them.
 * The paging-structure caches are covered by the same messages: a freed
 * page-table page always adds a page of its span to the batch, and
 * INVLPG of an address drops the cached upper-level entries used for it.
 *
 * Invariant (idle deferral).  A halted CPU need not be interrupted: it
 * flushes its whole TLB before it runs anything that could use a stale
 * entry.  Initiator, per target T:  if T.halted { T.pending = 1;
 * if T.halted: count T as acknowledged }.  T:  halted = 1; hlt; on wakeup
 * (first thing in trap(), and right after hlt) halted = 0; if
 * xchg(pending, 0) flush all.  Dekker: I writes pending then reads
 * halted; T writes halted = 0 then reads pending.  If I read halted == 1,
 * that read precedes T's clear in the total order, so T's read of
 * pending (after the clear) sees 1 and T flushes before running any
 * interrupt handler body or thread.  The entry path before that check
 * touches only the IDT, kernel text and the idle stack, whose mappings
 * never change.  Threads that run on a user pmap are never halted (the
 * idle thread runs on the kernel pmap), so in practice this saves the
 * wakeups of kernel shootdowns (pmap_kremove, pmap_qremove).
 *
 * Early shootdowns.  Until pmap_inval_init() (pmap_mp_init, after
 * lwkt_init) there are no pools, but the APs are online from
 * cpu_mp_start() on and have run on the kernel's mappings.  A flush then
 * takes flush_early(): a synchronous lwkt_cpusync_simple() of the same
 * pmap_inval_ipi() to every other CPU in smp_active_mask (a superset of
 * the kernel pmap's users), with the record on the stack, then the
 * local invalidation.  That needs the IPI queues (lwkt_ipiq_init); while
 * the APs are being started, before the queues exist, they are parked
 * in hlt and the boot CPU only maps new pages (pmap_prvspace_init,
 * pmap_mapdev), which queue nothing, so no flush can reach this point -
 * and flush_early() panics if one ever does.
 *
 * Invariant (flight records).  A record of a CPU's pool is busy exactly
 * while its fl_pending is nonzero, and only targets that have not yet
 * run their message hold it: the initiator holds no reference.  Steps:
 *   flush on CPU I (interrupts off while claiming; only I allocates from
 *     I's pool): find a record with fl_pending == 0 (acquire: the last
 *     target's accesses are over), fl_gen++, fl_pending = n (both
 *     seq_cst, in that order), fill it, send; the batch remembers
 *     (record, fl_gen).
 *   target: invalidate, clear its fl_pendmask bit, then decrement
 *     fl_pending (seq_cst) as its last access.
 *   wait (any CPU, the thread may have migrated): done when fl_pending
 *     reads 0 or, read after it, fl_gen differs from the batch's: a
 *     reallocation writes gen before pending, so an unchanged gen means
 *     the pending value read was this flight's, and a changed gen means
 *     the record had been free, i.e. this flight's pending had reached 0.
 * So however many batches one CPU holds unwaited - one thread keeping
 * many, or many threads that flushed and were preempted before waiting -
 * a flush never waits for them: it waits (draining its own queues) only
 * when PMAP_INVAL_NFLIGHT flushes all have targets that have not run,
 * and then the watchdog rightly names those targets.
 *
 * Delivery variants (boot option pmap.inval=, docs/ARCHITECTURE.md
 * section 11 "Delivery variants").  Everything above - the snapshot, idle
 * deferral, the records, the local flush, every PMAP_BUG() point - is
 * shared; only how a record reaches a target's inval_service() differs,
 * and each way keeps "a target's decrement is its last access" and "it
 * invalidates with interrupts off, so gd_curpmap and CR3 agree".
 *
 * Invariant (ipiq, the default).  A target serves a record in its
 * IPI-queue drain: the FIFO's release/acquire publishes the record, and
 * the queue's wakeup invariant (lwkt_ipiq.c) makes the drain happen.  A
 * critical section defers the drain to crit_exit(), so it delays the
 * acknowledgement, never loses it.
 *
 * Invariant (thread).  Every record sent to T is served exactly once on
 * T, by T's invalidation thread pinvald<T> or by a wait step on T.  The
 * IPI-queue message (inval_thread_ipi, in T's drain, interrupts off)
 * only sets the record's bit (initiator, pool slot) in T's thread
 * mailbox and schedules the thread (TDPRI_MAX: it preempts at the next
 * point that allows it).  The mailbox is T's alone and touched only with
 * interrupts off, so a bit is taken once; the record stays claimed
 * (fl_pending > 0, T not yet counted) until then, so a bit never names a
 * reused record.  The thread deschedules itself only after finding the
 * mailbox empty with interrupts off, so no message slips between.  A
 * CPU that spins in a wait (any lwkt_ipiq wait step: our acks, room in a
 * FIFO, a message's completion) cannot switch to its thread, so the wait
 * step serves the mailbox itself (pmap_inval_poll): two CPUs shooting at
 * each other, interrupts on or off, both progress.  The switch: the
 * thread is TDF_ANYPMAP, so switching to it loads no CR3 and the CPU
 * stays in the pm_active of the address space it was running, which the
 * thread then invalidates by INVLPG exactly as the ipiq handler would (a
 * kernel-CR3 thread would also be correct - its CR3 load leaves pm_active
 * only after dropping every user entry, see "pm_active" above - but turns
 * every user shootdown into two CR3 loads on each busy target).  The
 * TLB sanitizer sees the same CR3 loads and INVLPGs either way.
 *
 * Invariant (sync).  Every record posted to T is served exactly once on
 * T, by the IPI_VECTOR_INVAL handler or by a wait step on T, and the
 * initiator waits in its flush until all are.  The initiator sets the
 * record's bit in T's sync mailbox with a seq_cst fetch_or (ordering the
 * record's fields before it), sets its bit in T's source mask, then
 * raises the vector; T takes the source mask, then each source's byte,
 * by exchange, so every bit is taken once whoever takes it (the vector
 * or a poll), and a bit set after a take is found by the handler of the
 * IPI that follows it.  The handler ignores td_critcount - the point of
 * the variant - which is safe because nothing a critical section
 * protects is touched by it: it runs with interrupts off, so it cannot
 * split pmap_activate() (interrupts off too) or see gd_curpmap disagree
 * with CR3; it takes no lock (the TLB sanitizer's lock is taken with
 * interrupts off, so never held under it), never faults (so gd_onfault
 * of an interrupted cpu_probe() is left alone), touches no run queue,
 * FIFO or spill, and only adds invalidations (an extra INVLPG or full
 * flush in the middle of a per-CPU window's use or of our own flush only
 * drops entries that are refilled from the live tables; a CR4.PGE toggle
 * interrupted between its two writes meets PGE off and reloads CR3).  Its
 * counters (pc_invlpg, ...) are single add instructions, so an
 * interrupted increment of the same counter is not lost (checked in
 * the object code).  A CPU with
 * interrupts off cannot take the vector: a waiter serves its own mailbox
 * in every wait step (pmap_inval_poll), so two initiators waiting on each
 * other with interrupts off both progress (pmapmp_mutual_wait_introff;
 * pmap.bug=no_serve breaks it), and the wait also drains the IPI queues,
 * so a target stuck with interrupts off on a full FIFO to us gets room.
 * Idle deferral stays: a halted CPU is skipped and flushes on wakeup
 * (trap() runs pmap_inval_wakeup() before the handler).  Every wait has
 * the watchdog.
 */
#include <machine/pmap_inval.h>

#include <cpu/cpufunc.h>
#include <machine/apic.h>
#include <machine/globaldata.h>
#include <machine/intr.h>
#include <machine/pmap.h>
#include <machine/pmap_bug.h>
#include <machine/tlbsan.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/lwkt_ipiq.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/vm_page.h>

/*
 * The ceiling: above it a flush drops everything instead of page by page.
 * Measured under QEMU TCG (-cpu max, 8 vCPUs on a 2-core host) by
 * pmapmp_measure_ceiling, which prints it on every run (64 pages, 20
 * repetitions, four runs): one INVLPG costs 180-370 ns; a full flush
 * (CR3 reload) 3.1-7.9 us; touching 64 pages again costs 1.1-1.8 us after
 * INVLPGs of other pages but 8.4-19.7 us after a full flush, i.e. each
 * page of the target's working set costs ~120-280 ns to refill.  So n
 * INVLPGs (~180n ns) beat one full flush (~3.2 us + refills) up to a few
 * dozen pages for a working set of a few dozen pages; 32 splits it.  A
 * boot option (pmap.inval_ceiling) or the variable changes it.
 */
#define PMAP_INVAL_CEILING_DEFAULT 32

static BOOTOPT_BOOL(pmap_no_idle_defer, "pmap.no_idle_defer", false,
                    "message halted CPUs too instead of deferring their "
                    "flush");
static BOOTOPT_INT(pmap_inval_ceiling_opt, "pmap.inval_ceiling",
                   PMAP_INVAL_CEILING_DEFAULT, 0, 1 << 20,
                   "pages above which a shootdown flushes the whole TLB");

static BOOTOPT_STR(pmap_inval_opt, "pmap.inval",
                   "how shootdowns reach their targets: ipiq (in the IPI-"
                   "queue drain, default), thread (each CPU's invalidation "
                   "thread) or sync (a dedicated IPI vector, initiator "
                   "waits)");

#define WATCHDOG_WARN_NS  (1 * NS_PER_S)
#define WATCHDOG_PANIC_NS (10 * NS_PER_S)

int pmap_inval_ceiling = PMAP_INVAL_CEILING_DEFAULT;
int pmap_inval_idle_defer = 1;
int pmap_inval_mode = PMAP_INVAL_IPIQ;
const char *pmap_inval_mode_name = "ipiq";
static volatile int inval_ready; /* pools exist, other CPUs serve */
static struct pmap *kernel_pm;   /* pmap_kernel() */

/*
 * A CPU's mailboxes for the thread and sync variants.  A record is named
 * by (initiator, slot in its pool): bit i of box[src] stands for
 * md_find(src)->gd_inval_pool[i].  See "Invariant (thread)" and
 * "Invariant (sync)" in the header.
 */
struct inval_cpu {
	uint8_t ic_tbox[MAXCPU]; /* thread: records to serve; owner only,
	                            interrupts off */
	cpumask_t ic_tsrcs;      /* thread: sources with a bit in ic_tbox */
	int ic_tn;               /* thread: bits set in ic_tbox */
	struct thread *ic_td;    /* thread: this CPU's invalidation thread */
	volatile uint8_t ic_sbox[MAXCPU]; /* sync: records to serve; set by
	                                     initiators, taken by xchg */
	cpumask_t ic_ssrcs; /* sync: sources that may have set a bit */
} __aligned(64);

_Static_assert(PMAP_INVAL_NFLIGHT <= 8, "a mailbox byte holds a pool");
_Static_assert(sizeof(struct inval_cpu) <= KMALLOC_MAX,
               "pmap: a CPU's mailboxes must fit one kmalloc object");

static struct inval_cpu *inval_cpu[MAXCPU]; /* by cpuid, set at init */

static void inval_thread_main(void *arg);

static struct mdglobaldata *
md_find(int cpu)
{
	return (struct mdglobaldata *)globaldata_find(cpu);
}

void
pmap_inval_init(struct pmap *kpm)
{
	int cpu;

	kernel_pm = kpm;
	pmap_inval_idle_defer = !pmap_no_idle_defer;
	pmap_inval_ceiling = pmap_inval_ceiling_opt;
	if (pmap_inval_opt == NULL || strcmp(pmap_inval_opt, "ipiq") == 0) {
		pmap_inval_mode = PMAP_INVAL_IPIQ;
	} else if (strcmp(pmap_inval_opt, "thread") == 0) {
		pmap_inval_mode = PMAP_INVAL_THREAD;
		pmap_inval_mode_name = "thread";
	} else if (strcmp(pmap_inval_opt, "sync") == 0) {
		pmap_inval_mode = PMAP_INVAL_SYNC;
		pmap_inval_mode_name = "sync";
	} else {
		kprintf("pmap: error: pmap.inval=%.32s: unknown variant (ipiq, "
		        "thread or sync); using ipiq\n",
		        pmap_inval_opt);
	}
	kprintf("pmap: shootdowns delivered by %s (pmap.inval=%s)\n",
	        pmap_inval_mode == PMAP_INVAL_IPIQ
	            ? "the targets' IPI-queue drains"
	        : pmap_inval_mode == PMAP_INVAL_THREAD
	            ? "each target's invalidation thread"
	            : "a dedicated IPI vector, initiator waiting",
	        pmap_inval_mode_name);
	for (cpu = 0; cpu < ncpus; cpu++) {
		md_find(cpu)->gd_inval_pool = kmalloc(
		    PMAP_INVAL_NFLIGHT * sizeof(struct pmap_inval_flight),
		    M_ZERO);
		inval_cpu[cpu] = kmalloc(sizeof(struct inval_cpu), M_ZERO);
		cpumask_atomic_set(&kpm->pm_active, cpu);
	}
	if (pmap_inval_mode == PMAP_INVAL_THREAD) {
		for (cpu = 0; cpu < ncpus; cpu++) {
			char name[TD_NAMELEN];

			ksnprintf(name, sizeof(name), "pinvald%d", cpu);
			inval_cpu[cpu]->ic_td =
			    lwkt_create(inval_thread_main, inval_cpu[cpu], name,
			                cpu, TDPRI_MAX);
		}
	}
	__atomic_store_n(&inval_ready, 1, __ATOMIC_SEQ_CST);
}

void
pmap_inval_batch_init(struct pmap_inval_batch *b, struct pmap *pm)
{
	static uint64_t batch_seq; /* numbers batches from 1 */

	memset(b, 0, sizeof(*b));
	b->ib_pmap = pm;
	b->ib_seq = __atomic_add_fetch(&batch_seq, 1, __ATOMIC_RELAXED);
}

void
pmap_inval_add(struct pmap_inval_batch *b, vm_offset_t sva, vm_offset_t eva)
{
	int i = b->ib_nranges - 1;

	if (b->ib_all) {
		b->ib_npages += (eva - sva) / PAGE_SIZE;
		return;
	}
	/* Coalesce with the last range: removals walk upwards. */
	if (i >= 0 && sva <= b->ib_eva[i] && eva >= b->ib_sva[i]) {
		vm_offset_t s = MIN(b->ib_sva[i], sva);
		vm_offset_t e = MAX(b->ib_eva[i], eva);

		b->ib_npages +=
		    (e - s - (b->ib_eva[i] - b->ib_sva[i])) / PAGE_SIZE;
		b->ib_sva[i] = s;
		b->ib_eva[i] = e;
		return;
	}
	b->ib_npages += (eva - sva) / PAGE_SIZE;
	if (b->ib_nranges == PMAP_INVAL_NRANGES) {
		b->ib_all = true;
		return;
	}
	b->ib_sva[b->ib_nranges] = sva;
	b->ib_eva[b->ib_nranges] = eva;
	b->ib_nranges++;
}

void
pmap_inval_defer_page(struct pmap_inval_batch *b, struct vm_page *m)
{
	m->pg_next = b->ib_free;
	b->ib_free = m;
}

void
pmap_inval_batch_defer_free(struct pmap_inval_batch *b, vm_paddr_t pa)
{
	pmap_inval_defer_page(b, phys_to_vm_page(pa));
}

/*
 * Give back pages a flush protected (vm_page_free() has the TLB
 * sanitizer check that no CPU may still translate to or through them).
 */
static void
free_list(struct vm_page *m)
{
	while (m != NULL) {
		struct vm_page *next = m->pg_next;

		m->pg_next = NULL;
		vm_page_free(m);
		m = next;
	}
}

/* Invalidate ranges (or everything) of pm on this CPU. */
static void
inval_local(struct pmap *pm, bool all, int n, const vm_offset_t *sva,
            const vm_offset_t *eva)
{
	struct globaldata *gd = mycpu;
	int i;

	if (all) {
		if (pm->pm_is_kernel ? PMAP_BUG(FULL_NOOP_KERN)
		                     : PMAP_BUG(FULL_NOOP_USER))
			return; /* mutant: the full flush does nothing */
		/* Kernel entries are global: only a CR4.PGE toggle drops them. */
		if (pm->pm_is_kernel && !PMAP_BUG(FULL_CR3))
			invltlb_all();
		else
			load_cr3(rcr3());
		gd->gd_cnt.pc_invltlb++;
		return;
	}
	for (i = 0; i < n; i++) {
		vm_offset_t va;

		for (va = sva[i]; va < eva[i]; va += PAGE_SIZE) {
			invlpg(va);
			gd->gd_cnt.pc_invlpg++;
		}
	}
}

/*
 * The invalidation service: runs on a target CPU in its IPI-queue drain.
 * A CPU no longer on a user pmap has nothing to invalidate (its CR3 load
 * flushed it); one still on it invalidates the ranges.  The decrement of
 * fl_pending is the last access to the record.
 */
static void
inval_service(struct pmap_inval_flight *fl)
{
	struct mdglobaldata *md = mdcpu;
	struct pmap *pm = fl->fl_pmap;

	md->mi.gd_cnt.pc_inval_recv++;
	if (pm->pm_is_kernel || md->gd_curpmap == pm)
		inval_local(pm, fl->fl_all, fl->fl_nranges, fl->fl_sva,
		            fl->fl_eva);
	cpumask_atomic_clear(&fl->fl_pendmask, md->mi.gd_cpuid);
	md->mi.gd_cnt.pc_inval_acks++;
	/* Last access: at 0 the record may be reused at once. */
	__atomic_fetch_sub(&fl->fl_pending, 1, __ATOMIC_SEQ_CST);
}

/* The ipiq variant's message (and the early flush's): serve it here. */
static void
pmap_inval_ipi(void *arg1, uint64_t arg2, void *frame)
{
	(void)arg2;
	(void)frame;
	inval_service(arg1);
}

/* Which slot of its initiator's pool a record is. */
static int
flight_slot(const struct pmap_inval_flight *fl)
{
	return (int)(fl - md_find(fl->fl_cpu)->gd_inval_pool);
}

/* ---- thread variant ---------------------------------------------- */

/*
 * The thread variant's message, in the target's IPI-queue drain
 * (interrupts off): only hand the record to this CPU's invalidation
 * thread, which preempts whatever runs at the next point that allows it.
 */
static void
inval_thread_ipi(void *arg1, uint64_t arg2, void *frame)
{
	struct pmap_inval_flight *fl = arg1;
	struct inval_cpu *ic = inval_cpu[mycpu->gd_cpuid];
	int src = fl->fl_cpu;

	(void)arg2;
	(void)frame;
	ic->ic_tbox[src] |= (uint8_t)(1u << flight_slot(fl));
	cpumask_set(&ic->ic_tsrcs, src);
	ic->ic_tn++;
	lwkt_schedule(ic->ic_td);
}

/* Take one record from this CPU's thread mailbox (interrupts off). */
static struct pmap_inval_flight *
tbox_take(struct inval_cpu *ic)
{
	int src, i;

	if (ic->ic_tn == 0)
		return NULL;
	src = cpumask_first(&ic->ic_tsrcs);
	if (src < 0 || ic->ic_tbox[src] == 0)
		panic("pmap: cpu %d: thread mailbox holds %d records but no "
		      "source",
		      mycpu->gd_cpuid, ic->ic_tn);
	i = __builtin_ctz(ic->ic_tbox[src]);
	ic->ic_tbox[src] &= (uint8_t) ~(1u << i);
	if (ic->ic_tbox[src] == 0)
		cpumask_clear(&ic->ic_tsrcs, src);
	ic->ic_tn--;
	return &md_find(src)->gd_inval_pool[i];
}

/*
 * Serve every record in this CPU's thread mailbox, each with interrupts
 * off (as a drain would: gd_curpmap and CR3 cannot change under it, and
 * the thread and a polling waiter on this CPU never take the same bit).
 */
static uint64_t
tbox_serve(void)
{
	struct inval_cpu *ic = inval_cpu[mycpu->gd_cpuid];
	uint64_t n = 0;

	for (;;) {
		uint64_t s = intr_disable();
		struct pmap_inval_flight *fl = tbox_take(ic);

		if (fl != NULL)
			inval_service(fl);
		intr_restore(s);
		if (fl == NULL)
			return n;
		n++;
	}
}

/*
 * pinvald<cpu>: serve the mailbox, sleep (descheduled) when it is empty.
 * TDF_ANYPMAP: switching here loads no CR3, so the CPU stays on the
 * address space it was running (and in its pm_active), and the service
 * invalidates that address space's entries with INVLPG like the ipiq
 * handler would; a kernel-CR3 thread would turn every user shootdown
 * into two CR3 loads on every target.
 */
static void
inval_thread_main(void *arg)
{
	struct inval_cpu *ic = arg;
	struct thread *td = curthread;
	uint64_t s = intr_disable();

	td->td_flags |= TDF_ANYPMAP;
	intr_restore(s);
	for (;;) {
		mycpu->gd_cnt.pc_inval_thread += tbox_serve();
		s = intr_disable();
		if (ic->ic_tn == 0) {
			/* Checked with interrupts off: no message slips in. */
			lwkt_deschedule(td);
			lwkt_switch();
		}
		intr_restore(s);
	}
}

/* ---- sync variant ------------------------------------------------ */

/*
 * Post a claimed, filled record to every target's sync mailbox and raise
 * the vector.  The seq_cst fetch_or orders the record's fields before
 * the bit; the target takes the bit with an exchange.
 */
static void
sync_send(const cpumask_t *targets, struct pmap_inval_flight *fl)
{
	int me = fl->fl_cpu, cpu;
	uint8_t bit = (uint8_t)(1u << flight_slot(fl));

	CPUMASK_FOREACH(cpu, targets)
	{
		struct inval_cpu *ic = inval_cpu[cpu];

		__atomic_fetch_or(&ic->ic_sbox[me], bit, __ATOMIC_SEQ_CST);
		cpumask_atomic_set(&ic->ic_ssrcs, me);
	}
	cpu_send_vector_mask(targets, IPI_VECTOR_INVAL);
}

/*
 * Serve every record posted to this CPU's sync mailbox.  Interrupts off
 * (the vector's handler, or a poll that disabled them).  Exchanges take
 * the source mask, then each source's byte: a bit is served exactly once
 * whoever takes it, and a source bit taken before its byte's bit was set
 * leaves only a spurious pass later.
 */
static uint64_t
sbox_serve(void)
{
	struct inval_cpu *ic = inval_cpu[mycpu->gd_cpuid];
	uint64_t n = 0;
	cpumask_t srcs;
	int w, src;

	for (w = 0; w < CPUMASK_NWORDS; w++)
		srcs.cm_word[w] = __atomic_exchange_n(&ic->ic_ssrcs.cm_word[w],
		                                      0, __ATOMIC_SEQ_CST);
	CPUMASK_FOREACH(src, &srcs)
	{
		unsigned bits =
		    __atomic_exchange_n(&ic->ic_sbox[src], 0, __ATOMIC_SEQ_CST);

		while (bits != 0) {
			int i = __builtin_ctz(bits);

			bits &= bits - 1;
			inval_service(&md_find(src)->gd_inval_pool[i]);
			n++;
		}
	}
	return n;
}

void
pmap_inval_sync_intr(void)
{
	if (inval_cpu[mycpu->gd_cpuid] == NULL)
		return; /* before pmap_inval_init: nothing was posted */
	mycpu->gd_cnt.pc_inval_vector += sbox_serve();
}

void
pmap_inval_poll(void)
{
	uint64_t s, n;

	if (!__atomic_load_n(&inval_ready, __ATOMIC_ACQUIRE))
		return;
	switch (pmap_inval_mode) {
	case PMAP_INVAL_THREAD:
		n = tbox_serve();
		break;
	case PMAP_INVAL_SYNC:
		s = intr_disable();
		n = sbox_serve();
		intr_restore(s);
		break;
	default:
		return; /* ipiq: the wait step's drain serves them */
	}
	mycpu->gd_cnt.pc_inval_polled += n;
}

static void
print_pending(const char *what, uint64_t waited, struct pmap_inval_flight *fl,
              struct pmap_inval_batch *b)
{
	int me = fl->fl_cpu, cpu;
	cpumask_t pend;
	char buf[96];

	cpumask_copy_atomic(&pend, &fl->fl_pendmask);
	cpumask_snprintf(buf, sizeof(buf), &pend);
	kprintf("pmap: %s: cpu %d waited %lu ms for shootdown #%lu (batch %p "
	        "flight %p pmap %p, %s, %d ranges, first %#lx-%#lx): %d "
	        "pending: cpus %s\n",
	        what, mycpu->gd_cpuid, waited / NS_PER_MS, fl->fl_seq, b, fl,
	        fl->fl_pmap, fl->fl_all ? "flush all" : "ranges",
	        fl->fl_nranges, fl->fl_nranges > 0 ? fl->fl_sva[0] : 0,
	        fl->fl_nranges > 0 ? fl->fl_eva[0] : 0, fl->fl_pending, buf);
	CPUMASK_FOREACH(cpu, &pend)
	{
		struct mdglobaldata *t = md_find(cpu);
		struct lwkt_ipiq *q = t->mi.gd_ipiq[me];

		struct inval_cpu *ic = inval_cpu[cpu];
		struct thread *td = t->mi.gd_curthread;

		kprintf("pmap:   cpu %d: queue %d->%d windex %u rindex %u "
		        "xindex %u, draining %d, halted %d, reqflags %#x\n",
		        cpu, me, cpu, q->ip_windex, q->ip_rindex, q->ip_xindex,
		        t->mi.gd_ipi_draining, t->gd_idle_halted,
		        t->mi.gd_reqflags);
		if (ic != NULL && pmap_inval_mode == PMAP_INVAL_THREAD)
			kprintf("pmap:   cpu %d: thread mailbox from %d %#x "
			        "(%d records), pinvald%d flags %#x, running "
			        "\"%.24s\" critcount %d\n",
			        cpu, me, ic->ic_tbox[me], ic->ic_tn, cpu,
			        ic->ic_td->td_flags, td ? td->td_name : "-",
			        td ? td->td_critcount : 0);
		if (ic != NULL && pmap_inval_mode == PMAP_INVAL_SYNC)
			kprintf("pmap:   cpu %d: sync mailbox from %d %#x, "
			        "running \"%.24s\" critcount %d\n",
			        cpu, me, ic->ic_sbox[me],
			        td ? td->td_name : "-",
			        td ? td->td_critcount : 0);
	}
}

static void
watchdog_check(uint64_t start, bool *warned, struct pmap_inval_flight *fl,
               struct pmap_inval_batch *b)
{
	uint64_t waited = nanouptime() - start;

	if (waited < WATCHDOG_WARN_NS)
		return;
	if (!*warned || waited >= WATCHDOG_PANIC_NS) {
		print_pending(waited >= WATCHDOG_PANIC_NS ? "PANIC" : "warning",
		              waited, fl, b);
		*warned = true;
	}
	if (waited >= WATCHDOG_PANIC_NS)
		panic("pmap: cpu %d stuck waiting for a TLB shootdown",
		      mycpu->gd_cpuid);
}

/*
 * Claim a free record of this CPU's pool for a flush to n targets.
 * Interrupts are off while claiming, and only this CPU allocates from
 * its pool, so the claim (gen, then pending = n) is atomic against every
 * other claimant.  Records are busy only while targets have not
 * acknowledged, so when none is free we wait for the targets - draining
 * our own queues, which is all they can need from us - and the watchdog
 * names them.
 */
static struct pmap_inval_flight *
flight_alloc(int n)
{
	uint64_t start = 0, waited;
	bool warned = false;

	for (;;) {
		struct pmap_inval_flight *pool = mdcpu->gd_inval_pool;
		uint64_t fl = intr_disable();
		int i;

		for (i = 0; i < PMAP_INVAL_NFLIGHT; i++) {
			struct pmap_inval_flight *f = &pool[i];

			if (__atomic_load_n(&f->fl_pending, __ATOMIC_ACQUIRE) !=
			    0)
				continue;
			__atomic_store_n(&f->fl_gen, f->fl_gen + 1,
			                 __ATOMIC_SEQ_CST);
			__atomic_store_n(&f->fl_pending, n, __ATOMIC_SEQ_CST);
			intr_restore(fl);
			return f;
		}
		intr_restore(fl);
		if (start == 0)
			start = nanouptime();
		lwkt_ipiq_wait_step();
		waited = nanouptime() - start;
		if (waited >= WATCHDOG_WARN_NS && !warned) {
			/* Every record waits for targets that have not run. */
			for (i = 0; i < PMAP_INVAL_NFLIGHT; i++)
				print_pending("warning (no free record)",
				              waited, &pool[i], NULL);
			warned = true;
		}
		if (waited >= WATCHDOG_PANIC_NS)
			panic("pmap: cpu %d: every shootdown record waits for "
			      "its targets",
			      mycpu->gd_cpuid);
	}
}

/*
 * Has the flight a batch sent as generation gen completed?  pending is
 * read before gen (both seq_cst; the allocator writes gen before
 * pending): if gen still matches, no reallocation has begun, so pending
 * was ours; if gen moved on, the record was free again, which needs our
 * pending to have reached 0.
 */
static bool
flight_done(struct pmap_inval_flight *fl, uint64_t gen)
{
	if (__atomic_load_n(&fl->fl_pending, __ATOMIC_SEQ_CST) == 0)
		return true;
	return __atomic_load_n(&fl->fl_gen, __ATOMIC_SEQ_CST) != gen;
}

/* Wait for the batch's flight (if any), then free what it protected. */
static void
wait_flight(struct pmap_inval_batch *b)
{
	struct pmap_inval_flight *fl = b->ib_flight;

	if (fl != NULL) {
		if (!flight_done(fl, b->ib_flight_gen)) {
			uint64_t t0 = nanouptime();
			bool warned = false;

			KASSERT(
			    mycpu->gd_spinlocks == 0,
			    "pmap: waiting for a shootdown with a spin lock");
			crit_enter();
			while (!flight_done(fl, b->ib_flight_gen)) {
				if (PMAP_BUG(NO_SERVE))
					cpu_pause(); /* mutant: serve nobody */
				else
					lwkt_ipiq_wait_step();
				watchdog_check(t0, &warned, fl, b);
			}
			crit_exit();
			mycpu->gd_cnt.pc_inval_wait_ns += nanouptime() - t0;
		}
		b->ib_flight = NULL;
	}
	free_list(b->ib_free_flight);
	b->ib_free_flight = NULL;
}

/*
 * A flush before pmap_inval_init() (see "Early shootdowns" in the
 * header): synchronous, to every other online CPU, with the record on
 * our stack - lwkt_cpusync_simple() returns only after every target's
 * pmap_inval_ipi() has returned, so none touches it afterwards.
 */
static void
flush_early(struct pmap_inval_batch *b, bool all)
{
	struct pmap *pm = b->ib_pmap;
	struct pmap_inval_flight fl;
	int me = mycpu->gd_cpuid, n;
	cpumask_t others = smp_active_mask;

	cpumask_clear(&others, me);
	n = cpumask_count(&others);
	if (n > 0) {
		if (!lwkt_ipiq_ready())
			panic("pmap: cpu %d: TLB shootdown while %d other "
			      "CPUs are online but the IPI queues do not "
			      "exist yet (nothing may unmap there)",
			      me, n);
		memset(&fl, 0, sizeof(fl));
		fl.fl_pmap = pm;
		fl.fl_all = all;
		fl.fl_nranges = b->ib_nranges;
		memcpy(fl.fl_sva, b->ib_sva, sizeof(fl.fl_sva));
		memcpy(fl.fl_eva, b->ib_eva, sizeof(fl.fl_eva));
		fl.fl_cpu = me;
		fl.fl_pendmask = others;
		fl.fl_pending = n;
		lwkt_cpusync_simple(&others, pmap_inval_ipi, &fl, 0);
		mycpu->gd_cnt.pc_inval_sent += (uint64_t)n;
		KASSERT(fl.fl_pending == 0, "pmap: early shootdown unfinished");
	}
	mycpu->gd_cnt.pc_shootdowns++;
	inval_local(pm, all, b->ib_nranges, b->ib_sva, b->ib_eva);
}

void
pmap_inval_flush_early(struct pmap_inval_batch *b)
{
	flush_early(b,
	            b->ib_all || b->ib_npages > (uint64_t)pmap_inval_ceiling);
	b->ib_nranges = 0;
	b->ib_all = false;
	b->ib_npages = 0;
}

static bool
batch_queued(const struct pmap_inval_batch *b)
{
	return b->ib_nranges > 0 || b->ib_all;
}

void
pmap_inval_batch_flush(struct pmap_inval_batch *b)
{
	struct pmap *pm = b->ib_pmap;
	struct pmap_inval_flight *fl = NULL;
	struct globaldata *gd;
	cpumask_t targets;
	bool all, local;
	int me, cpu, n, w;

	if (!batch_queued(b))
		return;
	if (b->ib_flight != NULL)
		wait_flight(b); /* one flight per batch */
	all = b->ib_all || b->ib_npages > (uint64_t)pmap_inval_ceiling;
	if (!__atomic_load_n(&inval_ready, __ATOMIC_ACQUIRE)) {
		flush_early(b, all);
		goto out;
	}
	crit_enter(); /* stay on this CPU: "me" and my pm_active bit */
	gd = mycpu;
	me = gd->gd_cpuid;
	/* The snapshot, after the PTE updates (seq_cst RMWs) above it. */
	for (w = 0; w < CPUMASK_NWORDS; w++)
		targets.cm_word[w] = __atomic_load_n(&pm->pm_active.cm_word[w],
		                                     __ATOMIC_SEQ_CST);
	local = pm->pm_is_kernel || cpumask_test(&targets, me);
	cpumask_clear(&targets, me);
	if (PMAP_BUG(NO_REMOTE))
		cpumask_zero(&targets); /* mutant: stale remote TLBs */
	if (pmap_inval_idle_defer) {
		CPUMASK_FOREACH(cpu, &targets)
		{
			struct mdglobaldata *t = md_find(cpu);

			if (!__atomic_load_n(&t->gd_idle_halted,
			                     __ATOMIC_SEQ_CST))
				continue;
			__atomic_store_n(&t->gd_inval_pending, 1,
			                 __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&t->gd_idle_halted,
			                    __ATOMIC_SEQ_CST)) {
				cpumask_clear(&targets, cpu);
				gd->gd_cnt.pc_inval_deferred++;
			}
		}
	}
	n = cpumask_count(&targets);
	gd->gd_cnt.pc_shootdowns++;
	if (all && pm->pm_is_kernel)
		gd->gd_cnt.pc_inval_full_kern++;
	else if (all)
		gd->gd_cnt.pc_inval_full_user++;
	__atomic_fetch_add(&pm->pm_flushes, 1, __ATOMIC_RELAXED);
	if (n > 0) {
		fl = flight_alloc(n);
		fl->fl_pmap = pm;
		fl->fl_all = all;
		fl->fl_nranges = b->ib_nranges;
		memcpy(fl->fl_sva, b->ib_sva, sizeof(fl->fl_sva));
		memcpy(fl->fl_eva, b->ib_eva, sizeof(fl->fl_eva));
		fl->fl_cpu = me;
		fl->fl_seq = gd->gd_cnt.pc_shootdowns;
		fl->fl_start_ns = nanouptime();
		fl->fl_pendmask = targets;
		if (pmap_inval_mode == PMAP_INVAL_SYNC)
			sync_send(&targets, fl);
		else /* the FIFO's release store publishes the record */
			lwkt_send_ipiq_mask(&targets,
			                    pmap_inval_mode == PMAP_INVAL_THREAD
			                        ? inval_thread_ipi
			                        : pmap_inval_ipi,
			                    fl, 0);
		gd->gd_cnt.pc_inval_sent += (uint64_t)n;
		b->ib_flight = fl;
		b->ib_flight_gen = fl->fl_gen;
	}
	/* Our own flush overlaps the targets'. */
	if (local && !PMAP_BUG(NO_LOCAL))
		inval_local(pm, all, b->ib_nranges, b->ib_sva, b->ib_eva);
	crit_exit();
	if (PMAP_BUG(NO_WAIT) && fl != NULL) {
		/* mutant: forget the acknowledgements. */
		b->ib_flight = NULL;
	}
out:
	b->ib_free_flight = b->ib_free;
	b->ib_free = NULL;
	b->ib_nranges = 0;
	b->ib_all = false;
	b->ib_npages = 0;
	/* sync: the initiator waits here (Linux, DragonFly 4.6 style). */
	if (pmap_inval_mode == PMAP_INVAL_SYNC && b->ib_flight != NULL)
		wait_flight(b);
}

bool
pmap_inval_batch_done(struct pmap_inval_batch *b)
{
	return !batch_queued(b) &&
	       (b->ib_flight == NULL ||
	        flight_done(b->ib_flight, b->ib_flight_gen));
}

void
pmap_inval_batch_wait(struct pmap_inval_batch *b)
{
	pmap_inval_batch_flush(b);
	wait_flight(b);
	/* The promise: no CPU may still use what this batch changed. */
	TLBSAN_HOOK(tlbsan_check_seq(b->ib_seq, "pmap_inval_batch_wait"));
	/* Queued with nothing left to invalidate: nothing to wait for. */
	free_list(b->ib_free);
	b->ib_free = NULL;
}

void
pmap_inval_halt_enter(void)
{
	TLBSAN_HOOK(tlbsan_halt_enter()); /* before anyone can see it */
	__atomic_store_n(&mdcpu->gd_idle_halted, 1, __ATOMIC_SEQ_CST);
}

void
pmap_inval_wakeup(void)
{
	struct mdglobaldata *md = mdcpu;

	if (!md->gd_idle_halted)
		return;
	__atomic_store_n(&md->gd_idle_halted, 0, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&md->gd_inval_pending, 0, __ATOMIC_SEQ_CST)) {
		if (!PMAP_BUG(IDLE_NOFLUSH)) /* mutant: run on stale entries */
			invltlb_all();
		md->mi.gd_cnt.pc_invltlb++;
		md->mi.gd_cnt.pc_inval_idle_flush++;
	}
	TLBSAN_HOOK(tlbsan_halt_exit()); /* after the flush it owed */
}
