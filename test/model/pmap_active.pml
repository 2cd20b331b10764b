/*
 * pmap_active.pml - pm_active and the context switch against a concurrent
 * TLB shootdown (sys/platform/pc64/pmap_user.c:pmap_activate,
 * sys/platform/pc64/pmap_inval.c:pmap_inval_batch_flush/_ipi/wait_flight).
 *
 * CPU 0 is the initiator: it changes one PTE of the user pmap P or of the
 * kernel pmap K, snapshots pm_active, messages the targets, invalidates
 * locally and waits for the acknowledgements.  CPUs 1..NCPU-1 switch
 * between P and the kernel-only address space (pmap_activate) and serve
 * their invalidation messages whenever interrupts are on.  A walker per
 * CPU is the hardware: it may fill the TLB at any moment from the tables
 * the CPU's CR3 points to, or evict.  Entries are dropped only by INVLPG,
 * a CR3 load (non-global entries) or a CR4.PGE toggle (all).
 *
 * Invariant (assert in initiator, after wait_flight): no CPU holds a TLB
 * entry made from the PTE value the initiator replaced.
 *
 * Ordering: every shared access in the protocol is a locked RMW or a load
 * that follows one (pm_active set/clear, PTE xchg, the seq_cst snapshot)
 * and CR3 loads serialize, so x86-TSO gives sequential consistency here:
 * the model interleaves whole steps.  gd_curpmap is CPU-private.
 * Abstracted away: the FIFO and the IPI (a message is a flag the target
 * sees at its next interrupt window: see ipiq.pml), idle deferral (see
 * idle_defer.pml), flight records and frees (see flight_free.pml), PCID
 * (the kernel does not use it), more than one page, and the initiator
 * switching pmaps while it flushes (it is in a critical section).
 *
 * Mutants (spin -DMUTANT_x): each mirrors a real mistake.
 *   CLEAR_BEFORE_CR3    pmap_activate withdraws from prev before its CR3 load
 *   CR3_BEFORE_SET      pmap_activate loads CR3 before announcing in next
 *   SNAPSHOT_FIRST      the initiator snapshots pm_active before the PTE write
 *   KERNEL_CR3_FLUSH    "flush all" of the kernel pmap reloads CR3 (globals
 *                       survive) instead of toggling CR4.PGE
 *   NOWAIT              the initiator does not wait (pmap.nowait)
 */

#ifndef NCPU
#define NCPU 3
#endif
#define NSWITCH 2 /* pmap switches per target CPU */

#define NONE 0 /* TLB: no entry */
#define OLD  1 /* PTE value before the change */
#define NEW  2 /* PTE value after it */

#define PM_K 0 /* the kernel pmap (global entries, active everywhere) */
#define PM_P 1 /* a user pmap */

byte pte[2];            /* the PTE of the one page of K and of P */
bool onp[NCPU];         /* CR3 points at P's tables (else kernel only) */
bool curp[NCPU];        /* gd_curpmap == P */
bool pmact[NCPU];      /* P's pm_active bit per CPU */
byte tlbu[NCPU];        /* TLB entry for P's page (never global) */
byte tlbk[NCPU];        /* TLB entry for K's page (global) */
bool msg[NCPU];         /* an invalidation message queued for the CPU */
byte pending;           /* fl_pending */
byte flpm;              /* fl_pmap */
bool flall;             /* fl_all */
bool done;              /* the initiator's wait returned */

/* inval_local(): ranges by INVLPG, else everything. */
inline inval_local(c, pm, all)
{
	if
	:: all && pm == PM_K ->
#ifdef MUTANT_KERNEL_CR3_FLUSH
		tlbu[c] = NONE /* load_cr3(rcr3()): globals survive */
#else
		tlbu[c] = NONE; tlbk[c] = NONE /* invltlb_all: PGE toggle */
#endif
	:: all && pm == PM_P -> tlbu[c] = NONE /* load_cr3(rcr3()) */
	:: !all && pm == PM_K -> tlbk[c] = NONE /* invlpg(va) */
	:: !all && pm == PM_P -> tlbu[c] = NONE /* invlpg(va) */
	fi
}

/* pmap_inval_ipi(), run by the target's IPI-queue drain. */
inline inval_ipi(c)
{
	atomic {
		msg[c] ->
		if
		:: flpm == PM_K || curp[c] ->
			inval_local(c, flpm, flall);
			printf("MSC: CPU%d pmap_inval_ipi: invalidate\n", c)
		:: else ->
			printf("MSC: CPU%d pmap_inval_ipi: not on the pmap, skip\n", c)
		fi;
		msg[c] = false
	};
	/* fetch_sub(&fl_pending): the acknowledgement */
	pending--;
	printf("MSC: CPU%d pmap_inval_ipi: ack (fl_pending=%d)\n", c, pending)
}

/*
 * The page walker of CPU c: the TLB may cache the old value at any moment
 * while the tables CR3 points at map it (a TLB hit needs no walk, so it
 * fills only an empty entry).  Fills of the new value and evictions are
 * left out: they only remove stale entries, so they cannot hide a
 * violation.
 */
proctype walker(byte c)
{
end:
	do
	:: atomic { onp[c] && pte[PM_P] == OLD && tlbu[c] == NONE ->
		tlbu[c] = OLD;
		printf("MSC: CPU%d TLB fill: old translation of P\n", c) }
	:: atomic { pte[PM_K] == OLD && tlbk[c] == NONE -> tlbk[c] = OLD;
		printf("MSC: CPU%d TLB fill: old translation of K (global)\n", c) }
	od
}

/*
 * pmap_activate(next) with interrupts off (called from lwkt_switch), one
 * atomic step per line of the C function.  Only the walker and the other
 * CPUs run between the steps; this CPU's messages wait (interrupts off).
 */
#define SET_ACTIVE(c) atomic { pmact[c] = true; \
	printf("MSC: CPU%d pmap_activate(P): set pm_active\n", c) }
#define CLEAR_ACTIVE(c) atomic { pmact[c] = false; \
	printf("MSC: CPU%d pmap_activate(K): clear pm_active\n", c) }
#define LOAD_CR3(c, p) atomic { onp[c] = p; tlbu[c] = NONE; \
	printf("MSC: CPU%d pmap_activate: load_cr3 (on user pmap: %d)\n", c, p) }

inline pmap_activate(c, top)
{
	if
	:: top -> /* kernel -> P */
#ifdef MUTANT_CR3_BEFORE_SET
		LOAD_CR3(c, true);
		SET_ACTIVE(c);
#else
		SET_ACTIVE(c);     /* cpumask_atomic_set(&next->pm_active) */
		LOAD_CR3(c, true); /* load_cr3(next->pm_pml4_pa) */
#endif
		curp[c] = true /* md->gd_curpmap = next */
	:: !top -> /* P -> kernel */
#ifdef MUTANT_CLEAR_BEFORE_CR3
		CLEAR_ACTIVE(c);
		LOAD_CR3(c, false);
		curp[c] = false
#else
		LOAD_CR3(c, false); /* load_cr3(kernel_pml4_pa) */
		curp[c] = false;    /* md->gd_curpmap = NULL */
		CLEAR_ACTIVE(c)     /* cpumask_atomic_clear(&prev->pm_active) */
#endif
	fi
}

/* A target CPU: switches (lwkt_switch) and serves messages. */
proctype cpu(byte c)
{
	byte nsw = 0;
	do
	:: nsw < NSWITCH -> /* lwkt_switch -> pmap_activate, interrupts off */
		d_step { nsw++ };
		pmap_activate(c, !curp[c])
	:: msg[c] -> inval_ipi(c) /* interrupt window: drain */
	:: done -> break
	od
}

/* The initiator: pmap_remove_batch + pmap_inval_batch_wait on CPU 0. */
proctype initiator()
{
	byte pm, t, n = 0;
	bool snap[NCPU];
	bool islocal;
	bool all;

	if
	:: pm = PM_P
	:: pm = PM_K
	fi;
	if
	:: all = false
	:: all = true
	fi;
#ifdef MUTANT_SNAPSHOT_FIRST
	goto snapshot;
change:
#endif
	/* pmap_remove_batch: the PTE xchg */
	atomic { pte[pm] = NEW;
		printf("MSC: CPU0 pmap_remove: PTE changed (pmap %d: 0=kernel 1=user)\n", pm) };
#ifdef MUTANT_SNAPSHOT_FIRST
	goto send;
#endif
snapshot:
	/* pmap_inval_batch_flush: snapshot pm_active (seq_cst loads) */
	atomic {
		t = 0;
		do
		:: t < NCPU -> snap[t] = (pm == PM_K || pmact[t]); t++
		:: else -> break
		od;
		printf("MSC: CPU0 pmap_inval_batch_flush: snapshot pm_active: cpu1=%d cpu2=%d\n", snap[1], snap[NCPU - 1])
	};
#ifdef MUTANT_SNAPSHOT_FIRST
	goto change;
send:
#endif
	islocal = snap[0];
	atomic {
		flpm = pm;
		flall = all;
		t = 1;
		do
		:: t < NCPU -> n = n + snap[t]; t++
		:: else -> break
		od;
		pending = n /* fl_pending = n */
	};
	/* lwkt_send_ipiq_mask: one message per target */
	t = 1;
	do
	:: t < NCPU ->
		if
		:: snap[t] -> atomic { msg[t] = true;
			printf("MSC: CPU0 lwkt_send_ipiq_mask: message CPU%d\n", t) }
		:: else
		fi;
		t++
	:: else -> break
	od;
	if
	:: islocal -> atomic { inval_local(0, pm, all);
		printf("MSC: CPU0 inval_local\n") }
	:: else
	fi;
	/* wait_flight: spin until fl_pending == 0 */
#ifndef MUTANT_NOWAIT
	(pending == 0);
#endif
	printf("MSC: CPU0 wait_flight: all acknowledged, shootdown complete\n");
	/* The invariant: no CPU holds a translation from the replaced PTE. */
	atomic {
		t = 0;
		do
		:: t < NCPU ->
			assert(pm != PM_P || tlbu[t] != OLD);
			assert(pm != PM_K || tlbk[t] != OLD);
			t++
		:: else -> break
		od
	};
	done = true
}

init
{
	byte c;
	atomic {
		pte[PM_K] = OLD;
		pte[PM_P] = OLD;
		/* Every CPU starts on P or on the kernel-only tables. */
		c = 0;
		do
		:: c < NCPU ->
			if
			:: onp[c] = true; curp[c] = true; pmact[c] = true
			:: skip
			fi;
			c++
		:: else -> break
		od;
		c = 0;
		do
		:: c < NCPU -> run walker(c); c++
		:: else -> break
		od;
		c = 1;
		do
		:: c < NCPU -> run cpu(c); c++
		:: else -> break
		od;
		run initiator()
	}
}
