/*
 * pmap_mp_test.c - tests of the multiprocessor pmap (suite "pmapmp").
 *
 * The evidence is of two kinds.  Exact counts: "parker" threads run on a
 * user pmap on chosen CPUs (lwkt_set_pmap) and touch a page in a loop,
 * so pm_active is exactly those CPUs; the per-CPU counters then show who
 * was sent and who received an invalidation message.  And what the
 * hardware does: parkers read or write through the mapping on command
 * after a pmap call has returned, so a CPU whose TLB kept the old
 * translation reads an old value or writes a page that is read-only -
 * with pmap.bug=no_remote (remote flushes skipped) those tests fail.
 * The main thread runs on CPU 0 on the kernel pmap, so it is in no user
 * pm_active unless a test puts it there.  Parkers spin only while a case
 * runs, on at most three CPUs, for a few milliseconds.
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
#include <sys/msgport.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/pmap_msg.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

#include "pmap_test_var.h"

#define UVA_BASE    0x0000000040000000ul /* user test mappings (1 GiB) */
#define GEN_OLD     0x01d0000000000000ul /* the frame being replaced */
#define GEN_DEAD    0xdeadull            /* written into it once unmapped */
#define MAXPARK     3                    /* parker CPUs at most */
#define CMD_WAIT_NS (2 * NS_PER_S)       /* parkers must answer by then */

#define CMD_NONE    0 /* just spin */
#define CMD_READ    1 /* val[cpu] = *cmd_va */
#define CMD_PROBE_W 2 /* res[cpu] = cpu_probe(cmd_va, write) */
#define CMD_PROBE_R 3 /* res[cpu] = cpu_probe(cmd_va, read) */
#define CMD_EXIT    4 /* leave the pmap and exit */

struct parkers {
	struct pmap *pk_pm;       /* the pmap they run on */
	vm_offset_t pk_bg_va;     /* page probed in the idle spin, or 0 */
	volatile int pk_cmd;      /* CMD_* for generation pk_gen */
	vm_offset_t pk_cmd_va;    /* its address */
	volatile uint32_t pk_gen; /* bumped for each command */
	volatile uint32_t pk_ack[MAXCPU]; /* generation each CPU finished */
	volatile uint64_t pk_val[MAXCPU]; /* CMD_READ results */
	volatile int pk_res[MAXCPU];      /* CMD_PROBE_* results */
	volatile int pk_running;          /* parkers on the pmap */
	cpumask_t pk_cpus;                /* where they run */
};

/* Counter snapshots: static, the per-CPU arrays are too big for a stack. */
struct snap {
	uint64_t s_sent[MAXCPU];     /* pc_inval_sent */
	uint64_t s_recv[MAXCPU];     /* pc_inval_recv */
	uint64_t s_ipi[MAXCPU];      /* pc_ipi_recv */
	uint64_t s_invlpg[MAXCPU];   /* pc_invlpg */
	uint64_t s_invltlb[MAXCPU];  /* pc_invltlb */
	uint64_t s_deferred[MAXCPU]; /* pc_inval_deferred */
};
static struct snap snap0, snap1;
static struct parkers park;

static void
snap_take(struct snap *s)
{
	int i;

	for (i = 0; i < ncpus; i++) {
		const struct pcpu_counters *c = &globaldata_find(i)->gd_cnt;

		s->s_sent[i] = c->pc_inval_sent;
		s->s_recv[i] = c->pc_inval_recv;
		s->s_ipi[i] = c->pc_ipi_recv;
		s->s_invlpg[i] = c->pc_invlpg;
		s->s_invltlb[i] = c->pc_invltlb;
		s->s_deferred[i] = c->pc_inval_deferred;
	}
}

#define D(field, cpu) (snap1.field[cpu] - snap0.field[cpu])

static void
parker_main(void *arg)
{
	struct parkers *p = arg;
	int me = mycpu->gd_cpuid;
	uint32_t seen = 0;

	lwkt_set_pmap(p->pk_pm);
	__atomic_fetch_add(&p->pk_running, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t g = __atomic_load_n(&p->pk_gen, __ATOMIC_ACQUIRE);

		if (g != seen) {
			int cmd = p->pk_cmd;

			seen = g;
			if (cmd == CMD_READ) {
				cpu_user_access_begin();
				p->pk_val[me] =
				    *(volatile uint64_t *)p->pk_cmd_va;
				cpu_user_access_end();
			} else if (cmd == CMD_PROBE_W || cmd == CMD_PROBE_R)
				p->pk_res[me] = cpu_probe((void *)p->pk_cmd_va,
				                          cmd == CMD_PROBE_W);
			if (cmd == CMD_EXIT) {
				lwkt_set_pmap(NULL);
				__atomic_fetch_sub(&p->pk_running, 1,
				                   __ATOMIC_SEQ_CST);
			}
			__atomic_store_n(&p->pk_ack[me], g, __ATOMIC_RELEASE);
			if (cmd == CMD_EXIT)
				return;
		}
		if (p->pk_bg_va != 0) /* keep the translation in the TLB */
			(void)cpu_probe((void *)p->pk_bg_va, 0);
		cpu_pause();
	}
}

bool
wait_until(volatile int *v, int want)
{
	uint64_t end = nanouptime() + CMD_WAIT_NS;

	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) != want) {
		if (nanouptime() > end)
			return false;
		lwkt_yield();
		cpu_pause();
	}
	return true;
}

/* Park one thread on each CPU first..first+n-1 on pm. */
static bool
parkers_start(struct parkers *p, struct pmap *pm, int first, int n,
              vm_offset_t bg_va)
{
	int cpu;

	memset(p, 0, sizeof(*p));
	p->pk_pm = pm;
	p->pk_bg_va = bg_va;
	for (cpu = first; cpu < first + n; cpu++) {
		cpumask_set(&p->pk_cpus, cpu);
		lwkt_create(parker_main, p, "parker", cpu, TDPRI_NORMAL);
	}
	return wait_until(&p->pk_running, n);
}

static bool
parkers_cmd(struct parkers *p, int cmd, vm_offset_t va)
{
	uint64_t end = nanouptime() + CMD_WAIT_NS;
	uint32_t g;
	int cpu;

	p->pk_cmd = cmd;
	p->pk_cmd_va = va;
	g = __atomic_add_fetch(&p->pk_gen, 1, __ATOMIC_SEQ_CST);
	CPUMASK_FOREACH(cpu, &p->pk_cpus)
	{
		while (__atomic_load_n(&p->pk_ack[cpu], __ATOMIC_ACQUIRE) !=
		       g) {
			if (nanouptime() > end)
				return false;
			cpu_pause();
		}
	}
	return true;
}

static void
parkers_stop(struct parkers *p)
{
	parkers_cmd(p, CMD_EXIT, 0);
	wait_until(&p->pk_running, 0);
}

/* Parkers on CPUs 1..k, k = min(MAXPARK, ncpus - 1). */
static int
nparkers(void)
{
	return MIN(MAXPARK, ncpus - 1);
}

vm_paddr_t
frame_alloc(uint64_t fill)
{
	struct vm_page *m = vm_page_alloc();
	uint64_t *p;
	int i;

	if (m == NULL)
		return 0;
	p = pmap_map_dmap(vm_page_to_phys(m));
	for (i = 0; i < 512; i++)
		p[i] = fill;
	return vm_page_to_phys(m);
}

void
frame_free(vm_paddr_t pa)
{
	vm_page_free(phys_to_vm_page(pa));
}

static uint64_t *
frame_word(vm_paddr_t pa)
{
	return pmap_map_dmap(pa);
}

#define RW (VM_PROT_READ | VM_PROT_WRITE)

/*
 * A shootdown in a pmap active on k CPUs sends exactly k messages, one
 * to each of them; every other CPU receives nothing.  Up to the ceiling
 * a removal of many pages is still one message per target (and that many
 * INVLPGs there); one page more and the targets flush everything.  Both
 * sides of the ceiling are checked by what the targets see, too: each
 * parker reads every page first (its TLB holds them all), and after the
 * removal every page must fault on every parker.
 */
static void
pmapmp_exact_targets(struct ktest *t)
{
	int k = nparkers(), ceil = pmap_inval_ceiling, i, cpu, n, j, stale;
	int sizes[3] = {1, ceil, ceil + 1};
	struct pmap *pm;
	vm_paddr_t fa, fb[64];
	vm_offset_t a = UVA_BASE, bva = UVA_BASE + 8 * PAGE_SIZE;

	if (k < 1)
		KT_SKIP(t, "needs 2 CPUs");
	if (ceil < 2 || ceil + 1 > (int)nitems(fb))
		KT_SKIP(t, "pmap.inval_ceiling too large for this test");
	pm = pmap_create();
	KT_ASSERT(t, pm != NULL);
	fa = frame_alloc(1);
	KT_ASSERT_EQ(t, pmap_enter(pm, a, fa, RW, 0), 0);
	for (i = 0; i < ceil + 1; i++) {
		fb[i] = frame_alloc(2);
		KT_ASSERT_EQ(
		    t, pmap_enter(pm, bva + i * PAGE_SIZE, fb[i], RW, 0), 0);
	}
	KT_ASSERT(t, parkers_start(&park, pm, 1, k, a));
	KT_EXPECT_EQ(t, cpumask_count(&pm->pm_active), k);

	for (j = 0; j < 3; j++) {
		n = sizes[j];
		for (i = 0; i < n; i++)
			KT_ASSERT_EQ(
			    t,
			    pmap_enter(pm, bva + i * PAGE_SIZE, fb[i], RW, 0),
			    0);
		for (i = 0; i < n; i++)
			KT_ASSERT(t, parkers_cmd(&park, CMD_READ,
			                         bva + i * PAGE_SIZE));
		snap_take(&snap0);
		pmap_remove(pm, bva, bva + (vm_offset_t)n * PAGE_SIZE);
		snap_take(&snap1);
		stale = 0;
		for (i = 0; i < n; i++) {
			KT_ASSERT(t, parkers_cmd(&park, CMD_PROBE_R,
			                         bva + i * PAGE_SIZE));
			CPUMASK_FOREACH(cpu, &park.pk_cpus)
			{
				if (park.pk_res[cpu] != -1 && stale++ < 4)
					ktest_fail(t, __FILE__, __LINE__,
					           "%d pages: stale TLB on cpu "
					           "%d: page %d still readable",
					           n, cpu, i);
			}
		}
		KT_EXPECT_EQ(t, D(s_sent, 0), k);
		for (cpu = 0; cpu < ncpus; cpu++) {
			bool target = cpu >= 1 && cpu <= k;

			KT_EXPECT_EQ(t, D(s_recv, cpu), target ? 1 : 0);
			if (!target)
				continue;
			if (n <= ceil) {
				KT_EXPECT(t, D(s_invlpg, cpu) >= (uint64_t)n);
				KT_EXPECT_EQ(t, D(s_invltlb, cpu), 0);
			} else {
				KT_EXPECT_EQ(t, D(s_invltlb, cpu), 1);
			}
		}
		kprintf("    # %d pages: %lu messages from cpu 0, target cpu 1 "
		        "did %lu invlpg, %lu full flushes\n",
		        n, D(s_sent, 0), D(s_invlpg, 1), D(s_invltlb, 1));
	}
	parkers_stop(&park);
	KT_EXPECT(t, cpumask_isempty(&pm->pm_active));
	/* Inactive everywhere: a removal sends nothing at all. */
	KT_ASSERT_EQ(t, pmap_enter(pm, bva, fb[0], RW, 0), 0);
	snap_take(&snap0);
	pmap_remove(pm, bva, bva + PAGE_SIZE);
	snap_take(&snap1);
	for (cpu = 0; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, D(s_recv, cpu), 0);
	pmap_destroy(pm);
	frame_free(fa);
	for (i = 0; i < ceil + 1; i++)
		frame_free(fb[i]);
}

/*
 * Stale reads: parkers read a generation word through va; the mapping
 * is switched to a new frame and the old frame overwritten.  Once the
 * pmap call has returned, no CPU may still read the old frame.
 */
static void
pmapmp_no_stale_read(struct ktest *t)
{
	enum { ROUNDS = 8 };
	int k = nparkers(), round, cpu, stale = 0;
	struct pmap *pm;
	vm_offset_t va = UVA_BASE;
	vm_paddr_t frames[ROUNDS + 1];

	if (k < 1)
		KT_SKIP(t, "needs 2 CPUs");
	pm = pmap_create();
	KT_ASSERT(t, pm != NULL);
	frames[0] = frame_alloc(GEN_OLD);
	KT_ASSERT_EQ(t, pmap_enter(pm, va, frames[0], VM_PROT_READ, 0), 0);
	KT_ASSERT(t, parkers_start(&park, pm, 1, k, va));
	/*
	 * Frames are kept until the end so that a stale translation can
	 * never land on a frame that happens to hold the right value.
	 */
	for (round = 1; round <= ROUNDS; round++) {
		vm_paddr_t old = frames[round - 1];

		/* Every parker has the current translation cached. */
		KT_ASSERT(t, parkers_cmd(&park, CMD_READ, va));
		frames[round] = frame_alloc((uint64_t)round);
		if (round & 1) {
			/* replace in place: enter over a valid mapping */
			KT_ASSERT_EQ(
			    t,
			    pmap_enter(pm, va, frames[round], VM_PROT_READ, 0),
			    0);
		} else {
			/* remove (empties the page tables), then enter */
			pmap_remove(pm, va, va + PAGE_SIZE);
			KT_ASSERT_EQ(
			    t,
			    pmap_enter(pm, va, frames[round], VM_PROT_READ, 0),
			    0);
		}
		*frame_word(old) = GEN_DEAD; /* "reused" for something else */
		KT_ASSERT(t, parkers_cmd(&park, CMD_READ, va));
		CPUMASK_FOREACH(cpu, &park.pk_cpus)
		{
			if (park.pk_val[cpu] != (uint64_t)round) {
				kprintf("    # round %d: cpu %d read %#lx, "
				        "want %#x (stale TLB)\n",
				        round, cpu, park.pk_val[cpu], round);
				stale++;
			}
		}
	}
	KT_EXPECT_EQ(t, stale, 0);
	parkers_stop(&park);
	pmap_destroy(pm);
	for (round = 0; round <= ROUNDS; round++)
		frame_free(frames[round]);
}

/*
 * RW -> RO: after pmap_protect() returns, a write through the mapping
 * faults on every CPU that had it writable in its TLB, this one
 * included; reads still work.
 */
static void
pmapmp_protect_faults_everywhere(struct ktest *t)
{
	int k = nparkers(), cpu;
	struct pmap *pm;
	vm_offset_t va = UVA_BASE;
	vm_paddr_t f;

	if (k < 1)
		KT_SKIP(t, "needs 2 CPUs");
	pm = pmap_create();
	KT_ASSERT(t, pm != NULL);
	f = frame_alloc(7);
	KT_ASSERT_EQ(t, pmap_enter(pm, va, f, RW, 0), 0);
	KT_ASSERT(t, parkers_start(&park, pm, 1, k, 0));
	KT_ASSERT(t, parkers_cmd(&park, CMD_PROBE_W, va));
	CPUMASK_FOREACH(cpu, &park.pk_cpus)
	KT_EXPECT_EQ(t, park.pk_res[cpu], 0);
	lwkt_set_pmap(pm);
	KT_EXPECT_EQ(t, cpu_probe((void *)va, 1), 0);

	pmap_protect(pm, va, va + PAGE_SIZE, VM_PROT_READ);

	KT_EXPECT_EQ(t, cpu_probe((void *)va, 1), -1); /* initiator */
	KT_EXPECT_EQ(t, cpu_probe((void *)va, 0), 0);
	lwkt_set_pmap(NULL);
	KT_ASSERT(t, parkers_cmd(&park, CMD_PROBE_W, va));
	CPUMASK_FOREACH(cpu, &park.pk_cpus)
	{
		if (park.pk_res[cpu] != -1)
			kprintf("    # cpu %d could still write the page\n",
			        cpu);
		KT_EXPECT_EQ(t, park.pk_res[cpu], -1);
	}
	KT_ASSERT(t, parkers_cmd(&park, CMD_PROBE_R, va));
	CPUMASK_FOREACH(cpu, &park.pk_cpus)
	KT_EXPECT_EQ(t, park.pk_res[cpu], 0);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, va) & PG_RW, 0);
	parkers_stop(&park);
	pmap_destroy(pm);
	frame_free(f);
}

/*
 * RO -> RW in place: pmap_protect_batch() sets the PTE's write bit
 * itself and queues no shootdown (a CPU that kept the read-only
 * translation can only take a spurious fault, SDM 4.10.4.3, which the
 * fault path retries), and a write then works on every CPU.  RW -> RO
 * again changes one PTE and queues its invalidation.
 */
static void
pmapmp_protect_widens_in_place(struct ktest *t)
{
	struct pmap_inval_batch b;
	int k = nparkers(), cpu;
	struct pmap *pm;
	vm_offset_t va = UVA_BASE;
	vm_paddr_t f;

	pm = pmap_create();
	KT_ASSERT(t, pm != NULL);
	f = frame_alloc(7);
	KT_ASSERT_EQ(t, pmap_enter(pm, va, f, VM_PROT_READ, 0), 0);
	if (k >= 1) {
		KT_ASSERT(t, parkers_start(&park, pm, 1, k, 0));
		/* Each parker now holds the read-only translation. */
		KT_ASSERT(t, parkers_cmd(&park, CMD_PROBE_R, va));
	}

	pmap_inval_batch_init(&b, pm);
	pmap_protect_batch(pm, va, va + PAGE_SIZE, RW, &b);
	KT_EXPECT_EQ(t, b.ib_nchanged, 0);
	KT_EXPECT(t, pmap_inval_batch_done(&b)); /* nothing was queued */
	pmap_inval_batch_wait(&b);
	KT_EXPECT(t, (pmap_pte_get(pm, va) & PG_RW) != 0);
	if (k >= 1) {
		KT_ASSERT(t, parkers_cmd(&park, CMD_PROBE_W, va));
		CPUMASK_FOREACH(cpu, &park.pk_cpus)
		KT_EXPECT_EQ(t, park.pk_res[cpu], 0);
	}

	pmap_inval_batch_init(&b, pm);
	pmap_protect_batch(pm, va, va + PAGE_SIZE, VM_PROT_READ, &b);
	KT_EXPECT_EQ(t, b.ib_nchanged, 1);
	KT_EXPECT(t, !pmap_inval_batch_done(&b)); /* the narrowing is */
	pmap_inval_batch_wait(&b);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, va) & PG_RW, 0);
	if (k >= 1)
		parkers_stop(&park);
	pmap_destroy(pm);
	frame_free(f);
}

/* Message: hold this CPU's drain (so senders see it draining). */
static volatile int stall_release;
static volatile int stall_entered;

static void
stall_ipi(void *arg1, uint64_t arg2, void *frame)
{
	uint64_t end = nanouptime() + 500 * NS_PER_MS;

	__atomic_store_n(&stall_entered, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&stall_release, __ATOMIC_ACQUIRE) &&
	       nanouptime() < end)
		cpu_pause();
}

struct initiator {
	struct pmap *in_pm;   /* pmap to shoot down in */
	vm_offset_t in_va;    /* its own page */
	volatile int in_done; /* removal returned */
};

static struct initiator inits[MAXCPU];

static void
initiator_main(void *arg)
{
	struct initiator *in = arg;

	pmap_remove(in->in_pm, in->in_va, in->in_va + PAGE_SIZE);
	__atomic_store_n(&in->in_done, 1, __ATOMIC_RELEASE);
}

/*
 * Several initiators shooting down in the same target while it is busy
 * draining: their messages ride along in that drain, so the target
 * takes fewer hardware IPIs than it receives messages.
 */
static void
pmapmp_concurrent_initiators_coalesce(struct ktest *t)
{
	int target = 1, ninit = MIN(3, ncpus - 2), i;
	uint64_t ipis, msgs, sent = 0, vec0, vec;
	struct pmap *pm;
	vm_paddr_t f;
	uint64_t end;

	if (ninit < 2)
		KT_SKIP(t, "needs 4 CPUs");
	pm = pmap_create();
	KT_ASSERT(t, pm != NULL);
	f = frame_alloc(3);
	for (i = 0; i <= ninit; i++)
		KT_ASSERT_EQ(
		    t, pmap_enter(pm, UVA_BASE + i * PAGE_SIZE, f, RW, 0), 0);
	KT_ASSERT(t, parkers_start(&park, pm, target, 1, UVA_BASE));
	stall_release = 0;
	stall_entered = 0;
	snap_take(&snap0);
	vec0 = globaldata_find(target)->gd_cnt.pc_ipi_vec_recv[2];
	lwkt_send_ipiq(target, stall_ipi, NULL, 0);
	KT_ASSERT(t, wait_until(&stall_entered, 1));
	for (i = 0; i < ninit; i++) {
		inits[i].in_pm = pm;
		inits[i].in_va = UVA_BASE + (i + 1) * PAGE_SIZE;
		inits[i].in_done = 0;
		lwkt_create(initiator_main, &inits[i], "initiator", 2 + i,
		            TDPRI_NORMAL);
	}
	/* Wait until every initiator has sent, then let the target go. */
	end = nanouptime() + CMD_WAIT_NS;
	while (sent < (uint64_t)ninit && nanouptime() < end) {
		sent = 0;
		for (i = 0; i < ninit; i++)
			sent += globaldata_find(2 + i)->gd_cnt.pc_inval_sent -
			        snap0.s_sent[2 + i];
		cpu_pause();
	}
	__atomic_store_n(&stall_release, 1, __ATOMIC_RELEASE);
	KT_EXPECT_EQ(t, sent, ninit);
	for (i = 0; i < ninit; i++)
		KT_EXPECT(t, wait_until(&inits[i].in_done, 1));
	snap_take(&snap1);
	ipis = D(s_ipi, target);
	msgs = D(s_recv, target);
	kprintf("    # target cpu %d: %lu invalidation messages, %lu hardware "
	        "IPIs (stall message included)\n",
	        target, msgs, ipis);
	KT_EXPECT_EQ(t, msgs, ninit);
	if (pmap_inval_mode == PMAP_INVAL_SYNC) {
		/*
		 * No IPI-queue coalescing: each initiator raises the vector,
		 * but the stalled target (interrupts off) holds one pending
		 * in its APIC (IRR), whose one handler serves every record.
		 */
		vec = globaldata_find(target)->gd_cnt.pc_ipi_vec_recv[2] - vec0;
		kprintf("    # sync: %lu vector interrupts served them\n", vec);
		KT_EXPECT(t, vec >= 1 && vec < msgs);
	} else {
		KT_EXPECT(t, ipis < msgs);
	}
	parkers_stop(&park);
	pmap_destroy(pm);
	frame_free(f);
}

/*
 * Page-table pages emptied by a removal are unlinked at once but freed
 * only when the batch's wait returns.
 */
static void
pmapmp_ptpages_freed_after_wait(struct ktest *t)
{
	struct pmap_inval_batch b;
	struct pmap_walk w;
	struct pmap *pm = pmap_create();
	vm_offset_t va = UVA_BASE + 5 * NBPDP + 3 * NBPDR;
	vm_paddr_t f = frame_alloc(9), tables[3];
	int i, k = nparkers();

	KT_ASSERT(t, pm != NULL);
	KT_ASSERT_EQ(t, pmap_enter(pm, va, f, RW, 0), 0);
	KT_EXPECT_EQ(t, pmap_ptpages(pm), 3); /* PDP, PD, PT */
	pmap_kwalk(pm->pm_pml4_pa, va, &w);
	KT_ASSERT_EQ(t, w.pw_levels, 4);
	for (i = 0; i < 3; i++)
		tables[i] = w.pw_entry[i] & PG_FRAME;
	if (k >= 1)
		KT_ASSERT(t, parkers_start(&park, pm, 1, 1, 0));

	pmap_inval_batch_init(&b, pm);
	pmap_remove_batch(pm, va, va + PAGE_SIZE, &b);
	KT_EXPECT_EQ(t, pmap_ptpages(pm), 0);
	KT_EXPECT_EQ(t, pmap_extract(pm, va), ~0ull);
	pmap_inval_batch_flush(&b);
	/* Unlinked, but not yet free (sync: the flush waited and freed). */
	for (i = 0; i < 3; i++)
		KT_EXPECT_EQ(t, phys_to_vm_page(tables[i])->pg_flags & VPF_FREE,
		             pmap_inval_mode == PMAP_INVAL_SYNC ? VPF_FREE : 0);
	pmap_inval_batch_wait(&b);
	KT_EXPECT(t, pmap_inval_batch_done(&b));
	for (i = 0; i < 3; i++)
		KT_EXPECT_EQ(t, phys_to_vm_page(tables[i])->pg_flags & VPF_FREE,
		             VPF_FREE);
	KT_EXPECT_EQ(t, b.ib_nchanged, 1);
	if (k >= 1)
		parkers_stop(&park);
	pmap_destroy(pm);
	frame_free(f);
}

/*
 * A table that empties while a walker holds it is reaped by the walker's
 * release, in a batch that changed no leaf of its span: then only the
 * reap's own invalidation of an address in the span drops the cached
 * upper-level entries that point at the table (SDM 4.10.3: INVLPG drops
 * paging-structure-cache entries; an unlinked table may otherwise be
 * walked until one).  The parker on CPU 1 runs on the pmap throughout,
 * so with the TLB sanitizer its CPU may cache those entries, and the
 * tables' free is checked against them; the batch is also checked
 * directly, because TCG keeps no paging-structure cache to go stale
 * (pmap.bug=pt_noinval fails both).
 */
static void
pmapmp_reap_by_holder(struct ktest *t)
{
	struct pmap_inval_batch b;
	struct pmap_walk w;
	struct pmap *pm = pmap_create();
	vm_offset_t va = UVA_BASE + 6 * NBPDP + 5 * NBPDR + 7 * PAGE_SIZE;
	vm_offset_t span = rounddown2(va, NBPDR);
	vm_paddr_t f = frame_alloc(11), tables[3];
	bool covered = false;
	int i, k = nparkers();

	KT_ASSERT(t, pm != NULL);
	KT_ASSERT_EQ(t, pmap_enter(pm, va, f, RW, 0), 0);
	pmap_kwalk(pm->pm_pml4_pa, va, &w);
	KT_ASSERT_EQ(t, w.pw_levels, 4);
	for (i = 0; i < 3; i++)
		tables[i] = w.pw_entry[i] & PG_FRAME;
	if (k >= 1)
		KT_ASSERT(t, parkers_start(&park, pm, 1, 1, va));

	/* The leaf goes while we hold its table: nothing is reaped yet. */
	KT_ASSERT(t, pmap_test_pt_hold(pm, va));
	pmap_remove(pm, va, va + PAGE_SIZE);
	KT_EXPECT_EQ(t, pmap_ptpages(pm), 3);

	/* Our release reaps all three, through a batch of its own. */
	pmap_inval_batch_init(&b, pm);
	pmap_test_pt_unhold(pm, va, &b);
	KT_EXPECT_EQ(t, pmap_ptpages(pm), 0);
	KT_EXPECT_EQ(t, b.ib_nchanged, 0); /* leaves: none */
	for (i = 0; i < b.ib_nranges; i++)
		if (b.ib_sva[i] < span + NBPDR && b.ib_eva[i] > span)
			covered = true;
	KT_EXPECT(t, covered || b.ib_all);
	pmap_inval_batch_flush(&b);
	pmap_inval_batch_wait(&b);
	for (i = 0; i < 3; i++)
		KT_EXPECT_EQ(t, phys_to_vm_page(tables[i])->pg_flags & VPF_FREE,
		             VPF_FREE);
	if (k >= 1)
		parkers_stop(&park);
	pmap_destroy(pm);
	frame_free(f);
}

/* A frame handed to the batch is freed only by the wait. */
static void
pmapmp_defer_free_frame(struct ktest *t)
{
	struct pmap_inval_batch b;
	struct pmap *pm = pmap_create();
	vm_paddr_t f = frame_alloc(4), g = frame_alloc(5);

	KT_ASSERT(t, pm != NULL);
	KT_ASSERT_EQ(t, pmap_enter(pm, UVA_BASE, f, RW, 0), 0);
	KT_ASSERT_EQ(t, pmap_enter(pm, UVA_BASE + PAGE_SIZE, g, RW, 0), 0);
	pmap_inval_batch_init(&b, pm);
	pmap_remove_batch(pm, UVA_BASE, UVA_BASE + 2 * PAGE_SIZE, &b);
	pmap_inval_batch_defer_free(&b, f);
	pmap_inval_batch_flush(&b);
	pmap_inval_batch_defer_free(&b, g);
	KT_EXPECT_EQ(t, phys_to_vm_page(f)->pg_flags & VPF_FREE, 0);
	KT_EXPECT_EQ(t, phys_to_vm_page(g)->pg_flags & VPF_FREE, 0);
	pmap_inval_batch_wait(&b);
	KT_EXPECT_EQ(t, phys_to_vm_page(f)->pg_flags & VPF_FREE, VPF_FREE);
	KT_EXPECT_EQ(t, phys_to_vm_page(g)->pg_flags & VPF_FREE, VPF_FREE);
	KT_EXPECT_EQ(t, b.ib_nchanged, 2);
	pmap_destroy(pm);
}

/* 2 MiB mappings: extract, contents, conflicts with 4K, removal. */
static void
pmapmp_enter_2m(struct ktest *t)
{
	struct pmap *pm = pmap_create();
	vm_offset_t va = UVA_BASE + 4 * NBPDR;
	vm_paddr_t pa = KERNLOAD_PA; /* the kernel image: 2 MiB aligned */
	vm_paddr_t f = frame_alloc(6);
	uint64_t off = 0x12348;

	KT_ASSERT(t, pm != NULL);
	KT_EXPECT_EQ(
	    t, pmap_enter(pm, va + PAGE_SIZE, pa, VM_PROT_READ, PMAP_ENTER_2M),
	    -1); /* misaligned */
	KT_ASSERT_EQ(t, pmap_enter(pm, va, pa, VM_PROT_READ, PMAP_ENTER_2M), 0);
	KT_EXPECT_EQ(t, pmap_extract(pm, va + off), pa + off);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, va) & PG_PS, PG_PS);
	KT_EXPECT_EQ(t, pmap_ptpages(pm), 2); /* PDP, PD: no PT page */
	/* A 4K mapping inside it is refused. */
	KT_EXPECT_EQ(t, pmap_enter(pm, va + PAGE_SIZE, f, RW, 0), -1);
	lwkt_set_pmap(pm);
	cpu_user_access_begin();
	KT_EXPECT_EQ(t, *(volatile uint64_t *)(va + off),
	             *(uint64_t *)pmap_map_dmap(pa + off));
	cpu_user_access_end();
	KT_EXPECT_EQ(t, cpu_probe((void *)(va + NBPDR - 8), 1), -1); /* RO */
	pmap_remove(pm, va + PAGE_SIZE, va + 2 * PAGE_SIZE); /* all of it */
	KT_EXPECT_EQ(t, cpu_probe((void *)(va + off), 0), -1);
	lwkt_set_pmap(NULL);
	KT_EXPECT_EQ(t, pmap_extract(pm, va), ~0ull);
	/* And the other way round: a 2M mapping over a PT page is refused. */
	KT_ASSERT_EQ(t, pmap_enter(pm, va + PAGE_SIZE, f, RW, 0), 0);
	KT_EXPECT_EQ(t, pmap_enter(pm, va, pa, VM_PROT_READ, PMAP_ENTER_2M),
	             -1);
	pmap_destroy(pm);
	frame_free(f);
}

static void
pmapmp_extract(struct ktest *t)
{
	struct pmap *pm = pmap_create();
	vm_paddr_t f = frame_alloc(8);
	vm_offset_t va = UVA_BASE + 77 * PAGE_SIZE;

	KT_ASSERT(t, pm != NULL);
	KT_EXPECT_EQ(t, pmap_extract(pm, va), ~0ull);
	KT_ASSERT_EQ(t, pmap_enter(pm, va, f, VM_PROT_READ, 0), 0);
	KT_EXPECT_EQ(t, pmap_extract(pm, va), f);
	KT_EXPECT_EQ(t, pmap_extract(pm, va + 0xabc), f + 0xabc);
	KT_EXPECT_EQ(t, pmap_extract(pm, va + PAGE_SIZE), ~0ull);
	KT_EXPECT_EQ(t, pmap_extract(pm, 0), ~0ull);
	KT_EXPECT_EQ(t, pmap_extract(pm, VM_MAX_USER_ADDRESS - PAGE_SIZE),
	             ~0ull);
	/* The kernel half is shared. */
	KT_EXPECT_EQ(
	    t, pm->pm_pml4[KPML4_KERNEL],
	    ((pt_entry_t *)pmap_map_dmap(kernel_pml4_pa))[KPML4_KERNEL]);
	KT_EXPECT_EQ(t, pmap_extract(pmap_kernel(), (vm_offset_t)&ncpus),
	             pmap_kextract((vm_offset_t)&ncpus));
	KT_EXPECT_EQ(t, pmap_pte_get(pm, va) & (PG_V | PG_U | PG_RW),
	             PG_V | PG_U);
	pmap_destroy(pm);
	frame_free(f);
}

static void
probe_all(void *arg1, uint64_t arg2, void *frame)
{
	int *res = arg1;

	res[mycpu->gd_cpuid] = cpu_probe((void *)arg2, 0);
}

static int probe_res[MAXCPU];

/*
 * pmap_qenter/qremove: a run of kernel pages, visible on every CPU, and
 * removed with one message per other CPU (idle CPUs not deferred here
 * so the count is exact), after which every CPU faults on it.
 */
static void
pmapmp_qenter_qremove(struct ktest *t)
{
	enum { N = 6 };
	vm_paddr_t pa[N];
	vm_offset_t va = kva_alloc(N);
	cpumask_t all;
	int i, cpu, saved = pmap_inval_idle_defer;
	uint64_t sent = 0, deferred = 0;

	KT_ASSERT(t, va != 0);
	all = smp_active_mask;
	for (i = 0; i < N; i++)
		pa[i] = frame_alloc(0x100 + (uint64_t)i);
	pmap_qenter(va, pa, N);
	for (i = 0; i < N; i++)
		KT_EXPECT_EQ(t, *(volatile uint64_t *)(va + i * PAGE_SIZE),
		             0x100 + (uint64_t)i);
	lwkt_cpusync_simple(&all, probe_all, probe_res, va + 5 * PAGE_SIZE);
	for (cpu = 0; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, probe_res[cpu], 0);

	pmap_inval_idle_defer = 0;
	snap_take(&snap0);
	pmap_qremove(va, N);
	snap_take(&snap1);
	pmap_inval_idle_defer = saved;
	KT_EXPECT_EQ(t, D(s_sent, 0), ncpus - 1);
	for (cpu = 1; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, D(s_recv, cpu), 1);
	lwkt_cpusync_simple(&all, probe_all, probe_res, va + 5 * PAGE_SIZE);
	for (cpu = 0; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, probe_res[cpu], -1);

	/* With deferral: halted CPUs get no message, and still fault. */
	pmap_qenter(va, pa, N);
	lwkt_cpusync_simple(&all, probe_all, probe_res, va);
	delay_us(2000); /* let them go back to hlt */
	snap_take(&snap0);
	pmap_qremove(va, N);
	snap_take(&snap1);
	sent = D(s_sent, 0);
	deferred = D(s_deferred, 0);
	kprintf("    # qremove with idle deferral: %lu messages, %lu halted "
	        "CPUs deferred\n",
	        sent, deferred);
	KT_EXPECT_EQ(t, sent + deferred, ncpus - 1);
	lwkt_cpusync_simple(&all, probe_all, probe_res, va);
	for (cpu = 0; cpu < ncpus; cpu++)
		KT_EXPECT_EQ(t, probe_res[cpu], -1);
	kva_free(va, N);
	for (i = 0; i < N; i++)
		frame_free(pa[i]);
}

/* Writer thread for the A/D test: writes every page until told to stop. */
#define AD_PAGES 16
static volatile int ad_stop;
static volatile int ad_passes;
static volatile int ad_wrote[AD_PAGES];
static struct pmap *ad_pm;

static void
ad_writer(void *arg)
{
	int i;

	(void)arg;
	lwkt_set_pmap(ad_pm);
	while (!__atomic_load_n(&ad_stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < AD_PAGES; i++)
			if (cpu_probe((void *)(UVA_BASE + i * PAGE_SIZE), 1) ==
			    0)
				ad_wrote[i] = 1;
		__atomic_fetch_add(&ad_passes, 1, __ATOMIC_SEQ_CST);
	}
	lwkt_set_pmap(NULL);
	__atomic_store_n(&ad_stop, 2, __ATOMIC_RELEASE);
}

/*
 * A/D bits survive a protect that races with writes from another CPU:
 * every page the writer managed to write has D set afterwards, and the
 * batch saw exactly as many dirty old PTEs as end up dirty.
 */
static void
pmapmp_protect_keeps_dirty_bits(struct ktest *t)
{
	struct pmap_inval_batch b;
	vm_paddr_t f[AD_PAGES];
	int i, dirty = 0, wrote = 0;

	if (ncpus < 2)
		KT_SKIP(t, "needs 2 CPUs");
	ad_pm = pmap_create();
	KT_ASSERT(t, ad_pm != NULL);
	for (i = 0; i < AD_PAGES; i++) {
		f[i] = frame_alloc(0);
		ad_wrote[i] = 0;
		KT_ASSERT_EQ(
		    t, pmap_enter(ad_pm, UVA_BASE + i * PAGE_SIZE, f[i], RW, 0),
		    0);
		KT_EXPECT_EQ(
		    t, pmap_pte_get(ad_pm, UVA_BASE + i * PAGE_SIZE) & PG_M, 0);
	}
	ad_stop = 0;
	ad_passes = 0;
	lwkt_create(ad_writer, NULL, "ad-writer", 1, TDPRI_NORMAL);
	/* Protect while the writer is in the middle of its first pass. */
	while (__atomic_load_n(&ad_wrote[AD_PAGES / 2], __ATOMIC_ACQUIRE) == 0)
		cpu_pause();
	pmap_inval_batch_init(&b, ad_pm);
	pmap_protect_batch(ad_pm, UVA_BASE, UVA_BASE + AD_PAGES * PAGE_SIZE,
	                   VM_PROT_READ, &b);
	pmap_inval_batch_wait(&b);
	__atomic_store_n(&ad_stop, 1, __ATOMIC_RELEASE);
	KT_ASSERT(t, wait_until(&ad_stop, 2));
	for (i = 0; i < AD_PAGES; i++) {
		pt_entry_t e = pmap_pte_get(ad_pm, UVA_BASE + i * PAGE_SIZE);

		KT_EXPECT_EQ(t, e & PG_RW, 0);
		if (ad_wrote[i]) {
			wrote++;
			KT_EXPECT_EQ(t, e & PG_M, PG_M);
		}
		if (e & PG_M)
			dirty++;
	}
	kprintf("    # writer wrote %d of %d pages before the protect; %lu "
	        "dirty old PTEs seen\n",
	        wrote, AD_PAGES, b.ib_nmod);
	KT_EXPECT(t, wrote >= AD_PAGES / 2);
	KT_EXPECT_EQ(t, b.ib_nmod, (uint64_t)dirty);
	KT_EXPECT_EQ(t, b.ib_nchanged, AD_PAGES);
	pmap_destroy(ad_pm);
	for (i = 0; i < AD_PAGES; i++)
		frame_free(f[i]);
}

/*
 * pmap_enter of the frame a page already has keeps A and D: they are
 * that frame's history.  With the same rights no invalidation is done,
 * so a TLB entry cached as dirty would survive a cleared D and later
 * writes would never set it again.  Another frame starts clear.
 */
static void
pmapmp_enter_keeps_ad(struct ktest *t)
{
	const pt_entry_t ad = PG_A | PG_M;
	struct pmap *pm = pmap_create();
	vm_paddr_t f = frame_alloc(0), g = frame_alloc(0);

	KT_ASSERT(t, pm != NULL && f != 0 && g != 0);
	KT_ASSERT_EQ(t, pmap_enter(pm, UVA_BASE, f, RW, 0), 0);
	lwkt_set_pmap(pm);
	cpu_user_access_begin(); /* a user page, from ring 0 on purpose */
	*(volatile uint64_t *)UVA_BASE = 1; /* the walk sets A and D */
	cpu_user_access_end();
	KT_EXPECT_EQ(t, pmap_pte_get(pm, UVA_BASE) & ad, ad);
	KT_EXPECT_EQ(t, pmap_enter(pm, UVA_BASE, f, RW, 0), 0);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, UVA_BASE) & ad, ad);
	cpu_user_access_begin();
	*(volatile uint64_t *)UVA_BASE = 2;
	cpu_user_access_end();
	KT_EXPECT_EQ(t, pmap_pte_get(pm, UVA_BASE) & PG_M, PG_M);
	/* Same frame, fewer rights: invalidated, still dirty. */
	KT_EXPECT_EQ(t, pmap_enter(pm, UVA_BASE, f, VM_PROT_READ, 0), 0);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, UVA_BASE) & ad, ad);
	KT_EXPECT_EQ(t, cpu_probe((void *)UVA_BASE, 1), -1);
	KT_EXPECT_EQ(t, pmap_enter(pm, UVA_BASE, g, RW, 0), 0);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, UVA_BASE) & ad, 0);
	lwkt_set_pmap(NULL);
	pmap_destroy(pm);
	frame_free(f);
	frame_free(g);
}

/*
 * Several CPUs enter and remove overlapping pages of one pmap at once,
 * so page-table pages are linked, held and reaped concurrently; at the
 * end everything is gone: no leaked or doubly freed table page.
 */
#define CER_ROUNDS 150
static struct pmap *cer_pm;
static volatile int cer_done;
static vm_paddr_t cer_frame;

static void
cer_worker(void *arg)
{
	uint64_t x = (uint64_t)arg * 0x9e3779b97f4a7c15ull + 1;
	int r;

	for (r = 0; r < CER_ROUNDS; r++) {
		/* 4 pages in one of 2 PT pages (one PD), in random order */
		vm_offset_t va;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		va = UVA_BASE + ((x >> 8) & 1) * NBPDR +
		     ((x >> 16) & 3) * PAGE_SIZE;
		if (x & 1)
			(void)pmap_enter(cer_pm, va, cer_frame, RW, 0);
		else
			pmap_remove(cer_pm, va, va + 4 * PAGE_SIZE);
	}
	__atomic_fetch_add(&cer_done, 1, __ATOMIC_SEQ_CST);
}

static void
pmapmp_concurrent_enter_remove(struct ktest *t)
{
	int n = MIN(3, ncpus), i;

	cer_frame = frame_alloc(11);
	cer_pm = pmap_create();
	KT_ASSERT(t, cer_pm != NULL);
	cer_done = 0;
	for (i = 0; i < n; i++)
		lwkt_create(cer_worker, (void *)(uintptr_t)(i + 1), "cer",
		            ncpus > 1 ? 1 + i % (ncpus - 1) : 0, TDPRI_NORMAL);
	KT_ASSERT(t, wait_until(&cer_done, n));
	pmap_remove(cer_pm, UVA_BASE, UVA_BASE + 2 * NBPDR);
	/* Every table was reaped (a double free would have panicked). */
	KT_EXPECT_EQ(t, pmap_ptpages(cer_pm), 0);
	KT_EXPECT_EQ(t, cer_pm->pm_resident, 0);
	KT_EXPECT_EQ(t, cer_pm->pm_pml4[0], 0);
	pmap_destroy(cer_pm);
	frame_free(cer_frame);
}

/* pmap updates as messages to another CPU's service thread. */
static void
pmapmp_msg_service(struct ktest *t)
{
	struct pmap *pm = pmap_create();
	struct pmap_msg msg;
	struct lwkt_port port;
	vm_paddr_t f = frame_alloc(10);
	int cpu = ncpus > 2 ? 2 : ncpus - 1;

	KT_ASSERT(t, pm != NULL);
	pmap_msg_init(&msg, NULL, PMAP_MSG_ENTER, pm, UVA_BASE, 0, f, RW, 0);
	KT_EXPECT_EQ(t, pmap_msg_send(cpu, &msg), 0);
	KT_EXPECT_EQ(t, msg.pmm_cpu, cpu);
	KT_EXPECT_EQ(t, pmap_extract(pm, UVA_BASE), f);

	pmap_msg_init(&msg, NULL, PMAP_MSG_PROTECT, pm, UVA_BASE,
	              UVA_BASE + PAGE_SIZE, 0, VM_PROT_READ, 0);
	KT_EXPECT_EQ(t, pmap_msg_send(cpu, &msg), 0);
	KT_EXPECT_EQ(t, pmap_pte_get(pm, UVA_BASE) & PG_RW, 0);

	lwkt_initport(&port, curthread);
	pmap_msg_init(&msg, &port, PMAP_MSG_REMOVE, pm, UVA_BASE,
	              UVA_BASE + PAGE_SIZE, 0, 0, 0);
	pmap_msg_send_async(ncpus - 1, &msg);
	lwkt_waitmsg(&msg.pmm_msg);
	KT_EXPECT_EQ(t, msg.pmm_cpu, ncpus - 1);
	KT_EXPECT_EQ(t, pmap_extract(pm, UVA_BASE), ~0ull);
	pmap_destroy(pm);
	frame_free(f);
}

KTEST_SUITE(pmapmp, "pmapmp", NULL, NULL, KTEST_CASE(pmapmp_extract),
            KTEST_CASE(pmapmp_enter_2m), KTEST_CASE(pmapmp_exact_targets),
            KTEST_CASE(pmapmp_no_stale_read),
            KTEST_CASE(pmapmp_protect_faults_everywhere),
            KTEST_CASE(pmapmp_protect_widens_in_place),
            KTEST_CASE(pmapmp_concurrent_initiators_coalesce),
            KTEST_CASE(pmapmp_ptpages_freed_after_wait),
            KTEST_CASE(pmapmp_reap_by_holder),
            KTEST_CASE(pmapmp_defer_free_frame),
            KTEST_CASE(pmapmp_qenter_qremove),
            KTEST_CASE(pmapmp_protect_keeps_dirty_bits),
            KTEST_CASE(pmapmp_enter_keeps_ad),
            KTEST_CASE(pmapmp_concurrent_enter_remove),
            KTEST_CASE(pmapmp_msg_service));
