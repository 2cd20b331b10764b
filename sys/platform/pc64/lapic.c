/*
 * lapic.c - the local APIC: enable, IPIs, EOI, and the per-CPU timer.
 *
 * Two access modes with one interface: xAPIC through an uncached MMIO
 * mapping in KVA, and x2APIC through MSRs (chosen when CPUID reports it,
 * unless apic=xapic is on the command line).  In xAPIC mode an IPI is two
 * register writes (destination, then command) and the CPU must not be
 * interrupted between them by code that sends another IPI, so IPIs are
 * sent with interrupts disabled.  x2APIC sends with one MSR write.
 *
 * Ordering of an IPI after the stores it announces.  The IPI-queue
 * protocol (sys/kern/lwkt_ipiq.c) needs the FIFO entry and the target's
 * gd_ipimask bit to be globally visible before the target can take the
 * IPI, or the target drains an empty mask, and coalescing then holds
 * back the IPIs of later messages.  In xAPIC mode the ICR is uncached
 * MMIO: the write is a store, and x86 keeps stores in order.  In x2APIC
 * mode the ICR is an MSR, and the SDM (vol. 3A, "x2APIC register
 * access": WRMSR to the x2APIC MSRs is not serializing) asks for
 * MFENCE; LFENCE before it: MFENCE waits until every earlier store is
 * globally visible, LFENCE keeps the WRMSR from executing before the
 * MFENCE has completed.  lapic_ipi_raw() does that before every x2APIC
 * ICR write.  No emulator here can show the reordering (TCG has no
 * x2APIC, Bochs executes in order), so this rests on the SDM's rule;
 * the tick's safety drain (lapic_timer_intr) bounds what any lost
 * wakeup can cost to one tick.
 *
 * Each CPU's timer runs periodically at lapic_timer_hz with a count the
 * boot CPU calibrated against the TSC; the tick calls lapic_timer_hook,
 * then the IPI queues' safety drain (lwkt_ipiq_tick).
 */
#include <machine/apic.h>

#include <cpu/cpufunc.h>
#include <cpu/specialreg.h>
#include <machine/globaldata.h>
#include <machine/intr.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <vm/vm_kern.h>

static BOOTOPT_STR(apic_mode, "apic", "auto (x2APIC when available) or xapic");

bool lapic_x2apic;
uint32_t lapic_timer_hz = 100;
void (*lapic_timer_hook)(void);
static volatile uint32_t *lapic_mmio; /* xAPIC registers */
static uint32_t lapic_timer_count;    /* initial count for timer_hz */

static uint32_t
lapic_read(uint32_t reg)
{
	if (lapic_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return lapic_mmio[reg / 4];
}

static void
lapic_write(uint32_t reg, uint32_t v)
{
	if (lapic_x2apic)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
	else
		lapic_mmio[reg / 4] = v;
}

uint32_t
lapic_id(void)
{
	return lapic_x2apic ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
}

void
lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

bool
lapic_ipi_wait(void)
{
	unsigned spins;

	if (lapic_x2apic)
		return true;
	for (spins = 0; spins < 10000000; spins++) {
		if ((lapic_read(LAPIC_ICR_LO) & APIC_DELSTAT_PEND) == 0)
			return true;
		cpu_pause();
	}
	kprintf("lapic: warning: cpu %d: ICR stuck busy\n", mycpu->gd_cpuid);
	return false;
}

void
lapic_ipi_raw(uint32_t dest, uint32_t icrlo)
{
	uint64_t flags = intr_disable();

	if (lapic_x2apic) {
		/* Earlier stores visible first: see the header. */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(MSR_X2APIC_BASE + (LAPIC_ICR_LO >> 4),
		      ((uint64_t)dest << 32) | icrlo);
	} else {
		lapic_ipi_wait();
		lapic_write(LAPIC_ICR_HI, dest << 24);
		lapic_write(LAPIC_ICR_LO, icrlo);
	}
	intr_restore(flags);
	mycpu->gd_cnt.pc_ipi_sent++;
}

void
lapic_ipi(uint32_t apicid, int vector)
{
	lapic_ipi_raw(apicid, APIC_DELMODE_FIXED | (uint32_t)vector);
}

void
lapic_ipi_nmi(uint32_t apicid)
{
	lapic_ipi_raw(apicid, APIC_DELMODE_NMI);
}

void
lapic_ipi_all_but_self(int vector)
{
	lapic_ipi_raw(0, APIC_DEST_ALLESELF | APIC_DELMODE_FIXED |
	                     (uint32_t)vector);
}

static void
lapic_timer_intr(struct trapframe *tf)
{
	mycpu->gd_cnt.pc_timer_intr++;
	lapic_eoi();
	if (lapic_timer_hook != NULL)
		lapic_timer_hook();
	lwkt_ipiq_tick(tf); /* a lost IPI costs at most one tick */
}

static void
lapic_spurious_intr(struct trapframe *tf)
{
	(void)tf; /* no EOI for a spurious interrupt */
}

static void
lapic_error_intr(struct trapframe *tf)
{
	uint32_t esr;

	(void)tf;
	lapic_write(LAPIC_ESR, 0);
	esr = lapic_read(LAPIC_ESR);
	kprintf("lapic: cpu %d: APIC error, ESR %#x\n", mycpu->gd_cpuid, esr);
	lapic_eoi();
}

void
lapic_setup_bsp(vm_paddr_t lapic_pa)
{
	uint32_t r[4];
	const char *mode = apic_mode;

	if (mode != NULL && strcmp(mode, "xapic") != 0 &&
	    strcmp(mode, "auto") != 0)
		kprintf("lapic: error: option 'apic': value '%s' is not auto "
		        "or xapic; using auto\n",
		        mode);
	do_cpuid(1, r);
	lapic_x2apic = (r[2] & CPUID1_ECX_X2APIC) != 0 &&
	               !(mode != NULL && strcmp(mode, "xapic") == 0);
	if (!lapic_x2apic)
		lapic_mmio = pmap_mapdev(lapic_pa, PAGE_SIZE);
	intr_register(LAPIC_TIMER_VECTOR, lapic_timer_intr);
	intr_register(LAPIC_SPURIOUS_VECTOR, lapic_spurious_intr);
	intr_register(LAPIC_ERROR_VECTOR, lapic_error_intr);
	kprintf("lapic: %s mode%s, base %#lx\n",
	        lapic_x2apic ? "x2APIC" : "xAPIC",
	        (r[2] & CPUID1_ECX_X2APIC) ? "" : " (no x2APIC on this CPU)",
	        lapic_pa);
}

/* Per-CPU: enable the APIC in the chosen mode and program its LVTs. */
void
lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APICBASE);

	base |= APICBASE_ENABLE;
	if (lapic_x2apic)
		base |= APICBASE_X2APIC;
	wrmsr(MSR_APICBASE, base);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, APIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_ERROR_VECTOR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_TIMER_DCR, 0x3); /* divide by 16 */
	/* The timer starts later (lapic_timer_start): see there. */
	lapic_write(LAPIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_eoi();
}

/*
 * Start this CPU's periodic tick.  Called on every CPU once all are
 * online, not in lapic_init(): under emulation each tick of each already
 * running AP steals host time from the AP being started, and with 255
 * CPUs the ticks alone made bring-up several times slower.
 */
void
lapic_timer_start(void)
{
	lapic_write(LAPIC_LVT_TIMER, APIC_LVT_PERIODIC | LAPIC_TIMER_VECTOR);
	lapic_write(LAPIC_TIMER_ICR, lapic_timer_count);
}

/* Count how fast the timer decrements in 10 ms of TSC time. */
void
lapic_timer_calibrate(void)
{
	uint32_t start = 0xffffffffu, left;

	lapic_write(LAPIC_TIMER_DCR, 0x3);
	lapic_write(LAPIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(LAPIC_TIMER_ICR, start);
	delay_us(10000);
	left = lapic_read(LAPIC_TIMER_CCR);
	lapic_write(LAPIC_TIMER_ICR, 0);
	/* ticks in 10 ms * 100 = ticks per second */
	lapic_timer_count =
	    (uint32_t)((uint64_t)(start - left) * 100 / lapic_timer_hz);
	if (lapic_timer_count == 0)
		lapic_timer_count = 100000;
	kprintf("lapic: timer %lu kHz bus/16, %u Hz tick (count %u)\n",
	        (unsigned long)(start - left) / 10, lapic_timer_hz,
	        lapic_timer_count);
}
