/*
 * x86-64 descriptor formats: GDT code/data descriptors, the 16-byte TSS
 * descriptor, IDT gates and the TSS itself.  In long mode segmentation is
 * almost gone; what remains is the code segment's L bit, the TSS (which
 * only holds stack pointers: RSP0 and the seven IST stacks) and the gates.
 */
#ifndef _CPU_SEGMENTS_H_
#define _CPU_SEGMENTS_H_

#include <sys/types.h>

/*
 * GDT slots, identical on every CPU.  The order of slots 1-5 is fixed by
 * SYSCALL/SYSRET: SYSCALL loads CS from STAR[47:32] and SS = CS + 8 (the
 * kernel pair, 1 and 2); SYSRET to 64-bit mode loads CS = STAR[63:48] + 16
 * and SS = STAR[63:48] + 8, so with STAR[63:48] = slot 3 the user data
 * segment must be slot 4 and the user 64-bit code slot 5 (slot 3, the
 * 32-bit user code a compatibility-mode SYSRET would use, is never loaded).
 */
#define GNULL_SEL    0 /* null descriptor */
#define GCODE_SEL    1 /* kernel 64-bit code */
#define GDATA_SEL    2 /* kernel data */
#define GUCODE32_SEL 3 /* user 32-bit code: the SYSRET base, unused */
#define GUDATA_SEL   4 /* user data (and stack) */
#define GUCODE_SEL   5 /* user 64-bit code */
#define GTSS_SEL     6 /* TSS, two slots (6 and 7) */
#define NGDT         8 /* descriptors in a GDT */

#define SEL_UPL     3                      /* requested privilege: user */
#define GSEL(s)     ((uint16_t)((s) << 3)) /* selector, ring 0 */
#define KCODE_SEL   GSEL(GCODE_SEL)
#define KDATA_SEL   GSEL(GDATA_SEL)
#define KTSS_SEL    GSEL(GTSS_SEL)
#define UCODE32_SEL (GSEL(GUCODE32_SEL) | SEL_UPL)
#define UDATA_SEL   (GSEL(GUDATA_SEL) | SEL_UPL)
#define UCODE_SEL   (GSEL(GUCODE_SEL) | SEL_UPL)

/* IST slots used by the IDT. */
#define IST_DBLFAULT 1 /* #DF runs on its own stack */
#define IST_NMI      2 /* NMI runs on its own stack */

struct region_descriptor {
	uint16_t rd_limit; /* size - 1 */
	uint64_t rd_base;  /* linear address */
} __packed;

struct amd64tss {
	uint32_t tss_rsvd0;  /* reserved */
	uint64_t tss_rsp0;   /* stack for ring 3 -> 0 transitions */
	uint64_t tss_rsp1;   /* unused */
	uint64_t tss_rsp2;   /* unused */
	uint64_t tss_rsvd1;  /* reserved */
	uint64_t tss_ist[7]; /* IST1..IST7 stack tops */
	uint64_t tss_rsvd2;  /* reserved */
	uint16_t tss_rsvd3;  /* reserved */
	uint16_t tss_iobase; /* I/O bitmap offset (none: = sizeof) */
} __packed;

struct gate_descriptor {
	uint16_t gd_looffset;  /* handler bits 0-15 */
	uint16_t gd_selector;  /* code segment selector */
	uint16_t gd_ist : 3;   /* IST slot, 0 = current stack */
	uint16_t gd_xx : 5;    /* reserved */
	uint16_t gd_type : 5;  /* 14 = interrupt gate */
	uint16_t gd_dpl : 2;   /* privilege to invoke with int */
	uint16_t gd_p : 1;     /* present */
	uint16_t gd_midoffset; /* handler bits 16-31 */
	uint32_t gd_hioffset;  /* handler bits 32-63 */
	uint32_t gd_rsvd;      /* reserved */
} __packed;

#define SDT_SYSIGT 14 /* 64-bit interrupt gate */
#define SDT_SYSTSS 9  /* available 64-bit TSS */

#endif /* !_CPU_SEGMENTS_H_ */
