/*
 * exception.S - entry points for all 256 IDT vectors.
 *
 * Each stub pushes a zero error code when the CPU does not push one (so
 * every frame has the same shape, struct trapframe in <cpu/frame.h>), then
 * the vector number, and jumps to alltraps, which saves the general
 * registers and calls trap(frame).  The kernel runs only in ring 0, so
 * there is no swapgs: %gs always points at this CPU's globaldata.
 *
 * alltraps also builds a fake frame-pointer link (rbp -> saved rip) so a
 * backtrace taken inside trap() walks through the interrupted code.
 */
#include "assym.h"
#include <machine/asmdefs.h>

/* The CPU pushes an error code for vectors 8, 10-14, 17, 21, 29, 30. */
	.macro	VECTOR n
	.balign	16
vec\n:
	.if	!((\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30))
	pushq	$0
	.endif
	pushq	$\n
	jmp	alltraps
	.endm

	.text
	.globl	idt_vectors_start
idt_vectors_start:
	.altmacro
	.set	i, 0
	.rept	256
	VECTOR	%i
	.set	i, i + 1
	.endr

/* Every stub is at most 12 bytes, so stub n is at idt_vectors_start + 16n. */
	.balign	16
	.globl	idt_vectors_size
	.set	idt_vectors_size, . - idt_vectors_start

	.text
	.balign	16
alltraps:
	subq	$TF_TRAPNO, %rsp			/* room for the registers */
	movq	%rax, TF_RAX(%rsp)
	movq	%rbx, TF_RBX(%rsp)
	movq	%rcx, TF_RCX(%rsp)
	movq	%rdx, TF_RDX(%rsp)
	movq	%rsi, TF_RSI(%rsp)
	movq	%rdi, TF_RDI(%rsp)
	movq	%rbp, TF_RBP(%rsp)
	movq	%r8, TF_R8(%rsp)
	movq	%r9, TF_R9(%rsp)
	movq	%r10, TF_R10(%rsp)
	movq	%r11, TF_R11(%rsp)
	movq	%r12, TF_R12(%rsp)
	movq	%r13, TF_R13(%rsp)
	movq	%r14, TF_R14(%rsp)
	movq	%r15, TF_R15(%rsp)
	cld
	/* Fake frame: [rbp] = interrupted rbp, [rbp+8] = interrupted rip. */
	pushq	TF_RIP(%rsp)			/* tf_rip */
	pushq	%rbp
	movq	%rsp, %rbp
	leaq	16(%rsp), %rdi			/* the trapframe */
	/* Keep the stack 16-byte aligned for the C call. */
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	trap
	movq	%rbx, %rsp
	addq	$16, %rsp
	movq	TF_RAX(%rsp), %rax
	movq	TF_RBX(%rsp), %rbx
	movq	TF_RCX(%rsp), %rcx
	movq	TF_RDX(%rsp), %rdx
	movq	TF_RSI(%rsp), %rsi
	movq	TF_RDI(%rsp), %rdi
	movq	TF_RBP(%rsp), %rbp
	movq	TF_R8(%rsp), %r8
	movq	TF_R9(%rsp), %r9
	movq	TF_R10(%rsp), %r10
	movq	TF_R11(%rsp), %r11
	movq	TF_R12(%rsp), %r12
	movq	TF_R13(%rsp), %r13
	movq	TF_R14(%rsp), %r14
	movq	TF_R15(%rsp), %r15
	addq	$TF_RIP, %rsp			/* registers, trapno, err */
	iretq

/*
 * int cpu_probe(const volatile void *va, int write)
 * Touch one word at va (read, or read and write back when write != 0).
 * Returns 0, or -1 if the access faulted: trap() sees gd_onfault set and
 * resumes at the recovery label instead of panicking.  Used by tests that
 * prove guard pages are unmapped and read-only pages are read-only.
 *
 * gd_onfault is per CPU, so the probe runs with interrupts disabled: a
 * thread preempted between setting and clearing it would otherwise leave
 * it to another thread's probe on this CPU (which clears it), and the
 * first thread's fault would then panic.  Exceptions are not masked by
 * IF, so the fault itself is still taken.
 */
	.globl	cpu_probe
cpu_probe:
	pushfq
	cli
	leaq	1f(%rip), %rax
	movq	%rax, %gs:GD_ONFAULT
	movq	(%rdi), %rax
	testl	%esi, %esi
	jz	2f
	movq	%rax, (%rdi)
2:	movq	$0, %gs:GD_ONFAULT
	popfq
	xorl	%eax, %eax
	ret
1:	movq	$0, %gs:GD_ONFAULT
	popfq
	movl	$-1, %eax
	ret
