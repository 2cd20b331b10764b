/*
 * pmap_msg.c - the pmap message service: one thread per CPU ("pmapd<N>")
 * that executes struct pmap_msg requests (enter, remove, protect) with
 * the ordinary pmap_* calls and replies with the result.  It lets an
 * update run on the CPU where an address space is active, or just off
 * the caller's CPU.  Machine independent: lwkt ports and pmap_* only.
 *
 * Invariant: a request runs exactly once, on the CPU it was sent to, and
 * its reply is the only signal that it ran.  It holds because each CPU's
 * port belongs to its one service thread (lwkt ports are single-reader:
 * only the owner waits on it), the thread is bound to that CPU, and it
 * replies to each message it took after executing it.  A sender may use
 * a port only once the service thread has initialized it: ps_ready is
 * stored with release after lwkt_initport() and loaded with acquire by
 * svc_port(), which yields until then, so a request sent early (between
 * pmap_msg_start() and the thread's first run) waits instead of reaching
 * an uninitialized port.
 */
#include <vm/pmap_msg.h>

#include <sys/globaldata.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>

struct pmap_svc {
	struct lwkt_port ps_port; /* requests */
	volatile int ps_ready;    /* port initialized */
	uint64_t ps_done;         /* requests executed */
} __aligned(64);

static struct pmap_svc pmap_svc[MAXCPU];

static int64_t
pmap_msg_exec(struct pmap_msg *msg)
{
	switch (msg->pmm_op) {
	case PMAP_MSG_ENTER:
		return pmap_enter(msg->pmm_pmap, msg->pmm_sva, msg->pmm_pa,
		                  msg->pmm_prot, msg->pmm_flags);
	case PMAP_MSG_REMOVE:
		pmap_remove(msg->pmm_pmap, msg->pmm_sva, msg->pmm_eva);
		return 0;
	case PMAP_MSG_PROTECT:
		pmap_protect(msg->pmm_pmap, msg->pmm_sva, msg->pmm_eva,
		             msg->pmm_prot);
		return 0;
	}
	return -1;
}

static void
pmap_svc_main(void *arg)
{
	struct pmap_svc *ps = arg;

	lwkt_initport(&ps->ps_port, curthread);
	__atomic_store_n(&ps->ps_ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		struct pmap_msg *msg =
		    (struct pmap_msg *)lwkt_waitport(&ps->ps_port);
		int64_t r;

		msg->pmm_cpu = mycpu->gd_cpuid;
		r = pmap_msg_exec(msg);
		ps->ps_done++;
		lwkt_replymsg(&msg->pmm_msg, r);
	}
}

void
pmap_msg_init(struct pmap_msg *msg, struct lwkt_port *reply_port, int op,
              struct pmap *pm, vm_offset_t sva, vm_offset_t eva, vm_paddr_t pa,
              int prot, int flags)
{
	lwkt_initmsg(&msg->pmm_msg, reply_port, op, 0);
	msg->pmm_op = op;
	msg->pmm_pmap = pm;
	msg->pmm_sva = sva;
	msg->pmm_eva = eva;
	msg->pmm_pa = pa;
	msg->pmm_prot = prot;
	msg->pmm_flags = flags;
	msg->pmm_cpu = -1;
}

static struct lwkt_port *
svc_port(int cpu)
{
	struct pmap_svc *ps = &pmap_svc[cpu];

	KASSERT(cpu >= 0 && cpu < ncpus, "pmap_msg: bad cpu");
	while (!__atomic_load_n(&ps->ps_ready, __ATOMIC_ACQUIRE))
		lwkt_yield();
	return &ps->ps_port;
}

int64_t
pmap_msg_send(int cpu, struct pmap_msg *msg)
{
	return lwkt_domsg(svc_port(cpu), &msg->pmm_msg);
}

void
pmap_msg_send_async(int cpu, struct pmap_msg *msg)
{
	lwkt_sendmsg(svc_port(cpu), &msg->pmm_msg);
}

void
pmap_msg_start(void)
{
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		char name[TD_NAMELEN];

		ksnprintf(name, sizeof(name), "pmapd%d", cpu);
		lwkt_create(pmap_svc_main, &pmap_svc[cpu], name, cpu,
		            TDPRI_SERVICE);
	}
}
