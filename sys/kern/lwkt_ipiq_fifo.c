/*
 * The single-producer / single-consumer IPI message FIFO (see
 * <sys/ipiq.h>): the lock-free core of LWKT inter-processor messaging,
 * free of any CPU or interrupt code so it also runs under ThreadSanitizer
 * on the host.
 *
 * Invariant.  Each index has exactly one writer: ip_windex (and the
 * producer-private ip_rcache) only the producer, ip_rindex, ip_xindex and
 * ip_depth only the consumer.  At every moment
 *	xindex <= rindex <= windex <= rindex + IPIQ_FIFO_SIZE
 * (modulo 2^32, as distances), slots [rindex, windex) hold messages not
 * yet copied out, and only the producer may touch slots outside that
 * window.  The producer fills slot windex and then publishes it with a
 * release store of windex+1; the consumer's acquire load of windex
 * therefore sees the finished entry (release/acquire suffices because
 * each index has a single writer, so no read-modify-write is needed, and
 * the only thing that must be ordered is "entry written" before "index
 * seen").  Symmetrically the consumer copies an entry out to its stack
 * and only then release-stores rindex+1; the producer acquire-loads
 * rindex before deciding a slot is free, so its overwrite happens after
 * the consumer's read.  Once rindex passes an index the consumer never
 * reads that slot again: it runs the function from its private copy, so
 * the producer may refill the slot while the function is still running.
 * xindex is release-stored only after the function has returned, so a
 * sender that acquire-loads xindex past its message also sees the
 * function's side effects.  A message function may re-enter the drain on
 * the same FIFO (a send that found its target full drains its own inbound
 * FIFOs); the nested drain starts from the already-advanced rindex, so no
 * message runs twice, and only the outermost level advances xindex
 * (to the then-current rindex), because a nested level finishing later
 * messages does not mean the outer in-progress one has finished.
 * Wrap-around is harmless: IPIQ_FIFO_SIZE divides 2^32, so index &
 * IPIQ_FIFO_MASK names the same slot on both sides of the wrap, unsigned
 * subtraction gives the right distance (never more than IPIQ_FIFO_SIZE),
 * and ipiq_fifo_done() compares as (int32_t)(xindex - seq), which is
 * correct while the two are within 2^31 of each other.
 *
 * The waking and coalescing protocol built on this FIFO is model-checked
 * in test/model/ipiq.pml (publish and copy-out as single steps).
 */
#include <sys/ipiq.h>

void
ipiq_fifo_init(struct lwkt_ipiq *q)
{
	q->ip_windex = 0;
	q->ip_rcache = 0;
	q->ip_nput = 0;
	q->ip_nfull = 0;
	q->ip_rindex = 0;
	q->ip_xindex = 0;
	q->ip_depth = 0;
	q->ip_ndrain = 0;
	for (int i = 0; i < IPIQ_FIFO_SIZE; i++) {
		q->ip_entries[i].ie_func = NULL;
		q->ip_entries[i].ie_arg1 = NULL;
		q->ip_entries[i].ie_arg2 = 0;
	}
}

bool
ipiq_fifo_put(struct lwkt_ipiq *q, ipifunc_t func, void *arg1, uint64_t arg2,
              uint32_t *seqp)
{
	struct ipiq_entry *e;
	uint32_t wi;

	wi = q->ip_windex; /* our own index: no other writer */
	if (wi - q->ip_rcache >= IPIQ_FIFO_SIZE) {
		/*
		 * Looks full by our stale copy of rindex; fetch the real
		 * one.  Acquire pairs with the consumer's release so its
		 * copy-out of the slot we are about to refill happened
		 * before our writes.
		 */
		q->ip_rcache = __atomic_load_n(&q->ip_rindex, __ATOMIC_ACQUIRE);
		if (wi - q->ip_rcache >= IPIQ_FIFO_SIZE) {
			__atomic_store_n(&q->ip_nfull, q->ip_nfull + 1,
			                 __ATOMIC_RELAXED);
			return false;
		}
	}
	e = &q->ip_entries[wi & IPIQ_FIFO_MASK];
	e->ie_func = func;
	e->ie_arg1 = arg1;
	e->ie_arg2 = arg2;
	/* Publish: the entry above is visible before the new windex. */
	__atomic_store_n(&q->ip_windex, wi + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&q->ip_nput, q->ip_nput + 1, __ATOMIC_RELAXED);
	if (seqp != NULL)
		*seqp = wi;
	return true;
}

uint32_t
ipiq_fifo_count(struct lwkt_ipiq *q)
{
	uint32_t ri, wi, n;

	/*
	 * rindex first, with acquire: whatever windex the consumer had seen
	 * when it stored this rindex is then visible to the windex load, so
	 * wi - ri cannot underflow even for a third-party caller.  windex
	 * may have moved on since, so clamp to the capacity.
	 */
	ri = __atomic_load_n(&q->ip_rindex, __ATOMIC_ACQUIRE);
	wi = __atomic_load_n(&q->ip_windex, __ATOMIC_RELAXED);
	n = wi - ri;
	return n > IPIQ_FIFO_SIZE ? IPIQ_FIFO_SIZE : n;
}

bool
ipiq_fifo_half_full(struct lwkt_ipiq *q)
{
	return ipiq_fifo_count(q) >= IPIQ_FIFO_SIZE / 2;
}

int
ipiq_fifo_drain(struct lwkt_ipiq *q, void *frame, int max)
{
	struct ipiq_entry e;
	uint32_t depth, ri, wi;
	int n = 0;

	depth = q->ip_depth;
	q->ip_depth = depth + 1;
	wi = __atomic_load_n(&q->ip_windex, __ATOMIC_ACQUIRE);
	while (max < 0 || n < max) {
		/*
		 * Re-read rindex every time: a nested drain inside the last
		 * function may have advanced it, possibly past our windex
		 * snapshot.
		 */
		ri = q->ip_rindex;
		if ((int32_t)(wi - ri) <= 0) {
			wi = __atomic_load_n(&q->ip_windex, __ATOMIC_ACQUIRE);
			if (wi == ri)
				break;
		}
		e = q->ip_entries[ri & IPIQ_FIFO_MASK];
		/* The slot is copied out: hand it back to the producer. */
		__atomic_store_n(&q->ip_rindex, ri + 1, __ATOMIC_RELEASE);
		e.ie_func(e.ie_arg1, e.ie_arg2, frame);
		n++;
		/*
		 * Everything below the current rindex has now finished:
		 * ours just returned and any nested drain it made returned
		 * before it did.  Only the outermost level may say so.
		 */
		if (depth == 0)
			__atomic_store_n(&q->ip_xindex, q->ip_rindex,
			                 __ATOMIC_RELEASE);
	}
	q->ip_depth = depth;
	if (n > 0)
		__atomic_store_n(&q->ip_ndrain, q->ip_ndrain + 1,
		                 __ATOMIC_RELAXED);
	return n;
}

bool
ipiq_fifo_done(struct lwkt_ipiq *q, uint32_t seq)
{
	uint32_t xi;

	xi = __atomic_load_n(&q->ip_xindex, __ATOMIC_ACQUIRE);
	return (int32_t)(xi - seq) > 0;
}
