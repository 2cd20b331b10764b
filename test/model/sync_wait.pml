/*
 * sync_wait.pml - the pmap.inval=sync delivery's mutual wait
 * (sys/platform/pc64/pmap_inval.c: pmap_inval_batch_flush -> sync_send,
 * wait_flight; the IPI_VECTOR_INVAL handler pmap_inval_sync_intr ->
 * sbox_serve; pmap_inval_poll from lwkt_ipiq.c wait_step).
 *
 * Two CPUs, each an initiator of ROUNDS kernel shootdowns whose target is
 * the other one.  A round: choose the interrupt state of the whole flush
 * and wait (on or off: the kernel's callers may have either); claim the
 * record (fl_pending = 1); mark the target's TLB as possibly stale
 * (the PTE changed); post the record's bit to the target's sync mailbox
 * (seq_cst fetch_or) and raise the vector (the target's APIC IRR bit);
 * then wait until fl_pending is 0, on each step either seeing it 0 or
 * polling its own mailbox.  The vector's handler runs on a CPU whenever
 * its IRR bit is set and its interrupts are on (between any two of its
 * steps, atomically: the handler runs with interrupts off and ignores
 * critical sections), clears IRR and serves its mailbox.  Serving a
 * record: invalidate (clear the stale mark), then decrement fl_pending,
 * the last access.
 *
 * Invariants (asserts): when a wait ends, the target holds no stale
 * translation of that round; every wait ends (no invalid end state: two
 * CPUs waiting on each other with interrupts off both progress).
 *
 * Ordering: every shared access is a locked RMW or a load after one
 * (fetch_or, xchg, lock sub), and the IPI follows the posts, so an SC
 * interleaving of these steps is exact (see ipiq.pml for the IPI
 * ordering argument).
 * Abstracted away: the record's contents and pool (one record per CPU,
 * reused each round after its wait: flight_free.pml covers reuse), the
 * source mask (ic_ssrcs: with two CPUs the byte is enough), the IPI
 * queues the wait also drains, idle deferral (both CPUs are busy), the
 * watchdog.
 *
 * A service runs atomically here (the handler, or the poll with
 * interrupts off, excludes its own CPU); the order inside it - invalidate
 * before the decrement, the decrement last - is flight_free.pml's
 * (ACK_BEFORE_FLUSH, PENDMASK_LAST).
 *
 * Mutant:
 *   NO_POLL     the waiter only spins (pmap.bug=no_serve): with
 *               interrupts off on both, neither serves the other
 */

#ifndef ROUNDS
#define ROUNDS 2
#endif

bit intr[2];    /* interrupts enabled */
bit irr[2];     /* the vector is pending in the APIC */
bit mbox[2];    /* sync mailbox of CPU i: the other's record posted */
byte pending[2]; /* fl_pending of CPU i's record */
bit stale[2];   /* CPU i may still hold a replaced translation */

/* Serve the record in CPU me's mailbox, if any (interrupts off). */
inline serve(me) {
	if
	:: mbox[me] ->
		mbox[me] = 0;
		stale[me] = 0;
		printf("MSC: cpu%d inval_service: invalidate, ack cpu%d\n", me, 1 - me);
		pending[1 - me]--;
	:: else -> skip
	fi
}

/* The vector's handler on CPU c: taken when IRR is set and IF is on. */
proctype vector(byte c) {
end:	do
	:: atomic { intr[c] && irr[c] ->
		irr[c] = 0;
		printf("MSC: cpu%d pmap_inval_sync_intr\n", c);
		serve(c) }
	od
}

proctype cpu(byte me) {
	byte r = 0;
	do
	:: r < ROUNDS ->
		/* the caller's interrupt state for the flush and wait */
		if
		:: intr[me] = 1; printf("MSC: cpu%d round %d, interrupts on\n", me, r)
		:: intr[me] = 0; printf("MSC: cpu%d round %d, interrupts off\n", me, r)
		fi;
		/* pmap_inval_batch_flush: PTE changed, record claimed */
		atomic { stale[1 - me] = 1; pending[me] = 1 };
		/* sync_send: post, then raise the vector */
		mbox[1 - me] = 1;
		printf("MSC: cpu%d sync_send: posted to cpu%d\n", me, 1 - me);
		irr[1 - me] = 1;
		/* wait_flight */
		do
		:: pending[me] == 0 -> break
#ifndef MUTANT_NO_POLL
		:: atomic { mbox[me] ->
			printf("MSC: cpu%d wait step: pmap_inval_poll\n", me);
			serve(me) }
#endif
		od;
		assert(stale[1 - me] == 0);
		printf("MSC: cpu%d wait_flight: done\n", me);
		intr[me] = 1;
		r++
	:: else -> break
	od
}

init {
	atomic {
		run vector(0); run vector(1);
		run cpu(0); run cpu(1)
	}
}
