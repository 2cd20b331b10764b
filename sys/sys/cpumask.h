/*
 * CPU sets: a fixed-size bitmap with one bit per possible CPU.
 *
 * MAXCPU comes from the kernel config (-DMAXCPU=N) and must be a multiple
 * of 64 so a mask is a whole number of uint64_t words with no partial
 * tail word to mask off.  All masks are passed by pointer; the iteration
 * and set-algebra helpers work word by word and tolerate dst aliasing a
 * source.
 *
 * Two families of bit operations exist:
 *
 *  - Plain (cpumask_set/clear/test): for masks owned by one CPU, or built
 *    locally before being published.
 *
 *  - Atomic (cpumask_atomic_*): for shared masks that several CPUs update
 *    concurrently, e.g. "CPUs currently using this pmap" or "CPUs with an
 *    IPI pending".  The default variants are sequentially consistent.
 *    That is deliberate: the protocols built on these masks are Dekker-like
 *    ("set my bit, then look at the other side's state" on one CPU versus
 *    "change the state, then look at the mask" on another), and those are
 *    only correct if the store of the bit cannot be reordered after the
 *    following load.  A seq_cst RMW plus a seq_cst load gives exactly
 *    that.  On x86-64 it costs nothing extra: every locked RMW is already
 *    a full barrier and a seq_cst load is a plain MOV.  The _relaxed
 *    variants are for statistics and hints where no other memory access is
 *    ordered by the bit; a protocol that uses them must supply its own
 *    fence (__atomic_thread_fence(__ATOMIC_SEQ_CST)).
 *
 * cpumask_copy_atomic() snapshots a shared mask one word at a time.  Each
 * word is read atomically, but the snapshot as a whole is not: bits in
 * different words may come from different moments.  Callers that need a
 * consistent view across words must get it from their protocol (e.g. a
 * bit, once set, stays set until its owner has observed something the
 * snapshotter did first).
 */
#ifndef _SYS_CPUMASK_H_
#define _SYS_CPUMASK_H_

#include <sys/param.h> /* MAXCPU */
#include <sys/systm.h>
#include <sys/types.h>

_Static_assert(MAXCPU > 0 && MAXCPU % 64 == 0,
               "MAXCPU must be a positive multiple of 64");

#define CPUMASK_NWORDS (MAXCPU / 64)

typedef struct cpumask {
	uint64_t cm_word[CPUMASK_NWORDS]; /* bit (cpu % 64) of word cpu / 64 */
} cpumask_t;

/* Static initializer for an empty mask. */
#define CPUMASK_INITIALIZER                                                    \
	{                                                                      \
		{                                                              \
			0                                                      \
		}                                                              \
	}

/* Clear the mask lvalue m (not a pointer). */
#define CPUMASK_ZERO(m) cpumask_zero(&(m))

/*
 * Iterate cpu (an int lvalue) over the set bits of *maskp in ascending
 * order.  The mask is re-read at each step, so bits the loop body clears
 * ahead of the cursor are skipped and bits it sets ahead are visited.
 */
#define CPUMASK_FOREACH(cpu, maskp)                                            \
	for ((cpu) = cpumask_first(maskp); (cpu) >= 0;                         \
	     (cpu) = cpumask_next((maskp), (cpu)))

#define CPUMASK_WORD(cpu) ((unsigned)(cpu) / 64)
#define CPUMASK_BIT(cpu)  ((uint64_t)1 << ((unsigned)(cpu) % 64))

/*
 * Population count without the libgcc call __builtin_popcountll becomes
 * when the compiler may not assume the POPCNT instruction (the kernel
 * links without libgcc).
 */
static inline int
cpumask_popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)((x * 0x0101010101010101ULL) >> 56);
}

static inline void
cpumask_zero(cpumask_t *m)
{
	for (int i = 0; i < CPUMASK_NWORDS; i++)
		m->cm_word[i] = 0;
}

/* A mask holding only cpu. */
static inline cpumask_t
cpumask_single(int cpu)
{
	cpumask_t m = CPUMASK_INITIALIZER;

	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_single: cpu out of range");
	m.cm_word[CPUMASK_WORD(cpu)] = CPUMASK_BIT(cpu);
	return m;
}

static inline void
cpumask_set(cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_set: cpu out of range");
	m->cm_word[CPUMASK_WORD(cpu)] |= CPUMASK_BIT(cpu);
}

static inline void
cpumask_clear(cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_clear: cpu out of range");
	m->cm_word[CPUMASK_WORD(cpu)] &= ~CPUMASK_BIT(cpu);
}

static inline bool
cpumask_test(const cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_test: cpu out of range");
	return (m->cm_word[CPUMASK_WORD(cpu)] & CPUMASK_BIT(cpu)) != 0;
}

/* Sequentially consistent: see the header comment. */
static inline void
cpumask_atomic_set(cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_atomic_set: bad cpu");
	__atomic_fetch_or(&m->cm_word[CPUMASK_WORD(cpu)], CPUMASK_BIT(cpu),
	                  __ATOMIC_SEQ_CST);
}

/* Sequentially consistent: see the header comment. */
static inline void
cpumask_atomic_clear(cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_atomic_clear: bad cpu");
	__atomic_fetch_and(&m->cm_word[CPUMASK_WORD(cpu)], ~CPUMASK_BIT(cpu),
	                   __ATOMIC_SEQ_CST);
}

/*
 * Set cpu's bit and return whether it was already set.  Exactly one of
 * several racing callers sees false, so this can elect the one CPU that
 * must act (e.g. send the IPI).  Sequentially consistent.
 */
static inline bool
cpumask_atomic_testandset(cpumask_t *m, int cpu)
{
	uint64_t old;

	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_atomic_testandset: bad cpu");
	old = __atomic_fetch_or(&m->cm_word[CPUMASK_WORD(cpu)],
	                        CPUMASK_BIT(cpu), __ATOMIC_SEQ_CST);
	return (old & CPUMASK_BIT(cpu)) != 0;
}

/*
 * Clear cpu's bit and return whether it was set.  Sequentially consistent.
 */
static inline bool
cpumask_atomic_testandclear(cpumask_t *m, int cpu)
{
	uint64_t old;

	KASSERT(cpu >= 0 && cpu < MAXCPU,
	        "cpumask_atomic_testandclear: bad cpu");
	old = __atomic_fetch_and(&m->cm_word[CPUMASK_WORD(cpu)],
	                         ~CPUMASK_BIT(cpu), __ATOMIC_SEQ_CST);
	return (old & CPUMASK_BIT(cpu)) != 0;
}

/* Sequentially consistent load of one bit: pairs with the seq_cst RMWs. */
static inline bool
cpumask_atomic_test(const cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU, "cpumask_atomic_test: bad cpu");
	return (__atomic_load_n(&m->cm_word[CPUMASK_WORD(cpu)],
	                        __ATOMIC_SEQ_CST) &
	        CPUMASK_BIT(cpu)) != 0;
}

/* Relaxed: atomic with respect to the word only, orders nothing else. */
static inline void
cpumask_atomic_set_relaxed(cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU,
	        "cpumask_atomic_set_relaxed: bad cpu");
	__atomic_fetch_or(&m->cm_word[CPUMASK_WORD(cpu)], CPUMASK_BIT(cpu),
	                  __ATOMIC_RELAXED);
}

/* Relaxed: atomic with respect to the word only, orders nothing else. */
static inline void
cpumask_atomic_clear_relaxed(cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU,
	        "cpumask_atomic_clear_relaxed: bad cpu");
	__atomic_fetch_and(&m->cm_word[CPUMASK_WORD(cpu)], ~CPUMASK_BIT(cpu),
	                   __ATOMIC_RELAXED);
}

/* Relaxed: a hint; orders nothing else. */
static inline bool
cpumask_atomic_test_relaxed(const cpumask_t *m, int cpu)
{
	KASSERT(cpu >= 0 && cpu < MAXCPU,
	        "cpumask_atomic_test_relaxed: bad cpu");
	return (__atomic_load_n(&m->cm_word[CPUMASK_WORD(cpu)],
	                        __ATOMIC_RELAXED) &
	        CPUMASK_BIT(cpu)) != 0;
}

/*
 * Snapshot a mask other CPUs modify: each word is loaded atomically
 * (relaxed), the whole is not; see the header comment.
 */
static inline void
cpumask_copy_atomic(cpumask_t *dst, const cpumask_t *src)
{
	for (int i = 0; i < CPUMASK_NWORDS; i++)
		dst->cm_word[i] =
		    __atomic_load_n(&src->cm_word[i], __ATOMIC_RELAXED);
}

static inline bool
cpumask_isempty(const cpumask_t *m)
{
	uint64_t any = 0;

	for (int i = 0; i < CPUMASK_NWORDS; i++)
		any |= m->cm_word[i];
	return any == 0;
}

static inline bool
cpumask_equal(const cpumask_t *a, const cpumask_t *b)
{
	uint64_t diff = 0;

	for (int i = 0; i < CPUMASK_NWORDS; i++)
		diff |= a->cm_word[i] ^ b->cm_word[i];
	return diff == 0;
}

/* dst = a & b; dst may alias a or b. */
static inline void
cpumask_and(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
	for (int i = 0; i < CPUMASK_NWORDS; i++)
		dst->cm_word[i] = a->cm_word[i] & b->cm_word[i];
}

/* dst = a | b; dst may alias a or b. */
static inline void
cpumask_or(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
	for (int i = 0; i < CPUMASK_NWORDS; i++)
		dst->cm_word[i] = a->cm_word[i] | b->cm_word[i];
}

/* dst = a & ~b; dst may alias a or b. */
static inline void
cpumask_andnot(cpumask_t *dst, const cpumask_t *a, const cpumask_t *b)
{
	for (int i = 0; i < CPUMASK_NWORDS; i++)
		dst->cm_word[i] = a->cm_word[i] & ~b->cm_word[i];
}

/* Number of CPUs in the mask. */
static inline int
cpumask_count(const cpumask_t *m)
{
	int n = 0;

	for (int i = 0; i < CPUMASK_NWORDS; i++)
		n += cpumask_popcount64(m->cm_word[i]);
	return n;
}

/*
 * Lowest set CPU strictly greater than after, or -1 if there is none.
 * after may be -1 (so cpumask_next(m, -1) == cpumask_first(m)).
 */
static inline int
cpumask_next(const cpumask_t *m, int after)
{
	int cpu = after + 1;
	int i;
	uint64_t w;

	if (cpu < 0)
		cpu = 0;
	if (cpu >= MAXCPU)
		return -1;
	i = (int)CPUMASK_WORD(cpu);
	/* Drop the bits at or below after in the first word searched. */
	w = m->cm_word[i] & ~(CPUMASK_BIT(cpu) - 1);
	for (;;) {
		if (w != 0)
			return i * 64 + __builtin_ctzll(w);
		if (++i >= CPUMASK_NWORDS)
			return -1;
		w = m->cm_word[i];
	}
}

/* Lowest set CPU, or -1 if the mask is empty. */
static inline int
cpumask_first(const cpumask_t *m)
{
	return cpumask_next(m, -1);
}

/*
 * Format m as comma-separated CPUs and ranges, ascending: "0-3,5,7".  An
 * empty mask gives "".  Like snprintf: always NUL-terminates when sz > 0
 * and returns the length the full string would have (so a return value
 * >= sz means it was truncated).  (sys/kern/subr_cpumask.c)
 */
int cpumask_snprintf(char *buf, size_t sz, const cpumask_t *m);

#endif /* !_SYS_CPUMASK_H_ */
