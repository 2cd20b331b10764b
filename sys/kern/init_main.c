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
#include <sys/ktest.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>

void mi_startup(void) __noreturn;

BOOTOPT_DECLARE(console_opt, "console", "interactive: serial debug shell");

/*
 * The per-CPU counters as one table, read from each CPU's globaldata
 * through its per-CPU window: IPIs are hardware interrupts sent and
 * taken, msgs are IPI-queue messages, "avoided" counts messages that
 * needed no IPI because the target was already draining, "full" counts
 * sends that found the FIFO full (backpressure).
 */
static void
print_counters(void)
{
	int cpu;

	kprintf("per-CPU counters:\n");
	kprintf("  %4s %9s %9s %9s %9s %8s %6s %9s %8s %7s %6s\n", "cpu",
	    "ipi-sent", "ipi-recv", "msgs-sent", "msgs-recv", "avoided",
	    "full", "invlpg", "invltlb", "cmap", "traps");
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct pcpu_counters *c = &globaldata_find(cpu)->gd_cnt;

		kprintf("  %4d %9lu %9lu %9lu %9lu %8lu %6lu %9lu %8lu %7lu "
			"%6lu\n",
		    cpu, c->pc_ipi_sent, c->pc_ipi_recv, c->pc_ipiq_sent,
		    c->pc_ipiq_recv, c->pc_ipi_avoided, c->pc_ipiq_full,
		    c->pc_invlpg, c->pc_invltlb, c->pc_cmap_use, c->pc_traps);
	}
	/*
	 * TLB shootdowns: flushes started here, invalidation messages sent
	 * and received, acknowledgements, targets skipped because they were
	 * halted (deferred) and the full flushes they did on wakeup, and
	 * the time initiators spent waiting for acknowledgements.
	 */
	kprintf("  %4s %9s %9s %9s %9s %9s %9s %10s\n", "cpu", "shootdown",
	    "inv-sent", "inv-recv", "inv-acks", "deferred", "idle-fl",
	    "wait-us");
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct pcpu_counters *c = &globaldata_find(cpu)->gd_cnt;

		kprintf("  %4d %9lu %9lu %9lu %9lu %9lu %9lu %10lu\n", cpu,
		    c->pc_shootdowns, c->pc_inval_sent, c->pc_inval_recv,
		    c->pc_inval_acks, c->pc_inval_deferred,
		    c->pc_inval_idle_flush, c->pc_inval_wait_ns / NS_PER_US);
	}
}

/* The "main" thread: the default workload. */
static void
mi_main(void *arg)
{
	int failed;

	(void)arg;
	failed = ktest_run_selected();
	failed += bench_run_selected(); /* bench=: after the tests */
	print_counters();
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
