/*
 * Four-level x86-64 page-table entry bits and index arithmetic.
 *
 * A 48-bit virtual address splits into four 9-bit indexes (PML4, PDP, PD,
 * PT) and a 12-bit offset.  These helpers are pure arithmetic and are
 * tested on the host (pte_htest.c).
 */
#ifndef _CPU_PTE_H_
#define _CPU_PTE_H_

#include <cpu/param.h>
#include <sys/types.h>

#define PG_V           0x001ul     /* present */
#define PG_RW          0x002ul     /* writable */
#define PG_U           0x004ul     /* user accessible */
#define PG_PWT         0x008ul     /* write-through */
#define PG_PCD         0x010ul     /* cache disable */
#define PG_A           0x020ul     /* accessed (set by the CPU) */
#define PG_M           0x040ul     /* modified/dirty (set by the CPU) */
#define PG_PS          0x080ul     /* large page (in PD and PDP entries) */
#define PG_G           0x100ul     /* global: survives CR3 reload */
#define PG_NX          (1ul << 63) /* no-execute (needs EFER.NXE) */
#define PG_FRAME       0x000ffffffffff000ul /* physical frame of a 4K entry */
#define PG_PS_FRAME_2M 0x000fffffffe00000ul /* frame of a 2 MiB entry */
#define PG_PS_FRAME_1G 0x000fffffc0000000ul /* frame of a 1 GiB entry */

/* Page-fault error code bits (pushed by the CPU with vector 14). */
#define PGEX_P    0x01ul /* 0: page not present; 1: protection violation */
#define PGEX_W    0x02ul /* the access was a write */
#define PGEX_U    0x04ul /* the access was made in user mode */
#define PGEX_RSVD 0x08ul /* a reserved bit was set in an entry */
#define PGEX_I    0x10ul /* the access was an instruction fetch */
#define PGEX_PK   0x20ul /* protection key violation */

static inline unsigned
pml4_index(vm_offset_t va)
{
	return (va >> 39) & 511;
}

static inline unsigned
pdp_index(vm_offset_t va)
{
	return (va >> 30) & 511;
}

static inline unsigned
pd_index(vm_offset_t va)
{
	return (va >> 21) & 511;
}

static inline unsigned
pt_index(vm_offset_t va)
{
	return (va >> 12) & 511;
}

/* Build a canonical address from indexes (sign-extends bit 47). */
static inline vm_offset_t
va_from_indexes(unsigned l4, unsigned l3, unsigned l2, unsigned l1)
{
	uint64_t va = ((uint64_t)l4 << 39) | ((uint64_t)l3 << 30) |
	              ((uint64_t)l2 << 21) | ((uint64_t)l1 << 12);

	if (va & (1ul << 47))
		va |= 0xffff000000000000ul;
	return va;
}

static inline bool
va_is_canonical(vm_offset_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

#endif /* !_CPU_PTE_H_ */
