/*
 * pmap_stress_var.h - what the shootdown stress suite's files share:
 * pmap_stress.c (the framework: slots, owner operations, the judging of
 * reads, workers and the driver), pmap_stress_scen.c (the scenarios and
 * their table) and pmap_stress_paths.c (the path scenarios).
 * Private to them; the rest of the kernel uses <vm/pmap_stress.h>.
 *
 * Invariant the scenarios must keep (pmap_stress.c argues why it makes
 * a judged read correct): each slot has one owner thread at a time, and
 * only that owner calls the stress_slot_* / stress_kslots_* operations
 * on it; readers only call stress_slot_check().
 */
#ifndef _VM_PMAP_STRESS_VAR_H_
#define _VM_PMAP_STRESS_VAR_H_

#include <sys/param.h>
#include <sys/clock.h>
#include <sys/globaldata.h>
#include <sys/types.h>
#include <vm/pmap.h>

#define WORDS         (PAGE_SIZE / 8)       /* words per page */
#define UVA_BASE      0x0000000040000000ul  /* user slots start here */
#define SPAN_2M       (2ul << 20)           /* one page-table page's span */
#define SPAN_1G       (1ul << 30)           /* one page-directory's span */
#define SPAN_512G     (1ul << 39)           /* one PDP page's span */
#define MAGIC         0x5354ull             /* "ST": top 16 bits of a word */
#define POISON        0xdeadbeefdeadbeefull /* retired frames */
#define PT_POISON     0xbadc0ffee0ddf00dull /* pages reused after ptpage */
#define MAXREPORT     8                     /* violations printed per run */
#define MAXWORKERS    (2 * MAXCPU)          /* threads per scenario */
#define MAXSLOTS      (4 * MAXCPU)          /* slots per scenario */
#define BURST         32                    /* checks between yields */
#define STRESS_MAXRUN 64 /* pages one stress_kslots_qenter maps */
#ifndef PACE_MS
#define PACE_MS 1 /* workers run this long between ticks asleep */
#endif
#define STALL_NS    (50 * NS_PER_MS)   /* introff: interrupts off */
#define SLOW_OP_NS  (1000 * NS_PER_MS) /* a shootdown this slow fails */
#define STOP_WAIT_S 10                 /* workers must stop by then */

#define ST_CHANGING 0 /* owner is changing it: reads are not judged */
#define ST_RW       1 /* mapped read/write, shootdown complete */
#define ST_RO       2 /* mapped read-only, protect complete */
#define ST_UNMAPPED 3 /* removed, shootdown complete */
#define ST_MASK     3

#define RW (VM_PROT_READ | VM_PROT_WRITE)

/* One page whose translation owners change and readers check. */
struct slot {
	vm_offset_t sl_va;       /* where it is mapped */
	struct pmap *sl_pm;      /* its pmap; NULL: kernel (pmap_kenter) */
	uint32_t sl_id;          /* encoded in its words (16 bits used) */
	uint32_t sl_gen;         /* owner: current generation */
	volatile uint64_t sl_st; /* published: sl_gen << 2 | ST_* */
	vm_paddr_t sl_frame;     /* owner: frame mapped now, or 0 */
	vm_paddr_t sl_old;       /* owner: previous frame, in quarantine */
};

struct stress_run;

/* A thread of a scenario, bound to one CPU. */
struct worker {
	struct stress_run *w_run;       /* the run it belongs to */
	void (*w_fn)(struct worker *w); /* body; returns once sr_stop */
	int w_cpu;                      /* the CPU it runs on */
	int w_index;                    /* role-specific number */
	uint64_t w_rng;                 /* xorshift64 state */
	uint64_t w_iter;                /* bursts done (pacing) */
	uint64_t w_next_stall;          /* introff: next stall (ns) */
	uint64_t w_slept; /* stress_pace(): last sleep ended (ns) */
};

/* Per-CPU counter values (struct pcpu_counters) a run reports; only
 * uint64_t fields (run_totals sums them as an array). */
struct cpu_cnt {
	uint64_t cc_shoot;    /* pc_shootdowns */
	uint64_t cc_sent;     /* pc_inval_sent */
	uint64_t cc_recv;     /* pc_inval_recv */
	uint64_t cc_ipi;      /* pc_ipi_recv */
	uint64_t cc_deferred; /* pc_inval_deferred */
	uint64_t cc_idlefl;   /* pc_inval_idle_flush */
	uint64_t cc_invlpg;   /* pc_invlpg: single-page invalidations */
	uint64_t cc_fulluser; /* pc_inval_full_user */
	uint64_t cc_fullkern; /* pc_inval_full_kern */
	uint64_t cc_ptreap;   /* pc_ptpage_reaped */
	uint64_t cc_2m;       /* pc_enter_2m */
	uint64_t cc_fifofull; /* pc_ipiq_full */
};

/* The state of the running scenario (one at a time). */
struct stress_run {
	const char *sr_name;          /* scenario name */
	int sr_seconds;               /* its duration */
	volatile int sr_stop;         /* workers: return now */
	volatile int sr_running;      /* workers not yet returned */
	volatile uint64_t sr_nviol;   /* violations found */
	volatile uint64_t sr_ops;     /* owner operations done */
	volatile uint64_t sr_max_op;  /* slowest owner operation (ns) */
	volatile int sr_chan;         /* sleep channel for workers */
	uint64_t sr_viol[MAXCPU];     /* violations per finding CPU */
	uint64_t sr_checks[MAXCPU];   /* judged reads per CPU */
	struct cpu_cnt sr_c0[MAXCPU]; /* counters at the start */
	int sr_nworkers;              /* entries used in workers[] */
	int sr_nslots;                /* entries used in stress_slots[] */
};

/* One scenario: setup spawns workers, step is one main-thread op. */
struct scenario {
	const char *sc_name;                       /* for stress= and KTAP */
	void (*sc_setup)(struct stress_run *r);    /* map, spawn workers */
	void (*sc_step)(struct stress_run *r);     /* main: one op, or NULL */
	void (*sc_teardown)(struct stress_run *r); /* workers have stopped */
};

/* The path scenarios (pmap_stress_paths.c). */
void bigrange_setup(struct stress_run *r);
void bigrange_step(struct stress_run *r);
void bigrange_teardown(struct stress_run *r);
void large_setup(struct stress_run *r);
void large_step(struct stress_run *r);
void large_teardown(struct stress_run *r);
void reap_setup(struct stress_run *r);
void reap_teardown(struct stress_run *r);
void fanin_setup(struct stress_run *r);
void fanin_teardown(struct stress_run *r);

/* The scenarios, in the order they run (pmap_stress_scen.c). */
extern const struct scenario stress_scenarios[];
extern const unsigned stress_nscenarios;

/* The running scenario's slots and pmaps, and the main thread's rng. */
extern struct slot stress_slots[MAXSLOTS];
extern struct pmap *stress_pmaps[MAXCPU + 4];
extern uint64_t stress_main_rng;

void stress_frame_fill(vm_paddr_t pa, uint64_t v);
/* Kernel slots n (<= STRESS_MAXRUN) contiguous pages: pmap_qenter / qremove. */
void stress_kslots_qenter(struct stress_run *r, struct slot *sl, int n);
void stress_kslots_qremove(struct stress_run *r, struct slot *sl, int n);
/*
 * Kernel slots: KVA for n pages.  After violations (a debug option that
 * breaks shootdowns) the KVA is leaked, not freed: some CPU may still
 * hold a global TLB entry for it, and a later user of the KVA must not
 * be exposed to that.
 */
vm_offset_t stress_kva_get(int n);
void stress_kva_put(struct stress_run *r);
void stress_op_done(struct stress_run *r, uint64_t t0);
/*
 * End of a burst: yield, and after run_ms of running sleep for a tick
 * (run_ms 0: never), so spinning vCPUs leave host time to the
 * initiators.
 */
void stress_pace(struct worker *w, int run_ms);
void stress_pmaps_fini(int n);
uint64_t stress_rng_next(uint64_t *x);
/*
 * Judge one read of sl through its VA (the caller runs on sl's pmap).
 * probe_write: on a read-only slot, also try a write, which must fault.
 */
void stress_slot_check(struct worker *w, struct slot *sl, bool probe_write);
/* Map a new frame of generation gen + 1 (replacing any mapping). */
void stress_slot_map(struct stress_run *r, struct slot *sl);
/* Unmap (one pmap_remove / pmap_kremove); the frame is quarantined. */
void stress_slot_unmap(struct stress_run *r, struct slot *sl);
/* RW -> RO (same frame); anything else is remapped instead. */
void stress_slot_protect(struct stress_run *r, struct slot *sl);
void stress_slot_publish(struct slot *sl, int st);
/* The published state of sl (ST_*). */
int stress_slot_state(const struct slot *sl);
/* The word every 8 bytes of slot id's page of generation gen hold. */
uint64_t stress_word(uint32_t id, uint32_t gen);
/* Poison a frame no translation may use any more, and free it. */
void stress_frame_retire(vm_paddr_t pa);
/* A random single-slot operation on sl. */
void stress_slot_random_op(struct stress_run *r, struct slot *sl, uint64_t x);
/* Unmap and free every slot (workers have stopped). */
void stress_slots_fini(struct stress_run *r);
/* Set up n slots from index first: ids, VAs, pmap, mapped RW. */
struct slot *stress_slots_init(struct stress_run *r, int n, struct pmap *pm,
                               vm_offset_t va, vm_offset_t stride);
/*
 * Unmap n user slots of one pmap with one batch: the frames go to the
 * batch's deferred-free list.  introff_ns: spin that long with
 * interrupts disabled while the flush is in flight.
 */
void stress_slots_unmap_batch(struct stress_run *r, struct slot *sl, int n,
                              uint64_t introff_ns);
struct worker *stress_spawn(struct stress_run *r, void (*fn)(struct worker *),
                            int cpu, int index);
/* Readers on CPUs 1..n-1, or on CPU 0 alone on a uniprocessor. */
void stress_spawn_readers(struct stress_run *r, void (*fn)(struct worker *),
                          bool all);
bool stress_stopping(struct worker *w);
void stress_violation(struct stress_run *r, const char *what, vm_offset_t va,
                      const char *expect, const char *seen);

#endif /* !_VM_PMAP_STRESS_VAR_H_ */
