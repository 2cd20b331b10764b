/*
 * vm_page.c - the physical page allocator.
 *
 * One struct vm_page per 4 KiB page from 0 to the top of usable RAM (holes
 * included: indexing stays a shift, and a hole costs 16 bytes a page).
 * Free pages sit on one LIFO list under a spin lock: every allocation in
 * this kernel is a single page, so there is no buddy system to keep.
 *
 * Invariant: a page is on the free list iff VPF_FREE is set, and only
 * pages inside the usable ranges handed to vm_page_startup() (RAM minus
 * the first MiB, the kernel, the boot information and modules) ever get
 * there.  vm_page_alloc() returns zeroed pages, so a page-table page
 * never starts with stale entries.
 */
#include <vm/vm_page.h>

#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_phys.h>

#define PAGE_SZ 4096ull

static struct vm_page *vm_page_array; /* indexed by pa / PAGE_SZ */
static uint64_t vm_page_array_n;      /* entries */
static struct vm_page *free_list;     /* LIFO of free pages */
static uint64_t free_count;           /* pages on free_list */
static uint64_t total_count;          /* usable pages at startup */
static struct spinlock free_lock = SPINLOCK_INITIALIZER("vm_page free");

vm_paddr_t
vm_page_to_phys(struct vm_page *m)
{
	return (vm_paddr_t)(m - vm_page_array) * PAGE_SZ;
}

struct vm_page *
phys_to_vm_page(vm_paddr_t pa)
{
	if (pa / PAGE_SZ >= vm_page_array_n)
		return NULL;
	return &vm_page_array[pa / PAGE_SZ];
}

void
vm_page_startup(struct phys_ranges *avail)
{
	uint64_t top, bytes, pa;
	vm_paddr_t array_pa;
	int i;

	if (avail->pr_n == 0)
		panic("vm: no usable memory");
	top = avail->pr[avail->pr_n - 1].pr_end;
	vm_page_array_n = top / PAGE_SZ;
	bytes = vm_page_array_n * sizeof(struct vm_page);
	array_pa = phys_ranges_steal(avail, bytes, PAGE_SZ, UINT64_MAX);
	if (array_pa == 0)
		panic("vm: no room for the page array (%lu KiB)",
		      (unsigned long)(bytes >> 10));
	vm_page_array = pmap_map_dmap(array_pa);
	memset(vm_page_array, 0, bytes);

	/* Free every page that is left, lowest address on top. */
	for (i = avail->pr_n - 1; i >= 0; i--) {
		for (pa = avail->pr[i].pr_end; pa > avail->pr[i].pr_start;) {
			struct vm_page *m;

			pa -= PAGE_SZ;
			m = &vm_page_array[pa / PAGE_SZ];
			m->pg_flags = VPF_RAM | VPF_FREE;
			m->pg_next = free_list;
			free_list = m;
			free_count++;
		}
	}
	total_count = free_count;
}

struct vm_page *
vm_page_alloc(void)
{
	struct vm_page *m;

	spin_lock(&free_lock);
	m = free_list;
	if (m != NULL) {
		free_list = m->pg_next;
		free_count--;
		KASSERT(m->pg_flags & VPF_FREE, "free list holds a used page");
		m->pg_flags &= ~VPF_FREE;
		m->pg_next = NULL;
	}
	spin_unlock(&free_lock);
	if (m != NULL) {
		m->pg_ptcount = 0; /* the whole owner union */
		memset(pmap_map_dmap(vm_page_to_phys(m)), 0, PAGE_SZ);
	}
	return m;
}

void
vm_page_free(struct vm_page *m)
{
	KASSERT(m != NULL && (m->pg_flags & VPF_RAM), "freeing a non-RAM page");
	if (m->pg_flags & VPF_FREE)
		panic("vm_page_free: double free of page %#lx",
		      (unsigned long)vm_page_to_phys(m));
	m->pg_flags = VPF_RAM | VPF_FREE;
	spin_lock(&free_lock);
	m->pg_next = free_list;
	free_list = m;
	free_count++;
	spin_unlock(&free_lock);
}

uint64_t
vm_page_free_count(void)
{
	return __atomic_load_n(&free_count, __ATOMIC_RELAXED);
}

uint64_t
vm_page_total_count(void)
{
	return total_count;
}
