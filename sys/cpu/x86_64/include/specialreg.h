/*
 * x86-64 architectural constants: control-register bits, EFER, MSR
 * numbers and CPUID feature bits that this kernel uses.  Names follow the
 * Intel SDM, volume 3, chapters 2 and 4.
 */
#ifndef _CPU_SPECIALREG_H_
#define _CPU_SPECIALREG_H_

/* CR0 */
#define CR0_PE 0x00000001u /* protected mode */
#define CR0_MP 0x00000002u /* monitor coprocessor */
#define CR0_ET 0x00000010u /* extension type (always 1) */
#define CR0_NE 0x00000020u /* native x87 error reporting */
#define CR0_WP 0x00010000u /* supervisor writes honour R/W=0 */
#define CR0_PG 0x80000000u /* paging */

/* CR4 */
#define CR4_PSE        0x00000010u /* 4 MiB pages in 32-bit paging */
#define CR4_PAE        0x00000020u /* physical address extension */
#define CR4_PGE        0x00000080u /* global pages */
#define CR4_OSFXSR     0x00000200u /* fxsave/fxrstor */
#define CR4_OSXMMEXCPT 0x00000400u /* SIMD FP exceptions */
#define CR4_FSGSBASE   0x00010000u /* rdfsbase & co. */
#define CR4_PCIDE      0x00020000u /* process-context identifiers */
#define CR4_SMEP       0x00100000u /* no supervisor fetch from user pages */
#define CR4_SMAP       0x00200000u /* no supervisor access to user pages */

/* MSRs */
#define MSR_APICBASE    0x0000001b /* local APIC base and enables */
#define MSR_EFER        0xc0000080 /* extended features */
#define MSR_FSBASE      0xc0000100 /* %fs base */
#define MSR_GSBASE      0xc0000101 /* %gs base: our globaldata */
#define MSR_KGSBASE     0xc0000102 /* swapgs shadow */
#define MSR_X2APIC_BASE 0x00000800 /* x2APIC registers start here */

#define EFER_SCE 0x00000001u /* syscall */
#define EFER_LME 0x00000100u /* long mode enable */
#define EFER_LMA 0x00000400u /* long mode active */
#define EFER_NXE 0x00000800u /* no-execute bit in PTEs */

#define APICBASE_BSP    0x00000100u /* this CPU is the bootstrap CPU */
#define APICBASE_X2APIC 0x00000400u /* x2APIC mode */
#define APICBASE_ENABLE 0x00000800u /* APIC globally enabled */

/* CPUID leaf 1 */
#define CPUID1_ECX_X2APIC 0x00200000u /* x2APIC supported */
#define CPUID1_ECX_HYPERV 0x80000000u /* running under a hypervisor */
#define CPUID1_EDX_TSC    0x00000010u /* time-stamp counter */
#define CPUID1_EDX_APIC   0x00000200u /* on-chip local APIC */
#define CPUID1_EDX_PGE    0x00002000u /* global pages */
/* CPUID leaf 0x80000001 */
#define CPUIDX_EDX_NX   0x00100000u /* no-execute */
#define CPUIDX_EDX_PG1G 0x04000000u /* 1 GiB pages */
#define CPUIDX_EDX_LM   0x20000000u /* long mode */
/* CPUID leaf 0x80000007 */
#define CPUIDX7_EDX_INVTSC 0x00000100u /* invariant TSC */

/* RFLAGS */
#define PSL_C  0x00000001u /* carry */
#define PSL_I  0x00000200u /* interrupts enabled */
#define PSL_D  0x00000400u /* direction */
#define PSL_AC 0x00040000u /* alignment check */

#endif /* !_CPU_SPECIALREG_H_ */
