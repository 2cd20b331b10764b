/*
 * mycpu and curthread: one %gs-relative load each.  Every CPU's GS base
 * holds the address of its own globaldata, whose first field points to
 * itself, so "movq %gs:0" yields a normal pointer usable anywhere.
 */
#ifndef _MACHINE_GDACCESS_H_
#define _MACHINE_GDACCESS_H_

struct globaldata;
struct thread;

static inline struct globaldata *
_get_mycpu(void)
{
	struct globaldata *gd;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(gd));
	return gd;
}

static inline struct thread *
_get_curthread(void)
{
	struct thread *td;

	__asm__ volatile("movq %%gs:16, %0" : "=r"(td));
	return td;
}

#define mycpu     _get_mycpu()
#define curthread _get_curthread()
#define mycpuid   (mycpu->gd_cpuid)

#endif /* !_MACHINE_GDACCESS_H_ */
