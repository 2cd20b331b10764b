/*
 * TLB shootdown internals shared by pmap.c, pmap_user.c, trap.c and
 * mp_machdep.c (sys/platform/pc64/pmap_inval.c).  The batch API itself is
 * in <vm/pmap.h>.
 */
#ifndef _MACHINE_PMAP_INVAL_H_
#define _MACHINE_PMAP_INVAL_H_

#include <sys/cpumask.h>
#include <sys/types.h>
#include <vm/pmap.h>

/*
 * One flush in flight: what the initiator sent, read by every target.
 * Records live in a per-CPU pool (not on the initiator's stack), so a
 * target never touches freed memory even when the initiator stopped
 * waiting (pmap.bug=no_wait).  A record is busy exactly while fl_pending is
 * nonzero: each target's decrement is its last access, and the
 * initiator holds no reference, so a flush whose targets have all
 * acknowledged frees its record even before its batch waits.  The batch
 * keeps fl_gen to tell its own flight from a later one in the same
 * record (pmap_inval.c, "Invariant (flight records)").
 */
struct pmap_inval_flight {
	volatile int fl_pending;  /* targets yet to acknowledge; 0: free */
	volatile uint64_t fl_gen; /* bumped by each allocation (owner CPU) */
	cpumask_t fl_pendmask;    /* which ones (for the watchdog) */
	struct pmap *fl_pmap;     /* the address space */
	bool fl_all;              /* flush everything, not the ranges */
	int fl_nranges;           /* ranges in fl_sva/fl_eva */
	vm_offset_t fl_sva[PMAP_INVAL_NRANGES]; /* range starts */
	vm_offset_t fl_eva[PMAP_INVAL_NRANGES]; /* range ends (exclusive) */
	int fl_cpu;                             /* the initiator */
	uint64_t fl_seq;      /* initiator's flush number, diagnostics */
	uint64_t fl_start_ns; /* when it was sent */
};

#define PMAP_INVAL_NFLIGHT 8 /* records per CPU: unacknowledged flushes */

/* Queue [sva, eva) (page aligned) for invalidation on b. */
void pmap_inval_add(struct pmap_inval_batch *b, vm_offset_t sva,
                    vm_offset_t eva);
/* Queue a page-table page or frame to free once b's flush completes. */
void pmap_inval_defer_page(struct pmap_inval_batch *b, struct vm_page *m);
/* Pools and boot options; the kernel pmap becomes active everywhere. */
void pmap_inval_init(struct pmap *kpm);
/*
 * What a flush does before pmap_inval_init() (no pools yet), callable
 * later too for the test: invalidate b's ranges on every online CPU and
 * return when all have; b's queued ranges are consumed.
 */
void pmap_inval_flush_early(struct pmap_inval_batch *b);
/*
 * Idle deferral.  The idle loop calls halt_enter with interrupts off
 * right before sti;hlt; pmap_inval_wakeup() runs first thing on wakeup
 * (top of trap() and right after hlt) and does the flush that initiators
 * skipped while this CPU was halted.
 */
void pmap_inval_halt_enter(void);
void pmap_inval_wakeup(void);
/*
 * pmap.inval=sync: the IPI_VECTOR_INVAL handler's work (mp_machdep.c),
 * interrupts off, whatever the interrupted code's critical section:
 * serve every record posted to this CPU's sync mailbox.
 */
void pmap_inval_sync_intr(void);

#endif /* !_MACHINE_PMAP_INVAL_H_ */
