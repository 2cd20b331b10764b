/*
 * trap.c - what happens after exception.S saved a trap frame.
 *
 * Vectors 32-255 are interrupts: they go to the handler registered with
 * intr_register(), or are counted and reported as stray.  Vectors 0-31
 * are exceptions.  The kernel takes no exception on purpose except in one
 * case: a fault inside cpu_probe() (gd_onfault set), which resumes at the
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
#include <machine/globaldata.h>
#include <machine/intr.h>
#include <machine/pmap_inval.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <sys/thread.h>

bool trap_gs_ready;
extern char syscall_entry[];
static intr_handler_t intr_handlers[256];
static uint64_t stray_count;

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
	if ((tf->tf_cs & 3) != 0 && vec != 2) {
		mycpu->gd_cnt.pc_traps++;
		trap_user(tf); /* an exception in user mode: a signal */
		return;
	}
	if (trap_gs_ready) {
		struct globaldata *gd = mycpu;

		gd->gd_cnt.pc_traps++;
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
