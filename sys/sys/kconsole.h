/*
 * The in-kernel debug console (sys/kern/kern_console.c) and the other
 * debugging hooks of the "main" thread.
 *
 * With console=interactive on the command line, kconsole_main() offers a
 * small debugger-style shell ("db> ") on the serial console once the
 * default workload is done: it reads COM1 by polling (cons_getc), so it
 * needs no interrupt and works on any machine the kernel boots on.
 */
#ifndef _SYS_KCONSOLE_H_
#define _SYS_KCONSOLE_H_

#include <sys/types.h>

/*
 * Called by mi_main() after the workload, with its failure count (only in
 * kernels with options KTEST).  Runs the console when asked; returns the
 * failures it adds (0 when it was not asked for).  The console's
 * poweroff command ends the run with the workload's result.
 */
int kconsole_main(int failed);
/* panic.test=ipi|nmi: panic on purpose (kern_shutdown.c); 1 if it could
 * not, it never returns otherwise. */
bool panic_test_requested(void); /* panic.test= was given */
int panic_test_run(void);

#endif /* !_SYS_KCONSOLE_H_ */
