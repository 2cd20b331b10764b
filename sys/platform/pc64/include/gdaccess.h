/*
 * mycpu and curthread: one %gs-relative load each.  Every CPU's GS base
 * holds the address of its own globaldata, whose first field points to
 * itself, so "movq %gs:gd_self" yields a normal pointer usable anywhere.
 * Included at the end of <sys/globaldata.h>, once struct globaldata is
 * complete, so the offsets come from the compiler (offsetof), never typed.
 */
#ifndef _MACHINE_GDACCESS_H_
#define _MACHINE_GDACCESS_H_

#include <sys/globaldata.h> /* the offsets below */

static inline struct globaldata *
_get_mycpu(void)
{
	struct globaldata *gd;

	__asm__ volatile("movq %%gs:%c1, %0"
	                 : "=r"(gd)
	                 : "i"(offsetof(struct globaldata, gd_self)));
	return gd;
}

static inline struct thread *
_get_curthread(void)
{
	struct thread *td;

	__asm__ volatile("movq %%gs:%c1, %0"
	                 : "=r"(td)
	                 : "i"(offsetof(struct globaldata, gd_curthread)));
	return td;
}

#define mycpu     _get_mycpu()
#define curthread _get_curthread()
#define mycpuid   (mycpu->gd_cpuid)

#endif /* !_MACHINE_GDACCESS_H_ */
