/*
 * pmap_test.c - in-kernel tests of the kernel page tables (pmap.c).
 *
 * Two kinds of evidence: what the hardware does (cpu_probe() touches an
 * address and returns -1 when the access faults, so a test can show that
 * NULL, the old identity map and guard pages are unmapped and that text
 * and rodata are read-only), and what the page tables say (pmap_kwalk()
 * reads every level, so a test can check each region's permission bits).
 * The mapping tests then change the tables and check the hardware sees
 * each change at once: a replaced or removed mapping must not survive in
 * this CPU's TLB.
 *
 * Mappings made here use KVA from kva_alloc() so they cannot collide with
 * other users.  All but one touch only this CPU; the 2 MiB remote test
 * (pmap_kpromote_kremove_2m_remote) has a helper thread on CPU 1 read
 * through the range and checks that promotion and removal reach it.  The
 * 2 MiB tests map existing memory read-only and only read through it:
 * the memory belongs to others.
 */
#include <cpu/cpufunc.h>
#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <machine/md_var.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/ktest.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

#define NOT_MAPPED (~0ull) /* pmap_kextract() of an unmapped address */
#define VA(a)      ((const volatile void *)(a)) /* an address to probe */

/* One object per kernel image section, for the permission tests. */
static const uint64_t pmap_test_rodata[2] = {0x0123456789abcdefull, 2};
static uint64_t pmap_test_data = 0xfeedfacecafebeefull;
static uint64_t pmap_test_bss;

/* Something in .text to probe. */
static __attribute__((noinline)) int
pmap_test_text_fn(int x)
{
	return x * 3 + 1;
}

/* The permissions a walk grants: RW needs every level, NX any level. */
struct walk_perm {
	bool mapped;       /* the walk reached a page */
	bool rw;           /* writable */
	bool nx;           /* not executable */
	bool global;       /* leaf has G */
	pt_entry_t leaf;   /* the last entry read */
	uint64_t pagesize; /* 4K, 2M or 1G */
	vm_paddr_t pa;     /* translation */
};

static struct walk_perm
walk(vm_offset_t va)
{
	struct pmap_walk w;
	struct walk_perm p = {.rw = true};
	int l;

	pmap_kwalk(kernel_pml4_pa, va, &w);
	p.mapped = w.pw_pa != NOT_MAPPED;
	p.leaf = w.pw_entry[w.pw_levels - 1];
	p.pagesize = w.pw_pagesize;
	p.pa = w.pw_pa;
	for (l = 0; l < w.pw_levels; l++) {
		p.rw = p.rw && (w.pw_entry[l] & PG_RW);
		p.nx = p.nx || (w.pw_entry[l] & PG_NX);
	}
	p.global = (p.leaf & PG_G) != 0;
	return p;
}

/* cpu_probe() must fault at va, and report va as the fault address. */
static bool
faults(const volatile void *va, int write)
{
	return cpu_probe(va, write) == -1 &&
	       mdcpu->gd_fault_va == (uint64_t)(uintptr_t)va;
}

static void
pmap_null_and_identity_unmapped(struct ktest *t)
{
	static const vm_offset_t low[] = {0,
	                                  8,
	                                  0xff8,
	                                  0x1000,
	                                  MP_TRAMPOLINE_PA,
	                                  0x100000,
	                                  KERNLOAD_PA,
	                                  KERNLOAD_PA + 0x9000,
	                                  0x1000000,
	                                  0x3ffff000};
	struct pmap_walk w;
	unsigned i;

	for (i = 0; i < nitems(low); i++) {
		KT_EXPECT_EQ(t, pmap_kextract(low[i]), NOT_MAPPED);
		KT_EXPECT(t, faults(VA(low[i]), 0));
	}
	/* Not even the PML4 entry: all of user space is empty. */
	pmap_kwalk(kernel_pml4_pa, 0, &w);
	KT_EXPECT_EQ(t, w.pw_levels, 1);
	KT_EXPECT_EQ(t, w.pw_entry[0], 0);
	pmap_kwalk(kernel_pml4_pa, VM_MAX_USER_ADDRESS - PAGE_SIZE, &w);
	KT_EXPECT_EQ(t, w.pw_levels, 1);
	KT_EXPECT_EQ(t, w.pw_entry[0], 0);
}

static void
pmap_kernel_pml4_two_entries(struct ktest *t)
{
	struct pmap_walk w;

	KT_EXPECT_EQ(t, rcr3() & PG_FRAME, kernel_pml4_pa);
	KT_EXPECT_EQ(t, pmap_count_kernel_pml4e(), NKPML4E);
	KT_EXPECT_EQ(t, NKPML4E, 2);
	pmap_kwalk(kernel_pml4_pa, DMAP_MIN_ADDRESS, &w);
	KT_EXPECT(t, w.pw_entry[0] & PG_V);
	pmap_kwalk(kernel_pml4_pa, KERNBASE, &w);
	KT_EXPECT(t, w.pw_entry[0] & PG_V);
	/* The fixed PDP entries of slot 511 exist from boot. */
	pmap_kwalk(kernel_pml4_pa, PRIVSPACE_ADDRESS, &w);
	KT_EXPECT(t, w.pw_levels >= 3 && (w.pw_entry[1] & PG_V));
	pmap_kwalk(kernel_pml4_pa, KVA_MIN_ADDRESS, &w);
	KT_EXPECT(t, w.pw_levels >= 3 && (w.pw_entry[1] & PG_V));
	pmap_kwalk(kernel_pml4_pa, KVA_MAX_ADDRESS - PAGE_SIZE, &w);
	KT_EXPECT(t, w.pw_levels >= 3 && (w.pw_entry[1] & PG_V));
	/* ... and nothing else in the slot between KVA and the image. */
	pmap_kwalk(kernel_pml4_pa, KVA_MAX_ADDRESS, &w);
	KT_EXPECT_EQ(t, w.pw_levels, 2);
	KT_EXPECT_EQ(t, w.pw_entry[1], 0);
	/* The per-CPU PT pages exist for every possible CPU. */
	pmap_kwalk(kernel_pml4_pa, (vm_offset_t)&CPU_prvspace[MAXCPU - 1], &w);
	KT_EXPECT_EQ(t, w.pw_levels, 4);
}

static void
pmap_text_not_writable(struct ktest *t)
{
	volatile uint8_t *fn = (volatile uint8_t *)(uintptr_t)pmap_test_text_fn;
	uint8_t before = fn[0];
	struct walk_perm p = walk((vm_offset_t)fn);

	KT_ASSERT(t, (vm_offset_t)fn >= (vm_offset_t)_text_start &&
	                 (vm_offset_t)fn < (vm_offset_t)_etext);
	KT_EXPECT_EQ(t, cpu_probe(fn, 0), 0);
	KT_EXPECT(t, faults(fn, 1));
	KT_EXPECT_EQ(t, fn[0], before);
	KT_EXPECT_EQ(t, pmap_test_text_fn(4), 13); /* still runs */
	KT_EXPECT(t, faults(VA((uintptr_t)cpu_probe), 1));
	KT_EXPECT(t, faults(_text_start, 1));
	KT_EXPECT(t, faults(VA((vm_offset_t)_etext - 8), 1));
	/* Page tables: present, no RW anywhere at the leaf, no NX. */
	KT_ASSERT(t, p.mapped);
	KT_EXPECT_EQ(t, p.leaf & (PG_RW | PG_NX), 0);
	KT_EXPECT(t, !p.rw && !p.nx);
	KT_EXPECT_EQ(t, p.global, cpu_has_pge);
	KT_EXPECT_EQ(t, p.pa, (vm_offset_t)fn - KERNBASE);
}

static void
pmap_rodata_not_writable(struct ktest *t)
{
	const volatile uint64_t *ro = pmap_test_rodata;
	struct walk_perm p = walk((vm_offset_t)ro);

	KT_ASSERT(t, (vm_offset_t)ro >= (vm_offset_t)_rodata_start &&
	                 (vm_offset_t)ro < (vm_offset_t)_erodata);
	KT_EXPECT_EQ(t, cpu_probe(ro, 0), 0);
	KT_EXPECT(t, faults(ro, 1));
	KT_EXPECT_EQ(t, ro[0], 0x0123456789abcdefull);
	KT_EXPECT(t, faults(_rodata_start, 1));
	KT_EXPECT(t, faults(VA((vm_offset_t)_erodata - 8), 1));
	KT_ASSERT(t, p.mapped);
	KT_EXPECT_EQ(t, p.leaf & PG_RW, 0);
	KT_EXPECT(t, !p.rw);
	KT_EXPECT_EQ(t, p.nx, cpu_has_nx);
	KT_EXPECT_EQ(t, (p.leaf & PG_NX) != 0, cpu_has_nx);
	/* The symbol table after bss is read-only too. */
	if ((vm_offset_t)_ksyms_start < (vm_offset_t)_end)
		KT_EXPECT(t, faults(_ksyms_start, 1));
}

static void
pmap_data_writable(struct ktest *t)
{
	/*
	 * Write probes only on this file's own variables: cpu_probe() writes
	 * back what it read, which is not atomic against other CPUs.
	 */
	const struct {
		const char *name;
		vm_offset_t va;
		bool probe_write;
	} objs[] = {
	    {"data", (vm_offset_t)&pmap_test_data, true},
	    {"bss", (vm_offset_t)&pmap_test_bss, true},
	    {"first data page", (vm_offset_t)_data_start, false},
	    {"last bss page", (vm_offset_t)_ebss - 8, false},
	};
	unsigned i;

	KT_EXPECT(t, (vm_offset_t)&pmap_test_data >= (vm_offset_t)_data_start &&
	                 (vm_offset_t)&pmap_test_data < (vm_offset_t)_edata);
	KT_EXPECT(t, (vm_offset_t)&pmap_test_bss >= (vm_offset_t)_bss_start &&
	                 (vm_offset_t)&pmap_test_bss < (vm_offset_t)_ebss);
	for (i = 0; i < nitems(objs); i++) {
		struct walk_perm p = walk(objs[i].va);

		if (cpu_probe(VA(objs[i].va), objs[i].probe_write) != 0)
			ktest_fail(t, __FILE__, __LINE__, "%s at %#lx faults",
			           objs[i].name, objs[i].va);
		KT_EXPECT(t, p.mapped && p.rw);
		KT_EXPECT_EQ(t, (p.leaf & (PG_RW | PG_NX)),
		             PG_RW | (cpu_has_nx ? PG_NX : 0));
		KT_EXPECT_EQ(t, p.nx, cpu_has_nx);
	}
	KT_EXPECT_EQ(t, pmap_test_data, 0xfeedfacecafebeefull);
	pmap_test_bss++;
	KT_EXPECT_EQ(t, pmap_test_bss, 1);
}

static void
pmap_dmap_nx(struct ktest *t)
{
	static const vm_paddr_t pas[] = {0, 0x8000, KERNLOAD_PA, 0x1000000};
	unsigned i;

	for (i = 0; i < nitems(pas); i++) {
		struct walk_perm p = walk(PHYS_TO_DMAP(pas[i]));

		KT_ASSERT(t, p.mapped);
		KT_EXPECT_EQ(t, p.pa, pas[i]);
		KT_EXPECT(t, p.rw);
		KT_EXPECT_EQ(t, (p.leaf & PG_NX) != 0, cpu_has_nx);
		KT_EXPECT(t, p.leaf & PG_PS); /* 1 GiB or 2 MiB pages */
		KT_EXPECT_EQ(t, p.pagesize, cpu_has_pg1g ? NBPDP : NBPDR);
	}
	/* Mapped up to dmap_top, and not beyond it. */
	KT_EXPECT(t, walk(PHYS_TO_DMAP(dmap_top - PAGE_SIZE)).mapped);
	KT_EXPECT(t, !walk(PHYS_TO_DMAP(dmap_top)).mapped);
	KT_EXPECT(t, faults(VA(PHYS_TO_DMAP(dmap_top)), 0));
}

/* What pmap_kenter() writes at a KVA address shows in the DMAP, and back. */
static void
pmap_kenter_dmap_coherent(struct ktest *t)
{
	struct vm_page *m = vm_page_alloc();
	vm_offset_t va = kva_alloc(1);
	volatile uint64_t *kv, *dm;
	struct walk_perm p;
	vm_paddr_t pa;

	KT_ASSERT(t, m != NULL && va != 0);
	pa = vm_page_to_phys(m);
	KT_EXPECT_EQ(t, pmap_kextract(va), NOT_MAPPED);
	pmap_kenter(va, pa, VM_PROT_READ | VM_PROT_WRITE);
	kv = (volatile uint64_t *)va;
	dm = pmap_map_dmap(pa);
	KT_EXPECT_EQ(t, pmap_kextract(va + 123), pa + 123);
	p = walk(va);
	KT_EXPECT_EQ(t, p.pagesize, PAGE_SIZE);
	KT_EXPECT(t, p.rw);
	KT_EXPECT_EQ(t, p.nx, cpu_has_nx);
	kv[0] = 0x1111222233334444ull;
	kv[511] = 0x5555666677778888ull;
	KT_EXPECT_EQ(t, dm[0], 0x1111222233334444ull);
	KT_EXPECT_EQ(t, dm[511], 0x5555666677778888ull);
	dm[7] = 0x9999aaaabbbbccccull;
	KT_EXPECT_EQ(t, kv[7], 0x9999aaaabbbbccccull);
	pmap_kremove(va);
	kva_free(va, 1);
	vm_page_free(m);
}

/*
 * Map, use, replace and remove: each change must be visible to this CPU
 * at once (a stale TLB entry would let the probe see the old page).
 */
static void
pmap_kenter_kremove_round_trip(struct ktest *t)
{
	struct vm_page *m1 = vm_page_alloc(), *m2 = vm_page_alloc();
	vm_offset_t va = kva_alloc(1);
	volatile uint64_t *kv = (volatile uint64_t *)va;

	KT_ASSERT(t, m1 != NULL && m2 != NULL && va != 0);
	*(uint64_t *)pmap_map_dmap(vm_page_to_phys(m1)) = 1;
	*(uint64_t *)pmap_map_dmap(vm_page_to_phys(m2)) = 2;

	/* Read-only: reads work, writes fault. */
	pmap_kenter(va, vm_page_to_phys(m1), VM_PROT_READ);
	KT_EXPECT_EQ(t, kv[0], 1);
	KT_EXPECT(t, faults(kv, 1));
	/* Upgraded to RW in place: the read-only TLB entry must be gone. */
	pmap_kenter(va, vm_page_to_phys(m1), VM_PROT_READ | VM_PROT_WRITE);
	KT_EXPECT_EQ(t, cpu_probe(kv, 1), 0);
	/* Pointed at another page: reads see the new page. */
	pmap_kenter(va, vm_page_to_phys(m2), VM_PROT_READ | VM_PROT_WRITE);
	KT_EXPECT_EQ(t, kv[0], 2);
	KT_EXPECT_EQ(t, pmap_kextract(va), vm_page_to_phys(m2));
	/* Removed: the address faults, even right after a use. */
	pmap_kremove(va);
	KT_EXPECT_EQ(t, pmap_kextract(va), NOT_MAPPED);
	KT_EXPECT(t, faults(kv, 0));
	KT_EXPECT_EQ(t, pmap_kpte(va) != NULL ? *pmap_kpte(va) : 1, 0);
	/* Removing twice is harmless; mapping again works. */
	pmap_kremove(va);
	pmap_kenter(va, vm_page_to_phys(m1), VM_PROT_READ);
	KT_EXPECT_EQ(t, kv[0], 1);
	pmap_kremove(va);
	KT_EXPECT(t, faults(kv, 0));
	kva_free(va, 1);
	vm_page_free(m1);
	vm_page_free(m2);
}

/*
 * Promotion: map the 2 MiB-aligned physical chunk around a page we own,
 * read-only at a 2 MiB-aligned KVA address, promote, and check the PDE
 * and what reads through it return.  Only our page is compared in full:
 * the rest of the chunk belongs to others and may change meanwhile.
 */
static void
pmap_kpromote_2m(struct ktest *t)
{
	struct vm_page *m = vm_page_alloc();
	vm_offset_t kva = kva_alloc(2 * NPTEPG), va;
	vm_paddr_t pa, base, off;
	uint64_t *own;
	struct pmap_walk w;
	struct walk_perm p;
	int i;

	KT_ASSERT(t, m != NULL && kva != 0);
	va = roundup2(kva, NBPDR);
	pa = vm_page_to_phys(m);
	base = rounddown2(pa, NBPDR);
	off = pa - base;
	KT_ASSERT(t, base + NBPDR <= dmap_top);
	own = pmap_map_dmap(pa);
	for (i = 0; i < NPTEPG; i++)
		own[i] = ktest_random();

	for (i = 0; i < NPTEPG; i++)
		pmap_kenter(va + i * PAGE_SIZE, base + i * PAGE_SIZE,
		            VM_PROT_READ);
	KT_EXPECT_EQ(t, walk(va).pagesize, PAGE_SIZE);
	KT_EXPECT_EQ(t, memcmp((void *)(va + off), own, PAGE_SIZE), 0);

	/* Refused: unaligned; a page out of place; mixed permissions. */
	KT_EXPECT_EQ(t, pmap_kpromote(va + PAGE_SIZE), -1);
	pmap_kenter(va + 7 * PAGE_SIZE, base + 8 * PAGE_SIZE, VM_PROT_READ);
	KT_EXPECT_EQ(t, pmap_kpromote(va), -1);
	pmap_kenter(va + 7 * PAGE_SIZE, base + 7 * PAGE_SIZE,
	            VM_PROT_READ | VM_PROT_WRITE);
	KT_EXPECT_EQ(t, pmap_kpromote(va), -1);
	pmap_kenter(va + 7 * PAGE_SIZE, base + 7 * PAGE_SIZE, VM_PROT_READ);
	KT_EXPECT_EQ(t, walk(va).pagesize, PAGE_SIZE);

	/* Accepted: one PS entry in the PD, same translation as before. */
	KT_ASSERT_EQ(t, pmap_kpromote(va), 0);
	pmap_kwalk(kernel_pml4_pa, va + off, &w);
	KT_EXPECT_EQ(t, w.pw_levels, 3);
	KT_EXPECT(t, w.pw_entry[2] & PG_PS);
	KT_EXPECT_EQ(t, w.pw_entry[2] & PG_PS_FRAME_2M, base);
	KT_EXPECT_EQ(t, w.pw_pagesize, NBPDR);
	KT_EXPECT_EQ(t, w.pw_pa, pa);
	KT_EXPECT_EQ(t, pmap_kextract(va + NBPDR - 1), base + NBPDR - 1);
	KT_EXPECT_EQ(t, (uint64_t)pmap_kpte(va), 0); /* no PT page now */
	p = walk(va);
	KT_EXPECT(t, !p.rw);
	KT_EXPECT_EQ(t, p.nx, cpu_has_nx);
	KT_EXPECT_EQ(t, p.global, cpu_has_pge);
	KT_EXPECT_EQ(t, memcmp((void *)(va + off), own, PAGE_SIZE), 0);
	KT_EXPECT(t, faults(VA(va + off), 1));
	KT_EXPECT_EQ(t, pmap_kpromote(va), -1); /* already 2 MiB */

	/* Our writes through the DMAP show through the 2 MiB mapping. */
	own[5] = ~own[5];
	KT_EXPECT_EQ(t, *(volatile uint64_t *)(va + off + 5 * 8), own[5]);

	/* Removed: the whole 2 MiB faults. */
	KT_EXPECT_EQ(t, pmap_kremove_2m(va + PAGE_SIZE), -1);
	KT_EXPECT_EQ(t, pmap_kremove_2m(va), 0);
	KT_EXPECT_EQ(t, pmap_kextract(va + off), NOT_MAPPED);
	KT_EXPECT(t, faults(VA(va + off), 0));
	KT_EXPECT(t, faults(VA(va + NBPDR - 8), 0));
	KT_EXPECT_EQ(t, pmap_kremove_2m(va), -1);
	KT_EXPECT_EQ(t, pmap_kremove_2m(KERNBASE + KERNLOAD_PA), -1);
	/* The range is usable for 4K mappings again. */
	pmap_kenter(va, pa, VM_PROT_READ);
	KT_EXPECT_EQ(t, *(volatile uint64_t *)va, own[0]);
	pmap_kremove(va);
	kva_free(kva, 2 * NPTEPG);
	vm_page_free(m);
}

/*
 * 2 MiB kernel mappings and other CPUs.  A helper thread on CPU 1 reads
 * through the 4K mappings of a chunk (its TLB now holds 4K entries for
 * them), then sits in a critical section - which defers its IPI-queue
 * drain, so it cannot acknowledge a shootdown - while the main thread
 * promotes the chunk, and watches the old PT page: it must stay
 * allocated until CPU 1 has acknowledged, because until then CPU 1's
 * page walks may still read it.  The promotion must also shoot the 4K
 * entries down everywhere.  After pmap_kremove_2m() the helper reads the
 * pages again (they must fault), and its counters must show an
 * invalidation of the whole 2 MiB (a full flush, or one INVLPG per page
 * with pmap.inval_ceiling >= 512), not only of its first page.
 *
 * What this cannot see: whether a real CPU keeps a 2 MiB TLB entry, or
 * 4K pieces of one, or a paging-structure-cache entry for the PD slot
 * after an INVLPG of one page; QEMU's TCG flushes its whole TLB when an
 * INVLPG hits a large page it cached, and caches no paging structures.
 * The counters and the PT page's life are what the architecture's rules
 * ask for; a TLB sanitizer that models those rules (issue 11) plugs in
 * at the hook points in pmap.c:pmap_kpromote/pmap_kremove_2m.
 */
#define K2M_READS   16               /* pages the helper reads: 1..16 */
#define K2M_HOLD_NS (20 * NS_PER_MS) /* helper's critical section */
#define K2M_WAIT_NS (2 * NS_PER_S)   /* handshakes must finish by then */

#define K2M_READY    1 /* helper: read pages 1..16 through the 4K PTEs */
#define K2M_HOLD     2 /* main: go into the critical section */
#define K2M_HOLDING  3 /* helper: in it, watching the PT page */
#define K2M_RELEASED 4 /* helper: left it (acknowledged) */
#define K2M_REMOVED  5 /* main: pmap_kremove_2m() has returned */
#define K2M_DONE     6 /* helper: read the pages after the removal */

static struct k2m {
	vm_offset_t k_va;           /* the 2 MiB-aligned KVA */
	struct vm_page *k_ptpage;   /* the PT page promotion retires */
	volatile int k_state;       /* K2M_* */
	volatile int k_freed_held;  /* helper saw the PT page free: bad */
	volatile int k_read_before; /* pages the helper read at first */
	volatile int k_stale_after; /* pages readable after the removal */
} k2m;

static bool
k2m_wait(int want)
{
	uint64_t end = nanouptime() + K2M_WAIT_NS;

	while (__atomic_load_n(&k2m.k_state, __ATOMIC_ACQUIRE) < want) {
		if (nanouptime() > end) {
			kprintf("    # k2m: cpu %d waited 2 s for state %d, "
			        "state is %d\n",
			        mycpu->gd_cpuid, want, k2m.k_state);
			return false;
		}
		cpu_pause();
	}
	return true;
}

static void
k2m_set(int state)
{
	__atomic_store_n(&k2m.k_state, state, __ATOMIC_RELEASE);
}

static int
k2m_read_pages(void)
{
	uint64_t v;
	int i, n = 0;

	for (i = 1; i <= K2M_READS; i++)
		if (cpu_fetch(VA(k2m.k_va + i * PAGE_SIZE), &v) == 0)
			n++;
	return n;
}

static void
k2m_helper(void *arg)
{
	uint64_t end;

	(void)arg;
	k2m.k_read_before = k2m_read_pages();
	k2m_set(K2M_READY);
	if (k2m_wait(K2M_HOLD)) {
		/*
		 * pmap.inval=sync acknowledges inside critical sections by
		 * design (its vector ignores them): only interrupts off hold
		 * its acknowledgement back.
		 */
		bool introff = pmap_inval_mode == PMAP_INVAL_SYNC;
		uint64_t fl = 0;

		crit_enter();
		if (introff)
			fl = intr_disable();
		k2m_set(K2M_HOLDING);
		end = nanouptime() + K2M_HOLD_NS;
		while (nanouptime() < end)
			if (k2m.k_ptpage->pg_flags & VPF_FREE)
				k2m.k_freed_held = 1;
		if (introff)
			intr_restore(fl);
		crit_exit(); /* the deferred drain acknowledges here */
	}
	k2m_set(K2M_RELEASED);
	if (k2m_wait(K2M_REMOVED))
		k2m.k_stale_after = k2m_read_pages();
	k2m_set(K2M_DONE);
}

static void
pmap_kpromote_kremove_2m_remote(struct ktest *t)
{
	struct vm_page *m = vm_page_alloc();
	vm_offset_t kva = kva_alloc(2 * NPTEPG);
	const struct pcpu_counters *c1;
	uint64_t invlpg0, invltlb0, d_invlpg, d_invltlb;
	vm_paddr_t base;
	struct pmap_walk w;
	int i;

	if (ncpus < 2)
		KT_SKIP(t, "needs 2 CPUs");
	KT_ASSERT(t, m != NULL && kva != 0);
	memset(&k2m, 0, sizeof(k2m));
	k2m.k_va = roundup2(kva, NBPDR);
	base = rounddown2(vm_page_to_phys(m), NBPDR);
	KT_ASSERT(t, base + NBPDR <= dmap_top);
	for (i = 0; i < NPTEPG; i++)
		pmap_kenter(k2m.k_va + i * PAGE_SIZE, base + i * PAGE_SIZE,
		            VM_PROT_READ);
	pmap_kwalk(kernel_pml4_pa, k2m.k_va, &w);
	KT_ASSERT_EQ(t, w.pw_levels, 4);
	k2m.k_ptpage = phys_to_vm_page(w.pw_entry[2] & PG_FRAME);

	lwkt_create(k2m_helper, NULL, "k2m", 1, TDPRI_NORMAL);
	KT_ASSERT(t, k2m_wait(K2M_READY));
	KT_EXPECT_EQ(t, k2m.k_read_before, K2M_READS);
	k2m_set(K2M_HOLD);
	KT_ASSERT(t, k2m_wait(K2M_HOLDING));
	KT_EXPECT_EQ(t, pmap_kpromote(k2m.k_va), 0);
	KT_ASSERT(t, k2m_wait(K2M_RELEASED));
	/* Freed only after CPU 1 acknowledged, so never while it held. */
	KT_EXPECT_EQ(t, k2m.k_freed_held, 0);

	c1 = &globaldata_find(1)->gd_cnt;
	invlpg0 = c1->pc_invlpg;
	invltlb0 = c1->pc_invltlb;
	KT_EXPECT_EQ(t, pmap_kremove_2m(k2m.k_va), 0);
	d_invlpg = c1->pc_invlpg - invlpg0;
	d_invltlb = c1->pc_invltlb - invltlb0;
	k2m_set(K2M_REMOVED);
	KT_ASSERT(t, k2m_wait(K2M_DONE));
	kprintf("    # cpu 1 after kremove_2m: %lu invlpg, %lu full flushes; "
	        "%d of %d pages still readable\n",
	        d_invlpg, d_invltlb, k2m.k_stale_after, K2M_READS);
	KT_EXPECT(t, d_invltlb > 0 || d_invlpg >= NPTEPG);
	KT_EXPECT_EQ(t, k2m.k_stale_after, 0);
	KT_EXPECT_EQ(t, pmap_kextract(k2m.k_va + PAGE_SIZE), NOT_MAPPED);
	kva_free(kva, 2 * NPTEPG);
	vm_page_free(m);
}

/*
 * Re-entering a kernel page with the same frame and rights keeps its A
 * and D bits.  Dropping D would be worse than losing history: no
 * invalidation is needed for such a change, so a TLB entry cached as
 * dirty survives and later writes through it never set D again.
 */
static void
pmap_kenter_keeps_ad(struct ktest *t)
{
	struct vm_page *m = vm_page_alloc(), *m2 = vm_page_alloc();
	vm_offset_t va = kva_alloc(1);
	const pt_entry_t ad = PG_A | PG_M;
	vm_paddr_t pa;
	pt_entry_t *pte;

	KT_ASSERT(t, m != NULL && m2 != NULL && va != 0);
	pa = vm_page_to_phys(m);
	pmap_kenter(va, pa, VM_PROT_READ | VM_PROT_WRITE);
	pte = pmap_kpte(va);
	KT_ASSERT(t, pte != NULL);
	KT_EXPECT_EQ(t, *pte & ad, 0);
	*(volatile uint64_t *)va = 1; /* the page walk sets A and D */
	KT_EXPECT_EQ(t, *pte & ad, ad);
	pmap_kenter(va, pa, VM_PROT_READ | VM_PROT_WRITE);
	KT_EXPECT_EQ(t, *pte & ad, ad);
	*pte &= ~ad; /* as a pager would, then ... */
	invlpg(va);  /* ... with the invalidation it needs */
	*(volatile uint64_t *)va = 2;
	KT_EXPECT_EQ(t, *pte & PG_M, PG_M);
	/* Another frame is another mapping: its bits start clear. */
	pmap_kenter(va, vm_page_to_phys(m2), VM_PROT_READ | VM_PROT_WRITE);
	KT_EXPECT_EQ(t, *pte & ad, 0);
	KT_EXPECT_EQ(t, *(volatile uint64_t *)va, 0);
	pmap_kremove(va);
	kva_free(va, 1);
	vm_page_free(m);
	vm_page_free(m2);
}

/* CPU 0's per-CPU pages: guards fault, backed pages do not. */
static void
pmap_prvspace_guards(struct ktest *t)
{
	struct privatespace *ps = &CPU_prvspace[0];
	int i;

	for (i = 0; i < NPRIVPAGES; i++) {
		const char *pg = (const char *)ps + i * PAGE_SIZE;
		bool guard = i == 1 || i == 3 || i == 5 || i == 7 || i == 15;

		if (i >= PRV_PAGE_CADDR && i < PRV_PAGE_CADDR + NCMAP)
			continue; /* mapped only while in use */
		KT_EXPECT_EQ(t, PRV_PAGE_MAPPED(i), !guard);
		if (guard) {
			if (!faults(pg, 0) || !faults(pg + PAGE_SIZE - 8, 0))
				ktest_fail(t, __FILE__, __LINE__,
				           "guard page %d at %p does not fault",
				           i, (const void *)pg);
			KT_EXPECT_EQ(t, pmap_kextract((vm_offset_t)pg),
			             NOT_MAPPED);
		} else {
			struct walk_perm p = walk((vm_offset_t)pg);

			if (cpu_probe(pg, 0) != 0 ||
			    cpu_probe(pg + PAGE_SIZE - 8, 0) != 0)
				ktest_fail(t, __FILE__, __LINE__,
				           "per-CPU page %d at %p faults", i,
				           (const void *)pg);
			KT_EXPECT(t, p.mapped && p.rw);
			KT_EXPECT_EQ(t, p.nx, cpu_has_nx);
		}
	}
	KT_EXPECT_EQ(t, (uint64_t)ps->guard1, (uint64_t)ps + PAGE_SIZE);
	KT_EXPECT_EQ(t, (uint64_t)ps->guard15, (uint64_t)ps + 15 * PAGE_SIZE);
	KT_EXPECT_EQ(t, (uint64_t)&ps->mdglobaldata.mi,
	             (uint64_t)globaldata_find(0));
}

KTEST_SUITE(pmap, "pmap", NULL, NULL,
            KTEST_CASE(pmap_null_and_identity_unmapped),
            KTEST_CASE(pmap_kernel_pml4_two_entries),
            KTEST_CASE(pmap_text_not_writable),
            KTEST_CASE(pmap_rodata_not_writable),
            KTEST_CASE(pmap_data_writable), KTEST_CASE(pmap_dmap_nx),
            KTEST_CASE(pmap_kenter_dmap_coherent),
            KTEST_CASE(pmap_kenter_kremove_round_trip),
            KTEST_CASE(pmap_kpromote_2m),
            KTEST_CASE(pmap_kpromote_kremove_2m_remote),
            KTEST_CASE(pmap_kenter_keeps_ad), KTEST_CASE(pmap_prvspace_guards));
