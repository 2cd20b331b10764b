/*
 * pmap_user.c - user address spaces: pmap_create/destroy, enter, remove,
 * protect, extract, and pmap_activate() for the context switch.
 *
 * A user pmap owns PML4 slots 0-255 and carries copies of the kernel's
 * two upper-half entries (256, 511), which never change (pmap.c).
 * Levels: 4 is the PML4, 3 a PDP page, 2 a PD page, 1 a PT page.  The
 * PML4 is not counted (it lives as long as the pmap).
 *
 * Invariant: a page-table page below the PML4 is unlinked only when no
 * walker can be using it, and freed only when no CPU's page walk can.
 * Every other table page counts its valid entries plus transient holds
 * in its vm_page's pg_ptcount.  The per-pmap spin lock pm_ptlock covers
 * only the decisions about a page-table page's life: linking a new one,
 * taking a hold (every walker that will touch a page's entries holds
 * it), and unlinking an empty one (count 0, under the lock, so no hold
 * can be in progress and none can start: a hold is taken only under the
 * lock, through the parent entry the unlink clears).  An unlinked page
 * goes on the caller's invalidation batch and is freed only after every
 * CPU has acknowledged the shootdown (pmap_inval.c), because other CPUs'
 * page walks may still use it until then.
 *
 * Leaf entries are changed with an atomic xchg (remove) or a cmpxchg loop
 * (enter, protect) outside the lock, so no update is lost to a concurrent
 * one, and the A and D bits another CPU's page walk sets meanwhile are
 * seen in the old entry the exchange returns.  Protect keeps them in the
 * entry; remove and protect count them in the batch's ib_nmod/ib_nref;
 * enter carries them over when the new entry maps the same frame
 * (pmap_pte_keep_ad()).  When enter replaces a mapping by one of another
 * frame the old bits go with the old mapping: nothing in this kernel
 * consumes them (a pager would need pmap_enter to report them).  A thread's address space is its td_pmap; the
 * switch path calls pmap_activate(), whose pm_active protocol is argued
 * in pmap_inval.c.
 */
#include <vm/pmap.h>

#include <cpu/cpufunc.h>
#include <machine/globaldata.h>
#include <machine/pmap.h>
#include <machine/pmap_inval.h>
#include <machine/pmap_var.h>
#include <machine/vmparam.h>
#include <sys/clock.h>
#include <sys/lwkt_ipiq.h>
#include <sys/malloc.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/vm_page.h>

#ifdef KTEST
#include "pmap_test_var.h"
#endif

#define LK_NOMEM (-1) /* upt_lookup: out of memory */
#define LK_LARGE (-2) /* upt_lookup: a 2 MiB mapping is in the way */

static unsigned
lvl_index(vm_offset_t va, int lvl)
{
	return (va >> (PAGE_SHIFT + 9 * (lvl - 1))) & 511;
}

/* Bytes one table page at level lvl covers. */
static uint64_t
lvl_span(int lvl)
{
	return 1ul << (PAGE_SHIFT + 9 * lvl);
}

static struct vm_page *
table_page(pt_entry_t *table)
{
	return phys_to_vm_page(DMAP_TO_PHYS((vm_offset_t)table));
}

static pt_entry_t *
entry_table(pt_entry_t e)
{
	return (pt_entry_t *)PHYS_TO_DMAP(e & PG_FRAME);
}

/*
 * With pm_ptlock held: the table at level lvl that covers va, linking
 * missing tables when alloc.  NULL with *why = LK_NOMEM, LK_LARGE, or
 * the level (4..lvl+1) whose entry was missing, so a walker can skip the
 * empty span.
 */
static pt_entry_t *
upt_lookup_locked(struct pmap *pm, vm_offset_t va, int lvl, bool alloc,
                  int *why)
{
	pt_entry_t *table = pm->pm_pml4;
	int l = 4;

	while (l > lvl) {
		pt_entry_t *ep = &table[lvl_index(va, l)];
		pt_entry_t e = __atomic_load_n(ep, __ATOMIC_ACQUIRE), ne;
		struct vm_page *m;

		if (e & PG_V) {
			if (e & PG_PS) {
				*why = LK_LARGE;
				return NULL;
			}
			table = entry_table(e);
			l--;
			continue;
		}
		if (!alloc) {
			*why = l;
			return NULL;
		}
		m = vm_page_alloc(); /* zeroed */
		if (m == NULL) {
			*why = LK_NOMEM;
			return NULL;
		}
		m->pg_flags |= VPF_PAGETABLE;
		m->pg_ptcount = 0;
		ne = vm_page_to_phys(m) | PG_V | PG_RW | PG_U;
		/* Only a 2 MiB enter (no lock) can race here: re-read. */
		if (!__atomic_compare_exchange_n(ep, &e, ne, false,
		                                 __ATOMIC_SEQ_CST,
		                                 __ATOMIC_SEQ_CST)) {
			vm_page_free(m);
			continue;
		}
		if (l < 4)
			__atomic_fetch_add(&table_page(table)->pg_ptcount, 1,
			                   __ATOMIC_SEQ_CST);
		pm->pm_ptpages++;
		table = entry_table(ne);
		l--;
	}
	return table;
}

/* The level-lvl table covering va, with a hold on it; NULL as above. */
static pt_entry_t *
pt_hold(struct pmap *pm, vm_offset_t va, int lvl, bool alloc, int *why)
{
	pt_entry_t *t;

	spin_lock(&pm->pm_ptlock);
	t = upt_lookup_locked(pm, va, lvl, alloc, why);
	if (t != NULL)
		__atomic_fetch_add(&table_page(t)->pg_ptcount, 1,
		                   __ATOMIC_SEQ_CST);
	spin_unlock(&pm->pm_ptlock);
	return t;
}

/*
 * Unlink empty tables, from level lvl upwards, onto b's deferred-free
 * list.  A page is unlinked only if, under the lock, its count is 0 and
 * its parent entry still points at it (another CPU may have reaped it
 * first).  A page of its span goes on b, so the targets' INVLPG also
 * drops the cached upper-level entries that pointed at it.
 */
static void
pt_reap(struct pmap *pm, vm_offset_t va, int lvl, pt_entry_t *t,
        struct pmap_inval_batch *b)
{
	spin_lock(&pm->pm_ptlock);
	while (lvl < 4) {
		struct vm_page *m = table_page(t);
		pt_entry_t *parent, *ep;
		vm_offset_t base;
		int why;

		if (__atomic_load_n(&m->pg_ptcount, __ATOMIC_SEQ_CST) != 0)
			break;
		parent = upt_lookup_locked(pm, va, lvl + 1, false, &why);
		if (parent == NULL)
			break;
		ep = &parent[lvl_index(va, lvl + 1)];
		if ((*ep & PG_V) == 0 ||
		    (*ep & PG_FRAME) != DMAP_TO_PHYS((vm_offset_t)t))
			break;
		pmap_san_change(pm, va, lvl + 1,
		                __atomic_exchange_n(ep, 0, __ATOMIC_SEQ_CST), 0,
		                b);
		pm->pm_ptpages--;
		mycpu->gd_cnt.pc_ptpage_reaped++;
		if (PMAP_BUG(PT_EARLY_FREE))
			vm_page_free(m); /* mutant: CPUs may still walk it */
		else
			pmap_inval_defer_page(b, m);
		base = rounddown2(va, lvl_span(lvl));
		if (!PMAP_BUG(PT_NOINVAL))
			pmap_inval_add(b, base, base + PAGE_SIZE);
		if (lvl + 1 == 4 ||
		    __atomic_sub_fetch(&table_page(parent)->pg_ptcount, 1,
		                       __ATOMIC_SEQ_CST) != 0)
			break;
		t = parent;
		lvl++;
	}
	spin_unlock(&pm->pm_ptlock);
}

static void
pt_unhold(struct pmap *pm, vm_offset_t va, int lvl, pt_entry_t *t,
          struct pmap_inval_batch *b)
{
	if (__atomic_sub_fetch(&table_page(t)->pg_ptcount, 1,
	                       __ATOMIC_SEQ_CST) == 0)
		pt_reap(pm, va, lvl, t, b);
}

/* An entry left the table: its count drops (a hold keeps it >= 1). */
static void
pt_entry_gone(pt_entry_t *t)
{
	__atomic_fetch_sub(&table_page(t)->pg_ptcount, 1, __ATOMIC_SEQ_CST);
}

/* User mappings are never global: a CR3 load must drop them. */
static pt_entry_t
user_pte(vm_paddr_t pa, int prot)
{
	return (pa & PG_FRAME) | PG_V | PG_U | pmap_prot_bits(prot);
}

static void
record_old(struct pmap_inval_batch *b, pt_entry_t old)
{
	b->ib_nchanged++;
	if (old & PG_M)
		b->ib_nmod++;
	if (old & PG_A)
		b->ib_nref++;
}

struct pmap *
pmap_create(void)
{
	struct pmap *pm = kmalloc(sizeof(*pm), M_ZERO | M_NULLOK);
	struct vm_page *m;

	if (pm == NULL)
		return NULL;
	m = vm_page_alloc();
	if (m == NULL) {
		kfree(pm);
		return NULL;
	}
	m->pg_flags |= VPF_PAGETABLE;
	pm->pm_pml4_pa = vm_page_to_phys(m);
	pm->pm_pml4 = (pt_entry_t *)PHYS_TO_DMAP(pm->pm_pml4_pa);
	pm->pm_ptlock = (struct spinlock)SPINLOCK_INITIALIZER("pmap");
	/* Valid forever: these two entries never change (pmap.c). */
	pm->pm_pml4[KPML4_DMAP] = pmap_kernel()->pm_pml4[KPML4_DMAP];
	pm->pm_pml4[KPML4_KERNEL] = pmap_kernel()->pm_pml4[KPML4_KERNEL];
	return pm;
}

/* Free every table below entry table[i] at level lvl (pmap inactive). */
static void
free_tables(pt_entry_t *table, int lvl)
{
	int i;

	for (i = 0; i < NPTEPG; i++) {
		pt_entry_t e = table[i];

		if ((e & PG_V) == 0 || (e & PG_PS) || lvl == 1)
			continue;
		free_tables(entry_table(e), lvl - 1);
		vm_page_free(phys_to_vm_page(e & PG_FRAME));
	}
}

void
pmap_destroy(struct pmap *pm)
{
	uint64_t start = nanouptime();
	bool warned = false;
	int i;

	KASSERT(!pm->pm_is_kernel, "pmap_destroy: the kernel pmap");
	/* A thread that just stopped using it may still be switching out. */
	while (!cpumask_isempty(&pm->pm_active)) {
		uint64_t waited = nanouptime() - start;

		lwkt_process_ipiq();
		cpu_pause();
		if (waited > 10 * NS_PER_S)
			panic("pmap_destroy: pmap %p still active", pm);
		if (waited > NS_PER_S && !warned) {
			char buf[64];

			cpumask_snprintf(buf, sizeof(buf), &pm->pm_active);
			kprintf("pmap: warning: destroying pmap %p: cpus %s "
			        "still run on it after 1 s\n",
			        pm, buf);
			warned = true;
		}
	}
	pmap_remove(pm, 0, VM_MAX_USER_ADDRESS);
	TLBSAN_HOOK(tlbsan_check_root(pm->pm_pml4_pa, "pmap_destroy"));
	/*
	 * Tables an enter linked but never filled (it ran out of memory)
	 * were not reaped.  No CPU runs on the pmap and its last shootdown
	 * has completed, so they can go straight back.
	 */
	for (i = 0; i < NPTEPG / 2; i++) {
		pt_entry_t e = pm->pm_pml4[i];

		if ((e & PG_V) == 0)
			continue;
		free_tables(entry_table(e), 3);
		vm_page_free(phys_to_vm_page(e & PG_FRAME));
	}
	vm_page_free(phys_to_vm_page(pm->pm_pml4_pa));
	kfree(pm);
}

int
pmap_enter(struct pmap *pm, vm_offset_t va, vm_paddr_t pa, int prot, int flags)
{
	struct pmap_inval_batch b;
	pt_entry_t npte = user_pte(pa, prot), old, new, *t, *ep;
	int why;

	if (pm->pm_is_kernel) {
		if (flags & PMAP_ENTER_2M)
			return -1;
		pmap_kenter(va, pa, prot);
		return 0;
	}
	KASSERT(va < VM_MAX_USER_ADDRESS && (va & PAGE_MASK) == 0,
	        "pmap_enter: bad user address");
	pmap_inval_batch_init(&b, pm);
	if (flags & PMAP_ENTER_2M) {
		pt_entry_t *pdep;

		if ((va & (NBPDR - 1)) != 0 || (pa & (NBPDR - 1)) != 0)
			return -1;
		t = pt_hold(pm, va, 2, true, &why);
		if (t == NULL)
			return -1;
		pdep = &t[pd_index(va)];
		npte |= PG_PS;
		old = __atomic_load_n(pdep, __ATOMIC_SEQ_CST);
		do {
			if ((old & PG_V) && !(old & PG_PS)) {
				/* A PT page is there: no demotion/promotion. */
				pt_unhold(pm, va, 2, t, &b);
				pmap_inval_batch_wait(&b);
				return -1;
			}
			new = pmap_pte_keep_ad(old, npte);
		} while (!__atomic_compare_exchange_n(pdep, &old, new, false,
		                                      __ATOMIC_SEQ_CST,
		                                      __ATOMIC_SEQ_CST));
		pmap_san_change(pm, va, TLBSAN_PD, old, new, &b);
		if (old & PG_V) {
			if (pmap_pte_needs_inval(old, new))
				pmap_inval_add(&b, va, va + PAGE_SIZE);
			pt_unhold(pm, va, 2, t,
			          &b); /* replaced: no new entry */
		} else {
			__atomic_fetch_add(
			    &pm->pm_resident, 1,
			    __ATOMIC_RELAXED); /* the hold becomes the entry */
		}
		mycpu->gd_cnt.pc_enter_2m++;
		pmap_inval_batch_wait(&b);
		return 0;
	}
	t = pt_hold(pm, va, 1, true, &why);
	if (t == NULL)
		return -1;
	/* cmpxchg: A/D a page walk sets meanwhile carry over (same frame). */
	ep = &t[pt_index(va)];
	old = __atomic_load_n(ep, __ATOMIC_SEQ_CST);
	do {
		new = pmap_pte_keep_ad(old, npte);
	} while (!__atomic_compare_exchange_n(
	    ep, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	pmap_san_change(pm, va, TLBSAN_PT, old, new, &b);
	if (old & PG_V) {
		if (pmap_pte_needs_inval(old, new))
			pmap_inval_add(&b, va, va + PAGE_SIZE);
		pt_unhold(pm, va, 1, t, &b);
	} else {
		__atomic_fetch_add(&pm->pm_resident, 1, __ATOMIC_RELAXED);
	}
	pmap_inval_batch_wait(&b);
	return 0;
}

/*
 * Apply fn to every valid leaf in [sva, eva), skipping empty spans.  fn
 * gets the entry's address, its va and size, and the table that holds it
 * (held).  A 2 MiB mapping is handled as a whole when the range touches
 * any part of it (there is no demotion).
 */
typedef void (*leaf_fn_t)(struct pmap *pm, pt_entry_t *ep, pt_entry_t *t,
                          vm_offset_t va, bool large, int prot,
                          struct pmap_inval_batch *b);

static void
upt_range(struct pmap *pm, vm_offset_t sva, vm_offset_t eva, leaf_fn_t fn,
          int prot, struct pmap_inval_batch *b)
{
	vm_offset_t va = sva;

	if (eva > VM_MAX_USER_ADDRESS)
		eva = VM_MAX_USER_ADDRESS;
	while (va < eva) {
		vm_offset_t pdva = va, pdend;
		pt_entry_t *pd;
		int why;

		pd = pt_hold(pm, va, 2, false, &why);
		if (pd == NULL) {
			/* Entry at level why is missing: skip its span. */
			va = rounddown2(va, lvl_span(why - 1)) +
			     lvl_span(why - 1);
			continue;
		}
		pdend = MIN(eva, rounddown2(va, NBPDP) + NBPDP);
		while (va < pdend) {
			vm_offset_t next = rounddown2(va, NBPDR) + NBPDR;
			pt_entry_t *pdep = &pd[pd_index(va)], pde, *pt;
			vm_offset_t v, end = MIN(pdend, next);

			pde = __atomic_load_n(pdep, __ATOMIC_SEQ_CST);
			if ((pde & PG_V) == 0) {
				va = next;
				continue;
			}
			if (pde & PG_PS) {
				fn(pm, pdep, pd, rounddown2(va, NBPDR), true,
				   prot, b);
				va = next;
				continue;
			}
			pt = pt_hold(pm, va, 1, false, &why);
			if (pt == NULL) { /* reaped meanwhile */
				va = next;
				continue;
			}
			for (v = va; v < end; v += PAGE_SIZE) {
				pt_entry_t *ep = &pt[pt_index(v)];

				if (__atomic_load_n(ep, __ATOMIC_RELAXED) &
				    PG_V)
					fn(pm, ep, pt, v, false, prot, b);
			}
			pt_unhold(pm, va, 1, pt, b);
			va = next;
		}
		pt_unhold(pm, pdva, 2, pd, b);
	}
}

static void
remove_leaf(struct pmap *pm, pt_entry_t *ep, pt_entry_t *t, vm_offset_t va,
            bool large, int prot, struct pmap_inval_batch *b)
{
	pt_entry_t old = __atomic_exchange_n(ep, 0, __ATOMIC_SEQ_CST);

	(void)prot;
	if ((old & PG_V) == 0)
		return;
	pmap_san_change(pm, va, large ? TLBSAN_PD : TLBSAN_PT, old, 0, b);
	record_old(b, old);
	pt_entry_gone(t);
	__atomic_fetch_sub(&pm->pm_resident, 1, __ATOMIC_RELAXED);
	/* One INVLPG drops a whole 2 MiB translation. */
	pmap_inval_add(b, va, va + PAGE_SIZE);
	/* Anonymous user memory: the frame is free once the flush acks. */
	if (b->ib_free_leaves && !large)
		pmap_inval_batch_defer_free(b, old & PG_FRAME);
}

static void
protect_leaf(struct pmap *pm, pt_entry_t *ep, pt_entry_t *t, vm_offset_t va,
             bool large, int prot, struct pmap_inval_batch *b)
{
	pt_entry_t old = __atomic_load_n(ep, __ATOMIC_SEQ_CST), npte;
	bool lost_write, lost_exec;

	(void)t;
	/* cmpxchg: fails and retries if a page walk set A or D meanwhile. */
	do {
		if ((old & PG_V) == 0)
			return;
		npte = old;
		if ((prot & VM_PROT_WRITE) == 0)
			npte &= ~PG_RW;
		else
			npte |= PG_RW;
		if ((prot & VM_PROT_EXECUTE) == 0)
			npte |= pg_nx;
		else
			npte &= ~pg_nx;
		if (npte == old)
			return;
	} while (!__atomic_compare_exchange_n(
	    ep, &old, npte, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	pmap_san_change(pm, va, large ? TLBSAN_PD : TLBSAN_PT, old, npte, b);
	/*
	 * Only a narrowing needs a shootdown.  A pure widening (write or
	 * execute granted) leaves other CPUs at worst with the old, weaker
	 * translation, which the SDM lets them keep (4.10.4.3): an access
	 * it forbids raises a page fault, the fault drops that TLB entry,
	 * and vm_fault() finds the PTE already allows it (its "spurious"
	 * case) and returns, so the access is retried on the new PTE.
	 */
	lost_write = (old & PG_RW) != 0 && (npte & PG_RW) == 0;
	lost_exec = (npte & pg_nx) != 0 && (old & pg_nx) == 0;
	if (!lost_write && !lost_exec)
		return;
	record_old(b, old);
	if (!PMAP_BUG(PROTECT_NOINVAL))
		pmap_inval_add(b, va, va + PAGE_SIZE);
}

void
pmap_remove_batch(struct pmap *pm, vm_offset_t sva, vm_offset_t eva,
                  struct pmap_inval_batch *b)
{
	vm_offset_t va;

	KASSERT(b->ib_pmap == pm, "pmap_remove_batch: batch of another pmap");
	if (pm->pm_is_kernel) {
		for (va = sva; va < eva; va += PAGE_SIZE)
			pmap_kremove_batch(va, b);
		return;
	}
	upt_range(pm, sva, eva, remove_leaf, 0, b);
}

void
pmap_protect_batch(struct pmap *pm, vm_offset_t sva, vm_offset_t eva, int prot,
                   struct pmap_inval_batch *b)
{
	KASSERT(b->ib_pmap == pm, "pmap_protect_batch: batch of another pmap");
	KASSERT(!pm->pm_is_kernel, "pmap_protect_batch: kernel pmap");
	if ((prot & VM_PROT_READ) == 0) {
		upt_range(pm, sva, eva, remove_leaf, 0, b);
		return;
	}
	upt_range(pm, sva, eva, protect_leaf, prot, b);
}

void
pmap_remove(struct pmap *pm, vm_offset_t sva, vm_offset_t eva)
{
	struct pmap_inval_batch b;

	pmap_inval_batch_init(&b, pm);
	pmap_remove_batch(pm, sva, eva, &b);
	pmap_inval_batch_wait(&b);
}

void
pmap_protect(struct pmap *pm, vm_offset_t sva, vm_offset_t eva, int prot)
{
	struct pmap_inval_batch b;

	pmap_inval_batch_init(&b, pm);
	pmap_protect_batch(pm, sva, eva, prot, &b);
	pmap_inval_batch_wait(&b);
}

/* The leaf entry for va and its page size (0 when none), under the lock. */
static pt_entry_t
leaf_get(struct pmap *pm, vm_offset_t va, uint64_t *size)
{
	pt_entry_t *t, e = 0;
	int why;

	*size = 0;
	spin_lock(&pm->pm_ptlock);
	t = upt_lookup_locked(pm, va, 1, false, &why);
	if (t != NULL) {
		e = __atomic_load_n(&t[pt_index(va)], __ATOMIC_SEQ_CST);
		*size = PAGE_SIZE;
	} else if (why == LK_LARGE) {
		t = upt_lookup_locked(pm, va, 2, false, &why);
		e = __atomic_load_n(&t[pd_index(va)], __ATOMIC_SEQ_CST);
		*size = NBPDR;
	}
	spin_unlock(&pm->pm_ptlock);
	return (e & PG_V) ? e : 0;
}

vm_paddr_t
pmap_extract(struct pmap *pm, vm_offset_t va)
{
	uint64_t size;
	pt_entry_t e;

	if (pm->pm_is_kernel)
		return pmap_kextract(va);
	e = leaf_get(pm, va, &size);
	if (e == 0)
		return ~0ull;
	return (e & PG_FRAME & ~(size - 1)) | (va & (size - 1));
}

pt_entry_t
pmap_pte_get(struct pmap *pm, vm_offset_t va)
{
	uint64_t size;

	return leaf_get(pm, va, &size);
}

uint64_t
pmap_ptpages(struct pmap *pm)
{
	return __atomic_load_n(&pm->pm_ptpages, __ATOMIC_RELAXED);
}

/*
 * Switch this CPU to next's page tables (NULL or the kernel pmap: kernel
 * only).  Interrupts are off, so no invalidation message runs half-way.
 * The order is the protocol of pmap_inval.c: announce before the CR3
 * load, withdraw after it (model: test/model/pmap_active.pml).
 */
void
pmap_activate(struct pmap *next)
{
	struct mdglobaldata *md = mdcpu;
	struct pmap *prev = md->gd_curpmap;
	int me = md->mi.gd_cpuid;

	if (next != NULL && next->pm_is_kernel)
		next = NULL;
	if (next == prev)
		return;
	if (next != NULL)
		cpumask_atomic_set(&next->pm_active, me);
	if (PMAP_BUG(ACTIVE_EARLY) && prev != NULL) {
		/* mutant: a shootdown now skips us while CR3 still has prev */
		TLBSAN_HOOK(tlbsan_pm_inactive(prev->pm_pml4_pa));
		cpumask_atomic_clear(&prev->pm_active, me);
		prev = NULL;
	}
	load_cr3(next != NULL ? next->pm_pml4_pa : kernel_pml4_pa);
	md->gd_curpmap = next;
	if (prev != NULL) {
		TLBSAN_HOOK(tlbsan_pm_inactive(prev->pm_pml4_pa));
		cpumask_atomic_clear(&prev->pm_active, me);
	}
}

#ifdef KTEST
/*
 * Tests only (pmap_mp_test.c): take and drop the hold a walker keeps on
 * the page table covering va.  A test empties a table while it holds it
 * and watches its own release reap the table in a batch that changed no
 * leaf -- the interleaving the reap stress scenario reaches only when a
 * race goes its way.
 */
bool
pmap_test_pt_hold(struct pmap *pm, vm_offset_t va)
{
	int why;

	return pt_hold(pm, va, 1, false, &why) != NULL;
}

void
pmap_test_pt_unhold(struct pmap *pm, vm_offset_t va, struct pmap_inval_batch *b)
{
	pt_entry_t *pt;
	int why;

	spin_lock(&pm->pm_ptlock);
	pt = upt_lookup_locked(pm, va, 1, false, &why);
	spin_unlock(&pm->pm_ptlock);
	KASSERT(pt != NULL, "pmap_test_pt_unhold: no table held there");
	pt_unhold(pm, va, 1, pt, b);
}
#endif /* KTEST */
