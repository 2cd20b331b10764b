/*
 * pmap_inval_test.c - tests of the shootdown machinery itself (suite
 * "inval", sys/platform/pc64/pmap_inval.c): flushes issued before the
 * pools exist reach the online APs, more batches in flight on one CPU
 * than it has flight records neither deadlock nor panic, two CPUs
 * shooting at each other with interrupts off both progress, and the
 * measurement behind the invalidation ceiling.  The pmap's multiprocessor
 * semantics are tested in pmap_mp_test.c.
 */
#include <cpu/cpufunc.h>
#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <machine/md_var.h>
#include <machine/pmap.h>
#include <machine/pmap_inval.h>
#include <machine/vmparam.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/cpumask.h>
#include <sys/ktest.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

#include "pmap_test_var.h"

#define UVA_BASE 0x0000000040000000ul /* user test mappings */
#define RW       (VM_PROT_READ | VM_PROT_WRITE)

/*
 * Shootdowns before pmap_mp_init(): the APs are online and have run on
 * the kernel's mappings, so the path a flush takes before the pools
 * exist (pmap_inval_flush_early) must reach them.  Every CPU reads a
 * kernel page (caching its translation); the PTE is then pointed at
 * another frame behind the TLBs' back and the early path invalidates
 * it; every CPU must then read the new frame.
 */
static uint64_t early_val[MAXCPU];

static void
read_all(void *arg1, uint64_t va, void *frame)
{
	early_val[mycpu->gd_cpuid] = *(volatile uint64_t *)va;
}

static void
pmapmp_early_flush_reaches_aps(struct ktest *t)
{
	vm_offset_t va = kva_alloc(1);
	vm_paddr_t fa = frame_alloc(0xa), fb = frame_alloc(0xb);
	struct pmap_inval_batch b;
	cpumask_t all = smp_active_mask;
	pt_entry_t *pte;
	int cpu, stale = 0;

	if (ncpus < 2)
		KT_SKIP(t, "needs 2 CPUs");
	KT_ASSERT(t, va != 0 && fa != 0 && fb != 0);
	pmap_kenter(va, fa, RW);
	lwkt_cpusync_simple(&all, read_all, NULL, va);
	for (cpu = 0; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, early_val[cpu], 0xa);
	pte = pmap_kpte(va);
	KT_ASSERT(t, pte != NULL);
	/* Behind the TLBs' back: only the flush below may fix them. */
	__atomic_store_n(pte, (*pte & ~PG_FRAME) | fb, __ATOMIC_SEQ_CST);
	pmap_inval_batch_init(&b, pmap_kernel());
	pmap_inval_add(&b, va, va + PAGE_SIZE);
	pmap_inval_flush_early(&b);
	lwkt_cpusync_simple(&all, read_all, NULL, va);
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (early_val[cpu] == 0xb)
			continue;
		if (stale++ < 4)
			ktest_fail(t, __FILE__, __LINE__,
			           "stale TLB on cpu %d after an early "
			           "shootdown: read %#lx, want 0xb",
			           cpu, early_val[cpu]);
	}
	kprintf("    # early shootdown: %d of %d CPUs read the new frame\n",
	        ncpus - stale, ncpus);
	pmap_kremove(va);
	kva_free(va, 1);
	frame_free(fa);
	frame_free(fb);
}

/*
 * One CPU with more shootdowns outstanding than its pool has records:
 * 3 x PMAP_INVAL_NFLIGHT kernel batches are flushed (every other CPU a
 * target: idle deferral off) and only then waited for, in order.  The
 * records a batch no longer needs once its targets have acknowledged
 * must be reusable before the batch waits, or the flush after the
 * pool's last record spins until the 10 s watchdog panic (blaming the
 * targets).  Every wait must then see its own flight complete even
 * though its record has since carried others.
 */
#define NOUT (3 * PMAP_INVAL_NFLIGHT)
static struct pmap_inval_batch out_b[NOUT];

static void
pmapmp_many_batches_outstanding(struct ktest *t)
{
	vm_offset_t va = kva_alloc(1);
	int i, saved = pmap_inval_idle_defer;
	uint64_t recv0 = 0, recv1 = 0, t0;
	int cpu;

	if (ncpus < 2)
		KT_SKIP(t, "needs 2 CPUs");
	KT_ASSERT(t, va != 0);
	for (cpu = 1; cpu < ncpus; cpu++)
		recv0 += globaldata_find(cpu)->gd_cnt.pc_inval_recv;
	pmap_inval_idle_defer = 0;
	t0 = nanouptime();
	crit_enter(); /* all from one CPU's pool */
	for (i = 0; i < NOUT; i++) {
		pmap_inval_batch_init(&out_b[i], pmap_kernel());
		pmap_inval_add(&out_b[i], va, va + PAGE_SIZE);
		pmap_inval_batch_flush(&out_b[i]);
	}
	crit_exit();
	for (i = 0; i < NOUT; i++) {
		pmap_inval_batch_wait(&out_b[i]);
		KT_EXPECT(t, pmap_inval_batch_done(&out_b[i]));
	}
	pmap_inval_idle_defer = saved;
	for (cpu = 1; cpu < ncpus; cpu++)
		recv1 += globaldata_find(cpu)->gd_cnt.pc_inval_recv;
	kprintf("    # %d batches outstanding on cpu %d (pool %d): %lu "
	        "messages received, %lu us\n",
	        NOUT, mycpu->gd_cpuid, PMAP_INVAL_NFLIGHT, recv1 - recv0,
	        (nanouptime() - t0) / NS_PER_US);
	KT_EXPECT(t, recv1 - recv0 >= (uint64_t)NOUT * (uint64_t)(ncpus - 1));
	kva_free(va, 1);
}

/*
 * Two initiators shooting at each other with interrupts off: the main
 * thread (CPU 0) and a helper on CPU 1 meet at a barrier, then each, with
 * interrupts disabled, flushes a kernel batch (the other is a target) and
 * waits for it; MW_ROUNDS times.  Neither CPU can take the other's IPI, so
 * each must serve the other's request while it waits: ipiq, the wait
 * step's drain; thread, pmap_inval_poll() running the invalidation
 * thread's mailbox inline (the thread cannot be switched to); sync, the
 * poll of its own sync mailbox (the vector cannot be taken).  Without
 * that (pmap.bug=no_serve) both spin until the watchdog panics.
 */
#define MW_ROUNDS 200

static struct {
	vm_offset_t mw_va[2];   /* the page each CPU shoots down */
	volatile int mw_arrive; /* barrier: arrivals so far */
	volatile int mw_done;   /* rounds CPU 1 completed */
} mw;

static void
mw_round(int who, int round)
{
	struct pmap_inval_batch b;
	uint64_t fl;

	/* Barrier; serve meanwhile (other CPUs may shoot at us). */
	__atomic_add_fetch(&mw.mw_arrive, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&mw.mw_arrive, __ATOMIC_ACQUIRE) < 2 * round)
		lwkt_ipiq_wait_step();
	fl = intr_disable();
	pmap_inval_batch_init(&b, pmap_kernel());
	pmap_inval_add(&b, mw.mw_va[who], mw.mw_va[who] + PAGE_SIZE);
	pmap_inval_batch_flush(&b);
	pmap_inval_batch_wait(&b);
	intr_restore(fl);
}

static void
mw_helper(void *arg)
{
	int r;

	(void)arg;
	for (r = 1; r <= MW_ROUNDS; r++) {
		mw_round(1, r);
		__atomic_store_n(&mw.mw_done, r, __ATOMIC_RELEASE);
	}
}

static void
pmapmp_mutual_wait_introff(struct ktest *t)
{
	uint64_t p0, p1, t0;
	int r, saved = pmap_inval_idle_defer;

	if (ncpus < 2)
		KT_SKIP(t, "needs 2 CPUs");
	memset(&mw, 0, sizeof(mw));
	mw.mw_va[0] = kva_alloc(1);
	mw.mw_va[1] = kva_alloc(1);
	KT_ASSERT(t, mw.mw_va[0] != 0 && mw.mw_va[1] != 0);
	pmap_inval_idle_defer = 0; /* every other CPU a target, even idle */
	p0 = globaldata_find(0)->gd_cnt.pc_inval_polled;
	p1 = globaldata_find(1)->gd_cnt.pc_inval_polled;
	t0 = nanouptime();
	lwkt_create(mw_helper, NULL, "mutual", 1, TDPRI_NORMAL);
	for (r = 1; r <= MW_ROUNDS; r++)
		mw_round(0, r);
	KT_EXPECT(t, wait_until(&mw.mw_done, MW_ROUNDS));
	pmap_inval_idle_defer = saved;
	kprintf("    # %d rounds of cpu 0 and 1 shooting at each other with "
	        "interrupts off (pmap.inval=%s): %lu us; served while "
	        "waiting: cpu 0 %lu, cpu 1 %lu\n",
	        MW_ROUNDS, pmap_inval_mode_name,
	        (nanouptime() - t0) / NS_PER_US,
	        globaldata_find(0)->gd_cnt.pc_inval_polled - p0,
	        globaldata_find(1)->gd_cnt.pc_inval_polled - p1);
	kva_free(mw.mw_va[0], 1);
	kva_free(mw.mw_va[1], 1);
}

/*
 * Not a check: measure what the ceiling trades off, on this CPU with a
 * user pmap active, and print it (docs/ARCHITECTURE.md section 11 quotes the numbers).
 */
static void
pmapmp_measure_ceiling(struct ktest *t)
{
	enum { NP = 64, REPS = 20 };
	struct pmap *pm = pmap_create();
	vm_paddr_t f = frame_alloc(1);
	uint64_t t0, t_invlpg = 0, t_full = 0, t_refill_full = 0,
	             t_refill_pg = 0;
	volatile uint64_t sink = 0;
	int i, r;

	KT_ASSERT(t, pm != NULL);
	for (i = 0; i < 2 * NP; i++)
		KT_ASSERT_EQ(t,
		             pmap_enter(pm, UVA_BASE + i * PAGE_SIZE, f,
		                        VM_PROT_READ, 0),
		             0);
	crit_enter();
	lwkt_set_pmap(pm);
	cpu_user_access_begin(); /* user pages, from ring 0 on purpose */
	for (r = 0; r < REPS; r++) {
		for (i = 0; i < NP; i++)
			sink +=
			    *(volatile uint64_t *)(UVA_BASE + i * PAGE_SIZE);
		/* per-page: invalidate the other NP pages, then touch */
		t0 = rdtsc_ordered();
		for (i = NP; i < 2 * NP; i++)
			invlpg(UVA_BASE + i * PAGE_SIZE);
		t_invlpg += rdtsc_ordered() - t0;
		t0 = rdtsc_ordered();
		for (i = 0; i < NP; i++)
			sink +=
			    *(volatile uint64_t *)(UVA_BASE + i * PAGE_SIZE);
		t_refill_pg += rdtsc_ordered() - t0;
		/* full flush, then touch the same pages */
		t0 = rdtsc_ordered();
		load_cr3(rcr3());
		t_full += rdtsc_ordered() - t0;
		t0 = rdtsc_ordered();
		for (i = 0; i < NP; i++)
			sink +=
			    *(volatile uint64_t *)(UVA_BASE + i * PAGE_SIZE);
		t_refill_full += rdtsc_ordered() - t0;
	}
	cpu_user_access_end();
	lwkt_set_pmap(NULL);
	crit_exit();
	/* TSC ticks -> ns */
#define NS(x) ((uint64_t)((x)*1000000000ul / (tsc_freq * REPS)))
	kprintf("    # ceiling: %d x invlpg %lu ns (%lu ns each); full flush "
	        "%lu ns; touching %d pages after invlpg %lu ns, after full "
	        "flush %lu ns; ceiling is %d pages\n",
	        NP, NS(t_invlpg), NS(t_invlpg) / NP, NS(t_full), NP,
	        NS(t_refill_pg), NS(t_refill_full), pmap_inval_ceiling);
#undef NS
	pmap_destroy(pm);
	frame_free(f);
}

KTEST_SUITE(inval, "inval", NULL, NULL,
            KTEST_CASE(pmapmp_many_batches_outstanding),
            KTEST_CASE(pmapmp_early_flush_reaches_aps),
            KTEST_CASE(pmapmp_mutual_wait_introff),
            KTEST_CASE(pmapmp_measure_ceiling));
