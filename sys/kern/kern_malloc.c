/*
 * kern_malloc.c - kmalloc()/kfree() for small objects.
 *
 * Sizes round up to a power of two from 16 bytes to a page.  Each class
 * carves whole pages (reached through the direct map) into objects and
 * keeps freed objects on a LIFO list; a page-sized object is a whole page.
 * kfree() finds an object's class from the page it lives in: the page's
 * vm_page records the class in pg_kmtag while the page belongs to kmalloc.
 * Pages are never returned to the page allocator (the object population
 * of this kernel is small and stable).
 *
 * Each class has its own spin lock; no interrupt handler calls kmalloc.
 * Under DEBUG_KMALLOC freed objects are filled with 0xde and checked on
 * reuse, so a write after free is caught at the next allocation.
 */
#include <sys/malloc.h>

#include <sys/param.h>
#include <sys/spinlock.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define KM_MINSHIFT       4          /* 16 bytes */
#define KM_MAXSHIFT       PAGE_SHIFT /* a whole page */
#define KM_NCLASS         (KM_MAXSHIFT - KM_MINSHIFT + 1)
#define KM_PAGEOWNER_BASE 0x4b4d0000u /* pg_kmtag: 'KM' + class */

struct km_free {
	struct km_free *kf_next; /* next free object of the class */
};

struct km_class {
	struct spinlock kc_lock; /* protects the fields below */
	struct km_free *kc_free; /* free objects */
	uint64_t kc_inuse;       /* objects handed out */
	uint64_t kc_pages;       /* pages owned by the class */
};

static struct km_class km_classes[KM_NCLASS];

static int
size_to_class(size_t size)
{
	int c = 0;

	while (((size_t)1 << (c + KM_MINSHIFT)) < size)
		c++;
	return c;
}

size_t
kmalloc_class_size(size_t size)
{
	if (size == 0 || size > KMALLOC_MAX)
		return 0;
	return (size_t)1 << (size_to_class(size) + KM_MINSHIFT);
}

uint64_t kmalloc_pages; /* pages kmalloc holds (it never returns them) */

/* Give a class one more page's worth of objects; called unlocked. */
static bool
km_grow(struct km_class *kc, int cls)
{
	struct vm_page *m = vm_page_alloc();
	size_t osize = (size_t)1 << (cls + KM_MINSHIFT);
	char *base;
	size_t off;

	if (m == NULL)
		return false;
	__atomic_fetch_add(&kmalloc_pages, 1, __ATOMIC_RELAXED);
	m->pg_kmtag = KM_PAGEOWNER_BASE + (uint32_t)cls;
	base = pmap_map_dmap(vm_page_to_phys(m));
	spin_lock(&kc->kc_lock);
	for (off = 0; off < PAGE_SIZE; off += osize) {
		struct km_free *f = (struct km_free *)(base + off);

#ifdef DEBUG_KMALLOC
		memset(f, 0xde, osize);
#endif
		f->kf_next = kc->kc_free;
		kc->kc_free = f;
	}
	kc->kc_pages++;
	spin_unlock(&kc->kc_lock);
	return true;
}

void *
kmalloc(size_t size, int flags)
{
	struct km_class *kc;
	struct km_free *f;
	int cls;

	if (size == 0 || size > KMALLOC_MAX)
		panic("kmalloc: bad size %zu (max %lu)", size, KMALLOC_MAX);
	cls = size_to_class(size);
	kc = &km_classes[cls];
	for (;;) {
		spin_lock(&kc->kc_lock);
		f = kc->kc_free;
		if (f != NULL) {
			kc->kc_free = f->kf_next;
			kc->kc_inuse++;
		}
		spin_unlock(&kc->kc_lock);
		if (f != NULL)
			break;
		if (!km_grow(kc, cls)) {
			if (flags & M_NULLOK)
				return NULL;
			panic("kmalloc: out of memory (%zu bytes)", size);
		}
	}
#ifdef DEBUG_KMALLOC
	{
		size_t osize = (size_t)1 << (cls + KM_MINSHIFT), i;
		const unsigned char *b = (const unsigned char *)f;

		for (i = sizeof(struct km_free); i < osize; i++)
			if (b[i] != 0xde)
				panic("kmalloc: object %p (class %zu) was "
				      "written after free at offset %zu",
				      (void *)f, osize, i);
	}
#endif
	if (flags & M_ZERO)
		memset(f, 0, (size_t)1 << (cls + KM_MINSHIFT));
	return f;
}

void
kfree(void *p)
{
	struct vm_page *m;
	struct km_class *kc;
	struct km_free *f = p;
	uint32_t cls;

	if (p == NULL)
		return;
	m = phys_to_vm_page(pmap_kextract((vm_offset_t)p));
	if (m == NULL || m->pg_kmtag < KM_PAGEOWNER_BASE ||
	    m->pg_kmtag >= KM_PAGEOWNER_BASE + KM_NCLASS)
		panic("kfree: %p was not allocated by kmalloc", p);
	cls = m->pg_kmtag - KM_PAGEOWNER_BASE;
	if (((uintptr_t)p & (((uintptr_t)1 << (cls + KM_MINSHIFT)) - 1)) != 0)
		panic("kfree: %p is not the start of an object", p);
	kc = &km_classes[cls];
#ifdef DEBUG_KMALLOC
	memset(f, 0xde, (size_t)1 << (cls + KM_MINSHIFT));
#endif
	spin_lock(&kc->kc_lock);
	f->kf_next = kc->kc_free;
	kc->kc_free = f;
	kc->kc_inuse--;
	spin_unlock(&kc->kc_lock);
}
