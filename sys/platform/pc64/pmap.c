/*
 * pmap.c - the kernel pmap: bootstrap, kernel mappings (kenter, qenter,
 * kpromote), page-table walks, and pmap_mp_init().
 *
 * pmap_bootstrap() replaces the temporary boot page tables with the
 * kernel's own, built once and then shared by every CPU:
 *
 *   PML4[256]  direct map of physical memory: 1 GiB pages when the CPU
 *              has them, else 2 MiB pages; RW, NX, global.
 *   PML4[511]  PDP entry 0: the per-CPU window (its PD and every PT page
 *              for MAXCPU CPUs are allocated here, at boot);
 *              PDP entries 1-4: KVA (PD pages allocated here, PT pages on
 *              demand); PDP entry 510: the kernel image, 4 KiB pages with
 *              text R+X, rodata R+NX, data/bss RW+NX, then every 2 MiB
 *              chunk that has one permission throughout is promoted.
 *
 * Invariant: after pmap_bootstrap() no kernel PML4 or PDP entry ever
 * changes; kernel growth only adds PT pages below PD pages that already
 * exist.  So the copy of PML4 entries 256 and 511 that pmap_create() puts
 * in every user PML4 can never go stale: the entries point at the same
 * PDP pages forever, and everything below them is shared, so a kernel
 * mapping made later is visible through every address space at once and
 * no CPU ever needs to be told about a new kernel PML4 entry.  There is
 * no identity map: a NULL dereference faults.
 *
 * User pmaps live in pmap_user.c, the per-CPU windows in pmap_window.c,
 * shootdowns in pmap_inval.c, the pmap message service in
 * sys/vm/pmap_msg.c.  Kernel PTEs are changed atomically (xchg to
 * remove, a cmpxchg loop to enter) and every replaced or removed
 * translation, 4K or 2 MiB, goes through the shootdown protocol
 * (pmap_inval.c): the kernel pmap is active on every CPU.  A page-table
 * page retired by a promotion is freed only after every CPU has
 * acknowledged that shootdown.
 *
 * Until pmap_bootstrap() switches CR3, page-table pages are reached
 * through the boot map of the first 1 GiB at KERNBASE, so the boot
 * allocator only hands out pages below 1 GiB; afterwards they are reached
 * through the direct map.
 */
#include <machine/pmap.h>

#include <cpu/cpufunc.h>
#include <cpu/specialreg.h>
#include <machine/globaldata.h>
#include <machine/md_var.h>
#include <machine/pmap_inval.h>
#include <machine/pmap_var.h>
#include <machine/vmparam.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/pmap_msg.h>
#include <vm/vm_page.h>
#include <vm/vm_phys.h>

vm_paddr_t kernel_pml4_pa;
pt_entry_t pg_nx;
pt_entry_t pg_g;
uint64_t dmap_top;
int pmap_promoted_2m;

static pt_entry_t *kpml4;              /* kernel PML4 (virtual) */
static struct phys_ranges *boot_avail; /* boot allocator's memory */
static bool dmap_ready;                /* CR3 switched: use the DMAP */
static struct spinlock kpt_lock = SPINLOCK_INITIALIZER("kernel PT alloc");
static struct pmap kernel_pmap_store; /* pmap_kernel() */

struct pmap *
pmap_kernel(void)
{
	return &kernel_pmap_store;
}

static void *
pt_va(vm_paddr_t pa)
{
	return (void *)(dmap_ready ? PHYS_TO_DMAP(pa) : KERNBASE + pa);
}

void *
pmap_map_dmap(vm_paddr_t pa)
{
	return (void *)PHYS_TO_DMAP(pa);
}

/* A zeroed page for a page table, from the boot ranges or the allocator. */
static vm_paddr_t
pt_page_alloc(void)
{
	vm_paddr_t pa;

	if (boot_avail != NULL) {
		pa = phys_ranges_steal(boot_avail, PAGE_SIZE, PAGE_SIZE,
		                       dmap_ready ? dmap_top : NBPDP);
		if (pa == 0)
			panic("pmap: no memory for boot page tables");
		memset(pt_va(pa), 0, PAGE_SIZE);
		return pa;
	}
	struct vm_page *m = vm_page_alloc();
	if (m == NULL)
		panic("pmap: out of memory for a kernel page-table page");
	m->pg_flags |= VPF_PAGETABLE;
	/* Counted so leak checks can tell kernel growth from a leak. */
	__atomic_fetch_add(&kernel_pmap_store.pm_ptpages, 1, __ATOMIC_RELAXED);
	return vm_page_to_phys(m);
}

static pt_entry_t
kimage_prot(vm_offset_t va)
{
	if (va < (vm_offset_t)_etext)
		return PG_V | pg_g; /* text: read + execute */
	if (va < (vm_offset_t)_erodata)
		return PG_V | pg_g | pg_nx; /* rodata */
	if (va < (vm_offset_t)_ksyms_start)
		return PG_V | PG_RW | pg_g | pg_nx; /* data, bss */
	return PG_V | pg_g | pg_nx;                 /* symbol table */
}

/*
 * Return the 4K PTE for a kernel va, allocating the PT page when alloc is
 * set.  The PML4 and PDP levels must exist (see the invariant above); a
 * 2 MiB mapping has no PTE, so NULL comes back.
 */
static pt_entry_t *
kpte_lookup(vm_offset_t va, bool alloc)
{
	pt_entry_t *pdpt, *pd, pde;

	if ((kpml4[pml4_index(va)] & PG_V) == 0)
		return NULL;
	pdpt = pt_va(kpml4[pml4_index(va)] & PG_FRAME);
	if ((pdpt[pdp_index(va)] & PG_V) == 0 || (pdpt[pdp_index(va)] & PG_PS))
		return NULL;
	pd = pt_va(pdpt[pdp_index(va)] & PG_FRAME);
	pde = __atomic_load_n(&pd[pd_index(va)], __ATOMIC_ACQUIRE);
	if ((pde & PG_V) == 0) {
		if (!alloc)
			return NULL;
		spin_lock(&kpt_lock);
		pde = pd[pd_index(va)];
		if ((pde & PG_V) == 0) {
			pde = pt_page_alloc() | PG_V | PG_RW;
			/* Publish the zeroed PT page only once it is ready. */
			__atomic_store_n(&pd[pd_index(va)], pde,
			                 __ATOMIC_RELEASE);
		}
		spin_unlock(&kpt_lock);
	}
	if (pde & PG_PS)
		return NULL;
	return (pt_entry_t *)pt_va(pde & PG_FRAME) + pt_index(va);
}

pt_entry_t *
pmap_kpte(vm_offset_t va)
{
	return kpte_lookup(va, false);
}

/* Kernel mappings are global: the same in every address space. */
static pt_entry_t
kernel_pte(vm_paddr_t pa, int prot)
{
	return (pa & PG_FRAME) | PG_V | pg_g | pmap_prot_bits(prot);
}

/*
 * Set one kernel PTE; queue the old translation on b if it changes.  A
 * cmpxchg loop, so A/D bits a page walk sets meanwhile are seen: when the
 * frame stays the same they carry over (pmap_pte_keep_ad()).
 */
static void
kenter_batch(vm_offset_t va, vm_paddr_t pa, int prot,
             struct pmap_inval_batch *b)
{
	pt_entry_t *pte = kpte_lookup(va, true);
	pt_entry_t npte = kernel_pte(pa, prot), opte, new;

	if (pte == NULL)
		panic("pmap_kenter: %#lx is not in a 4K-mapped kernel region",
		      va);
	opte = __atomic_load_n(pte, __ATOMIC_SEQ_CST);
	do {
		new = pmap_pte_keep_ad(opte, npte);
	} while (!__atomic_compare_exchange_n(
	    pte, &opte, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	pmap_san_change(&kernel_pmap_store, va, TLBSAN_PT, opte, new, b);
	if (pmap_pte_needs_inval(opte, new))
		pmap_inval_add(b, va, va + PAGE_SIZE);
}

/*
 * Map a kernel page.  Replacing a different mapping shoots the old one
 * down on every CPU (the kernel pmap is active everywhere).
 */
void
pmap_kenter(vm_offset_t va, vm_paddr_t pa, int prot)
{
	struct pmap_inval_batch b;

	pmap_inval_batch_init(&b, &kernel_pmap_store);
	kenter_batch(va, pa, prot, &b);
	pmap_inval_batch_wait(&b);
}

void
pmap_kremove_batch(vm_offset_t va, struct pmap_inval_batch *b)
{
	pt_entry_t *pte = kpte_lookup(va, false), old;

	if (pte == NULL)
		return;
	old = __atomic_exchange_n(pte, 0, __ATOMIC_SEQ_CST);
	pmap_san_change(&kernel_pmap_store, va, TLBSAN_PT, old, 0, b);
	if (old & PG_V)
		pmap_inval_add(b, va, va + PAGE_SIZE);
}

/*
 * Remove a kernel mapping: invalidated on every online CPU (halted ones
 * flush when they wake) before this returns.
 */
void
pmap_kremove(vm_offset_t va)
{
	struct pmap_inval_batch b;

	pmap_inval_batch_init(&b, &kernel_pmap_store);
	pmap_kremove_batch(va, &b);
	pmap_inval_batch_wait(&b);
}

/* n kernel pages at va; one shootdown for all replaced mappings. */
void
pmap_qenter(vm_offset_t va, const vm_paddr_t *pa, int n)
{
	struct pmap_inval_batch b;
	int i;

	pmap_inval_batch_init(&b, &kernel_pmap_store);
	for (i = 0; i < n; i++)
		kenter_batch(va + (vm_offset_t)i * PAGE_SIZE, pa[i],
		             VM_PROT_READ | VM_PROT_WRITE, &b);
	pmap_inval_batch_wait(&b);
}

/* Unmap n kernel pages: one message per other CPU for the whole run. */
void
pmap_qremove(vm_offset_t va, int n)
{
	struct pmap_inval_batch b;
	int i;

	pmap_inval_batch_init(&b, &kernel_pmap_store);
	for (i = 0; i < n; i++)
		pmap_kremove_batch(va + (vm_offset_t)i * PAGE_SIZE, &b);
	pmap_inval_batch_wait(&b);
}

void
pmap_kwalk(uint64_t cr3, vm_offset_t va, struct pmap_walk *w)
{
	static const unsigned shift[4] = {39, 30, 21, 12};
	vm_paddr_t table = cr3 & PG_FRAME;
	int lvl;

	memset(w, 0, sizeof(*w));
	w->pw_pa = ~0ull;
	for (lvl = 0; lvl < 4; lvl++) {
		pt_entry_t e =
		    ((pt_entry_t *)pt_va(table))[(va >> shift[lvl]) & 511];

		w->pw_entry[lvl] = e;
		w->pw_levels = lvl + 1;
		if ((e & PG_V) == 0)
			return;
		if (lvl == 3 || (lvl > 0 && (e & PG_PS))) {
			uint64_t size = 1ull << shift[lvl];

			w->pw_pagesize = size;
			w->pw_pa =
			    (e & PG_FRAME & ~(size - 1)) | (va & (size - 1));
			return;
		}
		table = e & PG_FRAME;
	}
}

vm_paddr_t
pmap_kextract(vm_offset_t va)
{
	struct pmap_walk w;

	pmap_kwalk(kernel_pml4_pa, va, &w);
	return w.pw_pa;
}

void
pmap_print_walk(vm_offset_t va, const struct pmap_walk *w)
{
	static const char *const lname[4] = {"PML4E", "PDPE", "PDE", "PTE"};
	int lvl;

	kprintf("walk %#lx:\n", va);
	for (lvl = 0; lvl < w->pw_levels; lvl++) {
		pt_entry_t e = w->pw_entry[lvl];

		kprintf("  %-5s %#018lx %s%s%s%s%s%s%s%s\n", lname[lvl], e,
		        (e & PG_V) ? "V" : "-", (e & PG_RW) ? " RW" : " RO",
		        (e & PG_U) ? " U" : "", (e & PG_PS) ? " PS" : "",
		        (e & PG_G) ? " G" : "", (e & PG_PCD) ? " PCD" : "",
		        (e & PG_A) ? " A" : "", (e & PG_NX) ? " NX" : " X");
	}
	if (w->pw_pa == ~0ull)
		kprintf("  -> not mapped\n");
	else
		kprintf("  -> pa %#lx (%lu KiB page)\n", w->pw_pa,
		        w->pw_pagesize >> 10);
}

/*
 * Replace the PT page under the 2 MiB-aligned va by one 2 MiB mapping,
 * when its 512 PTEs map physically contiguous, 2 MiB-aligned memory with
 * identical permissions.  Returns 0 on success, -1 when not possible.
 * Callers use it on kernel mappings no other CPU is changing
 * concurrently; other CPUs may read through them meanwhile.
 *
 * Every CPU may hold 4K TLB entries of the range and a paging-structure
 * cache entry for the PDE that pointed at the PT page, and its page
 * walks may still read the PT page until it has flushed.  So the whole
 * 2 MiB goes through the shootdown protocol (every CPU), and the PT page
 * is freed only when the batch's wait has seen every acknowledgement.
 * Before the page allocator is up (boot, one CPU) the flush is local and
 * the page goes back to the boot ranges after it.  The PDE keeps the A/D
 * bits the 512 PTEs had.
 */
int
pmap_kpromote(vm_offset_t va)
{
	pt_entry_t *pdpt, *pd, *pt, first, flags, ad, old;
	struct pmap_inval_batch b;
	vm_paddr_t ptpa;
	int i;

	if (va & (NBPDR - 1))
		return -1;
	pdpt = pt_va(kpml4[pml4_index(va)] & PG_FRAME);
	pd = pt_va(pdpt[pdp_index(va)] & PG_FRAME);
	if ((pd[pd_index(va)] & PG_V) == 0 || (pd[pd_index(va)] & PG_PS))
		return -1;
	ptpa = pd[pd_index(va)] & PG_FRAME;
	pt = pt_va(ptpa);
	first = pt[0];
	flags = first & ~(PG_FRAME | PG_A | PG_M);
	if ((first & PG_V) == 0 || (first & PG_FRAME & (NBPDR - 1)) != 0)
		return -1;
	ad = first & (PG_A | PG_M);
	for (i = 1; i < NPTEPG; i++) {
		if ((pt[i] & ~(PG_FRAME | PG_A | PG_M)) != flags ||
		    (pt[i] & PG_FRAME) != (first & PG_FRAME) + i * PAGE_SIZE)
			return -1;
		ad |= pt[i] & (PG_A | PG_M);
	}
	pmap_inval_batch_init(&b, &kernel_pmap_store);
	old = __atomic_exchange_n(&pd[pd_index(va)],
	                          (first & PG_FRAME) | flags | ad | PG_PS,
	                          __ATOMIC_SEQ_CST);
	/*
	 * The PDE of va went from a table (ptpa) to a 2 MiB leaf; every
	 * CPU's 4K entries of [va, va + 2M) and its cached PDE are stale
	 * until b's wait returns, and ptpa may be walked by any CPU until
	 * then: the sanitizer records the table and every entry it held.
	 */
	pmap_san_change(&kernel_pmap_store, va, TLBSAN_PD, old,
	                pd[pd_index(va)], &b);
	pmap_inval_add(&b, va, va + NBPDR);
	if (boot_avail == NULL)
		pmap_inval_defer_page(&b, phys_to_vm_page(ptpa));
	pmap_inval_batch_wait(&b);
	if (boot_avail != NULL)
		phys_ranges_add(boot_avail, ptpa, PAGE_SIZE);
	return 0;
}

/*
 * Remove a 2 MiB mapping that pmap_kpromote() made in KVA (its PT page is
 * already gone) and shoot it down on every CPU, like pmap_kremove().
 * Returns 0, or -1 when va is not a 2 MiB-mapped KVA address.  Only KVA
 * is accepted so the kernel image's promoted chunks can never be removed.
 * The whole 2 MiB is invalidated, not just its first page: a CPU may
 * hold the translation as several smaller TLB entries (the architecture
 * allows it), or 4K entries from before the promotion.
 */
int
pmap_kremove_2m(vm_offset_t va)
{
	struct pmap_inval_batch b;
	pt_entry_t *pdpt, *pd, old;

	if ((va & (NBPDR - 1)) != 0 || va < KVA_MIN_ADDRESS ||
	    va >= KVA_MAX_ADDRESS)
		return -1;
	pdpt = pt_va(kpml4[pml4_index(va)] & PG_FRAME);
	pd = pt_va(pdpt[pdp_index(va)] & PG_FRAME);
	if ((pd[pd_index(va)] & (PG_V | PG_PS)) != (PG_V | PG_PS))
		return -1;
	pmap_inval_batch_init(&b, &kernel_pmap_store);
	old = __atomic_exchange_n(&pd[pd_index(va)], 0, __ATOMIC_SEQ_CST);
	/* Every CPU's entries for [va, va + 2M) are stale until b's wait. */
	pmap_san_change(&kernel_pmap_store, va, TLBSAN_PD, old, 0, &b);
	pmap_inval_add(&b, va, va + NBPDR);
	pmap_inval_batch_wait(&b);
	return 0;
}

int
pmap_count_kernel_pml4e(void)
{
	int i, n = 0;

	for (i = 0; i < NPTEPG; i++)
		if (kpml4[i] & PG_V)
			n++;
	return n;
}

void
pmap_bootstrap(struct phys_ranges *avail, vm_paddr_t max_ram)
{
	pt_entry_t *dpdpt, *kpdpt, *pd;
	vm_offset_t va;
	uint64_t gb, i;

	boot_avail = avail;
	pmap_bug_init(); /* pmap.bug=: before the first shootdown */
	pg_nx = cpu_has_nx ? PG_NX : 0;
	pg_g = cpu_has_pge ? PG_G : 0;
	kernel_pml4_pa = pt_page_alloc();
	kpml4 = pt_va(kernel_pml4_pa);
	kernel_pmap_store.pm_pml4_pa = kernel_pml4_pa;
	kernel_pmap_store.pm_is_kernel = true;
	kernel_pmap_store.pm_ptlock =
	    (struct spinlock)SPINLOCK_INITIALIZER("kernel pmap");

	/* The direct map: every byte up to the top of RAM. */
	dmap_top = roundup2(max_ram, NBPDP);
	if (dmap_top > NBPML4) {
		kprintf("pmap: warning: RAM above 512 GiB is not used\n");
		dmap_top = NBPML4;
	}
	kpml4[KPML4_DMAP] = pt_page_alloc() | PG_V | PG_RW;
	dpdpt = pt_va(kpml4[KPML4_DMAP] & PG_FRAME);
	for (gb = 0; gb < dmap_top / NBPDP; gb++) {
		if (cpu_has_pg1g) {
			dpdpt[gb] =
			    gb * NBPDP | PG_V | PG_RW | PG_PS | pg_g | pg_nx;
			continue;
		}
		dpdpt[gb] = pt_page_alloc() | PG_V | PG_RW;
		pd = pt_va(dpdpt[gb] & PG_FRAME);
		for (i = 0; i < NPTEPG; i++)
			pd[i] = (gb * NBPDP + i * NBPDR) | PG_V | PG_RW |
			        PG_PS | pg_g | pg_nx;
	}

	/* The kernel slot and its fixed PDP entries. */
	kpml4[KPML4_KERNEL] = pt_page_alloc() | PG_V | PG_RW;
	kpdpt = pt_va(kpml4[KPML4_KERNEL] & PG_FRAME);
	kpdpt[pdp_index(KERNBASE)] = pt_page_alloc() | PG_V | PG_RW;
	kpdpt[pdp_index(PRIVSPACE_ADDRESS)] = pt_page_alloc() | PG_V | PG_RW;
	pd = pt_va(kpdpt[pdp_index(PRIVSPACE_ADDRESS)] & PG_FRAME);
	for (i = 0; i < howmany((uint64_t)MAXCPU * NPRIVPAGES, NPTEPG); i++)
		pd[i] = pt_page_alloc() | PG_V | PG_RW;
	for (va = KVA_MIN_ADDRESS; va < KVA_MAX_ADDRESS; va += NBPDP)
		kpdpt[pdp_index(va)] = pt_page_alloc() | PG_V | PG_RW;

	/* The kernel image, 4K pages with per-section permissions. */
	for (va = (vm_offset_t)_text_start; va < (vm_offset_t)_end;
	     va += PAGE_SIZE)
		*kpte_lookup(va, true) = (va - KERNBASE) | kimage_prot(va);

	/* Switch: from here on page tables are reached via the DMAP. */
	load_cr3(kernel_pml4_pa);
	if (cpu_has_pge)
		load_cr4(rcr4() | CR4_PGE);
	dmap_ready = true;
	kpml4 = pt_va(kernel_pml4_pa);
	kernel_pmap_store.pm_pml4 = kpml4;

	/* Promote every 2 MiB chunk of the image that allows it. */
	for (va = roundup2((vm_offset_t)_text_start, NBPDR);
	     va + NBPDR <= (vm_offset_t)_end; va += NBPDR)
		if (pmap_kpromote(va) == 0)
			pmap_promoted_2m++;
}

/*
 * Back the mapped pages of one CPU's privatespace with zeroed memory.
 * The PT pages already exist (pmap_bootstrap), so only PTEs change.
 */
void
pmap_prvspace_init(int cpuid)
{
	vm_offset_t base = (vm_offset_t)&CPU_prvspace[cpuid];
	int i;

	boot_avail = NULL; /* the page allocator is up by now */
	for (i = 0; i < NPRIVPAGES; i++) {
		struct vm_page *m;

		if (!PRV_PAGE_MAPPED(i))
			continue;
		m = vm_page_alloc();
		if (m == NULL)
			panic("pmap: no memory for cpu %d's per-CPU pages",
			      cpuid);
		*kpte_lookup(base + i * PAGE_SIZE, false) =
		    vm_page_to_phys(m) | PG_V | PG_RW | pg_g | pg_nx;
	}
}

/* After lwkt_init(): the shootdown pools, then the pmap service threads. */
void
pmap_mp_init(void)
{
	pmap_inval_init(&kernel_pmap_store);
	pmap_msg_start();
}

int
pmap_sanitizer_summary(void)
{
#ifdef TLBSAN
	return tlbsan_summary();
#else
	return 0;
#endif
}

void
pmap_page_free_check(vm_paddr_t pa)
{
#ifdef TLBSAN
	if (__predict_false(tlbsan_on)) {
		tlbsan_check_frame(pa, "vm_page_free (a frame)");
		tlbsan_check_ptpage(pa, "vm_page_free (a page table)");
	}
#else
	(void)pa;
#endif
}
