/*
 * idle_defer.pml - idle deferral of TLB shootdowns
 * (sys/platform/pc64/pmap_inval.c: pmap_inval_batch_flush's idle loop,
 * pmap_inval_halt_enter, pmap_inval_wakeup; mp_machdep.c:cpu_idle_halt;
 * trap.c:trap; kern/lwkt_thread.c:lwkt_idle_loop).
 *
 * CPU 0 changes a kernel PTE (global entry) and shoots it down; CPUs
 * 1..NCPU-1 run the idle loop: drain their queues, set gd_idle_halted,
 * "sti; hlt" unless a message is pending, and on wakeup (first thing in
 * trap(), again after hlt) clear the flag and flush everything if an
 * initiator left gd_inval_pending.  The initiator skips a target it sees
 * halted twice around its store of gd_inval_pending (Dekker) and messages
 * the others.  Timer ticks (at most NTICK per CPU, at any moment) wake a
 * halted CPU; the IPI of a message does too.  A walker per CPU fills the
 * TLB with the old value while the CPU executes (never inside hlt).
 *
 * Invariants:
 *   - USE: whenever a target runs anything past the interrupt entry path
 *     (a handler body, the idle thread) after the shootdown completed, it
 *     holds no TLB entry from the replaced PTE (assert in use()).
 *   - the initiator's wait ends: no invalid end state (a target halted for
 *     good while the initiator waits for its acknowledgement would be one).
 *
 * Ordering: x86-TSO.  The protocol's four flag accesses are seq_cst (a
 * store that is an XCHG or is followed by MFENCE; a plain load; a locked
 * XCHG), so in the real model they are single atomic steps.  The
 * PLAIN_STORE mutant models the one store whose fence matters: the
 * initiator's store of gd_inval_pending goes into a store buffer that
 * drains at some later moment, so its load of gd_idle_halted can pass it.
 * (The target's clear of gd_idle_halted is followed by a locked XCHG,
 * which drains the buffer anyway.)
 * Abstracted away: the FIFO and its coalescing (a message is a flag plus
 * an IPI: see ipiq.pml), user pmaps (never active on a halted CPU: see
 * pmap_active.pml), ranges (one page, flushed by invltlb_all), flight
 * records (flight_free.pml), and the critical-section deferral of the
 * IPI handler (the idle loop drains with interrupts on between steps).
 *
 * Mutants:
 *   NO_RECHECK      the initiator does not re-read gd_idle_halted after
 *                   setting gd_inval_pending
 *   WAKE_ORDER      pmap_inval_wakeup takes gd_inval_pending before it
 *                   clears gd_idle_halted
 *   PLAIN_STORE     the gd_inval_pending store has no fence (TSO store
 *                   buffer)
 *   NO_TRAP_WAKEUP  trap() does not run pmap_inval_wakeup first: the
 *                   handler body of the waking interrupt runs stale
 */

#ifndef NCPU
#define NCPU 3
#endif
#define NTICK 1 /* timer ticks per target CPU */

#define NONE 0
#define OLD  1
#define NEW  2

byte pte = OLD;         /* the kernel PTE being changed */
byte tlb[NCPU];         /* each CPU's (global) TLB entry for it */
bool halted[NCPU];      /* gd_idle_halted */
bool ipending[NCPU];    /* gd_inval_pending (memory) */
bool sbpend[NCPU];      /* PLAIN_STORE: the store still in CPU 0's buffer */
bool msg[NCPU];         /* an invalidation message queued (gd_ipimask bit) */
bool irr[NCPU];         /* the IPI is pending at the local APIC */
bool tick[NCPU];        /* a timer interrupt is pending */
bool inhlt[NCPU];       /* the CPU sits in hlt */
bool ie[NCPU];          /* interrupts enabled (RFLAGS.IF) */
byte pending;           /* fl_pending */
bool done;              /* the initiator's wait returned */

/* The target runs code that may use the translation. */
inline use(c)
{
	atomic {
		if
		:: done -> printf("MSC: CPU%d runs kernel code (may use the page)\n", c)
		:: else
		fi;
		assert(!done || tlb[c] != OLD)
	}
}

/* pmap_inval_wakeup() */
inline inval_wakeup(c)
{
	if
	:: halted[c] ->
#ifdef MUTANT_WAKE_ORDER
		atomic {
			if
			:: ipending[c] -> ipending[c] = false; tlb[c] = NONE;
				printf("MSC: CPU%d pmap_inval_wakeup: pending, invltlb_all (mutant: before halted = 0)\n", c)
			:: else -> printf("MSC: CPU%d pmap_inval_wakeup: no pending flush (mutant: before halted = 0)\n", c)
			fi };
		atomic { halted[c] = false;
			printf("MSC: CPU%d pmap_inval_wakeup: halted = 0\n", c) }
#else
		atomic { halted[c] = false;
			printf("MSC: CPU%d pmap_inval_wakeup: halted = 0\n", c) };
		/* xchg(&gd_inval_pending, 0) */
		atomic {
			if
			:: ipending[c] -> ipending[c] = false; tlb[c] = NONE;
				printf("MSC: CPU%d pmap_inval_wakeup: pending, invltlb_all\n", c)
			:: else -> printf("MSC: CPU%d pmap_inval_wakeup: no pending flush\n", c)
			fi }
#endif
	:: else
	fi
}

/* pmap_inval_ipi() from the IPI-queue drain: kernel pmap, flush. */
inline drain(c)
{
	if
	:: msg[c] ->
		atomic { msg[c] = false; tlb[c] = NONE;
			printf("MSC: CPU%d pmap_inval_ipi: invltlb_all\n", c) };
		atomic { pending--;
			printf("MSC: CPU%d pmap_inval_ipi: ack (fl_pending=%d)\n", c, pending) }
	:: else
	fi
}

/* An interrupt on CPU c: trap() -> handler -> iretq. */
inline interrupt(c)
{
	atomic { inhlt[c] = false; ie[c] = false;
		printf("MSC: CPU%d interrupt (IPI %d, timer %d): trap()\n", c, irr[c], tick[c]) };
#ifndef MUTANT_NO_TRAP_WAKEUP
	/* trap(): if (gd_idle_halted) pmap_inval_wakeup() */
	inval_wakeup(c);
#endif
	use(c);
	if
	:: irr[c] -> irr[c] = false; drain(c) /* lwkt_ipiq_intr */
	:: else -> tick[c] = false /* timer handler */
	fi;
	ie[c] = true /* iretq */
}

/* lwkt_idle_loop + cpu_idle_halt on CPU c. */
proctype idle(byte c)
{
	do
	:: ie[c] && (irr[c] || tick[c]) -> interrupt(c)
	:: else -> /* lwkt_idle_loop body */
		use(c);
		drain(c); /* crit_enter; lwkt_process_ipiq; crit_exit */
		/* cpu_idle_halt */
		ie[c] = false;
		atomic { halted[c] = true; /* pmap_inval_halt_enter */
			printf("MSC: CPU%d cpu_idle_halt: halted = 1\n", c) };
		if
		:: !msg[c] -> /* !lwkt_ipiq_pending(): sti; hlt */
			atomic { ie[c] = true; inhlt[c] = true;
				printf("MSC: CPU%d sti; hlt\n", c) };
end_hlt:		(irr[c] || tick[c]);
			interrupt(c)
		:: else
		fi;
		ie[c] = false;
		inval_wakeup(c);
		ie[c] = true
	od
}

/* The timer: NTICK ticks per target at any moment. */
proctype timer(byte c)
{
	byte n = 0;
	do
	:: n < NTICK -> tick[c] = true; n++
	:: else -> break
	od
}

/* The walker: fills the old value while the CPU executes. */
proctype walker(byte c)
{
end:
	do
	:: atomic { pte == OLD && tlb[c] == NONE && !inhlt[c] -> tlb[c] = OLD;
		printf("MSC: CPU%d TLB fill: old translation\n", c) }
	od
}

#ifdef MUTANT_PLAIN_STORE
/* The store buffer of CPU 0 drains at any later moment. */
proctype storebuf()
{
	byte t;
end:
	do
	:: atomic { t = 1;
		do
		:: t < NCPU && sbpend[t] -> sbpend[t] = false; ipending[t] = true;
			printf("MSC: CPU0 store buffer: gd_inval_pending of CPU%d visible\n", t);
			break
		:: t < NCPU && !sbpend[t] -> t++
		:: t >= NCPU -> break
		od }
	od
}
#endif

/* CPU 0: pmap_kremove -> pmap_inval_batch_flush -> wait. */
proctype initiator()
{
	byte t, n = 0;
	bool targ[NCPU];

	atomic { pte = NEW; printf("MSC: CPU0 pmap_kremove: PTE changed\n") };
	/* snapshot: the kernel pmap is active everywhere */
	t = 1;
	do
	:: t < NCPU ->
		targ[t] = true;
		/* if (!gd_idle_halted) continue; */
		if
		:: atomic { halted[t] ->
			printf("MSC: CPU0 pmap_inval_batch_flush: CPU%d halted\n", t) };
#ifdef MUTANT_PLAIN_STORE
			atomic { sbpend[t] = true;
				printf("MSC: CPU0 gd_inval_pending = 1 for CPU%d (in store buffer)\n", t) };
#else
			atomic { ipending[t] = true;
				printf("MSC: CPU0 gd_inval_pending = 1 for CPU%d\n", t) };
#endif
#ifdef MUTANT_NO_RECHECK
			atomic { targ[t] = false;
				printf("MSC: CPU0 defer CPU%d without re-check\n", t) }
#else
			atomic {
				if
				:: halted[t] -> targ[t] = false;
					printf("MSC: CPU0 CPU%d still halted: deferred\n", t)
				:: else -> printf("MSC: CPU0 CPU%d woke: message it\n", t)
				fi }
#endif
		:: else
		fi;
		n = n + targ[t];
		t++
	:: else -> break
	od;
	pending = n;
	/* lwkt_send_ipiq_mask: message and IPI (locked ops drain the buffer) */
	t = 1;
	do
	:: t < NCPU ->
		if
		:: targ[t] -> atomic {
#ifdef MUTANT_PLAIN_STORE
			if
			:: sbpend[t] -> sbpend[t] = false; ipending[t] = true
			:: else
			fi;
#endif
			msg[t] = true; irr[t] = true;
			printf("MSC: CPU0 lwkt_send_ipiq_mask: message + IPI to CPU%d\n", t) }
		:: else
		fi;
		t++
	:: else -> break
	od;
	tlb[0] = NONE; /* inval_local: invltlb_all */
	(pending == 0); /* wait_flight */
	atomic { done = true;
		printf("MSC: CPU0 wait_flight: shootdown complete\n") }
}

init
{
	byte c;
	atomic {
		c = 0;
		do
		:: c < NCPU -> ie[c] = true; run walker(c); c++
		:: else -> break
		od;
		c = 1;
		do
		:: c < NCPU -> run idle(c); run timer(c); c++
		:: else -> break
		od;
#ifdef MUTANT_PLAIN_STORE
		run storebuf();
#endif
		run initiator()
	}
}
