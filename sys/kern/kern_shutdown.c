/*
 * kern_shutdown.c - panic() and the end of a run.
 *
 * A panic must always reach the test harness: it prints the message and a
 * backtrace, stops the other CPUs (so their output does not bury the
 * message and they cannot keep changing state), hits the "panic" magic
 * breakpoint when enabled, and powers off with the failure status.  A
 * panic while panicking (a fault in the backtrace code, say) skips
 * straight to the power-off, so it can never loop.
 */
#include <sys/cons.h>
#include <sys/cpu.h>
#include <sys/debug.h>
#include <sys/globaldata.h>
#include <sys/systm.h>

static volatile int panic_cpu = -1; /* CPU that owns the panic */
static int panic_depth;		    /* nesting on that CPU */

void
panic(const char *fmt, ...)
{
	int me = mycpu->gd_cpuid;
	int expected = -1;
	va_list ap;

	__asm__ volatile("cli");
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, me, false,
		__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
	    expected != me) {
		/* Another CPU is panicking: wait to be stopped. */
		for (;;)
			__asm__ volatile("hlt");
	}
	if (++panic_depth > 1) {
		cons_break_lock();
		kprintf("\npanic: nested panic on cpu %d; powering off\n", me);
		cpu_poweroff(EXIT_FAIL);
	}
	cons_break_lock();
	kprintf("\npanic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\ncpu %d: ", me);
	cpu_backtrace();
	cpu_panic_stop_others();
	debug_break("panic");
	cpu_poweroff(EXIT_FAIL);
}
