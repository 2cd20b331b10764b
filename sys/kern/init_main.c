/*
 * init_main.c - machine-independent startup, after the boot CPU has its
 * page tables, page allocator and per-CPU pages.
 *
 * Starts the other CPUs and LWKT, then turns the boot context (already on
 * CPU 0's privatespace idle stack) into CPU 0's idle thread.  A thread
 * "main" on CPU 0 runs the default workload: the selected in-kernel test
 * suites, stress scenarios and benchmarks (kernels with options KTEST),
 * then the per-CPU counter tables, then powers off with the result, which
 * QEMU turns into its exit status for the harness.
 */
#include <sys/bench.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/kconsole.h>
#include <sys/ktest.h>
#include <sys/lwkt_ipiq.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/pmap_stress.h>

void mi_startup(void) __noreturn;

/* The "main" thread: the default workload. */
static void
mi_main(void *arg)
{
	int failed = 0;

	(void)arg;
#ifdef KTEST
	failed += ktest_run_selected();
	pmap_stress_summary();          /* stress=: its table, after the KTAP */
	failed += bench_run_selected(); /* bench=: after the tests */
#else
	/* An empty plan, so the harness still gets its closing line. */
	kprintf("KTAP version 1\n# no in-kernel tests: this configuration "
	        "lacks options KTEST\n1..0\n0 passed, 0 failed\n");
	if (run_list != NULL) /* run=: the user programs, judged */
		failed += userboot_run();
#endif
	print_counters();
	failed += pmap_sanitizer_summary(); /* tlbsan=1: its counters */
	if (panic_test_requested()) /* panic.test=: does not come back */
		failed += panic_test_run();
#ifdef KTEST
	failed += kconsole_main(failed); /* console=interactive */
#endif
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
