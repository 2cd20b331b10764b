/*
 * vm_page_test.c - in-kernel tests of the physical page allocator.
 *
 * Checks what every caller relies on: a page comes back zeroed, page
 * aligned, marked in use and distinct from every other page in use; a
 * freed page comes back zeroed however it was left; the free count moves
 * by exactly one per page.  The counts are exact because tests run one at
 * a time and nothing else allocates pages meanwhile.  A double free is a
 * panic by design, so it is not tested here.
 */
#include <sys/ktest.h>
#include <sys/param.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define NDISTINCT    256 /* pages held at once by the distinctness test */
#define WORDS_PER_PG (PAGE_SIZE / sizeof(uint64_t))

static struct vm_page *held[NDISTINCT]; /* pages the running test holds */

static bool
page_is_zero(struct vm_page *m)
{
	const uint64_t *w = pmap_map_dmap(vm_page_to_phys(m));
	size_t i;

	for (i = 0; i < WORDS_PER_PG; i++)
		if (w[i] != 0)
			return false;
	return true;
}

static void
vm_alloc_zeroed_aligned(struct ktest *t)
{
	int i;

	for (i = 0; i < 32; i++) {
		struct vm_page *m = vm_page_alloc();
		vm_paddr_t pa;

		KT_ASSERT(t, m != NULL);
		pa = vm_page_to_phys(m);
		KT_EXPECT_EQ(t, pa & PAGE_MASK, 0);
		KT_EXPECT_NE(t, pa, 0);
		KT_EXPECT_EQ(t, (uint64_t)pmap_map_dmap(pa) & PAGE_MASK, 0);
		KT_EXPECT(t, page_is_zero(m));
		KT_EXPECT_EQ(t, m->pg_flags & (VPF_RAM | VPF_FREE), VPF_RAM);
		KT_EXPECT_EQ(t, (uint64_t)phys_to_vm_page(pa), (uint64_t)m);
		/* The direct map translates back to the same page. */
		KT_EXPECT_EQ(t, pmap_kextract((vm_offset_t)pmap_map_dmap(pa)),
		             pa);
		held[i] = m;
	}
	for (i = 0; i < 32; i++)
		vm_page_free(held[i]);
}

/* Many pages at once: all different; writing one never shows in another. */
static void
vm_alloc_distinct(struct ktest *t)
{
	int i, j, n;

	for (n = 0; n < NDISTINCT; n++) {
		held[n] = vm_page_alloc();
		if (held[n] == NULL)
			break;
	}
	KT_EXPECT_EQ(t, n, NDISTINCT);
	for (i = 0; i < n; i++) {
		uint64_t *w = pmap_map_dmap(vm_page_to_phys(held[i]));

		w[0] = 0x5ca1ab1e00000000ull | (uint64_t)i;
		w[WORDS_PER_PG - 1] = ~(uint64_t)i;
	}
	for (i = 0; i < n; i++) {
		const uint64_t *w = pmap_map_dmap(vm_page_to_phys(held[i]));

		KT_EXPECT_EQ(t, w[0], 0x5ca1ab1e00000000ull | (uint64_t)i);
		KT_EXPECT_EQ(t, w[WORDS_PER_PG - 1], ~(uint64_t)i);
		for (j = i + 1; j < n; j++)
			if (held[i] == held[j])
				ktest_fail(t, __FILE__, __LINE__,
				           "pages %d and %d are both %#lx", i,
				           j, vm_page_to_phys(held[i]));
	}
	for (i = 0; i < n; i++)
		vm_page_free(held[i]);
}

/* A page freed dirty comes back zeroed; the LIFO list hands it back. */
static void
vm_free_realloc(struct ktest *t)
{
	int round, reused = 0;

	for (round = 0; round < 8; round++) {
		struct vm_page *m = vm_page_alloc(), *m2;

		KT_ASSERT(t, m != NULL);
		memset(pmap_map_dmap(vm_page_to_phys(m)), 0xa5, PAGE_SIZE);
		vm_page_free(m);
		KT_EXPECT_EQ(t, m->pg_flags & VPF_FREE, VPF_FREE);
		m2 = vm_page_alloc();
		KT_ASSERT(t, m2 != NULL);
		if (m2 == m)
			reused++;
		KT_EXPECT(t, page_is_zero(m2));
		vm_page_free(m2);
	}
	KT_EXPECT_EQ(t, reused, 8);
}

static void
vm_counts(struct ktest *t)
{
	uint64_t f0 = vm_page_free_count(), total = vm_page_total_count();
	int i;

	KT_ASSERT_LE(t, f0, total);
	KT_ASSERT_GE(t, f0, 2 * NDISTINCT);
	/* Usable RAM is at least the kernel's minimum (boot checked). */
	KT_EXPECT(t, total * PAGE_SIZE >= VM_MIN_USABLE_BYTES / 2);
	for (i = 0; i < NDISTINCT; i++) {
		held[i] = vm_page_alloc();
		KT_ASSERT(t, held[i] != NULL);
		KT_EXPECT_EQ(t, vm_page_free_count(), f0 - (uint64_t)i - 1);
	}
	for (i = NDISTINCT - 1; i >= 0; i--) {
		vm_page_free(held[i]);
		KT_EXPECT_EQ(t, vm_page_free_count(), f0 - (uint64_t)i);
	}
	KT_EXPECT_EQ(t, vm_page_free_count(), f0);
	KT_EXPECT_EQ(t, vm_page_total_count(), total);
}

/* A 2 MiB-aligned contiguous run: aligned, zeroed, off the free list. */
static void
vm_alloc_contig_2m(struct ktest *t)
{
	uint64_t before = vm_page_free_count(), i;
	struct vm_page *m = vm_page_alloc_contig(NPTEPG, NPTEPG);
	vm_paddr_t pa;

	KT_EXPECT(t, vm_page_alloc_contig(0, 1) == NULL);
	KT_EXPECT(t, vm_page_alloc_contig(1, 3) == NULL); /* not a power */
	KT_ASSERT(t, m != NULL);
	pa = vm_page_to_phys(m);
	KT_EXPECT_EQ(t, pa & (NPTEPG * PAGE_SIZE - 1), 0);
	KT_EXPECT_EQ(t, vm_page_free_count(), before - NPTEPG);
	for (i = 0; i < NPTEPG; i++) {
		const uint64_t *p = pmap_map_dmap(pa + i * PAGE_SIZE);

		KT_EXPECT_EQ(t, phys_to_vm_page(pa + i * PAGE_SIZE), m + i);
		KT_EXPECT_EQ(t, m[i].pg_flags & VPF_FREE, 0);
		KT_EXPECT_EQ(t, p[i % WORDS_PER_PG], 0);
	}
	for (i = 0; i < NPTEPG; i++)
		vm_page_free(m + i);
	KT_EXPECT_EQ(t, vm_page_free_count(), before);
}

KTEST_SUITE(vm_page, "vm", NULL, NULL, KTEST_CASE(vm_alloc_zeroed_aligned),
            KTEST_CASE(vm_alloc_contig_2m), KTEST_CASE(vm_alloc_distinct),
            KTEST_CASE(vm_free_realloc), KTEST_CASE(vm_counts));
