/*
 * lwkt_bench.c - benchmarks of LWKT inter-CPU messaging (<sys/bench.h>).
 *
 * What they measure.  Each run lasts about bench.ms (p->bp_run_ns) and
 * reports a mean over that run; the framework takes the median of runs.
 * The controller is the "main" thread on CPU 0 ("origin"); "peer" is the
 * next CPU (1).
 *
 *   ipi_pingpong (ns per round trip; modes busy, idle; k = messages in
 *	flight).  The origin queues k "ping" messages to the peer with
 *	lwkt_send_ipiq(); each ping's handler queues a "pong" back; a round
 *	ends when all k pongs have run on the origin, which polls its queues
 *	(lwkt_process_ipiq) meanwhile.  busy: a thread on the peer polls its
 *	queues too and both sides send with lwkt_send_ipiq_passive(): no
 *	hardware IPI at all, this is the FIFO and cache-line transfer cost.
 *	idle: the peer sits in its idle loop (HLT) and every ping must wake
 *	it with a hardware IPI.
 *   ipi_avoided / ipi_msgs_per_ipi (ratio; modes idle, busy; k = sending
 *	CPUs, default all but the target).  The target is the peer.  idle:
 *	it runs nothing but its idle loop (HLT, woken by IPIs).  busy: a
 *	thread on it polls its queues until the senders are done, so it is
 *	draining much of the time.  The k senders (the origin first) each
 *	call lwkt_send_ipiq(target) back to back for the run, then wait for
 *	their last message.  From the senders' own per-CPU counters:
 *	ipi_avoided = sends that needed no hardware IPI (the target was
 *	already draining) / sends; ipi_msgs_per_ipi = sends / hardware IPIs
 *	the senders raised (including the FIFO-full pokes).
 *   ipi_all_to_all (msgs/s; mode busy; k = participating CPUs, default
 *	all).  CPUs 0..k-1 each send to every other participant in turn,
 *	as fast as lwkt_send_ipiq() allows, for the run, then wait until
 *	each of their targets has run their last message.  Messages run
 *	(counted by the receivers, checked against those sent) divided by
 *	the time from the start barrier to the last participant finishing.
 *   lwkt_domsg (ns per round trip; mode block).  A service thread on the
 *	peer loops on lwkt_waitport() and replies with ms_arg + 1; the
 *	origin calls lwkt_domsg() on it back to back.  Both threads block in
 *	the scheduler between messages, so each call is a message, a thread
 *	wakeup on each side and usually a hardware IPI each way.
 *
 * Correctness.  Every counter a message handler bumps is written only by
 * the CPU that runs the handler and is read by the controller after
 * lwkt_wait_ipiq() (acquire on the queue's completion index) or after
 * bench_on_cpus() returns (acquire on its done count), so the reads see
 * the final values.  Lost messages show up as a failed run (a count that
 * does not match or a BENCH_WAIT_NS timeout), never as a number.
 */
#include <sys/bench.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/lwkt_ipiq.h>
#include <sys/msgport.h>
#include <sys/systm.h>
#include <sys/thread.h>

/* A counter on its own cache line, written by one CPU only. */
struct bench_pcpu_count {
	volatile uint64_t n; /* the count */
} __aligned(64);

static int
origin_cpu(void)
{
	return mycpu->gd_cpuid;
}

static int
peer_cpu(void)
{
	return (mycpu->gd_cpuid + 1) % ncpus;
}

/* Both sides poll in busy modes, so no hardware IPI is needed there. */
static void
send_msg(bool passive, int cpu, ipifunc_t fn, void *arg)
{
	if (passive)
		lwkt_send_ipiq_passive(cpu, fn, arg, 0);
	else
		lwkt_send_ipiq(cpu, fn, arg, 0);
}

static const char *
need_two_cpus(struct bench_point *p)
{
	return ncpus < 2 ? "needs two CPUs" : NULL;
}

/* ------------------------------------------------------------------ */
/* ipi_pingpong */

struct pp_run {
	int origin;              /* CPU that sends pings and times */
	int peer;                /* CPU that answers */
	uint64_t k;              /* pings in flight per round */
	bool passive;            /* busy: send without hardware IPIs */
	uint64_t run_ns;         /* run length */
	uint64_t result_ns;      /* out: ns per round */
	const char *err;         /* out: why the run failed */
	volatile uint64_t stop;  /* origin done: the busy peer stops polling */
	volatile uint64_t pongs; /* pongs run on the origin (origin writes) */
};

static void
pp_pong(void *arg1, uint64_t arg2, void *frame)
{
	struct pp_run *r = arg1;

	/* Only the origin runs pongs: a plain increment, published. */
	__atomic_store_n(&r->pongs, r->pongs + 1, __ATOMIC_RELEASE);
}

static void
pp_ping(void *arg1, uint64_t arg2, void *frame)
{
	struct pp_run *r = arg1;

	send_msg(r->passive, r->origin, pp_pong, r);
}

static void
pp_body(int cpu, void *arg)
{
	struct pp_run *r = arg;
	uint64_t t0, t1, rounds = 0, i;

	if (cpu != r->origin) {
		/* busy mode's peer: never halt, poll the queues. */
		while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
			lwkt_process_ipiq();
			cpu_pause_hint();
		}
		return;
	}
	t0 = t1 = nanouptime();
	do {
		uint64_t want = r->pongs + r->k;

		for (i = 0; i < r->k; i++)
			send_msg(r->passive, r->peer, pp_ping, r);
		if (!bench_wait_u64(&r->pongs, want)) {
			r->err = "a pong never came back";
			break;
		}
		rounds++;
		t1 = nanouptime();
	} while (t1 - t0 < r->run_ns);
	if (rounds != 0)
		r->result_ns = (t1 - t0) / rounds;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
}

static const char *
pp_prepare(struct bench_point *p)
{
	if (ncpus < 2)
		return "needs two CPUs";
	if (p->bp_k == BENCH_K_ALL || p->bp_k > IPIQ_FIFO_SIZE / 2)
		return "k must be 1 .. half the IPI FIFO";
	return NULL;
}

static const char *
pp_run(const struct bench_point *p, uint64_t *out)
{
	static struct pp_run r;
	cpumask_t mask;
	const char *err;

	memset(&r, 0, sizeof(r));
	r.origin = origin_cpu();
	r.peer = peer_cpu();
	r.k = p->bp_k;
	r.run_ns = p->bp_run_ns;
	r.passive = strcmp(p->bp_mode, "busy") == 0;
	cpumask_zero(&mask);
	cpumask_set(&mask, r.origin);
	if (r.passive)
		cpumask_set(&mask, r.peer);
	if ((err = bench_on_cpus(&mask, pp_body, &r, NULL)) != NULL)
		return err;
	if (r.err != NULL)
		return r.err;
	out[0] = r.result_ns;
	return NULL;
}

static const struct bench_metric pp_metrics[] = {
    {"ipi_pingpong", "ns", 0},
};

BENCH_DECLARE(ipi_pingpong, .b_name = "ipi_pingpong",
              .b_desc = "IPI-queue round trip CPU 0 <-> CPU 1 (ns)",
              .b_modes = BENCH_MODES("busy", "idle"), .b_ks = BENCH_VALUES(1),
              .b_metrics = pp_metrics, .b_nmetrics = 1, .b_prepare = pp_prepare,
              .b_run = pp_run);

/* ------------------------------------------------------------------ */
/* ipi_avoided */

struct av_run {
	int target;        /* the CPU everybody sends to */
	uint64_t run_ns;   /* run length */
	uint64_t sent;     /* out: messages the senders queued */
	uint64_t avoided;  /* out: of those, sends that raised no IPI */
	uint64_t ipis;     /* out: hardware IPIs the senders raised */
	uint64_t nsenders; /* how many CPUs send */
	volatile uint64_t finished; /* senders done: a busy target stops */
	volatile uint64_t recv;     /* messages run on the target (it writes) */
};

static void
av_recv(void *arg1, uint64_t arg2, void *frame)
{
	struct av_run *r = arg1;

	__atomic_store_n(&r->recv, r->recv + 1, __ATOMIC_RELAXED);
}

static void
av_body(int cpu, void *arg)
{
	struct av_run *r = arg;
	struct pcpu_counters *c = &mycpu->gd_cnt;
	uint64_t sent0 = c->pc_ipiq_sent, avoided0 = c->pc_ipi_avoided;
	uint64_t ipis0 = c->pc_ipi_sent, t0 = nanouptime();
	uint32_t seq = 0;

	if (cpu == r->target) {
		/* busy mode: the target polls until every sender is done. */
		while (__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE) <
		       r->nsenders) {
			lwkt_process_ipiq();
			cpu_pause_hint();
		}
		return;
	}
	do
		seq = lwkt_send_ipiq(r->target, av_recv, r, 0);
	while (nanouptime() - t0 < r->run_ns);
	lwkt_wait_ipiq(r->target, seq);
	/* Our own counters: only this CPU writes them. */
	__atomic_fetch_add(&r->sent, c->pc_ipiq_sent - sent0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->avoided, c->pc_ipi_avoided - avoided0,
	                   __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->ipis, c->pc_ipi_sent - ipis0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->finished, 1, __ATOMIC_RELEASE);
}

static const char *
av_prepare(struct bench_point *p)
{
	if (ncpus < 2)
		return "needs two CPUs";
	if (p->bp_k == BENCH_K_ALL)
		p->bp_k = (uint64_t)ncpus - 1;
	if (p->bp_k > (uint64_t)ncpus - 1)
		return "k (senders) is more than ncpus - 1";
	return NULL;
}

static const char *
av_run(const struct bench_point *p, uint64_t *out)
{
	static struct av_run r;
	cpumask_t mask;
	const char *err;
	uint64_t n = 0;
	int cpu;

	memset(&r, 0, sizeof(r));
	r.target = peer_cpu();
	r.run_ns = p->bp_run_ns;
	/* The first k CPUs other than the target, the origin first. */
	cpumask_zero(&mask);
	for (cpu = origin_cpu(); n < p->bp_k; cpu = (cpu + 1) % ncpus)
		if (cpu != r.target) {
			cpumask_set(&mask, cpu);
			n++;
		}
	r.nsenders = n;
	if (strcmp(p->bp_mode, "busy") == 0)
		cpumask_set(&mask, r.target);
	if ((err = bench_on_cpus(&mask, av_body, &r, NULL)) != NULL)
		return err;
	if (__atomic_load_n(&r.recv, __ATOMIC_ACQUIRE) != r.sent)
		return "the target ran fewer messages than were sent";
	out[0] = r.sent == 0 ? 0 : r.avoided * 1000 / r.sent;
	out[1] = r.sent * 1000 / (r.ipis == 0 ? 1 : r.ipis);
	if (p->bp_run == 1)
		kprintf("# bench: ipi_avoided mode=%s k=%lu run 1: %lu "
		        "messages, %lu avoided, %lu hardware IPIs\n",
		        p->bp_mode, p->bp_k, r.sent, r.avoided, r.ipis);
	return NULL;
}

static const struct bench_metric av_metrics[] = {
    {"ipi_avoided", "ratio", 3},
    {"ipi_msgs_per_ipi", "ratio", 3},
};

BENCH_DECLARE(ipi_avoided, .b_name = "ipi_avoided",
              .b_desc = "k CPUs flood one CPU: share of sends needing no "
                        "hardware IPI",
              .b_modes = BENCH_MODES("idle", "busy"),
              .b_ks = BENCH_VALUES(BENCH_K_ALL), .b_metrics = av_metrics,
              .b_nmetrics = 2, .b_prepare = av_prepare, .b_run = av_run);

/* ------------------------------------------------------------------ */
/* ipi_all_to_all */

static struct bench_pcpu_count a2a_recv_count[MAXCPU]; /* [receiver] */

struct a2a_run {
	cpumask_t mask;         /* participants */
	uint64_t run_ns;        /* sending time */
	volatile uint64_t sent; /* out: messages queued, all senders */
};

static void
a2a_recv(void *arg1, uint64_t arg2, void *frame)
{
	struct bench_pcpu_count *c = &a2a_recv_count[mycpu->gd_cpuid];

	__atomic_store_n(&c->n, c->n + 1, __ATOMIC_RELAXED);
}

static void
a2a_body(int cpu, void *arg)
{
	struct a2a_run *r = arg;
	uint32_t last[MAXCPU];
	uint64_t t0 = nanouptime(), n = 0;
	int dst;

	do {
		CPUMASK_FOREACH(dst, &r->mask)
		{
			if (dst == cpu)
				continue;
			last[dst] = lwkt_send_ipiq(dst, a2a_recv, NULL, 0);
			n++;
		}
	} while (nanouptime() - t0 < r->run_ns);
	CPUMASK_FOREACH(dst, &r->mask)
	{
		if (dst != cpu)
			lwkt_wait_ipiq(dst, last[dst]);
	}
	__atomic_fetch_add(&r->sent, n, __ATOMIC_RELAXED);
}

static const char *
a2a_prepare(struct bench_point *p)
{
	if (p->bp_k == BENCH_K_ALL)
		p->bp_k = (uint64_t)ncpus;
	if (p->bp_k < 2)
		return "needs two CPUs";
	if (p->bp_k > (uint64_t)ncpus)
		return "k (CPUs) is more than ncpus";
	return NULL;
}

static const char *
a2a_run(const struct bench_point *p, uint64_t *out)
{
	static struct a2a_run r;
	uint64_t elapsed, recv = 0;
	const char *err;
	int cpu;

	memset(&r, 0, sizeof(r));
	r.run_ns = p->bp_run_ns;
	cpumask_zero(&r.mask);
	for (cpu = 0; (uint64_t)cpu < p->bp_k; cpu++) {
		cpumask_set(&r.mask, cpu);
		a2a_recv_count[cpu].n = 0;
	}
	if ((err = bench_on_cpus(&r.mask, a2a_body, &r, &elapsed)) != NULL)
		return err;
	for (cpu = 0; (uint64_t)cpu < p->bp_k; cpu++)
		recv +=
		    __atomic_load_n(&a2a_recv_count[cpu].n, __ATOMIC_ACQUIRE);
	if (recv != r.sent)
		return "messages run differ from messages sent";
	out[0] = elapsed == 0 ? 0 : recv * NS_PER_S / elapsed;
	return NULL;
}

static const struct bench_metric a2a_metrics[] = {
    {"ipi_all_to_all", "msgs/s", 0},
};

BENCH_DECLARE(ipi_all_to_all, .b_name = "ipi_all_to_all",
              .b_desc = "every CPU messages every other CPU (msgs/s)",
              .b_modes = BENCH_MODES("busy"), .b_ks = BENCH_VALUES(BENCH_K_ALL),
              .b_metrics = a2a_metrics, .b_nmetrics = 1,
              .b_prepare = a2a_prepare, .b_run = a2a_run);

/* ------------------------------------------------------------------ */
/* lwkt_domsg */

#define DM_CALL 1 /* reply with ms_arg + 1 */
#define DM_QUIT 2 /* reply, then exit */

static struct lwkt_port dm_port;     /* the service thread's port */
static volatile uint64_t dm_started; /* services started so far */

static void
dm_service(void *arg)
{
	struct lwkt_msg *msg;

	lwkt_initport(&dm_port, curthread);
	__atomic_fetch_add(&dm_started, 1, __ATOMIC_RELEASE);
	for (;;) {
		msg = lwkt_waitport(&dm_port);
		if (msg->ms_cmd == DM_QUIT) {
			/* Nothing of ours is touched after this reply. */
			lwkt_replymsg(msg, 0);
			return;
		}
		lwkt_replymsg(msg, (int64_t)msg->ms_arg + 1);
	}
}

static const char *
dm_run(const struct bench_point *p, uint64_t *out)
{
	struct lwkt_msg msg;
	uint64_t t0, t1, n = 0, bad = 0;
	uint64_t started = __atomic_load_n(&dm_started, __ATOMIC_ACQUIRE);

	lwkt_create(dm_service, NULL, "benchsvc", peer_cpu(), TDPRI_SERVICE);
	if (!bench_wait_u64(&dm_started, started + 1))
		return "the service thread never started";
	t0 = nanouptime();
	do {
		lwkt_initmsg(&msg, NULL, DM_CALL, n);
		if (lwkt_domsg(&dm_port, &msg) != (int64_t)n + 1)
			bad++;
		n++;
		t1 = nanouptime();
	} while (t1 - t0 < p->bp_run_ns);
	lwkt_initmsg(&msg, NULL, DM_QUIT, 0);
	lwkt_domsg(&dm_port, &msg);
	if (bad != 0)
		return "a reply carried the wrong result";
	out[0] = (t1 - t0) / n;
	return NULL;
}

static const struct bench_metric dm_metrics[] = {
    {"lwkt_domsg", "ns", 0},
};

BENCH_DECLARE(lwkt_domsg, .b_name = "lwkt_domsg",
              .b_desc = "lwkt_domsg() round trip to a service thread on "
                        "CPU 1 (ns)",
              .b_modes = BENCH_MODES("block"), .b_metrics = dm_metrics,
              .b_nmetrics = 1, .b_prepare = need_two_cpus, .b_run = dm_run);
