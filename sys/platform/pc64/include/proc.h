/*
 * The machine-dependent part of a user thread (struct lwp, <sys/proc.h>):
 * its FPU/SSE state and the user context the platform keeps for it.
 */
#ifndef _MACHINE_PROC_H_
#define _MACHINE_PROC_H_

#include <cpu/frame.h>
#include <sys/types.h>

#define FPU_SAVE_SIZE 512 /* the FXSAVE image */

struct mdlwp {
	uint8_t md_fpu[FPU_SAVE_SIZE] __aligned(16); /* FXSAVE area */
	uint64_t md_fsbase;         /* MSR_FSBASE while it runs (TLS) */
	uint64_t md_onfault;        /* gd_onfault while switched out */
	struct trapframe md_startf; /* first user context (clone child) */
};

#endif /* !_MACHINE_PROC_H_ */
