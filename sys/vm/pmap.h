/*
 * The pmap interface machine-independent code uses.  The implementation
 * is machine dependent (sys/platform/pc64/pmap.c).
 */
#ifndef _VM_PMAP_H_
#define _VM_PMAP_H_

#include <sys/types.h>

/* Protection and mapping flags for pmap_kenter() and friends. */
#define VM_PROT_READ	0x1 /* readable */
#define VM_PROT_WRITE	0x2 /* writable */
#define VM_PROT_EXECUTE 0x4 /* executable */
#define PMAP_NOCACHE	0x100 /* uncached (device memory) */

void pmap_kenter(vm_offset_t va, vm_paddr_t pa, int prot);
void pmap_kremove(vm_offset_t va);
vm_paddr_t pmap_kextract(vm_offset_t va); /* ~0 when unmapped */
void *pmap_map_dmap(vm_paddr_t pa);	    /* direct-map address of pa */
void pmap_zero_page(vm_paddr_t pa);	    /* via this CPU's window */
void pmap_copy_page(vm_paddr_t src, vm_paddr_t dst); /* via windows */
int pmap_kpromote(vm_offset_t va);	    /* 4K -> 2 MiB if possible */

/* One step of a page-table walk, for debuggers and tests. */
struct pmap_walk {
	int pw_levels;		/* levels visited (1..4) */
	uint64_t pw_entry[4];	/* PML4E, PDPE, PDE, PTE as read */
	vm_paddr_t pw_pa;	/* final physical address, ~0 if unmapped */
	uint64_t pw_pagesize;	/* 4K, 2M or 1G */
};
void pmap_kwalk(uint64_t cr3, vm_offset_t va, struct pmap_walk *w);
void pmap_print_walk(vm_offset_t va, const struct pmap_walk *w);

#endif /* !_VM_PMAP_H_ */
