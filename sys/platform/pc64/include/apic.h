/*
 * Local APIC access, in xAPIC (MMIO) or x2APIC (MSR) mode.
 */
#ifndef _MACHINE_APIC_H_
#define _MACHINE_APIC_H_

#include <sys/types.h>

/* Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define LAPIC_ID        0x020 /* local APIC ID */
#define LAPIC_VER       0x030 /* version */
#define LAPIC_TPR       0x080 /* task priority */
#define LAPIC_EOI       0x0b0 /* end of interrupt */
#define LAPIC_SVR       0x0f0 /* spurious vector, software enable */
#define LAPIC_ESR       0x280 /* error status */
#define LAPIC_ICR_LO    0x300 /* interrupt command (low / x2APIC: all) */
#define LAPIC_ICR_HI    0x310 /* interrupt command destination (xAPIC) */
#define LAPIC_LVT_TIMER 0x320 /* timer LVT */
#define LAPIC_LVT_LINT0 0x350 /* LINT0 LVT */
#define LAPIC_LVT_LINT1 0x360 /* LINT1 LVT */
#define LAPIC_LVT_ERROR 0x370 /* error LVT */
#define LAPIC_TIMER_ICR 0x380 /* timer initial count */
#define LAPIC_TIMER_CCR 0x390 /* timer current count */
#define LAPIC_TIMER_DCR 0x3e0 /* timer divide configuration */

#define APIC_SVR_ENABLE      0x100   /* software enable */
#define APIC_LVT_MASKED      0x10000 /* LVT entry masked */
#define APIC_LVT_PERIODIC    0x20000 /* timer: periodic */
#define APIC_DELMODE_FIXED   0x000   /* ICR delivery modes */
#define APIC_DELMODE_NMI     0x400   /* */
#define APIC_DELMODE_INIT    0x500   /* */
#define APIC_DELMODE_STARTUP 0x600   /* */
#define APIC_DELSTAT_PEND    0x1000  /* xAPIC: ICR send pending */
#define APIC_LEVEL_ASSERT    0x4000  /* */
#define APIC_TRIGMOD_LEVEL   0x8000  /* */
#define APIC_DEST_SELF       0x40000 /* shorthand: self */
#define APIC_DEST_ALLISELF   0x80000 /* shorthand: all including self */
#define APIC_DEST_ALLESELF   0xc0000 /* shorthand: all excluding self */

extern bool lapic_x2apic;       /* x2APIC mode in use */
extern uint32_t lapic_timer_hz; /* timer interrupts per second */

void lapic_setup_bsp(vm_paddr_t lapic_pa); /* choose mode, map MMIO */
void lapic_init(void);                     /* per CPU: enable, vectors, timer */
uint32_t lapic_id(void);                   /* this CPU's APIC ID */
void lapic_eoi(void);
/* Send an IPI; dest is an APIC ID (ignored with a shorthand). */
void lapic_ipi_raw(uint32_t dest, uint32_t icrlo);
void lapic_ipi(uint32_t apicid, int vector);
void lapic_ipi_nmi(uint32_t apicid);
void lapic_ipi_all_but_self(int vector);
bool lapic_ipi_wait(void);             /* xAPIC: wait for ICR idle, bounded */
void lapic_timer_calibrate(void);      /* on the BSP, against the TSC */
void lapic_timer_start(void);          /* per CPU, once all are online */
extern void (*lapic_timer_hook)(void); /* called on each timer tick */

#endif /* !_MACHINE_APIC_H_ */
