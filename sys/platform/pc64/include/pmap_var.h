/*
 * pmap_var.h - what the pc64 pmap files share and nobody else uses:
 * pmap.c (the kernel pmap and bootstrap), pmap_user.c (user pmaps) and
 * pmap_window.c (the per-CPU windows).  Other code uses <vm/pmap.h> or
 * <machine/pmap.h>.
 */
#ifndef _MACHINE_PMAP_VAR_H_
#define _MACHINE_PMAP_VAR_H_

#include <cpu/pte.h>
#include <sys/types.h>
#include <vm/pmap.h>

#include <machine/pmap.h>
#include <machine/pmap_bug.h>
#include <machine/tlbsan.h>

/* The PTE bits a VM_PROT_* / PMAP_NOCACHE combination asks for. */
static inline pt_entry_t
pmap_prot_bits(int prot)
{
	pt_entry_t bits = 0;

	if (prot & VM_PROT_WRITE)
		bits |= PG_RW;
	if ((prot & VM_PROT_EXECUTE) == 0)
		bits |= pg_nx;
	if (prot & PMAP_NOCACHE)
		bits |= PG_PCD | PG_PWT;
	return bits;
}

/*
 * Does replacing old by new need a shootdown?  Only a valid old entry
 * whose frame or permissions differ: A and D do not count, because they
 * grant nothing a cached copy could misuse.
 */
static inline bool
pmap_pte_needs_inval(pt_entry_t old, pt_entry_t new)
{
	return (old & PG_V) != 0 && ((old ^ new) & ~(PG_A | PG_M)) != 0;
}

/*
 * The entry to store when new replaces old: new, plus old's A and D bits
 * when both map the same frame.  Those bits are that frame's history
 * (accessed, written), which a new entry for it must not forget; and
 * when the rights are the same too no invalidation is done, so a TLB
 * entry cached as dirty would survive a cleared D and the CPU would never
 * set it again.  Another frame is another mapping: its bits start clear.
 */
static inline pt_entry_t
pmap_pte_keep_ad(pt_entry_t old, pt_entry_t new)
{
	if ((old & PG_V) && ((old ^ new) & PG_FRAME) == 0)
		new |= old &(PG_A | PG_M);
	return new;
}

/* pmap.c: clear one kernel PTE; queue its old translation on b. */
void pmap_kremove_batch(vm_offset_t va, struct pmap_inval_batch *b);

/*
 * Every store the pmap makes to a live page-table entry (any level,
 * kernel or user) reports old and new here, after the store, with the
 * batch that will invalidate it (NULL: none).  The TLB sanitizer
 * (<machine/tlbsan.h>) turns the changes that weaken or remove a
 * translation into records of what each CPU may still hold; without
 * options TLBSAN this is empty.
 */
static inline void
pmap_san_change(const struct pmap *pm, vm_offset_t va, int level,
                pt_entry_t old, pt_entry_t new,
                const struct pmap_inval_batch *b)
{
#ifdef TLBSAN
	TLBSAN_HOOK(tlbsan_pte_change(
	    pm->pm_is_kernel ? TLBSAN_ROOT_KERNEL : pm->pm_pml4_pa, va, level,
	    old, new, b != NULL ? b->ib_seq : 0));
#else
	(void)pm, (void)va, (void)level, (void)old, (void)new, (void)b;
#endif
}

#endif /* !_MACHINE_PMAP_VAR_H_ */
