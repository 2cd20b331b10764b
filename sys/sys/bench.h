/*
 * bench: the in-kernel benchmark framework (sys/kern/kern_bench.c).
 *
 * A benchmark file declares its workloads with BENCH_DECLARE(), which
 * places a struct bench in the linker set "set_bench", so adding a file
 * adds its benchmarks with no central table (like ktest suites).
 * `bench=all` or `bench=name1,name2` on the boot command line selects
 * them (`bench=list` prints what exists); they run after the selected
 * test suites, on the "main" thread on CPU 0.
 *
 * A benchmark is swept over its parameter points: every mode in b_modes
 * times every k in b_ks (or bench.k=) times every page count in b_pages
 * (or bench.pages=).  Each point gets one discarded warm-up run and then
 * bench.runs= measured runs (default 7).  One run calls b_run(), which
 * does the workload for about bench.ms= milliseconds of nanouptime() and
 * returns one value per metric (usually a mean over that run: ns per
 * round trip, messages per second).  For each metric the framework
 * prints one machine-readable line on the console
 *
 *   BENCH {"name":"ipi_pingpong","cpus":8,"k":1,"pages":0,"mode":"busy",
 *          "unit":"ns","median":1234,"min":1100,"max":2000,"runs":7}
 *
 * (on one line) and at the end a human-readable table of every result.
 * "cpus" is always ncpus - the size of the machine - so results from
 * boots with different -smp can be plotted against each other; what a
 * benchmark does with the CPUs is its k (documented per benchmark).
 * The measurement key is name + cpus + k + pages + mode.
 */
#ifndef _SYS_BENCH_H_
#define _SYS_BENCH_H_

#include <sys/clock.h>
#include <sys/cpumask.h>
#include <sys/types.h>

#define BENCH_MAXMETRICS 4          /* metrics one benchmark may report */
#define BENCH_END        UINT64_MAX /* ends b_ks and b_pages lists */
#define BENCH_K_ALL      0          /* in b_ks: "as many CPUs as make sense" */
#define BENCH_WAIT_NS    (5 * NS_PER_S) /* a run that waits longer fails */

/* One reported quantity: one BENCH line per parameter point. */
struct bench_metric {
	const char *bm_name; /* measurement name in the BENCH line */
	const char *bm_unit; /* "ns", "msgs/s", "ratio", ... */
	int bm_decimals;     /* values are fixed point with this many
	                        decimals (0..6): 934 with 3 is 0.934 */
};

/* The parameters of one point, handed to every run of it. */
struct bench_point {
	int bp_cpus;         /* ncpus: the machine size, for the key */
	uint64_t bp_k;       /* the benchmark's parameter (see its file) */
	uint64_t bp_pages;   /* pages per operation; 0 if none */
	const char *bp_mode; /* variant, from b_modes */
	uint64_t bp_run_ns;  /* how long one run should last (bench.ms) */
	int bp_run;          /* run number: 0 is the warm-up */
};

struct bench {
	const char *b_name;                   /* selection name for bench= */
	const char *b_desc;                   /* one line, for bench=list */
	const char *const *b_modes;           /* NULL-ended; NULL: {"-"} */
	const uint64_t *b_ks;                 /* BENCH_END-ended; NULL: k is
	                                        fixed at 1 (bench.k= ignored) */
	const uint64_t *b_pages;              /* BENCH_END-ended; NULL: {0} */
	const struct bench_metric *b_metrics; /* what a run reports */
	int b_nmetrics; /* how many (<= BENCH_MAXMETRICS) */
	/*
	 * Check (and resolve, e.g. BENCH_K_ALL to a CPU count) a point
	 * before its runs.  Returns NULL to run it, or why it is skipped.
	 * NULL pointer: every point runs.
	 */
	const char *(*b_prepare)(struct bench_point *p);
	/*
	 * One run: fill out[0..b_nmetrics-1].  Returns NULL on success or
	 * a short reason the run failed (a lost message, a timeout); a
	 * failed run ends the point and counts as a benchmark failure.
	 */
	const char *(*b_run)(const struct bench_point *p, uint64_t *out);
};

/*
 * Declare a benchmark: BENCH_DECLARE(ident, .b_name = "x", ...).  The
 * aligned(8) matches the struct's natural alignment, so the linker packs
 * the set as a plain array between __start_set_bench and
 * __stop_set_bench (sys/platform/pc64/kernel.ld).
 */
#define BENCH_DECLARE(ident, ...)                                              \
	static const struct bench ident##_bench __attribute__((                \
	    section("set_bench"), used, aligned(8))) = {__VA_ARGS__}

/* List helpers for b_modes, b_ks and b_pages (file-scope literals). */
#define BENCH_MODES(...)  ((const char *const[]){__VA_ARGS__, NULL})
#define BENCH_VALUES(...) ((const uint64_t[]){__VA_ARGS__, BENCH_END})

/*
 * Run the benchmarks bench= selects (none without it); returns how
 * many points failed.  Called from mi_main() on CPU 0.
 */
int bench_run_selected(void);
/* bench.k= was given: it overrides every benchmark's own k list. */
bool bench_k_given(void);
/* Run one benchmark by name (the console's "bench" command); returns the
 * number of failed points, or -1 for an unknown name. */
int bench_run_named(const char *name);

/*
 * Workload helper: run fn(cpu, arg) at the same moment on every CPU in
 * mask - a thread at TDPRI_SERVICE on each other CPU, and the caller
 * itself inline if its CPU is in mask.  Every participant waits at a
 * start barrier; *elapsed_ns (if not NULL) is the time from releasing
 * the barrier to the last participant returning.  Returns NULL, or why
 * it failed (a participant never started or never finished within
 * BENCH_WAIT_NS).
 */
const char *bench_on_cpus(const cpumask_t *mask, void (*fn)(int, void *),
                          void *arg, uint64_t *elapsed_ns);

/*
 * Spin until *word >= want (acquire), draining this CPU's IPI queues
 * meanwhile; false after BENCH_WAIT_NS.
 */
bool bench_wait_u64(const volatile uint64_t *word, uint64_t want);

#endif /* !_SYS_BENCH_H_ */
