/*
 * The pmap interface machine-independent code uses.  The implementation
 * is machine dependent (sys/platform/pc64/pmap.c: the kernel pmap,
 * pmap_user.c: user pmaps, pmap_window.c: per-CPU windows, pmap_inval.c:
 * shootdowns); struct pmap itself is opaque here.  Updates sent as
 * messages to a per-CPU service: <vm/pmap_msg.h>.  docs/ARCHITECTURE.md (section 11) describes the protocols.
 *
 * Address spaces.  pmap_kernel() is the kernel's pmap: its mappings are
 * in every address space and it counts as active on every online CPU.  A
 * user pmap (pmap_create) maps the lower half (below
 * VM_MAX_USER_ADDRESS) and shares the kernel's upper half.  A thread runs
 * on the pmap in its td_pmap (NULL: the kernel pmap); the context switch
 * calls pmap_activate().
 *
 * Invalidation.  Every call that removes or weakens a mapping returns
 * only when no CPU can still use the old translation, except the _batch
 * variants: they change the page tables at once and queue the TLB
 * invalidation on a caller-owned struct pmap_inval_batch, which sends one
 * message per target CPU per flush.  The caller must not reuse a frame
 * that was mapped, nor rely on a protection having been reduced, until
 * pmap_inval_batch_wait() has returned; frames handed to
 * pmap_inval_batch_defer_free() (and page-table pages the pmap freed) are
 * released exactly then.  Every batch must end with a wait.
 */
#ifndef _VM_PMAP_H_
#define _VM_PMAP_H_

#include <sys/types.h>

/* Protection and mapping flags for pmap_kenter() and friends. */
#define VM_PROT_READ    0x1   /* readable */
#define VM_PROT_WRITE   0x2   /* writable */
#define VM_PROT_EXECUTE 0x4   /* executable */
#define PMAP_NOCACHE    0x100 /* uncached (device memory) */

/* pmap_enter() flags. */
#define PMAP_ENTER_2M 0x1 /* one 2 MiB mapping (va and pa 2 MiB-aligned) */

struct pmap;
struct vm_page;
struct pmap_inval_flight;

void pmap_kenter(vm_offset_t va, vm_paddr_t pa, int prot);
void pmap_kremove(vm_offset_t va);        /* shoots down on every CPU */
vm_paddr_t pmap_kextract(vm_offset_t va); /* ~0 when unmapped */
void *pmap_map_dmap(vm_paddr_t pa);       /* direct-map address of pa */
void pmap_zero_page(vm_paddr_t pa);       /* via this CPU's window */
void pmap_copy_page(vm_paddr_t src, vm_paddr_t dst); /* via windows */
int pmap_kpromote(vm_offset_t va); /* 4K -> 2 MiB if possible */
/* Map n pages at kernel va (one shootdown if any was mapped) / unmap. */
void pmap_qenter(vm_offset_t va, const vm_paddr_t *pa, int n);
void pmap_qremove(vm_offset_t va, int n);

/* Address spaces. */
struct pmap *pmap_kernel(void);
struct pmap *pmap_create(void);     /* NULL when out of memory */
void pmap_destroy(struct pmap *pm); /* waits until no CPU runs on it */
/* Map va -> pa; 0, or -1 when out of memory or a 2M/4K conflict. */
int pmap_enter(struct pmap *pm, vm_offset_t va, vm_paddr_t pa, int prot,
               int flags);
void pmap_remove(struct pmap *pm, vm_offset_t sva, vm_offset_t eva);
/* Reduce to prot (no VM_PROT_READ: remove).  Never adds permissions. */
void pmap_protect(struct pmap *pm, vm_offset_t sva, vm_offset_t eva, int prot);
vm_paddr_t pmap_extract(struct pmap *pm, vm_offset_t va); /* ~0: none */
/*
 * Page-table pages below the PML4 (the kernel pmap: those allocated
 * since boot, for leak accounting).
 */
uint64_t pmap_ptpages(struct pmap *pm);
/* VM_PROT_* a user mapping of va allows (and its 4K frame), or -1. */
int pmap_extract_prot(struct pmap *pm, vm_offset_t va, vm_paddr_t *pa);
/* Context switch (interrupts off): load next's page tables. */
void pmap_activate(struct pmap *next);
/*
 * After lwkt_init(): shootdown pools and the pmap service threads
 * (<vm/pmap_msg.h>).
 */
void pmap_mp_init(void);

/*
 * An invalidation batch, on the caller's stack.  Queued ranges are
 * coalesced; pmap_inval_batch_flush() sends them (one message per target
 * CPU) without waiting.  At most one flush is in flight per batch: a
 * second flush first waits for the first.  Fields are private to
 * pmap_inval.c.
 */
#define PMAP_INVAL_NRANGES 8 /* coalesced ranges per flush */

struct pmap_inval_batch {
	struct pmap *ib_pmap;                   /* the address space */
	int ib_nranges;                         /* queued, unsent ranges */
	bool ib_all;                            /* queued: flush everything */
	vm_offset_t ib_sva[PMAP_INVAL_NRANGES]; /* range starts */
	vm_offset_t ib_eva[PMAP_INVAL_NRANGES]; /* range ends (exclusive) */
	uint64_t ib_npages;                     /* pages in the queued ranges */
	struct pmap_inval_flight *ib_flight;    /* sent, awaiting acks */
	uint64_t ib_flight_gen;                 /* ib_flight's fl_gen then */
	struct vm_page *ib_free;                /* free after the next flush */
	struct vm_page *ib_free_flight;         /* free when ib_flight acks */
	uint64_t ib_nmod;     /* changed PTEs that were dirty */
	uint64_t ib_nref;     /* changed PTEs that were accessed */
	uint64_t ib_nchanged; /* PTEs changed through it */
	uint64_t ib_seq;      /* batch number: TLB sanitizer, diagnostics */
	bool ib_free_leaves;  /* remove: defer-free each 4K leaf's frame */
};

void pmap_inval_batch_init(struct pmap_inval_batch *b, struct pmap *pm);
/*
 * The TLB sanitizer's closing summary (kernels with options TLBSAN and
 * tlbsan=1); returns the number of problems it found that did not
 * already stop the kernel (0 otherwise).
 */
int pmap_sanitizer_summary(void);
/*
 * The page at pa goes back to the allocator (vm_page_free): with the TLB
 * sanitizer on, no CPU may still translate to it or walk it as a page
 * table.  Nothing otherwise.
 */
void pmap_page_free_check(vm_paddr_t pa);
/*
 * Removals through a batch with ib_free_leaves set also hand every
 * removed 4 KiB leaf's frame to pmap_inval_batch_defer_free(): the frames
 * of anonymous user memory go back to the allocator only after the
 * shootdown completes (sys/vm/vm_mmap.c).
 */
void pmap_remove_batch(struct pmap *pm, vm_offset_t sva, vm_offset_t eva,
                       struct pmap_inval_batch *b);
void pmap_protect_batch(struct pmap *pm, vm_offset_t sva, vm_offset_t eva,
                        int prot, struct pmap_inval_batch *b);
void pmap_inval_batch_flush(struct pmap_inval_batch *b); /* send, no wait */
bool pmap_inval_batch_done(struct pmap_inval_batch *b);  /* poll */
void pmap_inval_batch_wait(struct pmap_inval_batch *b);  /* wait + free */
/* Free frame pa once this batch's invalidations have completed. */
void pmap_inval_batch_defer_free(struct pmap_inval_batch *b, vm_paddr_t pa);

/* Tunables (boot options in pmap_inval.c; benchmarks may change them). */
extern int pmap_inval_ceiling;    /* pages above which a flush is total */
extern int pmap_inval_idle_defer; /* halted CPUs flush on wakeup */
/*
 * How shootdowns reach their targets (boot option pmap.inval=, read-only
 * after boot): PMAP_INVAL_IPIQ (in the target's IPI-queue drain),
 * PMAP_INVAL_THREAD (the target's invalidation thread), PMAP_INVAL_SYNC
 * (a dedicated IPI vector, the initiator waits in the flush).
 */
#define PMAP_INVAL_IPIQ   0              /* pmap.inval=ipiq (default) */
#define PMAP_INVAL_THREAD 1              /* pmap.inval=thread */
#define PMAP_INVAL_SYNC   2              /* pmap.inval=sync */
extern int pmap_inval_mode;              /* PMAP_INVAL_* */
extern const char *pmap_inval_mode_name; /* "ipiq", "thread" or "sync" */
/*
 * Serve the invalidations queued to this CPU that a spinning CPU cannot
 * leave to their usual server (thread: the invalidation thread, which
 * cannot run while we spin; sync: the vector, when our interrupts are
 * off).  Every cross-CPU wait step calls it (lwkt_ipiq.c wait_step), so
 * CPUs waiting on each other all progress.  Any context; cheap when
 * nothing is queued.
 */
void pmap_inval_poll(void);

/* One step of a page-table walk, for debuggers and tests. */
struct pmap_walk {
	int pw_levels;        /* levels visited (1..4) */
	uint64_t pw_entry[4]; /* PML4E, PDPE, PDE, PTE as read */
	vm_paddr_t pw_pa;     /* final physical address, ~0 if unmapped */
	uint64_t pw_pagesize; /* 4K, 2M or 1G */
};
void pmap_kwalk(uint64_t cr3, vm_offset_t va, struct pmap_walk *w);
void pmap_print_walk(vm_offset_t va, const struct pmap_walk *w);

#endif /* !_VM_PMAP_H_ */
