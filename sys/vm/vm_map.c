/*
 * vm_map.c - the sorted entry list of a user address space (vm_map.h has
 * the invariants).  Pure list manipulation, no locking and no pmap: the
 * caller (vm_mmap.c) holds the process's VM lock and changes the page
 * tables to match.  Host-tested against a page model (vm_map_htest.c).
 */
#include <vm/vm_map.h>

#include <sys/errno.h>
#include <sys/malloc.h>
#include <sys/param.h>
#include <sys/systm.h>

void
vm_map_init(struct vm_map *m, vm_offset_t min, vm_offset_t max)
{
	m->m_head = NULL;
	m->m_nentries = 0;
	m->m_min = min;
	m->m_max = max;
}

void
vm_map_clear(struct vm_map *m)
{
	struct vm_map_entry *e, *next;

	for (e = m->m_head; e != NULL; e = next) {
		next = e->e_next;
		kfree(e);
	}
	m->m_head = NULL;
	m->m_nentries = 0;
}

struct vm_map_entry *
vm_map_lookup(struct vm_map *m, vm_offset_t va)
{
	struct vm_map_entry *e;

	for (e = m->m_head; e != NULL && e->e_start <= va; e = e->e_next)
		if (va < e->e_end)
			return e;
	return NULL;
}

bool
vm_map_range_free(struct vm_map *m, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e;

	for (e = m->m_head; e != NULL && e->e_start < end; e = e->e_next)
		if (e->e_end > start)
			return false;
	return true;
}

bool
vm_map_range_mapped(struct vm_map *m, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e;
	vm_offset_t va = start;

	for (e = m->m_head; e != NULL && va < end; e = e->e_next) {
		if (e->e_end <= va)
			continue;
		if (e->e_start > va)
			return false;
		va = e->e_end;
	}
	return va >= end;
}

static struct vm_map_entry *
entry_new(struct vm_map *m, vm_offset_t start, vm_offset_t end, int prot,
          int flags)
{
	struct vm_map_entry *e;

	if (m->m_nentries >= VM_MAP_MAX_ENTRIES)
		return NULL;
	e = kmalloc(sizeof(*e), M_NULLOK);
	if (e == NULL)
		return NULL;
	e->e_next = NULL;
	e->e_start = start;
	e->e_end = end;
	e->e_prot = prot;
	e->e_flags = flags;
	m->m_nentries++;
	return e;
}

static void
entry_free(struct vm_map *m, struct vm_map_entry *e)
{
	m->m_nentries--;
	kfree(e);
}

/* Merge every pair of adjacent entries with equal attributes. */
static void
coalesce(struct vm_map *m)
{
	struct vm_map_entry *e = m->m_head, *n;

	while (e != NULL && (n = e->e_next) != NULL) {
		if (e->e_end == n->e_start && e->e_prot == n->e_prot &&
		    e->e_flags == n->e_flags) {
			e->e_end = n->e_end;
			e->e_next = n->e_next;
			entry_free(m, n);
			continue;
		}
		e = n;
	}
}

int
vm_map_insert(struct vm_map *m, vm_offset_t start, vm_offset_t end, int prot,
              int flags)
{
	struct vm_map_entry *e, **pp;

	KASSERT(start < end && start >= m->m_min && end <= m->m_max &&
	            vm_map_range_free(m, start, end),
	        "vm_map_insert: bad range");
	e = entry_new(m, start, end, prot, flags);
	if (e == NULL)
		return ENOMEM;
	for (pp = &m->m_head; *pp != NULL && (*pp)->e_start < start;
	     pp = &(*pp)->e_next)
		;
	e->e_next = *pp;
	*pp = e;
	coalesce(m);
	return 0;
}

/*
 * Make start and end entry boundaries (split the entries that straddle
 * them), using the entries in spare[] (up to two).  Returns how many were
 * used.
 */
static int
split_at(struct vm_map *m, vm_offset_t start, vm_offset_t end,
         struct vm_map_entry **spare)
{
	struct vm_map_entry *e;
	int used = 0;

	for (e = m->m_head; e != NULL && e->e_start < end; e = e->e_next) {
		vm_offset_t cut;

		if (e->e_start < start && start < e->e_end)
			cut = start;
		else if (e->e_start < end && end < e->e_end)
			cut = end;
		else
			continue;
		KASSERT(used < 2, "vm_map: more than two splits");
		spare[used]->e_start = cut;
		spare[used]->e_end = e->e_end;
		spare[used]->e_prot = e->e_prot;
		spare[used]->e_flags = e->e_flags;
		spare[used]->e_next = e->e_next;
		e->e_end = cut;
		e->e_next = spare[used];
		used++;
	}
	return used;
}

/* Splits [start, end) needs: entries straddling either boundary. */
static int
splits_needed(struct vm_map *m, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e;
	int n = 0;

	for (e = m->m_head; e != NULL && e->e_start < end; e = e->e_next) {
		if (e->e_start < start && start < e->e_end)
			n++;
		if (e->e_start < end && end < e->e_end)
			n++;
	}
	return n;
}

/* Allocate n (<= 2) spare entries: 0, or ENOMEM with none kept. */
static int
spares_get(struct vm_map *m, int n, struct vm_map_entry **spare)
{
	int i;

	for (i = 0; i < n; i++) {
		spare[i] = entry_new(m, 0, 0, 0, 0);
		if (spare[i] == NULL) {
			while (i-- > 0)
				entry_free(m, spare[i]);
			return ENOMEM;
		}
	}
	return 0;
}

int
vm_map_remove(struct vm_map *m, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *spare[2], **pp, *e;
	int n = splits_needed(m, start, end);

	/*
	 * Removing the middle of one entry leaves two pieces, so it needs
	 * one new entry; at most one split survives a removal.
	 */
	if (spares_get(m, n, spare) != 0)
		return ENOMEM;
	split_at(m, start, end, spare);
	for (pp = &m->m_head; (e = *pp) != NULL && e->e_start < end;) {
		if (e->e_start >= start) {
			*pp = e->e_next;
			entry_free(m, e);
			continue;
		}
		pp = &e->e_next;
	}
	return 0;
}

int
vm_map_protect(struct vm_map *m, vm_offset_t start, vm_offset_t end, int prot)
{
	struct vm_map_entry *spare[2], *e;
	int n = splits_needed(m, start, end);

	if (spares_get(m, n, spare) != 0)
		return ENOMEM;
	split_at(m, start, end, spare);
	for (e = m->m_head; e != NULL && e->e_start < end; e = e->e_next)
		if (e->e_start >= start)
			e->e_prot = prot;
	coalesce(m);
	return 0;
}

int
vm_map_find_space(struct vm_map *m, vm_size_t len, vm_offset_t top,
                  vm_offset_t *out)
{
	struct vm_map_entry *e;
	vm_offset_t best = 0, lo = m->m_min, hi;
	bool found = false;

	if (top > m->m_max)
		top = m->m_max;
	if (len == 0 || len > top - m->m_min)
		return ENOMEM;
	/* Walk the gaps from the bottom; keep the highest that fits. */
	for (e = m->m_head;; e = e->e_next) {
		hi = e != NULL ? MIN(e->e_start, top) : top;
		if (hi > lo && hi - lo >= len) {
			best = hi - len;
			found = true;
		}
		if (e == NULL || e->e_end >= top)
			break;
		lo = MAX(lo, e->e_end);
	}
	if (!found)
		return ENOMEM;
	*out = best;
	return 0;
}

int
vm_map_check(const struct vm_map *m)
{
	const struct vm_map_entry *e, *prev = NULL;
	int n = 0;

	for (e = m->m_head; e != NULL; prev = e, e = e->e_next, n++) {
		if ((e->e_start & PAGE_MASK) || (e->e_end & PAGE_MASK) ||
		    e->e_start >= e->e_end || e->e_start < m->m_min ||
		    e->e_end > m->m_max) {
			kprintf("vm_map: bad entry %#lx-%#lx\n", e->e_start,
			        e->e_end);
			return -1;
		}
		if (prev != NULL && prev->e_end > e->e_start) {
			kprintf("vm_map: entries %#lx-%#lx and %#lx-%#lx "
			        "overlap or are out of order\n",
			        prev->e_start, prev->e_end, e->e_start,
			        e->e_end);
			return -1;
		}
		if (prev != NULL && prev->e_end == e->e_start &&
		    prev->e_prot == e->e_prot && prev->e_flags == e->e_flags) {
			kprintf("vm_map: entries at %#lx not merged\n",
			        e->e_start);
			return -1;
		}
	}
	if (n != m->m_nentries) {
		kprintf("vm_map: %d entries counted, %d recorded\n", n,
		        m->m_nentries);
		return -1;
	}
	return 0;
}
