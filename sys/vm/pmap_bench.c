/*
 * pmap_bench.c - TLB-shootdown benchmarks of the multiprocessor pmap
 * (<sys/bench.h>; docs/PERFORMANCE.md section 5 has the numbers).
 *
 * The workloads, exactly, so they can be rerun on another kernel.  The
 * initiator is the "main" thread on CPU 0; "remote CPUs" are CPUs 1..k.
 * Every workload uses one user address space (pmap) with its target
 * pages at UVA_BASE + 1 page ... and one extra "keeper" page just below
 * and just above them that is never unmapped, so a removal never frees
 * a page-table page (that would add an allocation to every operation).
 * Each run lasts about bench.ms (p->bp_run_ns, at least one operation);
 * the framework reports the median, minimum and maximum over bench.runs
 * runs after one discarded warm-up.  Time is nanouptime().
 *
 *   shootdown_1page, shootdown_512pages (ns per operation; modes busy,
 *	idle; k = 0, 1, 2, 4, 7 and all-other-CPUs).  The initiator runs on
 *	the pmap (lwkt_set_pmap) and repeats one operation: pmap_remove()
 *	of the N touched target pages (N = 1 or 512; synchronous: it
 *	returns when every target acknowledged), pmap_enter() of the same
 *	frames again, and one write to each page.  The second metric,
 *	shootdown_1page_remove / shootdown_512pages_remove, is the time in
 *	pmap_remove() alone.  The marginal cost of the shootdown is
 *	cost(k) - cost(0) of the same mode.  512 pages are above the
 *	flush-all ceiling (pmap_inval_ceiling, 32), so the targets reload
 *	CR3 instead of 512 INVLPGs.
 *	busy: on each remote CPU a thread switches onto the pmap and reads
 *	its pages (keepers and targets, one word each, fault-tolerant
 *	cpu_fetch since a target may be unmapped at that moment) in a tight
 *	loop until the run ends: the CPU is in pm_active and running.
 *	idle: on each remote CPU a thread switches onto the pmap, reads
 *	every page once and then sleeps (tsleep, 50 ms timeout, until the
 *	run ends).  In this kernel the idle thread runs on the kernel pmap
 *	and there is no lazy TLB switching, so a CPU whose thread sleeps
 *	LEAVES pm_active when it halts: idle remote CPUs are sent nothing,
 *	and cost(k) should equal cost(0).  The per-run diagnostic line
 *	(messages per operation) shows it; a periodic 50 ms timeout that
 *	briefly brings a reader back onto the pmap is the only exception.
 *	crit (shootdown_1page only): as busy, but each remote reader reads
 *	inside critical sections of bench.crit_us microseconds (default
 *	100), back to back with a crit_exit() between them.  A delivery
 *	that a critical section defers (pmap.inval=ipiq: the IPI-queue
 *	drain; thread: the switch to the invalidation thread) waits for
 *	the section's end - half its length on average - while sync's
 *	vector is taken inside it: the variants' difference.  Every
 *	variant is measured with the same kernel, chosen by pmap.inval=.
 *   shootdown_throughput_sync / shootdown_throughput_async (pages/s and
 *	invalidation messages/s; mode busy; k = 0, 7 and all-other-CPUs,
 *	busy readers as above).  32 adjacent touched target pages (= the
 *	ceiling: still page-by-page INVLPG).  sync: pmap_remove() of one
 *	page at a time, i.e. a complete shootdown per page.  async:
 *	pmap_remove_batch() of each of the 32 pages on one batch, then
 *	pmap_inval_batch_flush() and one pmap_inval_batch_wait() (the
 *	ranges coalesce: one message per remote CPU per 32 pages).  After
 *	each group the pages are entered again and written (not timed).
 *	Result: pages whose removal had completed / time spent removing.
 *   window_vs_kenter (ns per page; modes idle, nodefer, busy; k = the
 *	other CPUs, all of them).  Four metrics, each measured for one
 *	bench.ms within a run: window_zero_page = pmap_zero_page() (the
 *	per-CPU window: local INVLPG, no message); window_copy_page =
 *	pmap_copy_page(); kenter_zero_page = pmap_kenter() of the frame at a
 *	kernel VA, memset of 4 KiB, pmap_kremove() (a kernel shootdown to
 *	every other CPU); kenter_copy_page = pmap_kenter() of source and
 *	destination at two VAs, memcpy, two pmap_kremove().  idle: the
 *	other CPUs sit in their idle loop, so with idle deferral they are
 *	not messaged (they flush on wakeup).  nodefer: the same with
 *	pmap_inval_idle_defer = 0 for the run: every kremove wakes them.
 *	busy: a thread on each other CPU spins (on the kernel pmap, which is
 *	active everywhere), so every kremove messages all of them.
 *
 * bench.shootdown_k=0,all (say) restricts the k values of the shootdown
 * benchmarks without touching other benchmarks' k.  bench.k= replaces
 * every benchmark's list instead, and there 0 means "all" (BENCH_K_ALL),
 * so k = 0 can only be asked for through bench.shootdown_k.
 *
 * Correctness of the harness: the readers' stop flag and on-pmap count
 * are atomics (release/acquire); the initiator starts timing only after
 * every reader has reported that it is on the pmap, and tears the pmap
 * down only after bench_on_cpus() returned, i.e. after every reader has
 * left it (lwkt_set_pmap(NULL)) and returned.  Only pmap_*, lwkt_*,
 * bench_*, vm_page_*, kva_* and cpu_fetch() are used: this file is
 * machine independent.
 */
#include <sys/bench.h>

#include <sys/param.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

static BOOTOPT_STR(bench_shootdown_k, "bench.shootdown_k",
                   "k values for the shootdown benchmarks only, e.g. 0,all");
static BOOTOPT_INT(bench_crit_us, "bench.crit_us", 100, 1, 1000000,
                   "shootdown_1page mode crit: microseconds each critical "
                   "section of the remote readers lasts");

#define UVA_BASE   0x0000000040000000ul /* keeper page; targets follow */
#define MAXPAGES   512                  /* largest operation */
#define THR_GROUP  32                   /* throughput: pages per group */
#define IDLE_MS    50                   /* idle readers' sleep timeout */
#define SETTLE_NS  (2 * NS_PER_MS)      /* idle readers: time to halt */
#define KIND_LAT   0                    /* remove + enter + touch */
#define KIND_SYNC  1                    /* throughput, pmap_remove */
#define KIND_ASYNC 2                    /* throughput, batch */

#define RW (VM_PROT_READ | VM_PROT_WRITE)

/* One run of a shootdown workload; static: the frame list is large. */
struct sd_run {
	struct pmap *pm;             /* the shared address space */
	int kind;                    /* KIND_* */
	int npages;                  /* target pages */
	bool idle;                   /* readers sleep instead of reading */
	uint64_t crit_ns;            /* >0: readers read in critical
	                                sections this long (mode crit) */
	uint64_t nreaders;           /* k */
	uint64_t run_ns;             /* run length */
	vm_paddr_t frames[MAXPAGES]; /* the targets' frames */
	vm_paddr_t keep[2];          /* the keepers' frames */
	volatile uint64_t on_pmap;   /* readers that switched onto pm */
	volatile uint64_t stop;      /* initiator done: readers return */
	volatile int chan;           /* idle readers sleep on it */
	uint64_t ops;                /* out: operations (or pages) done */
	uint64_t total_ns;           /* out: time of the whole loop */
	uint64_t timed_ns;           /* out: time in the removals */
	uint64_t msgs;               /* out: invalidation messages sent */
	uint64_t deferred;           /* out: halted targets skipped */
	const char *err;             /* out: why the run failed */
};

static struct sd_run sd;

static vm_offset_t
target_va(int i)
{
	return UVA_BASE + (vm_offset_t)(i + 1) * PAGE_SIZE;
}

/* Page i of all npages + 2: keeper, targets..., keeper. */
static vm_offset_t
any_va(const struct sd_run *r, int i)
{
	return UVA_BASE + (vm_offset_t)i * PAGE_SIZE;
}

static void
sd_reader(struct sd_run *r)
{
	int n = r->npages + 2, i = 0;
	uint64_t v;

	lwkt_set_pmap(r->pm);
	for (i = 0; i < n; i++)
		(void)cpu_fetch((const volatile void *)any_va(r, i), &v);
	__atomic_fetch_add(&r->on_pmap, 1, __ATOMIC_ACQ_REL);
	i = 0;
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (r->idle) {
			/* The CPU halts on the kernel pmap meanwhile. */
			tsleep(&r->chan, 0, "sdidle", IDLE_MS);
			continue;
		}
		if (r->crit_ns != 0) {
			/* Deliveries that wait for crit_exit() wait here. */
			uint64_t end = nanouptime() + r->crit_ns;

			crit_enter();
			while (nanouptime() < end) {
				(void)cpu_fetch(
				    (const volatile void *)any_va(r, i), &v);
				i = (i + 1) % n;
				cpu_pause_hint();
			}
			crit_exit();
			continue;
		}
		(void)cpu_fetch((const volatile void *)any_va(r, i), &v);
		i = (i + 1) % n;
		cpu_pause_hint();
	}
	lwkt_set_pmap(NULL);
}

static bool
enter_targets(struct sd_run *r, int from, int to)
{
	int i;

	for (i = from; i < to; i++)
		if (pmap_enter(r->pm, target_va(i), r->frames[i], RW, 0) != 0)
			return false;
	return true;
}

/* Write one word of each page: the initiator's TLB holds them now. */
static void
touch_targets(struct sd_run *r, int from, int to, uint64_t val)
{
	int i;

	cpu_user_access_begin(); /* user pages, from ring 0 on purpose */
	for (i = from; i < to; i++)
		*(volatile uint64_t *)target_va(i) = val;
	cpu_user_access_end();
}

/* remove + enter + touch, until run_ns. */
static void
sd_latency(struct sd_run *r)
{
	vm_offset_t sva = target_va(0), eva = target_va(r->npages);
	uint64_t t0 = nanouptime(), t1, t2, now;

	do {
		t1 = nanouptime();
		pmap_remove(r->pm, sva, eva);
		t2 = nanouptime();
		r->timed_ns += t2 - t1;
		if (!enter_targets(r, 0, r->npages)) {
			r->err = "pmap_enter failed";
			return;
		}
		touch_targets(r, 0, r->npages, r->ops);
		r->ops++;
		now = nanouptime();
	} while (now - t0 < r->run_ns);
	r->total_ns = now - t0;
}

/* Groups of THR_GROUP single-page removals, sync or batched. */
static void
sd_throughput(struct sd_run *r)
{
	struct pmap_inval_batch b;
	uint64_t t0 = nanouptime(), t1, now = t0;
	int i, done;

	while (now - t0 < r->run_ns) {
		t1 = nanouptime();
		done = 0;
		if (r->kind == KIND_SYNC) {
			/* Stop mid-group at the deadline: whole pages only. */
			while (done < r->npages && now - t0 < r->run_ns) {
				pmap_remove(r->pm, target_va(done),
				            target_va(done) + PAGE_SIZE);
				done++;
				now = nanouptime();
			}
		} else {
			pmap_inval_batch_init(&b, r->pm);
			for (i = 0; i < r->npages; i++)
				pmap_remove_batch(r->pm, target_va(i),
				                  target_va(i) + PAGE_SIZE, &b);
			pmap_inval_batch_flush(&b);
			pmap_inval_batch_wait(&b);
			done = r->npages;
			now = nanouptime();
		}
		r->timed_ns += now - t1;
		r->ops += (uint64_t)done;
		if (!enter_targets(r, 0, done)) {
			r->err = "pmap_enter failed";
			return;
		}
		touch_targets(r, 0, done, r->ops);
		now = nanouptime();
	}
	r->total_ns = now - t0;
}

static void
sd_body(int cpu, void *arg)
{
	struct sd_run *r = arg;
	struct pcpu_counters *c = &mycpu->gd_cnt;
	uint64_t sent0, def0, t;

	if (cpu != 0) {
		sd_reader(r);
		return;
	}
	if (!bench_wait_u64(&r->on_pmap, r->nreaders)) {
		r->err = "a reader never got onto the pmap";
		goto out;
	}
	if (r->idle) {
		/* Let the readers' CPUs reach their idle loop. */
		for (t = nanouptime(); nanouptime() - t < SETTLE_NS;)
			cpu_pause_hint();
	}
	lwkt_set_pmap(r->pm);
	touch_targets(r, 0, r->npages, 0);
	sent0 = c->pc_inval_sent;
	def0 = c->pc_inval_deferred;
	if (r->kind == KIND_LAT)
		sd_latency(r);
	else
		sd_throughput(r);
	r->msgs = c->pc_inval_sent - sent0;
	r->deferred = c->pc_inval_deferred - def0;
	lwkt_set_pmap(NULL);
out:
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	wakeup(&r->chan);
}

static vm_paddr_t
frame_alloc(void)
{
	struct vm_page *m = vm_page_alloc();

	return m == NULL ? 0 : vm_page_to_phys(m);
}

static void
sd_teardown(struct sd_run *r)
{
	int i;

	if (r->pm != NULL)
		pmap_destroy(r->pm);
	for (i = 0; i < r->npages; i++)
		if (r->frames[i] != 0)
			vm_page_free(phys_to_vm_page(r->frames[i]));
	for (i = 0; i < 2; i++)
		if (r->keep[i] != 0)
			vm_page_free(phys_to_vm_page(r->keep[i]));
	r->pm = NULL;
}

static const char *
sd_setup(struct sd_run *r)
{
	int i;

	if ((r->pm = pmap_create()) == NULL)
		return "pmap_create failed";
	for (i = 0; i < r->npages; i++)
		if ((r->frames[i] = frame_alloc()) == 0)
			return "out of pages";
	for (i = 0; i < 2; i++)
		if ((r->keep[i] = frame_alloc()) == 0)
			return "out of pages";
	if (pmap_enter(r->pm, any_va(r, 0), r->keep[0], RW, 0) != 0 ||
	    pmap_enter(r->pm, any_va(r, r->npages + 1), r->keep[1], RW, 0) !=
	        0 ||
	    !enter_targets(r, 0, r->npages))
		return "pmap_enter failed";
	return NULL;
}

/* One run: the initiator on CPU 0, readers on CPUs 1..k. */
static const char *
sd_run_one(const struct bench_point *p, int kind, int npages)
{
	struct sd_run *r = &sd;
	cpumask_t mask;
	const char *err;
	uint64_t cpu;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->npages = npages;
	r->idle = strcmp(p->bp_mode, "idle") == 0;
	if (strcmp(p->bp_mode, "crit") == 0)
		r->crit_ns = (uint64_t)bench_crit_us * NS_PER_US;
	r->nreaders = p->bp_k;
	r->run_ns = p->bp_run_ns;
	if ((err = sd_setup(r)) != NULL) {
		sd_teardown(r);
		return err;
	}
	cpumask_zero(&mask);
	for (cpu = 0; cpu <= p->bp_k; cpu++)
		cpumask_set(&mask, (int)cpu);
	err = bench_on_cpus(&mask, sd_body, r, NULL);
	if (err != NULL)
		return err; /* readers may still arrive: keep pm (leaked) */
	/* Every reader has left pm and returned. */
	sd_teardown(r);
	if (r->err != NULL)
		return r->err;
	return r->ops == 0 ? "no operation completed" : NULL;
}

static void
sd_report(const struct bench_point *p, const char *name, const char *what)
{
	if (p->bp_run != 1)
		return;
	kprintf("# bench: %s mode=%s k=%lu run 1: %lu %s in %lu ms, %lu "
	        "invalidation messages, %lu deferred\n",
	        name, p->bp_mode, p->bp_k, sd.ops, what,
	        sd.total_ns / NS_PER_MS, sd.msgs, sd.deferred);
}

/* ------------------------------------------------------------------ */
/* k selection */

/*
 * BENCH_K_ALL is 0 in the framework, so "no remote CPU" needs a value of
 * its own in the k lists; prepare_k() turns it into k = 0.
 */
#define K_NONE (1ull << 32)

static const uint64_t lat_ks[] = {K_NONE, 1, 2, 4, 7, BENCH_K_ALL, BENCH_END};
static const uint64_t thr_ks[] = {K_NONE, 7, BENCH_K_ALL, BENCH_END};

/* Is raw k (a number, K_NONE or BENCH_K_ALL) in bench.shootdown_k? */
static bool
shootdown_k_has(uint64_t raw)
{
	char item[24];
	int i;

	for (i = 0; optlist_item(bench_shootdown_k, i, item, sizeof(item)) >= 0;
	     i++) {
		uint64_t v = 0;
		const char *c = item;

		if (strcmp(item, "all") == 0) {
			if (raw == BENCH_K_ALL)
				return true;
			continue;
		}
		for (; *c >= '0' && *c <= '9' && v < 1000000; c++)
			v = v * 10 + (uint64_t)(*c - '0');
		if (*c == '\0' && c != item && (v == 0 ? K_NONE : v) == raw)
			return true;
	}
	return false;
}

static bool
list_has(const uint64_t *ks, uint64_t v)
{
	for (; *ks != BENCH_END; ks++)
		if (*ks == v)
			return true;
	return false;
}

/*
 * Resolve k: BENCH_K_ALL is every other CPU; skip values beyond the
 * machine, values bench.shootdown_k leaves out, and "all" when it equals
 * a number the default list runs anyway.
 */
static const char *
prepare_k(struct bench_point *p, const uint64_t *defaults)
{
	bool sel = bench_shootdown_k != NULL;
	bool ovr = bench_k_given();
	uint64_t raw = p->bp_k;
	uint64_t k = raw == BENCH_K_ALL ? (uint64_t)ncpus - 1
	             : raw == K_NONE    ? 0
	                                : raw;

	if (k > (uint64_t)ncpus - 1)
		return "k is more than the other CPUs";
	if (sel && !ovr && !shootdown_k_has(raw))
		return "not in bench.shootdown_k";
	if (raw == BENCH_K_ALL && !ovr &&
	    list_has(defaults, k == 0 ? K_NONE : k) &&
	    (!sel || shootdown_k_has(k == 0 ? K_NONE : k)))
		return "k=all is a k already measured";
	p->bp_k = k;
	return NULL;
}

static const char *
lat_prepare(struct bench_point *p)
{
	return prepare_k(p, lat_ks);
}

static const char *
thr_prepare(struct bench_point *p)
{
	return prepare_k(p, thr_ks);
}

/* ------------------------------------------------------------------ */
/* shootdown_1page, shootdown_512pages */

static const char *
lat_run(const struct bench_point *p, uint64_t *out, int npages,
        const char *name)
{
	const char *err = sd_run_one(p, KIND_LAT, npages);

	if (err != NULL)
		return err;
	out[0] = sd.total_ns / sd.ops;
	out[1] = sd.timed_ns / sd.ops;
	sd_report(p, name, "operations");
	return NULL;
}

static const char *
lat1_run(const struct bench_point *p, uint64_t *out)
{
	return lat_run(p, out, 1, "shootdown_1page");
}

static const char *
lat512_run(const struct bench_point *p, uint64_t *out)
{
	return lat_run(p, out, MAXPAGES, "shootdown_512pages");
}

static const struct bench_metric lat1_metrics[] = {
    {"shootdown_1page", "ns", 0},
    {"shootdown_1page_remove", "ns", 0},
};

static const struct bench_metric lat512_metrics[] = {
    {"shootdown_512pages", "ns", 0},
    {"shootdown_512pages_remove", "ns", 0},
};

BENCH_DECLARE(shootdown_1page, .b_name = "shootdown_1page",
              .b_desc = "unmap + remap + touch 1 page, k readers on the pmap "
                        "(ns)",
              .b_modes = BENCH_MODES("busy", "idle", "crit"), .b_ks = lat_ks,
              .b_metrics = lat1_metrics, .b_nmetrics = 2,
              .b_prepare = lat_prepare, .b_run = lat1_run);

BENCH_DECLARE(shootdown_512pages, .b_name = "shootdown_512pages",
              .b_desc = "unmap + remap + touch 512 pages, k readers (ns)",
              .b_modes = BENCH_MODES("busy", "idle"), .b_ks = lat_ks,
              .b_metrics = lat512_metrics, .b_nmetrics = 2,
              .b_prepare = lat_prepare, .b_run = lat512_run);

/* ------------------------------------------------------------------ */
/* shootdown_throughput_sync, shootdown_throughput_async */

static const char *
thr_run(const struct bench_point *p, uint64_t *out, int kind, const char *name)
{
	const char *err = sd_run_one(p, kind, THR_GROUP);

	if (err != NULL)
		return err;
	if (sd.timed_ns == 0)
		sd.timed_ns = 1;
	out[0] = sd.ops * NS_PER_S / sd.timed_ns;
	out[1] = sd.msgs * NS_PER_S / sd.timed_ns;
	sd_report(p, name, "pages");
	return NULL;
}

static const char *
sync_run(const struct bench_point *p, uint64_t *out)
{
	return thr_run(p, out, KIND_SYNC, "shootdown_throughput_sync");
}

static const char *
async_run(const struct bench_point *p, uint64_t *out)
{
	return thr_run(p, out, KIND_ASYNC, "shootdown_throughput_async");
}

static const struct bench_metric sync_metrics[] = {
    {"shootdown_throughput_sync", "pages/s", 0},
    {"shootdown_msgs_sync", "msgs/s", 0},
};

static const struct bench_metric async_metrics[] = {
    {"shootdown_throughput_async", "pages/s", 0},
    {"shootdown_msgs_async", "msgs/s", 0},
};

BENCH_DECLARE(shootdown_throughput_sync, .b_name = "shootdown_throughput_sync",
              .b_desc = "single-page pmap_remove()s per second, k busy "
                        "readers",
              .b_modes = BENCH_MODES("busy"), .b_ks = thr_ks,
              .b_metrics = sync_metrics, .b_nmetrics = 2,
              .b_prepare = thr_prepare, .b_run = sync_run);

BENCH_DECLARE(shootdown_throughput_async,
              .b_name = "shootdown_throughput_async",
              .b_desc = "single-page removals per second, 32 per batch, "
                        "k busy readers",
              .b_modes = BENCH_MODES("busy"), .b_ks = thr_ks,
              .b_metrics = async_metrics, .b_nmetrics = 2,
              .b_prepare = thr_prepare, .b_run = async_run);

/* ------------------------------------------------------------------ */
/* window_vs_kenter */

struct wk_run {
	vm_paddr_t src, dst;     /* two frames */
	vm_offset_t kva;         /* two pages of KVA */
	uint64_t run_ns;         /* per metric */
	uint64_t ns[4];          /* out: ns per page, per metric */
	uint64_t msgs;           /* out: invalidation messages sent */
	volatile uint64_t stop;  /* initiator done: spinners return */
	volatile uint64_t ready; /* spinners running */
	uint64_t nspin;          /* how many spin */
};

static struct wk_run wk;

/* Repeat op(i) for run_ns; ns per call. */
static uint64_t
wk_time(struct wk_run *r, int which)
{
	uint64_t t0 = nanouptime(), now, n = 0;

	do {
		switch (which) {
		case 0:
			pmap_zero_page(r->dst);
			break;
		case 1:
			pmap_copy_page(r->src, r->dst);
			break;
		case 2:
			pmap_kenter(r->kva, r->dst, RW);
			memset((void *)r->kva, 0, PAGE_SIZE);
			pmap_kremove(r->kva);
			break;
		default:
			pmap_kenter(r->kva, r->src, VM_PROT_READ);
			pmap_kenter(r->kva + PAGE_SIZE, r->dst, RW);
			memcpy((void *)(r->kva + PAGE_SIZE),
			       (const void *)r->kva, PAGE_SIZE);
			pmap_kremove(r->kva);
			pmap_kremove(r->kva + PAGE_SIZE);
			break;
		}
		n++;
		now = nanouptime();
	} while (now - t0 < r->run_ns);
	return (now - t0) / n;
}

static void
wk_body(int cpu, void *arg)
{
	struct wk_run *r = arg;
	uint64_t sent0;
	int i;

	if (cpu != 0) {
		/* busy: a running CPU on the kernel pmap. */
		__atomic_fetch_add(&r->ready, 1, __ATOMIC_ACQ_REL);
		while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			cpu_pause_hint();
		return;
	}
	if (bench_wait_u64(&r->ready, r->nspin)) {
		sent0 = mycpu->gd_cnt.pc_inval_sent;
		for (i = 0; i < 4; i++)
			r->ns[i] = wk_time(r, i);
		r->msgs = mycpu->gd_cnt.pc_inval_sent - sent0;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
}

static const char *
wk_prepare(struct bench_point *p)
{
	if (p->bp_k == BENCH_K_ALL)
		p->bp_k = (uint64_t)ncpus - 1;
	if (p->bp_k != (uint64_t)ncpus - 1)
		return "k is all other CPUs only";
	return NULL;
}

static const char *
wk_run(const struct bench_point *p, uint64_t *out)
{
	struct wk_run *r = &wk;
	int defer = pmap_inval_idle_defer, i;
	bool busy = strcmp(p->bp_mode, "busy") == 0;
	cpumask_t mask;
	const char *err;

	memset(r, 0, sizeof(*r));
	r->run_ns = p->bp_run_ns;
	r->src = frame_alloc();
	r->dst = frame_alloc();
	r->kva = kva_alloc(2);
	if (r->src == 0 || r->dst == 0 || r->kva == 0)
		return "out of pages or KVA";
	*(volatile uint64_t *)pmap_map_dmap(r->src) = 0x5a5a;
	cpumask_zero(&mask);
	cpumask_set(&mask, 0);
	if (busy) {
		r->nspin = p->bp_k;
		for (i = 1; (uint64_t)i <= p->bp_k; i++)
			cpumask_set(&mask, i);
	}
	if (strcmp(p->bp_mode, "nodefer") == 0)
		pmap_inval_idle_defer = 0;
	err = bench_on_cpus(&mask, wk_body, r, NULL);
	pmap_inval_idle_defer = defer;
	if (err == NULL && r->ns[3] == 0)
		err = "a spinner never started";
	if (err == NULL &&
	    *(volatile uint64_t *)pmap_map_dmap(r->dst) != 0x5a5a)
		err = "the copy did not arrive";
	if (err != NULL)
		return err;
	for (i = 0; i < 4; i++)
		out[i] = r->ns[i];
	if (p->bp_run == 1)
		kprintf("# bench: window_vs_kenter mode=%s k=%lu run 1: %lu "
		        "invalidation messages\n",
		        p->bp_mode, p->bp_k, r->msgs);
	kva_free(r->kva, 2);
	vm_page_free(phys_to_vm_page(r->src));
	vm_page_free(phys_to_vm_page(r->dst));
	return NULL;
}

static const struct bench_metric wk_metrics[] = {
    {"window_zero_page", "ns", 0},
    {"window_copy_page", "ns", 0},
    {"kenter_zero_page", "ns", 0},
    {"kenter_copy_page", "ns", 0},
};

BENCH_DECLARE(window_vs_kenter, .b_name = "window_vs_kenter",
              .b_desc = "zero/copy a page: per-CPU window vs kenter+kremove "
                        "(ns/page)",
              .b_modes = BENCH_MODES("idle", "nodefer", "busy"),
              .b_ks = BENCH_VALUES(BENCH_K_ALL), .b_metrics = wk_metrics,
              .b_nmetrics = 4, .b_prepare = wk_prepare, .b_run = wk_run);
