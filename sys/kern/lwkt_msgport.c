/*
 * lwkt_msgport.c - LWKT message ports.
 *
 * Invariant: a port's queue (mp_head/mp_tail, mp_waiting) is only
 * touched on the CPU that owns the port's thread, with interrupts off.
 * A sender on another CPU never touches it: it queues port_put_ipi on
 * the owner CPU through the IPI queue, whose FIFO order gives per-sender
 * ordering and whose release/acquire indexes make the message contents
 * visible before the handler reads them.  A message is owned by exactly
 * one party at a time - the sender until it is queued, then the port
 * owner until it replies, then the reply port (or the domsg waiter) - so
 * its fields need no lock either.
 *
 * No lost wakeup: the owner sets mp_waiting and deschedules itself with
 * interrupts off, and a put (which runs on the same CPU, in an interrupt
 * or a drain, never concurrently) reschedules it if mp_waiting is set.
 * lwkt_domsg() is the same with td_waitmsg: the reply is marked DONE on
 * the waiter's CPU, which then reschedules the waiter; the waiter checks
 * DONE with interrupts off before it blocks.
 */
#include <sys/msgport.h>

#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>

void
lwkt_initport(struct lwkt_port *port, struct thread *td)
{
	memset(port, 0, sizeof(*port));
	port->mp_td = td;
}

void
lwkt_initmsg(struct lwkt_msg *msg, struct lwkt_port *reply_port, int cmd,
             uint64_t arg)
{
	memset(msg, 0, sizeof(*msg));
	msg->ms_reply_port = reply_port;
	msg->ms_cmd = cmd;
	msg->ms_arg = arg;
}

/* On the port owner's CPU, interrupts off: queue msg, wake the owner. */
static void
port_put_local(struct lwkt_port *port, struct lwkt_msg *msg)
{
	struct thread *td = port->mp_td;

	msg->ms_next = NULL;
	msg->ms_flags |= MSGF_QUEUED;
	if (port->mp_tail != NULL)
		port->mp_tail->ms_next = msg;
	else
		port->mp_head = msg;
	port->mp_tail = msg;
	port->mp_nrecv++;
	if (port->mp_waiting) {
		port->mp_waiting = 0;
		lwkt_schedule(td);
	}
}

/* A reply arriving on the reply port owner's CPU. */
static void
reply_arrive_local(struct lwkt_msg *msg)
{
	struct lwkt_port *port = msg->ms_reply_port;
	struct thread *td;

	if (msg->ms_flags & MSGF_SYNC) {
		td = port->mp_td;
		msg->ms_flags |= MSGF_DONE;
		if (td->td_waitmsg == msg) {
			td->td_waitmsg = NULL;
			lwkt_schedule(td);
		}
		return;
	}
	msg->ms_flags |= MSGF_DONE;
	port_put_local(port, msg);
	/* lwkt_waitmsg() on an async reply: the reply stays queued too. */
	td = port->mp_td;
	if (td->td_waitmsg == msg) {
		td->td_waitmsg = NULL;
		lwkt_schedule(td);
	}
}

static void deliver(struct lwkt_port *port, struct lwkt_msg *msg, bool reply);

static void
put_ipi(void *arg1, uint64_t reply, void *frame)
{
	struct lwkt_msg *msg = arg1;

	deliver(reply ? msg->ms_reply_port : msg->ms_target_port, msg,
	        reply != 0);
}

/* Deliver to port on its owner's CPU, here or by message. */
static void
deliver(struct lwkt_port *port, struct lwkt_msg *msg, bool reply)
{
	struct globaldata *gd = port->mp_td->td_gd;
	uint64_t fl;

	if (gd != mycpu) {
		lwkt_send_ipiq(gd->gd_cpuid, put_ipi, msg, reply);
		return;
	}
	fl = cpu_intr_disable();
	if (reply)
		reply_arrive_local(msg);
	else
		port_put_local(port, msg);
	cpu_intr_restore(fl);
}

void
lwkt_sendmsg(struct lwkt_port *port, struct lwkt_msg *msg)
{
	msg->ms_flags &= ~(MSGF_DONE | MSGF_REPLIED | MSGF_QUEUED);
	lwkt_forwardmsg(port, msg);
}

void
lwkt_forwardmsg(struct lwkt_port *port, struct lwkt_msg *msg)
{
	msg->ms_target_port = port;
	msg->ms_flags &= ~MSGF_QUEUED;
	deliver(port, msg, false);
}

void
lwkt_replymsg(struct lwkt_msg *msg, int64_t result)
{
	msg->ms_result = result;
	msg->ms_flags |= MSGF_REPLIED;
	if (msg->ms_reply_port == NULL) {
		__atomic_fetch_or(&msg->ms_flags, MSGF_DONE, __ATOMIC_RELEASE);
		return;
	}
	deliver(msg->ms_reply_port, msg, true);
}

/* Interrupts off, owner CPU. */
static struct lwkt_msg *
dequeue(struct lwkt_port *port)
{
	struct lwkt_msg *msg = port->mp_head;

	if (msg != NULL) {
		port->mp_head = msg->ms_next;
		if (port->mp_head == NULL)
			port->mp_tail = NULL;
		msg->ms_next = NULL;
		msg->ms_flags &= ~MSGF_QUEUED;
	}
	return msg;
}

struct lwkt_msg *
lwkt_getport(struct lwkt_port *port)
{
	uint64_t fl = cpu_intr_disable();
	struct lwkt_msg *msg;

	KASSERT(port->mp_td == curthread, "lwkt_getport: not the owner");
	msg = dequeue(port);
	cpu_intr_restore(fl);
	return msg;
}

struct lwkt_msg *
lwkt_waitport(struct lwkt_port *port)
{
	uint64_t fl = cpu_intr_disable();
	struct lwkt_msg *msg;

	KASSERT(port->mp_td == curthread, "lwkt_waitport: not the owner");
	while ((msg = dequeue(port)) == NULL) {
		port->mp_waiting = 1;
		lwkt_deschedule(curthread);
		lwkt_switch();
	}
	port->mp_waiting = 0;
	cpu_intr_restore(fl);
	return msg;
}

void
lwkt_waitmsg(struct lwkt_msg *msg)
{
	struct thread *td = curthread;
	uint64_t fl = cpu_intr_disable();

	while (
	    !(__atomic_load_n(&msg->ms_flags, __ATOMIC_ACQUIRE) & MSGF_DONE)) {
		td->td_waitmsg = msg;
		lwkt_deschedule(td);
		lwkt_switch();
	}
	td->td_waitmsg = NULL;
	cpu_intr_restore(fl);
}

int64_t
lwkt_domsg(struct lwkt_port *port, struct lwkt_msg *msg)
{
	struct lwkt_port self;

	/* A private reply port: the reply only wakes us, never queues. */
	lwkt_initport(&self, curthread);
	msg->ms_reply_port = &self;
	msg->ms_flags = MSGF_SYNC;
	lwkt_forwardmsg(port, msg);
	lwkt_waitmsg(msg);
	msg->ms_reply_port = NULL;
	return msg->ms_result;
}
