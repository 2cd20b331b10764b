/*
 * lwkt_msgport_test.c - tests of LWKT message ports (suite "msgport").
 *
 * A service thread per CPU answers requests on its port; clients on
 * every CPU call every other CPU's service with lwkt_domsg(), which
 * blocks only the client, so each CPU's service keeps answering while
 * that CPU's client waits.  Results are counted atomically and awaited
 * with tsleep() timeouts, so a lost message fails a count, never hangs.
 */
#include <sys/clock.h>
#include <sys/globaldata.h>
#include <sys/ktest.h>
#include <sys/msgport.h>
#include <sys/systm.h>
#include <sys/thread.h>

#define CMD_ADD1 1
#define CMD_QUIT 2
#define CALLS    20 /* domsg calls per (client, service) pair */
#define ORDER_N  300
#define WAIT_MS  4000

static struct lwkt_port svc_port[MAXCPU];
static volatile int svc_ready[MAXCPU];
static volatile uint64_t m_done, m_bad, m_served[MAXCPU];

static bool
wait_done(uint64_t want)
{
	uint64_t deadline = nanouptime() + WAIT_MS * NS_PER_MS;

	while (__atomic_load_n(&m_done, __ATOMIC_ACQUIRE) < want) {
		if (nanouptime() > deadline)
			return false;
		tsleep(&m_done, 0, "mwait", 5);
	}
	return true;
}

static void
service(void *arg)
{
	int me = mycpu->gd_cpuid;
	struct lwkt_msg *msg;

	lwkt_initport(&svc_port[me], curthread);
	__atomic_store_n(&svc_ready[me], 1, __ATOMIC_RELEASE);
	for (;;) {
		msg = lwkt_waitport(&svc_port[me]);
		if (msg->ms_cmd == CMD_QUIT) {
			lwkt_replymsg(msg, 0);
			break;
		}
		m_served[me]++;
		lwkt_replymsg(msg, (int64_t)(msg->ms_arg + 1) * 1000 + me);
	}
	svc_ready[me] = 0;
}

static void
client(void *arg)
{
	int me = mycpu->gd_cpuid, cpu, i;
	struct lwkt_msg msg;

	for (i = 0; i < CALLS; i++)
		for (cpu = 0; cpu < ncpus; cpu++) {
			int64_t r;

			if (cpu == me && ncpus > 1)
				continue;
			lwkt_initmsg(&msg, NULL, CMD_ADD1, (uint64_t)i);
			r = lwkt_domsg(&svc_port[cpu], &msg);
			if (r != (int64_t)(i + 1) * 1000 + cpu ||
			    !(msg.ms_flags & MSGF_DONE) ||
			    mycpu->gd_cpuid != me)
				__atomic_fetch_add(&m_bad, 1, __ATOMIC_RELAXED);
		}
	__atomic_fetch_add(&m_done, 1, __ATOMIC_RELEASE);
}

static void
services_start(void)
{
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++)
		lwkt_create(service, NULL, "msvc", cpu, TDPRI_SERVICE);
	for (cpu = 0; cpu < ncpus; cpu++)
		while (!__atomic_load_n(&svc_ready[cpu], __ATOMIC_ACQUIRE))
			tsleep(&svc_ready, 0, "msvc", 1);
}

static void
services_stop(void)
{
	struct lwkt_msg msg;
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		lwkt_initmsg(&msg, NULL, CMD_QUIT, 0);
		lwkt_domsg(&svc_port[cpu], &msg);
	}
}

static void
msgport_domsg_all_pairs(struct ktest *t)
{
	int cpu, peers = ncpus > 1 ? ncpus - 1 : 1;
	uint64_t served = 0;

	m_done = m_bad = 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		m_served[cpu] = 0;
	services_start();
	for (cpu = 0; cpu < ncpus; cpu++)
		lwkt_create(client, NULL, "mclient", cpu, TDPRI_NORMAL);
	KT_EXPECT(t, wait_done((uint64_t)ncpus));
	KT_EXPECT_EQ(t, m_bad, 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		served += m_served[cpu];
	KT_EXPECT_EQ(t, served, (uint64_t)ncpus * peers * CALLS);
	services_stop();
}

/* Async sends from one thread arrive in order at a remote port. */
static struct lwkt_port order_port;
static volatile int order_ready;
static struct lwkt_msg order_msgs[ORDER_N];

static void
order_receiver(void *arg)
{
	struct lwkt_msg *msg;
	uint64_t want = 0;

	lwkt_initport(&order_port, curthread);
	__atomic_store_n(&order_ready, 1, __ATOMIC_RELEASE);
	while (want < ORDER_N) {
		msg = lwkt_waitport(&order_port);
		if (msg->ms_arg != want)
			__atomic_fetch_add(&m_bad, 1, __ATOMIC_RELAXED);
		want = msg->ms_arg + 1;
	}
	__atomic_fetch_add(&m_done, 1, __ATOMIC_RELEASE);
}

static void
order_sender(void *arg)
{
	int i;

	while (!__atomic_load_n(&order_ready, __ATOMIC_ACQUIRE))
		tsleep(&order_ready, 0, "mord", 1);
	for (i = 0; i < ORDER_N; i++) {
		lwkt_initmsg(&order_msgs[i], NULL, CMD_ADD1, (uint64_t)i);
		lwkt_sendmsg(&order_port, &order_msgs[i]);
	}
	__atomic_fetch_add(&m_done, 1, __ATOMIC_RELEASE);
}

static void
msgport_order(struct ktest *t)
{
	m_done = m_bad = 0;
	order_ready = 0;
	lwkt_create(order_receiver, NULL, "mrecv", ncpus - 1, TDPRI_NORMAL);
	lwkt_create(order_sender, NULL, "msend", ncpus > 2 ? 1 : 0,
	            TDPRI_NORMAL);
	KT_EXPECT(t, wait_done(2));
	KT_EXPECT_EQ(t, m_bad, 0);
}

/* Ping-pong: one message bounced between two threads' ports. */
static struct lwkt_port pp_port[2];
static volatile int pp_ready[2];
static struct lwkt_msg pp_msg;

static void
pp_player(void *arg)
{
	int me = (int)(uintptr_t)arg;
	struct lwkt_msg *msg;

	lwkt_initport(&pp_port[me], curthread);
	__atomic_store_n(&pp_ready[me], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&pp_ready[!me], __ATOMIC_ACQUIRE))
		tsleep(&pp_ready, 0, "mpp", 1);
	if (me == 0) {
		lwkt_initmsg(&pp_msg, NULL, CMD_ADD1, 0);
		lwkt_sendmsg(&pp_port[1], &pp_msg);
	}
	for (;;) {
		msg = lwkt_waitport(&pp_port[me]);
		if (msg->ms_arg >= 1000) {
			if (me == 1) /* let the other side stop too */
				lwkt_sendmsg(&pp_port[0], msg);
			break;
		}
		msg->ms_arg++;
		lwkt_sendmsg(&pp_port[!me], msg);
	}
	__atomic_fetch_add(&m_done, 1, __ATOMIC_RELEASE);
}

static void
msgport_ping_pong(struct ktest *t)
{
	uint64_t t0 = nanouptime();

	m_done = 0;
	pp_ready[0] = pp_ready[1] = 0;
	lwkt_create(pp_player, (void *)0, "mping", 0, TDPRI_NORMAL);
	lwkt_create(pp_player, (void *)1, "mpong", ncpus - 1, TDPRI_NORMAL);
	KT_EXPECT(t, wait_done(2));
	KT_EXPECT(t, pp_msg.ms_arg >= 1000);
	kprintf("    # 1000 hops in %lu us\n", (nanouptime() - t0) / 1000);
}

KTEST_SUITE(msgport, "msgport", NULL, NULL, KTEST_CASE(msgport_domsg_all_pairs),
            KTEST_CASE(msgport_order), KTEST_CASE(msgport_ping_pong));
