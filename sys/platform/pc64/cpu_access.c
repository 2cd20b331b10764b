/*
 * cpu_access.c - the fault-tolerant memory accesses and page-table entry
 * decoding that machine-independent stress code (sys/vm/pmap_stress.c)
 * needs through <sys/cpu.h>.
 *
 * cpu_fetch() reads one word like cpu_probe() (exception.S) touches one:
 * it arms gd_onfault (struct mdglobaldata) around the load, so a page
 * or protection fault resumes at the recovery label with -1 instead of
 * panicking (trap.c).  The load is a single instruction, so an
 * invalidation IPI is taken either before or after it, never in between:
 * the value and the fault status always come from one translation.
 * gd_onfault is per CPU, so the access runs in a critical section: a
 * preemption in between could run another thread whose probe clears it
 * (cpu_probe() callers that share a CPU need the same protection).
 */
#include <sys/cpu.h>

#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <sys/thread.h>

int
cpu_fetch(const volatile void *va, uint64_t *valp)
{
	uint64_t v;
	int rc;

	crit_enter();
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
	                 "movq %%rax, %%gs:%c3\n\t"
	                 "movq (%2), %0\n\t"
	                 "xorl %1, %1\n\t"
	                 "jmp 2f\n"
	                 "1:\tmovl $-1, %1\n"
	                 "2:\tmovq $0, %%gs:%c3"
	                 : "=&r"(v), "=&r"(rc)
	                 : "r"(va),
	                   "i"(offsetof(struct mdglobaldata, gd_onfault))
	                 : "rax", "memory");
	crit_exit();
	if (rc == 0)
		*valp = v;
	return rc;
}

/*
 * A write probe that cannot change memory: one locked add of 0.  Unlike
 * cpu_probe(va, 1) (a load, then a store: two translations, so a store
 * after a remap could write the old value into the new frame) it is a
 * single access through a single translation.
 */
int
cpu_touch(const volatile void *va)
{
	int rc;

	crit_enter();
	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
	                 "movq %%rax, %%gs:%c2\n\t"
	                 "lock addq $0, (%1)\n\t"
	                 "xorl %0, %0\n\t"
	                 "jmp 2f\n"
	                 "1:\tmovl $-1, %0\n"
	                 "2:\tmovq $0, %%gs:%c2"
	                 : "=&r"(rc)
	                 : "r"(va),
	                   "i"(offsetof(struct mdglobaldata, gd_onfault))
	                 : "rax", "memory", "cc");
	crit_exit();
	return rc;
}

vm_paddr_t
cpu_pte_frame(uint64_t entry)
{
	return entry & PG_FRAME;
}
