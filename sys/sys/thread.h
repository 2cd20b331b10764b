/*
 * LWKT threads: kernel threads bound to one CPU, with a per-CPU scheduler.
 *
 * A thread belongs to exactly one CPU (td_gd) and runs only there.  Each
 * CPU has one run queue per priority and a sleep queue, and only the
 * owning CPU ever touches them, always with interrupts disabled, so they
 * need no lock.  Any other CPU that wants to schedule, wake or migrate a
 * thread sends the owner an IPI-queue message (<sys/lwkt_ipiq.h>) that
 * does the work there.  Higher td_pri runs first; equal priorities
 * round-robin on the timer tick.
 *
 * Critical sections (crit_enter/crit_exit) count in td_critcount.  While
 * it is nonzero the CPU neither switches threads nor drains its IPI
 * queues from an interrupt: the interrupt only sets a bit in gd_reqflags
 * and crit_exit() (or the return from the next interrupt outside a
 * critical section) does the deferred work.  Code that checks a condition
 * and then tsleep()s on it must check it inside a critical section, which
 * is what makes the check-then-sleep atomic against remote wakeups.
 */
#ifndef _SYS_THREAD_H_
#define _SYS_THREAD_H_

#include <sys/globaldata.h>
#include <sys/types.h>

#define TDPRI_IDLE    0  /* the idle thread only */
#define TDPRI_LOW     4  /* background work */
#define TDPRI_NORMAL  10 /* ordinary kernel threads */
#define TDPRI_SERVICE 16 /* message service threads */
#define TDPRI_INT     24 /* interrupt-class threads: preempt the rest */
#define TDPRI_MAX     31 /* highest priority */
#define LWKT_NQS      32 /* one run queue per priority */

#define TDF_RUNNABLE  0x0001 /* wants the CPU (running or on a run queue) */
#define TDF_RUNQ      0x0002 /* linked on its CPU's run queue */
#define TDF_SLEEPQ    0x0004 /* linked on its CPU's sleep queue */
#define TDF_TIMEOUT   0x0008 /* tsleep ended by its timeout */
#define TDF_EXITING   0x0010 /* lwkt_exit: reap once switched away */
#define TDF_MIGRATING 0x0020 /* hand to td_migrate_cpu once switched away */
#define TDF_IDLE      0x0040 /* a CPU's idle thread */
/*
 * Kernel-only thread that runs on whatever address space its CPU has
 * loaded (the pmap invalidation threads, pmap_inval.c): switching to it
 * keeps CR3 and pm_active as they are, switching away from it activates
 * the next thread's pmap.  It must never touch user addresses.
 */
#define TDF_ANYPMAP 0x0080

/* gd_reqflags bits: work deferred until the critical section ends. */
#define RQF_IPIQ    0x0001 /* an IPI arrived in a critical section */
#define RQF_RESCHED 0x0002 /* a higher-priority thread is runnable */

#define EWOULDBLOCK 35 /* tsleep timed out */

#define LWKT_STACK_PAGES 4 /* 16 KiB thread stacks */
#define TD_NAMELEN       24

struct lwkt_msg;
struct lwp;
struct pmap;

struct thread {
	struct thread *td_next;        /* run queue / dead list link */
	struct thread *td_prev;        /* run queue back link */
	struct globaldata *td_gd;      /* owning CPU; it runs only there */
	int td_pri;                    /* TDPRI_*: higher runs first */
	volatile int td_critcount;     /* critical section nesting */
	uint32_t td_flags;             /* TDF_*; owner CPU only, intr off */
	uint64_t td_sp;                /* saved %rsp while switched out */
	vm_offset_t td_kstack;         /* lowest stack byte; guard page below */
	size_t td_kstack_size;         /* stack bytes (0: not kmem-allocated) */
	void (*td_func)(void *);       /* thread body */
	void *td_arg;                  /* its argument */
	const volatile void *td_wchan; /* tsleep ident, or NULL */
	const char *td_wmesg;          /* tsleep reason, for debugging */
	uint64_t td_wakeup_ns;         /* tsleep deadline (0: none) */
	int td_migrate_cpu;            /* target of a pending migration */
	struct lwkt_msg *td_waitmsg;   /* lwkt_waitmsg: the awaited message */
	uint64_t td_switchin;          /* times switched to */
	struct thread *td_snext;       /* sleep queue link */
	struct thread *td_sprev;       /* sleep queue back link */
	char td_name[TD_NAMELEN];      /* for diagnostics */
	struct pmap *td_pmap;          /* address space (NULL: kernel) */
	struct thread *td_allnext;     /* lwkt_allthreads link; never unset */
	struct lwp *td_lwp;            /* user thread it runs, or NULL */
};

/* Thread creation, exit and scheduling (sys/kern/lwkt_thread.c). */
void lwkt_init(void);                 /* BSP, once every CPU is online */
void lwkt_idle_loop(void) __noreturn; /* each CPU, on its idle stack */
struct thread *lwkt_create(void (*func)(void *), void *arg, const char *name,
                           int cpu, int pri);
void lwkt_exit(void) __noreturn;
void lwkt_schedule(struct thread *td);   /* make runnable (any CPU) */
void lwkt_deschedule(struct thread *td); /* owner CPU only */
void lwkt_switch(void);                  /* run the best runnable thread */
void lwkt_yield(void);                   /* let equal priorities run */
void lwkt_migrate(int cpu);              /* move curthread to cpu */
void lwkt_setpri_self(int pri);
/* Run curthread on pm from now on (NULL: the kernel pmap). */
void lwkt_set_pmap(struct pmap *pm);
/* Sleep until wakeup(ident) or timo_ms (0: forever); 0 or EWOULDBLOCK. */
int tsleep(const volatile void *ident, int flags, const char *wmesg,
           int timo_ms);
void wakeup(const volatile void *ident); /* wakes sleepers on all CPUs */
void wakeup_cpu(const volatile void *ident, int cpu); /* on one CPU only */
/* Interrupt return / crit_exit: do what gd_reqflags asks, if allowed. */
void lwkt_intr_return(void);
void lwkt_crit_exit_slow(void);
extern volatile int lwkt_ready;            /* set once threads exist */
extern uint64_t lwkt_stack_overflow_check; /* trap.c diagnostics */

/* One thread as lwkt_thread_snapshot() saw it (debug console). */
#define LWKT_TI_RUNNING 0 /* the CPU's current thread */
#define LWKT_TI_RUNQ    1 /* runnable, waiting on a run queue */
#define LWKT_TI_SLEEP   2 /* in tsleep */
#define LWKT_TI_IDLE    3 /* the idle thread, not running */
#define LWKT_TI_BLOCKED 4 /* descheduled, not sleeping (a message wait) */
struct lwkt_thread_info {
	char ti_name[TD_NAMELEN]; /* td_name */
	int ti_pri;               /* td_pri */
	uint32_t ti_flags;        /* td_flags */
	int ti_state;             /* LWKT_TI_* */
	const char *ti_wmesg;     /* td_wmesg (meaningful when sleeping) */
};
/* This CPU's threads into out[0..max-1]; returns the count (may be more
 * than max).  Owner CPU, interrupts off. */
int lwkt_thread_snapshot(struct lwkt_thread_info *out, int max);

/* MD context switch (swtch.S): returns the thread switched away from. */
struct thread *cpu_switch(struct thread *from, struct thread *to);
/*
 * MD per-thread state around a switch (interrupts off, before
 * cpu_switch): a user thread's FPU state, TLS base and kernel entry stack
 * (platform/pc64/cpu_user.c).
 */
void cpu_switch_md(struct thread *from, struct thread *to);
void cpu_thread_trampoline(void);

#ifndef KERNEL_HOST
static inline void
crit_enter(void)
{
	curthread->td_critcount++;
	__asm__ volatile("" ::: "memory");
}

static inline void
crit_exit(void)
{
	struct thread *td = curthread;

	__asm__ volatile("" ::: "memory");
	if (--td->td_critcount == 0 &&
	    __atomic_load_n(&td->td_gd->gd_reqflags, __ATOMIC_RELAXED) != 0)
		lwkt_crit_exit_slow();
}
#endif

#endif /* !_SYS_THREAD_H_ */
