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
	subq	$(15 * 8), %rsp
	movq	%rax, 0(%rsp)
	movq	%rbx, 8(%rsp)
	movq	%rcx, 16(%rsp)
	movq	%rdx, 24(%rsp)
	movq	%rsi, 32(%rsp)
	movq	%rdi, 40(%rsp)
	movq	%rbp, 48(%rsp)
	movq	%r8, 56(%rsp)
	movq	%r9, 64(%rsp)
	movq	%r10, 72(%rsp)
	movq	%r11, 80(%rsp)
	movq	%r12, 88(%rsp)
	movq	%r13, 96(%rsp)
	movq	%r14, 104(%rsp)
	movq	%r15, 112(%rsp)
	cld
	/* Fake frame: [rbp] = interrupted rbp, [rbp+8] = interrupted rip. */
	pushq	(17 * 8)(%rsp)			/* tf_rip */
	pushq	%rbp
	movq	%rsp, %rbp
	leaq	16(%rsp), %rdi			/* the trapframe */
	/* Keep the stack 16-byte aligned for the C call. */
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	trap
	movq	%rbx, %rsp
	addq	$16, %rsp
	movq	0(%rsp), %rax
	movq	8(%rsp), %rbx
	movq	16(%rsp), %rcx
	movq	24(%rsp), %rdx
	movq	32(%rsp), %rsi
	movq	40(%rsp), %rdi
	movq	48(%rsp), %rbp
	movq	56(%rsp), %r8
	movq	64(%rsp), %r9
	movq	72(%rsp), %r10
	movq	80(%rsp), %r11
	movq	88(%rsp), %r12
	movq	96(%rsp), %r13
	movq	104(%rsp), %r14
	movq	112(%rsp), %r15
	addq	$(17 * 8), %rsp			/* registers, trapno, err */
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
	movq	%rax, %gs:8			/* gd_onfault */
	movq	(%rdi), %rax
	testl	%esi, %esi
	jz	2f
	movq	%rax, (%rdi)
2:	movq	$0, %gs:8
	popfq
	xorl	%eax, %eax
	ret
1:	movq	$0, %gs:8
	popfq
	movl	$-1, %eax
	ret
