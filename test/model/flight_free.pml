/*
 * flight_free.pml - flight records and deferred frees of a shootdown
 * (sys/platform/pc64/pmap_inval.c: pmap_inval_batch_flush, flight_alloc,
 * pmap_inval_ipi, wait_flight, free_list; pmap.c: pmap_remove freeing an
 * emptied page-table page through pmap_inval_batch_defer_free).
 *
 * CPU 0 runs ROUNDS rounds of: map a page-table page T (a PDE) holding a
 * PTE for frame F (or no valid PTE), then remove it: clear the PTE (queue
 * its page, defer F), clear the PDE (defer T and queue one page of its
 * span), flush the batch with a record from a pool of NFLIGHT records,
 * wait, and free F and T.  CPUs 1..NCPU-1 stay on the pmap and serve the
 * messages (pmap_inval_ipi).  A walker per CPU may at any moment cache
 * the PDE (paging-structure cache) while it is in memory, and fill the
 * TLB from a PDE in memory or in that cache while the PTE is valid.
 * INVLPG of an address of T's span drops both.
 *
 * Invariants (asserts):
 *   - free_list: no CPU holds a TLB entry for F, nor a cached PDE
 *     pointing at T, when F or T is freed (no frame or table page is
 *     reused while any CPU may still translate through it);
 *   - flight_alloc: no target is between reading the record and its last
 *     access (the fl_refs decrement) when the record is claimed again;
 *   - no invalid end state (the initiator always finishes).
 *
 * Ordering: the record fields are written before the FIFO's release
 * publish and read after its acquire (modelled in ipiq.pml); fl_pending
 * and fl_refs are seq_cst RMWs; the claim (fl_refs == 0, then = 1) runs
 * with interrupts off on the owner, the only CPU that claims.  So SC
 * interleaving of whole steps is exact here.
 * Abstracted away: the FIFO (a message is a flag), pm_active (every
 * target is on the pmap: see pmap_active.pml), idle deferral, ranges
 * beyond one page, the watchdog, and what a reused page is used for.
 *
 * Mutants:
 *   FREE_BEFORE_ACK    free the deferred pages before waiting for acks
 *   ACK_BEFORE_FLUSH   pmap_inval_ipi decrements fl_pending before INVLPG
 *   PENDMASK_LAST      pmap_inval_ipi clears its fl_pendmask bit after
 *                      dropping fl_refs (a record access after the last
 *                      reference)
 *   ALLOC_ON_PENDING   flight_alloc reuses a record once fl_pending == 0
 *                      (no reference count)
 *   NO_PDE_INVAL       freeing an empty page-table page queues no page
 *                      of its span
 */

#ifndef NCPU
#define NCPU 3
#endif
#define ROUNDS 2

bool pde;               /* the PDE pointing at T is present */
bool pte;               /* T's PTE for F is valid */
bool tlb[NCPU];         /* TLB entry for the page (frame F) */
bool pdc[NCPU];         /* paging-structure cache: the PDE to T */
bool msg[NCPU];         /* a message with the record queued */
bool touch[NCPU];       /* the target may still access the record */
byte pending;           /* fl_pending */
byte refs;              /* fl_refs */
bool fin;               /* the initiator is done */

/* The walker of CPU c. */
proctype walker(byte c)
{
end:
	do
	:: atomic { pde && !pdc[c] -> pdc[c] = true;
		printf("MSC: CPU%d paging-structure cache: PDE to T\n", c) }
	:: atomic { (pde || pdc[c]) && pte && !tlb[c] -> tlb[c] = true;
		printf("MSC: CPU%d TLB fill: translation to frame F\n", c) }
	od
}

/* pmap_inval_ipi() on target c. */
proctype target(byte c)
{
end:
	do
	:: atomic { msg[c] -> msg[c] = false; touch[c] = true;
		printf("MSC: CPU%d pmap_inval_ipi: reads the flight record\n", c) };
#ifdef MUTANT_ACK_BEFORE_FLUSH
		atomic { pending--;
			printf("MSC: CPU%d pmap_inval_ipi: fl_pending-- (mutant: before invlpg)\n", c) };
		atomic { tlb[c] = false; pdc[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: invlpg\n", c) };
#else
		atomic { tlb[c] = false; pdc[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: invlpg\n", c) };
#endif
#ifndef MUTANT_ACK_BEFORE_FLUSH
		atomic { pending--;
			printf("MSC: CPU%d pmap_inval_ipi: fl_pending-- (ack)\n", c) };
#endif
#ifdef MUTANT_PENDMASK_LAST
		atomic { refs--;
			printf("MSC: CPU%d pmap_inval_ipi: fl_refs--\n", c) };
		atomic { touch[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: clear fl_pendmask bit (mutant: after fl_refs--)\n", c) }
#else
		/* cpumask_atomic_clear(&fl->fl_pendmask) came before the ack */
		atomic { refs--; touch[c] = false;
			printf("MSC: CPU%d pmap_inval_ipi: fl_refs-- (last access)\n", c) }
#endif
	od
}

/* free_list(): F and T go back to the allocator. */
inline free_pages(freef)
{
	atomic {
		printf("MSC: CPU0 free_list: frees F and T\n");
		t = 0;
		do
		:: t < NCPU ->
			assert(!freef || !tlb[t]);
			assert(!pdc[t]);
			t++
		:: else -> break
		od
	}
}

proctype initiator()
{
	byte round, t;
	bool hadpte, queued;

	for (round : 1 .. ROUNDS) {
		/* pmap_enter: a new table page T, maybe with a PTE for F */
		atomic {
			pde = true;
			if
			:: pte = true; hadpte = true
			:: pte = false; hadpte = false
			fi;
			printf("MSC: CPU0 round %d: map T (PTE for F: %d)\n", round, hadpte)
		};
		/* pmap_remove_batch: clear the PTE, then the emptied PDE */
		atomic { pte = false; queued = hadpte;
			printf("MSC: CPU0 pmap_remove: PTE cleared\n") };
		atomic { pde = false;
#ifndef MUTANT_NO_PDE_INVAL
			queued = true; /* a page of T's span joins the batch */
#endif
			printf("MSC: CPU0 pmap_remove: PDE cleared, T deferred\n") };
		if
		:: queued ->
			/* flight_alloc: a record with fl_refs == 0 */
#ifdef MUTANT_ALLOC_ON_PENDING
			atomic { pending == 0 -> refs = 1;
#else
			atomic { refs == 0 -> refs = 1;
#endif
				printf("MSC: CPU0 flight_alloc: claims the record\n");
				t = 1;
				do
				:: t < NCPU -> assert(!touch[t]); t++
				:: else -> break
				od };
			atomic { pending = NCPU - 1; refs = NCPU;
				t = 1;
				do
				:: t < NCPU -> msg[t] = true; t++
				:: else -> break
				od;
				printf("MSC: CPU0 lwkt_send_ipiq_mask: message CPUs 1..%d\n", NCPU - 1) };
			atomic { tlb[0] = false; pdc[0] = false;
				printf("MSC: CPU0 inval_local: invlpg\n") };
#ifdef MUTANT_FREE_BEFORE_ACK
			free_pages(hadpte);
#endif
			/* wait_flight */
			(pending == 0);
			atomic { refs--;
				printf("MSC: CPU0 wait_flight: acknowledged, fl_refs--\n") };
#ifndef MUTANT_FREE_BEFORE_ACK
			free_pages(hadpte)
#endif
		:: else ->
			/* nothing queued: pmap_inval_batch_wait frees at once */
			free_pages(hadpte)
		fi
	}
	fin = true
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
