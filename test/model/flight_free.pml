/*
 * flight_free.pml - flight records and deferred frees of a shootdown
 * (sys/platform/pc64/pmap_inval.c: pmap_inval_batch_flush, flight_alloc,
 * flight_done, pmap_inval_ipi, wait_flight, free_list; pmap_user.c:
 * pmap_remove freeing an emptied page-table page through
 * pmap_inval_batch_defer_free), as changed by the ipiqfix work: a record
 * is busy exactly while fl_pending != 0, the initiator holds no
 * reference, and a batch remembers (record, fl_gen).
 *
 * CPU 0 runs two batches A and B (a CPU may hold several unwaited
 * batches).  Batch X maps a page-table page
 * T[X] (a PDE) with a PTE for frame F[X] or with no valid PTE, then
 * removes it: clears the PTE (queues its page, defers F[X]), clears the
 * PDE (defers T[X], queues one page of its span), and flushes with a
 * record claimed from a pool of ONE record, so B's claim must wait until
 * every target has acknowledged A (draining its own queues meanwhile).
 * wait_flight(A) and wait_flight(B), each freeing its batch's pages, run
 * in any order, A's before or after B's flush.
 * CPUs 1..NCPU-1 stay on the pmap and serve the messages.  A walker per
 * CPU may at any moment cache a PDE that is in memory (paging-structure
 * cache) and fill the TLB from a PDE in memory or in that cache while the
 * PTE is valid; INVLPG of an address of T[X]'s span drops both.
 *
 * Invariants (asserts):
 *   - free_list: no CPU holds a TLB entry for F[X] nor a cached PDE
 *     pointing at T[X] when they are freed (no frame or table page is
 *     reused while any CPU may still translate through it);
 *   - flight_alloc: no target is between reading the record and its last
 *     access (the fl_pending decrement) when the record is claimed again;
 *   - no invalid end state (every wait ends).
 *
 * Ordering: the record fields are written before the FIFO's release
 * publish and read after its acquire (see ipiq.pml); fl_gen and
 * fl_pending are seq_cst (the allocator writes gen, then pending; the
 * waiter reads pending, then gen); the claim runs with interrupts off on
 * the owner, the only CPU that claims.  So an SC interleaving of these
 * steps is exact.
 * Abstracted away: the FIFO (a message is a flag), pm_active (every
 * target is on the pmap: see pmap_active.pml), idle deferral, ranges
 * beyond one page per batch, the watchdog, migration of the waiting
 * thread (the wait reads only shared state, so it does not matter which
 * CPU runs it), and what a reused page is used for.
 *
 * Mutants:
 *   FREE_BEFORE_ACK    free the deferred pages before waiting for acks
 *   ACK_BEFORE_FLUSH   pmap_inval_ipi decrements fl_pending before INVLPG
 *   PENDMASK_LAST      pmap_inval_ipi clears its fl_pendmask bit after
 *                      the fl_pending decrement (a record access after
 *                      the record became free)
 *   DONE_ON_GEN_EQUAL  flight_done inverts the generation test (a
 *                      reallocated record is taken as "not done", an
 *                      unchanged one with pending != 0 as "done")
 *   NO_PDE_INVAL       freeing an empty page-table page queues no page
 *                      of its span
 */

#ifndef NCPU
#define NCPU 3
#endif

bool pde[2];            /* the PDE pointing at T[x] is present */
bool pte[2];            /* T[x]'s PTE for F[x] is valid */
bool tlb[NCPU * 2];     /* TLB entry of CPU c for page x: [c * 2 + x] */
bool pdc[NCPU * 2];     /* paging-structure cache: the PDE to T[x] */
bool msg[NCPU];         /* a message with the record queued */
bool touch[NCPU];       /* the target may still access the record */
byte flx;               /* which batch the record's ranges are */
byte pending;           /* fl_pending */
byte gen;               /* fl_gen */

#define IX(c, x) ((c) * 2 + (x))

/* The walker of CPU c. */
#define PSC_FILL(c, x) atomic { pde[x] && !pdc[IX(c, x)] -> pdc[IX(c, x)] = true; \
	printf("MSC: CPU%d paging-structure cache: PDE to T%d\n", c, x) }
#define TLB_FILL(c, x) atomic { (pde[x] || pdc[IX(c, x)]) && pte[x] && \
	!tlb[IX(c, x)] -> tlb[IX(c, x)] = true; \
	printf("MSC: CPU%d TLB fill: translation to frame F%d\n", c, x) }

proctype walker(byte c)
{
end:
	do
	:: PSC_FILL(c, 0)
	:: PSC_FILL(c, 1)
	:: TLB_FILL(c, 0)
	:: TLB_FILL(c, 1)
	od
}

/* pmap_inval_ipi() on target c: INVLPG of the record's page. */
proctype target(byte c)
{
	byte x;
end:
	do
	:: atomic { msg[c] -> msg[c] = false; touch[c] = true; x = flx;
		printf("MSC: CPU%d pmap_inval_ipi: reads the flight record (batch %d)\n", c, x) };
#ifdef MUTANT_ACK_BEFORE_FLUSH
		atomic { pending--; touch[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: fl_pending-- (mutant: before invlpg)\n", c) };
		atomic { tlb[IX(c, x)] = false; pdc[IX(c, x)] = false;
			printf("MSC: CPU%d pmap_inval_ipi: invlpg\n", c) }
#else
		atomic { tlb[IX(c, x)] = false; pdc[IX(c, x)] = false;
			printf("MSC: CPU%d pmap_inval_ipi: invlpg\n", c) };
#ifdef MUTANT_PENDMASK_LAST
		atomic { pending--;
			printf("MSC: CPU%d pmap_inval_ipi: fl_pending--\n", c) };
		atomic { touch[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: clear fl_pendmask bit (mutant: after fl_pending--)\n", c) }
#else
		/* cpumask_atomic_clear(&fl->fl_pendmask) comes before */
		atomic { pending--; touch[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: fl_pending-- (last access)\n", c) }
#endif
#endif
	od
}

/* free_list(): F[x] (if it was mapped) and T[x] go back to the allocator. */
inline free_pages(x, hadf)
{
	atomic {
		printf("MSC: CPU0 free_list: frees F%d and T%d\n", x, x);
		t = 0;
		do
		:: t < NCPU ->
			assert(!hadf || !tlb[IX(t, x)]);
			assert(!pdc[IX(t, x)]);
			t++
		:: else -> break
		od
	}
}

/* Map then remove batch x's page, and flush it (no wait). */
inline remove_flush(x, hadf, sent, mygen)
{
	atomic {
		pde[x] = true;
		if
		:: pte[x] = true; hadf = true
		:: pte[x] = false; hadf = false
		fi;
		printf("MSC: CPU0 batch %d: map T%d (PTE for F%d: %d)\n", x, x, x, hadf)
	};
	/* pmap_remove_batch: clear the PTE, then the emptied PDE */
	atomic { pte[x] = false; queued = hadf;
		printf("MSC: CPU0 batch %d: pmap_remove: PTE cleared\n", x) };
	atomic { pde[x] = false;
#ifndef MUTANT_NO_PDE_INVAL
		queued = true; /* a page of T's span joins the batch */
#endif
		printf("MSC: CPU0 batch %d: pmap_remove: PDE cleared, T%d deferred\n", x, x) };
	if
	:: queued ->
		/* flight_alloc(n): wait (draining) for fl_pending == 0 */
		atomic { pending == 0 ->
			printf("MSC: CPU0 batch %d: flight_alloc: claims the record (fl_gen %d -> %d)\n", x, gen, gen + 1);
			t = 1;
			do
			:: t < NCPU -> assert(!touch[t]); t++
			:: else -> break
			od;
			gen++ };
		atomic { pending = NCPU - 1; mygen = gen; flx = x;
			printf("MSC: CPU0 batch %d: fl_pending = %d\n", x, pending) };
		atomic {
			t = 1;
			do
			:: t < NCPU -> msg[t] = true; t++
			:: else -> break
			od;
			printf("MSC: CPU0 batch %d: lwkt_send_ipiq_mask: message CPUs 1..%d\n", x, NCPU - 1) };
		atomic { tlb[IX(0, x)] = false; pdc[IX(0, x)] = false;
			printf("MSC: CPU0 batch %d: inval_local: invlpg\n", x) };
		sent = true
	:: else -> sent = false
	fi
}

/* wait_flight(batch x): until flight_done(), then free_list. */
inline wait_free(x, hadf, sent, mygen)
{
	if
	:: sent ->
#ifdef MUTANT_DONE_ON_GEN_EQUAL
		atomic { (pending == 0 || gen == mygen) ->
#else
		/* flight_done: pending (seq_cst) == 0, or then gen moved on */
		atomic { (pending == 0 || gen != mygen) ->
#endif
			printf("MSC: CPU0 batch %d: wait_flight: done (fl_pending %d, fl_gen %d, mine %d)\n", x, pending, gen, mygen) }
	:: else
	fi;
	free_pages(x, hadf)
}

proctype initiator()
{
	byte t, gena, genb;
	bool queued, hada, hadb, senta, sentb;

	remove_flush(0, hada, senta, gena);
#ifdef MUTANT_FREE_BEFORE_ACK
	free_pages(0, hada);
	remove_flush(1, hadb, sentb, genb);
	free_pages(1, hadb)
#else
	/* Batches are waited for in any order, before or after the next. */
	if
	:: wait_free(0, hada, senta, gena);
		remove_flush(1, hadb, sentb, genb);
		wait_free(1, hadb, sentb, genb)
	:: remove_flush(1, hadb, sentb, genb);
		wait_free(0, hada, senta, gena);
		wait_free(1, hadb, sentb, genb)
	:: remove_flush(1, hadb, sentb, genb);
		wait_free(1, hadb, sentb, genb);
		wait_free(0, hada, senta, gena)
	fi
#endif
}

init
{
	byte c;
	atomic {
		for (c : 0 .. NCPU - 1) {
			run walker(c)
		}
		for (c : 1 .. NCPU - 1) {
			run target(c)
		}
		run initiator()
	}
}
