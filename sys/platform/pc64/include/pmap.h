/*
 * Machine-dependent pmap internals shared by pc64 files (machdep.c,
 * mp_machdep.c, the gdb helpers).  Machine-independent code uses
 * <vm/pmap.h> only.
 */
#ifndef _MACHINE_PMAP_H_
#define _MACHINE_PMAP_H_

#include <cpu/pte.h>
#include <sys/types.h>

struct phys_ranges;

extern vm_paddr_t kernel_pml4_pa; /* the one kernel PML4, every CPU's CR3 */
extern pt_entry_t pg_nx;	  /* PG_NX when the CPU has it, else 0 */
extern pt_entry_t pg_g;		  /* PG_G when the CPU has it, else 0 */
extern uint64_t dmap_top;	  /* bytes of physical memory in the DMAP */
extern int pmap_promoted_2m;	  /* kernel-image 2 MiB promotions */

void pmap_bootstrap(struct phys_ranges *avail, vm_paddr_t max_ram);
void pmap_prvspace_init(int cpuid); /* back one CPU's per-CPU pages */
pt_entry_t *pmap_kpte(vm_offset_t va); /* 4K PTE of a kernel va, or NULL */
int pmap_count_kernel_pml4e(void);
int pmap_kremove_2m(vm_offset_t va); /* undo a KVA pmap_kpromote() */

#endif /* !_MACHINE_PMAP_H_ */
