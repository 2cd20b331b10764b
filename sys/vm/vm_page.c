/*
 * vm_page.c - the physical page allocator.
 *
 * One struct vm_page per 4 KiB page from 0 to the top of usable RAM (holes
 * included: indexing stays a shift, and a hole costs 16 bytes a page).
 * Free pages sit on one LIFO list under a spin lock: almost every
 * allocation in this kernel is a single page, so there is no buddy system
 * to keep.  The rare physically contiguous request (a 2 MiB user page in
 * the stress suite) scans the page array for a free aligned run and
 * unlinks it from the list in one pass: slow, and only for tests.
 *
 * Invariant: a page is on the free list iff VPF_FREE is set, and only
 * pages inside the usable ranges handed to vm_page_startup() (RAM minus
 * the first MiB, the kernel, the boot information and modules) ever get
 * there.  vm_page_alloc() returns zeroed pages, so a page-table page
 * never starts with stale entries.
 */
#include <vm/vm_page.h>

#include <sys/param.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_phys.h>

static struct vm_page *vm_page_array; /* indexed by pa / PAGE_SIZE */
static uint64_t vm_page_array_n;      /* entries */
static struct vm_page *free_list;     /* LIFO of free pages */
static uint64_t free_count;           /* pages on free_list */
static uint64_t total_count;          /* usable pages at startup */
static struct spinlock free_lock = SPINLOCK_INITIALIZER("vm_page free");

vm_paddr_t
vm_page_to_phys(struct vm_page *m)
{
	return (vm_paddr_t)(m - vm_page_array) * PAGE_SIZE;
}

struct vm_page *
phys_to_vm_page(vm_paddr_t pa)
{
	if (pa / PAGE_SIZE >= vm_page_array_n)
		return NULL;
	return &vm_page_array[pa / PAGE_SIZE];
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
	vm_page_array_n = top / PAGE_SIZE;
	bytes = vm_page_array_n * sizeof(struct vm_page);
	array_pa = phys_ranges_steal(avail, bytes, PAGE_SIZE, UINT64_MAX);
	if (array_pa == 0)
		panic("vm: no room for the page array (%lu KiB)",
		      (unsigned long)(bytes >> 10));
	vm_page_array = pmap_map_dmap(array_pa);
	memset(vm_page_array, 0, bytes);

	/* Free every page that is left, lowest address on top. */
	for (i = avail->pr_n - 1; i >= 0; i--) {
		for (pa = avail->pr[i].pr_end; pa > avail->pr[i].pr_start;) {
			struct vm_page *m;

			pa -= PAGE_SIZE;
			m = &vm_page_array[pa / PAGE_SIZE];
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
		memset(pmap_map_dmap(vm_page_to_phys(m)), 0, PAGE_SIZE);
	}
	return m;
}

struct vm_page *
vm_page_alloc_contig(uint64_t npages, uint64_t align)
{
	struct vm_page **pp, *m;
	uint64_t start, i;

	if (npages == 0 || align == 0 || (align & (align - 1)) != 0)
		return NULL;
	spin_lock(&free_lock);
	for (start = 0; start + npages <= vm_page_array_n;) {
		for (i = 0; i < npages; i++)
			if (!(vm_page_array[start + i].pg_flags & VPF_FREE))
				break;
		if (i == npages)
			break;
		start = roundup2(start + i + 1, align); /* past the hole */
	}
	if (start + npages > vm_page_array_n) {
		spin_unlock(&free_lock);
		return NULL;
	}
	/* One pass over the free list drops the run's pages. */
	for (pp = &free_list; *pp != NULL;) {
		m = *pp;
		if ((uint64_t)(m - vm_page_array) - start < npages) {
			*pp = m->pg_next;
			m->pg_flags &= ~VPF_FREE;
			m->pg_next = NULL;
			free_count--;
		} else {
			pp = &m->pg_next;
		}
	}
	spin_unlock(&free_lock);
	for (i = 0; i < npages; i++) {
		m = &vm_page_array[start + i];
		KASSERT(!(m->pg_flags & VPF_FREE), "contig run still free");
		m->pg_ptcount = 0;
		memset(pmap_map_dmap(vm_page_to_phys(m)), 0, PAGE_SIZE);
	}
	return &vm_page_array[start];
}

void
vm_page_free(struct vm_page *m)
{
	KASSERT(m != NULL && (m->pg_flags & VPF_RAM), "freeing a non-RAM page");
	if (m->pg_flags & VPF_FREE)
		panic("vm_page_free: double free of page %#lx",
		      (unsigned long)vm_page_to_phys(m));
	pmap_page_free_check(vm_page_to_phys(m));
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
