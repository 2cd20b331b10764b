/*
 * mp_machdep.c - find the other CPUs and start them.
 *
 * The MADT (through ACPI) lists the CPUs by local APIC ID.  CPU numbers
 * (cpuid) are dense, 0 is the boot CPU, and the rest follow in MADT order;
 * APIC IDs may have gaps (-smp 6,sockets=2,cores=3), so the two are
 * mapped both ways and never assumed equal.
 *
 * APs are started one at a time.  For each: back its per-CPU pages, fill
 * its globaldata, point the trampoline parameters at them, send
 * INIT-SIPI-SIPI with the standard delays, and wait (bounded) until it
 * says it is online.  The AP reports each stage it reaches; one that
 * does not come up in time is reported with its APIC ID and last stage,
 * put back to sleep with INIT, and skipped: the boot never hangs.
 * Starting them one at a time is what lets all APs share one trampoline
 * page and one set of mp_ap_* parameters.
 *
 * A panic stops the other CPUs through stop_others() (below): a stop IPI,
 * an NMI for the CPUs that do not answer it within 100 ms, then a report
 * of what each CPU was running with its backtrace.  Every wait there is
 * bounded, so a wedged CPU cannot keep the panic from reaching the
 * harness.
 */
#include <machine/md_var.h>

#include <cpu/cpufunc.h>
#include <cpu/specialreg.h>
#include <machine/apic.h>
#include <machine/bootinfo.h>
#include <machine/globaldata.h>
#include <machine/intr.h>
#include <machine/pmap.h>
#include <machine/pmap_inval.h>
#include <machine/tlbsan.h>
#include <machine/vmparam.h>
#include <platform/pc64/acpi.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cons.h>
#include <sys/cpu.h>
#include <sys/debug.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

static BOOTOPT_INT(smp_max, "smp.max", MAXCPU, 1, MAXCPU, "use at most N CPUs");

#define AP_TIMEOUT_MS 2000 /* per AP, generous for a loaded TCG host */

/* Trampoline parameters read by ap_entry (mpboot.S). */
uint64_t mp_ap_cr3;            /* the kernel PML4 */
uint64_t mp_ap_gd;             /* the AP's globaldata (GS base) */
uint64_t mp_ap_stack;          /* top of its idle stack */
volatile uint32_t mp_ap_stage; /* 4 once in the kernel proper */

extern char mptramp_start[], mptramp_end[], mptramp_stage[], mptramp_cr3[],
    mptramp_efer_nxe[];
extern void (*cpu_stop_others_hook)(void);

cpumask_t smp_active_mask;
uint32_t cpu_apicid[MAXCPU];  /* cpuid -> APIC ID */
static struct acpi_info acpi; /* parsed MADT */
uint64_t mp_online_ns;        /* nanouptime when all were online */
static int mp_queues_ready;   /* set once every CPU's queues exist */

void ap_init(void) __noreturn;

static const char *const stage_names[] = {
    "no response to INIT-SIPI-SIPI",
    "real mode",
    "protected mode",
    "long mode (trampoline)",
    "kernel page tables",
    "segments loaded",
    "local APIC enabled",
    "online",
};

int
cpu_apicid_to_cpuid(uint32_t apicid)
{
	int i;

	for (i = 0; i < ncpus; i++)
		if (cpu_apicid[i] == apicid)
			return i;
	return -1;
}

static const void *
acpi_map_dmap(vm_paddr_t pa, size_t len, void *arg)
{
	(void)arg;
	if (pa >= dmap_top || len > dmap_top - pa)
		return NULL;
	return pmap_map_dmap(pa);
}

static void
ipiq_vector(struct trapframe *tf)
{
	struct globaldata *gd = mycpu;

	gd->gd_cnt.pc_ipi_recv++;
	gd->gd_cnt.pc_ipi_vec_recv[0]++;
	lapic_eoi();
	lwkt_ipiq_intr(tf);
}

/*
 * Stopping the other CPUs on a panic.  The panicking CPU sets stop_owner,
 * sends IPI_VECTOR_STOP to everybody else and waits (bounded) for each
 * CPU to record in stop_state[] how it stopped, with its trap frame and
 * thread; a CPU that has interrupts disabled cannot take the IPI, so
 * after STOP_WAIT_MS it gets an NMI, which trap() turns into
 * mp_stop_self() while stop_owner is set.  A stopped CPU never returns
 * from the handler, so its trap frame and stack stay valid for the
 * panicking CPU to walk.  Every wait is bounded: a CPU that answers
 * neither is reported as "did not answer" and the panic goes on.
 */
#define STOP_WAIT_MS 100 /* per round (IPI, then NMI) */

struct cpu_stop_state {
	volatile int cs_how;     /* STOP_*: set last, with release */
	struct trapframe *cs_tf; /* the frame it stopped in */
	struct thread *cs_td;    /* gd_curthread when it stopped */
};

static struct cpu_stop_state stop_state[MAXCPU]; /* by cpuid */
static volatile int stop_owner = -1; /* cpuid stopping the others, or -1 */

bool
mp_stop_requested(void)
{
	return __atomic_load_n(&stop_owner, __ATOMIC_ACQUIRE) >= 0;
}

/* Record how and where this CPU stopped, then halt for good. */
void
mp_stop_self(struct trapframe *tf, int how)
{
	struct globaldata *gd = mycpu;
	struct cpu_stop_state *cs = &stop_state[gd->gd_cpuid];

	cpu_disable_intr();
	/* An NMI that lands after the IPI already stopped us: keep that. */
	if (cs->cs_how == STOP_NONE && gd->gd_cpuid != stop_owner) {
		cs->cs_tf = tf;
		cs->cs_td = gd->gd_curthread;
		__atomic_store_n(&cs->cs_how, how, __ATOMIC_RELEASE);
	}
	for (;;)
		halt();
}

/* Panic on another CPU: stop here, forever, with interrupts off. */
static void
stop_vector(struct trapframe *tf)
{
	mycpu->gd_cnt.pc_ipi_vec_recv[1]++;
	lapic_eoi();
	mp_stop_self(tf, STOP_IPI);
}

/* Wait up to STOP_WAIT_MS for every other CPU to have recorded a stop. */
static void
stop_wait(int me)
{
	uint64_t deadline = nanouptime() + STOP_WAIT_MS * NS_PER_MS;
	int cpu;

	for (;;) {
		bool all = true;

		for (cpu = 0; cpu < ncpus; cpu++)
			if (cpu != me &&
			    __atomic_load_n(&stop_state[cpu].cs_how,
			                    __ATOMIC_ACQUIRE) == STOP_NONE)
				all = false;
		if (all || nanouptime() > deadline)
			return;
		cpu_pause();
	}
}

static const char *
stop_how_name(int how)
{
	switch (how) {
	case STOP_IPI:
		return "stopped by IPI";
	case STOP_NMI:
		return "stopped by NMI";
	default:
		return "did not answer";
	}
}

static const char *
thread_name(const struct thread *td, char *buf, size_t len)
{
	if (td == NULL)
		return "(none)";
	/* Copy: the name is not ours to trust to be terminated. */
	memcpy(buf, td->td_name, MIN(len - 1, sizeof(td->td_name)));
	buf[MIN(len - 1, sizeof(td->td_name))] = '\0';
	return buf;
}

/*
 * Called by panic() (cpu_panic_stop_others) with interrupts off: stop
 * every other CPU, then print what each was doing.  Bounded: at most two
 * rounds of STOP_WAIT_MS.
 */
/*
 * pmap.inval=sync: a TLB shootdown.  Taken whatever the interrupted
 * thread's critical section (unlike ipiq_vector, nothing is deferred to
 * crit_exit): pmap_inval.c's "Invariant (sync)" argues why that is safe.
 */
static void
inval_vector(struct trapframe *tf)
{
	struct globaldata *gd = mycpu;

	(void)tf;
	gd->gd_cnt.pc_ipi_recv++;
	gd->gd_cnt.pc_ipi_vec_recv[2]++;
	lapic_eoi();
	pmap_inval_sync_intr();
}

/* Bring-up wakeup: the interrupt itself is the message. */
static void
wake_vector(struct trapframe *tf)
{
	(void)tf;
	lapic_eoi();
}

static void
stop_others(void)
{
	int me = mycpu->gd_cpuid, cpu, expected = -1, n = 0;
	char name[TD_NAMELEN + 1];

	if (!__atomic_compare_exchange_n(&stop_owner, &expected, me, false,
	                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return; /* somebody is already stopping everybody */
	if (ncpus <= 1)
		return;
	kprintf("panic: stopping the other %d CPUs\n", ncpus - 1);
	lapic_ipi_all_but_self(IPI_VECTOR_STOP);
	stop_wait(me);
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (cpu != me && stop_state[cpu].cs_how == STOP_NONE) {
			lapic_ipi_nmi(cpu_apicid[cpu]);
			n++;
		}
	}
	if (n > 0) {
		kprintf("panic: %d CPU(s) ignored the stop IPI within %d ms: "
		        "sent NMI\n",
		        n, STOP_WAIT_MS);
		stop_wait(me);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct cpu_stop_state *cs = &stop_state[cpu];
		struct globaldata *gd = globaldata_find(cpu);
		int how = __atomic_load_n(&cs->cs_how, __ATOMIC_ACQUIRE);

		if (cpu == me) {
			kprintf(
			    "cpu %d (panicking): APIC ID %u, thread \"%s\" "
			    "(backtrace above)\n",
			    cpu, cpu_apicid[cpu],
			    thread_name(gd->gd_curthread, name, sizeof(name)));
			continue;
		}
		kprintf(
		    "cpu %d (%s): APIC ID %u, thread \"%s\"\n", cpu,
		    stop_how_name(how), cpu_apicid[cpu],
		    thread_name(how != STOP_NONE ? cs->cs_td : gd->gd_curthread,
		                name, sizeof(name)));
		if (how == STOP_NONE || cs->cs_tf == NULL)
			continue;
		kprintf("  rip %#lx rsp %#lx rflags %#lx (interrupts %s)\n",
		        cs->cs_tf->tf_rip, cs->cs_tf->tf_rsp,
		        cs->cs_tf->tf_rflags,
		        (cs->cs_tf->tf_rflags & PSL_I) ? "on" : "off");
		db_print_backtrace(cs->cs_tf->tf_rbp, cs->cs_tf->tf_rip);
	}
}

void
cpu_send_ipiq(int cpuid)
{
	lapic_ipi(cpu_apicid[cpuid], IPI_VECTOR_IPIQ);
}

/*
 * One ICR write for "every other CPU" (the all-excluding-self shorthand;
 * CPUs that were never started ignore fixed IPIs), else one per CPU.
 */
void
cpu_send_vector_mask(const struct cpumask *mask, int vector)
{
	int me = mycpu->gd_cpuid, cpu, n = cpumask_count(mask);

	if (n == 0)
		return;
	if (!cpumask_test(mask, me) && n == ncpus - 1) {
		lapic_ipi_all_but_self(vector);
		return;
	}
	CPUMASK_FOREACH(cpu, mask)
	{
		if (cpu != me)
			lapic_ipi(cpu_apicid[cpu], vector);
	}
}

void
cpu_send_ipiq_mask(const struct cpumask *mask)
{
	cpu_send_vector_mask(mask, IPI_VECTOR_IPIQ);
}

void
cpu_set_tick_hook(void (*fn)(void))
{
	lapic_timer_hook = fn;
}

uint32_t
cpu_tick_hz(void)
{
	return lapic_timer_hz;
}

uint64_t
cpu_intr_disable(void)
{
	return intr_disable();
}

void
cpu_intr_restore(uint64_t state)
{
	intr_restore(state);
}

void
cpu_pause_hint(void)
{
	cpu_pause();
}

/*
 * Halt until an interrupt.  While gd_idle_halted is set, TLB shootdowns
 * may skip this CPU and leave it a full flush to do on wakeup, which the
 * interrupt's trap() does first thing, and pmap_inval_wakeup() here
 * repeats (a no-op then) in case hlt ended some other way.
 */
void
cpu_idle_halt(void)
{
	cpu_disable_intr();
	pmap_inval_halt_enter();
	if (!lwkt_ipiq_pending())
		cpu_sti_hlt(); /* atomic: no wakeup lost between them */
	cpu_disable_intr();
	pmap_inval_wakeup();
	cpu_enable_intr();
}

/*
 * Stop this CPU for good: a panicking CPU parks the others here.  With
 * interrupts off only NMI, INIT or SMI can end hlt, so loop.
 */
void
cpu_halt_forever(void)
{
	cpu_disable_intr();
	for (;;)
		halt();
}

uint32_t
cpu_hwid(int cpuid)
{
	return cpu_apicid[cpuid];
}

/* The 8259 PICs: remap them away from the exception vectors and mask. */
static void
pic_disable(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/*
 * The trampoline PML4: an identity map of the low 2 MiB (so the AP can
 * turn paging on while running there) plus the kernel's two PML4
 * entries, copied; those never change after boot (pmap.c), so the copy
 * stays valid.  32-bit code loads it, so it must lie below 4 GiB.
 */
static vm_paddr_t
tramp_pml4_build(void)
{
	struct vm_page *m[3];
	pt_entry_t *pml4, *pdpt, *pd, *kpml4;
	int i;

	for (i = 0; i < 3; i++) {
		m[i] = vm_page_alloc();
		if (m[i] == NULL || vm_page_to_phys(m[i]) >= (1ull << 32))
			panic("mp: no page below 4 GiB for the AP trampoline");
	}
	pml4 = pmap_map_dmap(vm_page_to_phys(m[0]));
	pdpt = pmap_map_dmap(vm_page_to_phys(m[1]));
	pd = pmap_map_dmap(vm_page_to_phys(m[2]));
	kpml4 = pmap_map_dmap(kernel_pml4_pa);
	pd[0] = 0 | PG_V | PG_RW | PG_PS;
	pdpt[0] = vm_page_to_phys(m[2]) | PG_V | PG_RW;
	pml4[0] = vm_page_to_phys(m[1]) | PG_V | PG_RW;
	pml4[KPML4_DMAP] = kpml4[KPML4_DMAP];
	pml4[KPML4_KERNEL] = kpml4[KPML4_KERNEL];
	return vm_page_to_phys(m[0]);
}

static volatile uint32_t *
tramp_word(char *sym)
{
	return (volatile uint32_t *)pmap_map_dmap(
	    MP_TRAMPOLINE_PA + (uint64_t)(sym - mptramp_start));
}

/* Fill in the AP's globaldata before it runs. */
static void
ap_gd_init(int cpu, uint32_t apicid)
{
	struct privatespace *ps = &CPU_prvspace[cpu];
	struct mdglobaldata *gd = &ps->mdglobaldata;
	int i;

	pmap_prvspace_init(cpu);
	gd->mi.gd_self = &gd->mi;
	gd->mi.gd_cpuid = cpu;
	gd->gd_apicid = apicid;
	gd->gd_prvspace = ps;
	gd->gd_tsc_freq = tsc_freq;
	for (i = 0; i < NCMAP; i++)
		gd->gd_cmap_pte[i] = pmap_kpte((vm_offset_t)ps->CADDR[i]);
}

static int
ap_stage(int cpu)
{
	int s = globaldata_find(cpu)->gd_stage; /* 5..7, from ap_init() */

	if (s == 0)
		s = (int)__atomic_load_n(&mp_ap_stage,
		                         __ATOMIC_RELAXED); /* 4 */
	if (s == 0)
		s = (int)*tramp_word(mptramp_stage); /* 1..3, trampoline */
	return s;
}

static bool
start_ap(int cpu, uint32_t apicid)
{
	uint64_t deadline;

	ap_gd_init(cpu, apicid);
	*tramp_word(mptramp_stage) = 0;
	mp_ap_stage = 0;
	mp_ap_cr3 = kernel_pml4_pa;
	mp_ap_gd = (uint64_t)&CPU_prvspace[cpu].mdglobaldata;
	mp_ap_stack = (uint64_t)CPU_prvspace[cpu].idlestack +
	              sizeof(CPU_prvspace[cpu].idlestack);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	/* INIT, 10 ms, SIPI, 200 us, SIPI if it has not started. */
	lapic_ipi_raw(apicid, APIC_DELMODE_INIT | APIC_LEVEL_ASSERT);
	delay_us(10000);
	lapic_ipi_raw(apicid, APIC_DELMODE_STARTUP | (MP_TRAMPOLINE_PA >> 12));
	delay_us(200);
	if (*tramp_word(mptramp_stage) == 0)
		lapic_ipi_raw(apicid,
		              APIC_DELMODE_STARTUP | (MP_TRAMPOLINE_PA >> 12));
	deadline = nanouptime() + AP_TIMEOUT_MS * NS_PER_MS;
	while (!__atomic_load_n(&globaldata_find(cpu)->gd_online,
	                        __ATOMIC_ACQUIRE)) {
		if (nanouptime() > deadline) {
			int s = ap_stage(cpu);

			kprintf("mp: warning: cpu %d (APIC ID %u) did not come "
			        "up within %d ms: reached stage %d (%s); "
			        "skipping it\n",
			        cpu, apicid, AP_TIMEOUT_MS, s,
			        s < (int)nitems(stage_names) ? stage_names[s]
			                                     : "?");
			/* Park it again so it cannot run on stale parameters. */
			lapic_ipi_raw(apicid,
			              APIC_DELMODE_INIT | APIC_LEVEL_ASSERT);
			return false;
		}
		cpu_pause();
	}
	return true;
}

static void
timer_start_one(void *arg1, uint64_t arg2, void *frame)
{
	lapic_timer_start();
}

/* Every CPU starts its tick only now (see lapic_timer_start()). */
static void
timers_start(void)
{
	lwkt_cpusync_simple(&smp_active_mask, timer_start_one, NULL, 0);
}

void
cpu_mp_start(void)
{
	vm_paddr_t lapic_pa = 0xfee00000;
	uint64_t max, t0;
	int i, want, online = 1;
	vm_paddr_t tramp_cr3;

	pic_disable();
#ifdef TLBSAN
	tlbsan_init(); /* before any AP can cache a translation */
#endif
	tsc_calibrate();
	if (bootinfo.bi_rsdp_len == 0 ||
	    acpi_parse(bootinfo.bi_rsdp, bootinfo.bi_rsdp_len, acpi_map_dmap,
	               NULL, &acpi) != 0) {
		kprintf("mp: no usable ACPI MADT: running on one CPU\n");
		acpi.ncpus = 0;
	} else {
		acpi_print(&acpi);
		lapic_pa = acpi.lapic_pa;
	}
	lapic_setup_bsp(lapic_pa);
	lapic_init();
	lapic_timer_calibrate();
	mdcpu->gd_apicid = lapic_id();
	cpu_apicid[0] = mdcpu->gd_apicid;
	cpumask_set(&smp_active_mask, 0);
	intr_register(IPI_VECTOR_IPIQ, ipiq_vector);
	intr_register(IPI_VECTOR_STOP, stop_vector);
	intr_register(IPI_VECTOR_WAKE, wake_vector);
	intr_register(IPI_VECTOR_INVAL, inval_vector);
	cpu_stop_others_hook = stop_others;
	cons_set_smp(true);

	max = smp_max;
	want = acpi.ncpus > 0 ? (int)acpi.ncpus : 1;
	if (acpi.ncpus_dropped_maxcpu)
		kprintf("mp: warning: %d CPUs beyond MAXCPU=%d are not used\n",
		        acpi.ncpus_dropped_maxcpu, MAXCPU);
	if ((uint64_t)want > max) {
		kprintf("mp: smp.max=%lu: using %lu of %d CPUs\n", max, max,
		        want);
		want = (int)max;
	}
	/* The trampoline page and its page tables. */
	memcpy(pmap_map_dmap(MP_TRAMPOLINE_PA), mptramp_start,
	       (size_t)(mptramp_end - mptramp_start));
	tramp_cr3 = tramp_pml4_build();
	*tramp_word(mptramp_cr3) = (uint32_t)tramp_cr3;
	*tramp_word(mptramp_efer_nxe) = cpu_has_nx ? EFER_NXE : 0;

	t0 = nanouptime();
	for (i = 0; i < (int)acpi.ncpus && online < want; i++) {
		uint32_t apicid = acpi.cpus[i].apic_id;

		if (apicid == cpu_apicid[0])
			continue;
		cpu_apicid[online] = apicid;
		if (start_ap(online, apicid)) {
			cpumask_set(&smp_active_mask, online);
			online++;
			ncpus = online;
		}
	}
	ncpus = online;
	lwkt_ipiq_init(ncpus);
	__atomic_store_n(&mp_queues_ready, 1, __ATOMIC_RELEASE);
	if (ncpus > 1)
		lapic_ipi_all_but_self(IPI_VECTOR_WAKE);
	cpu_enable_intr();
	mp_online_ns = nanouptime();
	timers_start();
	kprintf("smp: all %d CPUs online (APs started in %lu ms)\n", ncpus,
	        (mp_online_ns - t0) / NS_PER_MS);
	if (ncpus < want)
		kprintf("smp: warning: only %d of %d CPUs came up\n", ncpus,
		        want);
	debug_break("smp");
}

void
ap_init(void)
{
	struct mdglobaldata *gd = mdcpu;
	struct privatespace *ps = gd->gd_prvspace;

	gd->mi.gd_stage = 5;
	cpu_segments_init(&ps->gdtpage,
	                  (vm_offset_t)ps->dblfault_stack + PAGE_SIZE,
	                  (vm_offset_t)ps->nmi_stack + PAGE_SIZE);
	if (cpu_has_pge)
		load_cr4(rcr4() | CR4_PGE);
	cpu_user_init();
	lapic_init();
	gd->mi.gd_stage = 6;
	if (lapic_id() != gd->gd_apicid)
		kprintf("mp: warning: cpu %d expected APIC ID %u, has %u\n",
		        gd->mi.gd_cpuid, gd->gd_apicid, lapic_id());
	gd->mi.gd_stage = 7;
	__atomic_store_n(&gd->mi.gd_online, 1, __ATOMIC_RELEASE);
	/*
	 * Sleep until the BSP has set up the message queues; it then wakes
	 * every AP with IPI_VECTOR_WAKE.  Halting, not spinning: under
	 * emulation a spinning AP steals host time from the BSP and from
	 * the APs still being started (255 spinning vCPUs on 2 host cores
	 * made bring-up several times slower).  The check runs with
	 * interrupts off and "sti; hlt" is atomic, so the wakeup IPI
	 * cannot slip in between.
	 */
	for (;;) {
		cpu_disable_intr();
		if (__atomic_load_n(&mp_queues_ready, __ATOMIC_ACQUIRE))
			break;
		cpu_sti_hlt();
	}
	cpu_enable_intr();
	/* Serve messages until LWKT exists, then become the idle thread. */
	while (!__atomic_load_n(&lwkt_ready, __ATOMIC_ACQUIRE)) {
		lwkt_process_ipiq();
		cpu_idle_halt();
	}
	lwkt_idle_loop();
}
