/*
 * trap.c - what happens after exception.S saved a trap frame.
 *
 * Vectors 32-255 are interrupts: they go to the handler registered with
 * intr_register(), or are counted and reported as stray.  Vectors 0-31
 * are exceptions.  The kernel takes no exception on purpose except in two
 * cases.  A spurious page fault - one the live page tables permit, taken
 * through a stale TLB or paging-structure-cache entry or racing with the
 * update that made the page present - is retried (trap_pf_spurious(),
 * below).  A fault inside cpu_probe() (gd_onfault set) resumes at the
 * probe's recovery point so tests can show that a page is unmapped.
 * Everything else is fatal: print the vector, error code, CR2, all
 * registers and a symbolized backtrace, then panic, which stops the other
 * CPUs and reports failure to the test harness.  A fault in the guard
 * page below the current thread's stack is reported as a thread stack
 * overflow.  An NMI while a panic is stopping the CPUs
 * (mp_stop_requested()) is the stop request for a CPU that ignored the
 * stop IPI because its interrupts were off: it records its frame and
 * halts for good (mp_machdep.c).  After an interrupt handler, lwkt_intr_return() runs the
 * work the handler deferred (an IPI-queue drain, a preemption) unless
 * the interrupted thread is in a critical section.
 *
 * From user mode (CS.RPL 3): an exception goes to trap_user()
 * (cpu_user.c: vm_fault or a signal), and after an interrupt userret()
 * runs so an exiting process's threads leave promptly.  A page fault on
 * a user address inside copyin/copyout is demand paging
 * (trap_user_copy_fault) before it is an EFAULT.
 */
#include <machine/md_var.h>

#include <cpu/cpufunc.h>
#include <cpu/specialreg.h>
#include <machine/globaldata.h>
#include <machine/intr.h>
#include <machine/pmap.h>
#include <machine/pmap_inval.h>
#include <machine/vmparam.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>

/*
 * Per-CPU spurious-fault state, touched only by its CPU in the fault
 * handler (interrupts off), so it needs no lock.
 */
struct pf_retry {
	vm_offset_t pr_va; /* address of the last retried fault */
	uint64_t pr_rip;   /* and its instruction */
	int pr_repeats;    /* times in a row that fault came back */
	bool pr_walking;   /* in trap_pf_spurious: do not recurse */
} __aligned(64);

bool trap_gs_ready;
extern char syscall_entry[];
static intr_handler_t intr_handlers[256];
static uint64_t stray_count;
static struct pf_retry pf_retry[MAXCPU];

static const char *const trap_names[IDT_NEXCEPTIONS] = {
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection",
    "page fault",
    "reserved 15",
    "x87 FP error",
    "alignment check",
    "machine check",
    "SIMD FP error",
    "virtualization",
    "control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "hypervisor injection",
    "VMM communication",
    "security",
    "reserved 31",
};

void
intr_register(int vec, intr_handler_t fn)
{
	KASSERT(vec >= IDT_NEXCEPTIONS && vec < 256, "bad vector");
	intr_handlers[vec] = fn;
}

static void
print_pf_error(uint64_t err)
{
	kprintf("  page fault: %s, %s, %s%s\n",
	        (err & 1) ? "protection violation" : "page not present",
	        (err & 2) ? "write" : "read", (err & 4) ? "user" : "kernel",
	        (err & 16) ? ", instruction fetch" : "");
}

/*
 * Would the page tables under cr3 let the access err describes through
 * at va now?  Every level must be present; a write needs RW at every
 * level (CR0.WP is set, so the kernel too); a user access needs U at
 * every level; a fetch needs NX at none.  A reserved-bit or
 * protection-key fault is about the entry's contents, not a stale copy
 * of it: never permitted.  This kernel enables neither SMEP nor SMAP; if
 * it ever does, a supervisor access to a user page must fail here too.
 */
bool
trap_pf_permitted(uint64_t cr3, vm_offset_t va, uint64_t err)
{
	struct pmap_walk w;
	bool rw = true, user = true, nx = false;
	int l;

	if (err & (PGEX_RSVD | PGEX_PK))
		return false;
	pmap_kwalk(cr3, va, &w);
	if (w.pw_pa == ~0ull)
		return false;
	for (l = 0; l < w.pw_levels; l++) {
		rw = rw && (w.pw_entry[l] & PG_RW) != 0;
		user = user && (w.pw_entry[l] & PG_U) != 0;
		nx = nx || (w.pw_entry[l] & PG_NX) != 0;
	}
	if ((err & PGEX_W) && !rw)
		return false;
	if ((err & PGEX_U) && !user)
		return false;
	if ((err & PGEX_I) && nx)
		return false;
	return true;
}

/*
 * The page-fault handler's first question: is this fault spurious?  A
 * CPU may take a page fault the page tables no longer justify: its TLB
 * or paging-structure caches may hold an entry from before a change that
 * only added rights (a not-present entry made present, a parent table
 * linked, RO made RW), which the kernel never shoots down, or the access
 * raced with that change on another CPU.  The architecture drops the
 * entries used for the faulting address when it delivers the fault, so a
 * retry walks the tables again; the invlpg here makes that explicit and
 * covers a stale entry the fault did not drop.  Re-walk the live tables
 * (this CPU's CR3) for cr2 and the access in the error code: if they
 * permit it, invalidate cr2 locally, count it (pc_spurious_faults) and
 * say retry (true); otherwise say fault (false) and let the caller treat
 * it as a probe fault or a fatal one.  The same fault (address and
 * instruction) coming back TRAP_PF_RETRY_MAX times in a row is reported and
 * treated as a real one, so a wrong answer here cannot hang the CPU.
 */
bool
trap_pf_spurious(struct trapframe *tf, uint64_t cr2)
{
	struct globaldata *gd = mycpu;
	struct pf_retry *pr = &pf_retry[gd->gd_cpuid];
	bool permitted;

	if (pr->pr_walking) /* the walk itself faulted: a real fault */
		return false;
	/*
	 * A supervisor access to a user page that SMEP (fetch) or SMAP
	 * (data, AC clear) forbids: the page tables permit it, but it is a
	 * real fault (cpu_user.c; the usermode suite provokes it).
	 */
	if ((tf->tf_err & PGEX_U) == 0 && cr2 < VM_MAX_USER_ADDRESS &&
	    ((tf->tf_err & PGEX_I)
	         ? (rcr4() & CR4_SMEP) != 0
	         : (rcr4() & CR4_SMAP) != 0 && (tf->tf_rflags & PSL_AC) == 0))
		return false;
	pr->pr_walking = true;
	permitted = trap_pf_permitted(rcr3(), cr2, tf->tf_err);
	pr->pr_walking = false;
	if (!permitted)
		return false;
	if (cr2 == pr->pr_va && tf->tf_rip == pr->pr_rip) {
		if (++pr->pr_repeats >= TRAP_PF_RETRY_MAX) {
			kprintf("trap: cpu %d: page fault at %#lx (rip %#lx) "
			        "came back %d times although the page tables "
			        "permit the access: not retrying\n",
			        gd->gd_cpuid, cr2, tf->tf_rip, pr->pr_repeats);
			pr->pr_repeats = 0;
			return false;
		}
	} else {
		pr->pr_va = cr2;
		pr->pr_rip = tf->tf_rip;
		pr->pr_repeats = 0;
	}
	invlpg(cr2);
	gd->gd_cnt.pc_invlpg++;
	gd->gd_cnt.pc_spurious_faults++;
	return true;
}

static void __noreturn
trap_fatal(struct trapframe *tf)
{
	int cpu = trap_gs_ready ? mycpu->gd_cpuid : 0;
	uint64_t vec = tf->tf_trapno;
	uint64_t cr2 = rcr2();

	kprintf("\nfatal trap %lu (%s) on cpu %d: error code %#lx, cr2 %#lx\n",
	        vec, trap_names[vec], cpu, tf->tf_err, cr2);
	if (vec == 14) {
		print_pf_error(tf->tf_err);
		if (cr2 < PAGE_SIZE)
			kprintf("  (a NULL pointer dereference)\n");
		else if (cr2 >= PRIVSPACE_ADDRESS &&
		         cr2 < PRIVSPACE_ADDRESS + PRIVSPACE_MAXSIZE)
			kprintf("  (in the per-CPU window: cpu %lu page %lu; "
			        "a guard page means a stack overflow)\n",
			        (cr2 - PRIVSPACE_ADDRESS) /
			            sizeof(struct privatespace),
			        ((cr2 - PRIVSPACE_ADDRESS) %
			         sizeof(struct privatespace)) /
			            PAGE_SIZE);
	}
	if ((vec == 14 || vec == 8) && trap_gs_ready && curthread != NULL &&
	    curthread->td_kstack_size != 0 &&
	    cr2 >= curthread->td_kstack - PAGE_SIZE &&
	    cr2 < curthread->td_kstack) {
		/* #PF on the guard usually escalates to #DF: check both. */
		kprintf("  thread stack overflow: thread \"%s\" hit the guard "
		        "page below its stack %#lx\n",
		        curthread->td_name, curthread->td_kstack);
		panic("thread stack overflow in thread \"%s\" (cr2 %#lx)",
		      curthread->td_name, cr2);
	}
	if (vec == 8)
		kprintf("  (double fault: most often a kernel stack "
		        "overflow)\n");
	db_print_trapframe(tf);
	db_print_backtrace(tf->tf_rbp, tf->tf_rip);
	panic("fatal trap %lu (%s) at %#lx", vec, trap_names[vec], tf->tf_rip);
}

void
trap(struct trapframe *tf)
{
	uint64_t vec = tf->tf_trapno;

	/*
	 * Woken from hlt: do the TLB flush initiators deferred while we were
	 * halted before any handler body runs (pmap_inval.c).
	 */
	if (trap_gs_ready && __predict_false(mdcpu->gd_idle_halted))
		pmap_inval_wakeup();
	if (vec >= IDT_NEXCEPTIONS) {
		if (intr_handlers[vec] != NULL) {
			intr_handlers[vec](tf);
			/* Deferred IPI drain or preemption, when allowed. */
			if (trap_gs_ready)
				lwkt_intr_return();
			/* Back to user mode: exit requests, signals. */
			if ((tf->tf_cs & 3) != 0) {
				cpu_enable_intr();
				userret(curthread->td_lwp, tf);
			}
			return;
		}
		if (++stray_count <= 10)
			kprintf("trap: stray interrupt on vector %lu\n", vec);
		return;
	}
	/* NMI, #DF and #MC are never a user program's doing: not signals. */
	if ((tf->tf_cs & 3) != 0 && vec != 2 && vec != 8 && vec != 18) {
		mycpu->gd_cnt.pc_traps++;
		trap_user(tf); /* an exception in user mode: a signal */
		return;
	}
	if (trap_gs_ready) {
		struct mdglobaldata *gd = mdcpu;

		gd->mi.gd_cnt.pc_traps++;
		/* Before a probe's recovery or a panic: retry if spurious. */
		if (vec == 14 && trap_pf_spurious(tf, rcr2()))
			return;
		/* Demand paging inside copyin/copyout: resolve and retry. */
		if (vec == 14 && gd->gd_onfault != 0 &&
		    trap_user_copy_fault(tf, rcr2()))
			return;
		if ((vec == 14 || vec == 13) && gd->gd_onfault != 0) {
			gd->gd_fault_va = vec == 14 ? rcr2() : 0;
			tf->tf_rip = gd->gd_onfault;
			gd->gd_onfault = 0;
			return;
		}
	}
	/*
	 * #DB in the kernel: the kernel sets no breakpoints, so this is a
	 * user's TF single-stepping a SYSCALL (FMASK clears TF, but the trap
	 * for the SYSCALL instruction itself is taken at syscall_entry, in
	 * ring 0).  Ignore it: the user's TF is back on return, and the next
	 * user instruction traps in user mode (SIGTRAP).
	 */
	if (vec == 1) {
		if (tf->tf_rip != (uint64_t)syscall_entry)
			kprintf("trap: debug exception in the kernel at %#lx "
			        "ignored\n",
			        tf->tf_rip);
		return;
	}
	/* A panic on another CPU is stopping us and the IPI did not get in. */
	if (vec == 2 && trap_gs_ready && mp_stop_requested())
		mp_stop_self(tf, STOP_NMI);
	if (vec == 2 && intr_handlers[2] == NULL && trap_gs_ready) {
		kprintf("trap: NMI on cpu %d\n", mycpu->gd_cpuid);
		return;
	}
	trap_fatal(tf);
}
