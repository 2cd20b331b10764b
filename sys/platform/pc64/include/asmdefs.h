/*
 * Constants shared by assembly and C.  Only plain #defines here: this
 * header is included by .S files (with ASM_FILE defined).
 */
#ifndef _MACHINE_ASMDEFS_H_
#define _MACHINE_ASMDEFS_H_

#define MB2_HEADER_MAGIC     0xe85250d6 /* in our multiboot2 header */
#define MB2_BOOTLOADER_MAGIC 0x36d76289 /* in EAX from the loader */

#ifdef __ASSEMBLY__ /* C code gets these from <cpu/...> */
#define PG_V  0x001
#define PG_RW 0x002
#define PG_PS 0x080

#define CR0_PE               0x00000001
#define CR0_WP               0x00010000
#define CR0_PG               0x80000000
#define CR4_PAE              0x00000020
#define MSR_EFER             0xc0000080
#define EFER_LME             0x00000100
#define EFER_NXE             0x00000800
#define MSR_GSBASE_ASM       0xc0000101
#define MP_TRAMPOLINE_PA_ASM 0x8000 /* = MP_TRAMPOLINE_PA */
#endif

/* SYSCALL entry: the trap number recorded in its trap frame. */
#define T_SYSCALL 0x100

#define BOOT_STACK_SIZE 16384 /* boot CPU stack until its idle stack */

/* Values written to QEMU's isa-debug-exit port 0xf4. */
#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_PASS 0x10 /* QEMU exits with status 33 */
#define QEMU_EXIT_FAIL 0x11 /* QEMU exits with status 35 */

#endif /* !_MACHINE_ASMDEFS_H_ */
