/*
 * The kernel's virtual address layout (see docs/ARCHITECTURE.md for the
 * table).  Only two PML4 slots belong to the kernel, and both are filled
 * at boot and never change afterwards:
 *
 *   slot 256  the direct map of all physical memory (DMAP)
 *   slot 511  everything else: the per-CPU window, kernel virtual memory
 *             (KVA) and the kernel image at -2 GiB
 *
 * Keeping the per-CPU pages inside slot 511, instead of giving each CPU
 * its own PML4 slot, is what lets every CPU run on one set of kernel page
 * tables and lets the CPU count grow without consuming PML4 slots.
 */
#ifndef _MACHINE_VMPARAM_H_
#define _MACHINE_VMPARAM_H_

#include <cpu/pte.h>

#define KPML4_DMAP   256 /* PML4 slot of the direct map */
#define KPML4_KERNEL 511 /* PML4 slot of the kernel */
#define NKPML4E      2   /* kernel PML4 entries, independent of CPU count */

#define VM_MAX_USER_ADDRESS 0x0000800000000000ul /* slots 0-255 */
/* End of what user mappings may use: Linux's TASK_SIZE (one page less). */
#define VM_USER_TOP 0x00007ffffffff000ul

#define DMAP_MIN_ADDRESS 0xffff800000000000ul /* slot 256 */
#define DMAP_MAX_ADDRESS (DMAP_MIN_ADDRESS + NBPML4)

/* Slot 511, PDP entry 0: the per-CPU window (MAXCPU x NPRIVPAGES pages). */
#define PRIVSPACE_ADDRESS 0xffffff8000000000ul
#define PRIVSPACE_MAXSIZE NBPDP /* the window may grow to 1 GiB */

/* Slot 511, PDP entries 1..4: kernel virtual memory (KVA), 4 GiB. */
#define KVA_MIN_ADDRESS 0xffffff8040000000ul
#define KVA_SIZE        (4ul * NBPDP)
#define KVA_MAX_ADDRESS (KVA_MIN_ADDRESS + KVA_SIZE)

/* Slot 511, PDP entries 510-511: the kernel image, linked at -2 GiB. */
#define KERNBASE    0xffffffff80000000ul
#define KERNLOAD_PA 0x200000ul /* physical load address (2 MiB) */

/* The AP trampoline lives in this physical page (below 1 MiB). */
#define MP_TRAMPOLINE_PA 0x8000ul

#define PHYS_TO_DMAP(pa) ((vm_offset_t)(pa) + DMAP_MIN_ADDRESS)
#define DMAP_TO_PHYS(va) ((vm_paddr_t)(va)-DMAP_MIN_ADDRESS)

#endif /* !_MACHINE_VMPARAM_H_ */
