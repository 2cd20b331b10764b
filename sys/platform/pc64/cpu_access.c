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
 * The stress code probes user pages on purpose, so with SMAP on these
 * accesses open user access (STAC) for exactly the one instruction's
 * span; an interrupt in between clears AC on entry (exception.S) and
 * IRETQ restores it.
 */
#include <sys/cpu.h>

#include <machine/md_var.h>

#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <sys/thread.h>

static inline void
user_access_begin(void)
{
	if (cpu_smap_on)
		__asm__ volatile("stac" ::: "memory", "cc");
}

static inline void
user_access_end(void)
{
	if (cpu_smap_on)
		__asm__ volatile("clac" ::: "memory", "cc");
}

int
cpu_fetch(const volatile void *va, uint64_t *valp)
{
	uint64_t v;
	int rc;

	crit_enter();
	user_access_begin();
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
	user_access_end();
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
	user_access_begin();
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
	user_access_end();
	crit_exit();
	return rc;
}

void
cpu_user_access_begin(void)
{
	user_access_begin();
}

void
cpu_user_access_end(void)
{
	user_access_end();
}

vm_paddr_t
cpu_pte_frame(uint64_t entry)
{
	return entry & PG_FRAME;
}
