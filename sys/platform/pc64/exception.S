/*
 * exception.S - entry points for all 256 IDT vectors, the SYSCALL entry
 * and the return to user mode.
 *
 * Each stub pushes a zero error code when the CPU does not push one (so
 * every frame has the same shape, struct trapframe in <cpu/frame.h>), then
 * the vector number, and jumps to alltraps (or paranoidtraps), which
 * saves the general registers and calls trap(frame).
 *
 * The swapgs discipline.  In the kernel the GS base is this CPU's
 * globaldata; in user mode it is the user's (0: the kernel never lets
 * user code set it), and the kernel's sits in MSR_KGSBASE.  Invariant:
 * every instruction of kernel code after the entry sequence runs with
 * the kernel GS base, and user code never runs with it.  How each entry
 * keeps it:
 *  - alltraps (every vector except the paranoid ones): the interrupted
 *    CS says where we came from; CPL 3 means swapgs on entry and again
 *    right before iretq.  Interrupts are off from the gate until the
 *    swapgs, and an exception cannot happen in between (no memory access
 *    that can fault), so the CS test is exact.
 *  - paranoid vectors (#DB 1, NMI 2, #DF 8, #MC 18): they can arrive
 *    anywhere, including the one instruction of syscall_entry before its
 *    swapgs and the instructions of the exit paths after theirs, where
 *    CS is the kernel's but GS is the user's.  They read MSR_GSBASE
 *    instead: kernel globaldata addresses are in the upper half (sign
 *    bit set), so a non-negative base means swapgs in, and swapgs back
 *    on the way out.
 *  - syscall_entry: SYSCALL only comes from user mode: swapgs first.
 * Every entry also clears EFLAGS.AC (CLAC, when SMAP is on): an interrupt
 * inside copyin() must not run its handler with user access allowed.
 *
 * alltraps also builds a fake frame-pointer link (rbp -> saved rip) so a
 * backtrace taken inside trap() walks through the interrupted code.
 */
#include "assym.h"
#include <machine/asmdefs.h>
#include <machine/smap_asm.h>

/* Save / restore the general registers of the trap frame at %rsp. */
	.macro	SAVE_REGS
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
	.endm

	.macro	RESTORE_REGS
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
	.endm

/*
 * Call trap() on the trap frame at %rsp, then undo the call's stack
 * set-up; interrupts are off afterwards (trap() may have enabled them
 * for a user fault).  A fake frame makes backtraces walk through the
 * interrupted code: [rbp] = interrupted rbp, [rbp+8] = interrupted rip.
 * %rbx (callee-saved) keeps the unaligned %rsp across the call.
 */
	.macro	CALL_TRAP
	pushq	TF_RIP(%rsp)			/* tf_rip */
	pushq	%rbp
	movq	%rsp, %rbp
	leaq	16(%rsp), %rdi			/* the trapframe */
	/* Keep the stack 16-byte aligned for the C call. */
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	trap
	cli
	movq	%rbx, %rsp
	addq	$16, %rsp
	.endm

/* The CPU pushes an error code for vectors 8, 10-14, 17, 21, 29, 30. */
	.macro	VECTOR n
	.balign	16
vec\n:
	.if	!((\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30))
	pushq	$0
	.endif
	pushq	$\n
	.if	(\n == 1) || (\n == 2) || (\n == 8) || (\n == 18)
	jmp	paranoidtraps
	.else
	jmp	alltraps
	.endif
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
	/* From user mode (the frame's CS has RPL 3): swapgs. */
	testb	$3, (TF_CS - TF_TRAPNO)(%rsp)
	jz	1f
	swapgs
1:	SMAP_CLAC
	subq	$TF_TRAPNO, %rsp			/* room for the registers */
	SAVE_REGS
	cld
	CALL_TRAP
	RESTORE_REGS
	addq	$TF_RIP, %rsp			/* registers, trapno, err */
	/* Back to user mode: swapgs right before iretq. */
	testb	$3, (TF_CS - TF_RIP)(%rsp)
	jz	2f
	swapgs
2:	iretq

/*
 * The paranoid vectors (header): decide swapgs by MSR_GSBASE, keep the
 * decision in %r12 (callee-saved, so trap() preserves it).
 */
	.balign	16
paranoidtraps:
	subq	$TF_TRAPNO, %rsp
	SAVE_REGS
	cld
	xorl	%r12d, %r12d
	movl	$MSR_GSBASE_ASM, %ecx
	rdmsr
	testl	%edx, %edx
	js	1f				/* kernel GS base already */
	swapgs
	movl	$1, %r12d
1:	SMAP_CLAC
	CALL_TRAP
	testl	%r12d, %r12d
	jz	2f
	swapgs
2:	RESTORE_REGS
	addq	$TF_RIP, %rsp
	iretq

/*
 * SYSCALL entry (MSR_LSTAR).  The CPU put the user RIP in %rcx and
 * RFLAGS in %r11, cleared the RFLAGS bits of MSR_FMASK (IF, TF, DF, AC,
 * NT) and left %rsp alone: swapgs, park the user %rsp in gd_user_rsp,
 * switch to curthread's kernel stack (gd_rsp0, set by the context
 * switch), and build a struct trapframe exactly where an interrupt from
 * user mode would put one, so every user thread's saved user context is
 * at the same place (the top of its kernel stack).
 */
	.globl	syscall_entry
	.balign	16
syscall_entry:
	swapgs
	movq	%rsp, %gs:GD_USER_RSP
	movq	%gs:GD_RSP0, %rsp
	pushq	$SEL_UDATA			/* tf_ss */
	pushq	%gs:GD_USER_RSP			/* tf_rsp */
	pushq	%r11				/* tf_rflags */
	pushq	$SEL_UCODE			/* tf_cs */
	pushq	%rcx				/* tf_rip */
	pushq	$0				/* tf_err */
	pushq	$T_SYSCALL			/* tf_trapno */
	subq	$TF_TRAPNO, %rsp
	SAVE_REGS
	xorl	%ebp, %ebp			/* backtraces end here */
	movq	%rsp, %rdi
	sti
	call	syscall_handler
	jmp	user_return

/*
 * void cpu_user_return(struct trapframe *tf) - leave the kernel for user
 * mode with the context in tf, which must be the frame at the top of
 * curthread's kernel stack.  SYSRET when it can restore the frame
 * exactly: %rcx == RIP and %r11 == RFLAGS (which SYSRET clobbers that
 * way), user selectors, no TF/RF, and a RIP below the last user page
 * (0x7ffffffff000).  The last condition is the SYSRET #GP class of bug:
 * with a non-canonical %rcx, Intel CPUs raise #GP in ring 0 after the
 * swapgs, with the user's stack: never let that happen.  Otherwise
 * IRETQ, which restores everything (cpu_user_frame_ok() checked that the
 * frame is a user frame).
 */
	.globl	cpu_user_return
cpu_user_return:
	movq	%rdi, %rsp
user_return:
	cli
	movq	%rsp, %rdi
	call	cpu_user_frame_ok		/* nonzero: SYSRET is exact */
	testl	%eax, %eax
	jz	iret_user
	RESTORE_REGS				/* %rcx, %r11 are replaced below */
	movq	TF_RIP(%rsp), %rcx
	movq	TF_RFLAGS(%rsp), %r11
	movq	TF_RSP(%rsp), %rsp		/* NMIs use their IST stack */
	swapgs
	sysretq
iret_user:
	RESTORE_REGS
	addq	$TF_RIP, %rsp
	swapgs
	iretq

/*
 * int cpu_probe(const volatile void *va, int write)
 * Touch one word at va (read, or read and write back when write != 0).
 * Returns 0, or -1 if the access faulted: trap() sees gd_onfault set and
 * resumes at the recovery label instead of panicking.  Used by tests that
 * prove guard pages are unmapped and read-only pages are read-only.  The
 * tests probe user pages of test pmaps too, so user access is open
 * (STAC) for the access; POPFQ restores AC.
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
	SMAP_STAC
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
