/*
 * segments.c - GDT, TSS and IDT.
 *
 * One IDT is shared by every CPU (it only names handlers).  Each CPU has
 * its own GDT and TSS in its privatespace page 2, because the TSS holds
 * per-CPU stack pointers: the #DF and NMI handlers switch to this CPU's
 * IST stacks, so a kernel stack overflow (which faults again when the CPU
 * tries to push the #PF frame) still reaches a working stack and a clear
 * panic instead of a triple fault.
 */
#include <machine/md_var.h>

#include <cpu/cpufunc.h>
#include <cpu/segments.h>
#include <machine/globaldata.h>
#include <sys/systm.h>

static struct gate_descriptor idt[256] __aligned(16);
extern char idt_vectors_start[], idt_vectors_size[];

static void
set_gate(int vec, uint64_t fn, int ist, int dpl)
{
	struct gate_descriptor *g = &idt[vec];

	g->gd_looffset = fn & 0xffff;
	g->gd_selector = KCODE_SEL;
	g->gd_ist = ist;
	g->gd_xx = 0;
	g->gd_type = SDT_SYSIGT;
	g->gd_dpl = dpl;
	g->gd_p = 1;
	g->gd_midoffset = (fn >> 16) & 0xffff;
	g->gd_hioffset = fn >> 32;
	g->gd_rsvd = 0;
}

void
idt_init(void)
{
	struct region_descriptor rd;
	int vec;

	KASSERT((uintptr_t)idt_vectors_size == 256 * 16,
	        "vector stubs must be 16 bytes apart");
	for (vec = 0; vec < 256; vec++) {
		int ist = vec == 8 ? IST_DBLFAULT : vec == 2 ? IST_NMI : 0;

		/* int3 may be used from user mode (SIGTRAP, as on Linux). */
		set_gate(vec, (uint64_t)idt_vectors_start + 16 * vec, ist,
		         vec == 3 ? 3 : 0);
	}
	rd.rd_limit = sizeof(idt) - 1;
	rd.rd_base = (uint64_t)idt;
	lidt(&rd);
}

/* Load this CPU's GDT and TSS; the IDT (shared) is loaded too. */
void
cpu_segments_init(struct gdtpage *gp, vm_offset_t df_stack_top,
                  vm_offset_t nmi_stack_top)
{
	struct region_descriptor rd;
	uint64_t base = (uint64_t)&gp->gp_tss;
	uint64_t limit = sizeof(gp->gp_tss) - 1;

	memset(gp, 0, sizeof(*gp));
	gp->gp_gdt[GCODE_SEL] = 0x00af9a000000ffffull; /* 64-bit ring-0 code */
	gp->gp_gdt[GDATA_SEL] = 0x00cf92000000ffffull; /* ring-0 data */
	/* User segments: the same with DPL 3 (SYSRET's layout, segments.h). */
	gp->gp_gdt[GUCODE32_SEL] = 0x00cffa000000ffffull; /* 32-bit code */
	gp->gp_gdt[GUDATA_SEL] = 0x00cff2000000ffffull;   /* data */
	gp->gp_gdt[GUCODE_SEL] = 0x00affa000000ffffull;   /* 64-bit code */
	/* 16-byte TSS descriptor: type 9, present, base split in pieces. */
	gp->gp_gdt[GTSS_SEL] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	                       ((uint64_t)SDT_SYSTSS << 40) | (1ull << 47) |
	                       (((limit >> 16) & 0xf) << 48) |
	                       (((base >> 24) & 0xff) << 56);
	gp->gp_gdt[GTSS_SEL + 1] = base >> 32;
	gp->gp_tss.tss_ist[IST_DBLFAULT - 1] = df_stack_top;
	gp->gp_tss.tss_ist[IST_NMI - 1] = nmi_stack_top;
	gp->gp_tss.tss_iobase = sizeof(gp->gp_tss);

	rd.rd_limit = sizeof(gp->gp_gdt) - 1;
	rd.rd_base = (uint64_t)gp->gp_gdt;
	lgdt(&rd);
	/* Reload CS with a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "movl %1, %%eax\n\t"
	                 "movl %%eax, %%ds\n\t"
	                 "movl %%eax, %%es\n\t"
	                 "movl %%eax, %%ss\n\t"
	                 :
	                 : "i"((uint64_t)KCODE_SEL), "i"((uint32_t)KDATA_SEL)
	                 : "rax", "memory");
	ltr(KTSS_SEL);
	rd.rd_limit = sizeof(idt) - 1;
	rd.rd_base = (uint64_t)idt;
	lidt(&rd);
}
