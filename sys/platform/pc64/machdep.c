/*
 * machdep.c - the boot CPU's path from boot.S to machine-independent code.
 *
 * hammer_time() runs on the boot stack with the temporary boot page
 * tables; each step below is one line and depends only on the steps
 * before it.  The order matters in two places: the multiboot information
 * is copied before anything allocates memory (it sits in memory the
 * allocator will hand out), and %gs points at a static boot globaldata
 * from the first line, so mycpu is valid everywhere, even in a panic
 * during early boot.
 */
#include <machine/md_var.h>

#include <cpu/cpufunc.h>
#include <cpu/specialreg.h>
#include <machine/asmdefs.h>
#include <machine/bootinfo.h>
#include <machine/globaldata.h>
#include <machine/intr.h>
#include <machine/pmap.h>
#include <machine/serial.h>
#include <machine/vmparam.h>
#include <sys/bootopt.h>
#include <sys/cons.h>
#include <sys/cpu.h>
#include <sys/debug.h>
#include <sys/errno.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>
#include <vm/vm_phys.h>

void mi_startup(void) __noreturn;

bool cpu_has_nx, cpu_has_pg1g, cpu_has_pge;
int ncpus = 1;
void (*cpu_stop_others_hook)(void); /* set once APs exist */

static struct mdglobaldata boot_gd; /* %gs before privatespace */
static struct gdtpage boot_gdtpage; /* boot CPU's first GDT/TSS */
static char boot_df_stack[PAGE_SIZE] __aligned(16);  /* early #DF stack */
static char boot_nmi_stack[PAGE_SIZE] __aligned(16); /* early NMI stack */
static struct phys_ranges phys_avail; /* usable RAM during boot */
static uint64_t ram_total;            /* usable RAM in the memory map */

struct globaldata *
globaldata_find(int cpuid)
{
	return &CPU_prvspace[cpuid].mdglobaldata.mi;
}

static void
identify_cpu(void)
{
	uint32_t r[4];

	do_cpuid(1, r);
	cpu_has_pge = (r[3] & CPUID1_EDX_PGE) != 0;
	do_cpuid(0x80000000, r);
	if (r[0] >= 0x80000001) {
		do_cpuid(0x80000001, r);
		cpu_has_nx = (r[3] & CPUIDX_EDX_NX) != 0;
		cpu_has_pg1g = (r[3] & CPUIDX_EDX_PG1G) != 0;
	}
}

static void
set_gsbase(struct mdglobaldata *gd)
{
	gd->mi.gd_self = &gd->mi;
	wrmsr(MSR_GSBASE, (uint64_t)gd);
	trap_gs_ready = true;
}

static const char *
mem_type_name(uint32_t type)
{
	switch (type) {
	case BI_MEM_AVAILABLE:
		return "available";
	case BI_MEM_RESERVED:
		return "reserved";
	case BI_MEM_ACPI:
		return "ACPI";
	case BI_MEM_NVS:
		return "ACPI NVS";
	case BI_MEM_BAD:
		return "bad";
	default:
		return "unknown";
	}
}

/*
 * Turn the memory map into the set of pages the allocator may use:
 * add every available range, then remove every other range (so reserved
 * wins an overlap), the first MiB, the kernel image, the boot information
 * and the modules.  Returns the top of usable RAM.
 */
static vm_paddr_t
build_phys_avail(void)
{
	struct bootinfo *bi = &bootinfo;
	vm_paddr_t top = 0;
	int i;

	for (i = 0; i < bi->bi_nmmap; i++)
		if (bi->bi_mmap[i].mr_type == BI_MEM_AVAILABLE)
			phys_ranges_add(&phys_avail, bi->bi_mmap[i].mr_base,
			                bi->bi_mmap[i].mr_len);
	for (i = 0; i < bi->bi_nmmap; i++) {
		const struct bi_mem_range *mr = &bi->bi_mmap[i];

		if (mr->mr_type != BI_MEM_AVAILABLE)
			phys_ranges_remove(&phys_avail, mr->mr_base,
			                   mr->mr_len > UINT64_MAX - mr->mr_base
			                       ? UINT64_MAX
			                       : mr->mr_base + mr->mr_len);
	}
	ram_total = phys_ranges_total(&phys_avail);
	/* The AP trampoline page must be real RAM below 1 MiB. */
	if (!phys_ranges_contains(&phys_avail, MP_TRAMPOLINE_PA,
	                          MP_TRAMPOLINE_PA + PAGE_SIZE))
		kprintf("machdep: warning: trampoline page %#lx is not "
		        "usable RAM; APs cannot start\n",
		        MP_TRAMPOLINE_PA);
	phys_ranges_remove(&phys_avail, 0, 1ull << 20);
	phys_ranges_remove(&phys_avail, (vm_paddr_t)_kernel_pa_start,
	                   (vm_paddr_t)_end - KERNBASE);
	phys_ranges_remove(&phys_avail, bi->bi_mbi_pa,
	                   bi->bi_mbi_pa + bi->bi_mbi_len);
	for (i = 0; i < bi->bi_nmods; i++)
		phys_ranges_remove(&phys_avail, bi->bi_mods[i].mod_start,
		                   bi->bi_mods[i].mod_end);
	if (phys_avail.pr_dropped)
		kprintf("machdep: warning: memory map too fragmented; %d "
		        "ranges ignored\n",
		        phys_avail.pr_dropped);
	/* The direct map is one PML4 slot: RAM above 512 GiB is unused. */
	if (phys_avail.pr_n > 0 &&
	    phys_avail.pr[phys_avail.pr_n - 1].pr_end > NBPML4) {
		kprintf("machdep: warning: RAM above 512 GiB is not used\n");
		phys_ranges_remove(&phys_avail, NBPML4, UINT64_MAX);
	}
	if (phys_avail.pr_n > 0)
		top = phys_avail.pr[phys_avail.pr_n - 1].pr_end;
	return top;
}

static void
print_banner(void)
{
	const struct bootinfo *bi = &bootinfo;
	int i;

	kprintf("\n%s x86-64 SMP kernel (" KERNCONF "), booted by %s\n",
	        "pcoherence",
	        bi->bi_loader[0] ? bi->bi_loader : "unknown loader");
	kprintf("cmdline: %s\n", bi->bi_cmdline);
	kprintf("memory map (%d entries):\n", bi->bi_nmmap);
	for (i = 0; i < bi->bi_nmmap; i++)
		kprintf("  0x%012lx - 0x%012lx %-9s (%lu KiB)\n",
		        bi->bi_mmap[i].mr_base,
		        bi->bi_mmap[i].mr_base + bi->bi_mmap[i].mr_len,
		        mem_type_name(bi->bi_mmap[i].mr_type),
		        bi->bi_mmap[i].mr_len >> 10);
}

static void
print_layout(void)
{
	kprintf("kernel: text %#lx-%#lx rodata -%#lx data+bss -%#lx "
	        "ksyms -%#lx (%lu KiB at pa %#lx)\n",
	        (uint64_t)_text_start, (uint64_t)_etext, (uint64_t)_erodata,
	        (uint64_t)_ebss, (uint64_t)_end,
	        ((uint64_t)_end - (uint64_t)_text_start) >> 10,
	        (uint64_t)((uint64_t)_text_start - KERNBASE));
	kprintf("pmap: PML4 at pa %#lx, %d kernel PML4 entries; direct map "
	        "%lu GiB with %s pages; NX %s; %d image 2M promotions\n",
	        kernel_pml4_pa, pmap_count_kernel_pml4e(), dmap_top >> 30,
	        cpu_has_pg1g ? "1 GiB" : "2 MiB", cpu_has_nx ? "on" : "absent",
	        pmap_promoted_2m);
	kprintf("user: SYSCALL/SYSRET, SMEP %s, SMAP %s, FXSAVE (eager)\n",
	        cpu_has_smep ? "on" : "absent", cpu_has_smap ? "on" : "absent");
	kprintf("per-CPU window: %#lx, %d pages per CPU, MAXCPU %d\n",
	        (uint64_t)PRIVSPACE_ADDRESS, NPRIVPAGES, MAXCPU);
	kprintf("vm: %lu KiB usable RAM, %lu pages free\n", ram_total >> 10,
	        vm_page_free_count());
}

/* Move the boot CPU onto its privatespace: globaldata, GDT/TSS, stacks. */
static void
cpu0_prvspace_init(void)
{
	struct privatespace *ps = &CPU_prvspace[0];
	struct mdglobaldata *gd = &ps->mdglobaldata;

	pmap_prvspace_init(0);
	gd->mi = boot_gd.mi;
	gd->mi.gd_cpuid = 0;
	gd->gd_prvspace = ps;
	for (int i = 0; i < NCMAP; i++)
		gd->gd_cmap_pte[i] = pmap_kpte((vm_offset_t)ps->CADDR[i]);
	cpu_segments_init(&ps->gdtpage,
	                  (vm_offset_t)ps->dblfault_stack + PAGE_SIZE,
	                  (vm_offset_t)ps->nmi_stack + PAGE_SIZE);
	set_gsbase(gd);
}

void
hammer_time(uint32_t mbi_pa, uint32_t has_nx)
{
	uint32_t mbi_len;
	vm_paddr_t top;

	set_gsbase(&boot_gd);              /* mycpu works from here */
	serial_init();                     /* console on COM1 + 0xe9 */
	identify_cpu();                    /* NX, 1G pages, PGE */
	cpu_has_nx = cpu_has_nx && has_nx; /* boot.S set EFER.NXE */
	cpu_segments_init(&boot_gdtpage,   /* GDT, TSS, IDT */
	                  (vm_offset_t)boot_df_stack + PAGE_SIZE,
	                  (vm_offset_t)boot_nmi_stack + PAGE_SIZE);
	idt_init();
	memcpy(&mbi_len, (void *)(uintptr_t)mbi_pa, 4); /* identity mapped */
	if (mb2_parse((void *)(uintptr_t)mbi_pa, mbi_pa, MIN(mbi_len, 1u << 20),
	              &bootinfo) != 0) /* copy boot info first */
		panic("cannot use the multiboot2 boot information");
	bootopt_init(bootinfo.bi_cmdline); /* key=value options */
	debug_break_init();                /* bochs.break= sites */
	print_banner();
	top = build_phys_avail(); /* usable RAM */
	if (ram_total < VM_MIN_USABLE_BYTES) {
		kprintf("vm: error: not enough memory: %lu KiB usable, this "
		        "kernel needs at least %lu KiB\n",
		        ram_total >> 10, VM_MIN_USABLE_BYTES >> 10);
		cpu_poweroff(EXIT_FAIL);
	}
	pmap_bootstrap(&phys_avail, top); /* own page tables, DMAP */
	vm_page_startup(&phys_avail);     /* page allocator */
	cpu0_prvspace_init();             /* %gs -> CPU 0's window */
	cpu_user_init();                  /* SYSCALL, SMEP/SMAP, FPU */
	print_layout();
	/* Continue on CPU 0's idle stack, which has a guard page below. */
	__asm__ volatile("movq %0, %%rsp\n\t"
	                 "xorl %%ebp, %%ebp\n\t"
	                 "call mi_startup\n\t"
	                 "ud2"
	                 :
	                 : "r"((uint64_t)CPU_prvspace[0].idlestack +
	                       sizeof(CPU_prvspace[0].idlestack))
	                 : "memory");
	__builtin_unreachable();
}

/*
 * A boot module by name: the first word of its GRUB module2 string.  The
 * module's pages were kept out of the allocator (build_phys_avail), so
 * the bytes stay valid; they are read through the direct map.
 */
int
cpu_boot_module(const char *name, const void **data, size_t *len)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < bootinfo.bi_nmods; i++) {
		const struct bi_module *m = &bootinfo.bi_mods[i];

		if (strncmp(m->mod_name, name, n) != 0 ||
		    (m->mod_name[n] != '\0' && m->mod_name[n] != ' '))
			continue;
		if (m->mod_end < m->mod_start || m->mod_end > dmap_top)
			return ENOENT;
		*data = pmap_map_dmap(m->mod_start);
		*len = m->mod_end - m->mod_start;
		return 0;
	}
	return ENOENT;
}

void
cpu_poweroff(int how)
{
	static const char bochs_shutdown[] = "Shutdown";
	const char *p;

	cpu_disable_intr();
	serial_drain();
	/* QEMU: isa-debug-exit turns this into the exit status. */
	outb(QEMU_EXIT_PORT,
	     how == EXIT_PASS ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
	/* Bochs: the shutdown port ends the simulation. */
	for (p = bochs_shutdown; *p != '\0'; p++)
		outb(0x8900, (uint8_t)*p);
	/* ACPI poweroff for QEMU without the exit device (q35 and pc). */
	outw(0x604, 0x2000);
	outw(0xb004, 0x2000);
	for (;;)
		halt();
}

void
cpu_magic_break(const char *site)
{
	(void)site;
	bochs_magic_break();
}

void
cpu_panic_stop_others(void)
{
	if (cpu_stop_others_hook != NULL)
		cpu_stop_others_hook();
}
