/*
 * Host tests for <sys/cpumask.h> and sys/kern/subr_cpumask.c.
 *
 * The single-threaded tests cover the word boundaries (bits 0, 63, 64 and
 * MAXCPU - 1), iteration, set algebra with aliasing and the range
 * formatter including truncation.  The threaded tests run under
 * ThreadSanitizer with pthreads standing in for CPUs: owners toggle their
 * own bits while a snapshotter copies the mask, racing test-and-set /
 * test-and-clear elect exactly one winner per bit, and a store-buffering
 * litmus test checks the seq_cst claim in the header (set my bit, then
 * test yours: both sides can never miss each other).
 */
/* HTEST_SAN: thread */
/* HTEST_SRCS: sys/kern/subr_cpumask.c */
#include <sys/cpumask.h>

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "htest.h"

_Static_assert(MAXCPU >= 128, "these tests assume at least two words");

static void
test_set_clear(void)
{
	static const int bits[] = {0, 63, 64, MAXCPU - 1};
	cpumask_t m = CPUMASK_INITIALIZER, s;

	HT_CHECK(cpumask_isempty(&m));
	HT_CHECK_EQ(cpumask_count(&m), 0);
	for (size_t i = 0; i < nitems(bits); i++) {
		HT_CHECK(!cpumask_test(&m, bits[i]));
		cpumask_set(&m, bits[i]);
		HT_CHECK(cpumask_test(&m, bits[i]));
		HT_CHECK_EQ(cpumask_count(&m), (int)i + 1);
		s = cpumask_single(bits[i]);
		HT_CHECK_EQ(cpumask_count(&s), 1);
		HT_CHECK(cpumask_test(&s, bits[i]));
	}
	/* Neighbours of the boundary bits stay clear. */
	HT_CHECK(!cpumask_test(&m, 1));
	HT_CHECK(!cpumask_test(&m, 62));
	HT_CHECK(!cpumask_test(&m, 65));
	HT_CHECK(!cpumask_test(&m, MAXCPU - 2));
	HT_CHECK(!cpumask_isempty(&m));
	cpumask_set(&m, 63); /* idempotent */
	HT_CHECK_EQ(cpumask_count(&m), 4);
	cpumask_clear(&m, 63);
	HT_CHECK(!cpumask_test(&m, 63));
	HT_CHECK(cpumask_test(&m, 64));
	cpumask_clear(&m, 63); /* idempotent */
	HT_CHECK_EQ(cpumask_count(&m), 3);
	CPUMASK_ZERO(m);
	HT_CHECK(cpumask_isempty(&m));

	/* Every bit individually, and all at once. */
	for (int c = 0; c < MAXCPU; c++)
		cpumask_set(&m, c);
	HT_CHECK_EQ(cpumask_count(&m), MAXCPU);
	for (int c = 0; c < MAXCPU; c++) {
		s = cpumask_single(c);
		HT_CHECK_EQ(cpumask_first(&s), c);
		HT_CHECK_EQ(cpumask_next(&s, c), -1);
	}
}

static void
test_popcount(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	HT_CHECK_EQ(cpumask_popcount64(0), 0);
	HT_CHECK_EQ(cpumask_popcount64(~0ULL), 64);
	HT_CHECK_EQ(cpumask_popcount64(1ULL << 63), 1);
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		HT_CHECK_EQ(cpumask_popcount64(x), __builtin_popcountll(x));
	}
}

static void
test_iterate(void)
{
	static const int bits[] = {0, 63, 64, 100, MAXCPU - 1};
	cpumask_t m = CPUMASK_INITIALIZER;
	int cpu, n;

	HT_CHECK_EQ(cpumask_first(&m), -1);
	HT_CHECK_EQ(cpumask_next(&m, -1), -1);
	n = 0;
	CPUMASK_FOREACH(cpu, &m)
	{
		n++;
	}
	HT_CHECK_EQ(n, 0);

	for (size_t i = 0; i < nitems(bits); i++)
		cpumask_set(&m, bits[i]);
	HT_CHECK_EQ(cpumask_first(&m), 0);
	HT_CHECK_EQ(cpumask_next(&m, -1), 0);
	HT_CHECK_EQ(cpumask_next(&m, 0), 63);
	HT_CHECK_EQ(cpumask_next(&m, 62), 63);
	HT_CHECK_EQ(cpumask_next(&m, 63), 64);
	HT_CHECK_EQ(cpumask_next(&m, 64), 100);
	HT_CHECK_EQ(cpumask_next(&m, 100), MAXCPU - 1);
	HT_CHECK_EQ(cpumask_next(&m, MAXCPU - 2), MAXCPU - 1);
	HT_CHECK_EQ(cpumask_next(&m, MAXCPU - 1), -1);
	HT_CHECK_EQ(cpumask_next(&m, MAXCPU), -1);
	HT_CHECK_EQ(cpumask_next(&m, -5), 0);

	n = 0;
	CPUMASK_FOREACH(cpu, &m)
	{
		HT_CHECK(n < (int)nitems(bits));
		if (n < (int)nitems(bits))
			HT_CHECK_EQ(cpu, bits[n]);
		n++;
	}
	HT_CHECK_EQ(n, (int)nitems(bits));

	/* Clearing ahead of the cursor skips; the loop re-reads. */
	n = 0;
	CPUMASK_FOREACH(cpu, &m)
	{
		if (cpu == 0)
			cpumask_clear(&m, 64);
		n++;
	}
	HT_CHECK_EQ(n, (int)nitems(bits) - 1);

	/* Only the top bit. */
	CPUMASK_ZERO(m);
	cpumask_set(&m, MAXCPU - 1);
	HT_CHECK_EQ(cpumask_first(&m), MAXCPU - 1);
}

static void
test_algebra(void)
{
	cpumask_t a = CPUMASK_INITIALIZER, b = CPUMASK_INITIALIZER, d;

	cpumask_set(&a, 0);
	cpumask_set(&a, 64);
	cpumask_set(&a, MAXCPU - 1);
	cpumask_set(&b, 64);
	cpumask_set(&b, 65);

	cpumask_and(&d, &a, &b);
	HT_CHECK_EQ(cpumask_count(&d), 1);
	HT_CHECK(cpumask_test(&d, 64));
	cpumask_or(&d, &a, &b);
	HT_CHECK_EQ(cpumask_count(&d), 4);
	cpumask_andnot(&d, &a, &b);
	HT_CHECK_EQ(cpumask_count(&d), 2);
	HT_CHECK(cpumask_test(&d, 0) && cpumask_test(&d, MAXCPU - 1));

	HT_CHECK(!cpumask_equal(&a, &b));
	d = a;
	HT_CHECK(cpumask_equal(&a, &d));
	cpumask_clear(&d, MAXCPU - 1);
	HT_CHECK(!cpumask_equal(&a, &d));

	/* dst aliasing a source. */
	d = a;
	cpumask_and(&d, &d, &b);
	HT_CHECK_EQ(cpumask_count(&d), 1);
	d = a;
	cpumask_or(&d, &b, &d);
	HT_CHECK_EQ(cpumask_count(&d), 4);
	d = a;
	cpumask_andnot(&d, &d, &d);
	HT_CHECK(cpumask_isempty(&d));
}

static void
check_fmt(const cpumask_t *m, const char *want)
{
	char buf[4096];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = cpumask_snprintf(buf, sizeof(buf), m);
	HT_CHECK_EQ(n, (long long)strlen(want));
	HT_CHECK(strcmp(buf, want) == 0);
	if (strcmp(buf, want) != 0)
		printf("    # got \"%s\" want \"%s\"\n", buf, want);
}

static void
test_snprintf(void)
{
	cpumask_t m = CPUMASK_INITIALIZER;
	char want[64], buf[8];
	int n;

	check_fmt(&m, "");
	cpumask_set(&m, 0);
	check_fmt(&m, "0");
	cpumask_set(&m, 1);
	check_fmt(&m, "0-1");
	cpumask_set(&m, 2);
	cpumask_set(&m, 3);
	cpumask_set(&m, 5);
	cpumask_set(&m, 7);
	check_fmt(&m, "0-3,5,7");

	CPUMASK_ZERO(m);
	cpumask_set(&m, 63);
	cpumask_set(&m, 64);
	check_fmt(&m, "63-64");
	cpumask_set(&m, MAXCPU - 1);
	snprintf(want, sizeof(want), "63-64,%d", MAXCPU - 1);
	check_fmt(&m, want);
	cpumask_set(&m, MAXCPU - 2);
	snprintf(want, sizeof(want), "63-64,%d-%d", MAXCPU - 2, MAXCPU - 1);
	check_fmt(&m, want);

	CPUMASK_ZERO(m);
	for (int c = 0; c < MAXCPU; c++)
		cpumask_set(&m, c);
	snprintf(want, sizeof(want), "0-%d", MAXCPU - 1);
	check_fmt(&m, want);

	/* Every even CPU: no ranges at all. */
	CPUMASK_ZERO(m);
	for (int c = 0; c < MAXCPU; c += 2)
		cpumask_set(&m, c);
	{
		char big[4096];
		size_t len = 0;

		for (int c = 0; c < MAXCPU; c += 2)
			len += snprintf(big + len, sizeof(big) - len, "%s%d",
			                c ? "," : "", c);
		check_fmt(&m, big);
	}

	/* Truncation behaves like snprintf. */
	CPUMASK_ZERO(m);
	for (int c = 0; c < 4; c++)
		cpumask_set(&m, c);
	cpumask_set(&m, 100);
	cpumask_set(&m, 127);
	memset(buf, 'x', sizeof(buf));
	n = cpumask_snprintf(buf, sizeof(buf), &m); /* "0-3,100,127" */
	HT_CHECK_EQ(n, 11);
	HT_CHECK(strcmp(buf, "0-3,100") == 0);
	memset(buf, 'x', sizeof(buf));
	n = cpumask_snprintf(buf, 1, &m);
	HT_CHECK_EQ(n, 11);
	HT_CHECK_EQ(buf[0], '\0');
	HT_CHECK_EQ(buf[1], 'x');
	memset(buf, 'x', sizeof(buf));
	n = cpumask_snprintf(buf, 0, &m);
	HT_CHECK_EQ(n, 11);
	HT_CHECK_EQ(buf[0], 'x');
	n = cpumask_snprintf(NULL, 0, &m);
	HT_CHECK_EQ(n, 11);
}

static void
test_atomic_single(void)
{
	cpumask_t m = CPUMASK_INITIALIZER, c;

	cpumask_atomic_set(&m, 64);
	cpumask_atomic_set_relaxed(&m, 0);
	HT_CHECK(cpumask_atomic_test(&m, 64));
	HT_CHECK(cpumask_atomic_test_relaxed(&m, 0));
	HT_CHECK(!cpumask_atomic_test(&m, 63));
	HT_CHECK(!cpumask_atomic_testandset(&m, MAXCPU - 1));
	HT_CHECK(cpumask_atomic_testandset(&m, MAXCPU - 1));
	cpumask_copy_atomic(&c, &m);
	HT_CHECK(cpumask_equal(&c, &m));
	HT_CHECK_EQ(cpumask_count(&c), 3);
	HT_CHECK(cpumask_atomic_testandclear(&m, MAXCPU - 1));
	HT_CHECK(!cpumask_atomic_testandclear(&m, MAXCPU - 1));
	cpumask_atomic_clear(&m, 64);
	cpumask_atomic_clear_relaxed(&m, 0);
	HT_CHECK(cpumask_isempty(&m));
}

/*
 * Owners and a snapshotter.  Owner t owns every CPU c with
 * c % OWN_STRIDE == t (so every word has bits of every owner); CPUs with
 * c % OWN_STRIDE >= OWN_THREADS are never set by anyone.
 */
#define OWN_THREADS 4
#define OWN_STRIDE  8
#define OWN_ROUNDS  20000

static cpumask_t own_mask; /* the shared mask under test */
static int own_running;    /* owners still looping (atomic) */
static int own_snap_bad;   /* snapshots holding an unowned bit */
static long own_snaps;     /* snapshots taken */
static int own_final_bad;  /* owners whose final state was wrong */

static void *
own_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int r = 0; r < OWN_ROUNDS; r++) {
		for (int c = t; c < MAXCPU; c += OWN_STRIDE) {
			if (r & 1)
				cpumask_atomic_set_relaxed(&own_mask, c);
			else
				cpumask_atomic_set(&own_mask, c);
		}
		for (int c = t; c < MAXCPU; c += OWN_STRIDE) {
			/* Nobody else touches our bits: they must be set. */
			if (!cpumask_atomic_test(&own_mask, c))
				__atomic_fetch_add(&own_final_bad, 1,
				                   __ATOMIC_RELAXED);
			if (r & 1)
				cpumask_atomic_clear(&own_mask, c);
			else
				cpumask_atomic_clear_relaxed(&own_mask, c);
		}
	}
	/* Leave bit t set so the final mask is predictable. */
	cpumask_atomic_set(&own_mask, t);
	__atomic_fetch_sub(&own_running, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *
snap_thread(void *arg)
{
	cpumask_t s;
	int cpu;

	(void)arg;
	while (__atomic_load_n(&own_running, __ATOMIC_ACQUIRE) > 0) {
		cpumask_copy_atomic(&s, &own_mask);
		CPUMASK_FOREACH(cpu, &s)
		{
			if (cpu % OWN_STRIDE >= OWN_THREADS)
				own_snap_bad++;
		}
		own_snaps++;
	}
	return NULL;
}

static void
test_atomic_owners(void)
{
	pthread_t th[OWN_THREADS], snap;
	cpumask_t want = CPUMASK_INITIALIZER;

	CPUMASK_ZERO(own_mask);
	own_running = OWN_THREADS;
	own_snap_bad = own_final_bad = 0;
	own_snaps = 0;
	pthread_create(&snap, NULL, snap_thread, NULL);
	for (int t = 0; t < OWN_THREADS; t++)
		pthread_create(&th[t], NULL, own_thread, (void *)(intptr_t)t);
	for (int t = 0; t < OWN_THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_join(snap, NULL);

	for (int t = 0; t < OWN_THREADS; t++)
		cpumask_set(&want, t);
	HT_CHECK(cpumask_equal(&own_mask, &want));
	HT_CHECK_EQ(own_snap_bad, 0);
	HT_CHECK_EQ(own_final_bad, 0);
	printf("    # %ld snapshots\n", own_snaps);
}

/* Racing test-and-set / test-and-clear: one winner per bit. */
#define RACE_THREADS 4
#define RACE_ROUNDS  400

static cpumask_t race_mask;         /* contended mask */
static int race_wins[RACE_THREADS]; /* per thread, this round */
static pthread_barrier_t race_bar;  /* round start/stop */

static void *
race_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int r = 0; r < RACE_ROUNDS; r++) {
		pthread_barrier_wait(&race_bar);
		/* Different threads walk in different orders. */
		for (int i = 0; i < MAXCPU; i++) {
			int c = (t & 1) ? MAXCPU - 1 - i : i;

			if ((r & 1) == 0) {
				if (!cpumask_atomic_testandset(&race_mask, c))
					race_wins[t]++;
			} else {
				if (cpumask_atomic_testandclear(&race_mask, c))
					race_wins[t]++;
			}
		}
		pthread_barrier_wait(&race_bar);
	}
	return NULL;
}

static void
test_atomic_race(void)
{
	pthread_t th[RACE_THREADS];
	int total = 0;

	CPUMASK_ZERO(race_mask);
	memset(race_wins, 0, sizeof(race_wins));
	pthread_barrier_init(&race_bar, NULL, RACE_THREADS);
	for (int t = 0; t < RACE_THREADS; t++)
		pthread_create(&th[t], NULL, race_thread, (void *)(intptr_t)t);
	for (int t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&race_bar);
	for (int t = 0; t < RACE_THREADS; t++)
		total += race_wins[t];
	/* Each round every bit flips once, by exactly one winner. */
	HT_CHECK_EQ(total, RACE_ROUNDS * MAXCPU);
	HT_CHECK(cpumask_isempty(&race_mask)); /* RACE_ROUNDS is even */
}

/*
 * Store buffering: A sets bit 0 then tests bit 64, B sets bit 64 then
 * tests bit 0 (different words, so no single-location coherence helps).
 * With seq_cst RMW + seq_cst load at least one must see the other.
 */
#define SB_ROUNDS 100000

static cpumask_t sb_mask; /* bits 0 and 64 */
static int sb_go[2];      /* per side: round it may start (atomic) */
static int sb_seen[2];    /* per side: result of its test (atomic) */
static int sb_done[2];    /* per side: last round finished (atomic) */

static void *
sb_thread(void *arg)
{
	int me = (int)(intptr_t)arg;
	int mine = me ? 64 : 0, theirs = me ? 0 : 64;

	for (int r = 1; r <= SB_ROUNDS; r++) {
		while (__atomic_load_n(&sb_go[me], __ATOMIC_ACQUIRE) != r)
			sched_yield();
		cpumask_atomic_set(&sb_mask, mine);
		__atomic_store_n(&sb_seen[me],
		                 cpumask_atomic_test(&sb_mask, theirs),
		                 __ATOMIC_RELAXED);
		__atomic_store_n(&sb_done[me], r, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
test_atomic_store_buffering(void)
{
	pthread_t th[2];
	int both_missed = 0;

	CPUMASK_ZERO(sb_mask);
	for (int i = 0; i < 2; i++) {
		sb_go[i] = sb_done[i] = 0;
		pthread_create(&th[i], NULL, sb_thread, (void *)(intptr_t)i);
	}
	for (int r = 1; r <= SB_ROUNDS; r++) {
		cpumask_atomic_clear(&sb_mask, 0);
		cpumask_atomic_clear(&sb_mask, 64);
		__atomic_store_n(&sb_go[0], r, __ATOMIC_RELEASE);
		__atomic_store_n(&sb_go[1], r, __ATOMIC_RELEASE);
		for (int i = 0; i < 2; i++)
			while (__atomic_load_n(&sb_done[i], __ATOMIC_ACQUIRE) !=
			       r)
				sched_yield();
		if (!__atomic_load_n(&sb_seen[0], __ATOMIC_RELAXED) &&
		    !__atomic_load_n(&sb_seen[1], __ATOMIC_RELAXED))
			both_missed++;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	HT_CHECK_EQ(both_missed, 0);
}

int
main(void)
{
	ht_begin();
	printf("# MAXCPU=%d\n", MAXCPU);
	ht_run("cpumask_set_clear", test_set_clear);
	ht_run("cpumask_popcount", test_popcount);
	ht_run("cpumask_iterate", test_iterate);
	ht_run("cpumask_algebra", test_algebra);
	ht_run("cpumask_snprintf", test_snprintf);
	ht_run("cpumask_atomic_single", test_atomic_single);
	ht_run("cpumask_atomic_owners", test_atomic_owners);
	ht_run("cpumask_atomic_race", test_atomic_race);
	ht_run("cpumask_atomic_store_buffering", test_atomic_store_buffering);
	return ht_done();
}
