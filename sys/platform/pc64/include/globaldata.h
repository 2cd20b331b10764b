/*
 * The per-CPU pages ("privatespace").
 *
 * Every CPU owns NPRIVPAGES consecutive pages at CPU_prvspace[cpuid],
 * inside the shared kernel PML4 slot 511 (PRIVSPACE_ADDRESS).  All CPUs
 * run on the same page tables, so every CPU can see every other CPU's
 * pages (the IPI queues and counters rely on that) and the kernel PML4
 * has the same two entries whatever the CPU count.  Guard pages are left
 * unmapped so a stack overflow faults instead of corrupting a neighbour.
 *
 * page   contents
 *  0     struct mdglobaldata (gd_self first; GS base points here)
 *  1     guard (unmapped)
 *  2     this CPU's GDT and TSS
 *  3     guard: below the #DF stack
 *  4     #DF IST stack
 *  5     guard: below the NMI stack
 *  6     NMI IST stack
 *  7     guard: below the idle stack
 *  8-11  idle thread stack (16 KiB)
 *  12-14 temporary mapping windows CADDR1..3 (owner CPU only)
 *  15    guard: separates this CPU's windows from the next CPU's page 0
 */
#ifndef _MACHINE_GLOBALDATA_H_
#define _MACHINE_GLOBALDATA_H_

#include <cpu/pte.h>
#include <cpu/segments.h>
#include <machine/vmparam.h>
#include <sys/globaldata.h>

struct pmap;
struct pmap_inval_flight;

#define NPRIVPAGES      16 /* pages per CPU in the window */
#define IDLESTACK_PAGES 4  /* idle thread stack */
#define NCMAP           3  /* temporary mapping windows per CPU */

struct mdglobaldata {
	struct globaldata mi;           /* MI part, must be first */
	uint64_t gd_onfault;            /* cpu_probe recovery RIP, 0: none */
	uint64_t gd_fault_va;           /* CR2 of the last recovered fault */
	uint32_t gd_apicid;             /* local APIC ID (not the CPU number) */
	pt_entry_t *gd_cmap_pte[NCMAP]; /* PTEs of the CADDR windows */
	struct privatespace *gd_prvspace; /* this CPU's window */
	uint64_t gd_tsc_freq;             /* copy of the calibrated TSC rate */
	uint32_t gd_lapic_timer_ticks;    /* timer initial count */
	struct pmap *gd_curpmap;       /* user pmap in CR3, NULL: kernel only */
	volatile int gd_idle_halted;   /* in hlt: flushes may be deferred */
	volatile int gd_inval_pending; /* a deferred full flush is owed */
	struct pmap_inval_flight *gd_inval_pool; /* shootdown records */
	struct amd64tss *gd_tss; /* this CPU's TSS: rsp0 is set per thread */
	uint64_t gd_user_rsp;    /* SYSCALL entry: the user %rsp, briefly */
	uint64_t gd_rsp0;        /* kernel stack top for user-mode entries */
};

struct gdtpage {
	uint64_t gp_gdt[NGDT];  /* descriptors (TSS takes 2 slots) */
	struct amd64tss gp_tss; /* IST stack pointers */
};

struct privatespace {
	/* page 0 */
	struct mdglobaldata mdglobaldata; /* per-CPU data */
	char __filler0[PAGE_SIZE - sizeof(struct mdglobaldata)]; /* */
	char guard1[PAGE_SIZE]; /* page 1: unmapped */
	/* page 2 */
	struct gdtpage gdtpage;                             /* GDT + TSS */
	char __filler2[PAGE_SIZE - sizeof(struct gdtpage)]; /* */
	char guard3[PAGE_SIZE];                      /* page 3: unmapped */
	char dblfault_stack[PAGE_SIZE];              /* page 4: #DF IST stack */
	char guard5[PAGE_SIZE];                      /* page 5: unmapped */
	char nmi_stack[PAGE_SIZE];                   /* page 6: NMI IST stack */
	char guard7[PAGE_SIZE];                      /* page 7: unmapped */
	char idlestack[IDLESTACK_PAGES * PAGE_SIZE]; /* pages 8-11 */
	char CADDR[NCMAP][PAGE_SIZE];                /* pages 12-14: windows */
	char guard15[PAGE_SIZE];                     /* page 15: unmapped */
};

_Static_assert(sizeof(struct privatespace) == NPRIVPAGES * PAGE_SIZE,
               "privatespace must be exactly NPRIVPAGES pages");
_Static_assert(sizeof(struct mdglobaldata) <= PAGE_SIZE,
               "globaldata must fit its page");
_Static_assert((uint64_t)MAXCPU *NPRIVPAGES *PAGE_SIZE <= PRIVSPACE_MAXSIZE,
               "the per-CPU window must fit its 1 GiB");

/* Page indexes inside struct privatespace, for the pmap code. */
#define PRV_PAGE_GD      0
#define PRV_PAGE_GDT     2
#define PRV_PAGE_DFSTK   4
#define PRV_PAGE_NMISTK  6
#define PRV_PAGE_IDLESTK 8
#define PRV_PAGE_CADDR   12
/* Pages that are backed by memory; the others stay unmapped guards. */
#define PRV_PAGE_MAPPED(i)                                                     \
	((i) == 0 || (i) == 2 || (i) == 4 || (i) == 6 ||                       \
	 ((i) >= 8 && (i) <= 11))

#define CPU_prvspace ((struct privatespace *)PRIVSPACE_ADDRESS)

#define mdcpu ((struct mdglobaldata *)mycpu)

#endif /* !_MACHINE_GLOBALDATA_H_ */
