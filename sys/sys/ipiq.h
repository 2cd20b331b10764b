/*
 * Inter-processor message FIFO: the lock-free single-producer /
 * single-consumer ring that carries LWKT IPI messages from one source CPU
 * to one target CPU.
 *
 * Each (source, target) pair owns one struct lwkt_ipiq.  Only the source
 * CPU calls ipiq_fifo_put() on it and only the target CPU calls
 * ipiq_fifo_drain(); anybody may call ipiq_fifo_count(), _half_full() and
 * _done().  A message is a function pointer plus two arguments; the
 * function runs on the target CPU with the drain caller's frame pointer
 * (the interrupted trap frame, or NULL when drained from thread context).
 *
 * Indexes are free-running uint32_t counters; the slot for index i is
 * i & (IPIQ_FIFO_SIZE - 1).  See sys/kern/lwkt_ipiq_fifo.c for the
 * memory-ordering invariant.
 *
 * IPIQ_FIFO_SIZE defaults to 128 and may be overridden with
 * -DIPIQ_FIFO_SIZE=N (a power of two, at least 2): a tiny FIFO makes the
 * "queue full" paths run constantly, which is what the test configs want.
 * Every file that sees struct lwkt_ipiq must be built with the same value.
 */
#ifndef _SYS_IPIQ_H_
#define _SYS_IPIQ_H_

#include <sys/types.h>

#ifndef IPIQ_FIFO_SIZE
#define IPIQ_FIFO_SIZE 128
#endif

_Static_assert(IPIQ_FIFO_SIZE >= 2 &&
                   (IPIQ_FIFO_SIZE & (IPIQ_FIFO_SIZE - 1)) == 0,
               "IPIQ_FIFO_SIZE must be a power of two >= 2");

#define IPIQ_FIFO_MASK (IPIQ_FIFO_SIZE - 1)

/* ipiq_fifo_drain() max meaning "until the FIFO is seen empty". */
#define IPIQ_DRAIN_ALL (-1)

#define IPIQ_CACHE_LINE 64

/* An IPI message function: runs on the target CPU. */
typedef void (*ipifunc_t)(void *arg1, uint64_t arg2, void *frame);

struct ipiq_entry {
	ipifunc_t ie_func; /* function to run on the target CPU */
	void *ie_arg1;     /* its first argument */
	uint64_t ie_arg2;  /* its second argument */
};

struct lwkt_ipiq {
	/* Producer (source CPU) cache line: written only by the producer. */
	uint32_t ip_windex __aligned(IPIQ_CACHE_LINE); /* next index to fill */
	uint32_t ip_rcache; /* producer's last-seen ip_rindex */
	uint64_t ip_nput;   /* messages queued */
	uint64_t ip_nfull;  /* puts refused because the FIFO was full */

	/* Consumer (target CPU) cache line: written only by the consumer. */
	uint32_t ip_rindex __aligned(IPIQ_CACHE_LINE); /* next to copy out */
	uint32_t ip_xindex; /* every index below it has finished running */
	uint32_t ip_depth;  /* drain nesting depth; consumer-private */
	uint64_t ip_ndrain; /* drain calls that ran at least one message */

	/* Message slots: written by the producer, read by the consumer. */
	struct ipiq_entry ip_entries[IPIQ_FIFO_SIZE] __aligned(
	    IPIQ_CACHE_LINE); /* slot i & IPIQ_FIFO_MASK holds index i */
} __aligned(IPIQ_CACHE_LINE);

/* Reset q to empty with all indexes at 0.  No concurrent users. */
void ipiq_fifo_init(struct lwkt_ipiq *q);

/*
 * Producer: queue func(arg1, arg2) for the target.  Returns false, queuing
 * nothing, when the FIFO is full; the caller must then drain its own
 * inbound FIFOs before retrying, or two CPUs flooding each other deadlock.
 * On success stores the message's index in *seqp (if seqp is not NULL)
 * for ipiq_fifo_done().
 */
bool ipiq_fifo_put(struct lwkt_ipiq *q, ipifunc_t func, void *arg1,
                   uint64_t arg2, uint32_t *seqp);

/* Messages queued but not yet copied out by the consumer (a snapshot). */
uint32_t ipiq_fifo_count(struct lwkt_ipiq *q);

/* count >= IPIQ_FIFO_SIZE / 2: the producer should poke the target. */
bool ipiq_fifo_half_full(struct lwkt_ipiq *q);

/*
 * Consumer: run up to max queued messages (IPIQ_DRAIN_ALL: until the FIFO
 * is seen empty), oldest first, passing frame to each.  Returns the number
 * run at this nesting level.  A message function may send IPIs, and may
 * even re-enter ipiq_fifo_drain() on this same FIFO (the backpressure path
 * of a full send); it must not be re-entered asynchronously, so the caller
 * holds off IPI processing (critical section / interrupts off) around it.
 */
int ipiq_fifo_drain(struct lwkt_ipiq *q, void *frame, int max);

/*
 * True once the message put at index seq has finished running and its
 * effects are visible to the caller (acquire).  seq must be within 2^31
 * messages of the current index.
 */
bool ipiq_fifo_done(struct lwkt_ipiq *q, uint32_t seq);

#endif /* !_SYS_IPIQ_H_ */
