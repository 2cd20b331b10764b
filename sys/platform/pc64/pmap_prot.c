/*
 * pmap_prot.c - what a user mapping allows, for the page-fault path
 * (sys/vm/vm_mmap.c:vm_fault): a fault on a present page is either
 * spurious (the PTE already allows the access: a stale TLB entry, which
 * the fault itself dropped) or needs the PTE widened.  Kept apart from
 * pmap.c: it only reads a leaf through pmap_pte_get().
 */
#include <vm/pmap.h>

#include <cpu/pte.h>
#include <machine/pmap.h>

int
pmap_extract_prot(struct pmap *pm, vm_offset_t va, vm_paddr_t *pap)
{
	pt_entry_t e = pmap_pte_get(pm, va);
	int prot = VM_PROT_READ;

	if ((e & PG_V) == 0)
		return -1;
	if (e & PG_RW)
		prot |= VM_PROT_WRITE;
	if ((e & PG_NX) == 0)
		prot |= VM_PROT_EXECUTE;
	/* A 2 MiB leaf (never for user memory here): its 4K frame. */
	if (e & PG_PS)
		*pap = (e & PG_PS_FRAME_2M) + (va & (NBPDR - 1) & ~PAGE_MASK);
	else
		*pap = e & PG_FRAME;
	return prot;
}
