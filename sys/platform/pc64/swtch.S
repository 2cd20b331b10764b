/*
 * swtch.S - the LWKT context switch.
 *
 * struct thread *cpu_switch(struct thread *from, struct thread *to)
 * saves the callee-saved registers (rbx rbp r12-r15) on from's stack,
 * stores %rsp in from->td_sp, loads to->td_sp and pops to's registers.
 * Everything else is caller-saved by the C ABI, so that is the whole
 * thread state.  It returns `from` in to's context, so the code that
 * resumes (lwkt_switch, or the trampoline of a new thread) can finish
 * with the thread it left (reap it, migrate it) now that no CPU runs on
 * its stack.  The caller has interrupts disabled: a switch is never
 * interrupted half-way.
 *
 * A new thread's stack is prepared by lwkt_create() to look like a
 * switched-out thread whose return address is cpu_thread_trampoline,
 * with the body in r12 and its argument in r13.
 */
#include "assym.h" /* TD_SP */

	.text
	.globl	cpu_switch
	.type	cpu_switch, @function
cpu_switch:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, TD_SP(%rdi)
	movq	TD_SP(%rsi), %rsp
	movq	%rdi, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	cpu_switch, . - cpu_switch

/* First run of a thread: rax = previous thread, r12 = body, r13 = arg. */
	.globl	cpu_thread_trampoline
	.type	cpu_thread_trampoline, @function
cpu_thread_trampoline:
	movq	%rax, %rdi
	call	lwkt_thread_start		/* finish the switch */
	movq	%r13, %rdi
	call	*%r12
	call	lwkt_exit
	ud2
	.size	cpu_thread_trampoline, . - cpu_thread_trampoline
