/*
 * pmap_window.c - the per-CPU temporary mapping windows (CADDR1..3 in
 * each CPU's privatespace), and what uses them: pmap_zero_page() and
 * pmap_copy_page().
 *
 * Invariant: only the owning CPU ever maps or reads its windows, and it
 * does so with interrupts disabled, so nothing else can observe or change
 * them in between.  No other CPU's code ever dereferences this CPU's
 * CADDR addresses, so whatever another TLB may hold for them is never
 * used; the only stale entry that matters is in the owner's own TLB, and
 * a local invlpg before each use removes it.  So the windows need no
 * shootdown and never cause an IPI: that is the point of giving every CPU
 * its own windows inside the shared kernel slot.  Their PT pages exist
 * from boot (pmap_bootstrap) and gd_cmap_pte points straight at the PTEs.
 */
#include <vm/pmap.h>

#include <cpu/cpufunc.h>
#include <machine/globaldata.h>
#include <machine/pmap.h>
#include <sys/systm.h>

static void
count_invlpg(vm_offset_t va)
{
	invlpg(va);
	mycpu->gd_cnt.pc_invlpg++;
}

static void *
cmap_enter(int idx, vm_paddr_t pa)
{
	struct mdglobaldata *gd = mdcpu;
	void *va = gd->gd_prvspace->CADDR[idx];

	__atomic_store_n(gd->gd_cmap_pte[idx],
	                 (pa & PG_FRAME) | PG_V | PG_RW | pg_nx,
	                 __ATOMIC_RELAXED);
	count_invlpg((vm_offset_t)va);
	gd->mi.gd_cnt.pc_cmap_use++;
	return va;
}

static void
cmap_remove(int idx)
{
	__atomic_store_n(mdcpu->gd_cmap_pte[idx], 0, __ATOMIC_RELAXED);
}

void
pmap_zero_page(vm_paddr_t pa)
{
	uint64_t flags = intr_disable();

	memset(cmap_enter(0, pa), 0, PAGE_SIZE);
	cmap_remove(0);
	intr_restore(flags);
}

void
pmap_copy_page(vm_paddr_t src, vm_paddr_t dst)
{
	uint64_t flags = intr_disable();

	memcpy(cmap_enter(1, dst), cmap_enter(0, src), PAGE_SIZE);
	cmap_remove(0);
	cmap_remove(1);
	intr_restore(flags);
}
