/*
 * lwkt_thread.c - LWKT threads and the per-CPU scheduler.
 *
 * Every thread belongs to one CPU (td_gd).  Each CPU has one run queue
 * per priority (with a bitmap of the non-empty ones), a sleep queue and
 * a list of exited threads, all in lwkt_pcpu[cpuid].
 *
 * Invariant: a CPU's queues, and the td_flags/links of its threads, are
 * only ever touched by that CPU, with interrupts disabled.  Interrupt
 * handlers run on the same CPU with interrupts disabled, so nothing can
 * interleave with a queue update and no lock is needed.  Another CPU
 * that wants to schedule, wake or hand over a thread sends the owner an
 * IPI-queue message; the FIFO's release/acquire ordering makes whatever
 * the sender wrote before visible to the handler.  A thread changes CPU
 * only while it runs nowhere: lwkt_migrate() marks it and switches away,
 * and the thread that runs next on the old CPU (after cpu_switch() has
 * left the old stack) sends the message that adopts it on the new CPU.
 *
 * Preemption: making a thread of higher priority than the running one
 * runnable sets RQF_RESCHED in gd_reqflags.  The switch happens at the
 * next point where it is allowed: crit_exit(), the return from an
 * interrupt that did not interrupt a critical section or a spin-lock
 * holder, or the idle loop.  The idle loop halts with "sti; hlt" after
 * checking with interrupts off, so an IPI that arrives in between ends
 * the hlt instead of being lost, and its handler preempts the idle
 * thread on the way out.
 *
 * Address spaces: a thread runs on td_pmap (NULL: the kernel pmap).  The
 * switch calls pmap_activate() before cpu_switch() when the next thread's
 * pmap differs, with interrupts off, so this CPU's CR3 (and its bit in
 * pm_active, see sys/platform/pc64/pmap_inval.c) always matches
 * curthread->td_pmap whenever interrupts are enabled - except while a
 * TDF_ANYPMAP thread runs (the pmap invalidation threads): switching to
 * it leaves CR3 and pm_active as they were, so it runs on the address
 * space of the thread it displaced, and switching away from it always
 * calls pmap_activate() (a no-op when the pmap is already loaded).
 *
 * Exited threads are put on their CPU's dead list by the thread that
 * runs after them (it is then off their stack) and recycled through a
 * global free pool, so thread stacks are never unmapped and need no TLB
 * shootdown.
 */
#include <sys/thread.h>

#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/lwkt_ipiq.h>
#include <sys/malloc.h>
#include <sys/param.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_kern.h>

struct tdqueue {
	struct thread *tq_first; /* head */
	struct thread *tq_last;  /* tail */
};

struct lwkt_pcpu {
	struct tdqueue lp_runq[LWKT_NQS]; /* runnable, by priority */
	uint32_t lp_runmask;              /* bit p: lp_runq[p] non-empty */
	struct tdqueue lp_sleepq;         /* threads in tsleep */
	struct thread *lp_dead;           /* exited, awaiting recycling */
	struct thread lp_idle;            /* this CPU's idle thread */
} __aligned(64);

static struct lwkt_pcpu lwkt_pcpu[MAXCPU];
volatile int lwkt_ready;
uint64_t lwkt_stack_overflow_check;

static struct spinlock td_pool_lock = SPINLOCK_INITIALIZER("td_pool");
static struct thread *td_pool; /* recycled threads with their stacks */
/*
 * Every thread lwkt_create() ever allocated, newest first, for the debug
 * console.  Threads are recycled, never freed, and td_allnext is set once
 * before the thread is published, so any CPU may walk the list without a
 * lock (acquire on the head); exited threads in the pool have TDF_EXITING.
 */
static struct thread *lwkt_allthreads;

void lwkt_thread_start(struct thread *prev);
static void lwkt_timer_tick(void);

static struct lwkt_pcpu *
pcpu(struct globaldata *gd)
{
	return &lwkt_pcpu[gd->gd_cpuid];
}

static void
tq_insert_tail(struct tdqueue *q, struct thread *td)
{
	td->td_next = NULL;
	td->td_prev = q->tq_last;
	if (q->tq_last != NULL)
		q->tq_last->td_next = td;
	else
		q->tq_first = td;
	q->tq_last = td;
}

static void
tq_remove(struct tdqueue *q, struct thread *td)
{
	if (td->td_prev != NULL)
		td->td_prev->td_next = td->td_next;
	else
		q->tq_first = td->td_next;
	if (td->td_next != NULL)
		td->td_next->td_prev = td->td_prev;
	else
		q->tq_last = td->td_prev;
	td->td_next = td->td_prev = NULL;
}

static void
sq_insert_tail(struct tdqueue *q, struct thread *td)
{
	td->td_snext = NULL;
	td->td_sprev = q->tq_last;
	if (q->tq_last != NULL)
		q->tq_last->td_snext = td;
	else
		q->tq_first = td;
	q->tq_last = td;
	td->td_flags |= TDF_SLEEPQ;
}

static void
sq_remove(struct tdqueue *q, struct thread *td)
{
	if (td->td_sprev != NULL)
		td->td_sprev->td_snext = td->td_snext;
	else
		q->tq_first = td->td_snext;
	if (td->td_snext != NULL)
		td->td_snext->td_sprev = td->td_sprev;
	else
		q->tq_last = td->td_sprev;
	td->td_snext = td->td_sprev = NULL;
	td->td_flags &= ~TDF_SLEEPQ;
	td->td_wchan = NULL;
}

static void
reqflags_set(struct globaldata *gd, int f)
{
	__atomic_fetch_or(&gd->gd_reqflags, f, __ATOMIC_RELAXED);
}

static void
runq_insert(struct lwkt_pcpu *lp, struct thread *td)
{
	tq_insert_tail(&lp->lp_runq[td->td_pri], td);
	lp->lp_runmask |= 1u << td->td_pri;
	td->td_flags |= TDF_RUNQ;
}

static void
runq_remove(struct lwkt_pcpu *lp, struct thread *td)
{
	tq_remove(&lp->lp_runq[td->td_pri], td);
	if (lp->lp_runq[td->td_pri].tq_first == NULL)
		lp->lp_runmask &= ~(1u << td->td_pri);
	td->td_flags &= ~TDF_RUNQ;
}

/* Owner CPU, interrupts off: make td runnable here. */
static void
schedule_local(struct thread *td)
{
	struct globaldata *gd = mycpu;
	struct thread *cur = gd->gd_curthread;

	KASSERT(td->td_gd == gd, "schedule_local: foreign thread");
	if (td->td_flags & TDF_EXITING)
		return;
	td->td_flags |= TDF_RUNNABLE;
	if (td == cur || (td->td_flags & TDF_RUNQ))
		return;
	runq_insert(pcpu(gd), td);
	if (cur == NULL || td->td_pri > cur->td_pri)
		reqflags_set(gd, RQF_RESCHED);
}

static void
schedule_remote_ipi(void *arg1, uint64_t arg2, void *frame)
{
	struct thread *td = arg1;

	if (td->td_gd != mycpu) /* it migrated meanwhile: follow it */
		lwkt_schedule(td);
	else
		schedule_local(td);
}

void
lwkt_schedule(struct thread *td)
{
	uint64_t fl;

	if (td->td_gd != mycpu) {
		lwkt_send_ipiq(td->td_gd->gd_cpuid, schedule_remote_ipi, td, 0);
		return;
	}
	fl = cpu_intr_disable();
	schedule_local(td);
	cpu_intr_restore(fl);
}

void
lwkt_deschedule(struct thread *td)
{
	uint64_t fl = cpu_intr_disable();

	KASSERT(td->td_gd == mycpu, "lwkt_deschedule: foreign thread");
	if (td->td_flags & TDF_RUNQ)
		runq_remove(pcpu(td->td_gd), td);
	td->td_flags &= ~TDF_RUNNABLE;
	cpu_intr_restore(fl);
}

/* Adopt a migrating thread on its new CPU (runs there). */
static void
migrate_in_ipi(void *arg1, uint64_t arg2, void *frame)
{
	schedule_local(arg1);
}

/*
 * Finish a switch in the new thread's context: prev's stack is no longer
 * in use, so it may now be recycled or handed to another CPU.
 */
static void
switch_finish(struct thread *prev)
{
	if (prev->td_flags & TDF_EXITING) {
		struct lwkt_pcpu *lp = pcpu(mycpu);

		prev->td_next = lp->lp_dead;
		lp->lp_dead = prev;
	} else if (prev->td_flags & TDF_MIGRATING) {
		/*
		 * Hand it over: from here on, schedule requests that reach
		 * this CPU see the new owner and follow the thread (behind
		 * this message, in the same FIFO).
		 */
		prev->td_flags &= ~TDF_MIGRATING;
		__atomic_store_n(&prev->td_gd,
		                 globaldata_find(prev->td_migrate_cpu),
		                 __ATOMIC_RELEASE);
		lwkt_send_ipiq(prev->td_migrate_cpu, migrate_in_ipi, prev, 0);
	}
}

void
lwkt_thread_start(struct thread *prev)
{
	struct thread *td = curthread;

	switch_finish(prev);
	td->td_critcount = 0;
	cpu_intr_restore(cpu_intr_disable() | 0x200); /* interrupts on */
	if (mycpu->gd_reqflags != 0)
		lwkt_crit_exit_slow();
}

void
lwkt_switch(void)
{
	struct globaldata *gd = mycpu;
	struct lwkt_pcpu *lp = pcpu(gd);
	struct thread *td = gd->gd_curthread, *ntd;
	uint64_t fl = cpu_intr_disable();

	td->td_critcount++;
	__atomic_fetch_and(&gd->gd_reqflags, ~RQF_RESCHED, __ATOMIC_RELAXED);
	if ((td->td_flags & (TDF_RUNNABLE | TDF_IDLE)) == TDF_RUNNABLE)
		runq_insert(lp, td);
	if (lp->lp_runmask != 0) {
		int pri = 31 - __builtin_clz(lp->lp_runmask);

		ntd = lp->lp_runq[pri].tq_first;
		runq_remove(lp, ntd);
	} else {
		ntd = &lp->lp_idle;
	}
	if (ntd != td) {
		struct thread *prev;

		ntd->td_switchin++;
		/* An ANYPMAP thread borrows the loaded CR3 (thread.h). */
		if (!(ntd->td_flags & TDF_ANYPMAP) &&
		    (ntd->td_pmap != td->td_pmap ||
		     (td->td_flags & TDF_ANYPMAP)))
			pmap_activate(ntd->td_pmap);
		if (td->td_lwp != NULL || ntd->td_lwp != NULL)
			cpu_switch_md(td, ntd);
		gd->gd_curthread = ntd;
		prev = cpu_switch(td, ntd);
		switch_finish(prev);
	}
	td->td_critcount--;
	cpu_intr_restore(fl);
}

void
lwkt_yield(void)
{
	lwkt_switch();
}

void
lwkt_crit_exit_slow(void)
{
	struct globaldata *gd = mycpu;
	struct thread *td = gd->gd_curthread;

	if (td == NULL || td->td_critcount != 0)
		return;
	if (gd->gd_reqflags & RQF_IPIQ) {
		__atomic_fetch_and(&gd->gd_reqflags, ~RQF_IPIQ,
		                   __ATOMIC_RELAXED);
		lwkt_process_ipiq();
	}
	if ((gd->gd_reqflags & RQF_RESCHED) && gd->gd_spinlocks == 0)
		lwkt_switch();
}

/*
 * Called by trap() at the end of every interrupt.  Interrupts are still
 * off; a switch here leaves the interrupted thread's trap frame on its
 * own stack, and iretq runs when it is switched back.
 */
void
lwkt_intr_return(void)
{
	struct globaldata *gd = mycpu;
	struct thread *td = gd->gd_curthread;

	if (td == NULL || td->td_critcount != 0 || gd->gd_spinlocks != 0)
		return;
	if (gd->gd_reqflags != 0)
		lwkt_crit_exit_slow();
}

void
lwkt_set_pmap(struct pmap *pm)
{
	uint64_t fl = cpu_intr_disable();

	KASSERT(!(curthread->td_flags & TDF_ANYPMAP),
	        "lwkt_set_pmap: an ANYPMAP thread has no address space");
	curthread->td_pmap = pm;
	pmap_activate(pm);
	cpu_intr_restore(fl);
}

void
lwkt_setpri_self(int pri)
{
	KASSERT(pri > TDPRI_IDLE && pri <= TDPRI_MAX, "lwkt_setpri: bad pri");
	curthread->td_pri = pri;
	lwkt_switch();
}

/* Move this CPU's dead threads to the global pool (interrupts off). */
static void
reap_dead(void)
{
	struct lwkt_pcpu *lp = pcpu(mycpu);
	uint64_t fl = cpu_intr_disable();
	struct thread *td;

	while ((td = lp->lp_dead) != NULL) {
		lp->lp_dead = td->td_next;
		spin_lock(&td_pool_lock);
		td->td_next = td_pool;
		td_pool = td;
		spin_unlock(&td_pool_lock);
	}
	cpu_intr_restore(fl);
}

struct thread *
lwkt_create(void (*func)(void *), void *arg, const char *name, int cpu, int pri)
{
	struct thread *td;
	uint64_t *sp, fl;

	KASSERT(cpu >= 0 && cpu < ncpus, "lwkt_create: bad cpu");
	KASSERT(pri > TDPRI_IDLE && pri <= TDPRI_MAX, "lwkt_create: bad pri");
	reap_dead();
	fl = cpu_intr_disable();
	spin_lock(&td_pool_lock);
	td = td_pool;
	if (td != NULL)
		td_pool = td->td_next;
	spin_unlock(&td_pool_lock);
	cpu_intr_restore(fl);
	if (td == NULL) {
		td = kmalloc(sizeof(*td), M_ZERO);
		td->td_kstack_size = LWKT_STACK_PAGES * PAGE_SIZE;
		td->td_kstack = kmem_alloc_stack(LWKT_STACK_PAGES);
		if (td->td_kstack == 0)
			panic("lwkt_create: no KVA for a stack");
		fl = cpu_intr_disable();
		spin_lock(&td_pool_lock);
		td->td_allnext = lwkt_allthreads;
		__atomic_store_n(&lwkt_allthreads, td, __ATOMIC_RELEASE);
		spin_unlock(&td_pool_lock);
		cpu_intr_restore(fl);
	}
	td->td_next = td->td_prev = NULL;
	td->td_gd = globaldata_find(cpu);
	td->td_pri = pri;
	td->td_critcount = 1; /* lwkt_thread_start() drops it */
	td->td_flags = 0;
	td->td_func = func;
	td->td_arg = arg;
	td->td_wchan = NULL;
	td->td_snext = td->td_sprev = NULL;
	td->td_waitmsg = NULL;
	td->td_switchin = 0;
	td->td_pmap = NULL;
	td->td_lwp = NULL;
	strlcpy(td->td_name, name, sizeof(td->td_name));
	/* A switched-out frame: 6 saved registers, then the trampoline. */
	sp = (uint64_t *)(td->td_kstack + td->td_kstack_size) - 9;
	sp[0] = 0;                               /* r15 */
	sp[1] = 0;                               /* r14 */
	sp[2] = (uint64_t)arg;                   /* r13 */
	sp[3] = (uint64_t)func;                  /* r12 */
	sp[4] = 0;                               /* rbp: ends backtraces */
	sp[5] = 0;                               /* rbx */
	sp[6] = (uint64_t)cpu_thread_trampoline; /* return address */
	sp[7] = sp[8] = 0;
	td->td_sp = (uint64_t)sp;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lwkt_schedule(td);
	return td;
}

void
lwkt_exit(void)
{
	struct thread *td = curthread;

	cpu_intr_disable();
	td->td_flags |= TDF_EXITING;
	lwkt_deschedule(td);
	lwkt_switch();
	panic("lwkt_exit: exited thread %s ran again", td->td_name);
}

void
lwkt_migrate(int cpu)
{
	struct thread *td = curthread;
	uint64_t fl;

	KASSERT(cpu >= 0 && cpu < ncpus, "lwkt_migrate: bad cpu");
	if (cpu == mycpu->gd_cpuid)
		return;
	fl = cpu_intr_disable();
	td->td_migrate_cpu = cpu;
	td->td_flags |= TDF_MIGRATING;
	td->td_flags &= ~TDF_RUNNABLE;
	lwkt_switch();
	/* Now running on the new CPU. */
	cpu_intr_restore(fl);
}

int
tsleep(const volatile void *ident, int flags, const char *wmesg, int timo_ms)
{
	struct thread *td = curthread;
	struct lwkt_pcpu *lp = pcpu(td->td_gd);
	uint64_t fl = cpu_intr_disable();
	int error;

	(void)flags;
	td->td_wchan = ident;
	td->td_wmesg = wmesg;
	td->td_wakeup_ns =
	    timo_ms > 0 ? nanouptime() + (uint64_t)timo_ms * NS_PER_MS : 0;
	td->td_flags &= ~TDF_TIMEOUT;
	sq_insert_tail(&lp->lp_sleepq, td);
	lwkt_deschedule(td);
	lwkt_switch();
	if (td->td_flags & TDF_SLEEPQ) /* made runnable some other way */
		sq_remove(&pcpu(mycpu)->lp_sleepq, td);
	error = (td->td_flags & TDF_TIMEOUT) ? EWOULDBLOCK : 0;
	td->td_flags &= ~TDF_TIMEOUT;
	cpu_intr_restore(fl);
	return error;
}

/* Wake this CPU's sleepers on ident (interrupts off). */
static void
wakeup_local(const volatile void *ident)
{
	struct lwkt_pcpu *lp = pcpu(mycpu);
	struct thread *td, *next;

	for (td = lp->lp_sleepq.tq_first; td != NULL; td = next) {
		next = td->td_snext;
		if (td->td_wchan != ident)
			continue;
		sq_remove(&lp->lp_sleepq, td);
		schedule_local(td);
	}
}

static void
wakeup_ipi(void *arg1, uint64_t arg2, void *frame)
{
	wakeup_local(arg1);
}

void
wakeup(const volatile void *ident)
{
	cpumask_t others;
	uint64_t fl;

	fl = cpu_intr_disable();
	wakeup_local(ident);
	cpu_intr_restore(fl);
	if (!lwkt_ready)
		return;
	others = smp_active_mask;
	cpumask_clear(&others, mycpu->gd_cpuid);
	lwkt_send_ipiq_mask(&others, wakeup_ipi, (void *)(uintptr_t)ident, 0);
}

/*
 * Wake the sleepers on ident of one CPU only: for a waker that knows
 * where its sleeper sleeps (a futex waiter does not move while it
 * sleeps), one message instead of one to every CPU.
 */
void
wakeup_cpu(const volatile void *ident, int cpu)
{
	uint64_t fl;

	if (cpu == mycpu->gd_cpuid || !lwkt_ready) {
		fl = cpu_intr_disable();
		wakeup_local(ident);
		cpu_intr_restore(fl);
		return;
	}
	lwkt_send_ipiq(cpu, wakeup_ipi, (void *)(uintptr_t)ident, 0);
}

/* Timer tick (interrupt, interrupts off): timeouts and round-robin. */
static void
lwkt_timer_tick(void)
{
	struct globaldata *gd = mycpu;
	struct lwkt_pcpu *lp = pcpu(gd);
	struct thread *cur = gd->gd_curthread, *td, *next;
	uint64_t now;

	if (cur == NULL)
		return;
	if (lp->lp_sleepq.tq_first != NULL) {
		now = nanouptime();
		for (td = lp->lp_sleepq.tq_first; td != NULL; td = next) {
			next = td->td_snext;
			if (td->td_wakeup_ns == 0 || td->td_wakeup_ns > now)
				continue;
			sq_remove(&lp->lp_sleepq, td);
			td->td_flags |= TDF_TIMEOUT;
			schedule_local(td);
		}
	}
	/* Round-robin: an equal-priority thread is waiting. */
	if (!(cur->td_flags & TDF_IDLE) && (lp->lp_runmask >> cur->td_pri) != 0)
		reqflags_set(gd, RQF_RESCHED);
}

static void
idle_init(struct globaldata *gd)
{
	struct thread *td = &pcpu(gd)->lp_idle;

	td->td_gd = gd;
	td->td_pri = TDPRI_IDLE;
	td->td_flags = TDF_IDLE | TDF_RUNNABLE;
	ksnprintf(td->td_name, sizeof(td->td_name), "idle%d", gd->gd_cpuid);
}

void
lwkt_init(void)
{
	int i;

	for (i = 0; i < ncpus; i++)
		idle_init(globaldata_find(i));
	mycpu->gd_curthread = &pcpu(mycpu)->lp_idle;
	cpu_set_tick_hook(lwkt_timer_tick);
	__atomic_store_n(&lwkt_ready, 1, __ATOMIC_RELEASE);
}

/*
 * The idle thread: the context the CPU booted on (its privatespace idle
 * stack).  It is never on a run queue; lwkt_switch() picks it when
 * nothing else is runnable.
 */
void
lwkt_idle_loop(void)
{
	struct globaldata *gd = mycpu;
	struct lwkt_pcpu *lp = pcpu(gd);

	while (!__atomic_load_n(&lwkt_ready, __ATOMIC_ACQUIRE))
		cpu_pause_hint();
	gd->gd_curthread = &lp->lp_idle;
	for (;;) {
		crit_enter();
		lwkt_process_ipiq();
		crit_exit();
		reap_dead();
		if (lp->lp_runmask != 0)
			lwkt_switch();
		else
			cpu_idle_halt();
	}
}

/*
 * Describe this CPU's threads for the debug console: the running one,
 * then every other thread it owns (from lwkt_allthreads: runnable,
 * sleeping, or blocked waiting for a message), then the idle thread.
 * Owner CPU with interrupts off (an IPI message), so the flags and queues
 * of its threads cannot change under the walk.
 */
int
lwkt_thread_snapshot(struct lwkt_thread_info *out, int max)
{
	struct globaldata *gd = mycpu;
	struct lwkt_pcpu *lp = pcpu(gd);
	struct thread *cur = gd->gd_curthread, *td;
	int n = 0;

#define SNAP(t, st)                                                            \
	do {                                                                   \
		if (n < max) {                                                 \
			strlcpy(out[n].ti_name, (t)->td_name,                  \
			        sizeof(out[n].ti_name));                       \
			out[n].ti_pri = (t)->td_pri;                           \
			out[n].ti_flags = (t)->td_flags;                       \
			out[n].ti_state = (st);                                \
			out[n].ti_wmesg = (t)->td_wmesg;                       \
		}                                                              \
		n++;                                                           \
	} while (0)
	if (cur != NULL)
		SNAP(cur, LWKT_TI_RUNNING);
	for (td = __atomic_load_n(&lwkt_allthreads, __ATOMIC_ACQUIRE);
	     td != NULL; td = td->td_allnext) {
		if (td == cur || td->td_gd != gd ||
		    (td->td_flags & TDF_EXITING))
			continue;
		SNAP(td, (td->td_flags & TDF_RUNQ)     ? LWKT_TI_RUNQ
		         : (td->td_flags & TDF_SLEEPQ) ? LWKT_TI_SLEEP
		                                       : LWKT_TI_BLOCKED);
	}
	if (cur != &lp->lp_idle && lwkt_ready)
		SNAP(&lp->lp_idle, LWKT_TI_IDLE);
#undef SNAP
	return n;
}
