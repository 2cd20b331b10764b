/*
 * Console output interface between the machine-independent printf code
 * (sys/kern/subr_prf.c) and the machine-dependent console driver.
 *
 * kprintf() formats into a local buffer and hands whole chunks to
 * cons_puts(), so the only place that needs the console lock is the
 * machine-dependent writer below.  On the host, test/host/host_support.c
 * provides a cons_puts() that writes to stdout.
 */
#ifndef _SYS_CONS_H_
#define _SYS_CONS_H_

#include <sys/types.h>

/*
 * Write len bytes from s to the console devices.  The machine-dependent
 * console writes the bytes atomically with respect to other CPUs'
 * cons_puts() calls -- it takes the console lock around the whole write --
 * so lines formatted by kprintf() on different CPUs never interleave.
 */
void cons_puts(const char *s, size_t len);

/* Start taking the console lock: other CPUs may print from now on. */
void cons_set_smp(bool on);
/* Panic: never wait for the lock again (its holder may be dead). */
void cons_break_lock(void);
/* Read one byte from the console, or -1 when none is waiting. */
int cons_getc(void);

#endif /* !_SYS_CONS_H_ */
