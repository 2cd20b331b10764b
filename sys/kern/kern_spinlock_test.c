/*
 * kern_spinlock_test.c - tests of spin locks (suite "spinlock").
 *
 * The property under test is the one <sys/spinlock.h> argues: a thread
 * holding a spin lock is never preempted, because the per-CPU count that
 * blocks preemption covers every instant the lock word is the holder's.
 * A holder thread on CPU 1 takes and drops a lock in a loop with
 * interrupts on; a higher-priority thread on the same CPU sleeps one
 * tick at a time, so each timer tick wakes it and the interrupt's return
 * path preempts the holder if it may.  Whenever the waker runs, the
 * holder is off the CPU, so the lock (used by nobody else) must be free.
 * The holder spends a few microseconds unlocked each round: under TCG a
 * tight lock/unlock loop would have no point where an interrupt is taken
 * outside the lock, and the waker would never run.
 * spin.bug_count_late=1 (kern_spinlock.c) reopens the gap and this fails.
 */
#include <sys/spinlock.h>

#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/ktest.h>
#include <sys/systm.h>
#include <sys/thread.h>

#define SP_WAKES   30   /* waker runs to observe (one per tick) */
#define SP_WAIT_MS 5000 /* both threads must be done by then */

static struct spinlock sp_lock = SPINLOCK_INITIALIZER("spinlock test");
static volatile int sp_stop;          /* the holder's loop ends */
static volatile int sp_done;          /* threads finished */
static volatile uint64_t sp_holds;    /* the holder's lock/unlock rounds */
static volatile uint64_t sp_wakes;    /* the waker ran, holder mid-loop */
static volatile uint64_t sp_held_off; /* ...and found the lock held */

static void
sp_holder(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&sp_stop, __ATOMIC_ACQUIRE)) {
		spin_lock(&sp_lock);
		cpu_pause_hint();
		spin_unlock(&sp_lock);
		__atomic_fetch_add(&sp_holds, 1, __ATOMIC_RELAXED);
		delay_us(5); /* TCG takes interrupts only between blocks */
	}
	__atomic_fetch_add(&sp_done, 1, __ATOMIC_RELEASE);
}

static void
sp_waker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 20 * SP_WAKES && sp_wakes < SP_WAKES; i++) {
		tsleep(&sp_wakes, 0, "spwake", 1); /* back at the next tick */
		if (__atomic_load_n(&sp_holds, __ATOMIC_RELAXED) == 0)
			continue; /* the holder has not started */
		sp_wakes++;
		/* We preempted the holder: it must not be holding. */
		if (__atomic_load_n(&sp_lock.sl_lock, __ATOMIC_RELAXED) != 0)
			sp_held_off++;
	}
	__atomic_store_n(&sp_stop, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&sp_done, 1, __ATOMIC_RELEASE);
}

static void
spinlock_holder_never_preempted(struct ktest *t)
{
	uint64_t end = nanouptime() + SP_WAIT_MS * NS_PER_MS;

	if (ncpus < 2)
		KT_SKIP(t, "needs a second CPU");
	sp_stop = sp_done = 0;
	sp_holds = sp_wakes = sp_held_off = 0;
	KT_ASSERT(t, lwkt_create(sp_holder, NULL, "spholder", 1,
	                         TDPRI_NORMAL - 1) != NULL);
	KT_ASSERT(t, lwkt_create(sp_waker, NULL, "spwaker", 1, TDPRI_NORMAL) !=
	                 NULL);
	while (__atomic_load_n(&sp_done, __ATOMIC_ACQUIRE) < 2 &&
	       nanouptime() < end)
		tsleep(&sp_done, 0, "spwait", 10);
	__atomic_store_n(&sp_stop, 1, __ATOMIC_RELEASE);
	kprintf("    # %lu lock rounds, waker ran %lu times amid them, "
	        "found the lock held %lu times\n",
	        sp_holds, sp_wakes, sp_held_off);
	KT_EXPECT_EQ(t, sp_done, 2);
	KT_EXPECT_EQ(t, sp_wakes, SP_WAKES);
	KT_EXPECT_EQ(t, sp_held_off, 0);
}

KTEST_SUITE(spinlock, "spinlock", NULL, NULL,
            KTEST_CASE(spinlock_holder_never_preempted));
