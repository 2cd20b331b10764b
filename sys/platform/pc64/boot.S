/*
 * boot.S - from GRUB's multiboot2 hand-off to C in long mode.
 *
 * GRUB enters start32 in 32-bit protected mode with paging off, EAX =
 * the multiboot2 magic and EBX = the physical address of the boot
 * information.  This file lives at its physical address (the .boot
 * sections are linked at VMA == LMA, below the -2 GiB kernel), so it can
 * run before paging is on.  Steps, one per block below:
 *
 *   1. check that we were loaded by multiboot2 and that the CPU has long
 *      mode; if not, say so on the serial port and stop (never a silent
 *      hang: the isa-debug-exit write ends a QEMU test run with failure);
 *   2. build temporary page tables: an identity map of the first 4 GiB
 *      (this code, and the boot information wherever GRUB put it) and the
 *      first 1 GiB again at -2 GiB (the kernel);
 *   3. enable PAE, long mode (and NX when the CPU has it), then paging;
 *   4. far-jump into 64-bit code, then jump to the kernel's high address
 *      and call hammer_time(mbi_pa, has_nx), which never returns.
 *
 * The identity map is dropped by pmap_bootstrap() once the kernel runs on
 * its own page tables, so nothing may keep a pointer into it.
 */
#define ASM_FILE
#include <machine/asmdefs.h>
#include <machine/param.h>

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	0				/* architecture: i386 */
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	/* Information request: command line, modules, memory map, ACPI. */
	.balign 8
	.short	1, 1				/* type 1, optional */
	.long	8 + 5 * 4
	.long	1, 3, 6, 14, 15
	.balign 8
	.short	0, 0				/* end tag */
	.long	8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl	start32
start32:
	cli
	cld
	movl	$boot_stack32_top, %esp
	movl	%eax, boot_magic
	movl	%ebx, boot_mbi
	call	serial_init32

	/* 1. Loaded by multiboot2, and long mode available? */
	cmpl	$MB2_BOOTLOADER_MAGIC, boot_magic
	jne	bad_magic
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx		/* CPUID.80000001H:EDX.LM */
	jz	no_long_mode
	andl	$(1 << 20), %edx		/* CPUID.80000001H:EDX.NX */
	movl	%edx, boot_has_nx

	/* 2. Temporary page tables (all zero-filled in .boot.data). */
	movl	$boot_pdpt_lo, %eax
	orl	$(PG_V | PG_RW), %eax
	movl	%eax, boot_pml4			/* slot 0: identity */
	movl	$boot_pdpt_hi, %eax
	orl	$(PG_V | PG_RW), %eax
	movl	%eax, boot_pml4 + 511 * 8	/* slot 511: kernel */
	/* PDP entries: 4 x 1 GiB identity, and 1 GiB at -2 GiB. */
	movl	$boot_pd, %eax
	orl	$(PG_V | PG_RW), %eax
	xorl	%ecx, %ecx
1:	movl	%eax, boot_pdpt_lo(, %ecx, 8)
	addl	$PAGE_SIZE, %eax
	incl	%ecx
	cmpl	$4, %ecx
	jb	1b
	movl	$boot_pd, %eax
	orl	$(PG_V | PG_RW), %eax
	movl	%eax, boot_pdpt_hi + 510 * 8
	/* 2048 PD entries of 2 MiB: physical 0 .. 4 GiB. */
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$(PG_V | PG_RW | PG_PS), %eax
	movl	%eax, boot_pd(, %ecx, 8)
	movl	%ecx, %eax
	shrl	$11, %eax			/* bits 32+ of i << 21 */
	movl	%eax, boot_pd + 4(, %ecx, 8)
	incl	%ecx
	cmpl	$2048, %ecx
	jb	1b

	/* 3. PAE, then long mode (+NX), then paging. */
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	cmpl	$0, boot_has_nx
	je	1f
	orl	$EFER_NXE, %eax
1:	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP | CR0_PE), %eax
	movl	%eax, %cr0

	/* 4. Into 64-bit code. */
	lgdt	boot_gdt_desc
	ljmp	$0x08, $start64_low

no_long_mode:
	movl	$msg_no_lm, %esi
	jmp	fatal32
bad_magic:
	movl	$msg_bad_magic, %esi
fatal32:
	call	puts32
	movw	$0xf4, %dx			/* QEMU isa-debug-exit: status 35 */
	movb	$0x11, %al
	outb	%al, %dx
1:	cli
	hlt
	jmp	1b

/* COM1: 115200 8N1, FIFOs on; same settings as the C console. */
serial_init32:
	movw	$0x3f9, %dx
	xorb	%al, %al
	outb	%al, %dx			/* no interrupts */
	movw	$0x3fb, %dx
	movb	$0x80, %al
	outb	%al, %dx			/* DLAB */
	movw	$0x3f8, %dx
	movb	$1, %al
	outb	%al, %dx			/* divisor 1: 115200 */
	movw	$0x3f9, %dx
	xorb	%al, %al
	outb	%al, %dx
	movw	$0x3fb, %dx
	movb	$3, %al
	outb	%al, %dx			/* 8N1 */
	movw	$0x3fa, %dx
	movb	$0xc7, %al
	outb	%al, %dx			/* FIFO on, cleared */
	ret

/* Print the NUL-terminated string at %esi on COM1 and port 0xe9. */
puts32:
1:	lodsb
	testb	%al, %al
	jz	3f
	movb	%al, %ah
	movw	$0x3fd, %dx
2:	inb	%dx, %al
	testb	$0x20, %al			/* transmitter holding empty */
	jz	2b
	movb	%ah, %al
	movw	$0x3f8, %dx
	outb	%al, %dx
	movw	$0xe9, %dx
	outb	%al, %dx
	jmp	1b
3:	movw	$0x3fd, %dx
4:	inb	%dx, %al
	testb	$0x40, %al			/* transmitter empty: drained */
	jz	4b
	ret

	.code64
start64_low:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movabsq	$start64, %rax
	jmp	*%rax

	.section .boot.data, "aw"
	.balign PAGE_SIZE
boot_pml4:	.fill	512, 8, 0
boot_pdpt_lo:	.fill	512, 8, 0
boot_pdpt_hi:	.fill	512, 8, 0
boot_pd:	.fill	2048, 8, 0
boot_stack32:	.fill	1024, 1, 0
boot_stack32_top:
	.balign 8
boot_gdt:
	.quad	0				/* null */
	.quad	0x00af9a000000ffff		/* 64-bit code */
	.quad	0x00cf92000000ffff		/* data */
boot_gdt_end:
boot_gdt_desc:
	.short	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt
boot_magic:	.long 0
boot_mbi:	.long 0
boot_has_nx:	.long 0
msg_no_lm:
	.asciz	"\r\nboot: this CPU does not support long mode (x86-64); this kernel needs a 64-bit CPU. Halting.\r\n"
msg_bad_magic:
	.asciz	"\r\nboot: not started by a multiboot2 boot loader (bad magic in EAX). Halting.\r\n"

/*
 * Now at the kernel's linked address.  Switch to the boot stack in .bss
 * and call C.  hammer_time() sets up the real page tables and never
 * returns.
 */
	.text
	.globl	start64
start64:
	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp			/* terminates backtraces */
	movl	boot_mbi, %edi			/* arg 1: multiboot info PA */
	movl	boot_has_nx, %esi		/* arg 2: CPU has NX */
	call	hammer_time
1:	cli
	hlt
	jmp	1b

	.bss
	.balign PAGE_SIZE
	.globl	boot_stack
boot_stack:
	.fill	BOOT_STACK_SIZE, 1, 0
boot_stack_top:
