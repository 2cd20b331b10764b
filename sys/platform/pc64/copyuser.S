/*
 * copyuser.S - the only code that touches user memory: the copy loops
 * behind copyin(), copyout() and copyinstr() (cpu_user.c checks the
 * address range first).
 *
 * Each loop arms gd_onfault (%gs:GD_ONFAULT) with its recovery label
 * and opens user access with STAC (when SMAP is on) for exactly the copy,
 * then closes it with CLAC.  A page fault on a user address inside the loop
 * first goes to vm_fault() (trap.c: demand paging works through a copy);
 * if that cannot resolve it, trap() resumes at the recovery label, which
 * returns EFAULT.  Nothing is pushed between arming and the copy, so the
 * recovery label runs on the same stack as the loop and can just return.
 * gd_onfault is saved and restored with the thread across a context
 * switch (cpu_user.c: cpu_switch_md), so a preemption inside a copy
 * cannot leave it armed for another thread.
 */
#include "assym.h"
#include <machine/asmdefs.h>
#include <machine/smap_asm.h>

#define EFAULT_ASM       14
#define ENAMETOOLONG_ASM 36

/* Arm gd_onfault with the recovery label, then open user access. */
	.macro	USER_BEGIN recover
	leaq	\recover(%rip), %rax
	movq	%rax, %gs:GD_ONFAULT
	SMAP_STAC
	.endm

/* Close user access, then disarm gd_onfault. */
	.macro	USER_END
	SMAP_CLAC
	movq	$0, %gs:GD_ONFAULT
	.endm

/* A recovery label's body: close, disarm, return EFAULT. */
	.macro	USER_EFAULT
	USER_END
	movl	$EFAULT_ASM, %eax
	ret
	.endm

	.text
	.globl	support_user_start
support_user_start:
/* int cpu_copy_user(void *dst, const void *src, size_t len): 0 or EFAULT */
	.globl	cpu_copy_user
	.type	cpu_copy_user, @function
cpu_copy_user:
	USER_BEGIN 1f
	movq	%rdx, %rcx
	shrq	$3, %rcx		/* 8 bytes at a time: see support.c */
	rep movsq
	movq	%rdx, %rcx
	andq	$7, %rcx		/* then the last len % 8 bytes */
	rep movsb
	USER_END
	xorl	%eax, %eax
	ret
1:	USER_EFAULT
	.size	cpu_copy_user, . - cpu_copy_user

/*
 * int cpu_copy_user_str(char *dst, const char *src, size_t max,
 *                       size_t *done)
 * Copy up to max bytes, stopping after the NUL: 0 (and *done = bytes
 * including the NUL), ENAMETOOLONG when max bytes held no NUL, EFAULT.
 */
	.globl	cpu_copy_user_str
	.type	cpu_copy_user_str, @function
cpu_copy_user_str:
	USER_BEGIN 3f
	xorl	%r8d, %r8d
1:	cmpq	%rdx, %r8
	je	2f
	movb	(%rsi,%r8), %al
	movb	%al, (%rdi,%r8)
	incq	%r8
	testb	%al, %al
	jnz	1b
	USER_END
	movq	%r8, (%rcx)
	xorl	%eax, %eax
	ret
2:	USER_END
	movq	%r8, (%rcx)
	movl	$ENAMETOOLONG_ASM, %eax
	ret
3:	USER_EFAULT
	.size	cpu_copy_user_str, . - cpu_copy_user_str

/*
 * int cpu_user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new,
 *                        uint32_t *seen): one locked compare-exchange on
 * a user word (futex).  0 and *seen = the value found, or EFAULT.
 */
	.globl	cpu_user_cmpxchg32
	.type	cpu_user_cmpxchg32, @function
cpu_user_cmpxchg32:
	USER_BEGIN 1f
	movl	%esi, %eax
	lock cmpxchgl %edx, (%rdi)
	USER_END
	movl	%eax, (%rcx)
	xorl	%eax, %eax
	ret
1:	USER_EFAULT
	.size	cpu_user_cmpxchg32, . - cpu_user_cmpxchg32

/* trap.c retries demand-paging faults only in the code above this label. */
	.globl	support_user_end
support_user_end:

/*
 * int cpu_kernel_touch_user(const volatile void *va, int exec)
 * The SMAP/SMEP test's probe: read (exec = 0) or call (exec = 1) a user
 * address from ring 0 WITHOUT opening user access, under gd_onfault with
 * interrupts off.  Returns 0 if it worked, -1 if it faulted (which is
 * what SMAP and SMEP must make it do).  The called code must be a "ret".
 */
	.globl	cpu_kernel_touch_user
	.type	cpu_kernel_touch_user, @function
cpu_kernel_touch_user:
	pushfq
	cli
	pushq	%rbx
	movq	%rsp, %rbx
	leaq	1f(%rip), %rax
	movq	%rax, %gs:GD_ONFAULT
	testl	%esi, %esi
	jnz	2f
	movq	(%rdi), %rax
	jmp	3f
2:	call	*%rdi
3:	movq	$0, %gs:GD_ONFAULT
	popq	%rbx
	popfq
	xorl	%eax, %eax
	ret
1:	movq	%rbx, %rsp			/* a faulting call left its return address */
	movq	$0, %gs:GD_ONFAULT
	popq	%rbx
	popfq
	movl	$-1, %eax
	ret
	.size	cpu_kernel_touch_user, . - cpu_kernel_touch_user
