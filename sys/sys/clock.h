/*
 * The kernel time base: nanoseconds since boot from the calibrated TSC.
 * Benchmarks and timeouts use this and nothing else.
 */
#ifndef _SYS_CLOCK_H_
#define _SYS_CLOCK_H_

#include <sys/types.h>

uint64_t nanouptime(void);  /* ns since the TSC was calibrated */
void delay_us(uint64_t us); /* busy-wait */
extern uint64_t tsc_freq;   /* TSC ticks per second */

#define NS_PER_US 1000ul
#define NS_PER_MS 1000000ul
#define NS_PER_S  1000000000ul

#endif /* !_SYS_CLOCK_H_ */
