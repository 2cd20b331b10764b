/*
 * struct globaldata: the machine-independent per-CPU data.
 *
 * Each CPU's globaldata is the first page of its privatespace, a fixed
 * set of pages inside the shared kernel PML4 slot (see
 * <machine/globaldata.h> and docs/ARCHITECTURE.md).  A CPU reaches its
 * own through %gs: gd_self is the first field, so `mycpu` is one
 * %gs-relative load.  Other CPUs' globaldata are reached through
 * globaldata_find(cpuid), which is how counters are read from any CPU.
 *
 * Only machine-independent state lives here; what the hardware defines
 * (the APIC ID, the fault-recovery address, CR2) is in the machine's
 * struct mdglobaldata, which begins with this struct.
 *
 * Fields written only by the owning CPU need no locking; counters are
 * plain 64-bit stores (atomic on x86-64), so a remote reader sees some
 * recent value, never a torn one.
 */
#ifndef _SYS_GLOBALDATA_H_
#define _SYS_GLOBALDATA_H_

#include <sys/cpumask.h>
#include <sys/types.h>

struct thread;
struct lwkt_ipiq;

/* Per-CPU event counters, readable from any CPU. */
struct pcpu_counters {
	uint64_t pc_ipi_sent;         /* hardware IPIs this CPU sent */
	uint64_t pc_ipi_recv;         /* hardware IPIs this CPU took */
	uint64_t pc_ipi_vec_recv[4];  /* received, per kernel IPI vector */
	uint64_t pc_timer_intr;       /* local APIC timer interrupts */
	uint64_t pc_invlpg;           /* local single-page invalidations */
	uint64_t pc_invltlb;          /* local full TLB flushes */
	uint64_t pc_cmap_use;         /* temporary mapping window uses */
	uint64_t pc_traps;            /* exceptions taken */
	uint64_t pc_spurious_faults;  /* page faults retried: tables allowed */
	uint64_t pc_ipiq_sent;        /* IPI-queue messages sent */
	uint64_t pc_ipiq_recv;        /* IPI-queue messages run here */
	uint64_t pc_ipi_avoided;      /* sends that needed no hardware IPI */
	uint64_t pc_ipiq_full;        /* sends that found a FIFO full */
	uint64_t pc_shootdowns;       /* invalidation flushes started here */
	uint64_t pc_inval_sent;       /* invalidation messages sent */
	uint64_t pc_inval_recv;       /* invalidation messages received */
	uint64_t pc_inval_acks;       /* invalidations acknowledged */
	uint64_t pc_inval_deferred;   /* targets skipped: halted, flush later */
	uint64_t pc_inval_idle_flush; /* deferred full flushes done on wakeup */
	uint64_t pc_inval_wait_ns;    /* ns spent waiting for acks */
	uint64_t pc_ipiq_safety;      /* ticks that found an unserved mask */
	uint64_t pc_ipiq_nest_max;    /* deepest wait-step drain nesting */
	uint64_t pc_ipiq_nest_capped; /* wait steps at the cap: no drain */
	uint64_t pc_ipiq_spilled;     /* sends at the cap put in the spill */
	uint64_t pc_ipiq_spill_max;   /* most spilled messages at once */
	uint64_t pc_inval_full_user;  /* flushes sent as full, user pmap */
	uint64_t pc_inval_full_kern;  /* ... kernel pmap (CR4.PGE toggle) */
	uint64_t pc_ptpage_reaped;    /* empty user page tables unlinked */
	uint64_t pc_enter_2m;         /* 2 MiB user mappings entered */
	uint64_t pc_inval_thread;     /* invalidations served by the thread */
	uint64_t pc_inval_polled;     /* ... served by a waiter's poll */
	uint64_t pc_inval_vector;     /* ... served by the sync vector */
	uint64_t pc_spin_contested;   /* spin_lock calls that had to wait */
	uint64_t pc_spin_wait_ns;     /* ns those calls spent waiting */
};

struct globaldata {
	struct globaldata *gd_self;   /* must be first: mycpu is %gs:0 */
	struct thread *gd_curthread;  /* running thread */
	int gd_cpuid;                 /* dense CPU number, 0 = boot CPU */
	volatile int gd_online;       /* set once the CPU runs its idle loop */
	int gd_stage;                 /* AP startup progress (mp_machdep.c) */
	uint64_t gd_test_word;        /* scratch word for cross-CPU tests */
	struct pcpu_counters gd_cnt;  /* event counters */
	struct lwkt_ipiq **gd_ipiq;   /* [src]: FIFO from CPU src to us */
	cpumask_t gd_ipimask;         /* sources with announced messages */
	cpumask_t gd_ipimask_passive; /* sources with passive messages */
	volatile int gd_ipi_draining; /* we are draining: no IPI needed */
	volatile int gd_reqflags;     /* RQF_*: deferred work (thread.h) */
	volatile int gd_spinlocks;    /* spin locks held: no preemption */
	int gd_ipiq_nest; /* wait-step drains active (lwkt_ipiq.c) */
};

extern cpumask_t smp_active_mask; /* CPUs online: bits 0..ncpus-1 */
extern int ncpus;                 /* CPUs online (dense 0..ncpus-1) */
struct globaldata *globaldata_find(int cpuid);
/* Print every CPU's counters as tables (kern_counters.c). */
void print_counters(void);

#ifndef KERNEL_HOST
#include <machine/gdaccess.h>
#endif

#endif /* !_SYS_GLOBALDATA_H_ */
