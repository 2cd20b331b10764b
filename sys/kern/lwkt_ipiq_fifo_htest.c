/*
 * Host tests for the IPI message FIFO (sys/kern/lwkt_ipiq_fifo.c) under
 * ThreadSanitizer, with pthreads standing in for CPUs.
 *
 * Single-threaded tests pin down the edge behaviour: full/empty, the
 * half-full threshold, drain limits, completion (xindex), index
 * wrap-around and nested drains.  The threaded tests are:
 *
 *  - completion: a sender waits with ipiq_fifo_done() for each message and
 *    then reads, non-atomically, what the message function wrote; TSan
 *    flags it if done() does not order the function's effects before the
 *    sender's read.
 *
 *  - all-to-all: NCPU threads own an NCPU x NCPU matrix of FIFOs (one per
 *    source/target pair).  Every thread sends to every other thread while
 *    draining its own inbound FIFOs.  A put that finds the FIFO full
 *    drains the sender's own inbound FIFOs and retries: this is the
 *    backpressure rule that keeps two CPUs flooding each other from
 *    deadlocking.  Each message carries (source, per-pair sequence) and
 *    the receiver checks that every pair's sequence goes up by exactly 1;
 *    at the end the exact counts prove nothing was lost or duplicated.
 *    Half the FIFOs start with their indexes just below 2^32 so the
 *    free-running indexes wrap during the run, and every WAIT_EVERY-th
 *    message the sender waits for its completion.
 *
 * Usage: PROG [total-messages [threads]]; defaults fit ~10 s on two
 * cores under TSan.  lwkt_ipiq_fifo_small_htest.c re-runs all of this
 * with an 8-entry FIFO.
 */
/* HTEST_SAN: thread */
/* HTEST_SRCS: sys/kern/lwkt_ipiq_fifo.c */
#include <sys/ipiq.h>
#include <sys/systm.h>

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htest.h"

#define AA_DEFAULT_TOTAL   4000000 /* all-to-all messages, all pairs */
#define AA_DEFAULT_THREADS 8
#define AA_MAX_THREADS     64
#define WAIT_EVERY         1000 /* completion-wait every Nth per pair */
#define WRAP_START         (UINT32_MAX - 1000u) /* indexes wrap soon */

static long aa_total = AA_DEFAULT_TOTAL;     /* from argv[1] */
static int aa_nthreads = AA_DEFAULT_THREADS; /* from argv[2] */

/* Put q in the empty state with every index at start (white box). */
static void
fifo_init_at(struct lwkt_ipiq *q, uint32_t start)
{
	ipiq_fifo_init(q);
	q->ip_windex = q->ip_rcache = start;
	q->ip_rindex = q->ip_xindex = start;
}

static struct lwkt_ipiq *
fifo_alloc(size_t n)
{
	void *p = aligned_alloc(IPIQ_CACHE_LINE, n * sizeof(struct lwkt_ipiq));

	if (p == NULL)
		panic("out of memory");
	return p;
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Single-threaded tests: a log of which arg2 values ran, in order. */
static uint64_t st_log[8 * IPIQ_FIFO_SIZE + 16]; /* arg2 of each run */
static int st_nlog;                              /* entries in st_log */
static void *st_frame_seen;                      /* last frame passed */

static void
st_record(void *arg1, uint64_t arg2, void *frame)
{
	(void)arg1;
	if (st_nlog < (int)nitems(st_log))
		st_log[st_nlog] = arg2;
	st_nlog++;
	st_frame_seen = frame;
}

static void
test_fill_drain(void)
{
	struct lwkt_ipiq *q = fifo_alloc(1);
	int frame;
	uint32_t seq;
	bool ok;

	ipiq_fifo_init(q);
	st_nlog = 0;
	HT_CHECK_EQ(ipiq_fifo_count(q), 0);
	HT_CHECK(!ipiq_fifo_half_full(q));
	HT_CHECK_EQ(ipiq_fifo_drain(q, NULL, IPIQ_DRAIN_ALL), 0);
	HT_CHECK_EQ(q->ip_ndrain, 0); /* empty drains are not counted */
	HT_CHECK(!ipiq_fifo_done(q, 0));

	for (uint32_t i = 0; i < IPIQ_FIFO_SIZE; i++) {
		HT_CHECK_EQ(ipiq_fifo_half_full(q), i >= IPIQ_FIFO_SIZE / 2);
		ok = ipiq_fifo_put(q, st_record, NULL, 100 + i, &seq);
		HT_CHECK(ok);
		HT_CHECK_EQ(seq, i);
		HT_CHECK_EQ(ipiq_fifo_count(q), i + 1);
	}
	HT_CHECK(ipiq_fifo_half_full(q));
	/* Full: refused, nothing changes, *seqp untouched. */
	seq = 12345;
	HT_CHECK(!ipiq_fifo_put(q, st_record, NULL, 999, &seq));
	HT_CHECK_EQ(seq, 12345);
	HT_CHECK(!ipiq_fifo_put(q, st_record, NULL, 999, NULL));
	HT_CHECK_EQ(q->ip_nfull, 2);
	HT_CHECK_EQ(q->ip_nput, IPIQ_FIFO_SIZE);
	HT_CHECK_EQ(ipiq_fifo_count(q), IPIQ_FIFO_SIZE);

	/* Drain one: frees exactly one slot and completes exactly one. */
	HT_CHECK_EQ(ipiq_fifo_drain(q, &frame, 1), 1);
	HT_CHECK(st_frame_seen == &frame);
	HT_CHECK(ipiq_fifo_done(q, 0));
	HT_CHECK(!ipiq_fifo_done(q, 1));
	HT_CHECK_EQ(ipiq_fifo_drain(q, NULL, 0), 0);
	HT_CHECK(ipiq_fifo_put(q, st_record, NULL, 100 + IPIQ_FIFO_SIZE, &seq));
	HT_CHECK_EQ(seq, IPIQ_FIFO_SIZE);
	HT_CHECK(!ipiq_fifo_put(q, st_record, NULL, 999, NULL));

	/* Drain with a limit, then everything. */
	HT_CHECK_EQ(ipiq_fifo_drain(q, NULL, 2), 2);
	HT_CHECK(ipiq_fifo_done(q, 2));
	HT_CHECK(!ipiq_fifo_done(q, 3));
	HT_CHECK_EQ(ipiq_fifo_drain(q, NULL, IPIQ_DRAIN_ALL),
	            IPIQ_FIFO_SIZE - 2);
	HT_CHECK_EQ(ipiq_fifo_count(q), 0);
	HT_CHECK(ipiq_fifo_done(q, IPIQ_FIFO_SIZE));
	HT_CHECK(!ipiq_fifo_done(q, IPIQ_FIFO_SIZE + 1));
	HT_CHECK_EQ(q->ip_ndrain, 3);

	/* FIFO order, every message exactly once. */
	HT_CHECK_EQ(st_nlog, IPIQ_FIFO_SIZE + 1);
	for (int i = 0; i < st_nlog && i < (int)nitems(st_log); i++)
		HT_CHECK_EQ(st_log[i], 100 + i);
	free(q);
}

static void
test_wrap(void)
{
	struct lwkt_ipiq *q = fifo_alloc(1);
	uint32_t start = UINT32_MAX - IPIQ_FIFO_SIZE / 2, seq, first = 0;
	uint64_t next = 0, ran;
	int batch;

	fifo_init_at(q, start);
	st_nlog = 0;
	ran = 0;
	/* Batches of 1..SIZE messages across the wrap, several times round. */
	for (int round = 0; round < 8; round++) {
		batch = 1 + (round * 5) % IPIQ_FIFO_SIZE;
		if (round == 3)
			batch = IPIQ_FIFO_SIZE;
		for (int i = 0; i < batch; i++) {
			HT_CHECK(ipiq_fifo_put(q, st_record, NULL, next, &seq));
			HT_CHECK_EQ(seq, (uint32_t)(start + next));
			if (i == 0)
				first = seq;
			next++;
		}
		HT_CHECK_EQ(ipiq_fifo_count(q), batch);
		HT_CHECK(!ipiq_fifo_done(q, first));
		HT_CHECK_EQ(ipiq_fifo_drain(q, NULL, IPIQ_DRAIN_ALL), batch);
		ran += batch;
		HT_CHECK(ipiq_fifo_done(q, first));
		HT_CHECK(ipiq_fifo_done(q, seq));
		HT_CHECK(!ipiq_fifo_done(q, seq + 1));
		/* An index from before the wrap still reads as done. */
		HT_CHECK(ipiq_fifo_done(q, start));
	}
	HT_CHECK((uint32_t)(start + next) < start); /* we did wrap */
	HT_CHECK_EQ(st_nlog, ran);
	for (int i = 0; i < st_nlog && i < (int)nitems(st_log); i++)
		HT_CHECK_EQ(st_log[i], i);
	free(q);
}

/*
 * Nested drain: the function for index 1 re-enters the drain on its own
 * FIFO (as a full send's backpressure path would).  The nested level
 * must run 2.. without repeating 0 or 1, and must not advance xindex past
 * 1 while 1 is still running.
 */
static struct lwkt_ipiq *nest_q; /* FIFO under test */
static int nest_inner_ran;       /* messages run by the nested drain */
static bool nest_done1_inside;   /* done(1) as seen inside message 1 */
static bool nest_done0_inside;   /* done(0) as seen inside message 1 */

static void
nest_func(void *arg1, uint64_t arg2, void *frame)
{
	st_record(arg1, arg2, frame);
	if (arg2 == 1) {
		nest_inner_ran = ipiq_fifo_drain(nest_q, frame, IPIQ_DRAIN_ALL);
		nest_done0_inside = ipiq_fifo_done(nest_q, 0);
		nest_done1_inside = ipiq_fifo_done(nest_q, 1);
	}
}

static void
test_nested_drain(void)
{
	int n = IPIQ_FIFO_SIZE < 6 ? IPIQ_FIFO_SIZE : 6;

	nest_q = fifo_alloc(1);
	ipiq_fifo_init(nest_q);
	st_nlog = 0;
	for (int i = 0; i < n; i++)
		HT_CHECK(ipiq_fifo_put(nest_q, nest_func, NULL, i, NULL));
	HT_CHECK_EQ(ipiq_fifo_drain(nest_q, NULL, IPIQ_DRAIN_ALL), 2);
	HT_CHECK_EQ(nest_inner_ran, n - 2);
	HT_CHECK(nest_done0_inside);
	HT_CHECK(!nest_done1_inside);
	HT_CHECK(ipiq_fifo_done(nest_q, n - 1));
	HT_CHECK_EQ(st_nlog, n);
	for (int i = 0; i < st_nlog; i++)
		HT_CHECK_EQ(st_log[i], i);
	HT_CHECK_EQ(nest_q->ip_depth, 0);
	free(nest_q);
}

/*
 * Completion: the message function writes plain variables; the sender
 * reads them plainly once ipiq_fifo_done() says the message ran.
 */
#define CW_MESSAGES 20000

static struct lwkt_ipiq *cw_q; /* sender -> receiver */
static uint64_t cw_value;      /* last arg2 run (plain on purpose) */
static uint64_t cw_sum;        /* sum of arg2 run (plain on purpose) */
static int cw_stop;            /* sender finished (atomic) */

static void
cw_func(void *arg1, uint64_t arg2, void *frame)
{
	(void)arg1;
	(void)frame;
	cw_value = arg2;
	cw_sum += arg2;
}

static void *
cw_receiver(void *arg)
{
	(void)arg;
	for (;;) {
		bool stop = __atomic_load_n(&cw_stop, __ATOMIC_ACQUIRE);

		if (ipiq_fifo_drain(cw_q, NULL, IPIQ_DRAIN_ALL) == 0) {
			if (stop)
				break;
			sched_yield();
		}
	}
	return NULL;
}

static void
test_completion_wait(void)
{
	pthread_t th;
	uint64_t sum = 0, v = 0;
	uint32_t seq = 0;
	long bad = 0;

	cw_q = fifo_alloc(1);
	fifo_init_at(cw_q, WRAP_START);
	cw_value = cw_sum = 0;
	cw_stop = 0;
	pthread_create(&th, NULL, cw_receiver, NULL);
	while (v < CW_MESSAGES) {
		/* Batches of 1..4, waiting for the last one of each. */
		int batch = 1 + (int)(v % 4);

		for (int i = 0; i < batch && v < CW_MESSAGES; i++) {
			v++;
			while (!ipiq_fifo_put(cw_q, cw_func, NULL, v, &seq))
				sched_yield();
			sum += v;
		}
		while (!ipiq_fifo_done(cw_q, seq))
			sched_yield();
		/* Plain reads: ordered only by done()'s acquire. */
		if (cw_value != v || cw_sum != sum)
			bad++;
	}
	__atomic_store_n(&cw_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	HT_CHECK_EQ(bad, 0);
	HT_CHECK_EQ(cw_sum, sum);
	HT_CHECK_EQ(cw_q->ip_nput, CW_MESSAGES);
	HT_CHECK_EQ(cw_q->ip_xindex, (uint32_t)(WRAP_START + CW_MESSAGES));
	free(cw_q);
}

/* All-to-all stress. */
struct aa_pair {
	int src;       /* sending thread */
	int dst;       /* receiving thread */
	uint64_t next; /* next expected sequence; receiver writes (atomic) */
	uint64_t bad;  /* order/identity errors; receiver only */
};

struct aa_cpu {
	int id;             /* thread index */
	pthread_t thread;   /* its pthread */
	uint64_t received;  /* messages run on this thread */
	uint64_t sent;      /* messages queued by this thread */
	uint64_t fullwaits; /* puts refused because the FIFO was full */
	uint64_t donewaits; /* completion waits performed */
	uint64_t donebad;   /* completions whose effect was not visible */
	uint64_t halffull;  /* puts that left the FIFO half full */
};

static struct lwkt_ipiq *aa_q; /* [dst * n + src] */
static struct aa_pair *aa_rx;  /* [dst * n + src] */
static struct aa_cpu *aa_cpu;  /* [n] */
static uint64_t aa_per_pair;   /* messages each pair carries */
static int aa_go;              /* start flag (atomic) */

#define AA_IDX(dst, src) ((size_t)(dst) * (size_t)aa_nthreads + (size_t)(src))
#define AA_SRC_SHIFT     48

static void
aa_func(void *arg1, uint64_t arg2, void *frame)
{
	struct aa_pair *p = arg1;
	struct aa_cpu *me = frame;
	uint64_t seq = arg2 & (((uint64_t)1 << AA_SRC_SHIFT) - 1);

	if (me->id != p->dst || (int)(arg2 >> AA_SRC_SHIFT) != p->src ||
	    seq != p->next)
		p->bad++;
	__atomic_store_n(&p->next, seq + 1, __ATOMIC_RELAXED);
	me->received++;
}

/* Run everything queued for this thread; returns how many ran. */
static int
aa_drain_own(struct aa_cpu *me)
{
	int n = 0;

	for (int s = 0; s < aa_nthreads; s++)
		if (s != me->id)
			n += ipiq_fifo_drain(&aa_q[AA_IDX(me->id, s)], me,
			                     IPIQ_DRAIN_ALL);
	return n;
}

static void *
aa_thread(void *arg)
{
	struct aa_cpu *me = arg;
	int n = aa_nthreads;
	uint64_t expect = (uint64_t)(n - 1) * aa_per_pair;
	uint32_t idx;

	while (!__atomic_load_n(&aa_go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (uint64_t seq = 0; seq < aa_per_pair; seq++) {
		/* Start the round at a different target on each thread. */
		for (int k = 1; k < n; k++) {
			int dst = (me->id + k) % n;
			struct lwkt_ipiq *q = &aa_q[AA_IDX(dst, me->id)];
			struct aa_pair *p = &aa_rx[AA_IDX(dst, me->id)];
			uint64_t arg2 =
			    ((uint64_t)me->id << AA_SRC_SHIFT) | seq;

			while (!ipiq_fifo_put(q, aa_func, p, arg2, &idx)) {
				/* Backpressure: make room for others. */
				me->fullwaits++;
				if (aa_drain_own(me) == 0)
					sched_yield();
			}
			me->sent++;
			if (ipiq_fifo_half_full(q))
				me->halffull++;
			if (seq % WAIT_EVERY == WAIT_EVERY - 1) {
				while (!ipiq_fifo_done(q, idx))
					if (aa_drain_own(me) == 0)
						sched_yield();
				me->donewaits++;
				if (__atomic_load_n(&p->next,
				                    __ATOMIC_RELAXED) < seq + 1)
					me->donebad++;
			}
		}
		aa_drain_own(me);
	}
	while (me->received < expect)
		if (aa_drain_own(me) == 0)
			sched_yield();
	return NULL;
}

static void
test_all_to_all(void)
{
	int n = aa_nthreads;
	size_t nq = (size_t)n * (size_t)n;
	uint64_t sent = 0, received = 0, fullwaits = 0, donewaits = 0;
	uint64_t halffull = 0, donebad = 0, bad = 0;
	long qbad = 0;
	double t0, t1;

	aa_per_pair = (uint64_t)aa_total / ((uint64_t)n * (uint64_t)(n - 1));
	if (aa_per_pair == 0)
		aa_per_pair = 1;
	aa_q = fifo_alloc(nq);
	aa_rx = calloc(nq, sizeof(*aa_rx));
	aa_cpu = calloc((size_t)n, sizeof(*aa_cpu));
	if (aa_rx == NULL || aa_cpu == NULL)
		panic("out of memory");
	for (int d = 0; d < n; d++)
		for (int s = 0; s < n; s++) {
			/* Half the FIFOs wrap their indexes mid-run. */
			fifo_init_at(&aa_q[AA_IDX(d, s)],
			             (d + s) % 2 ? WRAP_START : 0);
			aa_rx[AA_IDX(d, s)].src = s;
			aa_rx[AA_IDX(d, s)].dst = d;
		}
	aa_go = 0;
	for (int i = 0; i < n; i++) {
		aa_cpu[i].id = i;
		pthread_create(&aa_cpu[i].thread, NULL, aa_thread, &aa_cpu[i]);
	}
	t0 = now_sec();
	__atomic_store_n(&aa_go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		pthread_join(aa_cpu[i].thread, NULL);
	t1 = now_sec();

	for (int i = 0; i < n; i++) {
		sent += aa_cpu[i].sent;
		received += aa_cpu[i].received;
		fullwaits += aa_cpu[i].fullwaits;
		donewaits += aa_cpu[i].donewaits;
		donebad += aa_cpu[i].donebad;
		halffull += aa_cpu[i].halffull;
		HT_CHECK_EQ(aa_cpu[i].received,
		            (uint64_t)(n - 1) * aa_per_pair);
	}
	for (int d = 0; d < n; d++)
		for (int s = 0; s < n; s++) {
			struct aa_pair *p = &aa_rx[AA_IDX(d, s)];
			struct lwkt_ipiq *q = &aa_q[AA_IDX(d, s)];
			uint32_t start = (d + s) % 2 ? WRAP_START : 0;
			uint64_t want = d == s ? 0 : aa_per_pair;
			uint32_t end = start + (uint32_t)want;

			bad += p->bad;
			if (p->next != want || q->ip_windex != end ||
			    q->ip_rindex != end || q->ip_xindex != end ||
			    q->ip_nput != want || ipiq_fifo_count(q) != 0)
				qbad++;
		}
	HT_CHECK_EQ(sent, (uint64_t)n * (uint64_t)(n - 1) * aa_per_pair);
	HT_CHECK_EQ(received, sent);
	HT_CHECK_EQ(bad, 0);
	HT_CHECK_EQ(qbad, 0);
	HT_CHECK_EQ(donebad, 0);
	printf("    # %d threads, FIFO size %d: %llu messages (%llu per "
	       "pair) in %.2f s, %.0f msg/s\n",
	       n, IPIQ_FIFO_SIZE, (unsigned long long)received,
	       (unsigned long long)aa_per_pair, t1 - t0, received / (t1 - t0));
	printf("    # %llu full-FIFO retries, %llu half-full puts, %llu "
	       "completion waits\n",
	       (unsigned long long)fullwaits, (unsigned long long)halffull,
	       (unsigned long long)donewaits);
	free(aa_q);
	free(aa_rx);
	free(aa_cpu);
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		aa_total = atol(argv[1]);
	if (argc > 2)
		aa_nthreads = atoi(argv[2]);
	if (aa_total < 1 || aa_nthreads < 2 || aa_nthreads > AA_MAX_THREADS) {
		fprintf(stderr, "usage: %s [total-messages [threads 2..%d]]\n",
		        argv[0], AA_MAX_THREADS);
		return 2;
	}
	ht_begin();
	printf("# IPIQ_FIFO_SIZE=%d\n", IPIQ_FIFO_SIZE);
	ht_run("ipiq_fifo_fill_drain", test_fill_drain);
	ht_run("ipiq_fifo_wrap", test_wrap);
	ht_run("ipiq_fifo_nested_drain", test_nested_drain);
	ht_run("ipiq_fifo_completion_wait", test_completion_wait);
	ht_run("ipiq_fifo_all_to_all", test_all_to_all);
	return ht_done();
}
