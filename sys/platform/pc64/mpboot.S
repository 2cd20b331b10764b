/*
 * mpboot.S - the application-processor trampoline.
 *
 * mp_machdep.c copies [mptramp_start, mptramp_end) to the physical page
 * MP_TRAMPOLINE_PA (below 1 MiB) and patches its parameter words, then
 * sends INIT-SIPI-SIPI with that page number.  The AP starts in real mode
 * at MP_TRAMPOLINE_PA and walks real -> protected -> long mode.  Every
 * step stores its number in mptramp_stage so the boot CPU can say where a
 * CPU that never came up got stuck.
 *
 * Paging needs an identity map of this page while the AP turns paging on,
 * but the kernel page tables have none.  So the AP first loads a separate
 * trampoline PML4 (mptramp_cr3): an identity map of the low 2 MiB plus
 * copies of the kernel's two PML4 entries, which never change after boot
 * (see pmap.c).  Once running at its kernel address it switches to the
 * kernel PML4 proper, so every CPU ends up on the same CR3.
 *
 * The code is assembled at its kernel address but runs from the copy, so
 * every absolute address below is computed as MP_TRAMPOLINE_PA plus an
 * offset inside the trampoline.
 */
#include <machine/asmdefs.h>

#define TRAMP(x) (MP_TRAMPOLINE_PA_ASM + ((x) - mptramp_start))

	.text
	.code16
	.balign	16
	.globl	mptramp_start
mptramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds			/* ds:offset = trampoline page */
	movl	$1, mptramp_stage - mptramp_start
	lgdtl	mptramp_gdt_desc - mptramp_start
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $TRAMP(mptramp_32)

	.code32
mptramp_32:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	$2, TRAMP(mptramp_stage)
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	TRAMP(mptramp_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	orl	TRAMP(mptramp_efer_nxe), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $TRAMP(mptramp_64)

	.code64
mptramp_64:
	movl	$3, TRAMP(mptramp_stage)
	movabsq	$ap_entry, %rax
	jmp	*%rax

	.balign	8
mptramp_gdt:
	.quad	0				/* null */
	.quad	0x00cf9a000000ffff		/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: data */
	.quad	0x00af9a000000ffff		/* 0x18: 64-bit code */
mptramp_gdt_end:
mptramp_gdt_desc:
	.short	mptramp_gdt_end - mptramp_gdt - 1
	.long	TRAMP(mptramp_gdt)
	.balign	8
	.globl	mptramp_stage, mptramp_cr3, mptramp_efer_nxe
mptramp_stage:	.long	0			/* progress, read by the BSP */
mptramp_cr3:	.long	0			/* trampoline PML4 (< 4 GiB) */
mptramp_efer_nxe: .long	0			/* EFER_NXE or 0 */
	.globl	mptramp_end
mptramp_end:

/*
 * ap_entry: at the kernel address, still on the trampoline PML4.  Switch
 * to the kernel PML4, point %gs at this CPU's globaldata, take its idle
 * stack and enter C.  The boot CPU filled mp_ap_* before the SIPI and
 * waits for this CPU before starting the next one, so one set suffices.
 */
	.globl	ap_entry
ap_entry:
	movq	mp_ap_cr3(%rip), %rax
	movq	%rax, %cr3
	movl	$4, mp_ap_stage(%rip)
	movl	$MSR_GSBASE_ASM, %ecx
	movq	mp_ap_gd(%rip), %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
	movq	mp_ap_stack(%rip), %rsp
	xorl	%ebp, %ebp
	call	ap_init
1:	cli
	hlt
	jmp	1b
