/*
 * Inter-CPU message queues: run a function on another CPU.
 *
 * Every (source, target) pair of CPUs has its own single-producer,
 * single-consumer FIFO (<sys/ipiq.h>), owned by the target.  See
 * sys/kern/lwkt_ipiq.c for the protocol.
 */
#ifndef _SYS_LWKT_IPIQ_H_
#define _SYS_LWKT_IPIQ_H_

#include <sys/cpumask.h>
#include <sys/ipiq.h>
#include <sys/types.h>

struct globaldata;

/*
 * How deep wait-step drains may nest on one CPU (a message that waits on
 * a full FIFO drains, runs a message that waits, ...).  Each level costs
 * a few hundred bytes of the current stack.  At the cap a send to a full
 * FIFO goes to the CPU's spill instead of waiting (lwkt_ipiq.c header).
 */
#define LWKT_IPIQ_NEST_MAX 4

/* Allocate every CPU pair's FIFO; called once the CPU count is known. */
void lwkt_ipiq_init(int ncpus);
/*
 * Queue func(arg1, arg2) for the target CPU and return the message's
 * sequence number for lwkt_wait_ipiq().  On the calling CPU itself the
 * function runs at once (returns 0).  A hardware IPI is sent only when
 * the target is not already draining its queues.
 */
uint32_t lwkt_send_ipiq(int target, ipifunc_t func, void *arg1, uint64_t arg2);
/* Same without any hardware IPI: the target finds it when it next drains. */
uint32_t lwkt_send_ipiq_passive(int target, ipifunc_t func, void *arg1,
                                uint64_t arg2);
/* Wait until the target has run message seq, draining our own queues. */
void lwkt_wait_ipiq(int target, uint32_t seq);
/* Run func on every CPU in mask (self included) and wait for all. */
void lwkt_cpusync_simple(const cpumask_t *mask, ipifunc_t func, void *arg1,
                         uint64_t arg2);
/* Drain this CPU's incoming queues; returns messages run. */
int lwkt_process_ipiq(void);
/*
 * One step of a wait for another CPU: run every message queued to us,
 * then a pause.  Returns with the interrupt
 * state it was called with.  Every cross-CPU wait loop calls this.
 */
void lwkt_ipiq_wait_step(void);
/* True once lwkt_ipiq_init() has built every CPU pair's FIFO. */
bool lwkt_ipiq_ready(void);
/* The local APIC tick's safety drain (lwkt_ipiq.c header). */
void lwkt_ipiq_tick(void *frame);
/* The IPI vector's interrupt handler and the idle loop call these. */
void lwkt_ipiq_intr(void *frame);
bool lwkt_ipiq_pending(void);

/*
 * Queue func on every CPU in mask (run here at once if mask has us) with
 * as few APIC writes as possible: one "all but self" when mask is every
 * other CPU.  No completion wait.
 */
void lwkt_send_ipiq_mask(const cpumask_t *mask, ipifunc_t func, void *arg1,
                         uint64_t arg2);
/* Read the ipiq.* boot options (once, after the CPUs are online). */
void lwkt_ipiq_bootopts(void);
/* Message: spin with interrupts off for arg2 ms, draining nothing. */
void lwkt_ipiq_stall_ipi(void *arg1, uint64_t arg2, void *frame);

extern int lwkt_ipiq_debug_drop; /* fault injection: drop every Nth */
extern int lwkt_ipiq_stall_cpu;  /* ipiq.stall CPU, or -1 */
extern int lwkt_ipiq_stall_ms;   /* ipiq.stall duration */
extern uint64_t lwkt_ipiq_watchdog_warnings; /* warnings so far */
extern int lwkt_ipiq_lose_ipi;         /* fault injection: lose every Nth IPI */
extern uint64_t lwkt_ipiq_lost_ipis;   /* hardware IPIs lost on purpose */
extern bool lwkt_ipiq_no_safety_drain; /* the tick does not drain */

#endif /* !_SYS_LWKT_IPIQ_H_ */
