/*
 * tlbstress.c - the TLB-shootdown stress suite from ring 3: every check
 * is made by the path a user program really uses (a load or a store
 * through the MMU, a SIGSEGV when the kernel says the page is gone), so
 * the same static binary judges this kernel and Linux.
 *
 *	tlbstress [SECONDS [SEED [--selftest] [--only=NAME,...]]]
 *
 * SECONDS (default 6) is split evenly over the scenarios; SEED (default
 * 1) drives every random choice; --only runs the named scenarios.  Output: KTAP (one case per scenario),
 * a summary table as "# " lines, then "N passed, N failed"; the exit
 * status is the number of failed scenarios, so 0 only with 0 violations.
 *
 * The protocol every scenario checks.  One controller thread (the main
 * thread) changes a range with one system call at a time and publishes
 * the range's state in a sequence word: odd while a change is in flight,
 * even (with the state in its upper bits) once the call has returned and
 * the controller has written the new contents.  Worker threads, on every
 * CPU, read the sequence word, make one access, and read the word again.
 * If both reads saw the same even value, the access happened entirely
 * while the range was stable in that state, after the system call had
 * returned: the kernel must already have invalidated every CPU's TLB, so
 * the access must behave exactly as the state says (the new generation's
 * value; a fault after munmap; a fault for a write after mprotect RO;
 * zero after madvise(MADV_DONTNEED)).  Anything else is a violation: a
 * stale translation was used.  Accesses that overlap a change are only
 * checked for values that no correct kernel can produce (another page's
 * stamp).  x86 keeps loads in order, so the two reads of the sequence
 * word bracket the access.
 *
 * Stress around it: more worker threads than CPUs (context switches),
 * some moving between CPUs with sched_setaffinity while shootdowns are
 * in flight, some sleeping between accesses (idle targets); whole 2 MiB
 * and 1 GiB aligned regions unmapped and remapped so that page-table
 * pages are freed and reused.  Several copies may run at once (several
 * processes sharing the CPUs).
 *
 * --selftest skips the controller's system call while still publishing
 * the new state, which is exactly what a kernel that forgot the
 * shootdown looks like from user mode: every scenario must then report
 * violations, and the program must fail.  It shows the checks can fail.
 *
 * Only system calls the pcoherence kernel implements are used (mmap,
 * munmap, mprotect, madvise, clone via pthreads, futex, sched_*affinity,
 * nanosleep, clock_gettime, rt_sigaction, write).
 */
#include "utest.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define PGSZ         4096ul
#define MAXTHR       16
#define MAXVIOL      8 /* violations printed per scenario */
#define MINCHANGES   8
#define MB2          (2ul << 20)
#define GB1          (1ul << 30)
#define STAMP(g, i)  (((uint64_t)(g) << 20) | ((uint64_t)(i)&0xfffff))
#define STAMP_IDX(w) ((w)&0xfffff)

/*
 * Probes: one load or store that may fault.  The SIGSEGV handler sees
 * the faulting RIP at probe_*_insn and resumes at probe_fail, which
 * returns 1; no setjmp, no system call on the fast path.
 */
int probe_load(const volatile uint64_t *p, uint64_t *out);
int probe_store(volatile uint64_t *p, uint64_t v);
extern char probe_load_insn[], probe_store_insn[], probe_fail[];
__asm__(".text\n"
        ".globl probe_load\n"
        "probe_load:\n"
        "probe_load_insn:\n"
        "	movq (%rdi), %rax\n"
        "	movq %rax, (%rsi)\n"
        "	xorl %eax, %eax\n"
        "	ret\n"
        ".globl probe_store\n"
        "probe_store:\n"
        "probe_store_insn:\n"
        "	movq %rsi, (%rdi)\n"
        "	xorl %eax, %eax\n"
        "	ret\n"
        "probe_fail:\n"
        "	movl $1, %eax\n"
        "	ret\n");

static void
onsegv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t rip = uc->uc_mcontext.gregs[REG_RIP];
	char msg[128];
	int n;

	(void)sig;
	if (rip == (greg_t)probe_load_insn || rip == (greg_t)probe_store_insn) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)probe_fail;
		return;
	}
	n = snprintf(msg, sizeof(msg),
	             "# tlbstress: unexpected SIGSEGV at rip %#lx addr %p\n",
	             (unsigned long)rip, si->si_addr);
	(void)!write(1, msg, (size_t)n);
	_exit(99);
}

/* What one scenario does to its range. */
enum op {
	OP_REMAP,    /* mmap MAP_FIXED over the range: new zero pages */
	OP_UNMAP,    /* munmap, then mmap the range back */
	OP_PROTECT,  /* mprotect RW <-> RO */
	OP_DONTNEED, /* madvise(MADV_DONTNEED) then fill again */
};

/* Range states published in the sequence word's upper bits. */
enum state {
	ST_FILLED = 0, /* mapped RW, every stamped word = STAMP(gen, idx) */
	ST_GONE = 1,   /* unmapped: every access faults */
	ST_RO = 2,     /* mapped RO: loads see the stamp, stores fault */
	ST_ZERO = 3,   /* after DONTNEED: loads see 0 */
};

struct scenario {
	const char *name; /* KTAP case name */
	enum op op;
	size_t len;    /* bytes of the range */
	size_t align;  /* its alignment (table pages freed whole) */
	size_t stride; /* bytes between the pages that are used */
	int migrate;   /* workers move between CPUs */
};

static const struct scenario scens[] = {
    {"remap", OP_REMAP, 64 * PGSZ, PGSZ, PGSZ, 0},
    {"unmap_remap", OP_UNMAP, 64 * PGSZ, PGSZ, PGSZ, 0},
    {"mprotect_ro", OP_PROTECT, 64 * PGSZ, PGSZ, PGSZ, 0},
    {"madvise_dontneed", OP_DONTNEED, 64 * PGSZ, PGSZ, PGSZ, 0},
    {"unmap_2m_region", OP_UNMAP, MB2, MB2, 32 * PGSZ, 0},
    {"unmap_1g_region", OP_UNMAP, GB1, GB1, MB2, 0},
    {"remap_migrate", OP_REMAP, 64 * PGSZ, PGSZ, PGSZ, 1},
    {"mprotect_migrate", OP_PROTECT, 64 * PGSZ, PGSZ, PGSZ, 1},
};
#define NSCEN (int)(sizeof(scens) / sizeof(scens[0]))

/* Per-thread counters, one cache line each. */
struct wstat {
	uint64_t checks;     /* accesses made in a stable window */
	uint64_t faults;     /* accesses that faulted */
	uint64_t viol;       /* violations */
	uint64_t migrations; /* sched_setaffinity moves */
	uint64_t pad[4];
};

static struct {
	const struct scenario *sc;
	volatile char *base; /* the range */
	size_t npages;       /* pages used in it */
	uint64_t seq;        /* odd: change in flight; even: state, gen */
	volatile int stop;
	int ncpu, nthr;
	uint64_t seed;
	int nviol_printed;
	struct wstat st[MAXTHR];
} g;

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __thread int cur_cpu; /* where this thread was last pinned */

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % g.ncpu, &set);
	cur_cpu = cpu % g.ncpu;
	return sched_setaffinity(0, sizeof(set), &set);
}

/* seq = gen << 3 | state << 1 | busy */
#define SEQ(gen, st) (((uint64_t)(gen) << 3) | ((uint64_t)(st) << 1))
#define SEQ_BUSY(s)  ((s)&1)
#define SEQ_STATE(s) ((int)(((s) >> 1) & 3))
#define SEQ_GEN(s)   ((s) >> 3)

static __thread int printed_here; /* violation lines this thread printed */

static void
violation(int id, size_t idx, uint64_t s, const char *what, uint64_t got,
          uint64_t want)
{
	g.st[id].viol++;
	/* Two caps: the shared one, and this thread's own (in its TLS),
	 * which still holds when a broken kernel's stale translations
	 * scribble over shared data. */
	if (++printed_here <= MAXVIOL &&
	    __atomic_fetch_add(&g.nviol_printed, 1, __ATOMIC_RELAXED) < MAXVIOL)
		ut_line("# violation: %s: thread %d cpu %d page %zu gen %llu: "
		        "%s (got %#llx, want %#llx)",
		        g.sc->name, id, cur_cpu, idx,
		        (unsigned long long)SEQ_GEN(s), what,
		        (unsigned long long)got, (unsigned long long)want);
}

static void *
worker(void *arg)
{
	int id = (int)(long)arg;
	struct wstat *st = &g.st[id];
	uint64_t r = g.seed * 0x9e3779b97f4a7c15ull + (uint64_t)id + 1;
	/* Roles: some move, some sleep (idle targets), the rest spin. */
	int mover = g.sc->migrate ? id % 2 == 1 : id % 5 == 4;
	int sleeper = id % 4 == 3;
	unsigned long n = 0;

	pin(id);
	printed_here = 0;
	while (!g.stop) {
		size_t idx = rnd(&r) % g.npages;
		size_t word = (rnd(&r) % (PGSZ / 8));
		volatile uint64_t *p =
		    (volatile uint64_t *)(g.base + idx * g.sc->stride) + word;
		uint64_t s1, s2, want, v = 0;
		int fault, st1, wrote = 0;

		n++;
		if (mover && n % 32 == 0) {
			if (pin((int)(rnd(&r) % (uint64_t)g.ncpu)) == 0)
				st->migrations++;
		}
		if (sleeper && n % 16 == 0) {
			struct timespec ts = {0, 200000};

			nanosleep(&ts, NULL);
		}
		s1 = __atomic_load_n(&g.seq, __ATOMIC_ACQUIRE);
		st1 = SEQ_STATE(s1);
		/* mprotect never changes the contents: generation 1. */
		want = g.sc->op == OP_PROTECT ? 1 : SEQ_GEN(s1);
		/* Under mprotect, also try stores (our own word: id's slot). */
		if (g.sc->op == OP_PROTECT && (n & 1)) {
			p = (volatile uint64_t *)(g.base + idx * g.sc->stride) +
			    (PGSZ / 8 - 1 - id);
			fault = probe_store(p, STAMP(want, idx));
			wrote = 1;
		} else {
			fault = probe_load(p, &v);
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&g.seq, __ATOMIC_ACQUIRE);
		if (fault)
			st->faults++;
		if (s1 != s2 || SEQ_BUSY(s1)) {
			/* Overlapped a change: only another page's stamp is
			 * impossible. */
			if (!fault && !wrote && v != 0 && STAMP_IDX(v) != idx)
				violation(id, idx, s1, "foreign page content",
				          v, STAMP(want, idx));
			continue;
		}
		st->checks++;
		switch (st1) {
		case ST_FILLED:
			if (fault)
				violation(id, idx, s1, "fault on a mapped page",
				          0, 0);
			else if (!wrote && v != STAMP(want, idx))
				violation(id, idx, s1, "stale value", v,
				          STAMP(want, idx));
			break;
		case ST_GONE:
			if (!fault)
				violation(id, idx, s1,
				          "access after munmap returned", v, 0);
			break;
		case ST_RO:
			if (wrote && !fault)
				violation(id, idx, s1,
				          "write after mprotect(RO) returned",
				          0, 0);
			else if (!wrote && fault)
				violation(id, idx, s1, "fault reading RO page",
				          0, 0);
			else if (!wrote && v != STAMP(want, idx))
				violation(id, idx, s1, "stale value (RO)", v,
				          STAMP(want, idx));
			break;
		case ST_ZERO:
			if (fault || v != 0)
				violation(id, idx, s1,
				          "nonzero after MADV_DONTNEED", v, 0);
			break;
		}
	}
	return NULL;
}

/* Write every word of the used pages with generation gen's stamps. */
static void
fill(uint64_t gen)
{
	size_t i, w;

	for (i = 0; i < g.npages; i++) {
		volatile uint64_t *p =
		    (volatile uint64_t *)(g.base + i * g.sc->stride);

		for (w = 0; w < PGSZ / 8; w++)
			p[w] = STAMP(gen, i);
	}
}

static void
publish(uint64_t gen, int state)
{
	__atomic_store_n(&g.seq, SEQ(gen, state), __ATOMIC_RELEASE);
}

static void
begin_change(void)
{
	__atomic_store_n(&g.seq, g.seq | 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int
map_fixed(void)
{
	void *q = mmap((void *)g.base, g.sc->len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
	               -1, 0);

	return q == (void *)g.base ? 0 : -1;
}

/* An aligned range: map len + align, keep the aligned part. */
static void *
map_aligned(size_t len, size_t align)
{
	/* NORESERVE: Linux refuses a private writable mapping larger than
	 * RAM otherwise (heuristic overcommit), and 1 GiB is twice -m 512M;
	 * only a page per 2 MiB is ever touched. */
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + len + align > a + len)
		munmap((void *)(a + len), (uintptr_t)p + len + align - a - len);
	return (void *)a;
}

static uint64_t ops_done[NSCEN], checks_done[NSCEN], faults_done[NSCEN],
    viol_done[NSCEN], migr_done[NSCEN];

static int selftest;

static void
run_scenario(int si, uint64_t ms)
{
	const struct scenario *sc = &scens[si];
	pthread_t th[MAXTHR];
	uint64_t gen = 1, t_end, t_busy, ops = 0;
	int i, state = ST_FILLED, err = 0;

	memset(&g.st, 0, sizeof(g.st));
	g.sc = sc;
	g.stop = 0;
	g.nviol_printed = 0;
	g.npages = sc->len / sc->stride;
	if (g.npages > 512)
		g.npages = 512;
	g.base = map_aligned(sc->len, sc->align);
	if (g.base == NULL) {
		ut_line("# %s: cannot map %zu bytes", sc->name, sc->len);
		ut_case_failures++;
		return;
	}
	pin(0);
	fill(gen);
	publish(gen, ST_FILLED);
	for (i = 0; i < g.nthr; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)i);
	t_end = now_ns() + ms * 1000000ull;
	/* At least MINCHANGES changes (slow 1 GiB ones too), within 5x the
	 * scenario's time. */
	while (!err &&
	       (now_ns() < t_end ||
	        (ops < MINCHANGES && now_ns() < t_end + 4 * ms * 1000000ull))) {
		/* Let the workers touch the current state (fill TLBs). */
		t_busy = now_ns() + 20000;
		while (now_ns() < t_busy)
			;
		begin_change();
		gen++;
		switch (sc->op) {
		case OP_REMAP:
			if (!selftest) {
				err = map_fixed();
				fill(gen);
			}
			state = ST_FILLED;
			break;
		case OP_UNMAP:
			if (state == ST_GONE) {
				err = map_fixed();
				fill(gen);
				state = ST_FILLED;
			} else {
				if (!selftest)
					err = munmap((void *)g.base, sc->len);
				state = ST_GONE;
			}
			break;
		case OP_PROTECT:
			if (state == ST_RO) {
				err = mprotect((void *)g.base, sc->len,
				               PROT_READ | PROT_WRITE);
				state = ST_FILLED;
			} else {
				if (!selftest)
					err = mprotect((void *)g.base, sc->len,
					               PROT_READ);
				state = ST_RO;
			}
			/* The stamps stay generation 1 (no refill); gen
			 * still counts changes, so that two stable windows
			 * in the same state never look like one. */
			break;
		case OP_DONTNEED:
			if (state == ST_ZERO) {
				fill(gen);
				state = ST_FILLED;
			} else {
				if (!selftest)
					err = madvise((void *)g.base, sc->len,
					              MADV_DONTNEED);
				state = ST_ZERO;
			}
			break;
		}
		ops++;
		publish(gen, state);
	}
	if (err)
		ut_line("# %s: system call failed: %s", sc->name,
		        strerror(errno));
	g.stop = 1;
	for (i = 0; i < g.nthr; i++)
		pthread_join(th[i], NULL);
	munmap((void *)g.base, sc->len);
	ops_done[si] = ops;
	for (i = 0; i < g.nthr; i++) {
		checks_done[si] += g.st[i].checks;
		faults_done[si] += g.st[i].faults;
		viol_done[si] += g.st[i].viol;
		migr_done[si] += g.st[i].migrations;
	}
	ut_line("# %s: %llu changes, %llu checks, %llu faults, %llu "
	        "violations",
	        sc->name, (unsigned long long)ops,
	        (unsigned long long)checks_done[si],
	        (unsigned long long)faults_done[si],
	        (unsigned long long)viol_done[si]);
	if (err)
		ut_case_failures++;
	if (viol_done[si])
		ut_case_failures++;
	/* A run that checked nothing proves nothing. */
	if (checks_done[si] == 0 || ops < 2) {
		ut_line("# %s: too few changes or checks to judge", sc->name);
		ut_case_failures++;
	}
}

static uint64_t per_ms;
static const char *only; /* --only=NAME,NAME */

static int
chosen(const char *name)
{
	const char *p = only;
	size_t n = strlen(name);

	if (p == NULL)
		return 1;
	for (; p != NULL && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static void
run_all(void)
{
	int i;

	for (i = 0; i < NSCEN; i++) {
		if (!chosen(scens[i].name)) {
			ut_line("ok %d %s # SKIP not in --only", ++ut_case_no,
			        scens[i].name);
			continue;
		}
		ut_case_name = scens[i].name;
		ut_case_failures = 0;
		run_scenario(i, per_ms);
		ut_case_no++;
		if (ut_case_failures) {
			ut_failed_cases++;
			ut_line("not ok %d %s", ut_case_no, scens[i].name);
		} else {
			ut_line("ok %d %s", ut_case_no, scens[i].name);
		}
	}
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	cpu_set_t set;
	double secs = 6;
	uint64_t tot[5] = {0};
	int i;

	if (argc > 1)
		secs = atof(argv[1]);
	g.seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--selftest") == 0)
			selftest = 1;
		else if (strncmp(argv[i], "--only=", 7) == 0)
			only = argv[i] + 7;
		else {
			ut_line("# tlbstress: unknown argument '%s'", argv[i]);
			return 2;
		}
	}
	if (!(secs > 0 && secs <= 3600)) {
		ut_line("# tlbstress: SECONDS must be in (0, 3600]");
		return 2;
	}
	if (g.seed == 0)
		g.seed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = onsegv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	g.ncpu = 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		g.ncpu = CPU_COUNT(&set);
	/* One more worker than CPUs beyond CPU 0: the controller's CPU is
	 * shared too, so there are always context switches. */
	g.nthr = g.ncpu + 2 > MAXTHR ? MAXTHR : g.ncpu + 2;
	per_ms = (uint64_t)(secs * 1000 / NSCEN);
	if (per_ms < 50)
		per_ms = 50;
	ut_begin("tlbstress", NSCEN);
	ut_line("# tlbstress: %d CPUs, %d workers, %llu ms per scenario, "
	        "seed %llu%s",
	        g.ncpu, g.nthr, (unsigned long long)per_ms,
	        (unsigned long long)g.seed,
	        selftest ? ", SELFTEST (system calls skipped: must fail)" : "");
	run_all();
	ut_line("# %-18s %10s %12s %10s %10s %10s", "scenario", "changes",
	        "checks", "faults", "migrations", "violations");
	for (i = 0; i < NSCEN; i++) {
		ut_line("# %-18s %10llu %12llu %10llu %10llu %10llu",
		        scens[i].name, (unsigned long long)ops_done[i],
		        (unsigned long long)checks_done[i],
		        (unsigned long long)faults_done[i],
		        (unsigned long long)migr_done[i],
		        (unsigned long long)viol_done[i]);
		tot[0] += ops_done[i];
		tot[1] += checks_done[i];
		tot[2] += faults_done[i];
		tot[3] += migr_done[i];
		tot[4] += viol_done[i];
	}
	ut_line("# %-18s %10llu %12llu %10llu %10llu %10llu", "total",
	        (unsigned long long)tot[0], (unsigned long long)tot[1],
	        (unsigned long long)tot[2], (unsigned long long)tot[3],
	        (unsigned long long)tot[4]);
	return ut_end();
}
