/*
 * ipiq.pml - the per-CPU-pair IPI-queue FIFO with IPI coalescing
 * (sys/kern/lwkt_ipiq.c: send_ipiq, ipiq_put, wait_step, ipiq_hold/unhold,
 * lwkt_process_ipiq, lwkt_ipiq_intr; lwkt_ipiq_fifo.c: ipiq_fifo_put,
 * ipiq_fifo_drain; kern/lwkt_thread.c: lwkt_idle_loop, lwkt_intr_return;
 * platform/pc64/mp_machdep.c: cpu_idle_halt, cpu_send_ipiq; lapic.c).
 *
 * As changed by the ipiqfix work: a wait step (wait_step(outer)) drains
 * every non-empty incoming FIFO, announced or not, then the announced
 * ones, and opens an interrupt window only if the code that started the
 * wait had interrupts on, returning with the state it was entered with;
 * ipiq_unhold(flags) runs a drain deferred while the hold was taken when
 * the hold ends and the caller had interrupts on; the timer tick runs
 * lwkt_ipiq_tick(), which drains (or defers, when held) if gd_ipimask is
 * not empty; the x2APIC ICR write is preceded by MFENCE; LFENCE.
 *
 * Two CPUs each send NMSG messages (each active or passive, chosen
 * nondeterministically) to the other through a FIFO of FIFOSZ slots,
 * with interrupts off and the hold (td_critcount) taken, as send_ipiq
 * does; a full FIFO makes the sender send one IPI and run wait steps
 * until there is room.  Afterwards each CPU either runs the idle loop
 * (drain, halt unless lwkt_ipiq_pending) or a thread that never drains by
 * itself (interrupts on).  IPIs are a pending bit at the target's APIC,
 * taken whenever interrupts are on; the IPI handler defers its drain
 * while the hold is taken (RQF_IPIQ) to ipiq_unhold / lwkt_intr_return.
 *
 * Invariants:
 *   - no lost wakeup: whenever the whole system is quiet (Promela
 *     timeout: nothing can move), every active message has been run (a
 *     passive one may wait for the next drain, by design).  Without
 *     SAFETY_DRAIN this must hold outright; with it, a quiet system gets
 *     a timer tick on every CPU, and the ticks must make progress (a
 *     second quiet moment with no message run since is a failure): a
 *     lost wakeup then stalls a queue for at most one tick.
 *   - no deadlock: the same check fails when a sender is stuck on a full
 *     FIFO; and no invalid end state.
 *   - FIFO bounds: the producer never overruns unread slots (assert).
 *
 * Ordering (x86-TSO): the FIFO publish (release store of ip_windex) is
 * followed by the locked test-and-set of the mask bit (or the locked OR
 * of a passive one), which drains the store buffer, and the sender then
 * reads gd_ipi_draining; the target stores gd_ipi_draining and re-reads
 * the mask with seq_cst accesses.  So each step here is one atomic step
 * of one total order.  The IPI is the exception the fence is for: the
 * SDM does not order a WRMSR to the x2APIC ICR after earlier stores
 * unless MFENCE; LFENCE precede it.  The model takes the fence as an
 * ordering point: the IPI is raised with nothing of the sender's pending.
 * The NO_FENCE mutant gives CPU 0 a store buffer (its publishes and mask
 * bits, drained in program order at any later moment) and raises its
 * IPIs at once.  That is weaker than TSO with a locked test-and-set, where
 * the locked instruction and the control dependency on the draining load
 * already keep the announcing stores ahead of the IPI; it shows what the
 * fence guarantees when nothing else orders them.  One CPU's buffer
 * suffices to show it (the protocol is the same in both directions) and
 * keeps the check to seconds.
 * Abstracted away: message functions (they run no code here: nested
 * sends from a message and the drain-nesting bound are not modelled, so
 * neither is the deadlock that draining unannounced FIFOs in a wait step
 * prevents), more than two CPUs (the mask has one bit per source, so the
 * protocol is per source pair), the watchdogs, ip_xindex and
 * lwkt_wait_ipiq, index wrap-around, and when exactly timer ticks come
 * (only when the system is quiet: the worst case for a stall).
 *
 * Mutants:
 *   NO_FENCE        no MFENCE; LFENCE before the x2APIC WRMSR: loses a
 *                   wakeup.  With SAFETY_DRAIN every loss is bounded:
 *                   the next tick drains (lwkt_ipiq_tick looks at
 *                   gd_ipimask and gd_ipimask_passive).
 *   TICK_ACTIVE_ONLY the tick looks at gd_ipimask only (the code before
 *                   this model found it): with NO_FENCE and
 *                   SAFETY_DRAIN, a lost full-FIFO IPI to a CPU running
 *                   a thread, with only passive messages in the full
 *                   FIFO, is never recovered.
 *   ANNOUNCE_FIRST  ipiq_put sets the mask bit before publishing windex
 *   NO_REREAD       lwkt_process_ipiq stops after clearing
 *                   gd_ipi_draining without re-reading gd_ipimask
 *   PASSIVE_SHARED  passive messages are announced in gd_ipimask
 *   FULL_SPIN       a sender spins on a full FIFO with interrupts off
 *                   without draining its own queues
 *   UNHOLD_NODRAIN  ipiq_unhold does not run the drain deferred while
 *                   the hold was taken
 */

#ifndef NMSG
#define NMSG 2
#endif
#ifndef FIFOSZ
#define FIFOSZ 1
#endif

byte w[2];      /* ip_windex of FIFO c -> other, as the consumer sees it */
byte wl[2];     /* the producer's own windex (ahead of w by its buffer) */
byte r[2];      /* ip_rindex of FIFO c -> other */
byte lastact[2];/* windex after the last active message put in FIFO c */
bool mask[2];   /* gd_ipimask of CPU c (the other CPU's bit) */
bool pmask[2];  /* gd_ipimask_passive of CPU c */
bool draining[2]; /* gd_ipi_draining */
bool irr[2];    /* IPI pending at CPU c's local APIC */
bool tick[2];   /* timer interrupt pending */
bool ie[2];     /* RFLAGS.IF */
byte crit[2];   /* td_critcount (the hold) */
bool rqf[2];    /* RQF_IPIQ: a drain deferred by the hold */
byte sent[2];   /* messages queued by CPU c */
#ifdef MUTANT_NO_FENCE
chan sb[2] = [2] of { byte }; /* CPU c's stores not yet visible, in order */
byte sbm[2];    /* mask-bit sets among them */
#endif
#define SB_WINDEX 1 /* ip_windex++ of FIFO c */
#define SB_MASK   2 /* set c's bit in the other CPU's gd_ipimask */
#define SB_PMASK  3 /* set it in gd_ipimask_passive */
bool stalled;   /* SAFETY_DRAIN: a tick was given and nothing ran since */

#define OTHER(c) (1 - (c))
#define ROOM(c) (wl[c] - r[c] < FIFOSZ)

/* Run the messages of FIFO other -> c: ipiq_fifo_drain(IPIQ_DRAIN_ALL). */
inline fifo_drain(c)
{
	do
	:: atomic { r[OTHER(c)] < w[OTHER(c)] ->
		r[OTHER(c)]++;
		stalled = false;
		printf("MSC: CPU%d ipiq_fifo_drain: runs message %d from CPU%d\n",
		    c, r[OTHER(c)], OTHER(c)) }
	:: else -> break
	od
}

/*
 * ipiq_drain(all): lwkt_process_ipiq() (all false) or a wait step's drain
 * (all true: every non-empty incoming FIFO first, announced or not), with
 * the hold taken and interrupts off.
 */
inline ipiq_drain(c, all)
{
	crit[c]++;  /* ipiq_hold */
	sie = ie[c];
	ie[c] = false;
	if
	:: all -> fifo_drain(c)
	:: else
	fi;
	atomic { draining[c] = true;
		printf("MSC: CPU%d lwkt_process_ipiq: draining = 1\n", c) };
	do
	:: atomic { /* xchg(gd_ipimask, 0) | xchg(gd_ipimask_passive, 0) */
		got = mask[c] || pmask[c];
		mask[c] = false;
		pmask[c] = false;
		printf("MSC: CPU%d lwkt_process_ipiq: take mask -> %d\n", c, got) };
		if
		:: got -> fifo_drain(c)
		:: else ->
			atomic { draining[c] = false;
				printf("MSC: CPU%d lwkt_process_ipiq: draining = 0\n", c) };
#ifdef MUTANT_NO_REREAD
			break
#else
			if
			:: atomic { !mask[c] ->
				printf("MSC: CPU%d lwkt_process_ipiq: mask empty, done\n", c) };
				break
			:: atomic { mask[c] -> draining[c] = true;
				printf("MSC: CPU%d lwkt_process_ipiq: mask set again, draining = 1\n", c) }
			fi
#endif
		fi
	od;
	atomic { ie[c] = sie; sie = false; got = false };
	crit[c]--   /* ipiq_unhold: interrupts were off, no deferred work */
}
#define process_ipiq(c) ipiq_drain(c, false)

/*
 * ipiq_unhold(): drop the hold; with the fix, a drain deferred while it
 * was held (RQF_IPIQ) runs now.  Also lwkt_crit_exit_slow and
 * lwkt_intr_return, which do the same when the count reaches zero.
 */
inline run_deferred(c)
{
	if
	:: crit[c] == 0 && rqf[c] ->
		atomic { rqf[c] = false;
			printf("MSC: CPU%d runs the deferred drain (RQF_IPIQ)\n", c) };
		process_ipiq(c)
	:: else
	fi
}

/* An interrupt on CPU c (trap -> ipiq_vector / timer -> intr return). */
inline interrupt(c)
{
	ie[c] = false;
	if
	:: irr[c] ->
		atomic { irr[c] = false; got = true;
			printf("MSC: CPU%d IPI: lwkt_ipiq_intr (hold %d)\n", c, crit[c]) }
	:: else ->
		atomic { tick[c] = false; /* lwkt_ipiq_tick: only if announced */
#ifdef MUTANT_TICK_ACTIVE_ONLY
			got = mask[c];
#else
			got = mask[c] || pmask[c];
#endif
			printf("MSC: CPU%d timer tick: lwkt_ipiq_tick (mask %d, hold %d)\n", c, got, crit[c]) }
	fi;
	if
	:: got && crit[c] > 0 -> rqf[c] = true /* deferred to the unhold */
	:: got && crit[c] == 0 -> process_ipiq(c)
	:: else
	fi;
	got = false;
	run_deferred(c); /* lwkt_intr_return */
	ie[c] = true /* iretq */
}

/* An interrupt window: a pending interrupt may be taken here. */
inline window(c)
{
	if
	:: irr[c] || tick[c] -> interrupt(c)
	:: true
	fi
}

/* cpu_send_ipiq(): MFENCE; LFENCE; WRMSR (or the xAPIC ICR writes). */
inline send_ipi(c)
{
#ifdef MUTANT_NO_FENCE
	atomic { irr[OTHER(c)] = true;
		printf("MSC: CPU%d cpu_send_ipiq -> CPU%d (no fence: %d stores not yet visible)\n", c, OTHER(c), len(sb[c])) }
#else
	/* the fence: every earlier store is visible (SC: nothing pending) */
	atomic { irr[OTHER(c)] = true;
		printf("MSC: CPU%d cpu_send_ipiq -> CPU%d\n", c, OTHER(c)) }
#endif
}

/* The publish store of ipiq_fifo_put (release). */
inline publish(c, wake)
{
	atomic {
		assert(wl[c] - r[c] < FIFOSZ);
#ifdef MUTANT_NO_FENCE
		if
		:: c == 0 -> sb[c]!SB_WINDEX
		:: else -> w[c]++
		fi;
#else
		w[c]++;
#endif
		wl[c]++;
		if
		:: wake -> lastact[c] = wl[c]
		:: else
		fi;
		printf("MSC: CPU%d ipiq_fifo_put: publish message %d (active %d)\n", c, wl[c], wake) }
}

/* The locked test-and-set of our bit in the target's gd_ipimask. */
inline announce(c)
{
	atomic {
#ifdef MUTANT_NO_FENCE
		old = mask[OTHER(c)] || sbm[c] > 0; /* sees its own store */
		if
		:: c == 0 -> sb[c]!SB_MASK; sbm[c]++
		:: else -> mask[OTHER(c)] = true
		fi;
#else
		old = mask[OTHER(c)];
		mask[OTHER(c)] = true;
#endif
		printf("MSC: CPU%d ipiq_put: test-and-set gd_ipimask of CPU%d (was %d)\n", c, OTHER(c), old) }
}

/* send_ipiq(target, ..., wake) */
inline send(c, wake)
{
	crit[c]++; /* ipiq_hold */
	ie[c] = false; /* cpu_intr_disable */
	first = true;
	/* ipiq_put: while (!ipiq_fifo_put(...)) */
	do
	:: ROOM(c) -> break
	:: else ->
		if
		:: first -> first = false;
			printf("MSC: CPU%d ipiq_put: FIFO to CPU%d full\n", c, OTHER(c));
			send_ipi(c)
		:: else
		fi;
#ifdef MUTANT_FULL_SPIN
		(ROOM(c)) /* spin with interrupts off */
#else
		/*
		 * wait_step(outer): drain every incoming FIFO, open a window
		 * (the thread that sends had interrupts on), restore.
		 */
		ipiq_drain(c, true);
		ie[c] = true;
		window(c);
		ie[c] = false;
		/* spinning changes nothing until one of these holds */
		(ROOM(c) || r[OTHER(c)] < w[OTHER(c)] || mask[c] || pmask[c] ||
		 irr[c] || tick[c])
#endif
	od;
#ifdef MUTANT_ANNOUNCE_FIRST
	if
	:: wake -> announce(c)
	:: else
	fi;
#endif
	publish(c, wake);
	if
	:: !wake ->
		atomic {
#ifdef MUTANT_PASSIVE_SHARED
			mask[OTHER(c)] = true;
			printf("MSC: CPU%d ipiq_put: passive, set gd_ipimask of CPU%d (mutant)\n", c, OTHER(c))
#elif defined(MUTANT_NO_FENCE)
			if
			:: c == 0 -> sb[c]!SB_PMASK
			:: else -> pmask[OTHER(c)] = true
			fi;
#else
			pmask[OTHER(c)] = true;
#endif
#ifndef MUTANT_PASSIVE_SHARED
			printf("MSC: CPU%d ipiq_put: passive, set gd_ipimask_passive of CPU%d\n", c, OTHER(c))
#endif
		}
	:: wake ->
#ifndef MUTANT_ANNOUNCE_FIRST
		announce(c);
#endif
		if
		:: old -> printf("MSC: CPU%d ipiq_put: bit was set: coalesced\n", c)
		:: else ->
			if
			:: atomic { draining[OTHER(c)] ->
				printf("MSC: CPU%d ipiq_put: CPU%d draining: no IPI\n", c, OTHER(c)) }
			:: atomic { !draining[OTHER(c)] ->
				printf("MSC: CPU%d ipiq_put: CPU%d not draining\n", c, OTHER(c)) };
				send_ipi(c)
			fi
		fi
	fi;
	atomic { sent[c]++; old = false; first = false; wake = false };
	ie[c] = true; /* cpu_intr_restore */
	window(c);
	crit[c]--; /* ipiq_unhold */
#ifndef MUTANT_UNHOLD_NODRAIN
	run_deferred(c)
#endif
}

proctype cpu(byte c)
{
	bool first, old, got, sie, wake;

	ie[c] = true;
	do
	:: sent[c] < NMSG ->
		window(c);
		if
		:: wake = true
		:: wake = false
		fi;
		send(c, wake)
	:: else -> break
	od;
	if
	:: /* lwkt_idle_loop */
		do
		:: ie[c] && (irr[c] || tick[c]) -> interrupt(c)
		:: else ->
			crit[c]++;            /* crit_enter */
			process_ipiq(c);
			crit[c]--;            /* crit_exit */
			run_deferred(c);
			/* cpu_idle_halt */
			ie[c] = false;
			if
			:: atomic { !mask[c] && !pmask[c] -> ie[c] = true;
				printf("MSC: CPU%d cpu_idle_halt: sti; hlt\n", c) };
end_hlt:			(irr[c] || tick[c]);
				interrupt(c)
			:: else
			fi;
			ie[c] = true
		od
	:: /* a thread that computes and never drains by itself */
		printf("MSC: CPU%d runs a thread (interrupts on)\n", c);
end_busy:
		do
		:: irr[c] || tick[c] -> interrupt(c)
		od
	fi
}

#ifdef MUTANT_NO_FENCE
/* CPU c's store buffer drains in program order at any later moment. */
proctype storebuf(byte c)
{
	byte op;
end:
	do
	:: atomic { sb[c]?op ->
		if
		:: op == SB_WINDEX -> w[c]++;
			printf("MSC: CPU%d store buffer: windex %d visible\n", c, w[c])
		:: op == SB_MASK -> mask[OTHER(c)] = true; sbm[c]--;
			printf("MSC: CPU%d store buffer: gd_ipimask bit visible\n", c)
		:: op == SB_PMASK -> pmask[OTHER(c)] = true;
			printf("MSC: CPU%d store buffer: gd_ipimask_passive bit visible\n", c)
		fi }
	od
}
#endif

/* Watches the quiet moments (timeout: nothing else can move). */
proctype monitor()
{
end:
	do
	:: timeout ->
		if
		:: sent[0] == NMSG && sent[1] == NMSG &&
		   r[0] >= lastact[0] && r[1] >= lastact[1] -> break
		:: else ->
#ifdef SAFETY_DRAIN
			assert(!stalled);
			atomic { stalled = true; tick[0] = true; tick[1] = true;
				printf("MSC: system quiet with a queued message: timer tick on both CPUs\n") }
#else
			printf("MSC: system quiet: an active message is never drained (lost wakeup or deadlock)\n");
			assert(false)
#endif
		fi
	od
}

init
{
	atomic {
		run cpu(0);
		run cpu(1);
#ifdef MUTANT_NO_FENCE
		run storebuf(0); /* CPU 0 only: see the header */
#endif
		run monitor()
	}
}
