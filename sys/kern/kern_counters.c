/*
 * kern_counters.c - the per-CPU event counter tables printed at the end
 * of every run (and by the console's "counters" command).
 *
 * Each CPU bumps its own struct pcpu_counters (in its globaldata) with
 * plain 64-bit stores; this reads every CPU's through globaldata_find(),
 * so a value may be a moment old but is never torn.
 */
#include <sys/globaldata.h>

#include <sys/clock.h>
#include <sys/systm.h>

/*
 * The per-CPU counters as one table, read from each CPU's globaldata
 * through its per-CPU window: IPIs are hardware interrupts sent and
 * taken, msgs are IPI-queue messages, "avoided" counts messages that
 * needed no IPI because the target was already draining, "full" counts
 * sends that found the FIFO full (backpressure), "spur" counts page
 * faults retried because the page tables permitted the access (trap.c).
 */
void
print_counters(void)
{
	int cpu;

	kprintf("per-CPU counters:\n");
	kprintf("  %4s %9s %9s %9s %9s %8s %6s %9s %8s %7s %6s %5s\n", "cpu",
	        "ipi-sent", "ipi-recv", "msgs-sent", "msgs-recv", "avoided",
	        "full", "invlpg", "invltlb", "cmap", "traps", "spur");
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct pcpu_counters *c = &globaldata_find(cpu)->gd_cnt;

		kprintf("  %4d %9lu %9lu %9lu %9lu %8lu %6lu %9lu %8lu %7lu "
		        "%6lu %5lu\n",
		        cpu, c->pc_ipi_sent, c->pc_ipi_recv, c->pc_ipiq_sent,
		        c->pc_ipiq_recv, c->pc_ipi_avoided, c->pc_ipiq_full,
		        c->pc_invlpg, c->pc_invltlb, c->pc_cmap_use,
		        c->pc_traps, c->pc_spurious_faults);
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
		        c->pc_inval_idle_flush,
		        c->pc_inval_wait_ns / NS_PER_US);
	}
	/*
	 * Who served the invalidations received (pmap.inval=thread: the
	 * per-CPU thread or a waiter's poll; sync: the vector; ipiq: the
	 * queue drain, the rest of inv-recv), and the spin-lock waits: how
	 * many spin_lock calls found the lock held and how long they spun.
	 */
	kprintf("  %4s %9s %9s %9s %11s %12s\n", "cpu", "inv-thrd", "inv-poll",
	        "inv-vec", "spin-waits", "spin-wait-us");
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct pcpu_counters *c = &globaldata_find(cpu)->gd_cnt;

		kprintf("  %4d %9lu %9lu %9lu %11lu %12lu\n", cpu,
		        c->pc_inval_thread, c->pc_inval_polled,
		        c->pc_inval_vector, c->pc_spin_contested,
		        c->pc_spin_wait_ns / NS_PER_US);
	}
}
