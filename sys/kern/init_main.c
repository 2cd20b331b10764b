/*
 * init_main.c - machine-independent startup, after the boot CPU has its
 * page tables, page allocator and per-CPU pages.
 *
 * Starts the other CPUs and LWKT, then turns the boot context (already on
 * CPU 0's privatespace idle stack) into CPU 0's idle thread.  A thread
 * "main" on CPU 0 runs the default workload: the selected in-kernel test suites, then the
 * per-CPU counter table, then powers off with the result, which QEMU turns
 * into its exit status for the harness.
 */
#include <sys/bench.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/kconsole.h>
#include <sys/ktest.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/pmap_stress.h>

void mi_startup(void) __noreturn;

/* The "main" thread: the default workload. */
static void
mi_main(void *arg)
{
	int failed;

	(void)arg;
	failed = ktest_run_selected();
	pmap_stress_summary();          /* stress=: its table, after the KTAP */
	failed += bench_run_selected(); /* bench=: after the tests */
	print_counters();
	failed += kconsole_main(failed); /* panic.test=, console=interactive */
	cpu_poweroff(failed == 0 ? EXIT_PASS : EXIT_FAIL);
}

void
mi_startup(void)
{
	bootopt_check_unknown();
	cpu_mp_start();
	lwkt_ipiq_bootopts();
	lwkt_init();
	pmap_mp_init();
	lwkt_create(mi_main, NULL, "main", 0, TDPRI_NORMAL);
	/* The boot context becomes CPU 0's idle thread. */
	lwkt_idle_loop();
}
