/*
 * Machine-dependent pmap internals shared by pc64 files (machdep.c,
 * mp_machdep.c, trap.c, the gdb helpers, the tests).  Machine-independent
 * code uses <vm/pmap.h> only, where struct pmap is opaque.
 */
#ifndef _MACHINE_PMAP_H_
#define _MACHINE_PMAP_H_

#include <cpu/pte.h>
#include <sys/cpumask.h>
#include <sys/spinlock.h>
#include <sys/types.h>

struct phys_ranges;

/*
 * An address space.  The kernel pmap (pmap_kernel()) describes the shared
 * upper half; a user pmap owns PML4 slots 0-255 and carries copies of the
 * kernel's two upper-half entries (256, 511), which never change.
 *
 * A user pmap's page-table pages count their users in their struct
 * vm_page's pg_ptcount: valid entries plus transient holds (pmap_user.c).
 * pm_ptlock serializes only what decides the life of a page-table page:
 * linking a new one, taking a hold, and unlinking an empty one.  PTE
 * contents are changed with atomic xchg/cmpxchg outside it, so no update
 * is lost to a concurrent one.
 */
struct pmap {
	pt_entry_t *pm_pml4;       /* PML4 page, through the DMAP */
	vm_paddr_t pm_pml4_pa;     /* its physical address: the CR3 value */
	cpumask_t pm_active;       /* CPUs whose CR3 is this pmap (seq_cst) */
	struct spinlock pm_ptlock; /* page-table page link/hold/unlink */
	uint64_t pm_resident;      /* leaf mappings, 4K and 2M (atomic) */
	uint64_t pm_ptpages;       /* page-table pages below the PML4 */
	uint64_t pm_flushes;       /* invalidation flushes started (atomic) */
	bool pm_is_kernel;         /* the kernel pmap: active everywhere */
};

extern vm_paddr_t kernel_pml4_pa; /* the one kernel PML4, every CPU's CR3 */
extern pt_entry_t pg_nx;          /* PG_NX when the CPU has it, else 0 */
extern pt_entry_t pg_g;           /* PG_G when the CPU has it, else 0 */
extern uint64_t dmap_top;         /* bytes of physical memory in the DMAP */
extern int pmap_promoted_2m;      /* kernel-image 2 MiB promotions */

void pmap_bootstrap(struct phys_ranges *avail, vm_paddr_t max_ram);
void pmap_prvspace_init(int cpuid);    /* back one CPU's per-CPU pages */
pt_entry_t *pmap_kpte(vm_offset_t va); /* 4K PTE of a kernel va, or NULL */
int pmap_count_kernel_pml4e(void);
int pmap_kremove_2m(vm_offset_t va); /* undo a KVA pmap_kpromote() */
/* The leaf entry (PTE, or PDE of a 2M mapping) for va, or 0 (tests). */
pt_entry_t pmap_pte_get(struct pmap *pm, vm_offset_t va);
/* Page-table pages pm holds below its PML4 (tests). */
uint64_t pmap_ptpages(struct pmap *pm);

#endif /* !_MACHINE_PMAP_H_ */
