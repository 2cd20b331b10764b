/*
 * Spin locks for the few places that need mutual exclusion between CPUs
 * (the console, the physical page free list, kmalloc's size classes).
 *
 * Invariant: the lock word is 1 exactly while one CPU is inside the
 * critical region.  The acquiring exchange has acquire ordering and the
 * releasing store has release ordering, so everything written inside the
 * region is visible to the next owner.  Waiters spin on a plain load
 * (no bus-locked traffic) and only retry the exchange when it looks free.
 * Holders must not block; callers that can be interrupted by code taking
 * the same lock disable interrupts first (spin_lock_intr).  Each CPU
 * counts the locks it holds (gd_spinlocks) and the scheduler never
 * preempts a thread while that count is nonzero, so a preempting thread
 * cannot spin forever on a lock its own CPU holds.  For that the count
 * must cover the whole time the lock word is ours: it goes up BEFORE the
 * acquiring exchange (and back down if the exchange fails) and down
 * only AFTER the releasing store, with compiler barriers between, since
 * the preemption check runs in an interrupt on this CPU.  (Counting after
 * the exchange left one instruction where an interrupt could preempt a
 * holder; a spinner with interrupts off on that CPU then waited forever
 * for it -- the ut_threads wedge.)  A thread resumes on the CPU it was
 * preempted on, so the mycpu a count was taken on stays ours.
 *
 * No wait is silent: a waiter that finds the lock held goes to
 * spin_lock_contested() (sys/kern/kern_spinlock.c), which panics after
 * SPIN_PANIC_NS naming the lock, its last owner and the waiter; panic()
 * then prints every CPU's backtrace, the stuck owner's included.
 */
#ifndef _SYS_SPINLOCK_H_
#define _SYS_SPINLOCK_H_

#include <sys/types.h>
#ifndef KERNEL_HOST
#include <sys/globaldata.h>
/* Count held locks per CPU: a holder must never be preempted. */
#define SPIN_HELD_ADJ(n)                                                       \
	__atomic_add_fetch(&mycpu->gd_spinlocks, (n), __ATOMIC_RELAXED)
#define SPIN_OWNER_ID() (mycpu->gd_cpuid)
#else
#define SPIN_HELD_ADJ(n) ((void)0)
#define SPIN_OWNER_ID()  0
#endif

struct spinlock {
	volatile uint32_t sl_lock; /* 0 free, 1 held */
	volatile int sl_owner;     /* cpuid of the last owner (diagnostics) */
	const char *sl_name;       /* for diagnostics */
};

#define SPINLOCK_INITIALIZER(name)                                             \
	{                                                                      \
		0, -1, name                                                    \
	}

/* A wait this long means the owner is stuck: panic with the evidence. */
#define SPIN_PANIC_NS (10ull * 1000 * 1000 * 1000)

#if defined(KTEST) && !defined(KERNEL_HOST)
/* spin.bug_count_late=1: the old ordering, for the spinlock suite. */
extern bool spin_bug_count_late;
bool spin_trylock_count_late(struct spinlock *sl);
#endif

static inline bool
spin_trylock(struct spinlock *sl)
{
#if defined(KTEST) && !defined(KERNEL_HOST)
	if (__builtin_expect(spin_bug_count_late, 0))
		return spin_trylock_count_late(sl);
#endif
	SPIN_HELD_ADJ(1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&sl->sl_lock, 1, __ATOMIC_ACQUIRE) != 0) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		SPIN_HELD_ADJ(-1);
		return false;
	}
	sl->sl_owner = SPIN_OWNER_ID();
	return true;
}

#ifndef KERNEL_HOST
/* The wait when the lock was held: bounded by SPIN_PANIC_NS. */
void spin_lock_contested(struct spinlock *sl);
#else
static inline void
spin_lock_contested(struct spinlock *sl)
{
	while (!spin_trylock(sl)) {
		while (__atomic_load_n(&sl->sl_lock, __ATOMIC_RELAXED) != 0)
			__builtin_ia32_pause();
	}
}
#endif

static inline void
spin_lock(struct spinlock *sl)
{
	if (__builtin_expect(!spin_trylock(sl), 0))
		spin_lock_contested(sl);
}

static inline void
spin_unlock(struct spinlock *sl)
{
	__atomic_store_n(&sl->sl_lock, 0, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	SPIN_HELD_ADJ(-1);
}

#endif /* !_SYS_SPINLOCK_H_ */
