/*
 * pmap_stress.c - the TLB-shootdown stress suite (ktest suite "stress").
 *
 * Each scenario runs for stress.seconds: owner threads change mappings
 * (remap to new frames, protect RW -> RO, unmap, batches, kernel
 * kenter/qenter) while reader threads on other CPUs read through the
 * same virtual addresses.  Every mapped page ("slot") is filled with one
 * word that encodes (magic, slot id, generation), and each slot has a
 * published state word (generation << 2 | RW, RO, UNMAPPED or CHANGING)
 * that its single owner stores with release semantics: CHANGING before
 * it touches the page tables, and the new stable state only after the
 * pmap call (or batch wait) has returned, i.e. after every target CPU
 * acknowledged the invalidation.
 *
 * Detection argument.  A reader loads the state (acquire), reads the word
 * through the VA with a fault-tolerant load (cpu_fetch), and loads the
 * state again; it judges the read only if both loads returned the same
 * stable state S.  The owner's stores are ordered: S was published after
 * the shootdown completed, and the next CHANGING store precedes the next
 * page-table change.  So the whole read happened after completion and
 * before any later change: a correct kernel must then translate the VA
 * through exactly the entry that S describes - the frame of generation
 * gen (RW, RO), or nothing (UNMAPPED).  A CPU that kept a translation the
 * shootdown should have removed instead reads the previous generation
 * (old frames are quarantined for one generation, then poisoned and
 * freed), poison, another slot's data, or succeeds on an unmapped page;
 * after a completed RW -> RO protect its write probe (cpu_touch: one
 * locked add of 0, so it never changes the data) succeeds.  Each of
 * these is counted as a violation and printed with CPU, VA, expected and
 * seen values.  With pmap.bug=no_remote every reader CPU keeps its stale
 * entries, so the suite reports stale reads at once (a boot row checks
 * this).  ptpage additionally checks that page-table pages unlinked by a
 * removal are still allocated until the batch's wait returns, and reuses
 * freed pages as poison right after it.
 *
 * Pacing: under QEMU TCG many vCPUs share few host cores, and a reader
 * that only spins starves the initiator (whose shootdown needs every
 * target vCPU to run), so readers yield after each burst of checks and
 * sleep for a tick every few bursts.  Only pmap_*, lwkt_*, vm_page_*,
 * kva_*, nanouptime and cpu_* (<sys/cpu.h>) are used: this file is
 * machine independent.
 *
 * This file is the framework: slots and their owner operations, the
 * judging of reads, workers, and the driver that runs a scenario and
 * prints the summary.  The scenarios are in pmap_stress_scen.c; what the
 * two share is in pmap_stress_var.h.
 */
#include <vm/pmap_stress.h>

#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/ktest.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/pmap_stress_var.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

static BOOTOPT_STR(
    stress_list, "stress",
    "shootdown stress scenarios: all, or remap,initiators,"
    "switch,idle,ptpage,kernel,introff,bigrange,large,reap,fanin");
static BOOTOPT_INT(stress_seconds, "stress.seconds", 2, 1, 3600,
                   "seconds per stress scenario");
static BOOTOPT_U64(stress_seed, "stress.seed", 1, 1, UINT64_MAX,
                   "seed for the stress suite");

/* One line of the closing summary. */
struct result {
	const char *rs_name;   /* scenario */
	int rs_seconds;        /* duration */
	uint64_t rs_shoot;     /* shootdowns started, all CPUs */
	uint64_t rs_msgs;      /* invalidation messages sent */
	uint64_t rs_checks;    /* judged reads */
	uint64_t rs_ops;       /* owner operations */
	uint64_t rs_max_op_us; /* slowest owner operation */
	uint64_t rs_viol;      /* violations */
	struct cpu_cnt rs_d;   /* counter deltas: which paths ran */
};

static struct stress_run run;             /* the running scenario */
static struct worker workers[MAXWORKERS]; /* its threads */
struct slot stress_slots[MAXSLOTS];       /* its slots */
struct pmap *stress_pmaps[MAXCPU + 4];    /* its user pmaps */
static struct cpu_cnt tot[MAXCPU];        /* summary: per CPU */
static uint64_t tot_viol[MAXCPU];         /* summary: per CPU */
static struct result results[16];         /* summary: per scenario */
static int nresults;                      /* entries used */
static vm_offset_t kva;                   /* kernel slots' KVA */
static int kva_pages;                     /* its size */
uint64_t stress_main_rng;                 /* main thread's xorshift */

uint64_t
stress_rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

uint64_t
stress_word(uint32_t id, uint32_t gen)
{
	return MAGIC << 48 | (uint64_t)(id & 0xffff) << 32 | gen;
}

static void
cnt_read(struct cpu_cnt *c, int cpu)
{
	const struct pcpu_counters *p = &globaldata_find(cpu)->gd_cnt;

	c->cc_shoot = p->pc_shootdowns;
	c->cc_sent = p->pc_inval_sent;
	c->cc_recv = p->pc_inval_recv;
	c->cc_ipi = p->pc_ipi_recv;
	c->cc_deferred = p->pc_inval_deferred;
	c->cc_idlefl = p->pc_inval_idle_flush;
	c->cc_invlpg = p->pc_invlpg;
	c->cc_fulluser = p->pc_inval_full_user;
	c->cc_fullkern = p->pc_inval_full_kern;
	c->cc_ptreap = p->pc_ptpage_reaped;
	c->cc_2m = p->pc_enter_2m;
	c->cc_fifofull = p->pc_ipiq_full;
}

/* Shootdowns / messages / deferrals since the run started, all CPUs. */
static void
run_totals(struct stress_run *r, struct cpu_cnt *d)
{
	struct cpu_cnt c;
	int cpu;

	uint64_t *sum = (uint64_t *)d;
	size_t i;

	_Static_assert(sizeof(struct cpu_cnt) % sizeof(uint64_t) == 0,
	               "struct cpu_cnt is summed as an array of counters");
	memset(d, 0, sizeof(*d));
	for (cpu = 0; cpu < ncpus; cpu++) {
		const uint64_t *now = (const uint64_t *)&c;
		const uint64_t *then = (const uint64_t *)&r->sr_c0[cpu];

		cnt_read(&c, cpu);
		for (i = 0; i < sizeof(c) / sizeof(uint64_t); i++)
			sum[i] += now[i] - then[i];
	}
}

/* ------------------------------------------------------------------ */
/* Violations */

static void
describe(char *buf, size_t sz, uint64_t w)
{
	if (w >> 48 == MAGIC)
		ksnprintf(buf, sz, "%#lx (slot %lu gen %lu)", w,
		          (w >> 32) & 0xffff, w & 0xffffffff);
	else if (w == POISON)
		ksnprintf(buf, sz, "%#lx (poison: a retired frame)", w);
	else if (w == PT_POISON)
		ksnprintf(buf, sz, "%#lx (a reused page-table page)", w);
	else
		ksnprintf(buf, sz, "%#lx", w);
}

void
stress_violation(struct stress_run *r, const char *what, vm_offset_t va,
                 const char *expect, const char *seen)
{
	int cpu = mycpu->gd_cpuid;
	uint64_t n = __atomic_add_fetch(&r->sr_nviol, 1, __ATOMIC_SEQ_CST);

	__atomic_fetch_add(&r->sr_viol[cpu], 1, __ATOMIC_RELAXED);
	if (n <= MAXREPORT)
		kprintf("stress: %s: %s on cpu %d va %#lx: expected %s, seen "
		        "%s\n",
		        r->sr_name, what, cpu, va, expect, seen);
	else if (n == MAXREPORT + 1)
		kprintf("stress: %s: more violations, not printed\n",
		        r->sr_name);
}

/*
 * Judge one read of sl through its VA (the caller runs on sl's pmap).
 * probe_write: on a read-only slot, also try a write, which must fault.
 */
void
stress_slot_check(struct worker *w, struct slot *sl, bool probe_write)
{
	struct stress_run *r = w->w_run;
	vm_offset_t va = sl->sl_va + (stress_rng_next(&w->w_rng) % WORDS) * 8;
	uint64_t s1, s2, val = 0, want;
	int rc, wr = -1, st;
	char e[64], s[64];

	s1 = __atomic_load_n(&sl->sl_st, __ATOMIC_ACQUIRE);
	st = s1 & ST_MASK;
	if (st == ST_CHANGING)
		return;
	/*
	 * gd_onfault is per CPU: no switch to another thread that probes
	 * (and clears it) may happen between arming it and the access.
	 */
	crit_enter();
	rc = cpu_fetch((const volatile void *)va, &val);
	if (probe_write) /* RW: dirties the TLB entry a stale RO keeps */
		wr = cpu_touch((const volatile void *)va);
	crit_exit();
	s2 = __atomic_load_n(&sl->sl_st, __ATOMIC_ACQUIRE);
	if (s1 != s2)
		return; /* changed meanwhile: any outcome is allowed */
	__atomic_fetch_add(&r->sr_checks[w->w_cpu], 1, __ATOMIC_RELAXED);
	want = stress_word(sl->sl_id, (uint32_t)(s1 >> 2));
	if (st == ST_UNMAPPED) {
		if (rc == 0) {
			describe(s, sizeof(s), val);
			stress_violation(r, "stale read of an unmapped page",
			                 va, "a fault", s);
		}
		return;
	}
	describe(e, sizeof(e), want);
	if (rc != 0)
		stress_violation(r, "fault on a mapped page", va, e, "a fault");
	else if (val != want) {
		describe(s, sizeof(s), val);
		stress_violation(r, "stale read", va, e, s);
	}
	if (st == ST_RO && wr == 0)
		stress_violation(r,
		                 "write to a read-only page (stale RW entry)",
		                 va, "a fault", "the write succeeded");
}

/* ------------------------------------------------------------------ */
/* Owner operations.  Each slot has one owner thread at a time. */

static vm_paddr_t
frame_new(uint32_t id, uint32_t gen)
{
	struct vm_page *m = vm_page_alloc();
	uint64_t *p, v = stress_word(id, gen);
	vm_paddr_t pa;
	unsigned i;

	if (m == NULL)
		return 0;
	pa = vm_page_to_phys(m);
	p = pmap_map_dmap(pa);
	for (i = 0; i < WORDS; i++)
		p[i] = v;
	return pa;
}

void
stress_frame_fill(vm_paddr_t pa, uint64_t v)
{
	uint64_t *p = pmap_map_dmap(pa);
	unsigned i;

	for (i = 0; i < WORDS; i++)
		p[i] = v;
}

void
stress_frame_retire(vm_paddr_t pa)
{
	if (pa == 0)
		return;
	stress_frame_fill(pa, POISON);
	vm_page_free(phys_to_vm_page(pa));
}

/* The frame leaving the mapping: quarantined one generation, then freed. */
static void
slot_retire(struct slot *sl, vm_paddr_t old)
{
	stress_frame_retire(sl->sl_old);
	sl->sl_old = old;
}

void
stress_slot_publish(struct slot *sl, int st)
{
	__atomic_store_n(&sl->sl_st, (uint64_t)sl->sl_gen << 2 | st,
	                 __ATOMIC_SEQ_CST);
}

int
stress_slot_state(const struct slot *sl)
{
	return sl->sl_st & ST_MASK;
}

void
stress_op_done(struct stress_run *r, uint64_t t0)
{
	uint64_t d = nanouptime() - t0, m;

	__atomic_fetch_add(&r->sr_ops, 1, __ATOMIC_RELAXED);
	m = __atomic_load_n(&r->sr_max_op, __ATOMIC_RELAXED);
	while (d > m &&
	       !__atomic_compare_exchange_n(&r->sr_max_op, &m, d, false,
	                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (d > SLOW_OP_NS) {
		char s[48];

		ksnprintf(s, sizeof(s), "%lu ms", d / NS_PER_MS);
		stress_violation(r, "slow shootdown", 0,
		                 "completion within 1 s", s);
	}
}

/* Map a new frame of generation gen + 1 (replacing any mapping). */
void
stress_slot_map(struct stress_run *r, struct slot *sl)
{
	vm_paddr_t nf = frame_new(sl->sl_id, sl->sl_gen + 1), old;
	uint64_t t0 = nanouptime();

	if (nf == 0)
		return;
	stress_slot_publish(sl, ST_CHANGING);
	if (sl->sl_pm == NULL)
		pmap_kenter(sl->sl_va, nf, RW);
	else if (pmap_enter(sl->sl_pm, sl->sl_va, nf, RW, 0) != 0)
		panic("stress: pmap_enter %#lx failed", sl->sl_va);
	stress_op_done(r, t0);
	old = sl->sl_frame;
	sl->sl_frame = nf;
	sl->sl_gen++;
	slot_retire(sl, old);
	stress_slot_publish(sl, ST_RW);
}

/* RW -> RO (same frame); anything else is remapped instead. */
void
stress_slot_protect(struct stress_run *r, struct slot *sl)
{
	uint64_t t0;

	if (stress_slot_state(sl) != ST_RW) {
		stress_slot_map(r, sl);
		return;
	}
	t0 = nanouptime();
	stress_slot_publish(sl, ST_CHANGING);
	if (sl->sl_pm == NULL)
		pmap_kenter(sl->sl_va, sl->sl_frame, VM_PROT_READ);
	else
		pmap_protect(sl->sl_pm, sl->sl_va, sl->sl_va + PAGE_SIZE,
		             VM_PROT_READ);
	stress_op_done(r, t0);
	stress_slot_publish(sl, ST_RO);
}

void
stress_slot_unmap(struct stress_run *r, struct slot *sl)
{
	uint64_t t0;

	if (sl->sl_frame == 0)
		return;
	t0 = nanouptime();
	stress_slot_publish(sl, ST_CHANGING);
	if (sl->sl_pm == NULL)
		pmap_kremove(sl->sl_va);
	else
		pmap_remove(sl->sl_pm, sl->sl_va, sl->sl_va + PAGE_SIZE);
	stress_op_done(r, t0);
	slot_retire(sl, sl->sl_frame);
	sl->sl_frame = 0;
	stress_slot_publish(sl, ST_UNMAPPED);
}

/*
 * Unmap n user slots of one pmap with one batch: the frames go to the
 * batch's deferred-free list.  introff_ns: spin that long with
 * interrupts disabled while the flush is in flight.
 */
void
stress_slots_unmap_batch(struct stress_run *r, struct slot *sl, int n,
                         uint64_t introff_ns)
{
	struct pmap_inval_batch b;
	struct pmap *pm = sl[0].sl_pm;
	uint64_t t0 = nanouptime(), fl;
	int i;

	pmap_inval_batch_init(&b, pm);
	for (i = 0; i < n; i++) {
		if (sl[i].sl_frame == 0)
			continue;
		stress_slot_publish(&sl[i], ST_CHANGING);
		pmap_remove_batch(pm, sl[i].sl_va, sl[i].sl_va + PAGE_SIZE, &b);
		pmap_inval_batch_defer_free(&b, sl[i].sl_frame);
		sl[i].sl_frame = 0;
	}
	pmap_inval_batch_flush(&b);
	if (introff_ns != 0) {
		uint64_t end = nanouptime() + introff_ns;

		fl = cpu_intr_disable();
		while (nanouptime() < end)
			cpu_pause_hint();
		cpu_intr_restore(fl);
	}
	pmap_inval_batch_wait(&b);
	stress_op_done(r, t0);
	for (i = 0; i < n; i++)
		if (sl[i].sl_frame == 0 &&
		    stress_slot_state(&sl[i]) != ST_UNMAPPED)
			stress_slot_publish(&sl[i], ST_UNMAPPED);
}

/* Kernel slots n contiguous pages: pmap_qenter / pmap_qremove. */
void
stress_kslots_qenter(struct stress_run *r, struct slot *sl, int n)
{
	vm_paddr_t pa[STRESS_MAXRUN];
	uint64_t t0;
	int i;

	n = MIN(n, (int)nitems(pa));
	for (i = 0; i < n; i++) {
		pa[i] = frame_new(sl[i].sl_id, sl[i].sl_gen + 1);
		if (pa[i] == 0) {
			while (--i >= 0)
				stress_frame_retire(pa[i]);
			return;
		}
	}
	t0 = nanouptime();
	for (i = 0; i < n; i++)
		stress_slot_publish(&sl[i], ST_CHANGING);
	pmap_qenter(sl[0].sl_va, pa, n);
	stress_op_done(r, t0);
	for (i = 0; i < n; i++) {
		vm_paddr_t old = sl[i].sl_frame;

		sl[i].sl_frame = pa[i];
		sl[i].sl_gen++;
		slot_retire(&sl[i], old);
		stress_slot_publish(&sl[i], ST_RW);
	}
}

void
stress_kslots_qremove(struct stress_run *r, struct slot *sl, int n)
{
	uint64_t t0 = nanouptime();
	int i;

	for (i = 0; i < n; i++)
		stress_slot_publish(&sl[i], ST_CHANGING);
	pmap_qremove(sl[0].sl_va, n);
	stress_op_done(r, t0);
	for (i = 0; i < n; i++) {
		slot_retire(&sl[i], sl[i].sl_frame);
		sl[i].sl_frame = 0;
		stress_slot_publish(&sl[i], ST_UNMAPPED);
	}
}

/* A random single-slot operation on sl. */
void
stress_slot_random_op(struct stress_run *r, struct slot *sl, uint64_t x)
{
	switch (x % 8) {
	case 0:
	case 1:
	case 2:
		stress_slot_map(r, sl);
		break;
	case 3:
	case 4:
		stress_slot_protect(r, sl);
		break;
	case 5:
		stress_slot_unmap(r, sl);
		break;
	default:
		if (sl->sl_frame == 0)
			stress_slot_map(r, sl);
		else
			stress_slot_protect(r, sl);
		break;
	}
}

/* Set up n slots from index first: ids, VAs, pmap, mapped RW. */
struct slot *
stress_slots_init(struct stress_run *r, int n, struct pmap *pm, vm_offset_t va,
                  vm_offset_t stride)
{
	struct slot *base = &stress_slots[r->sr_nslots];
	int i;

	KASSERT(r->sr_nslots + n <= MAXSLOTS, "stress: too many slots");
	for (i = 0; i < n; i++) {
		struct slot *sl = &base[i];

		memset(sl, 0, sizeof(*sl));
		sl->sl_va = va + (vm_offset_t)i * stride;
		sl->sl_pm = pm;
		sl->sl_id = (uint32_t)(r->sr_nslots + i);
		stress_slot_publish(sl, ST_CHANGING);
		stress_slot_map(r, sl);
	}
	r->sr_nslots += n;
	return base;
}

/* Unmap and free every slot (workers have stopped). */
void
stress_slots_fini(struct stress_run *r)
{
	int i;

	for (i = 0; i < r->sr_nslots; i++) {
		struct slot *sl = &stress_slots[i];

		if (sl->sl_frame != 0) {
			if (sl->sl_pm == NULL)
				pmap_kremove(sl->sl_va);
			else
				pmap_remove(sl->sl_pm, sl->sl_va,
				            sl->sl_va + PAGE_SIZE);
		}
		stress_frame_retire(sl->sl_frame);
		stress_frame_retire(sl->sl_old);
		sl->sl_frame = sl->sl_old = 0;
	}
	r->sr_nslots = 0;
}

void
stress_pmaps_fini(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (stress_pmaps[i] != NULL)
			pmap_destroy(stress_pmaps[i]);
		stress_pmaps[i] = NULL;
	}
}

/*
 * Kernel slots: KVA for n pages.  After violations (a debug option that
 * breaks shootdowns) the KVA is leaked, not freed: some CPU may still
 * hold a global TLB entry for it, and a later user of the KVA must not
 * be exposed to that.
 */
vm_offset_t
stress_kva_get(int n)
{
	kva = kva_alloc((size_t)n);
	if (kva == 0)
		panic("stress: no KVA");
	kva_pages = n;
	return kva;
}

void
stress_kva_put(struct stress_run *r)
{
	if (kva != 0 && r->sr_nviol == 0)
		kva_free(kva, (size_t)kva_pages);
	kva = 0;
}

/* ------------------------------------------------------------------ */
/* Workers */

static void
worker_main(void *arg)
{
	struct worker *w = arg;

	w->w_fn(w);
	lwkt_set_pmap(NULL);
	__atomic_fetch_sub(&w->w_run->sr_running, 1, __ATOMIC_SEQ_CST);
}

struct worker *
stress_spawn(struct stress_run *r, void (*fn)(struct worker *), int cpu,
             int index)
{
	struct worker *w = &workers[r->sr_nworkers++];

	KASSERT(r->sr_nworkers <= MAXWORKERS, "stress: too many workers");
	memset(w, 0, sizeof(*w));
	w->w_run = r;
	w->w_fn = fn;
	w->w_cpu = cpu;
	w->w_index = index;
	w->w_rng = stress_main_rng ^
	           ((uint64_t)(r->sr_nworkers + 1) * 0x9e3779b97f4a7c15ull);
	if (w->w_rng == 0)
		w->w_rng = 1;
	__atomic_fetch_add(&r->sr_running, 1, __ATOMIC_SEQ_CST);
	lwkt_create(worker_main, w, "stress", cpu, TDPRI_NORMAL);
	return w;
}

bool
stress_stopping(struct worker *w)
{
	return __atomic_load_n(&w->w_run->sr_stop, __ATOMIC_ACQUIRE) != 0;
}

/*
 * End of a burst: yield, and after run_ms of running sleep for a tick
 * (run_ms 0: never), so spinning vCPUs leave host time to the
 * initiators.
 */
void
stress_pace(struct worker *w, int run_ms)
{
	uint64_t now = nanouptime();

	w->w_iter++;
	if (w->w_slept == 0)
		w->w_slept = now;
	if (run_ms != 0 && now - w->w_slept >= (uint64_t)run_ms * NS_PER_MS) {
		tsleep(&w->w_run->sr_chan, 0, "stress", 1);
		w->w_slept = nanouptime();
	} else {
		lwkt_yield();
	}
}

/* Readers on CPUs 1..n-1, or on CPU 0 alone on a uniprocessor. */
void
stress_spawn_readers(struct stress_run *r, void (*fn)(struct worker *),
                     bool all)
{
	int cpu;

	for (cpu = (all || ncpus == 1) ? 0 : 1; cpu < ncpus; cpu++)
		stress_spawn(r, fn, cpu, cpu);
}

static bool
selected(const char *name)
{
	const char *v = stress_list;

	if (v == NULL || strcmp(v, "none") == 0)
		return false;
	return strcmp(v, "all") == 0 || optlist_has(v, name);
}

/* ------------------------------------------------------------------ */
/* The driver */

static uint64_t
run_checks(const struct stress_run *r)
{
	uint64_t c = 0;
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++)
		c += r->sr_checks[cpu];
	return c;
}

/* The live line: once a second, and once at the end. */
static void
progress(struct stress_run *r, int sec)
{
	struct cpu_cnt d;

	run_totals(r, &d);
	kprintf("stress: %s %d/%d s: %lu shootdowns, %lu msgs, %lu checks, "
	        "%lu stale\n",
	        r->sr_name, sec, r->sr_seconds, d.cc_shoot, d.cc_sent,
	        run_checks(r), r->sr_nviol);
}

/* Warn once about names in stress= that are no scenario. */
static void
check_names(void)
{
	static bool done;
	char buf[32];
	unsigned j;
	int i;

	if (done)
		return;
	done = true;
	for (i = 0; optlist_item(stress_list, i, buf, sizeof(buf)) >= 0; i++) {
		if (strcmp(buf, "all") == 0 || strcmp(buf, "none") == 0)
			continue;
		for (j = 0; j < stress_nscenarios; j++)
			if (strcmp(buf, stress_scenarios[j].sc_name) == 0)
				break;
		if (j == stress_nscenarios)
			kprintf("stress: warning: no scenario '%s'\n", buf);
	}
}

static const struct scenario *
scenario_find(const char *name)
{
	unsigned j;

	for (j = 0; j < stress_nscenarios; j++)
		if (strcmp(stress_scenarios[j].sc_name, name) == 0)
			return &stress_scenarios[j];
	return NULL;
}

/*
 * Run one scenario for the given number of seconds and record it for
 * the summary.  Returns the number of problems found: violations, plus
 * one if workers did not stop, plus one if nothing was checked at all
 * (a scenario that checks nothing proves nothing).
 */
static uint64_t
stress_run_scenario(const struct scenario *sc, int seconds)
{
	struct stress_run *r = &run;
	struct cpu_cnt d, c;
	uint64_t start, end, next, checks, problems = 0;
	struct result *res;
	int cpu, sec = 0, i;

	memset(r, 0, sizeof(*r));
	r->sr_name = sc->sc_name;
	r->sr_seconds = seconds;
	stress_main_rng = stress_seed ^ (uint64_t)(sc - stress_scenarios + 1) *
	                                    0x2545f4914f6cdd1dull;
	if (stress_main_rng == 0)
		stress_main_rng = 1;
	for (cpu = 0; cpu < ncpus; cpu++)
		cnt_read(&r->sr_c0[cpu], cpu);
	sc->sc_setup(r);

	start = nanouptime();
	end = start + (uint64_t)r->sr_seconds * NS_PER_S;
	next = start + NS_PER_S;
	while (nanouptime() < end) {
		if (sc->sc_step != NULL) {
			sc->sc_step(r);
			lwkt_yield();
		} else {
			tsleep(r, 0, "stress", 10);
		}
		if (nanouptime() >= next && sec + 1 < r->sr_seconds) {
			progress(r, ++sec);
			next += NS_PER_S;
		}
	}
	__atomic_store_n(&r->sr_stop, 1, __ATOMIC_RELEASE);
	wakeup(&r->sr_chan);
	end = nanouptime() + STOP_WAIT_S * NS_PER_S;
	while (__atomic_load_n(&r->sr_running, __ATOMIC_ACQUIRE) != 0 &&
	       nanouptime() < end)
		tsleep(r, 0, "stress", 10);
	progress(r, r->sr_seconds);
	if (r->sr_running != 0) {
		/* Do not tear down what stuck threads still use. */
		kprintf("stress: %s: %d workers did not stop\n", r->sr_name,
		        r->sr_running);
		problems++;
	} else {
		sc->sc_teardown(r);
	}

	/* Record for the summary. */
	run_totals(r, &d);
	for (cpu = 0; cpu < ncpus; cpu++) {
		cnt_read(&c, cpu);
		tot[cpu].cc_shoot += c.cc_shoot - r->sr_c0[cpu].cc_shoot;
		tot[cpu].cc_sent += c.cc_sent - r->sr_c0[cpu].cc_sent;
		tot[cpu].cc_recv += c.cc_recv - r->sr_c0[cpu].cc_recv;
		tot[cpu].cc_ipi += c.cc_ipi - r->sr_c0[cpu].cc_ipi;
		tot[cpu].cc_deferred +=
		    c.cc_deferred - r->sr_c0[cpu].cc_deferred;
		tot[cpu].cc_idlefl += c.cc_idlefl - r->sr_c0[cpu].cc_idlefl;
		tot_viol[cpu] += r->sr_viol[cpu];
	}
	checks = run_checks(r);
	i = nresults < (int)nitems(results) ? nresults++ : nresults - 1;
	res = &results[i];
	res->rs_name = r->sr_name;
	res->rs_seconds = r->sr_seconds;
	res->rs_shoot = d.cc_shoot;
	res->rs_msgs = d.cc_sent;
	res->rs_checks = checks;
	res->rs_ops = r->sr_ops;
	res->rs_max_op_us = r->sr_max_op / NS_PER_US;
	res->rs_viol = r->sr_nviol;
	res->rs_d = d;
	kprintf("    # %s: %lu shootdowns (%lu/s), %lu messages, %lu "
	        "deferred, %lu idle flushes, %lu owner ops (slowest %lu us), "
	        "%lu checks, %lu violations\n",
	        r->sr_name, d.cc_shoot, d.cc_shoot / (uint64_t)r->sr_seconds,
	        d.cc_sent, d.cc_deferred, d.cc_idlefl, r->sr_ops,
	        r->sr_max_op / NS_PER_US, checks, r->sr_nviol);
	if (checks == 0) {
		kprintf("stress: %s: no read was checked\n", r->sr_name);
		problems++;
	}
	return problems + r->sr_nviol;
}

static void
stress_case(struct ktest *t)
{
	const struct scenario *sc = scenario_find(t->kt_case);

	KT_ASSERT(t, sc != NULL);
	check_names();
	if (!selected(sc->sc_name))
		KT_SKIP(t, "not selected by stress=");
	KT_EXPECT_EQ(t, stress_run_scenario(sc, stress_seconds), 0);
}

int
pmap_stress_run(const char *name, int seconds)
{
	const struct scenario *sc = scenario_find(name);
	unsigned j;

	if (sc == NULL) {
		kprintf("stress: no scenario '%s'; have:", name);
		for (j = 0; j < stress_nscenarios; j++)
			kprintf(" %s", stress_scenarios[j].sc_name);
		kprintf("\n");
		return -1;
	}
	return stress_run_scenario(sc, seconds) == 0 ? 0 : 1;
}

void
pmap_stress_summary(void)
{
	int cpu, i;

	if (nresults == 0)
		return;
	kprintf("stress summary (seed %lu):\n", stress_seed);
	kprintf("  %-10s %4s %9s %8s %9s %9s %9s %10s %6s\n", "scenario", "s",
	        "shootdown", "per-s", "msgs", "ops", "checks", "slowest-us",
	        "stale");
	for (i = 0; i < nresults; i++) {
		const struct result *rs = &results[i];

		kprintf("  %-10s %4d %9lu %8lu %9lu %9lu %9lu %10lu %6lu\n",
		        rs->rs_name, rs->rs_seconds, rs->rs_shoot,
		        rs->rs_shoot / (uint64_t)rs->rs_seconds, rs->rs_msgs,
		        rs->rs_ops, rs->rs_checks, rs->rs_max_op_us,
		        rs->rs_viol);
	}
	/*
	 * Which invalidation paths each scenario reached: single pages,
	 * full flushes of user and of kernel pmaps (above the ceiling; the
	 * kernel's drop global entries by a CR4.PGE toggle), empty page
	 * tables reaped (their pages go back to the allocator and are
	 * reused), 2 MiB user mappings, halted targets skipped and their
	 * wakeup flushes, and sends that found an IPI FIFO full.
	 */
	kprintf("  %-10s %9s %9s %9s %9s %7s %9s %8s %8s\n", "paths", "invlpg",
	        "full-user", "full-kern", "pt-reaped", "2m-maps", "deferred",
	        "idle-fl", "fifo-full");
	for (i = 0; i < nresults; i++) {
		const struct cpu_cnt *d = &results[i].rs_d;

		kprintf("  %-10s %9lu %9lu %9lu %9lu %7lu %9lu %8lu %8lu\n",
		        results[i].rs_name, d->cc_invlpg, d->cc_fulluser,
		        d->cc_fullkern, d->cc_ptreap, d->cc_2m, d->cc_deferred,
		        d->cc_idlefl, d->cc_fifofull);
	}
	kprintf("  %4s %9s %9s %9s %9s %9s %9s %6s\n", "cpu", "shootdown",
	        "inv-sent", "inv-recv", "ipi-recv", "deferred", "idle-fl",
	        "stale");
	for (cpu = 0; cpu < ncpus; cpu++)
		kprintf("  %4d %9lu %9lu %9lu %9lu %9lu %9lu %6lu\n", cpu,
		        tot[cpu].cc_shoot, tot[cpu].cc_sent, tot[cpu].cc_recv,
		        tot[cpu].cc_ipi, tot[cpu].cc_deferred,
		        tot[cpu].cc_idlefl, tot_viol[cpu]);
}

KTEST_SUITE_OPT(pmap_stress, "stress", &stress_list, NULL, NULL,
                {"remap", stress_case}, {"initiators", stress_case},
                {"switch", stress_case}, {"idle", stress_case},
                {"ptpage", stress_case}, {"kernel", stress_case},
                {"introff", stress_case}, {"bigrange", stress_case},
                {"large", stress_case}, {"reap", stress_case},
                {"fanin", stress_case});
