/*
 * pmap_stress_paths.c - the stress scenarios built to reach one
 * invalidation path each (pmap_stress_scen.c has the general ones):
 * bigrange (above the invalidation ceiling: full flushes, user and
 * kernel), large (2 MiB user pages), reap (page tables reaped by a batch
 * that invalidated nothing else) and fanin (many initiators, one target,
 * full FIFOs).  The stress summary's "paths" table shows that each was
 * reached.
 *
 * Invariant: as in pmap_stress_scen.c, every slot has exactly one owner
 * thread at a time, and only the owner changes its mapping and publishes
 * its state; readers only judge it.
 */
#include <vm/pmap_stress_var.h>

#include <sys/cpu.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

/* ------------------------------------------------------------------ */
/*
 * 8. bigrange: shootdowns above the invalidation ceiling, so targets do
 * a full flush instead of INVLPGs -- on a user pmap (non-global entries:
 * a CR3 reload would do) and on the kernel pmap (global entries: only a
 * CR4.PGE toggle drops them).  Main unmaps, protects and replaces runs
 * of BR_PAGES pages in one call each; readers on every other CPU check.
 */
#define BR_PAGES 48 /* > the default ceiling (32) */
static struct slot *br_u, *br_k;

static void
br_reader(struct worker *w)
{
	int i;

	lwkt_set_pmap(stress_pmaps[0]);
	while (!stress_stopping(w)) {
		for (i = 0; i < BURST / 2; i++) {
			stress_slot_check(
			    w, &br_u[stress_rng_next(&w->w_rng) % BR_PAGES],
			    true);
			stress_slot_check(
			    w, &br_k[stress_rng_next(&w->w_rng) % BR_PAGES],
			    true);
		}
		stress_pace(w, PACE_MS);
	}
}

void
bigrange_setup(struct stress_run *r)
{
	stress_pmaps[0] = pmap_create();
	br_u = stress_slots_init(r, BR_PAGES, stress_pmaps[0], UVA_BASE,
	                         PAGE_SIZE);
	br_k = stress_slots_init(r, BR_PAGES, NULL, stress_kva_get(BR_PAGES),
	                         PAGE_SIZE);
	stress_spawn_readers(r, br_reader, false);
}

/* RW -> RO for every RW slot of the run, with one pmap_protect. */
static void
br_protect_all(struct stress_run *r, struct slot *sl, int n)
{
	uint64_t t0 = nanouptime();
	bool rw[BR_PAGES];
	int i;

	for (i = 0; i < n; i++) {
		rw[i] = stress_slot_state(&sl[i]) == ST_RW;
		if (rw[i])
			stress_slot_publish(&sl[i], ST_CHANGING);
	}
	pmap_protect(sl[0].sl_pm, sl[0].sl_va, sl[n - 1].sl_va + PAGE_SIZE,
	             VM_PROT_READ);
	stress_op_done(r, t0);
	for (i = 0; i < n; i++)
		if (rw[i])
			stress_slot_publish(&sl[i], ST_RO);
}

void
bigrange_step(struct stress_run *r)
{
	uint64_t x = stress_rng_next(&stress_main_rng);
	int i;

	switch (x % 5) {
	case 0: /* user: one batch above the ceiling, then map again */
		stress_slots_unmap_batch(r, br_u, BR_PAGES, 0);
		for (i = 0; i < BR_PAGES; i++)
			stress_slot_map(r, &br_u[i]);
		break;
	case 1: /* user: RW -> RO of the whole run in one call */
		br_protect_all(r, br_u, BR_PAGES);
		break;
	case 2: /* kernel: remove the whole run (global entries) */
		stress_kslots_qremove(r, br_k, BR_PAGES);
		stress_kslots_qenter(r, br_k, BR_PAGES);
		break;
	case 3: /* kernel: replace every page of the run at once */
		stress_kslots_qenter(r, br_k, BR_PAGES);
		break;
	default: /* a single page now and then: the INVLPG path */
		stress_slot_random_op(r, &br_u[(x >> 8) % BR_PAGES], x >> 16);
		break;
	}
}

void
bigrange_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_kva_put(r);
	stress_pmaps_fini(1);
}

/* ------------------------------------------------------------------ */
/*
 * 9. large: 2 MiB user pages (PMAP_ENTER_2M) replaced, protected RW ->
 * RO and removed while readers on every other CPU check four slots
 * inside each.  A 2 MiB translation is one TLB entry for the whole
 * range (or several smaller ones: the architecture allows both), so
 * each change must invalidate it everywhere; the old 2 MiB frame is
 * quarantined one generation, then poisoned and freed.
 */
#define LG_REGIONS 2
#define LG_SLOTS   4 /* per region */
static const unsigned lg_page[LG_SLOTS] = {0, 137, 300, NPTEPG - 1};

struct lg_region {
	vm_offset_t lr_va;   /* 2 MiB aligned */
	vm_paddr_t lr_frame; /* mapped now, or 0 */
	vm_paddr_t lr_old;   /* quarantined, or 0 */
	struct slot *lr_sl;  /* its LG_SLOTS slots */
};
static struct lg_region lg[LG_REGIONS];

static void
lg_retire(vm_paddr_t pa)
{
	unsigned i;

	if (pa == 0)
		return;
	for (i = 0; i < LG_SLOTS; i++)
		stress_frame_fill(pa + lg_page[i] * PAGE_SIZE, POISON);
	for (i = 0; i < NPTEPG; i++)
		vm_page_free(phys_to_vm_page(pa + i * PAGE_SIZE));
}

/* Map a new 2 MiB frame: every slot to its next generation. */
static void
lg_map(struct stress_run *r, struct lg_region *lr)
{
	struct vm_page *m = vm_page_alloc_contig(NPTEPG, NPTEPG);
	uint64_t t0;
	vm_paddr_t pa;
	unsigned i;

	if (m == NULL)
		return;
	pa = vm_page_to_phys(m);
	for (i = 0; i < LG_SLOTS; i++)
		stress_frame_fill(
		    pa + lg_page[i] * PAGE_SIZE,
		    stress_word(lr->lr_sl[i].sl_id, lr->lr_sl[i].sl_gen + 1));
	t0 = nanouptime();
	for (i = 0; i < LG_SLOTS; i++)
		stress_slot_publish(&lr->lr_sl[i], ST_CHANGING);
	if (pmap_enter(stress_pmaps[0], lr->lr_va, pa, RW, PMAP_ENTER_2M) != 0)
		panic("stress: 2 MiB pmap_enter at %#lx failed", lr->lr_va);
	stress_op_done(r, t0);
	lg_retire(lr->lr_old);
	lr->lr_old = lr->lr_frame;
	lr->lr_frame = pa;
	for (i = 0; i < LG_SLOTS; i++) {
		lr->lr_sl[i].sl_gen++;
		stress_slot_publish(&lr->lr_sl[i], ST_RW);
	}
}

static void
lg_change(struct stress_run *r, struct lg_region *lr, bool remove)
{
	uint64_t t0 = nanouptime();
	unsigned i;

	if (lr->lr_frame == 0 ||
	    (!remove && stress_slot_state(&lr->lr_sl[0]) != ST_RW)) {
		lg_map(r, lr);
		return;
	}
	for (i = 0; i < LG_SLOTS; i++)
		stress_slot_publish(&lr->lr_sl[i], ST_CHANGING);
	if (remove)
		pmap_remove(stress_pmaps[0], lr->lr_va, lr->lr_va + SPAN_2M);
	else
		pmap_protect(stress_pmaps[0], lr->lr_va, lr->lr_va + SPAN_2M,
		             VM_PROT_READ);
	stress_op_done(r, t0);
	if (remove) {
		lg_retire(lr->lr_old);
		lr->lr_old = lr->lr_frame;
		lr->lr_frame = 0;
	}
	for (i = 0; i < LG_SLOTS; i++)
		stress_slot_publish(&lr->lr_sl[i],
		                    remove ? ST_UNMAPPED : ST_RO);
}

static void
lg_reader(struct worker *w)
{
	int i;

	lwkt_set_pmap(stress_pmaps[0]);
	while (!stress_stopping(w)) {
		for (i = 0; i < BURST; i++) {
			uint64_t x = stress_rng_next(&w->w_rng);

			stress_slot_check(
			    w, &lg[x % LG_REGIONS].lr_sl[(x >> 8) % LG_SLOTS],
			    true);
		}
		stress_pace(w, PACE_MS);
	}
}

void
large_setup(struct stress_run *r)
{
	int k;
	unsigned i;

	stress_pmaps[0] = pmap_create();
	for (k = 0; k < LG_REGIONS; k++) {
		struct lg_region *lr = &lg[k];

		memset(lr, 0, sizeof(*lr));
		lr->lr_va = UVA_BASE + (vm_offset_t)(k + 1) * SPAN_2M;
		/* Slots without frames of their own: lg_map() owns them. */
		lr->lr_sl = &stress_slots[r->sr_nslots];
		for (i = 0; i < LG_SLOTS; i++) {
			struct slot *sl = &lr->lr_sl[i];

			memset(sl, 0, sizeof(*sl));
			sl->sl_va = lr->lr_va + lg_page[i] * PAGE_SIZE;
			sl->sl_pm = stress_pmaps[0];
			sl->sl_id = (uint32_t)(r->sr_nslots + i);
			stress_slot_publish(sl, ST_UNMAPPED);
		}
		r->sr_nslots += LG_SLOTS;
		lg_map(r, lr);
	}
	stress_spawn_readers(r, lg_reader, false);
}

void
large_step(struct stress_run *r)
{
	uint64_t x = stress_rng_next(&stress_main_rng);
	struct lg_region *lr = &lg[(x >> 8) % LG_REGIONS];

	switch (x % 4) {
	case 0:
	case 1: /* a new 2 MiB frame over the old one */
		lg_map(r, lr);
		break;
	case 2: /* RW -> RO: a write anywhere inside must fault */
		lg_change(r, lr, false);
		break;
	default: /* removed: every access must fault */
		lg_change(r, lr, true);
		break;
	}
}

void
large_teardown(struct stress_run *r)
{
	int k;

	for (k = 0; k < LG_REGIONS; k++) {
		if (lg[k].lr_frame != 0)
			pmap_remove(stress_pmaps[0], lg[k].lr_va,
			            lg[k].lr_va + SPAN_2M);
		lg_retire(lg[k].lr_frame);
		lg_retire(lg[k].lr_old);
		lg[k].lr_frame = lg[k].lr_old = 0;
	}
	r->sr_nslots = 0; /* their frames were the regions' */
	stress_pmaps_fini(1);
}

/* ------------------------------------------------------------------ */
/*
 * 10. reap: a worker on every CPU owns one page of a single page table
 * and maps and unmaps it at random, and also removes a page of the same
 * table that is never mapped (a hole), checking the others' pages.  The
 * hole's remove holds the table while it looks; when the other pages
 * were all unmapped meanwhile, that remove reaps the empty table in a
 * batch that invalidated no leaf in its span -- the one batch where only
 * the reap's own invalidation drops the CPUs' cached pointers to the
 * table (the classic freed-page-table bug; pmap.bug=pt_noinval).
 */
#define RP_HOLE (NPTEPG - 1) /* the page index never mapped */
static struct slot *rp_sl;

static void
rp_worker(struct worker *w)
{
	struct stress_run *r = w->w_run;
	struct slot *mine = &rp_sl[w->w_cpu];
	vm_offset_t hole = UVA_BASE + RP_HOLE * PAGE_SIZE;
	int i;

	lwkt_set_pmap(stress_pmaps[0]);
	while (!stress_stopping(w)) {
		uint64_t x = stress_rng_next(&w->w_rng);

		if (x & 1)
			stress_slot_unmap(r, mine);
		else
			stress_slot_map(r, mine);
		pmap_remove(stress_pmaps[0], hole, hole + PAGE_SIZE);
		for (i = 0; i < BURST / 4; i++)
			stress_slot_check(
			    w, &rp_sl[stress_rng_next(&w->w_rng) % ncpus],
			    true);
		stress_pace(w, PACE_MS);
	}
}

void
reap_setup(struct stress_run *r)
{
	int cpu;

	stress_pmaps[0] = pmap_create();
	rp_sl =
	    stress_slots_init(r, ncpus, stress_pmaps[0], UVA_BASE, PAGE_SIZE);
	for (cpu = 0; cpu < ncpus; cpu++)
		stress_spawn(r, rp_worker, cpu, cpu);
}

void
reap_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_pmaps_fini(1);
}

/* ------------------------------------------------------------------ */
/*
 * 11. fanin: many initiators, one target.  The last CPU alone runs the
 * shared pmap, checking every page, and now and then spins 20 ms in a
 * critical section (it drains nothing then).  Every other CPU, off the
 * pmap, unmaps its FI_NB pages with FI_NB batches all flushed before the
 * first wait, and sends the target an ordinary LWKT message with each
 * (the traffic a real target also gets: wakeups, service requests), so
 * up to 2 * FI_NB messages per initiator queue up for the one target:
 * with 8-entry FIFOs (conf/TINYFIFO) senders find them full and take
 * the backpressure path while their shootdowns are in flight.
 */
#define FI_NB      8 /* batches in flight per initiator */
#define FI_CRIT_NS (20 * NS_PER_MS)
static struct slot *fi_sl;
static int fi_ninit; /* initiators: CPUs 0..fi_ninit-1 */

static volatile uint64_t fi_notes; /* ordinary messages the target ran */

static void
fi_note(void *arg1, uint64_t arg2, void *frame)
{
	(void)arg1, (void)arg2, (void)frame;
	__atomic_fetch_add(&fi_notes, 1, __ATOMIC_RELAXED);
}

static void
fi_target(struct worker *w)
{
	int i, n = fi_ninit * FI_NB;

	lwkt_set_pmap(stress_pmaps[0]);
	w->w_next_stall = nanouptime() + 50 * NS_PER_MS;
	while (!stress_stopping(w)) {
		for (i = 0; i < BURST; i++)
			stress_slot_check(
			    w, &fi_sl[stress_rng_next(&w->w_rng) % n], true);
		if (nanouptime() >= w->w_next_stall) {
			uint64_t end = nanouptime() + FI_CRIT_NS;

			crit_enter();
			while (nanouptime() < end)
				cpu_pause_hint();
			crit_exit();
			w->w_next_stall = nanouptime() + 100 * NS_PER_MS;
		}
		/* Never sleep: a sleeping target leaves the pmap. */
		stress_pace(w, 0);
	}
}

static void
fi_initiator(struct worker *w)
{
	struct stress_run *r = w->w_run;
	struct slot *mine = &fi_sl[w->w_cpu * FI_NB];
	struct pmap_inval_batch b[FI_NB];
	uint64_t t0;
	int i;

	while (!stress_stopping(w)) {
		t0 = nanouptime();
		for (i = 0; i < FI_NB; i++) {
			struct slot *sl = &mine[i];

			pmap_inval_batch_init(&b[i], sl->sl_pm);
			if (sl->sl_frame == 0)
				continue;
			stress_slot_publish(sl, ST_CHANGING);
			pmap_remove_batch(sl->sl_pm, sl->sl_va,
			                  sl->sl_va + PAGE_SIZE, &b[i]);
			pmap_inval_batch_defer_free(&b[i], sl->sl_frame);
			sl->sl_frame = 0;
			pmap_inval_batch_flush(&b[i]); /* no wait yet */
			lwkt_send_ipiq(ncpus - 1, fi_note, NULL, 0);
		}
		for (i = 0; i < FI_NB; i++) {
			pmap_inval_batch_wait(&b[i]);
			if (stress_slot_state(&mine[i]) == ST_CHANGING)
				stress_slot_publish(&mine[i], ST_UNMAPPED);
		}
		stress_op_done(r, t0);
		for (i = 0; i < FI_NB; i++)
			stress_slot_map(r, &mine[i]);
		stress_pace(w, PACE_MS);
	}
}

void
fanin_setup(struct stress_run *r)
{
	int cpu;

	/* One CPU still gets a target and an initiator of its own. */
	fi_ninit = MAX(1, MIN(ncpus - 1, MAXSLOTS / FI_NB));
	stress_pmaps[0] = pmap_create();
	fi_sl = stress_slots_init(r, fi_ninit * FI_NB, stress_pmaps[0],
	                          UVA_BASE, PAGE_SIZE);
	stress_spawn(r, fi_target, ncpus - 1, 0);
	for (cpu = 0; cpu < fi_ninit; cpu++)
		stress_spawn(r, fi_initiator, cpu, cpu);
}

void
fanin_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_pmaps_fini(1);
}
