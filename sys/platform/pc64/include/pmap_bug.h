/*
 * Fault injection for the shootdown protocol: pmap.bug=NAME makes the
 * pmap commit one classic mistake, so the tests, the stress suite and the
 * TLB sanitizer can be shown to catch it (the mutation matrix of
 * test/mutants.py, run by make test).  Compiled into every kernel; off
 * unless the option is given.  pmap.bug=list prints the mistakes.
 */
#ifndef _MACHINE_PMAP_BUG_H_
#define _MACHINE_PMAP_BUG_H_

#include <sys/types.h>

enum pmap_bug {
	PMAP_BUG_NONE = 0,
	PMAP_BUG_NO_REMOTE,      /* initiators send no remote flush */
	PMAP_BUG_NO_WAIT,        /* initiators do not wait for the acks */
	PMAP_BUG_NO_LOCAL,       /* the initiator skips its own flush */
	PMAP_BUG_FULL_NOOP_USER, /* a full flush of a user pmap does nothing */
	PMAP_BUG_FULL_NOOP_KERN, /* a full flush of the kernel does nothing */
	PMAP_BUG_FULL_CR3,       /* kernel full flush by CR3 reload, not PGE */
	PMAP_BUG_PT_NOINVAL,     /* unlinked page table: span not invalidated */
	PMAP_BUG_PT_EARLY_FREE,  /* page-table page freed before the acks */
	PMAP_BUG_PROTECT_NOINVAL, /* RW -> RO without invalidation */
	PMAP_BUG_IDLE_NOFLUSH,    /* halted CPU woken without its owed flush */
	PMAP_BUG_ACTIVE_EARLY,    /* pm_active cleared before the CR3 load */
	PMAP_BUG_NO_SERVE, /* a waiting initiator serves no incoming request */
	PMAP_BUG_COUNT
};

extern int pmap_bug; /* enum pmap_bug: the mistake this boot makes */

/* True when this boot injects mistake b. */
#define PMAP_BUG(b) __predict_false(pmap_bug == PMAP_BUG_##b)

/* Parse pmap.bug= (called once at boot, before the first shootdown). */
void pmap_bug_init(void);

#endif /* !_MACHINE_PMAP_BUG_H_ */
