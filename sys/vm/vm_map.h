/*
 * The machine-independent map of a user address space: a sorted list of
 * non-overlapping entries [start, end), each with a protection and flags.
 * Anonymous private memory only: an entry says what may be mapped, the
 * pmap holds what is (a page appears on first touch, vm_fault.c).
 *
 * Invariants (vm_map_check() verifies them; the host test checks every
 * operation against a page-by-page model): entries are page-aligned,
 * non-empty, sorted, disjoint, inside [m_min, m_max), and two adjacent
 * entries with the same protection and flags are always merged, so the
 * representation of a given address space is unique.  Every operation
 * either succeeds completely or changes nothing (ENOMEM is decided before
 * the first change: the entries a split needs are allocated first).
 *
 * The map has no lock of its own: the owner (struct proc's p_vmlock,
 * vm_mmap.c) serializes every call.
 */
#ifndef _VM_VM_MAP_H_
#define _VM_VM_MAP_H_

#include <sys/types.h>

#define VM_ENTRY_STACK 0x1 /* the main thread's stack */
#define VM_ENTRY_BRK   0x2 /* the brk heap */
#define VM_ENTRY_IMAGE 0x4 /* a segment of the ELF image */

#define VM_MAP_MAX_ENTRIES 65530 /* Linux's default vm.max_map_count */

struct vm_map_entry {
	struct vm_map_entry *e_next; /* next higher entry, NULL at the end */
	vm_offset_t e_start;         /* first byte (page-aligned) */
	vm_offset_t e_end;           /* end, exclusive (page-aligned) */
	int e_prot;                  /* VM_PROT_* */
	int e_flags;                 /* VM_ENTRY_* */
};

struct vm_map {
	struct vm_map_entry *m_head; /* lowest entry */
	int m_nentries;              /* entries on the list */
	vm_offset_t m_min;           /* lowest address that may be mapped */
	vm_offset_t m_max;           /* end of the mappable range */
};

void vm_map_init(struct vm_map *m, vm_offset_t min, vm_offset_t max);
/* Free every entry (the pmap is the caller's business). */
void vm_map_clear(struct vm_map *m);
/* The entry containing va, or NULL. */
struct vm_map_entry *vm_map_lookup(struct vm_map *m, vm_offset_t va);
/* True if no entry overlaps [start, end). */
bool vm_map_range_free(struct vm_map *m, vm_offset_t start, vm_offset_t end);
/* True if entries cover every page of [start, end). */
bool vm_map_range_mapped(struct vm_map *m, vm_offset_t start, vm_offset_t end);
/* Add [start, end) (must be free): 0, or ENOMEM. */
int vm_map_insert(struct vm_map *m, vm_offset_t start, vm_offset_t end,
                  int prot, int flags);
/* Remove whatever lies in [start, end), splitting entries: 0 or ENOMEM. */
int vm_map_remove(struct vm_map *m, vm_offset_t start, vm_offset_t end);
/* Set the protection of [start, end) (must be mapped): 0 or ENOMEM. */
int vm_map_protect(struct vm_map *m, vm_offset_t start, vm_offset_t end,
                   int prot);
/*
 * Highest free, page-aligned range of len bytes that ends at or below
 * top and starts at or above m_min: 0 and *out, or ENOMEM.
 */
int vm_map_find_space(struct vm_map *m, vm_size_t len, vm_offset_t top,
                      vm_offset_t *out);
/* 0 when the invariants hold, else -1 with a message (tests). */
int vm_map_check(const struct vm_map *m);

#endif /* !_VM_VM_MAP_H_ */
