/*
 * pmap_stress_scen.c - the scenarios of the shootdown stress suite:
 * remap, initiators, switch, idle, ptpage, kernel, introff, and the table
 * of all of them (the ones aimed at one path each, bigrange, large, reap
 * and fanin, are in pmap_stress_paths.c).  Each has a
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
