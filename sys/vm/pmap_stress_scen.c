/*
 * pmap_stress_scen.c - the scenarios of the shootdown stress suite:
 * remap, initiators, switch, idle, ptpage, kernel, introff, bigrange
 * (above the invalidation ceiling: full flushes, user and kernel), large
 * (2 MiB user pages), reap (page tables reaped by a batch that
 * invalidated nothing else) and fanin (many initiators, one target).  Each has a
 * setup (map slots, spawn workers), an optional step the main thread
 * repeats, and a teardown; pmap_stress.c runs them and judges the reads
 * (its header says why a judged read proves a correct shootdown).
 * docs/ARCHITECTURE.md (section 11), "Stress suite", describes each.
 *
 * Invariant: every slot has exactly one owner thread at a time (the
 * main thread, or the worker a scenario gives it to), and only the owner
 * changes its mapping and publishes its state; readers only judge it.
 */
#include <vm/pmap_stress_var.h>

#include <sys/cpu.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

/* ------------------------------------------------------------------ */
/* 1. remap: one writer (main, CPU 0), readers on every other CPU. */

#define REMAP_SLOTS 8
static struct slot *remap_sl;

static void
remap_reader(struct worker *w)
{
	int i;

	lwkt_set_pmap(stress_pmaps[0]);
	while (!stress_stopping(w)) {
		for (i = 0; i < BURST; i++)
			stress_slot_check(
			    w,
			    &remap_sl[stress_rng_next(&w->w_rng) % REMAP_SLOTS],
			    true);
		stress_pace(w, PACE_MS);
	}
}

static void
remap_setup(struct stress_run *r)
{
	stress_pmaps[0] = pmap_create();
	remap_sl = stress_slots_init(r, REMAP_SLOTS, stress_pmaps[0], UVA_BASE,
	                             PAGE_SIZE);
	stress_spawn_readers(r, remap_reader, false);
}

static void
remap_step(struct stress_run *r)
{
	uint64_t x = stress_rng_next(&stress_main_rng);
	struct slot *sl = &remap_sl[(x >> 8) % REMAP_SLOTS];
	int i;

	switch (x % 6) {
	case 0: /* every page to a new generation */
		for (i = 0; i < REMAP_SLOTS; i++)
			stress_slot_map(r, &remap_sl[i]);
		break;
	case 1: /* one batch for all, frames freed by the wait */
		stress_slots_unmap_batch(r, remap_sl, REMAP_SLOTS, 0);
		for (i = 0; i < REMAP_SLOTS; i++)
			stress_slot_map(r, &remap_sl[i]);
		break;
	case 2:
	case 3: /* RW -> RO: a write must fault everywhere */
		stress_slot_protect(r, sl);
		break;
	default:
		stress_slot_random_op(r, sl, x >> 16);
		break;
	}
}

static void
remap_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_pmaps_fini(1);
}

/* ------------------------------------------------------------------ */
/*
 * 2. initiators: a worker on every CPU owns two slots in a shared pmap
 * and one in its private pmap; it changes them, checks its own and
 * other CPUs' slots, and alternates between running on the shared and
 * on its private pmap (so it also initiates shootdowns in a pmap it is
 * not running on).
 */
#define INIT_PER_CPU 2
static struct slot *init_shared, *init_private;

static void
init_worker(struct worker *w)
{
	struct stress_run *r = w->w_run;
	struct slot *mine = &init_shared[w->w_cpu * INIT_PER_CPU];
	struct slot *priv = &init_private[w->w_cpu];
	struct pmap *shared = stress_pmaps[0], *pm = stress_pmaps[1 + w->w_cpu];
	int i, n = ncpus * INIT_PER_CPU;
	bool on_shared;

	while (!stress_stopping(w)) {
		uint64_t x = stress_rng_next(&w->w_rng);

		on_shared = (w->w_iter / 16) % 2 == 0;
		lwkt_set_pmap(on_shared ? shared : pm);
		if (x % 5 == 0)
			stress_slots_unmap_batch(r, mine, INIT_PER_CPU, 0);
		else
			stress_slot_random_op(r, &mine[(x >> 8) % INIT_PER_CPU],
			                      x >> 16);
		stress_slot_random_op(r, priv, x >> 24);
		if (on_shared) {
			for (i = 0; i < INIT_PER_CPU; i++)
				stress_slot_check(w, &mine[i], true);
			for (i = 0; i < BURST / 2; i++)
				stress_slot_check(
				    w,
				    &init_shared[stress_rng_next(&w->w_rng) %
				                 n],
				    true);
		} else {
			stress_slot_check(w, priv, true);
		}
		stress_pace(w, PACE_MS);
	}
}

static void
initiators_setup(struct stress_run *r)
{
	int cpu;

	stress_pmaps[0] = pmap_create();
	for (cpu = 0; cpu < ncpus; cpu++)
		stress_pmaps[1 + cpu] = pmap_create();
	init_shared = stress_slots_init(r, ncpus * INIT_PER_CPU,
	                                stress_pmaps[0], UVA_BASE, PAGE_SIZE);
	init_private = &stress_slots[r->sr_nslots];
	for (cpu = 0; cpu < ncpus; cpu++)
		stress_slots_init(r, 1, stress_pmaps[1 + cpu], UVA_BASE,
		                  PAGE_SIZE);
	for (cpu = 0; cpu < ncpus; cpu++)
		stress_spawn(r, init_worker, cpu, cpu);
}

static void
initiators_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_pmaps_fini(1 + ncpus);
}

/* ------------------------------------------------------------------ */
/*
 * 3. switch: three pmaps map the same VAs to different slots.  On every
 * CPU but 0 a hopper moves between them with lwkt_set_pmap() and a
 * sitter stays on one; they yield to each other, so the switch path's
 * pmap_activate() runs constantly while main remaps (pm_active race).
 */
#define SW_PMAPS 3
#define SW_SLOTS 4
static struct slot *sw_sl[SW_PMAPS];

static void
sw_check(struct worker *w, int k)
{
	int i;

	for (i = 0; i < 4; i++)
		stress_slot_check(
		    w, &sw_sl[k][stress_rng_next(&w->w_rng) % SW_SLOTS], true);
}

static void
sw_hopper(struct worker *w)
{
	while (!stress_stopping(w)) {
		uint64_t x = stress_rng_next(&w->w_rng);
		int k = x % (SW_PMAPS + 1);

		if (k == SW_PMAPS) {
			lwkt_set_pmap(NULL);
		} else {
			lwkt_set_pmap(stress_pmaps[k]);
			sw_check(w, k);
		}
		stress_pace(w, PACE_MS);
	}
}

static void
sw_sitter(struct worker *w)
{
	int k = w->w_cpu % SW_PMAPS;

	lwkt_set_pmap(stress_pmaps[k]);
	while (!stress_stopping(w)) {
		sw_check(w, k);
		stress_pace(w, PACE_MS);
	}
}

static void
switch_setup(struct stress_run *r)
{
	int k, cpu;

	for (k = 0; k < SW_PMAPS; k++) {
		stress_pmaps[k] = pmap_create();
		sw_sl[k] = stress_slots_init(r, SW_SLOTS, stress_pmaps[k],
		                             UVA_BASE, PAGE_SIZE);
	}
	for (cpu = ncpus == 1 ? 0 : 1; cpu < ncpus; cpu++) {
		stress_spawn(r, sw_hopper, cpu, 0);
		stress_spawn(r, sw_sitter, cpu, 1);
	}
}

static void
switch_step(struct stress_run *r)
{
	uint64_t x = stress_rng_next(&stress_main_rng);
	struct slot *sl = &sw_sl[x % SW_PMAPS][(x >> 8) % SW_SLOTS];

	stress_slot_random_op(r, sl, x >> 16);
}

static void
switch_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_pmaps_fini(SW_PMAPS);
}

/* ------------------------------------------------------------------ */
/*
 * 4. idle: readers check kernel and user slots, then sleep 1-3 ms, so
 * their CPUs halt and kernel shootdowns are deferred to their wakeup;
 * main remaps and wakes them now and then.
 */
#define IDLE_KSLOTS 8
#define IDLE_USLOTS 4
static struct slot *idle_k, *idle_u;

static void
idle_reader(struct worker *w)
{
	int i;

	lwkt_set_pmap(stress_pmaps[0]);
	while (!stress_stopping(w)) {
		/* Right after the wakeup: the deferred flush must be done. */
		for (i = 0; i < IDLE_KSLOTS; i++)
			stress_slot_check(w, &idle_k[i], true);
		for (i = 0; i < IDLE_USLOTS; i++)
			stress_slot_check(w, &idle_u[i], true);
		tsleep(&w->w_run->sr_chan, 0, "stridle",
		       1 + (int)(stress_rng_next(&w->w_rng) % 3));
	}
}

static void
idle_setup(struct stress_run *r)
{
	stress_pmaps[0] = pmap_create();
	idle_k = stress_slots_init(r, IDLE_KSLOTS, NULL,
	                           stress_kva_get(IDLE_KSLOTS), PAGE_SIZE);
	idle_u = stress_slots_init(r, IDLE_USLOTS, stress_pmaps[0], UVA_BASE,
	                           PAGE_SIZE);
	stress_spawn_readers(r, idle_reader, false);
}

static void
idle_step(struct stress_run *r)
{
	uint64_t x = stress_rng_next(&stress_main_rng);

	if (x % 4 == 0)
		stress_slot_random_op(r, &idle_u[(x >> 8) % IDLE_USLOTS],
		                      x >> 16);
	else
		stress_slot_random_op(r, &idle_k[(x >> 8) % IDLE_KSLOTS],
		                      x >> 16);
	if ((x >> 40) % 16 == 0)
		wakeup(&r->sr_chan);
	/* Give the readers time to go back to sleep. */
	if ((x >> 44) % 4 == 0)
		tsleep(r, 0, "stress", 1);
}

static void
idle_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_kva_put(r);
	stress_pmaps_fini(1);
}

/* ------------------------------------------------------------------ */
/*
 * 5. ptpage: in a shared pmap each worker owns a region whose 4 pages
 * need their own PDP, 2 PD and 4 PT pages; it maps it, then unmaps all
 * of it in one batch (every table page is unlinked) while the others
 * read.  Until the wait returns the unlinked table pages must not be
 * free; right after it, freshly allocated pages (likely the same ones:
 * the free list is LIFO) are filled with poison.
 */
#define PT_SLOTS        4
#define PT_POISON_PAGES 8
#define PT_MAXW         64 /* regions: PML4 slots 1..64 */
static struct slot *pt_sl;
static vm_paddr_t pt_poison[PT_MAXW][PT_POISON_PAGES];

static int
pt_workers(void)
{
	return MIN(ncpus, PT_MAXW);
}

/* The table pages (PDP, PD, PT) that translate va in the current pmap. */
static int
pt_tables(vm_offset_t va, vm_paddr_t *out, int n)
{
	struct pmap_walk pw;
	int lvl, j;

	pmap_kwalk(cpu_read_cr3(), va, &pw);
	for (lvl = 0; lvl + 1 < pw.pw_levels && lvl < 3; lvl++) {
		vm_paddr_t pa = cpu_pte_frame(pw.pw_entry[lvl]);

		for (j = 0; j < n && out[j] != pa; j++)
			;
		if (j == n)
			out[n++] = pa;
	}
	return n;
}

static void
pt_unmap_all(struct worker *w, struct slot *mine)
{
	struct stress_run *r = w->w_run;
	struct pmap_inval_batch b;
	struct pmap *pm = stress_pmaps[0];
	vm_paddr_t tables[3 * PT_SLOTS];
	uint64_t t0 = nanouptime();
	int i, nt = 0;

	for (i = 0; i < PT_SLOTS; i++) {
		stress_slot_publish(&mine[i], ST_CHANGING);
		nt = pt_tables(mine[i].sl_va, tables, nt);
	}
	pmap_inval_batch_init(&b, pm);
	for (i = 0; i < PT_SLOTS; i++) {
		if (mine[i].sl_frame == 0)
			continue;
		pmap_remove_batch(pm, mine[i].sl_va, mine[i].sl_va + PAGE_SIZE,
		                  &b);
		pmap_inval_batch_defer_free(&b, mine[i].sl_frame);
		mine[i].sl_frame = 0;
	}
	pmap_inval_batch_flush(&b);
	/*
	 * Until the wait, the unlinked tables must stay allocated - except
	 * with pmap.inval=sync, whose flush itself waits (and frees them).
	 */
	for (i = 0; i < nt && pmap_inval_mode != PMAP_INVAL_SYNC; i++) {
		if (phys_to_vm_page(tables[i])->pg_flags & VPF_FREE) {
			char s[48];

			ksnprintf(s, sizeof(s), "page %#lx free", tables[i]);
			stress_violation(
			    r,
			    "page-table page freed before its shootdown "
			    "completed",
			    mine[0].sl_va, "still allocated", s);
		}
	}
	pmap_inval_batch_wait(&b);
	stress_op_done(r, t0);
	for (i = 0; i < PT_SLOTS; i++)
		stress_slot_publish(&mine[i], ST_UNMAPPED);
	/* Reuse what was just freed, poisoned. */
	for (i = 0; i < PT_POISON_PAGES; i++) {
		struct vm_page *m;

		if (pt_poison[w->w_index][i] != 0)
			vm_page_free(phys_to_vm_page(pt_poison[w->w_index][i]));
		m = vm_page_alloc();
		pt_poison[w->w_index][i] = m ? vm_page_to_phys(m) : 0;
		if (m != NULL)
			stress_frame_fill(vm_page_to_phys(m), PT_POISON);
	}
}

static void
pt_worker(struct worker *w)
{
	struct stress_run *r = w->w_run;
	struct slot *mine = &pt_sl[w->w_index * PT_SLOTS];
	int i, n = pt_workers() * PT_SLOTS;

	lwkt_set_pmap(stress_pmaps[0]);
	while (!stress_stopping(w)) {
		for (i = 0; i < PT_SLOTS; i++)
			stress_slot_map(r, &mine[i]);
		for (i = 0; i < BURST; i++)
			stress_slot_check(
			    w, &pt_sl[stress_rng_next(&w->w_rng) % n], false);
		pt_unmap_all(w, mine);
		for (i = 0; i < BURST; i++)
			stress_slot_check(
			    w, &pt_sl[stress_rng_next(&w->w_rng) % n], false);
		stress_pace(w, PACE_MS);
	}
}

static void
ptpage_setup(struct stress_run *r)
{
	int c, i;

	stress_pmaps[0] = pmap_create();
	pt_sl = &stress_slots[r->sr_nslots];
	for (c = 0; c < pt_workers(); c++) {
		vm_offset_t base = (vm_offset_t)(c + 1) * SPAN_512G;
		vm_offset_t va[PT_SLOTS] = {base, base + SPAN_2M,
		                            base + SPAN_1G,
		                            base + SPAN_1G + SPAN_2M};

		for (i = 0; i < PT_SLOTS; i++)
			stress_slots_init(r, 1, stress_pmaps[0], va[i],
			                  PAGE_SIZE);
	}
	for (c = 0; c < pt_workers(); c++)
		stress_spawn(r, pt_worker, c, c);
}

static void
ptpage_teardown(struct stress_run *r)
{
	int c, i;

	stress_slots_fini(r);
	stress_pmaps_fini(1);
	for (c = 0; c < PT_MAXW; c++)
		for (i = 0; i < PT_POISON_PAGES; i++) {
			if (pt_poison[c][i] != 0)
				vm_page_free(phys_to_vm_page(pt_poison[c][i]));
			pt_poison[c][i] = 0;
		}
}

/* ------------------------------------------------------------------ */
/*
 * 6. kernel: pmap_kenter/kremove and pmap_qenter/qremove of kernel
 * pages, which every CPU must invalidate; readers on all CPUs.
 */
#define K_SLOTS 16
static struct slot *k_sl;

static void
kernel_reader(struct worker *w)
{
	int i;

	while (!stress_stopping(w)) {
		for (i = 0; i < BURST; i++)
			stress_slot_check(
			    w, &k_sl[stress_rng_next(&w->w_rng) % K_SLOTS],
			    true);
		stress_pace(w, PACE_MS);
	}
}

static void
kernel_setup(struct stress_run *r)
{
	k_sl = stress_slots_init(r, K_SLOTS, NULL, stress_kva_get(K_SLOTS),
	                         PAGE_SIZE);
	stress_spawn_readers(r, kernel_reader, true);
}

static void
kernel_step(struct stress_run *r)
{
	uint64_t x = stress_rng_next(&stress_main_rng);
	int first = (int)((x >> 8) % (K_SLOTS / 2)), n = K_SLOTS / 2;

	switch (x % 4) {
	case 0: /* a run replaced at once: one shootdown */
		stress_kslots_qenter(r, &k_sl[first], n);
		break;
	case 1: /* a run removed, then mapped again */
		stress_kslots_qremove(r, &k_sl[first], n);
		stress_kslots_qenter(r, &k_sl[first], n);
		break;
	default:
		stress_slot_random_op(r, &k_sl[(x >> 16) % K_SLOTS], x >> 24);
		break;
	}
}

static void
kernel_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_kva_put(r);
}

/* ------------------------------------------------------------------ */
/*
 * 7. introff: readers on CPUs 1..n-1 now and then spin 50 ms with
 * interrupts disabled or in a critical section, so shootdowns toward
 * them must wait; main (an initiator) sometimes does the same between
 * its flush and its wait, while a second initiator on the last CPU
 * shoots down kernel pages, which must wait for CPU 0.  Every shootdown
 * must complete (within 1 s) and no read may be stale afterwards.
 */
#define IO_KSLOTS 8
#define IO_USLOTS 8
static struct slot *io_k, *io_u;

static void
stall(uint64_t ns, bool intr_off)
{
	uint64_t end = nanouptime() + ns, fl = 0;

	if (intr_off)
		fl = cpu_intr_disable();
	else
		crit_enter();
	while (nanouptime() < end)
		cpu_pause_hint();
	if (intr_off)
		cpu_intr_restore(fl);
	else
		crit_exit();
}

static void
io_reader(struct worker *w)
{
	int i;

	lwkt_set_pmap(stress_pmaps[0]);
	w->w_next_stall = nanouptime() + 100 * NS_PER_MS;
	while (!stress_stopping(w)) {
		for (i = 0; i < BURST / 2; i++) {
			stress_slot_check(
			    w, &io_k[stress_rng_next(&w->w_rng) % IO_KSLOTS],
			    true);
			stress_slot_check(
			    w, &io_u[stress_rng_next(&w->w_rng) % IO_USLOTS],
			    true);
		}
		if (nanouptime() >= w->w_next_stall) {
			uint64_t x = stress_rng_next(&w->w_rng);

			stall(STALL_NS, x & 1);
			w->w_next_stall =
			    nanouptime() + (150 + (x >> 8) % 300) * NS_PER_MS;
		}
		stress_pace(w, PACE_MS);
	}
}

/* The second initiator: owns the upper half of the kernel slots. */
static void
io_initiator(struct worker *w)
{
	struct stress_run *r = w->w_run;

	while (!stress_stopping(w)) {
		uint64_t x = stress_rng_next(&w->w_rng);

		stress_slot_random_op(
		    r, &io_k[IO_KSLOTS / 2 + x % (IO_KSLOTS / 2)], x >> 8);
		stress_pace(w, PACE_MS);
	}
}

static void
introff_setup(struct stress_run *r)
{
	stress_pmaps[0] = pmap_create();
	io_k = stress_slots_init(r, IO_KSLOTS, NULL, stress_kva_get(IO_KSLOTS),
	                         PAGE_SIZE);
	io_u = stress_slots_init(r, IO_USLOTS, stress_pmaps[0], UVA_BASE,
	                         PAGE_SIZE);
	stress_spawn_readers(r, io_reader, false);
	if (ncpus > 1)
		stress_spawn(r, io_initiator, ncpus - 1, 0);
}

static void
introff_step(struct stress_run *r)
{
	static uint64_t next_stall;
	uint64_t x = stress_rng_next(&stress_main_rng), now = nanouptime();

	if (now >= next_stall) {
		/* Initiator with interrupts off while its flush flies. */
		stress_slots_unmap_batch(r, io_u, IO_USLOTS, STALL_NS);
		next_stall = now + (200 + (x >> 8) % 200) * NS_PER_MS;
		return;
	}
	if (x % 2 == 0)
		stress_slot_random_op(r, &io_u[(x >> 8) % IO_USLOTS], x >> 16);
	else
		stress_slot_random_op(r, &io_k[(x >> 8) % (IO_KSLOTS / 2)],
		                      x >> 16);
}

static void
introff_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_kva_put(r);
	stress_pmaps_fini(1);
}

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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
reap_setup(struct stress_run *r)
{
	int cpu;

	stress_pmaps[0] = pmap_create();
	rp_sl =
	    stress_slots_init(r, ncpus, stress_pmaps[0], UVA_BASE, PAGE_SIZE);
	for (cpu = 0; cpu < ncpus; cpu++)
		stress_spawn(r, rp_worker, cpu, cpu);
}

static void
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

static void
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

static void
fanin_teardown(struct stress_run *r)
{
	stress_slots_fini(r);
	stress_pmaps_fini(1);
}

const struct scenario stress_scenarios[] = {
    {"remap", remap_setup, remap_step, remap_teardown},
    {"initiators", initiators_setup, NULL, initiators_teardown},
    {"switch", switch_setup, switch_step, switch_teardown},
    {"idle", idle_setup, idle_step, idle_teardown},
    {"ptpage", ptpage_setup, NULL, ptpage_teardown},
    {"kernel", kernel_setup, kernel_step, kernel_teardown},
    {"introff", introff_setup, introff_step, introff_teardown},
    {"bigrange", bigrange_setup, bigrange_step, bigrange_teardown},
    {"large", large_setup, large_step, large_teardown},
    {"reap", reap_setup, NULL, reap_teardown},
    {"fanin", fanin_setup, NULL, fanin_teardown},
};

const unsigned stress_nscenarios = nitems(stress_scenarios);
