/*
 * pmap.c - page tables: the kernel's, and user address spaces.
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
 * User pmaps (PML4 slots 0-255) need no global lock.  A page-table page
 * counts valid entries plus transient holds in its vm_page's pg_wire;
 * the per-pmap spin lock pm_ptlock covers only the decisions about a
 * page-table page's life: linking a new one, taking a hold (every walker
 * that will touch a page's entries holds it), and unlinking an empty one
 * (count 0, under the lock, so no hold can be in progress).  An unlinked
 * page goes on the caller's invalidation batch and is freed only after
 * every CPU has acknowledged the shootdown (pmap_inval.c), because other
 * CPUs' page walks may still use it until then.  Leaf entries are
 * changed with atomic xchg (remove, enter) or a cmpxchg loop (protect)
 * outside the lock, so A/D bits another CPU's page walk sets at the same
 * time are never lost.  A thread's address space is its td_pmap; the
 * switch path calls pmap_activate(), whose pm_active protocol is argued
 * in pmap_inval.c.
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
#include <machine/vmparam.h>
#include <sys/clock.h>
#include <sys/lwkt_ipiq.h>
#include <sys/malloc.h>
#include <sys/msgport.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
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

static void
count_invlpg(vm_offset_t va)
{
	invlpg(va);
	mycpu->gd_cnt.pc_invlpg++;
}

/* The PTE bits a VM_PROT_* / PMAP_NOCACHE combination asks for. */
static pt_entry_t
prot_bits(int prot)
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

/* Kernel mappings are global: the same in every address space. */
static pt_entry_t
kernel_pte(vm_paddr_t pa, int prot)
{
	return (pa & PG_FRAME) | PG_V | pg_g | prot_bits(prot);
}

/* Does replacing old by new need a shootdown?  (A/D do not count.) */
static bool
pte_needs_inval(pt_entry_t old, pt_entry_t new)
{
	return (old & PG_V) != 0 && ((old ^ new) & ~(PG_A | PG_M)) != 0;
}

/* Set one kernel PTE; queue the old translation on b if there was one. */
static void
kenter_batch(vm_offset_t va, vm_paddr_t pa, int prot,
             struct pmap_inval_batch *b)
{
	pt_entry_t *pte = kpte_lookup(va, true);
	pt_entry_t npte = kernel_pte(pa, prot), opte;

	if (pte == NULL)
		panic("pmap_kenter: %#lx is not in a 4K-mapped kernel region",
		      va);
	opte = __atomic_exchange_n(pte, npte, __ATOMIC_SEQ_CST);
	if (pte_needs_inval(opte, npte))
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

static void
kremove_batch(vm_offset_t va, struct pmap_inval_batch *b)
{
	pt_entry_t *pte = kpte_lookup(va, false);

	if (pte != NULL &&
	    (__atomic_exchange_n(pte, 0, __ATOMIC_SEQ_CST) & PG_V))
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
	kremove_batch(va, &b);
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
		kremove_batch(va + (vm_offset_t)i * PAGE_SIZE, &b);
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
 * Callers use it on kernel mappings no other CPU is using concurrently.
 */
int
pmap_kpromote(vm_offset_t va)
{
	pt_entry_t *pdpt, *pd, *pt, first, flags;
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
	for (i = 1; i < NPTEPG; i++) {
		if ((pt[i] & ~(PG_FRAME | PG_A | PG_M)) != flags ||
		    (pt[i] & PG_FRAME) != (first & PG_FRAME) + i * PAGE_SIZE)
			return -1;
	}
	__atomic_store_n(&pd[pd_index(va)], (first & PG_FRAME) | flags | PG_PS,
	                 __ATOMIC_SEQ_CST);
	/* Drop the 4K translations and the cached PDE pointing at pt. */
	for (i = 0; i < NPTEPG; i++)
		invlpg(va + i * PAGE_SIZE);
	if (boot_avail != NULL)
		phys_ranges_add(boot_avail, ptpa, PAGE_SIZE);
	else
		vm_page_free(phys_to_vm_page(ptpa));
	return 0;
}

/*
 * Remove a 2 MiB mapping that pmap_kpromote() made in KVA (its PT page is
 * already gone) and shoot it down on every CPU, like pmap_kremove().
 * Returns 0, or -1 when va is not a 2 MiB-mapped KVA address.  Only KVA
 * is accepted so the kernel image's promoted chunks can never be removed.
 */
int
pmap_kremove_2m(vm_offset_t va)
{
	pt_entry_t *pdpt, *pd;

	if ((va & (NBPDR - 1)) != 0 || va < KVA_MIN_ADDRESS ||
	    va >= KVA_MAX_ADDRESS)
		return -1;
	pdpt = pt_va(kpml4[pml4_index(va)] & PG_FRAME);
	pd = pt_va(pdpt[pdp_index(va)] & PG_FRAME);
	if ((pd[pd_index(va)] & (PG_V | PG_PS)) != (PG_V | PG_PS))
		return -1;
	__atomic_store_n(&pd[pd_index(va)], 0, __ATOMIC_SEQ_CST);
	{
		struct pmap_inval_batch b;

		/* One invlpg drops the whole 2 MiB entry. */
		pmap_inval_batch_init(&b, &kernel_pmap_store);
		pmap_inval_add(&b, va, va + PAGE_SIZE);
		pmap_inval_batch_wait(&b);
	}
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

/*
 * Per-CPU temporary mapping windows (CADDR1..3 in the privatespace).
 *
 * Only the owning CPU ever maps or reads its windows, and it does so with
 * interrupts disabled, so nothing else can observe or change them in
 * between: a local invlpg before each use is all the TLB maintenance they
 * need, and they never cause an IPI.  That is the point of giving every
 * CPU its own windows inside the shared kernel slot.
 */
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

/*
 * User address spaces.
 *
 * Levels: 4 is the PML4, 3 a PDP page, 2 a PD page, 1 a PT page.  The
 * PML4 is not counted (it lives as long as the pmap); every other table
 * page counts its valid entries plus holds in pg_wire.
 */
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
		m->pg_wire = 0;
		ne = vm_page_to_phys(m) | PG_V | PG_RW | PG_U;
		/* Only a 2 MiB enter (no lock) can race here: re-read. */
		if (!__atomic_compare_exchange_n(ep, &e, ne, false,
		                                 __ATOMIC_SEQ_CST,
		                                 __ATOMIC_SEQ_CST)) {
			vm_page_free(m);
			continue;
		}
		if (l < 4)
			__atomic_fetch_add(&table_page(table)->pg_wire, 1,
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
		__atomic_fetch_add(&table_page(t)->pg_wire, 1,
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

		if (__atomic_load_n(&m->pg_wire, __ATOMIC_SEQ_CST) != 0)
			break;
		parent = upt_lookup_locked(pm, va, lvl + 1, false, &why);
		if (parent == NULL)
			break;
		ep = &parent[lvl_index(va, lvl + 1)];
		if ((*ep & PG_V) == 0 ||
		    (*ep & PG_FRAME) != DMAP_TO_PHYS((vm_offset_t)t))
			break;
		__atomic_store_n(ep, 0, __ATOMIC_SEQ_CST);
		pm->pm_ptpages--;
		pmap_inval_defer_page(b, m);
		base = rounddown2(va, lvl_span(lvl));
		pmap_inval_add(b, base, base + PAGE_SIZE);
		if (lvl + 1 == 4 ||
		    __atomic_sub_fetch(&table_page(parent)->pg_wire, 1,
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
	if (__atomic_sub_fetch(&table_page(t)->pg_wire, 1, __ATOMIC_SEQ_CST) ==
	    0)
		pt_reap(pm, va, lvl, t, b);
}

/* An entry left the table: its count drops (a hold keeps it >= 1). */
static void
pt_entry_gone(pt_entry_t *t)
{
	__atomic_fetch_sub(&table_page(t)->pg_wire, 1, __ATOMIC_SEQ_CST);
}

/* User mappings are never global: a CR3 load must drop them. */
static pt_entry_t
user_pte(vm_paddr_t pa, int prot)
{
	return (pa & PG_FRAME) | PG_V | PG_U | prot_bits(prot);
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
	/* Valid forever: these two entries never change (header). */
	pm->pm_pml4[KPML4_DMAP] = kpml4[KPML4_DMAP];
	pm->pm_pml4[KPML4_KERNEL] = kpml4[KPML4_KERNEL];
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
	pt_entry_t npte = user_pte(pa, prot), old, *t;
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
		} while (!__atomic_compare_exchange_n(pdep, &old, npte, false,
		                                      __ATOMIC_SEQ_CST,
		                                      __ATOMIC_SEQ_CST));
		if (old & PG_V) {
			if (pte_needs_inval(old, npte))
				pmap_inval_add(&b, va, va + PAGE_SIZE);
			pt_unhold(pm, va, 2, t,
			          &b); /* replaced: no new entry */
		} else {
			__atomic_fetch_add(
			    &pm->pm_resident, 1,
			    __ATOMIC_RELAXED); /* the hold becomes the entry */
		}
		pmap_inval_batch_wait(&b);
		return 0;
	}
	t = pt_hold(pm, va, 1, true, &why);
	if (t == NULL)
		return -1;
	old = __atomic_exchange_n(&t[pt_index(va)], npte, __ATOMIC_SEQ_CST);
	if (old & PG_V) {
		if (pte_needs_inval(old, npte))
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
	record_old(b, old);
	pt_entry_gone(t);
	__atomic_fetch_sub(&pm->pm_resident, 1, __ATOMIC_RELAXED);
	/* One INVLPG drops a whole 2 MiB translation. */
	pmap_inval_add(b, va, va + PAGE_SIZE);
	if (b->ib_free_leaves && !large)
		pmap_inval_batch_defer_free(b, old & PG_FRAME);
}

static void
protect_leaf(struct pmap *pm, pt_entry_t *ep, pt_entry_t *t, vm_offset_t va,
             bool large, int prot, struct pmap_inval_batch *b)
{
	pt_entry_t old = __atomic_load_n(ep, __ATOMIC_SEQ_CST), new;

	(void)pm;
	(void)t;
	(void)large;
	/* cmpxchg: fails and retries if a page walk set A or D meanwhile. */
	do {
		if ((old & PG_V) == 0)
			return;
		new = old;
		if ((prot & VM_PROT_WRITE) == 0)
			new &= ~PG_RW;
		if ((prot & VM_PROT_EXECUTE) == 0)
			new |= pg_nx;
		if (new == old)
			return;
	} while (!__atomic_compare_exchange_n(
	    ep, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	record_old(b, old);
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
			kremove_batch(va, b);
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
 * load, withdraw after it.
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
	load_cr3(next != NULL ? next->pm_pml4_pa : kernel_pml4_pa);
	md->gd_curpmap = next;
	if (prev != NULL)
		cpumask_atomic_clear(&prev->pm_active, me);
}

/*
 * The pmap service: one thread per CPU that executes struct pmap_msg
 * requests, so an update can be made on the CPU where an address space
 * is active (or just off the caller's CPU).
 */
struct pmap_svc {
	struct lwkt_port ps_port; /* requests */
	volatile int ps_ready;    /* port initialized */
	uint64_t ps_done;         /* requests executed */
} __aligned(64);

static struct pmap_svc pmap_svc[MAXCPU];

static int64_t
pmap_msg_exec(struct pmap_msg *msg)
{
	switch (msg->pmm_op) {
	case PMAP_MSG_ENTER:
		return pmap_enter(msg->pmm_pmap, msg->pmm_sva, msg->pmm_pa,
		                  msg->pmm_prot, msg->pmm_flags);
	case PMAP_MSG_REMOVE:
		pmap_remove(msg->pmm_pmap, msg->pmm_sva, msg->pmm_eva);
		return 0;
	case PMAP_MSG_PROTECT:
		pmap_protect(msg->pmm_pmap, msg->pmm_sva, msg->pmm_eva,
		             msg->pmm_prot);
		return 0;
	}
	return -1;
}

static void
pmap_svc_main(void *arg)
{
	struct pmap_svc *ps = arg;

	lwkt_initport(&ps->ps_port, curthread);
	__atomic_store_n(&ps->ps_ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct pmap_msg *msg =
		    (struct pmap_msg *)lwkt_waitport(&ps->ps_port);
		int64_t r;

		msg->pmm_cpu = mycpu->gd_cpuid;
		r = pmap_msg_exec(msg);
		ps->ps_done++;
		lwkt_replymsg(&msg->pmm_msg, r);
	}
}

void
pmap_msg_init(struct pmap_msg *msg, struct lwkt_port *reply_port, int op,
              struct pmap *pm, vm_offset_t sva, vm_offset_t eva, vm_paddr_t pa,
              int prot, int flags)
{
	lwkt_initmsg(&msg->pmm_msg, reply_port, op, 0);
	msg->pmm_op = op;
	msg->pmm_pmap = pm;
	msg->pmm_sva = sva;
	msg->pmm_eva = eva;
	msg->pmm_pa = pa;
	msg->pmm_prot = prot;
	msg->pmm_flags = flags;
	msg->pmm_cpu = -1;
}

static struct lwkt_port *
svc_port(int cpu)
{
	struct pmap_svc *ps = &pmap_svc[cpu];

	KASSERT(cpu >= 0 && cpu < ncpus, "pmap_msg: bad cpu");
	while (!__atomic_load_n(&ps->ps_ready, __ATOMIC_ACQUIRE))
		lwkt_yield();
	return &ps->ps_port;
}

int64_t
pmap_msg_send(int cpu, struct pmap_msg *msg)
{
	return lwkt_domsg(svc_port(cpu), &msg->pmm_msg);
}

void
pmap_msg_send_async(int cpu, struct pmap_msg *msg)
{
	lwkt_sendmsg(svc_port(cpu), &msg->pmm_msg);
}

void
pmap_mp_init(void)
{
	int cpu;

	pmap_inval_init(&kernel_pmap_store);
	for (cpu = 0; cpu < ncpus; cpu++) {
		char name[TD_NAMELEN];

		ksnprintf(name, sizeof(name), "pmapd%d", cpu);
		lwkt_create(pmap_svc_main, &pmap_svc[cpu], name, cpu,
		            TDPRI_SERVICE);
	}
}
