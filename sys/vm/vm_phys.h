/*
 * Sets of physical address ranges, used at boot to turn the firmware's
 * memory map into the list of pages the allocator may hand out.
 */
#ifndef _VM_VM_PHYS_H_
#define _VM_VM_PHYS_H_

#include <sys/types.h>

#define PHYS_RANGES_MAX 128 /* disjoint ranges kept */

struct phys_range {
	vm_paddr_t pr_start; /* first byte, page aligned */
	vm_paddr_t pr_end;   /* one past the last byte, page aligned */
};

struct phys_ranges {
	struct phys_range pr[PHYS_RANGES_MAX]; /* sorted, disjoint, non-empty */
	int pr_n;                              /* ranges in use */
	int pr_dropped;                        /* ranges lost to overflow */
};

/* Add [start, start+len) shrunk inward to page boundaries; merges. */
void phys_ranges_add(struct phys_ranges *rs, uint64_t start, uint64_t len);
/* Remove [start, end) widened outward to page boundaries. */
void phys_ranges_remove(struct phys_ranges *rs, uint64_t start, uint64_t end);
/* True when [start, end) lies entirely inside the set. */
bool phys_ranges_contains(const struct phys_ranges *rs, uint64_t start,
                          uint64_t end);
uint64_t phys_ranges_total(const struct phys_ranges *rs);
/*
 * Take size bytes aligned to align from the lowest range that has them
 * below limit; returns the address, or 0 (never a valid result: page 0 is
 * never in the set) when nothing fits.
 */
vm_paddr_t phys_ranges_steal(struct phys_ranges *rs, uint64_t size,
                             uint64_t align, uint64_t limit);

#endif /* !_VM_VM_PHYS_H_ */
