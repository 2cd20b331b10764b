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
 * seen values.  With pmap.skip_remote=1 every reader CPU keeps its stale
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
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

static BOOTOPT_STR(stress_list, "stress",
                   "shootdown stress scenarios: all, or remap,initiators,"
                   "switch,idle,ptpage,kernel,introff");
BOOTOPT_DECLARE(stress_seconds, "stress.seconds",
                "seconds per stress scenario (default 2)");
BOOTOPT_DECLARE(stress_seed, "stress.seed", "seed for the stress suite");

#define PGSZ       4096ul                /* page size (4 KiB pages only) */
#define WORDS      (PGSZ / 8)            /* words per page */
#define UVA_BASE   0x0000000040000000ul  /* user slots start here */
#define SPAN_2M    (2ul << 20)           /* one page-table page's span */
#define SPAN_1G    (1ul << 30)           /* one page-directory's span */
#define SPAN_512G  (1ul << 39)           /* one PDP page's span */
#define MAGIC      0x5354ull             /* "ST": top 16 bits of a word */
#define POISON     0xdeadbeefdeadbeefull /* retired frames */
#define PT_POISON  0xbadc0ffee0ddf00dull /* pages reused after ptpage */
#define MAXREPORT  8                     /* violations printed per run */
#define MAXWORKERS (2 * MAXCPU)          /* threads per scenario */
#define MAXSLOTS   (4 * MAXCPU)          /* slots per scenario */
#define BURST      32                    /* checks between yields */
#ifndef PACE_MS
#define PACE_MS 1 /* workers run this long between ticks asleep */
#endif
#define STALL_NS    (50 * NS_PER_MS)   /* introff: interrupts off */
#define SLOW_OP_NS  (1000 * NS_PER_MS) /* a shootdown this slow fails */
#define STOP_WAIT_S 10                 /* workers must stop by then */

#define ST_CHANGING 0 /* owner is changing it: reads are not judged */
#define ST_RW       1 /* mapped read/write, shootdown complete */
#define ST_RO       2 /* mapped read-only, protect complete */
#define ST_UNMAPPED 3 /* removed, shootdown complete */
#define ST_MASK     3

#define RW (VM_PROT_READ | VM_PROT_WRITE)

/* One page whose translation owners change and readers check. */
struct slot {
	vm_offset_t sl_va;       /* where it is mapped */
	struct pmap *sl_pm;      /* its pmap; NULL: kernel (pmap_kenter) */
	uint32_t sl_id;          /* encoded in its words (16 bits used) */
	uint32_t sl_gen;         /* owner: current generation */
	volatile uint64_t sl_st; /* published: sl_gen << 2 | ST_* */
	vm_paddr_t sl_frame;     /* owner: frame mapped now, or 0 */
	vm_paddr_t sl_old;       /* owner: previous frame, in quarantine */
};

struct stress_run;

/* A thread of a scenario, bound to one CPU. */
struct worker {
	struct stress_run *w_run;       /* the run it belongs to */
	void (*w_fn)(struct worker *w); /* body; returns once sr_stop */
	int w_cpu;                      /* the CPU it runs on */
	int w_index;                    /* role-specific number */
	uint64_t w_rng;                 /* xorshift64 state */
	uint64_t w_iter;                /* bursts done (pacing) */
	uint64_t w_next_stall;          /* introff: next stall (ns) */
	uint64_t w_slept;               /* pace(): last sleep ended (ns) */
};

/* Per-CPU counter values (struct pcpu_counters) a run reports. */
struct cpu_cnt {
	uint64_t cc_shoot;    /* pc_shootdowns */
	uint64_t cc_sent;     /* pc_inval_sent */
	uint64_t cc_recv;     /* pc_inval_recv */
	uint64_t cc_ipi;      /* pc_ipi_recv */
	uint64_t cc_deferred; /* pc_inval_deferred */
	uint64_t cc_idlefl;   /* pc_inval_idle_flush */
};

/* The state of the running scenario (one at a time). */
struct stress_run {
	const char *sr_name;          /* scenario name */
	int sr_seconds;               /* its duration */
	volatile int sr_stop;         /* workers: return now */
	volatile int sr_running;      /* workers not yet returned */
	volatile uint64_t sr_nviol;   /* violations found */
	volatile uint64_t sr_ops;     /* owner operations done */
	volatile uint64_t sr_max_op;  /* slowest owner operation (ns) */
	volatile int sr_chan;         /* sleep channel for workers */
	uint64_t sr_viol[MAXCPU];     /* violations per finding CPU */
	uint64_t sr_checks[MAXCPU];   /* judged reads per CPU */
	struct cpu_cnt sr_c0[MAXCPU]; /* counters at the start */
	int sr_nworkers;              /* entries used in workers[] */
	int sr_nslots;                /* entries used in slots[] */
};

/* One scenario: setup spawns workers, step is one main-thread op. */
struct scenario {
	const char *sc_name;                       /* for stress= and KTAP */
	void (*sc_setup)(struct stress_run *r);    /* map, spawn workers */
	void (*sc_step)(struct stress_run *r);     /* main: one op, or NULL */
	void (*sc_teardown)(struct stress_run *r); /* workers have stopped */
};

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
};

static struct stress_run run;             /* the running scenario */
static struct worker workers[MAXWORKERS]; /* its threads */
static struct slot slots[MAXSLOTS];       /* its slots */
static struct pmap *pmaps[MAXCPU + 4];    /* its user pmaps */
static struct cpu_cnt tot[MAXCPU];        /* summary: per CPU */
static uint64_t tot_viol[MAXCPU];         /* summary: per CPU */
static struct result results[8];          /* summary: per scenario */
static int nresults;                      /* entries used */
static vm_offset_t kva;                   /* kernel slots' KVA */
static int kva_pages;                     /* its size */
static uint64_t main_rng;                 /* main thread's xorshift */

static uint64_t
rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t
word_of(uint32_t id, uint32_t gen)
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
}

/* Shootdowns / messages / deferrals since the run started, all CPUs. */
static void
run_totals(struct stress_run *r, struct cpu_cnt *d)
{
	struct cpu_cnt c;
	int cpu;

	memset(d, 0, sizeof(*d));
	for (cpu = 0; cpu < ncpus; cpu++) {
		cnt_read(&c, cpu);
		d->cc_shoot += c.cc_shoot - r->sr_c0[cpu].cc_shoot;
		d->cc_sent += c.cc_sent - r->sr_c0[cpu].cc_sent;
		d->cc_recv += c.cc_recv - r->sr_c0[cpu].cc_recv;
		d->cc_ipi += c.cc_ipi - r->sr_c0[cpu].cc_ipi;
		d->cc_deferred += c.cc_deferred - r->sr_c0[cpu].cc_deferred;
		d->cc_idlefl += c.cc_idlefl - r->sr_c0[cpu].cc_idlefl;
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

static void
violation(struct stress_run *r, const char *what, vm_offset_t va,
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
static void
slot_check(struct worker *w, struct slot *sl, bool probe_write)
{
	struct stress_run *r = w->w_run;
	vm_offset_t va = sl->sl_va + (rng_next(&w->w_rng) % WORDS) * 8;
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
	want = word_of(sl->sl_id, (uint32_t)(s1 >> 2));
	if (st == ST_UNMAPPED) {
		if (rc == 0) {
			describe(s, sizeof(s), val);
			violation(r, "stale read of an unmapped page", va,
			          "a fault", s);
		}
		return;
	}
	describe(e, sizeof(e), want);
	if (rc != 0)
		violation(r, "fault on a mapped page", va, e, "a fault");
	else if (val != want) {
		describe(s, sizeof(s), val);
		violation(r, "stale read", va, e, s);
	}
	if (st == ST_RO && wr == 0)
		violation(r, "write to a read-only page (stale RW entry)", va,
		          "a fault", "the write succeeded");
}

/* ------------------------------------------------------------------ */
/* Owner operations.  Each slot has one owner thread at a time. */

static vm_paddr_t
frame_new(uint32_t id, uint32_t gen)
{
	struct vm_page *m = vm_page_alloc();
	uint64_t *p, v = word_of(id, gen);
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

static void
frame_fill(vm_paddr_t pa, uint64_t v)
{
	uint64_t *p = pmap_map_dmap(pa);
	unsigned i;

	for (i = 0; i < WORDS; i++)
		p[i] = v;
}

/* Poison and free a frame no translation may use any more. */
static void
frame_retire(vm_paddr_t pa)
{
	if (pa == 0)
		return;
	frame_fill(pa, POISON);
	vm_page_free(phys_to_vm_page(pa));
}

/* The frame leaving the mapping: quarantined one generation, then freed. */
static void
slot_retire(struct slot *sl, vm_paddr_t old)
{
	frame_retire(sl->sl_old);
	sl->sl_old = old;
}

static void
slot_publish(struct slot *sl, int st)
{
	__atomic_store_n(&sl->sl_st, (uint64_t)sl->sl_gen << 2 | st,
	                 __ATOMIC_SEQ_CST);
}

static int
slot_state(const struct slot *sl)
{
	return sl->sl_st & ST_MASK;
}

static void
op_done(struct stress_run *r, uint64_t t0)
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
		violation(r, "slow shootdown", 0, "completion within 1 s", s);
	}
}

/* Map a new frame of generation gen + 1 (replacing any mapping). */
static void
slot_map(struct stress_run *r, struct slot *sl)
{
	vm_paddr_t nf = frame_new(sl->sl_id, sl->sl_gen + 1), old;
	uint64_t t0 = nanouptime();

	if (nf == 0)
		return;
	slot_publish(sl, ST_CHANGING);
	if (sl->sl_pm == NULL)
		pmap_kenter(sl->sl_va, nf, RW);
	else if (pmap_enter(sl->sl_pm, sl->sl_va, nf, RW, 0) != 0)
		panic("stress: pmap_enter %#lx failed", sl->sl_va);
	op_done(r, t0);
	old = sl->sl_frame;
	sl->sl_frame = nf;
	sl->sl_gen++;
	slot_retire(sl, old);
	slot_publish(sl, ST_RW);
}

/* RW -> RO (same frame); anything else is remapped instead. */
static void
slot_protect(struct stress_run *r, struct slot *sl)
{
	uint64_t t0;

	if (slot_state(sl) != ST_RW) {
		slot_map(r, sl);
		return;
	}
	t0 = nanouptime();
	slot_publish(sl, ST_CHANGING);
	if (sl->sl_pm == NULL)
		pmap_kenter(sl->sl_va, sl->sl_frame, VM_PROT_READ);
	else
		pmap_protect(sl->sl_pm, sl->sl_va, sl->sl_va + PGSZ,
		             VM_PROT_READ);
	op_done(r, t0);
	slot_publish(sl, ST_RO);
}

static void
slot_unmap(struct stress_run *r, struct slot *sl)
{
	uint64_t t0;

	if (sl->sl_frame == 0)
		return;
	t0 = nanouptime();
	slot_publish(sl, ST_CHANGING);
	if (sl->sl_pm == NULL)
		pmap_kremove(sl->sl_va);
	else
		pmap_remove(sl->sl_pm, sl->sl_va, sl->sl_va + PGSZ);
	op_done(r, t0);
	slot_retire(sl, sl->sl_frame);
	sl->sl_frame = 0;
	slot_publish(sl, ST_UNMAPPED);
}

/*
 * Unmap n user slots of one pmap with one batch: the frames go to the
 * batch's deferred-free list.  introff_ns: spin that long with
 * interrupts disabled while the flush is in flight.
 */
static void
slots_unmap_batch(struct stress_run *r, struct slot *sl, int n,
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
		slot_publish(&sl[i], ST_CHANGING);
		pmap_remove_batch(pm, sl[i].sl_va, sl[i].sl_va + PGSZ, &b);
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
	op_done(r, t0);
	for (i = 0; i < n; i++)
		if (sl[i].sl_frame == 0 && slot_state(&sl[i]) != ST_UNMAPPED)
			slot_publish(&sl[i], ST_UNMAPPED);
}

/* Kernel slots n contiguous pages: pmap_qenter / pmap_qremove. */
static void
kslots_qenter(struct stress_run *r, struct slot *sl, int n)
{
	vm_paddr_t pa[16];
	uint64_t t0;
	int i;

	n = MIN(n, (int)nitems(pa));
	for (i = 0; i < n; i++) {
		pa[i] = frame_new(sl[i].sl_id, sl[i].sl_gen + 1);
		if (pa[i] == 0) {
			while (--i >= 0)
				frame_retire(pa[i]);
			return;
		}
	}
	t0 = nanouptime();
	for (i = 0; i < n; i++)
		slot_publish(&sl[i], ST_CHANGING);
	pmap_qenter(sl[0].sl_va, pa, n);
	op_done(r, t0);
	for (i = 0; i < n; i++) {
		vm_paddr_t old = sl[i].sl_frame;

		sl[i].sl_frame = pa[i];
		sl[i].sl_gen++;
		slot_retire(&sl[i], old);
		slot_publish(&sl[i], ST_RW);
	}
}

static void
kslots_qremove(struct stress_run *r, struct slot *sl, int n)
{
	uint64_t t0 = nanouptime();
	int i;

	for (i = 0; i < n; i++)
		slot_publish(&sl[i], ST_CHANGING);
	pmap_qremove(sl[0].sl_va, n);
	op_done(r, t0);
	for (i = 0; i < n; i++) {
		slot_retire(&sl[i], sl[i].sl_frame);
		sl[i].sl_frame = 0;
		slot_publish(&sl[i], ST_UNMAPPED);
	}
}

/* A random single-slot operation on sl. */
static void
slot_random_op(struct stress_run *r, struct slot *sl, uint64_t x)
{
	switch (x % 8) {
	case 0:
	case 1:
	case 2:
		slot_map(r, sl);
		break;
	case 3:
	case 4:
		slot_protect(r, sl);
		break;
	case 5:
		slot_unmap(r, sl);
		break;
	default:
		if (sl->sl_frame == 0)
			slot_map(r, sl);
		else
			slot_protect(r, sl);
		break;
	}
}

/* Set up n slots from index first: ids, VAs, pmap, mapped RW. */
static struct slot *
slots_init(struct stress_run *r, int n, struct pmap *pm, vm_offset_t va,
           vm_offset_t stride)
{
	struct slot *base = &slots[r->sr_nslots];
	int i;

	KASSERT(r->sr_nslots + n <= MAXSLOTS, "stress: too many slots");
	for (i = 0; i < n; i++) {
		struct slot *sl = &base[i];

		memset(sl, 0, sizeof(*sl));
		sl->sl_va = va + (vm_offset_t)i * stride;
		sl->sl_pm = pm;
		sl->sl_id = (uint32_t)(r->sr_nslots + i);
		slot_publish(sl, ST_CHANGING);
		slot_map(r, sl);
	}
	r->sr_nslots += n;
	return base;
}

/* Unmap and free every slot (workers have stopped). */
static void
slots_fini(struct stress_run *r)
{
	int i;

	for (i = 0; i < r->sr_nslots; i++) {
		struct slot *sl = &slots[i];

		if (sl->sl_frame != 0) {
			if (sl->sl_pm == NULL)
				pmap_kremove(sl->sl_va);
			else
				pmap_remove(sl->sl_pm, sl->sl_va,
				            sl->sl_va + PGSZ);
		}
		frame_retire(sl->sl_frame);
		frame_retire(sl->sl_old);
		sl->sl_frame = sl->sl_old = 0;
	}
	r->sr_nslots = 0;
}

static void
pmaps_fini(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pmaps[i] != NULL)
			pmap_destroy(pmaps[i]);
		pmaps[i] = NULL;
	}
}

/*
 * Kernel slots: KVA for n pages.  After violations (a debug option that
 * breaks shootdowns) the KVA is leaked, not freed: some CPU may still
 * hold a global TLB entry for it, and a later user of the KVA must not
 * be exposed to that.
 */
static vm_offset_t
kva_get(int n)
{
	kva = kva_alloc((size_t)n);
	if (kva == 0)
		panic("stress: no KVA");
	kva_pages = n;
	return kva;
}

static void
kva_put(struct stress_run *r)
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

static struct worker *
spawn(struct stress_run *r, void (*fn)(struct worker *), int cpu, int index)
{
	struct worker *w = &workers[r->sr_nworkers++];

	KASSERT(r->sr_nworkers <= MAXWORKERS, "stress: too many workers");
	memset(w, 0, sizeof(*w));
	w->w_run = r;
	w->w_fn = fn;
	w->w_cpu = cpu;
	w->w_index = index;
	w->w_rng =
	    main_rng ^ ((uint64_t)(r->sr_nworkers + 1) * 0x9e3779b97f4a7c15ull);
	if (w->w_rng == 0)
		w->w_rng = 1;
	__atomic_fetch_add(&r->sr_running, 1, __ATOMIC_SEQ_CST);
	lwkt_create(worker_main, w, "stress", cpu, TDPRI_NORMAL);
	return w;
}

static bool
stopping(struct worker *w)
{
	return __atomic_load_n(&w->w_run->sr_stop, __ATOMIC_ACQUIRE) != 0;
}

/*
 * End of a burst: yield, and after run_ms of running sleep for a tick
 * (run_ms 0: never), so spinning vCPUs leave host time to the
 * initiators.
 */
static void
pace(struct worker *w, int run_ms)
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
static void
spawn_readers(struct stress_run *r, void (*fn)(struct worker *), bool all)
{
	int cpu;

	for (cpu = (all || ncpus == 1) ? 0 : 1; cpu < ncpus; cpu++)
		spawn(r, fn, cpu, cpu);
}

static bool
selected(const char *name)
{
	const char *v = bootopt_get("stress");

	if (v == NULL || strcmp(v, "none") == 0)
		return false;
	return strcmp(v, "all") == 0 || bootopt_list_has("stress", name);
}

/* ------------------------------------------------------------------ */
/* 1. remap: one writer (main, CPU 0), readers on every other CPU. */

#define REMAP_SLOTS 8
static struct slot *remap_sl;

static void
remap_reader(struct worker *w)
{
	int i;

	lwkt_set_pmap(pmaps[0]);
	while (!stopping(w)) {
		for (i = 0; i < BURST; i++)
			slot_check(w,
			           &remap_sl[rng_next(&w->w_rng) % REMAP_SLOTS],
			           true);
		pace(w, PACE_MS);
	}
}

static void
remap_setup(struct stress_run *r)
{
	pmaps[0] = pmap_create();
	remap_sl = slots_init(r, REMAP_SLOTS, pmaps[0], UVA_BASE, PGSZ);
	spawn_readers(r, remap_reader, false);
}

static void
remap_step(struct stress_run *r)
{
	uint64_t x = rng_next(&main_rng);
	struct slot *sl = &remap_sl[(x >> 8) % REMAP_SLOTS];
	int i;

	switch (x % 6) {
	case 0: /* every page to a new generation */
		for (i = 0; i < REMAP_SLOTS; i++)
			slot_map(r, &remap_sl[i]);
		break;
	case 1: /* one batch for all, frames freed by the wait */
		slots_unmap_batch(r, remap_sl, REMAP_SLOTS, 0);
		for (i = 0; i < REMAP_SLOTS; i++)
			slot_map(r, &remap_sl[i]);
		break;
	case 2:
	case 3: /* RW -> RO: a write must fault everywhere */
		slot_protect(r, sl);
		break;
	default:
		slot_random_op(r, sl, x >> 16);
		break;
	}
}

static void
remap_teardown(struct stress_run *r)
{
	slots_fini(r);
	pmaps_fini(1);
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
	struct pmap *shared = pmaps[0], *pm = pmaps[1 + w->w_cpu];
	int i, n = ncpus * INIT_PER_CPU;
	bool on_shared;

	while (!stopping(w)) {
		uint64_t x = rng_next(&w->w_rng);

		on_shared = (w->w_iter / 16) % 2 == 0;
		lwkt_set_pmap(on_shared ? shared : pm);
		if (x % 5 == 0)
			slots_unmap_batch(r, mine, INIT_PER_CPU, 0);
		else
			slot_random_op(r, &mine[(x >> 8) % INIT_PER_CPU],
			               x >> 16);
		slot_random_op(r, priv, x >> 24);
		if (on_shared) {
			for (i = 0; i < INIT_PER_CPU; i++)
				slot_check(w, &mine[i], true);
			for (i = 0; i < BURST / 2; i++)
				slot_check(
				    w, &init_shared[rng_next(&w->w_rng) % n],
				    true);
		} else {
			slot_check(w, priv, true);
		}
		pace(w, PACE_MS);
	}
}

static void
initiators_setup(struct stress_run *r)
{
	int cpu;

	pmaps[0] = pmap_create();
	for (cpu = 0; cpu < ncpus; cpu++)
		pmaps[1 + cpu] = pmap_create();
	init_shared =
	    slots_init(r, ncpus * INIT_PER_CPU, pmaps[0], UVA_BASE, PGSZ);
	init_private = &slots[r->sr_nslots];
	for (cpu = 0; cpu < ncpus; cpu++)
		slots_init(r, 1, pmaps[1 + cpu], UVA_BASE, PGSZ);
	for (cpu = 0; cpu < ncpus; cpu++)
		spawn(r, init_worker, cpu, cpu);
}

static void
initiators_teardown(struct stress_run *r)
{
	slots_fini(r);
	pmaps_fini(1 + ncpus);
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
		slot_check(w, &sw_sl[k][rng_next(&w->w_rng) % SW_SLOTS], true);
}

static void
sw_hopper(struct worker *w)
{
	while (!stopping(w)) {
		uint64_t x = rng_next(&w->w_rng);
		int k = x % (SW_PMAPS + 1);

		if (k == SW_PMAPS) {
			lwkt_set_pmap(NULL);
		} else {
			lwkt_set_pmap(pmaps[k]);
			sw_check(w, k);
		}
		pace(w, PACE_MS);
	}
}

static void
sw_sitter(struct worker *w)
{
	int k = w->w_cpu % SW_PMAPS;

	lwkt_set_pmap(pmaps[k]);
	while (!stopping(w)) {
		sw_check(w, k);
		pace(w, PACE_MS);
	}
}

static void
switch_setup(struct stress_run *r)
{
	int k, cpu;

	for (k = 0; k < SW_PMAPS; k++) {
		pmaps[k] = pmap_create();
		sw_sl[k] = slots_init(r, SW_SLOTS, pmaps[k], UVA_BASE, PGSZ);
	}
	for (cpu = ncpus == 1 ? 0 : 1; cpu < ncpus; cpu++) {
		spawn(r, sw_hopper, cpu, 0);
		spawn(r, sw_sitter, cpu, 1);
	}
}

static void
switch_step(struct stress_run *r)
{
	uint64_t x = rng_next(&main_rng);
	struct slot *sl = &sw_sl[x % SW_PMAPS][(x >> 8) % SW_SLOTS];

	slot_random_op(r, sl, x >> 16);
}

static void
switch_teardown(struct stress_run *r)
{
	slots_fini(r);
	pmaps_fini(SW_PMAPS);
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

	lwkt_set_pmap(pmaps[0]);
	while (!stopping(w)) {
		/* Right after the wakeup: the deferred flush must be done. */
		for (i = 0; i < IDLE_KSLOTS; i++)
			slot_check(w, &idle_k[i], true);
		for (i = 0; i < IDLE_USLOTS; i++)
			slot_check(w, &idle_u[i], true);
		tsleep(&w->w_run->sr_chan, 0, "stridle",
		       1 + (int)(rng_next(&w->w_rng) % 3));
	}
}

static void
idle_setup(struct stress_run *r)
{
	pmaps[0] = pmap_create();
	idle_k = slots_init(r, IDLE_KSLOTS, NULL, kva_get(IDLE_KSLOTS), PGSZ);
	idle_u = slots_init(r, IDLE_USLOTS, pmaps[0], UVA_BASE, PGSZ);
	spawn_readers(r, idle_reader, false);
}

static void
idle_step(struct stress_run *r)
{
	uint64_t x = rng_next(&main_rng);

	if (x % 4 == 0)
		slot_random_op(r, &idle_u[(x >> 8) % IDLE_USLOTS], x >> 16);
	else
		slot_random_op(r, &idle_k[(x >> 8) % IDLE_KSLOTS], x >> 16);
	if ((x >> 40) % 16 == 0)
		wakeup(&r->sr_chan);
	/* Give the readers time to go back to sleep. */
	if ((x >> 44) % 4 == 0)
		tsleep(r, 0, "stress", 1);
}

static void
idle_teardown(struct stress_run *r)
{
	slots_fini(r);
	kva_put(r);
	pmaps_fini(1);
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
	struct pmap *pm = pmaps[0];
	vm_paddr_t tables[3 * PT_SLOTS];
	uint64_t t0 = nanouptime();
	int i, nt = 0;

	for (i = 0; i < PT_SLOTS; i++) {
		slot_publish(&mine[i], ST_CHANGING);
		nt = pt_tables(mine[i].sl_va, tables, nt);
	}
	pmap_inval_batch_init(&b, pm);
	for (i = 0; i < PT_SLOTS; i++) {
		if (mine[i].sl_frame == 0)
			continue;
		pmap_remove_batch(pm, mine[i].sl_va, mine[i].sl_va + PGSZ, &b);
		pmap_inval_batch_defer_free(&b, mine[i].sl_frame);
		mine[i].sl_frame = 0;
	}
	pmap_inval_batch_flush(&b);
	for (i = 0; i < nt; i++) {
		if (phys_to_vm_page(tables[i])->pg_flags & VPF_FREE) {
			char s[48];

			ksnprintf(s, sizeof(s), "page %#lx free", tables[i]);
			violation(r,
			          "page-table page freed before its shootdown "
			          "completed",
			          mine[0].sl_va, "still allocated", s);
		}
	}
	pmap_inval_batch_wait(&b);
	op_done(r, t0);
	for (i = 0; i < PT_SLOTS; i++)
		slot_publish(&mine[i], ST_UNMAPPED);
	/* Reuse what was just freed, poisoned. */
	for (i = 0; i < PT_POISON_PAGES; i++) {
		struct vm_page *m;

		if (pt_poison[w->w_index][i] != 0)
			vm_page_free(phys_to_vm_page(pt_poison[w->w_index][i]));
		m = vm_page_alloc();
		pt_poison[w->w_index][i] = m ? vm_page_to_phys(m) : 0;
		if (m != NULL)
			frame_fill(vm_page_to_phys(m), PT_POISON);
	}
}

static void
pt_worker(struct worker *w)
{
	struct stress_run *r = w->w_run;
	struct slot *mine = &pt_sl[w->w_index * PT_SLOTS];
	int i, n = pt_workers() * PT_SLOTS;

	lwkt_set_pmap(pmaps[0]);
	while (!stopping(w)) {
		for (i = 0; i < PT_SLOTS; i++)
			slot_map(r, &mine[i]);
		for (i = 0; i < BURST; i++)
			slot_check(w, &pt_sl[rng_next(&w->w_rng) % n], false);
		pt_unmap_all(w, mine);
		for (i = 0; i < BURST; i++)
			slot_check(w, &pt_sl[rng_next(&w->w_rng) % n], false);
		pace(w, PACE_MS);
	}
}

static void
ptpage_setup(struct stress_run *r)
{
	int c, i;

	pmaps[0] = pmap_create();
	pt_sl = &slots[r->sr_nslots];
	for (c = 0; c < pt_workers(); c++) {
		vm_offset_t base = (vm_offset_t)(c + 1) * SPAN_512G;
		vm_offset_t va[PT_SLOTS] = {base, base + SPAN_2M,
		                            base + SPAN_1G,
		                            base + SPAN_1G + SPAN_2M};

		for (i = 0; i < PT_SLOTS; i++)
			slots_init(r, 1, pmaps[0], va[i], PGSZ);
	}
	for (c = 0; c < pt_workers(); c++)
		spawn(r, pt_worker, c, c);
}

static void
ptpage_teardown(struct stress_run *r)
{
	int c, i;

	slots_fini(r);
	pmaps_fini(1);
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

	while (!stopping(w)) {
		for (i = 0; i < BURST; i++)
			slot_check(w, &k_sl[rng_next(&w->w_rng) % K_SLOTS],
			           true);
		pace(w, PACE_MS);
	}
}

static void
kernel_setup(struct stress_run *r)
{
	k_sl = slots_init(r, K_SLOTS, NULL, kva_get(K_SLOTS), PGSZ);
	spawn_readers(r, kernel_reader, true);
}

static void
kernel_step(struct stress_run *r)
{
	uint64_t x = rng_next(&main_rng);
	int first = (int)((x >> 8) % (K_SLOTS / 2)), n = K_SLOTS / 2;

	switch (x % 4) {
	case 0: /* a run replaced at once: one shootdown */
		kslots_qenter(r, &k_sl[first], n);
		break;
	case 1: /* a run removed, then mapped again */
		kslots_qremove(r, &k_sl[first], n);
		kslots_qenter(r, &k_sl[first], n);
		break;
	default:
		slot_random_op(r, &k_sl[(x >> 16) % K_SLOTS], x >> 24);
		break;
	}
}

static void
kernel_teardown(struct stress_run *r)
{
	slots_fini(r);
	kva_put(r);
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

	lwkt_set_pmap(pmaps[0]);
	w->w_next_stall = nanouptime() + 100 * NS_PER_MS;
	while (!stopping(w)) {
		for (i = 0; i < BURST / 2; i++) {
			slot_check(w, &io_k[rng_next(&w->w_rng) % IO_KSLOTS],
			           true);
			slot_check(w, &io_u[rng_next(&w->w_rng) % IO_USLOTS],
			           true);
		}
		if (nanouptime() >= w->w_next_stall) {
			uint64_t x = rng_next(&w->w_rng);

			stall(STALL_NS, x & 1);
			w->w_next_stall =
			    nanouptime() + (150 + (x >> 8) % 300) * NS_PER_MS;
		}
		pace(w, PACE_MS);
	}
}

/* The second initiator: owns the upper half of the kernel slots. */
static void
io_initiator(struct worker *w)
{
	struct stress_run *r = w->w_run;

	while (!stopping(w)) {
		uint64_t x = rng_next(&w->w_rng);

		slot_random_op(r, &io_k[IO_KSLOTS / 2 + x % (IO_KSLOTS / 2)],
		               x >> 8);
		pace(w, PACE_MS);
	}
}

static void
introff_setup(struct stress_run *r)
{
	pmaps[0] = pmap_create();
	io_k = slots_init(r, IO_KSLOTS, NULL, kva_get(IO_KSLOTS), PGSZ);
	io_u = slots_init(r, IO_USLOTS, pmaps[0], UVA_BASE, PGSZ);
	spawn_readers(r, io_reader, false);
	if (ncpus > 1)
		spawn(r, io_initiator, ncpus - 1, 0);
}

static void
introff_step(struct stress_run *r)
{
	static uint64_t next_stall;
	uint64_t x = rng_next(&main_rng), now = nanouptime();

	if (now >= next_stall) {
		/* Initiator with interrupts off while its flush flies. */
		slots_unmap_batch(r, io_u, IO_USLOTS, STALL_NS);
		next_stall = now + (200 + (x >> 8) % 200) * NS_PER_MS;
		return;
	}
	if (x % 2 == 0)
		slot_random_op(r, &io_u[(x >> 8) % IO_USLOTS], x >> 16);
	else
		slot_random_op(r, &io_k[(x >> 8) % (IO_KSLOTS / 2)], x >> 16);
}

static void
introff_teardown(struct stress_run *r)
{
	slots_fini(r);
	kva_put(r);
	pmaps_fini(1);
}

/* ------------------------------------------------------------------ */
/* The driver */

static const struct scenario scenarios[] = {
    {"remap", remap_setup, remap_step, remap_teardown},
    {"initiators", initiators_setup, NULL, initiators_teardown},
    {"switch", switch_setup, switch_step, switch_teardown},
    {"idle", idle_setup, idle_step, idle_teardown},
    {"ptpage", ptpage_setup, NULL, ptpage_teardown},
    {"kernel", kernel_setup, kernel_step, kernel_teardown},
    {"introff", introff_setup, introff_step, introff_teardown},
};

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
	for (i = 0; bootopt_list_next("stress", i, buf, sizeof(buf)) >= 0;
	     i++) {
		if (strcmp(buf, "all") == 0 || strcmp(buf, "none") == 0)
			continue;
		for (j = 0; j < nitems(scenarios); j++)
			if (strcmp(buf, scenarios[j].sc_name) == 0)
				break;
		if (j == nitems(scenarios))
			kprintf("stress: warning: no scenario '%s'\n", buf);
	}
}

static const struct scenario *
scenario_find(const char *name)
{
	unsigned j;

	for (j = 0; j < nitems(scenarios); j++)
		if (strcmp(scenarios[j].sc_name, name) == 0)
			return &scenarios[j];
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
	main_rng = bootopt_get_u64("stress.seed", 1, 1, UINT64_MAX) ^
	           (uint64_t)(sc - scenarios + 1) * 0x2545f4914f6cdd1dull;
	if (main_rng == 0)
		main_rng = 1;
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
	KT_EXPECT_EQ(t,
	             stress_run_scenario(sc, (int)bootopt_get_u64(
	                                         "stress.seconds", 2, 1, 3600)),
	             0);
}

int
pmap_stress_run(const char *name, int seconds)
{
	const struct scenario *sc = scenario_find(name);
	unsigned j;

	if (sc == NULL) {
		kprintf("stress: no scenario '%s'; have:", name);
		for (j = 0; j < nitems(scenarios); j++)
			kprintf(" %s", scenarios[j].sc_name);
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
	kprintf("stress summary (seed %lu):\n",
	        bootopt_get_u64("stress.seed", 1, 1, UINT64_MAX));
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
                {"introff", stress_case});
