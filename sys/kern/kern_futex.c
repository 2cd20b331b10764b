/*
 * kern_futex.c - futex WAIT/WAKE (private or not: one address space per
 * process, no fork, so both key on (process, address)).
 *
 * Waiters are queued in one of FUTEX_BUCKETS hash buckets under the
 * bucket's spin lock.  WAIT reads the user word and queues itself in the
 * same critical section of the bucket lock, so a WAKE that follows the
 * user's store of the new value (and takes the bucket lock) either finds
 * the waiter queued or the waiter sees the new value and returns EAGAIN:
 * no wakeup is lost.  WAKE unlinks a waiter and marks it fw_woken under
 * the lock, reading nothing of it afterwards (it lives on the waiter's
 * stack and may be gone at once), and wakes it on its own CPU only; the waiter checks fw_woken inside a critical section right
 * before tsleep, which makes the check-then-sleep atomic against the
 * wakeup (sys/thread.h).  Sleeps are cut in slices so an exiting process's
 * waiters leave within one slice even if no wakeup reaches them.
 */
#include <sys/proc.h>

#include <sys/clock.h>
#include <sys/errno.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <sys/thread.h>

#define FUTEX_BUCKETS    64
#define FUTEX_WAIT       0
#define FUTEX_WAKE       1
#define FUTEX_REQUEUE    3
#define FUTEX_PRIVATE    128
#define FUTEX_CLOCK_RT   256
#define SLEEP_SLICE_MS   20
#define FUTEX_WAKE_BATCH 32 /* waiters woken per bucket-lock hold */

struct futex_waiter {
	struct futex_waiter *fw_next; /* bucket list */
	struct proc *fw_proc;         /* key: process ... */
	uint64_t fw_uaddr;     /* ... and user address (REQUEUE: both locks) */
	volatile int fw_woken; /* set (under the lock) by WAKE */
	int fw_cpu;            /* where the waiter sleeps */
};

struct futex_bucket {
	struct spinlock fb_lock;      /* the list and every fw_woken */
	struct futex_waiter *fb_head; /* waiters */
} __aligned(64);

static struct futex_bucket buckets[FUTEX_BUCKETS];

static struct futex_bucket *
bucket(struct proc *p, uint64_t uaddr)
{
	uint64_t h = (uaddr >> 2) ^ ((uint64_t)(uintptr_t)p >> 6);

	h *= 0x9e3779b97f4a7c15ull;
	return &buckets[h >> 58];
}

static void
bucket_lock(struct futex_bucket *b)
{
	if (b->fb_lock.sl_name == NULL)
		b->fb_lock.sl_name = "futex";
	spin_lock(&b->fb_lock);
}

int
lwp_sleep_ns(struct lwp *lp, uint64_t ns)
{
	uint64_t end = nanouptime() + ns;
	static int ident;

	for (;;) {
		uint64_t now = nanouptime();
		int ms;

		if (lp->lwp_proc->p_exiting)
			return EINTR;
		if (now >= end)
			return 0;
		ms = (int)MIN((end - now + NS_PER_MS - 1) / NS_PER_MS,
		              (uint64_t)SLEEP_SLICE_MS);
		lp->lwp_wchan = &ident;
		tsleep(&ident, 0, "nanosleep", ms > 0 ? ms : 1);
		lp->lwp_wchan = NULL;
	}
}

int
futex_wake(struct proc *p, uint64_t uaddr, int n)
{
	struct futex_bucket *b = bucket(p, uaddr);
	struct futex_waiter **pp, *w;
	const void *ident[FUTEX_WAKE_BATCH];
	int cpu[FUTEX_WAKE_BATCH], count = 0, k, i;

	do {
		/*
		 * Unlink, note (ident, cpu), and only then set fw_woken: once
		 * it is set the waiter may return and its stack (w) is gone,
		 * so nothing of w is read afterwards.  A late wakeup of a
		 * stale ident is harmless.
		 */
		k = 0;
		bucket_lock(b);
		for (pp = &b->fb_head;
		     (w = *pp) != NULL && count < n && k < FUTEX_WAKE_BATCH;) {
			if (w->fw_proc == p && w->fw_uaddr == uaddr) {
				*pp = w->fw_next;
				ident[k] = w;
				cpu[k++] = w->fw_cpu;
				__atomic_store_n(&w->fw_woken, 1,
				                 __ATOMIC_SEQ_CST);
				count++;
				continue;
			}
			pp = &w->fw_next;
		}
		spin_unlock(&b->fb_lock);
		for (i = 0; i < k; i++)
			wakeup_cpu(ident[i], cpu[i]);
	} while (k == FUTEX_WAKE_BATCH && count < n);
	return count;
}

static int
futex_wait(struct lwp *lp, uint64_t uaddr, uint32_t val, uint64_t utimeout)
{
	struct proc *p = lp->lwp_proc;
	struct futex_bucket *b = bucket(p, uaddr);
	struct futex_waiter w = {.fw_proc = p, .fw_uaddr = uaddr};
	struct futex_waiter **pp;
	uint64_t deadline = 0;
	uint32_t cur;
	int error;

	if (uaddr & 3)
		return EINVAL;
	if (utimeout != 0) {
		int64_t ts[2];

		if (copyin((void *)utimeout, ts, sizeof(ts)) != 0)
			return EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return EINVAL;
		deadline =
		    nanouptime() + (uint64_t)ts[0] * NS_PER_S + (uint64_t)ts[1];
	}
	bucket_lock(b);
	error = copyin((void *)uaddr, &cur, 4);
	if (error == 0 && cur != val)
		error = EAGAIN;
	if (error != 0) {
		spin_unlock(&b->fb_lock);
		return error;
	}
	/* The waiter sleeps only here and does not migrate meanwhile. */
	w.fw_cpu = mycpu->gd_cpuid;
	w.fw_next = b->fb_head;
	b->fb_head = &w;
	spin_unlock(&b->fb_lock);
	for (;;) {
		int ms = SLEEP_SLICE_MS;

		if (deadline != 0) {
			uint64_t now = nanouptime();

			if (now >= deadline) {
				error = ETIMEDOUT;
				break;
			}
			ms = (int)MIN((deadline - now + NS_PER_MS - 1) /
			                  NS_PER_MS,
			              (uint64_t)SLEEP_SLICE_MS);
		}
		if (p->p_exiting) {
			error = EINTR;
			break;
		}
		crit_enter();
		if (!__atomic_load_n(&w.fw_woken, __ATOMIC_SEQ_CST)) {
			lp->lwp_wchan = &w;
			tsleep(&w, 0, "futex", ms);
			lp->lwp_wchan = NULL;
		}
		crit_exit();
		if (__atomic_load_n(&w.fw_woken, __ATOMIC_SEQ_CST))
			return 0;
	}
	/*
	 * Timed out or exiting: leave the queue unless a WAKE took us.  A
	 * REQUEUE may have moved us to another key's bucket: lock the one
	 * our key names and check the key did not change meanwhile.
	 */
	for (;;) {
		uint64_t key = __atomic_load_n(&w.fw_uaddr, __ATOMIC_RELAXED);

		b = bucket(p, key);
		bucket_lock(b);
		if (__atomic_load_n(&w.fw_uaddr, __ATOMIC_RELAXED) == key)
			break;
		spin_unlock(&b->fb_lock);
	}
	for (pp = &b->fb_head; *pp != NULL; pp = &(*pp)->fw_next)
		if (*pp == &w) {
			*pp = w.fw_next;
			break;
		}
	spin_unlock(&b->fb_lock);
	if (__atomic_load_n(&w.fw_woken, __ATOMIC_SEQ_CST))
		return 0;
	return error;
}

/*
 * Move up to n2 waiters from uaddr to uaddr2 after waking n.  Both
 * buckets are locked (lower address first) while a waiter changes key,
 * so a waiter is always on the list of the bucket its fw_uaddr names,
 * and one that times out finds itself there (futex_unqueue).
 */
static int
futex_requeue(struct proc *p, uint64_t uaddr, int n, uint64_t uaddr2, int n2)
{
	struct futex_bucket *b1 = bucket(p, uaddr), *b2 = bucket(p, uaddr2);
	struct futex_waiter **pp, *w;
	int woken = futex_wake(p, uaddr, n), count = 0;

	if (b1 == b2) {
		bucket_lock(b1);
	} else {
		bucket_lock(b1 < b2 ? b1 : b2);
		bucket_lock(b1 < b2 ? b2 : b1);
	}
	for (pp = &b1->fb_head; (w = *pp) != NULL && count < n2;) {
		if (w->fw_proc != p || w->fw_uaddr != uaddr) {
			pp = &w->fw_next;
			continue;
		}
		count++;
		__atomic_store_n(&w->fw_uaddr, uaddr2, __ATOMIC_RELAXED);
		if (b1 == b2) {
			pp = &w->fw_next;
			continue;
		}
		*pp = w->fw_next;
		w->fw_next = b2->fb_head;
		b2->fb_head = w;
	}
	if (b1 != b2)
		spin_unlock(&b2->fb_lock);
	spin_unlock(&b1->fb_lock);
	return woken + count;
}

int64_t
sys_futex(struct lwp *lp, uint64_t uaddr, int op, uint32_t val,
          uint64_t utimeout, uint64_t uaddr2, uint32_t val3)
{
	int cmd = op & ~(FUTEX_PRIVATE | FUTEX_CLOCK_RT);

	(void)val3;
	switch (cmd) {
	case FUTEX_WAIT:
		if (op & FUTEX_CLOCK_RT)
			return -ENOSYS; /* Linux: only with WAIT_BITSET */
		return -futex_wait(lp, uaddr, val, utimeout);
	case FUTEX_WAKE:
		if (uaddr & 3)
			return -EINVAL;
		return futex_wake(lp->lwp_proc, uaddr,
		                  (int)MIN(val, 0x7fffffffu));
	case FUTEX_REQUEUE:
		if ((uaddr & 3) || (uaddr2 & 3))
			return -EINVAL;
		return futex_requeue(lp->lwp_proc, uaddr,
		                     (int)MIN(val, 0x7fffffffu), uaddr2,
		                     (int)MIN(utimeout, 0x7fffffffull));
	default:
		return -ENOSYS;
	}
}
