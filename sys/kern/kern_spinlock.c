/*
 * kern_spinlock.c - the contested path of spin_lock(): a bounded wait.
 *
 * Holders never block and keep a spin lock for microseconds, so a waiter
 * that has spun for SPIN_PANIC_NS is not waiting for a slow holder but
 * for a stuck one: a lock-order cycle, an owner waiting for the waiter's
 * CPU while that CPU spins with interrupts off, a missed unlock.  The
 * waiter then panics, naming the lock, its last owner and itself;
 * panic() stops the other CPUs and prints each one's backtrace, the
 * owner's among them, instead of the machine going silent.
 *
 * The clock is read only every SPIN_CLOCK_EVERY pauses, so the wait stays
 * a plain load loop (no bus-locked traffic) while the lock is held.
 * Before the TSC is calibrated nanouptime() reads 0 and the wait is not
 * bounded; only the boot CPU runs then.
 *
 * spin.bug_count_late=1 (options KTEST) injects the mistake the ordering
 * in <sys/spinlock.h> exists to avoid: the lock is counted only after it
 * is taken, with the gap widened to 20 us so the spinlock suite
 * (kern_spinlock_test.c) sees a preempted holder within a second.
 */
#include <sys/spinlock.h>

#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/systm.h>

#define SPIN_CLOCK_EVERY 1024 /* pauses between clock reads */

void
spin_lock_contested(struct spinlock *sl)
{
	uint64_t start = nanouptime(), now;
	uint64_t t0 = start; /* 0 before the clock runs */
	struct globaldata *gd;
	unsigned spins = 0;

	while (!spin_trylock(sl)) {
		while (__atomic_load_n(&sl->sl_lock, __ATOMIC_RELAXED) != 0) {
			cpu_pause_hint();
			if (++spins % SPIN_CLOCK_EVERY != 0)
				continue;
			now = nanouptime();
			if (start == 0) {
				start = now;
				continue;
			}
			if (now - start >= SPIN_PANIC_NS)
				panic(
				    "spin: cpu %d stuck %lu ms on lock \"%s\" "
				    "held by cpu %d (this cpu holds %d "
				    "spin locks)",
				    mycpu->gd_cpuid, (now - start) / NS_PER_MS,
				    sl->sl_name, sl->sl_owner,
				    mycpu->gd_spinlocks);
		}
	}
	/* Held now, so no preemption: mycpu is this CPU until the unlock. */
	gd = mycpu;
	gd->gd_cnt.pc_spin_contested++;
	if (t0 != 0)
		gd->gd_cnt.pc_spin_wait_ns += nanouptime() - t0;
}

#ifdef KTEST
BOOTOPT_BOOL(spin_bug_count_late, "spin.bug_count_late", false,
             "mutant: count a spin lock as held only after taking it (a "
             "holder can be preempted); the spinlock suite must fail");

bool
spin_trylock_count_late(struct spinlock *sl)
{
	if (__atomic_exchange_n(&sl->sl_lock, 1, __ATOMIC_ACQUIRE) != 0)
		return false;
	delay_us(20); /* held, not yet counted: preemptible */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	SPIN_HELD_ADJ(1);
	sl->sl_owner = SPIN_OWNER_ID();
	return true;
}
#endif /* KTEST */
