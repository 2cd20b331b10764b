/*
 * LWKT message ports: asynchronous messages between threads, on any CPU.
 *
 * A port belongs to one thread (mp_td) and its queue is touched only on
 * that thread's CPU, with interrupts off.  A message sent to a port on
 * another CPU travels there through the IPI queue of the (sender CPU,
 * owner CPU) pair, which is a FIFO, so messages from one sender (not
 * migrating meanwhile) reach a port in the order they were sent.
 * lwkt_domsg() blocks the sending thread - not the CPU - until the reply.
 * See sys/kern/lwkt_msgport.c.
 */
#ifndef _SYS_MSGPORT_H_
#define _SYS_MSGPORT_H_

#include <sys/types.h>

struct thread;
struct lwkt_port;

#define MSGF_DONE    0x0001 /* processing finished (replied) */
#define MSGF_REPLIED 0x0002 /* lwkt_replymsg() was called */
#define MSGF_QUEUED  0x0004 /* on a port's queue */
#define MSGF_SYNC    0x0008 /* lwkt_domsg(): wake the waiter, don't queue */

struct lwkt_msg {
	struct lwkt_msg *ms_next;         /* port queue link */
	struct lwkt_port *ms_target_port; /* where it was last sent */
	struct lwkt_port *ms_reply_port;  /* where replies go (or NULL) */
	volatile uint32_t ms_flags;       /* MSGF_* */
	int ms_cmd;                       /* payload: command */
	uint64_t ms_arg;                  /* payload: argument */
	int64_t ms_result;                /* set by lwkt_replymsg() */
};

struct lwkt_port {
	struct thread *mp_td;     /* owner: the only receiver */
	struct lwkt_msg *mp_head; /* oldest queued message */
	struct lwkt_msg *mp_tail; /* newest queued message */
	volatile int mp_waiting;  /* owner blocked in lwkt_waitport() */
	uint64_t mp_nrecv;        /* messages queued here */
};

void lwkt_initport(struct lwkt_port *port, struct thread *td);
void lwkt_initmsg(struct lwkt_msg *msg, struct lwkt_port *reply_port, int cmd,
                  uint64_t arg);
void lwkt_sendmsg(struct lwkt_port *port, struct lwkt_msg *msg);  /* async */
int64_t lwkt_domsg(struct lwkt_port *port, struct lwkt_msg *msg); /* sync */
void lwkt_forwardmsg(struct lwkt_port *port, struct lwkt_msg *msg);
void lwkt_replymsg(struct lwkt_msg *msg, int64_t result);
/* Owner only: next message, blocking / not blocking (NULL if none). */
struct lwkt_msg *lwkt_waitport(struct lwkt_port *port);
struct lwkt_msg *lwkt_getport(struct lwkt_port *port);
/* Block until msg is DONE (it must have been sent with our reply port
 * or by lwkt_domsg). */
void lwkt_waitmsg(struct lwkt_msg *msg);

#endif /* !_SYS_MSGPORT_H_ */
