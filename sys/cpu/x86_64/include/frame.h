/*
 * The trap frame: what exception.S saves on the stack before calling
 * trap().  The order matches the pushes in exception.S exactly (lowest
 * address first); the hardware part starts at tf_err.
 */
#ifndef _CPU_FRAME_H_
#define _CPU_FRAME_H_

#include <sys/types.h>

struct trapframe {
	uint64_t tf_rax;    /* general registers, saved by software */
	uint64_t tf_rbx;    /* */
	uint64_t tf_rcx;    /* */
	uint64_t tf_rdx;    /* */
	uint64_t tf_rsi;    /* */
	uint64_t tf_rdi;    /* */
	uint64_t tf_rbp;    /* */
	uint64_t tf_r8;     /* */
	uint64_t tf_r9;     /* */
	uint64_t tf_r10;    /* */
	uint64_t tf_r11;    /* */
	uint64_t tf_r12;    /* */
	uint64_t tf_r13;    /* */
	uint64_t tf_r14;    /* */
	uint64_t tf_r15;    /* */
	uint64_t tf_trapno; /* vector number, pushed by the stub */
	uint64_t tf_err;    /* error code (0 when the CPU pushes none) */
	uint64_t tf_rip;    /* hardware frame from here on */
	uint64_t tf_cs;     /* */
	uint64_t tf_rflags; /* */
	uint64_t tf_rsp;    /* */
	uint64_t tf_ss;     /* */
};

#endif /* !_CPU_FRAME_H_ */
