/*
 * kern_bench.c - runs the benchmarks the boot command line selects and
 * reports them (see <sys/bench.h> for the model and the output format).
 *
 * What is measured and how: every benchmark run times itself with
 * nanouptime() (the calibrated TSC, the only clock benchmarks use) and
 * returns one value per metric, normally a mean over a run of about
 * bench.ms= milliseconds (default 20), so a run's cost does not depend on
 * how fast the machine is.  The framework does one warm-up run per point
 * (discarded: it pays for first-touch page faults, cold caches and
 * thread-pool growth), then bench.runs= runs (default 7), and reports the
 * median, minimum and maximum of those.  The median is the headline
 * number because under TCG the host scheduler sometimes deschedules a
 * vCPU for milliseconds, which spoils single runs but not their median.
 *
 * Everything here runs on the "main" thread on CPU 0, one benchmark at a
 * time, so the framework's own state (results, the parallel-start block)
 * needs no locking.  bench_on_cpus() is the one concurrent part: its
 * participants meet at a barrier (ready count, then the go flag) and
 * report back through the done count; all three are written with
 * atomics and read with acquire, so what a participant did before
 * counting itself done is visible to the caller after it sees the count.
 */
#include <sys/bench.h>

#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>

extern const struct bench __start_set_bench[], __stop_set_bench[];

#define BENCH_MAXRUNS     101 /* bench.runs upper bound */
#define BENCH_MAXRESULTS  128 /* rows kept for the closing table */
#define BENCH_MAXLIST     16  /* bench.k / bench.pages items */
#define BENCH_DEFAULTRUNS 7

static BOOTOPT_STR(bench_list, "bench",
                   "benchmarks to run: all, list, or a,b,c (after the tests)");
static BOOTOPT_INT(bench_runs, "bench.runs", BENCH_DEFAULTRUNS, 1,
                   BENCH_MAXRUNS, "measured runs per benchmark point");
static BOOTOPT_STR(bench_k, "bench.k",
                   "k values to sweep, e.g. 1,2,4 (default: each benchmark's)");
static BOOTOPT_STR(bench_pages, "bench.pages",
                   "page counts to sweep (default: each benchmark's)");
static BOOTOPT_INT(bench_ms, "bench.ms", 20, 1, 10000,
                   "length of one run in ms");

/* One reported result: a metric of one point. */
struct bench_result {
	const struct bench *br_bench;         /* which benchmark */
	const struct bench_metric *br_metric; /* which of its metrics */
	struct bench_point br_point;          /* its parameters */
	uint64_t br_median;                   /* fixed point, see metric */
	uint64_t br_min;                      /* smallest run */
	uint64_t br_max;                      /* largest run */
	int br_runs;                          /* runs it summarises */
};

static struct bench_result results[BENCH_MAXRESULTS];     /* for the table */
static int nresults;                                      /* rows used */
static uint64_t samples[BENCH_MAXMETRICS][BENCH_MAXRUNS]; /* one point */
static uint64_t k_override[BENCH_MAXLIST + 1]; /* bench.k, BENCH_END-ended */
static uint64_t pages_override[BENCH_MAXLIST + 1]; /* bench.pages, likewise */
static bool have_k_override;                       /* bench.k was given */
static bool have_pages_override;                   /* bench.pages was given */

/* bench_on_cpus() state; one call at a time (the main thread's). */
static struct {
	void (*fn)(int, void *); /* the participants' body */
	void *arg;               /* its argument */
	uint64_t gen;            /* call number: late threads see a new one */
	volatile uint64_t ready; /* participants waiting at the barrier */
	volatile uint64_t go;    /* 1: start; 2: abandoned, do not run fn */
	volatile uint64_t done;  /* participants that returned from fn */
} par;

bool
bench_wait_u64(const volatile uint64_t *word, uint64_t want)
{
	uint64_t start = nanouptime();

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) < want) {
		/* Messages to us may be what the others wait for. */
		lwkt_process_ipiq();
		cpu_pause_hint();
		if (nanouptime() - start > BENCH_WAIT_NS)
			return false;
	}
	return true;
}

static void
par_thread(void *arg)
{
	uint64_t gen = (uint64_t)(uintptr_t)arg, go;

	/* A thread of an abandoned call must not join a later one. */
	if (__atomic_load_n(&par.gen, __ATOMIC_ACQUIRE) != gen)
		return;
	__atomic_fetch_add(&par.ready, 1, __ATOMIC_ACQ_REL);
	while ((go = __atomic_load_n(&par.go, __ATOMIC_ACQUIRE)) == 0)
		cpu_pause_hint();
	if (go != 1)
		return;
	par.fn(mycpu->gd_cpuid, par.arg);
	__atomic_fetch_add(&par.done, 1, __ATOMIC_ACQ_REL);
}

const char *
bench_on_cpus(const cpumask_t *mask, void (*fn)(int, void *), void *arg,
              uint64_t *elapsed_ns)
{
	int me = mycpu->gd_cpuid, cpu;
	uint64_t others = 0, t0, t1;

	/*
	 * Threads of an earlier call that failed may still start late:
	 * the new generation number sends them away (par_thread).
	 */
	__atomic_store_n(&par.go, 0, __ATOMIC_RELAXED);
	par.fn = fn;
	par.arg = arg;
	par.ready = 0;
	par.done = 0;
	__atomic_store_n(&par.gen, par.gen + 1, __ATOMIC_RELEASE);
	CPUMASK_FOREACH(cpu, mask)
	{
		if (cpu == me)
			continue;
		lwkt_create(par_thread, (void *)(uintptr_t)par.gen, "bench",
		            cpu, TDPRI_SERVICE);
		others++;
	}
	if (!bench_wait_u64(&par.ready, others)) {
		__atomic_store_n(&par.go, 2, __ATOMIC_RELEASE);
		return "a participant never reached the start barrier";
	}
	t0 = nanouptime();
	__atomic_store_n(&par.go, 1, __ATOMIC_RELEASE);
	if (cpumask_test(mask, me))
		fn(me, arg);
	if (!bench_wait_u64(&par.done, others))
		return "a participant never finished";
	t1 = nanouptime();
	if (elapsed_ns != NULL)
		*elapsed_ns = t1 - t0;
	return NULL;
}

/* Values are fixed point: v with 'dec' decimals, e.g. 934,3 -> 0.934. */
static const char *
fmt_fixed(char *buf, size_t len, uint64_t v, int dec)
{
	uint64_t scale = 1;
	int i;

	for (i = 0; i < dec; i++)
		scale *= 10;
	if (dec == 0)
		ksnprintf(buf, len, "%lu", v);
	else
		ksnprintf(buf, len, "%lu.%0*lu", v / scale, dec, v % scale);
	return buf;
}

static void
sort_u64(uint64_t *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++) {
		uint64_t x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Sorts v; the median of an even count is the mean of the middle two. */
static uint64_t
median_u64(uint64_t *v, int n)
{
	sort_u64(v, n);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Parse a decimal list item, or "all" (BENCH_K_ALL); false if neither. */
static bool
parse_value(const char *s, uint64_t *out)
{
	if (strcmp(s, "all") == 0) {
		*out = BENCH_K_ALL;
		return true;
	}
	return kstrtou64(s, 10, out);
}

/*
 * The override list 'list' of option 'key' (bench.k, bench.pages) into
 * buf, ended by BENCH_END; false if the option is absent.  Bad items are
 * reported and left out.
 */
static bool
override_list(const char *key, const char *list, uint64_t *buf)
{
	char item[24];
	int i, n = 0;

	if (list == NULL)
		return false;
	for (i = 0; optlist_item(list, i, item, sizeof(item)) >= 0 &&
	            n < BENCH_MAXLIST;
	     i++) {
		if (parse_value(item, &buf[n]))
			n++;
		else
			kprintf("bench: warning: %s: '%s' is not a number\n",
			        key, item);
	}
	buf[n] = BENCH_END;
	return true;
}

static bool
bench_selected(const struct bench *b)
{
	return optlist_has(bench_list, "all") ||
	       optlist_has(bench_list, b->b_name);
}

/* Warn about bench= names that select nothing (typos). */
static void
check_names(void)
{
	const struct bench *b;
	char name[32];
	int i;

	for (i = 0; optlist_item(bench_list, i, name, sizeof(name)) >= 0; i++) {
		bool found =
		    strcmp(name, "all") == 0 || strcmp(name, "list") == 0;

		for (b = __start_set_bench; !found && b < __stop_set_bench; b++)
			found = strcmp(b->b_name, name) == 0;
		if (!found)
			kprintf("bench: warning: no benchmark named '%s' "
			        "(bench=list shows them)\n",
			        name);
	}
}

static void
print_line(const struct bench_result *r)
{
	const struct bench_metric *m = r->br_metric;
	char med[32], lo[32], hi[32];

	kprintf("BENCH {\"name\":\"%s\",\"cpus\":%d,\"k\":%lu,\"pages\":%lu,"
	        "\"mode\":\"%s\",\"unit\":\"%s\",\"median\":%s,\"min\":%s,"
	        "\"max\":%s,\"runs\":%d}\n",
	        m->bm_name, r->br_point.bp_cpus, r->br_point.bp_k,
	        r->br_point.bp_pages, r->br_point.bp_mode, m->bm_unit,
	        fmt_fixed(med, sizeof(med), r->br_median, m->bm_decimals),
	        fmt_fixed(lo, sizeof(lo), r->br_min, m->bm_decimals),
	        fmt_fixed(hi, sizeof(hi), r->br_max, m->bm_decimals),
	        r->br_runs);
}

/* Every run of one point; returns false if a run failed. */
static bool
run_point(const struct bench *b, struct bench_point *p, int runs)
{
	uint64_t out[BENCH_MAXMETRICS];
	const char *why;
	int r, m;

	if (b->b_prepare != NULL && (why = b->b_prepare(p)) != NULL) {
		kprintf("# bench: %s mode=%s k=%lu pages=%lu: skipped: %s\n",
		        b->b_name, p->bp_mode, p->bp_k, p->bp_pages, why);
		return true;
	}
	for (r = 0; r <= runs; r++) {
		p->bp_run = r;
		memset(out, 0, sizeof(out));
		why = b->b_run(p, out);
		if (why != NULL) {
			kprintf("bench: %s mode=%s k=%lu pages=%lu: run %d "
			        "failed: %s\n",
			        b->b_name, p->bp_mode, p->bp_k, p->bp_pages, r,
			        why);
			return false;
		}
		if (r == 0)
			continue; /* the warm-up */
		for (m = 0; m < b->b_nmetrics; m++)
			samples[m][r - 1] = out[m];
	}
	for (m = 0; m < b->b_nmetrics; m++) {
		struct bench_result res, *rp = &res;
		char buf[32];
		int i;

		kprintf("# bench: %s mode=%s k=%lu pages=%lu runs:",
		        b->b_metrics[m].bm_name, p->bp_mode, p->bp_k,
		        p->bp_pages);
		for (i = 0; i < runs; i++)
			kprintf(" %s",
			        fmt_fixed(buf, sizeof(buf), samples[m][i],
			                  b->b_metrics[m].bm_decimals));
		kprintf("\n");
		if (nresults < BENCH_MAXRESULTS)
			rp = &results[nresults++];
		rp->br_bench = b;
		rp->br_metric = &b->b_metrics[m];
		rp->br_point = *p;
		rp->br_median = median_u64(samples[m], runs);
		rp->br_min = samples[m][0];
		rp->br_max = samples[m][runs - 1];
		rp->br_runs = runs;
		print_line(rp);
	}
	return true;
}

/* Sweep one benchmark over modes x k x pages; returns failed points. */
static int
run_bench(const struct bench *b, int runs, uint64_t run_ns)
{
	static const char *const nomode[] = {"-", NULL};
	static const uint64_t k_one[] = {1, BENCH_END};
	static const uint64_t pages_zero[] = {0, BENCH_END};
	const char *const *modes = b->b_modes != NULL ? b->b_modes : nomode;
	const uint64_t *ks = b->b_ks != NULL ? b->b_ks : k_one;
	const uint64_t *pages = b->b_pages != NULL ? b->b_pages : pages_zero;
	int mi, ki, pi, failed = 0;

	KASSERT(b->b_nmetrics >= 1 && b->b_nmetrics <= BENCH_MAXMETRICS,
	        "bench: bad metric count");
	/* k and pages overrides apply only where the parameter exists. */
	if (b->b_ks != NULL && have_k_override)
		ks = k_override;
	if (b->b_pages != NULL && have_pages_override)
		pages = pages_override;
	for (mi = 0; modes[mi] != NULL; mi++)
		for (ki = 0; ks[ki] != BENCH_END; ki++)
			for (pi = 0; pages[pi] != BENCH_END; pi++) {
				struct bench_point p = {
				    .bp_cpus = ncpus,
				    .bp_k = ks[ki],
				    .bp_pages = pages[pi],
				    .bp_mode = modes[mi],
				    .bp_run_ns = run_ns,
				};

				if (!run_point(b, &p, runs))
					failed++;
			}
	return failed;
}

static void
print_table(int runs)
{
	int i;

	kprintf("bench results (%d CPUs; median, min and max of %d runs):\n",
	        ncpus, runs);
	kprintf("  %-22s %4s %4s %5s %-6s %12s %12s %12s %s\n", "name", "cpus",
	        "k", "pages", "mode", "median", "min", "max", "unit");
	for (i = 0; i < nresults; i++) {
		const struct bench_result *r = &results[i];
		int dec = r->br_metric->bm_decimals;
		char med[32], lo[32], hi[32];

		kprintf("  %-22s %4d %4lu %5lu %-6s %12s %12s %12s %s\n",
		        r->br_metric->bm_name, r->br_point.bp_cpus,
		        r->br_point.bp_k, r->br_point.bp_pages,
		        r->br_point.bp_mode,
		        fmt_fixed(med, sizeof(med), r->br_median, dec),
		        fmt_fixed(lo, sizeof(lo), r->br_min, dec),
		        fmt_fixed(hi, sizeof(hi), r->br_max, dec),
		        r->br_metric->bm_unit);
	}
}

bool
bench_k_given(void)
{
	return bench_k != NULL;
}

/* Run parameters from the command line (bench.runs, bench.ms, ...). */
static void
load_params(int *runs, uint64_t *run_ns)
{
	*runs = bench_runs;
	*run_ns = (uint64_t)bench_ms * NS_PER_MS;
	have_k_override = override_list("bench.k", bench_k, k_override);
	have_pages_override =
	    override_list("bench.pages", bench_pages, pages_override);
}

int
bench_run_named(const char *name)
{
	const struct bench *b;
	uint64_t run_ns;
	int runs, failed;

	for (b = __start_set_bench; b < __stop_set_bench; b++)
		if (strcmp(b->b_name, name) == 0)
			break;
	if (b == __stop_set_bench) {
		kprintf("bench: no benchmark '%s'; have:", name);
		for (b = __start_set_bench; b < __stop_set_bench; b++)
			kprintf(" %s", b->b_name);
		kprintf("\n");
		return -1;
	}
	load_params(&runs, &run_ns);
	nresults = 0;
	failed = run_bench(b, runs, run_ns);
	print_table(runs);
	return failed;
}

int
bench_run_selected(void)
{
	const struct bench *b;
	const char *sel = bench_list;
	uint64_t run_ns, t0;
	int runs, failed = 0;

	if (sel == NULL || strcmp(sel, "none") == 0)
		return 0;
	if (strcmp(sel, "list") == 0) {
		kprintf("benchmarks (bench=NAME[,NAME...] or bench=all):\n");
		for (b = __start_set_bench; b < __stop_set_bench; b++)
			kprintf("  %-16s %s\n", b->b_name, b->b_desc);
		return 0;
	}
	check_names();
	load_params(&runs, &run_ns);
	kprintf("# bench: %d CPUs, %d runs per point + 1 warm-up, %lu ms per "
	        "run, TSC %lu Hz\n",
	        ncpus, runs, run_ns / NS_PER_MS, tsc_freq);
	t0 = nanouptime();
	nresults = 0;
	for (b = __start_set_bench; b < __stop_set_bench; b++)
		if (bench_selected(b))
			failed += run_bench(b, runs, run_ns);
	print_table(runs);
	kprintf("bench: done: %d results, %d failed, in %lu ms\n", nresults,
	        failed, (nanouptime() - t0) / NS_PER_MS);
	return failed;
}
