/*
 * Interrupt vector assignments and the handler table.  Vectors 0-31 are
 * CPU exceptions; the kernel's own interrupt vectors sit high so their
 * APIC priority class is above any device's.
 */
#ifndef _MACHINE_INTR_H_
#define _MACHINE_INTR_H_

#include <cpu/frame.h>

#define IDT_NEXCEPTIONS       32
#define IPI_VECTOR_IPIQ       0xf0 /* LWKT IPI queue: drain incoming FIFOs */
#define IPI_VECTOR_STOP       0xf1 /* panic: stop this CPU */
#define IPI_VECTOR_TEST       0xf2 /* tests and benchmarks */
#define IPI_VECTOR_WAKE       0xf3 /* bring-up: wake APs halted for the BSP */
#define IPI_VECTOR_INVAL      0xf4 /* pmap.inval=sync: TLB shootdown */
#define LAPIC_TIMER_VECTOR    0xef /* local APIC timer */
#define LAPIC_ERROR_VECTOR    0xfe /* local APIC error */
#define LAPIC_SPURIOUS_VECTOR 0xff /* spurious: low 4 bits must be 1s */

typedef void (*intr_handler_t)(struct trapframe *tf);

void intr_register(int vec, intr_handler_t fn);
struct cpumask;
/* A fixed IPI with vector to every CPU in mask but this one. */
void cpu_send_vector_mask(const struct cpumask *mask, int vector);
extern bool trap_gs_ready; /* %gs points at a globaldata */

#endif /* !_MACHINE_INTR_H_ */
