/*
 * kern_shutdown.c - panic() and the end of a run.
 *
 * A panic must always reach the test harness: it prints the message and a
 * backtrace, stops the other CPUs (so their output does not bury the
 * message and they cannot keep changing state), hits the "panic" magic
 * breakpoint when enabled, and powers off with the failure status.  A
 * panic while panicking (a fault in the backtrace code, say) skips
 * straight to the power-off, so it can never loop.
 *
 * Stopping the others is cpu_panic_stop_others() (mp_machdep.c): a stop
 * IPI, an NMI for CPUs that do not take it within 100 ms, then a report
 * of every CPU (how it stopped, its thread, a backtrace).  Every wait
 * there is bounded, so the power-off always comes.
 *
 * panic.test=ipi|nmi panics on purpose to test exactly that: a thread on
 * CPU 1 panics; with nmi a thread on CPU 2 first spins with interrupts
 * off, so CPU 2 can only be stopped by the NMI.  The main thread waits
 * for the panic with a timeout, so a panic that never comes is a
 * reported failure, not a hang.
 */
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cons.h>
#include <sys/cpu.h>
#include <sys/debug.h>
#include <sys/globaldata.h>
#include <sys/kconsole.h>
#include <sys/systm.h>
#include <sys/thread.h>

static BOOTOPT_STR(
    panic_test, "panic.test",
    "ipi|nmi: panic on purpose on cpu 1 (nmi: cpu 2 spins, interrupts off)");

#define PANIC_TEST_WAIT_MS 10000 /* the panic must come before this */

static volatile int panic_cpu = -1; /* CPU that owns the panic */
static int panic_depth;             /* nesting on that CPU */

void
panic(const char *fmt, ...)
{
	int me = mycpu->gd_cpuid;
	int expected = -1;
	va_list ap;

	(void)cpu_intr_disable();
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, me, false,
	                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
	    expected != me) {
		/* Another CPU is panicking: wait to be stopped. */
		cpu_halt_forever();
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

static volatile int panic_test_spinning; /* cpu 2 has interrupts off */

/* panic.test=nmi, on cpu 2: ignore every interrupt from now on. */
static void
panic_test_spin(void *arg)
{
	(void)arg;
	cpu_intr_disable();
	__atomic_store_n(&panic_test_spinning, 1, __ATOMIC_RELEASE);
	for (;;)
		cpu_pause_hint();
}

/* On cpu 1: (nmi: once cpu 2 spins) panic. */
static void
panic_test_thread(void *arg)
{
	const char *mode = arg;
	uint64_t deadline = nanouptime() + PANIC_TEST_WAIT_MS / 2 * NS_PER_MS;

	if (strcmp(mode, "nmi") == 0)
		while (
		    !__atomic_load_n(&panic_test_spinning, __ATOMIC_ACQUIRE) &&
		    nanouptime() < deadline)
			cpu_pause_hint();
	panic("panic.test=%s: panicking on purpose on cpu %d", mode,
	      mycpu->gd_cpuid);
}

bool
panic_test_requested(void)
{
	return panic_test != NULL;
}

int
panic_test_run(void)
{
	static int never; /* nothing wakes it: tsleep is the timeout */
	const char *mode = panic_test;
	bool nmi;

	if (mode == NULL)
		return 0;
	nmi = strcmp(mode, "nmi") == 0;
	if (!nmi && strcmp(mode, "ipi") != 0) {
		kprintf("panic.test: error: want ipi or nmi, not '%s'\n", mode);
		return 1;
	}
	if (ncpus < (nmi ? 3 : 2)) {
		kprintf("panic.test: error: panic.test=%s needs %d CPUs, "
		        "have %d\n",
		        mode, nmi ? 3 : 2, ncpus);
		return 1;
	}
	kprintf("panic.test: cpu 1 will panic%s\n",
	        nmi ? " while cpu 2 spins with interrupts off" : "");
	if (nmi)
		lwkt_create(panic_test_spin, NULL, "panic.spin", 2,
		            TDPRI_NORMAL);
	lwkt_create(panic_test_thread, (void *)(uintptr_t)mode, "panic.test", 1,
	            TDPRI_NORMAL);
	tsleep(&never, 0, "panict", PANIC_TEST_WAIT_MS);
	kprintf("panic.test: error: no panic within %d ms\n",
	        PANIC_TEST_WAIT_MS);
	return 1;
}
