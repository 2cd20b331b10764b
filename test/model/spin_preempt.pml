/*
 * spin_preempt.pml - a spin lock holder is never preempted
 * (sys/sys/spinlock.h: spin_trylock, spin_unlock and the gd_spinlocks
 * count; sys/kern/lwkt_thread.c: lwkt_intr_return, which preempts only
 * when the count is 0).
 *
 * One CPU, two threads.  H takes and releases a spin lock with
 * interrupts on, so the timer interrupt may come between any two of its
 * steps; its return path switches to W when gd_spinlocks is 0 (W is of
 * higher priority, runnable).  W then takes the same lock with
 * interrupts off -- as a new user thread does in cpu_user_start2() ->
 * userret() -> lwp_affinity_enforce() -- so nothing can switch back to H
 * until W has the lock.  W's CPU never runs H meanwhile, and no other
 * CPU holds the lock here, so if H was preempted holding it W waits
 * forever: SPIN reports an invalid end state.  Each step is one
 * instruction of the C code; the compiler barriers in spinlock.h keep
 * them in this order (an interrupt sees the CPU's own program order).
 *
 * Invariant: whenever W runs, the lock is not held by a preempted H
 * (asserted), and every thread finishes (no invalid end state).
 *
 * Mutants:
 *   COUNT_LATE   count the lock after the exchange (the ut_threads
 *                wedge; spin.bug_count_late=1 in the kernel)
 *   UNCOUNT_EARLY  drop the count before the releasing store (what the
 *                compiler may do without the barrier in spin_unlock)
 */

bit lock;        /* sl_lock */
byte count;      /* gd_spinlocks of the one CPU */
byte running;    /* 0: H is on the CPU, 1: W is */
bit h_holds;     /* H owns the lock word */
bit h_done;
bit fired;       /* the one timer interrupt has come */

/* One instruction of H, only while H is on the CPU. */
#define H_STEP(s) atomic { running == 0 -> s }

active proctype H()
{
	/* spin_trylock */
#ifdef MUTANT_COUNT_LATE
	H_STEP(printf("MSC: H spin_trylock: xchg\n"); lock = 1; h_holds = 1);
	H_STEP(printf("MSC: H spin_trylock: gd_spinlocks++\n"); count++);
#else
	H_STEP(printf("MSC: H spin_trylock: gd_spinlocks++\n"); count++);
	H_STEP(printf("MSC: H spin_trylock: xchg\n"); lock = 1; h_holds = 1);
#endif
	H_STEP(printf("MSC: H critical section\n"));
	/* spin_unlock */
#ifdef MUTANT_UNCOUNT_EARLY
	H_STEP(printf("MSC: H spin_unlock: gd_spinlocks--\n"); count--);
	H_STEP(printf("MSC: H spin_unlock: store 0\n"); lock = 0; h_holds = 0);
#else
	H_STEP(printf("MSC: H spin_unlock: store 0\n"); lock = 0; h_holds = 0);
	H_STEP(printf("MSC: H spin_unlock: gd_spinlocks--\n"); count--);
#endif
	H_STEP(h_done = 1)
}

/* The timer interrupt: once, between any two steps of H. */
active proctype Tick()
{
end:	atomic {
		running == 0 && !h_done && !fired ->
		fired = 1;
		if
		:: count == 0 ->
			printf("MSC: tick: lwkt_intr_return preempts H\n");
			running = 1
		:: else ->
			printf("MSC: tick: H holds a lock, no preemption\n")
		fi
	}
}

/* The preempting thread: takes the lock with interrupts off. */
active proctype W()
{
end:	running == 1;
	assert(!h_holds); /* would wait for a thread its CPU will not run */
	atomic { lock == 0 -> lock = 1; printf("MSC: W spin_lock\n") };
	lock = 0;
	printf("MSC: W spin_unlock, back to H\n");
	running = 0
}
