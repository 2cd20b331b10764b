/*
 * kern_malloc_test.c - in-kernel tests of kmalloc()/kfree().
 *
 * Every request size from 1 to KMALLOC_MAX is allocated, checked for the
 * alignment its class promises, written in full and freed.  M_ZERO must
 * clear a whole object that was freed dirty; many live objects of one
 * class must never overlap (each carries its own pattern over its whole
 * class size, checked after all are written); a freed object is reused
 * before the class takes a new page, so a second round of the same
 * allocations takes no page from the page allocator.  Tests run one at a
 * time, so the LIFO reuse and the page counts are exact.
 */
#include <sys/ktest.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define NMANY 600 /* live objects per class in the distinctness test */

static void *objs[NMANY]; /* objects the running test holds */

static void
kmalloc_class_sizes(struct ktest *t)
{
	size_t s;

	KT_EXPECT_EQ(t, kmalloc_class_size(0), 0);
	KT_EXPECT_EQ(t, kmalloc_class_size(KMALLOC_MAX + 1), 0);
	KT_EXPECT_EQ(t, kmalloc_class_size(1), 16);
	KT_EXPECT_EQ(t, kmalloc_class_size(16), 16);
	KT_EXPECT_EQ(t, kmalloc_class_size(17), 32);
	KT_EXPECT_EQ(t, kmalloc_class_size(2049), PAGE_SIZE);
	KT_EXPECT_EQ(t, kmalloc_class_size(KMALLOC_MAX), KMALLOC_MAX);
	for (s = 1; s <= KMALLOC_MAX; s++) {
		size_t c = kmalloc_class_size(s);

		/* The smallest power of two >= max(s, 16). */
		if ((c & (c - 1)) != 0 || c < s || c < 16 ||
		    (c > 16 && c / 2 >= s)) {
			ktest_fail(t, __FILE__, __LINE__,
			           "size %zu -> class %zu", s, c);
			return;
		}
	}
}

static void
kmalloc_every_size(struct ktest *t)
{
	size_t s;

	for (s = 1; s <= KMALLOC_MAX; s++) {
		size_t c = kmalloc_class_size(s);
		unsigned char *p = kmalloc(s, 0);

		if (p == NULL || ((uintptr_t)p & (c - 1)) != 0 ||
		    pmap_kextract((vm_offset_t)p) == ~0ull) {
			ktest_fail(t, __FILE__, __LINE__,
			           "size %zu: object %p (class %zu)", s,
			           (void *)p, c);
			return;
		}
		memset(p, (int)(s & 0xff), s);
		if (p[0] != (s & 0xff) || p[s - 1] != (s & 0xff)) {
			ktest_fail(
			    t, __FILE__, __LINE__,
			    "size %zu: object %p does not hold its bytes", s,
			    (void *)p);
			return;
		}
		kfree(p);
	}
}

static void
kmalloc_zero(struct ktest *t)
{
	size_t c;

	for (c = 16; c <= KMALLOC_MAX; c *= 2) {
		unsigned char *p = kmalloc(c, 0), *q;
		size_t i;

		KT_ASSERT(t, p != NULL);
		memset(p, 0xff, c);
		kfree(p);
		q = kmalloc(c - 1, M_ZERO); /* same class, smaller size */
		KT_ASSERT(t, q != NULL);
		KT_EXPECT_EQ(t, (uint64_t)q, (uint64_t)p); /* LIFO reuse */
		for (i = 0; i < c; i++)
			if (q[i] != 0) {
				ktest_fail(
				    t, __FILE__, __LINE__,
				    "class %zu: byte %zu is %#x after M_ZERO",
				    c, i, q[i]);
				break;
			}
		kfree(q);
	}
}

/* The pattern of object i of a class: its index in every word. */
static uint64_t
pattern(size_t c, int i, size_t w)
{
	return (uint64_t)c << 48 | (uint64_t)i << 16 | w;
}

static void
kmalloc_many_distinct(struct ktest *t)
{
	static const size_t classes[] = {16, 64, 512, PAGE_SIZE};
	unsigned k;
	int i;

	for (k = 0; k < nitems(classes); k++) {
		size_t c = classes[k], w;

		for (i = 0; i < NMANY; i++) {
			uint64_t *p = kmalloc(c, 0);

			KT_ASSERT(t, p != NULL);
			KT_EXPECT_EQ(t, (uintptr_t)p & (c - 1), 0);
			for (w = 0; w < c / 8; w++)
				p[w] = pattern(c, i, w);
			objs[i] = p;
		}
		for (i = 0; i < NMANY; i++) {
			const uint64_t *p = objs[i];

			for (w = 0; w < c / 8; w++)
				if (p[w] != pattern(c, i, w)) {
					ktest_fail(
					    t, __FILE__, __LINE__,
					    "class %zu: object %d at %p was "
					    "overwritten (word %zu = %#lx)",
					    c, i, (const void *)p, w, p[w]);
					break;
				}
		}
		/* Free in a scrambled order. */
		for (i = 0; i < NMANY; i++) {
			int j = (int)(ktest_random() % (uint64_t)(NMANY - i));
			void *tmp = objs[i + j];

			objs[i + j] = objs[i];
			objs[i] = tmp;
			kfree(objs[i]);
		}
	}
	kfree(NULL); /* allowed, does nothing */
}

/* Freed objects are used again before the class takes new pages. */
static void
kmalloc_reuse(struct ktest *t)
{
	uint64_t before;
	int i, round;

	for (round = 0; round < 2; round++) {
		before = vm_page_free_count();
		for (i = 0; i < NMANY; i++) {
			objs[i] = kmalloc(48, 0);
			KT_ASSERT(t, objs[i] != NULL);
		}
		for (i = 0; i < NMANY; i++)
			kfree(objs[i]);
		if (round == 1) /* the first round may have grown the class */
			KT_EXPECT_EQ(t, vm_page_free_count(), before);
	}
	/* The last object freed is the next one handed out. */
	objs[0] = kmalloc(100, 0);
	KT_ASSERT(t, objs[0] != NULL);
	kfree(objs[0]);
	objs[1] = kmalloc(128, 0);
	KT_EXPECT_EQ(t, (uint64_t)objs[1], (uint64_t)objs[0]);
	kfree(objs[1]);
}

KTEST_SUITE(kmalloc, "kmalloc", NULL, NULL, KTEST_CASE(kmalloc_class_sizes),
            KTEST_CASE(kmalloc_every_size), KTEST_CASE(kmalloc_zero),
            KTEST_CASE(kmalloc_many_distinct), KTEST_CASE(kmalloc_reuse));
