/*
 * Host tests for the page-table index arithmetic in <cpu/pte.h>.
 *
 * The header is all inline functions and constants, so there is no .c to
 * link.  Each helper is checked against an independent formulation: the
 * four indexes against one 36-bit shift of the virtual page number,
 * va_from_indexes() against a sign extension done with a signed shift,
 * va_is_canonical() against the same sign extension.  The fixed kernel
 * addresses of <machine/vmparam.h> are checked to land in the PML4 and
 * PDP slots docs/ARCHITECTURE.md gives them.
 */
#include <cpu/pte.h>
#include <machine/vmparam.h>

#include "htest.h"

static uint64_t rng = 0x2545f4914f6cdd1dull; /* xorshift64 state */

static uint64_t
rnd(void)
{
	return ht_xorshift64(&rng);
}

/* Sign-extend bit 47 the other way: through a signed shift. */
static uint64_t
sext47(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16);
}

static void
test_constants(void)
{
	HT_CHECK_EQ(PAGE_SIZE, 4096);
	HT_CHECK_EQ(PAGE_MASK, 4095);
	HT_CHECK_EQ(NBPDR, (uint64_t)NPTEPG * PAGE_SIZE);
	HT_CHECK_EQ(NBPDP, (uint64_t)NPTEPG * NBPDR);
	HT_CHECK_EQ(NBPML4, (uint64_t)NPTEPG * NBPDP);
	/* Frames: bits 12..51, and the large-page frames inside them. */
	HT_CHECK_EQ(PG_FRAME, ((1ull << 52) - 1) & ~PAGE_MASK);
	HT_CHECK_EQ(PG_PS_FRAME_2M, PG_FRAME & ~(NBPDR - 1));
	HT_CHECK_EQ(PG_PS_FRAME_1G, PG_FRAME & ~(NBPDP - 1));
	/* The flag bits are single, distinct and outside the frame. */
	{
		static const uint64_t flags[] = {PG_V,   PG_RW, PG_U, PG_PWT,
		                                 PG_PCD, PG_A,  PG_M, PG_PS,
		                                 PG_G,   PG_NX};
		uint64_t seen = 0;
		unsigned i;

		for (i = 0; i < nitems(flags); i++) {
			HT_CHECK_EQ(__builtin_popcountll(flags[i]), 1);
			HT_CHECK_EQ(flags[i] & seen, 0);
			HT_CHECK_EQ(flags[i] & PG_FRAME, 0);
			seen |= flags[i];
		}
	}
	HT_CHECK_EQ(PG_NX, 1ull << 63);
	HT_CHECK_EQ(PG_PS, 1ull << 7);
}

static void
test_known_addresses(void)
{
	HT_CHECK_EQ(pml4_index(0), 0);
	HT_CHECK_EQ(pt_index(PAGE_SIZE - 1), 0);
	HT_CHECK_EQ(pt_index(PAGE_SIZE), 1);
	HT_CHECK_EQ(pd_index(NBPDR), 1);
	HT_CHECK_EQ(pdp_index(NBPDP), 1);
	HT_CHECK_EQ(pml4_index(NBPML4), 1);
	/* The top of user space: every index 511, slot 255. */
	HT_CHECK_EQ(pml4_index(VM_MAX_USER_ADDRESS - 1), 255);
	HT_CHECK_EQ(pdp_index(VM_MAX_USER_ADDRESS - 1), 511);
	HT_CHECK_EQ(pd_index(VM_MAX_USER_ADDRESS - 1), 511);
	HT_CHECK_EQ(pt_index(VM_MAX_USER_ADDRESS - 1), 511);
	/* The kernel's fixed regions (docs/ARCHITECTURE.md). */
	HT_CHECK_EQ(pml4_index(DMAP_MIN_ADDRESS), KPML4_DMAP);
	HT_CHECK_EQ(pml4_index(DMAP_MAX_ADDRESS - 1), KPML4_DMAP);
	HT_CHECK_EQ(pml4_index(PRIVSPACE_ADDRESS), KPML4_KERNEL);
	HT_CHECK_EQ(pdp_index(PRIVSPACE_ADDRESS), 0);
	HT_CHECK_EQ(pdp_index(PRIVSPACE_ADDRESS + PRIVSPACE_MAXSIZE - 1), 0);
	HT_CHECK_EQ(pml4_index(KVA_MIN_ADDRESS), KPML4_KERNEL);
	HT_CHECK_EQ(pdp_index(KVA_MIN_ADDRESS), 1);
	HT_CHECK_EQ(pdp_index(KVA_MAX_ADDRESS - 1), 4);
	HT_CHECK_EQ(pd_index(KVA_MIN_ADDRESS), 0);
	HT_CHECK_EQ(pml4_index(KERNBASE), KPML4_KERNEL);
	HT_CHECK_EQ(pdp_index(KERNBASE), 510);
	HT_CHECK_EQ(pd_index(KERNBASE), 0);
	HT_CHECK_EQ(pdp_index(UINT64_MAX), 511);
	HT_CHECK_EQ(pd_index(KERNBASE + KERNLOAD_PA), 1);
	HT_CHECK_EQ(KERNLOAD_PA & (NBPDR - 1), 0);
	HT_CHECK_EQ(MP_TRAMPOLINE_PA & PAGE_MASK, 0);
	HT_CHECK(MP_TRAMPOLINE_PA < (1ul << 20));
	HT_CHECK_EQ(PHYS_TO_DMAP(0x1234), DMAP_MIN_ADDRESS + 0x1234);
	HT_CHECK_EQ(DMAP_TO_PHYS(PHYS_TO_DMAP(0x123456789ull)), 0x123456789);
	HT_CHECK_EQ(KVA_SIZE, 4 * NBPDP);
	HT_CHECK_EQ(KERNBASE, va_from_indexes(511, 510, 0, 0));
	HT_CHECK_EQ(DMAP_MIN_ADDRESS, va_from_indexes(256, 0, 0, 0));
	HT_CHECK_EQ(PRIVSPACE_ADDRESS, va_from_indexes(511, 0, 0, 0));
	HT_CHECK_EQ(KVA_MIN_ADDRESS, va_from_indexes(511, 1, 0, 0));
}

/* Every index against one shift of the virtual page number. */
static void
test_indexes_random(void)
{
	int i, bad = 0;

	for (i = 0; i < 1000000; i++) {
		uint64_t va = rnd();
		uint64_t vpn = (va >> 12) & ((1ull << 36) - 1);
		uint64_t joined = (uint64_t)pml4_index(va) << 27 |
		                  (uint64_t)pdp_index(va) << 18 |
		                  (uint64_t)pd_index(va) << 9 | pt_index(va);

		if (joined != vpn || pml4_index(va) > 511 ||
		    pt_index(va | PAGE_MASK) != pt_index(va & ~PAGE_MASK))
			bad++;
	}
	HT_CHECK_EQ(bad, 0);
}

/* Adding one unit of a level bumps exactly that index (with carries). */
static void
test_index_steps(void)
{
	int i, bad = 0;

	for (i = 0; i < 100000; i++) {
		uint64_t va = rnd() & ((1ull << 48) - 1);

		if (pt_index(va + PAGE_SIZE) != (pt_index(va) + 1) % 512)
			bad++;
		if (pd_index(va + NBPDR) != (pd_index(va) + 1) % 512)
			bad++;
		if (pdp_index(va + NBPDP) != (pdp_index(va) + 1) % 512)
			bad++;
		if (pml4_index(va + NBPML4) != (pml4_index(va) + 1) % 512)
			bad++;
		if (pd_index(va + PAGE_SIZE) != pd_index(va) &&
		    pt_index(va) != 511)
			bad++;
	}
	HT_CHECK_EQ(bad, 0);
}

static void
test_va_from_indexes(void)
{
	unsigned l4;
	int i, bad = 0;

	/* Every PML4 slot, with the corner values of the other levels. */
	for (l4 = 0; l4 < 512; l4++) {
		static const unsigned corner[] = {0, 1, 255, 256, 510, 511};
		unsigned a, b, c;

		for (a = 0; a < nitems(corner); a++)
			for (b = 0; b < nitems(corner); b++)
				for (c = 0; c < nitems(corner); c++) {
					vm_offset_t va = va_from_indexes(
					    l4, corner[a], corner[b],
					    corner[c]);

					if (!va_is_canonical(va) ||
					    (va & PAGE_MASK) != 0 ||
					    pml4_index(va) != l4 ||
					    pdp_index(va) != corner[a] ||
					    pd_index(va) != corner[b] ||
					    pt_index(va) != corner[c])
						bad++;
					/* Upper half iff slot >= 256. */
					if ((va >> 63) != (l4 >= 256))
						bad++;
				}
	}
	HT_CHECK_EQ(bad, 0);
	/* Round trip from random canonical addresses. */
	for (i = 0; i < 1000000; i++) {
		uint64_t va = sext47(rnd());

		if (va_from_indexes(pml4_index(va), pdp_index(va), pd_index(va),
		                    pt_index(va)) != (va & ~PAGE_MASK))
			bad++;
	}
	HT_CHECK_EQ(bad, 0);
	HT_CHECK_EQ(va_from_indexes(511, 511, 511, 511), ~PAGE_MASK);
	HT_CHECK_EQ(va_from_indexes(255, 511, 511, 511),
	            VM_MAX_USER_ADDRESS - PAGE_SIZE);
	HT_CHECK_EQ(va_from_indexes(0, 0, 0, 0), 0);
}

static void
test_canonical(void)
{
	static const struct {
		uint64_t va;
		bool canon;
	} cases[] = {
	    {0, true},
	    {0x00007fffffffffffull, true},
	    {0x0000800000000000ull, false}, /* the hole's bottom */
	    {0x0000800000000001ull, false},
	    {0x7fffffffffffffffull, false},
	    {0x8000000000000000ull, false},
	    {0xffff7fffffffffffull, false}, /* the hole's top */
	    {0xffff800000000000ull, true},
	    {0xffffffff80000000ull, true},
	    {0xffffffffffffffffull, true},
	    {0x0001000000000000ull, false},
	    {0xfffe800000000000ull, false},
	};
	unsigned i;
	int n, bad = 0;

	for (i = 0; i < nitems(cases); i++)
		HT_CHECK_EQ(va_is_canonical(cases[i].va), cases[i].canon);
	for (n = 0; n < 1000000; n++) {
		uint64_t va = rnd();

		/* Half the samples canonical, half random. */
		if (n & 1)
			va = sext47(va);
		if (va_is_canonical(va) != (sext47(va) == va))
			bad++;
	}
	HT_CHECK_EQ(bad, 0);
}

int
main(void)
{
	ht_begin();
	ht_run("constants", test_constants);
	ht_run("known_addresses", test_known_addresses);
	ht_run("indexes_random", test_indexes_random);
	ht_run("index_steps", test_index_steps);
	ht_run("va_from_indexes", test_va_from_indexes);
	ht_run("canonical", test_canonical);
	return ht_done();
}
