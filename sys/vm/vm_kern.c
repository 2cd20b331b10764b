/*
 * vm_kern.c - allocation of kernel virtual addresses.
 *
 * KVA is one 4 GiB region in the kernel PML4 slot whose PD pages exist
 * from boot, so mapping into it never changes a PML4 or PDP entry.  Pages
 * of it are handed out first-fit from a bitmap under a spin lock; the
 * search starts at a rotating hint so freed ranges are not reused at once
 * (a late access through a stale pointer then faults instead of hitting
 * someone else's memory).
 *
 * Stacks get one unmapped guard page below them: the allocation reserves
 * npages + 1 pages of KVA and maps all but the lowest.
 */
#include <vm/vm_kern.h>

#include <machine/vmparam.h>
#include <sys/param.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define KVA_NPAGES (KVA_SIZE / PAGE_SIZE)

static uint64_t kva_map[KVA_NPAGES / 64]; /* 1 bit per page: in use */
static uint64_t kva_hint;                 /* where the next search starts */
static struct spinlock kva_lock = SPINLOCK_INITIALIZER("kva");

static bool
kva_test(uint64_t i)
{
	return (kva_map[i / 64] >> (i % 64)) & 1;
}

static void
kva_mark(uint64_t i, size_t n, bool used)
{
	for (; n > 0; n--, i++) {
		if (used)
			kva_map[i / 64] |= 1ull << (i % 64);
		else
			kva_map[i / 64] &= ~(1ull << (i % 64));
	}
}

vm_offset_t
kva_alloc(size_t npages)
{
	uint64_t start, i, run = 0, tries;
	vm_offset_t va = 0;

	if (npages == 0 || npages > KVA_NPAGES)
		return 0;
	spin_lock(&kva_lock);
	start = kva_hint;
	/* One pass over the whole map, wrapping once. */
	for (tries = 0, i = start; tries < KVA_NPAGES + npages; tries++) {
		if (i == KVA_NPAGES) {
			i = 0;
			run = 0;
		}
		if (kva_test(i)) {
			run = 0;
		} else if (++run == npages) {
			uint64_t first = i + 1 - npages;

			kva_mark(first, npages, true);
			kva_hint = i + 1;
			va = KVA_MIN_ADDRESS + first * PAGE_SIZE;
			break;
		}
		i++;
	}
	spin_unlock(&kva_lock);
	return va;
}

void
kva_free(vm_offset_t va, size_t npages)
{
	uint64_t first = (va - KVA_MIN_ADDRESS) / PAGE_SIZE;

	KASSERT(va >= KVA_MIN_ADDRESS && first + npages <= KVA_NPAGES,
	        "kva_free: address outside KVA");
	spin_lock(&kva_lock);
	kva_mark(first, npages, false);
	spin_unlock(&kva_lock);
}

uint64_t kmem_stack_pages; /* pages of live kernel stacks (leak checks) */

vm_offset_t
kmem_alloc_stack(size_t npages)
{
	vm_offset_t va = kva_alloc(npages + 1);
	size_t i;

	if (va == 0)
		return 0;
	for (i = 1; i <= npages; i++) {
		struct vm_page *m = vm_page_alloc();

		if (m == NULL)
			panic("kmem_alloc_stack: out of memory");
		pmap_kenter(va + i * PAGE_SIZE, vm_page_to_phys(m),
		            VM_PROT_READ | VM_PROT_WRITE);
	}
	__atomic_fetch_add(&kmem_stack_pages, npages, __ATOMIC_RELAXED);
	return va + PAGE_SIZE; /* lowest usable byte, guard page below */
}

/*
 * Unmap and free a stack.  The caller guarantees no CPU can still hold a
 * translation for it (the stack's thread ran only on one CPU and is gone,
 * and that CPU flushed when it switched away).
 */
void
kmem_free_stack(vm_offset_t va, size_t npages)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		vm_paddr_t pa = pmap_kextract(va + i * PAGE_SIZE);

		pmap_kremove(va + i * PAGE_SIZE);
		vm_page_free(phys_to_vm_page(pa));
	}
	kva_free(va - PAGE_SIZE, npages + 1);
	__atomic_fetch_sub(&kmem_stack_pages, npages, __ATOMIC_RELAXED);
}

void *
pmap_mapdev(vm_paddr_t pa, size_t size)
{
	vm_paddr_t base = rounddown2(pa, PAGE_SIZE);
	size_t i, npages = howmany(pa + size - base, PAGE_SIZE);
	vm_offset_t va = kva_alloc(npages);

	if (va == 0)
		panic("pmap_mapdev: out of KVA");
	for (i = 0; i < npages; i++)
		pmap_kenter(va + i * PAGE_SIZE, base + i * PAGE_SIZE,
		            VM_PROT_READ | VM_PROT_WRITE | PMAP_NOCACHE);
	return (void *)(va + (pa - base));
}
