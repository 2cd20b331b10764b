/*
 * Host tests for the physical range sets (vm_phys.c).
 *
 * The directed tests feed phys_ranges_add/remove/steal/contains the kinds
 * of input a firmware memory map produces: unsorted, overlapping, adjacent,
 * zero-length and unaligned entries, entries that wrap past 2^64 or reach
 * beyond the 52-bit physical limit, reserved entries overlapping available
 * ones, and more entries than the set can hold.  After every call the set
 * is checked against its invariant (sorted, disjoint, non-adjacent,
 * non-empty, page aligned).
 *
 * The model check then runs long random sequences of all four operations
 * against a one-bit-per-page bitmap over a small window of 64 pages, and
 * compares the set, the totals, steal's results and contains' answers
 * after every step.  The window is placed once at address 0 and once
 * straddling the 52-bit limit, so clipping and wrap-around are part of the
 * random search.  The model computes in 128-bit arithmetic so it cannot
 * share an overflow bug with the code under test.
 */
#include <vm/vm_phys.h>

#include <string.h>

#include "htest.h"

#define PG       4096ull
#define PA_MAX   (1ull << 52) /* vm_phys.c's physical limit */
#define NPAGES   64           /* pages in the model window */
#define FUZZ_OPS 200000       /* random operations per window */

typedef unsigned __int128 u128;

static struct phys_ranges rs; /* the set under test */

static void
reset(void)
{
	memset(&rs, 0, sizeof(rs));
}

/* The invariant every phys_ranges function must keep. */
static bool
invariant_ok(const struct phys_ranges *s)
{
	int i;

	if (s->pr_n < 0 || s->pr_n > PHYS_RANGES_MAX)
		return false;
	for (i = 0; i < s->pr_n; i++) {
		const struct phys_range *r = &s->pr[i];

		if (r->pr_start >= r->pr_end)
			return false; /* empty or inverted */
		if ((r->pr_start | r->pr_end) & (PG - 1))
			return false; /* unaligned */
		if (r->pr_end > PA_MAX)
			return false; /* beyond the physical limit */
		if (i > 0 && s->pr[i - 1].pr_end >= r->pr_start)
			return false; /* unsorted, overlapping or adjacent */
	}
	return true;
}

/* Check the set is exactly the n ranges given as start, end pairs. */
static bool
set_is(const uint64_t *want, int n)
{
	int i;

	if (rs.pr_n != n)
		return false;
	for (i = 0; i < n; i++)
		if (rs.pr[i].pr_start != want[2 * i] ||
		    rs.pr[i].pr_end != want[2 * i + 1])
			return false;
	return true;
}

static void
dump(void)
{
	int i;

	for (i = 0; i < rs.pr_n; i++)
		printf("    # [%#llx, %#llx)\n",
		       (unsigned long long)rs.pr[i].pr_start,
		       (unsigned long long)rs.pr[i].pr_end);
}

#define CHECK_SET(...)                                                         \
	do {                                                                   \
		static const uint64_t want_[] = {__VA_ARGS__};                 \
		HT_CHECK(invariant_ok(&rs));                                   \
		HT_CHECK(set_is(want_, (int)(nitems(want_) / 2)));             \
		if (!set_is(want_, (int)(nitems(want_) / 2)))                  \
			dump();                                                \
	} while (0)

#define CHECK_EMPTY()                                                          \
	do {                                                                   \
		HT_CHECK(invariant_ok(&rs));                                   \
		HT_CHECK_EQ(rs.pr_n, 0);                                       \
	} while (0)

/* ------------------------------------------------------------------ */
/* Directed tests                                                      */

static void
test_empty_and_zero_length(void)
{
	reset();
	phys_ranges_add(&rs, 0x10000, 0);
	CHECK_EMPTY();
	/* Less than a page, or a page's worth that straddles a boundary. */
	phys_ranges_add(&rs, 0x10001, 0xfff);
	phys_ranges_add(&rs, 0x10800, 0x1000);
	phys_ranges_add(&rs, 0x10000, 0xfff);
	CHECK_EMPTY();
	HT_CHECK_EQ(phys_ranges_total(&rs), 0);
	HT_CHECK(!phys_ranges_contains(&rs, 0x10000, 0x11000));
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, PG, UINT64_MAX), 0);
	/* Removing from an empty set, or an empty/inverted range, is fine. */
	phys_ranges_remove(&rs, 0, UINT64_MAX);
	CHECK_EMPTY();
	phys_ranges_add(&rs, 0x10000, 0x2000);
	phys_ranges_remove(&rs, 0x10000, 0x10000);
	phys_ranges_remove(&rs, 0x11000, 0x10000);
	CHECK_SET(0x10000, 0x12000);
	HT_CHECK_EQ(rs.pr_dropped, 0);
}

static void
test_unaligned_shrink_widen(void)
{
	reset();
	/* add shrinks inward ... */
	phys_ranges_add(&rs, 0x1800, 0x3000); /* [0x1800, 0x4800) */
	CHECK_SET(0x2000, 0x4000);
	/* ... and the low-memory entry of a PC map loses its partial page. */
	phys_ranges_add(&rs, 0x10000, 0x9fc00 - 0x10000);
	CHECK_SET(0x2000, 0x4000, 0x10000, 0x9f000);
	/* remove widens outward: one byte takes its whole page. */
	phys_ranges_remove(&rs, 0x2800, 0x2801);
	CHECK_SET(0x3000, 0x4000, 0x10000, 0x9f000);
	phys_ranges_remove(&rs, 0x10fff, 0x11001);
	CHECK_SET(0x3000, 0x4000, 0x12000, 0x9f000);
	HT_CHECK(phys_ranges_contains(&rs, 0x12000, 0x9f000));
	HT_CHECK(phys_ranges_contains(&rs, 0x3000, 0x3001));
	HT_CHECK(!phys_ranges_contains(&rs, 0x11fff, 0x12001));
	HT_CHECK_EQ(phys_ranges_total(&rs), 0x1000 + 0x8d000);
}

static void
test_unsorted(void)
{
	reset();
	phys_ranges_add(&rs, 0x50000, 0x1000);
	phys_ranges_add(&rs, 0x10000, 0x1000);
	phys_ranges_add(&rs, 0x30000, 0x1000);
	phys_ranges_add(&rs, 0x70000, 0x1000);
	phys_ranges_add(&rs, 0x20000, 0x1000);
	CHECK_SET(0x10000, 0x11000, 0x20000, 0x21000, 0x30000, 0x31000, 0x50000,
	          0x51000, 0x70000, 0x71000);
	HT_CHECK_EQ(phys_ranges_total(&rs), 5 * PG);
}

static void
test_overlap_and_adjacent_merge(void)
{
	reset();
	phys_ranges_add(&rs, 0x10000, 0x2000);
	phys_ranges_add(&rs, 0x12000, 0x2000); /* touches: merges */
	CHECK_SET(0x10000, 0x14000);
	phys_ranges_add(&rs, 0xe000, 0x2000); /* touches below */
	CHECK_SET(0xe000, 0x14000);
	phys_ranges_add(&rs, 0x11000, 0x1000); /* inside: no change */
	CHECK_SET(0xe000, 0x14000);
	phys_ranges_add(&rs, 0x20000, 0x1000);
	phys_ranges_add(&rs, 0x30000, 0x1000);
	phys_ranges_add(&rs, 0x40000, 0x1000);
	/* One range swallowing three and touching a fourth. */
	phys_ranges_add(&rs, 0x13800, 0x40000 - 0x13800);
	CHECK_SET(0xe000, 0x41000);
	/* Same entry twice, and a superset. */
	phys_ranges_add(&rs, 0xe000, 0x33000);
	phys_ranges_add(&rs, 0x1000, 0x100000);
	CHECK_SET(0x1000, 0x101000);
	HT_CHECK_EQ(rs.pr_dropped, 0);
}

static void
test_wrap_and_limit(void)
{
	reset();
	/* Starts at or beyond the 52-bit limit: ignored. */
	phys_ranges_add(&rs, PA_MAX, 0x10000);
	phys_ranges_add(&rs, 0xfffffffffffff000ull, 0x2000); /* wraps */
	phys_ranges_add(&rs, UINT64_MAX, UINT64_MAX);
	CHECK_EMPTY();
	/* Wraps past 2^64: clipped at the limit, not at the wrapped end. */
	phys_ranges_add(&rs, PA_MAX - 0x3000, UINT64_MAX);
	CHECK_SET(PA_MAX - 0x3000, PA_MAX);
	reset();
	phys_ranges_add(&rs, PA_MAX - 0x3000, 0x10000); /* past the limit */
	CHECK_SET(PA_MAX - 0x3000, PA_MAX);
	reset();
	phys_ranges_add(&rs, 0x1000, UINT64_MAX - 0x800);
	CHECK_SET(0x1000, PA_MAX);
	HT_CHECK_EQ(phys_ranges_total(&rs), PA_MAX - 0x1000);
	/* Removing to the end of the address space (machdep clamps to it). */
	phys_ranges_remove(&rs, 0x5000, UINT64_MAX);
	CHECK_SET(0x1000, 0x5000);
	phys_ranges_remove(&rs, UINT64_MAX - 10, UINT64_MAX);
	CHECK_SET(0x1000, 0x5000);
	phys_ranges_add(&rs, PA_MAX - PG, PG);
	phys_ranges_remove(&rs, PA_MAX - 1, UINT64_MAX);
	CHECK_SET(0x1000, 0x5000);
}

/*
 * The pattern of hammer_time(): QEMU's q35 map, every available entry
 * added, every other entry removed, then the first MiB, the kernel, the
 * boot information and a module.
 */
static void
test_reserved_overlapping_available(void)
{
	static const struct {
		uint64_t base, len;
		bool avail;
	} map[] = {
	    {0x0, 0x9fc00, true},
	    {0x9fc00, 0x400, false},
	    {0xf0000, 0x10000, false},
	    {0x100000, 0x1ffdf000 - 0x100000, true},
	    {0x1ffdf000, 0x21000, false},
	    {0xb0000000, 0x10000000, false},
	    /* A reserved hole inside available RAM, listed after it. */
	    {0x8000000, 0x1800, false},
	    /* A reserved entry covering the end of an available one. */
	    {0x1ff00000, 0x200000, false},
	    {0xfd00000000ull, 0x300000000ull, false},
	};
	unsigned i;

	reset();
	for (i = 0; i < nitems(map); i++)
		if (map[i].avail)
			phys_ranges_add(&rs, map[i].base, map[i].len);
	for (i = 0; i < nitems(map); i++)
		if (!map[i].avail)
			phys_ranges_remove(&rs, map[i].base,
			                   map[i].base + map[i].len);
	CHECK_SET(0x0, 0x9f000, 0x100000, 0x8000000, 0x8002000, 0x1ff00000);
	/* The trampoline page is usable before the first MiB goes. */
	HT_CHECK(phys_ranges_contains(&rs, 0x8000, 0x9000));
	phys_ranges_remove(&rs, 0, 1ull << 20);
	phys_ranges_remove(&rs, 0x200000, 0x222000);         /* kernel */
	phys_ranges_remove(&rs, 0x222010, 0x222010 + 0x6a0); /* boot info */
	phys_ranges_remove(&rs, 0x400000, 0x401234);         /* a module */
	CHECK_SET(0x100000, 0x200000, 0x223000, 0x400000, 0x402000, 0x8000000,
	          0x8002000, 0x1ff00000);
	HT_CHECK(!phys_ranges_contains(&rs, 0x8000, 0x9000));
	HT_CHECK(!phys_ranges_contains(&rs, 0x1ff00000, 0x1ff01000));
	HT_CHECK(!phys_ranges_contains(&rs, 0x7fff000, 0x8003000));
	HT_CHECK_EQ(phys_ranges_total(&rs), 0x100000 + (0x400000 - 0x223000) +
	                                        (0x8000000 - 0x402000) +
	                                        (0x1ff00000 - 0x8002000));
}

static void
test_more_than_max_ranges(void)
{
	int i;

	/* Ascending: the first PHYS_RANGES_MAX stay, the rest are counted. */
	reset();
	for (i = 0; i < PHYS_RANGES_MAX + 72; i++)
		phys_ranges_add(&rs, (uint64_t)(2 * i + 1) * PG, PG);
	HT_CHECK(invariant_ok(&rs));
	HT_CHECK_EQ(rs.pr_n, PHYS_RANGES_MAX);
	HT_CHECK_EQ(rs.pr_dropped, 72);
	HT_CHECK_EQ(rs.pr[PHYS_RANGES_MAX - 1].pr_start,
	            (uint64_t)(2 * PHYS_RANGES_MAX - 1) * PG);
	/* A full set still merges: filling gaps needs no new slot. */
	phys_ranges_add(&rs, 2 * PG, PG);
	HT_CHECK(invariant_ok(&rs));
	HT_CHECK_EQ(rs.pr_n, PHYS_RANGES_MAX - 1);
	HT_CHECK_EQ(rs.pr[0].pr_start, PG);
	HT_CHECK_EQ(rs.pr[0].pr_end, 4 * PG);
	phys_ranges_add(&rs, 1000 * PG, PG);
	HT_CHECK_EQ(rs.pr_n, PHYS_RANGES_MAX);
	HT_CHECK_EQ(rs.pr_dropped, 72);

	/* Descending: each new range goes first until the set is full. */
	reset();
	for (i = PHYS_RANGES_MAX + 9; i >= 0; i--)
		phys_ranges_add(&rs, (uint64_t)(4 * i + 8) * PG, 2 * PG);
	HT_CHECK(invariant_ok(&rs));
	HT_CHECK_EQ(rs.pr_n, PHYS_RANGES_MAX);
	HT_CHECK_EQ(rs.pr_dropped, 10);

	/* Splitting a range in a full set keeps the lower part. */
	reset();
	for (i = 0; i < PHYS_RANGES_MAX; i++)
		phys_ranges_add(&rs, (uint64_t)(8 * i + 8) * PG, 4 * PG);
	HT_CHECK_EQ(rs.pr_n, PHYS_RANGES_MAX);
	phys_ranges_remove(&rs, 9 * PG, 10 * PG); /* inside the first */
	HT_CHECK(invariant_ok(&rs));
	HT_CHECK_EQ(rs.pr_n, PHYS_RANGES_MAX);
	HT_CHECK_EQ(rs.pr_dropped, 1);
	HT_CHECK_EQ(rs.pr[0].pr_start, 8 * PG);
	HT_CHECK_EQ(rs.pr[0].pr_end, 9 * PG);
	HT_CHECK_EQ(rs.pr[1].pr_start, 16 * PG); /* the next is untouched */
	/* One removal spanning many ranges. */
	phys_ranges_remove(&rs, 12 * PG, (8 * 100 + 2) * PG);
	HT_CHECK(invariant_ok(&rs));
	HT_CHECK_EQ(rs.pr_n, 1 + (PHYS_RANGES_MAX - 99));
	HT_CHECK_EQ(rs.pr[1].pr_start, (8 * 100 + 2) * PG);
	HT_CHECK_EQ(rs.pr[1].pr_end, (8 * 100 + 4) * PG);
}

static void
test_steal_basic(void)
{
	vm_paddr_t pa;

	reset();
	phys_ranges_add(&rs, 0x100000, 0x10000);
	phys_ranges_add(&rs, 0x300000, 0x10000);
	/* Lowest first, page-rounded size, and gone from the set after. */
	pa = phys_ranges_steal(&rs, 1, PG, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x100000);
	CHECK_SET(0x101000, 0x110000, 0x300000, 0x310000);
	pa = phys_ranges_steal(&rs, 0x1001, PG, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x101000);
	CHECK_SET(0x103000, 0x110000, 0x300000, 0x310000);
	/* Too big for the first range: taken from the second. */
	pa = phys_ranges_steal(&rs, 0xe000, PG, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x300000);
	CHECK_SET(0x103000, 0x110000, 0x30e000, 0x310000);
	/* Exactly a whole range: the range disappears. */
	pa = phys_ranges_steal(&rs, 0xd000, PG, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x103000);
	CHECK_SET(0x30e000, 0x310000);
	/* Too big for anything. */
	HT_CHECK_EQ(phys_ranges_steal(&rs, 0x3000, PG, UINT64_MAX), 0);
	CHECK_SET(0x30e000, 0x310000);
	/* Bad arguments. */
	HT_CHECK_EQ(phys_ranges_steal(&rs, 0, PG, UINT64_MAX), 0);
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, 0, UINT64_MAX), 0);
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, 3 * PG, UINT64_MAX), 0);
	CHECK_SET(0x30e000, 0x310000);
}

static void
test_steal_huge_size(void)
{
	reset();
	phys_ranges_add(&rs, 0x100000, 0x10000);
	/* Sizes whose page rounding overflows must not "succeed". */
	HT_CHECK_EQ(phys_ranges_steal(&rs, UINT64_MAX, PG, UINT64_MAX), 0);
	HT_CHECK_EQ(phys_ranges_steal(&rs, UINT64_MAX - PG + 2, PG, UINT64_MAX),
	            0);
	HT_CHECK_EQ(phys_ranges_steal(&rs, 1ull << 63, PG, UINT64_MAX), 0);
	CHECK_SET(0x100000, 0x110000);
}

static void
test_steal_alignment(void)
{
	vm_paddr_t pa;

	reset();
	phys_ranges_add(&rs, 0x101000, 0x600000); /* to 0x701000 */
	pa = phys_ranges_steal(&rs, PG, 0x200000, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x200000);
	CHECK_SET(0x101000, 0x200000, 0x201000, 0x701000);
	/* The lowest range has no 2 MiB-aligned room for 2 MiB: next one. */
	pa = phys_ranges_steal(&rs, 0x200000, 0x200000, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x400000);
	CHECK_SET(0x101000, 0x200000, 0x201000, 0x400000, 0x600000, 0x701000);
	/* An alignment smaller than a page leaves addresses page aligned. */
	pa = phys_ranges_steal(&rs, 10, 16, UINT64_MAX);
	HT_CHECK_EQ(pa, 0x101000);
	/* No aligned address inside any range. */
	reset();
	phys_ranges_add(&rs, 0x101000, 0xff000);
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, 0x400000, UINT64_MAX), 0);
	/* An alignment so large that rounding up wraps. */
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, 1ull << 63, UINT64_MAX), 0);
	CHECK_SET(0x101000, 0x200000);
}

static void
test_steal_limit(void)
{
	vm_paddr_t pa;

	reset();
	phys_ranges_add(&rs, 0x100000, 0x100000);
	phys_ranges_add(&rs, 0x40000000, 0x100000); /* at 1 GiB */
	/* The limit is exclusive for the end of the stolen block. */
	pa = phys_ranges_steal(&rs, 0x100000, PG, 0x200000);
	HT_CHECK_EQ(pa, 0x100000);
	CHECK_SET(0x40000000, 0x40100000);
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, PG, 0x40000000), 0);
	HT_CHECK_EQ(phys_ranges_steal(&rs, 2 * PG, PG, 0x40001000), 0);
	pa = phys_ranges_steal(&rs, PG, PG, 0x40001000);
	HT_CHECK_EQ(pa, 0x40000000);
	/* pmap's boot allocator: below 1 GiB only. */
	reset();
	phys_ranges_add(&rs, 0x3ffff000, 0x2000);
	pa = phys_ranges_steal(&rs, PG, PG, 1ull << 30);
	HT_CHECK_EQ(pa, 0x3ffff000);
	HT_CHECK_EQ(phys_ranges_steal(&rs, PG, PG, 1ull << 30), 0);
	CHECK_SET(0x40000000, 0x40001000);
}

/* ------------------------------------------------------------------ */
/* Randomized model check                                              */

static uint64_t rng = 0x9e3779b97f4a7c15ull; /* xorshift64 state */

static uint64_t
rnd(void)
{
	return ht_xorshift64(&rng);
}

struct model {
	uint64_t base; /* address of page 0 of the window */
	uint64_t bits; /* page i is in the set iff bit i */
};

static u128
page_addr(const struct model *m, int i)
{
	return (u128)m->base + (u128)i * PG;
}

static void
model_add(struct model *m, uint64_t start, uint64_t len)
{
	u128 end = (u128)start + len;
	int i;

	if (end > PA_MAX)
		end = PA_MAX;
	for (i = 0; i < NPAGES; i++)
		if (page_addr(m, i) >= start && page_addr(m, i) + PG <= end)
			m->bits |= 1ull << i;
}

static void
model_remove(struct model *m, uint64_t start, uint64_t end)
{
	int i;

	if (end <= start)
		return;
	for (i = 0; i < NPAGES; i++)
		if (page_addr(m, i) < end && page_addr(m, i) + PG > start)
			m->bits &= ~(1ull << i);
}

static uint64_t
model_steal(struct model *m, uint64_t size, uint64_t align, uint64_t limit)
{
	u128 npg, s, run_s, run_e;
	int i, j;

	if (size == 0 || align == 0 || (align & (align - 1)) != 0)
		return 0;
	npg = ((u128)size + PG - 1) / PG;
	for (i = 0; i < NPAGES; i = j) {
		if (!(m->bits & (1ull << i))) {
			j = i + 1;
			continue;
		}
		for (j = i; j < NPAGES && (m->bits & (1ull << j)); j++)
			;
		run_s = page_addr(m, i);
		run_e = page_addr(m, j);
		s = (run_s + align - 1) / align * align;
		if (s >= run_e || run_e - s < npg * PG || s + npg * PG > limit)
			continue;
		model_remove(m, (uint64_t)s, (uint64_t)(s + npg * PG));
		return (uint64_t)s;
	}
	return 0;
}

static bool
model_contains(const struct model *m, uint64_t start, uint64_t end)
{
	int i;

	/* Mirrors the interface: [start, end) inside one range. */
	for (i = 0; i < NPAGES; i++)
		if (page_addr(m, i) < end && page_addr(m, i) + PG > start &&
		    !(m->bits & (1ull << i)))
			return false;
	/* Fully outside the window (no page overlaps): not contained. */
	return (u128)start >= m->base && (u128)end <= page_addr(m, NPAGES) &&
	       start < end;
}

static bool
model_matches(const struct model *m)
{
	uint64_t bits = 0;
	int i;

	for (i = 0; i < rs.pr_n; i++) {
		u128 a;

		if (rs.pr[i].pr_start < m->base ||
		    (u128)rs.pr[i].pr_end > page_addr(m, NPAGES))
			return false;
		for (a = rs.pr[i].pr_start; a < rs.pr[i].pr_end; a += PG)
			bits |= 1ull << (int)((a - m->base) / PG);
	}
	return bits == m->bits && phys_ranges_total(&rs) ==
	                              (uint64_t)__builtin_popcountll(bits) * PG;
}

/* An address near the window: page boundaries, odd bytes, far outside. */
static uint64_t
rnd_addr(const struct model *m)
{
	switch (rnd() % 8) {
	case 0:
		return rnd(); /* anywhere */
	case 1:
		return m->base + (rnd() % (NPAGES + 2)) * PG;
	default:
		return m->base - 2 * PG + rnd() % ((NPAGES + 4) * PG);
	}
}

static uint64_t
rnd_len(void)
{
	switch (rnd() % 8) {
	case 0:
		return UINT64_MAX - rnd() % 3; /* wraps */
	case 1:
		return 0;
	case 2:
		return (rnd() % 8) * PG;
	default:
		return rnd() % (24 * PG);
	}
}

static void
fuzz_window(uint64_t base)
{
	static const uint64_t aligns[] = {
	    1, 16, PG, 2 * PG, 4 * PG, 16 * PG, 0x200000, 3 * PG, 0};
	struct model m = {.base = base, .bits = 0};
	int op, bad = 0;

	reset();
	for (op = 0; op < FUZZ_OPS && bad < 5; op++) {
		uint64_t a = rnd_addr(&m), b, got, want;

		switch (rnd() % 8) {
		case 0:
		case 1:
		case 2:
			b = rnd_len();
			phys_ranges_add(&rs, a, b);
			model_add(&m, a, b);
			break;
		case 3:
		case 4:
			b = rnd() % 4 == 0 ? UINT64_MAX : a + rnd() % (16 * PG);
			if (rnd() % 8 == 0)
				b = a - rnd() % PG; /* inverted */
			phys_ranges_remove(&rs, a, b);
			model_remove(&m, a, b);
			break;
		case 5:
		case 6: {
			uint64_t size =
			    rnd() % 8 == 0 ? rnd_len() : rnd() % (6 * PG);
			uint64_t align = aligns[rnd() % nitems(aligns)];
			uint64_t limit = rnd() % 2 ? UINT64_MAX : rnd_addr(&m);

			got = phys_ranges_steal(&rs, size, align, limit);
			want = model_steal(&m, size, align, limit);
			if (got != want) {
				printf("    # op %d: steal(%#llx, %#llx, "
				       "%#llx) = %#llx, model %#llx\n",
				       op, (unsigned long long)size,
				       (unsigned long long)align,
				       (unsigned long long)limit,
				       (unsigned long long)got,
				       (unsigned long long)want);
				bad++;
			}
			break;
		}
		default:
			b = a + rnd() % (8 * PG);
			if (a < b && phys_ranges_contains(&rs, a, b) !=
			                 model_contains(&m, a, b)) {
				printf("    # op %d: contains(%#llx, %#llx) "
				       "disagrees with the model\n",
				       op, (unsigned long long)a,
				       (unsigned long long)b);
				bad++;
			}
			break;
		}
		/*
		 * The model sees only its window: cut the set to it (adds
		 * reaching "anywhere" are the interesting wrap cases).
		 */
		phys_ranges_remove(&rs, 0, m.base);
		phys_ranges_remove(&rs, m.base + NPAGES * PG, UINT64_MAX);
		if (!invariant_ok(&rs) || !model_matches(&m)) {
			printf("    # op %d: set differs from the model "
			       "(model bits %#llx)\n",
			       op, (unsigned long long)m.bits);
			dump();
			bad++;
			/* Resynchronize so one bug does not flood the log. */
			reset();
			m.bits = 0;
		}
		HT_CHECK_EQ(rs.pr_dropped, 0);
	}
	HT_CHECK_EQ(bad, 0);
}

static void
test_model_low(void)
{
	fuzz_window(0);
}

static void
test_model_at_limit(void)
{
	/* 48 pages below the 52-bit limit and 16 above it. */
	fuzz_window(PA_MAX - 48 * PG);
}

int
main(void)
{
	ht_begin();
	ht_run("empty_and_zero_length", test_empty_and_zero_length);
	ht_run("unaligned_shrink_widen", test_unaligned_shrink_widen);
	ht_run("unsorted", test_unsorted);
	ht_run("overlap_and_adjacent_merge", test_overlap_and_adjacent_merge);
	ht_run("wrap_and_limit", test_wrap_and_limit);
	ht_run("reserved_overlapping_available",
	       test_reserved_overlapping_available);
	ht_run("more_than_max_ranges", test_more_than_max_ranges);
	ht_run("steal_basic", test_steal_basic);
	ht_run("steal_huge_size", test_steal_huge_size);
	ht_run("steal_alignment", test_steal_alignment);
	ht_run("steal_limit", test_steal_limit);
	ht_run("model_low", test_model_low);
	ht_run("model_at_limit", test_model_at_limit);
	return ht_done();
}
