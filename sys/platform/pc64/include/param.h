/*
 * Machine parameters for the pc64 platform.  Machine-independent code
 * gets these through <sys/param.h>; the sizes the CPU architecture fixes
 * live in <cpu/param.h>.
 */
#ifndef _MACHINE_PARAM_H_
#define _MACHINE_PARAM_H_

#include <cpu/param.h>

#ifndef MAXCPU
#define MAXCPU 256 /* normally set by the kernel config */
#endif

#endif /* !_MACHINE_PARAM_H_ */
