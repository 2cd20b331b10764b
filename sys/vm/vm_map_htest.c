/*
 * Host tests for the user address-space map (vm_map.c).
 *
 * Directed cases: insert and merge, split by remove and protect (the
 * middle of one entry, across several), find_space picking the highest
 * gap.  Then a model check: 300,000 random inserts, removes, protects and
 * find_space calls over a 96-page window, against a one-entry-per-page
 * model (-1 = unmapped, else prot | flags << 4), comparing every page's
 * lookup, range_free/range_mapped answers and vm_map_check()'s invariant
 * (sorted, disjoint, aligned, merged, counted) after every step.  The
 * host kmalloc fails at random (1 in 8) during the model check: an
 * operation that returns ENOMEM must have changed nothing.
 */
#include <vm/vm_map.h>

#include <stdlib.h>
#include <string.h>

#include <machine/vmparam.h>
#include <sys/errno.h>
#include <sys/malloc.h>

#include "htest.h"

#define PG     4096ul
#define BASE   0x10000ul
#define NPAGES 96
#define OPS    300000

static uint64_t fail_state; /* kmalloc failure injection (0: never) */

void *
kmalloc(size_t size, int flags)
{
	if (fail_state != 0 && ht_xorshift64(&fail_state) % 8 == 0) {
		if (!(flags & M_NULLOK))
			abort();
		return NULL;
	}
	return flags & M_ZERO ? calloc(1, size) : malloc(size);
}

void
kfree(void *p)
{
	free(p);
}

static struct vm_map m;
static int model[NPAGES]; /* -1 unmapped, else prot | flags << 4 */

static void
reset(void)
{
	vm_map_clear(&m);
	vm_map_init(&m, BASE, BASE + NPAGES * PG);
	memset(model, 0xff, sizeof(model));
}

static vm_offset_t
va(int page)
{
	return BASE + (vm_offset_t)page * PG;
}

/* Compare map and model; returns the number of differences. */
static int
compare(void)
{
	int i, bad = 0;

	if (vm_map_check(&m) != 0)
		bad++;
	for (i = 0; i < NPAGES; i++) {
		struct vm_map_entry *e = vm_map_lookup(&m, va(i) + 123);
		int got = e == NULL ? -1 : e->e_prot | e->e_flags << 4;

		if (got != model[i]) {
			printf("    # page %d: map %d, model %d\n", i, got,
			       model[i]);
			bad++;
		}
	}
	return bad;
}

static void
t_directed(void)
{
	vm_offset_t out;

	reset();
	HT_CHECK_EQ(vm_map_insert(&m, va(0), va(4), 3, 0), 0);
	HT_CHECK_EQ(vm_map_insert(&m, va(4), va(8), 3, 0), 0);
	HT_CHECK_EQ(m.m_nentries, 1); /* merged */
	HT_CHECK_EQ(vm_map_remove(&m, va(2), va(3)), 0);
	HT_CHECK_EQ(m.m_nentries, 2); /* split */
	HT_CHECK(!vm_map_range_mapped(&m, va(0), va(8)));
	HT_CHECK(vm_map_range_mapped(&m, va(3), va(8)));
	HT_CHECK_EQ(vm_map_protect(&m, va(4), va(5), 1), 0);
	HT_CHECK_EQ(m.m_nentries, 4);
	HT_CHECK_EQ(vm_map_protect(&m, va(3), va(8), 3), 0);
	HT_CHECK_EQ(m.m_nentries, 2); /* merged back */
	HT_CHECK_EQ(vm_map_insert(&m, va(2), va(3), 3, 0), 0);
	HT_CHECK_EQ(m.m_nentries, 1);
	HT_CHECK_EQ(vm_map_insert(&m, va(10), va(12), 3, VM_ENTRY_BRK), 0);
	HT_CHECK_EQ(vm_map_insert(&m, va(8), va(10), 3, 0), 0);
	HT_CHECK_EQ(m.m_nentries, 2); /* flags differ: no merge */
	HT_CHECK_EQ(vm_map_find_space(&m, 4 * PG, va(NPAGES), &out), 0);
	HT_CHECK_EQ(out, va(NPAGES - 4));
	HT_CHECK_EQ(vm_map_find_space(&m, 4 * PG, va(12), &out), ENOMEM);
	HT_CHECK_EQ(vm_map_find_space(&m, (NPAGES - 12) * PG, va(NPAGES), &out),
	            0);
	HT_CHECK_EQ(out, va(12));
	HT_CHECK_EQ(vm_map_check(&m), 0);
	reset();
}

static void
t_model(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int n, bad = 0, nomem = 0;

	reset();
	fail_state = 0x1234567;
	for (n = 0; n < OPS && bad == 0; n++) {
		int a = (int)(ht_xorshift64(&s) % NPAGES), b, i, r;
		int prot = (int)(ht_xorshift64(&s) % 8);
		int flags = (int)(ht_xorshift64(&s) % 3 == 0);
		int op = (int)(ht_xorshift64(&s) % 4);
		int saved[NPAGES];
		bool free_ = true, mapped = true;

		b = a + 1 + (int)(ht_xorshift64(&s) % (NPAGES - a));
		for (i = a; i < b; i++) {
			free_ &= model[i] == -1;
			mapped &= model[i] != -1;
		}
		if (vm_map_range_free(&m, va(a), va(b)) != free_ ||
		    vm_map_range_mapped(&m, va(a), va(b)) != mapped)
			bad++;
		memcpy(saved, model, sizeof(model));
		switch (op) {
		case 0:
			if (!free_)
				continue;
			r = vm_map_insert(&m, va(a), va(b), prot, flags);
			for (i = a; i < b; i++)
				model[i] = prot | flags << 4;
			break;
		case 1:
			r = vm_map_remove(&m, va(a), va(b));
			for (i = a; i < b; i++)
				model[i] = -1;
			break;
		case 2:
			if (!mapped)
				continue;
			r = vm_map_protect(&m, va(a), va(b), prot);
			for (i = a; i < b; i++)
				model[i] = prot | (model[i] & ~15);
			break;
		default: {
			vm_offset_t out;
			int len = b - a, top = b, best = -1;

			r = vm_map_find_space(&m, (vm_size_t)len * PG, va(top),
			                      &out);
			/* The model: the highest free run of len below top. */
			for (i = top - len; i >= 0 && best < 0; i--) {
				int j, ok = 1;

				for (j = i; j < i + len; j++)
					ok &= model[j] == -1;
				if (ok)
					best = i;
			}
			if ((r == 0) != (best >= 0) ||
			    (r == 0 && out != va(best)))
				bad++;
			continue;
		}
		}
		if (r == ENOMEM) {
			nomem++;
			memcpy(model, saved, sizeof(model));
		} else if (r != 0) {
			bad++;
		}
		bad += compare();
	}
	fail_state = 0;
	printf("    # %d operations, %d refused with ENOMEM, %d entries at "
	       "the end\n",
	       n, nomem, m.m_nentries);
	HT_CHECK_EQ(bad, 0);
	HT_CHECK(nomem > 0);
	reset();
}

int
main(void)
{
	ht_begin();
	ht_run("directed", t_directed);
	ht_run("model", t_model);
	return ht_done();
}
