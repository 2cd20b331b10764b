/*
 * Physical pages: one struct vm_page per page of RAM below the highest
 * usable address, and a free list.
 */
#ifndef _VM_VM_PAGE_H_
#define _VM_VM_PAGE_H_

#include <sys/types.h>

struct phys_ranges;

struct vm_page {
	struct vm_page *pg_next;     /* free-list link */
	uint32_t pg_flags;           /* VPF_* below */
	union {                      /* the owner's word; 0 when allocated */
		uint32_t pg_ptcount; /* user page table: entries + holds */
		uint32_t pg_kmtag;   /* kmalloc page: 'KM' tag + size class */
	};
};

#define VPF_FREE      0x1 /* on the free list */
#define VPF_RAM       0x2 /* usable RAM (else a hole or reserved) */
#define VPF_PAGETABLE 0x4 /* holds a page-table page */

void vm_page_startup(struct phys_ranges *avail);
struct vm_page *vm_page_alloc(void); /* zeroed page, or NULL */
/*
 * npages physically contiguous zeroed pages starting at a page index that
 * is a multiple of align (a power of two), or NULL.  Slow (scans every
 * page); free them one by one with vm_page_free().
 */
struct vm_page *vm_page_alloc_contig(uint64_t npages, uint64_t align);
void vm_page_free(struct vm_page *m);
vm_paddr_t vm_page_to_phys(struct vm_page *m);
struct vm_page *phys_to_vm_page(vm_paddr_t pa);
uint64_t vm_page_free_count(void);
uint64_t vm_page_total_count(void);

/* Minimum usable RAM: below this the kernel refuses to run. */
#define VM_MIN_USABLE_BYTES (32ul << 20)

#endif /* !_VM_VM_PAGE_H_ */
