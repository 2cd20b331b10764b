/*
 * vm_phys.c - arithmetic on sets of physical ranges.
 *
 * Firmware memory maps may be unsorted, overlapping, contain zero-length
 * or unaligned entries, or entries whose end wraps past 2^64.  The boot
 * code adds every usable entry and then removes every reserved one (so a
 * reserved entry overlapping a usable one wins), the first MiB, the kernel
 * image, the boot information and modules.  The invariant kept by every
 * function: the ranges are sorted, disjoint, non-adjacent, non-empty and
 * page aligned.  This file is pure and tested on the host (vm_phys_htest.c).
 */
#include <vm/vm_phys.h>

#include <sys/systm.h>

#define PHYS_PAGE     4096ull
#define PHYS_ADDR_MAX (1ull << 52) /* architectural physical limit */

static void
remove_at(struct phys_ranges *rs, int i)
{
	memmove(&rs->pr[i], &rs->pr[i + 1],
	        (size_t)(rs->pr_n - i - 1) * sizeof(rs->pr[0]));
	rs->pr_n--;
}

static bool
insert_at(struct phys_ranges *rs, int i, vm_paddr_t s, vm_paddr_t e)
{
	if (rs->pr_n == PHYS_RANGES_MAX) {
		rs->pr_dropped++;
		return false;
	}
	memmove(&rs->pr[i + 1], &rs->pr[i],
	        (size_t)(rs->pr_n - i) * sizeof(rs->pr[0]));
	rs->pr[i].pr_start = s;
	rs->pr[i].pr_end = e;
	rs->pr_n++;
	return true;
}

void
phys_ranges_add(struct phys_ranges *rs, uint64_t start, uint64_t len)
{
	uint64_t end;
	int i;

	/* Clip wrap-around and anything beyond the physical limit. */
	if (start >= PHYS_ADDR_MAX || len == 0)
		return;
	end = len > PHYS_ADDR_MAX - start ? PHYS_ADDR_MAX : start + len;
	start = roundup2(start, PHYS_PAGE);
	end = rounddown2(end, PHYS_PAGE);
	if (start >= end)
		return;
	/* Find the first range that ends at or after start. */
	for (i = 0; i < rs->pr_n && rs->pr[i].pr_end < start; i++)
		;
	if (i == rs->pr_n || rs->pr[i].pr_start > end) {
		insert_at(rs, i, start, end);
		return;
	}
	/* Overlaps or touches range i: grow it and swallow followers. */
	rs->pr[i].pr_start = MIN(rs->pr[i].pr_start, start);
	rs->pr[i].pr_end = MAX(rs->pr[i].pr_end, end);
	while (i + 1 < rs->pr_n && rs->pr[i + 1].pr_start <= rs->pr[i].pr_end) {
		rs->pr[i].pr_end = MAX(rs->pr[i].pr_end, rs->pr[i + 1].pr_end);
		remove_at(rs, i + 1);
	}
}

void
phys_ranges_remove(struct phys_ranges *rs, uint64_t start, uint64_t end)
{
	int i;

	if (end <= start)
		return;
	start = rounddown2(start, PHYS_PAGE);
	end = end > UINT64_MAX - PHYS_PAGE ? UINT64_MAX & ~(PHYS_PAGE - 1)
	                                   : roundup2(end, PHYS_PAGE);
	for (i = 0; i < rs->pr_n;) {
		struct phys_range *r = &rs->pr[i];

		if (r->pr_end <= start || r->pr_start >= end) {
			i++;
		} else if (r->pr_start >= start && r->pr_end <= end) {
			remove_at(rs, i);
		} else if (r->pr_start < start && r->pr_end > end) {
			/* Split in two; if full, keep the lower part. */
			vm_paddr_t old_end = r->pr_end;

			r->pr_end = start;
			insert_at(rs, i + 1, end, old_end);
			i += 2;
		} else if (r->pr_start < start) {
			r->pr_end = start;
			i++;
		} else {
			r->pr_start = end;
			i++;
		}
	}
}

bool
phys_ranges_contains(const struct phys_ranges *rs, uint64_t start, uint64_t end)
{
	int i;

	for (i = 0; i < rs->pr_n; i++)
		if (rs->pr[i].pr_start <= start && end <= rs->pr[i].pr_end)
			return true;
	return false;
}

uint64_t
phys_ranges_total(const struct phys_ranges *rs)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < rs->pr_n; i++)
		total += rs->pr[i].pr_end - rs->pr[i].pr_start;
	return total;
}

vm_paddr_t
phys_ranges_steal(struct phys_ranges *rs, uint64_t size, uint64_t align,
                  uint64_t limit)
{
	int i;

	/* A size above the physical limit cannot fit (and would wrap). */
	if (size == 0 || size > PHYS_ADDR_MAX || align == 0 ||
	    (align & (align - 1)) != 0)
		return 0;
	size = roundup2(size, PHYS_PAGE);
	for (i = 0; i < rs->pr_n; i++) {
		vm_paddr_t s = roundup2(rs->pr[i].pr_start, align);

		if (s < rs->pr[i].pr_start || s >= rs->pr[i].pr_end)
			continue;
		if (rs->pr[i].pr_end - s < size || s + size > limit)
			continue;
		phys_ranges_remove(rs, s, s + size);
		return s;
	}
	return 0;
}
