/*
 * mp_test.c - tests of SMP bring-up and the per-CPU pages.
 *
 * Each test runs a function on every CPU through lwkt_cpusync_simple()
 * and checks what it recorded, so a failure names the CPU.
 */
#include <cpu/cpufunc.h>
#include <cpu/specialreg.h>
#include <machine/globaldata.h>
#include <machine/md_var.h>
#include <machine/pmap.h>
#include <sys/cpu.h>
#include <sys/cpumask.h>
#include <sys/ktest.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define CMAP_ROUNDS 500 /* copy + zero pairs per CPU */

static uint64_t per_cpu_result[MAXCPU];
static uint64_t per_cpu_result2[MAXCPU];

static cpumask_t
all_cpus(void)
{
	return smp_active_mask;
}

static void
record_cr3_gs(void *arg1, uint64_t arg2, void *frame)
{
	int me = mycpu->gd_cpuid;

	per_cpu_result[me] = rcr3();
	per_cpu_result2[me] = rdmsr(MSR_GSBASE);
}

static void
smp_all_online(struct ktest *t)
{
	int i;

	KT_ASSERT_GE(t, ncpus, 1);
	for (i = 0; i < ncpus; i++) {
		KT_EXPECT_EQ(t, globaldata_find(i)->gd_online || i == 0, 1);
		KT_EXPECT_EQ(t, globaldata_find(i)->gd_cpuid, i);
		KT_EXPECT_EQ(t, cpu_apicid_to_cpuid(cpu_hwid(i)), i);
	}
	kprintf("    # %d CPUs online\n", ncpus);
}

static void
smp_same_cr3_own_gs(struct ktest *t)
{
	cpumask_t m = all_cpus();
	int i;

	memset(per_cpu_result, 0, sizeof(per_cpu_result));
	lwkt_cpusync_simple(&m, record_cr3_gs, NULL, 0);
	for (i = 0; i < ncpus; i++) {
		KT_EXPECT_EQ(t, per_cpu_result[i] & PG_FRAME, kernel_pml4_pa);
		KT_EXPECT_EQ(t, per_cpu_result2[i],
		             (uint64_t)&CPU_prvspace[i].mdglobaldata);
	}
}

static void
smp_pml4_no_percpu_entries(struct ktest *t)
{
	/* Two kernel slots (DMAP, kernel), whatever the CPU count. */
	KT_EXPECT_EQ(t, pmap_count_kernel_pml4e(), NKPML4E);
	KT_EXPECT_EQ(t, pml4_index((vm_offset_t)&CPU_prvspace[MAXCPU - 1]),
	             KPML4_KERNEL);
	KT_EXPECT_EQ(t, pml4_index((vm_offset_t)&CPU_prvspace[0]),
	             KPML4_KERNEL);
}

static void
write_own_word(void *arg1, uint64_t arg2, void *frame)
{
	mycpu->gd_test_word = arg2 + (uint64_t)mycpu->gd_cpuid;
}

static void
read_all_words(void *arg1, uint64_t arg2, void *frame)
{
	int i, bad = 0;

	for (i = 0; i < ncpus; i++)
		if (globaldata_find(i)->gd_test_word != arg2 + (uint64_t)i)
			bad++;
	per_cpu_result[mycpu->gd_cpuid] = (uint64_t)bad;
}

static void
smp_cross_cpu_globaldata(struct ktest *t)
{
	cpumask_t m = all_cpus();
	uint64_t magic = 0x5ca1ab1e00000000ull ^ ktest_random();
	int i;

	lwkt_cpusync_simple(&m, write_own_word, NULL, magic);
	lwkt_cpusync_simple(&m, read_all_words, NULL, magic);
	for (i = 0; i < ncpus; i++)
		KT_EXPECT_EQ(t, per_cpu_result[i], 0);
}

static void
smp_guard_pages_fault(struct ktest *t)
{
	int cpu, pg;

	for (cpu = 0; cpu < ncpus; cpu++) {
		char *base = (char *)&CPU_prvspace[cpu];

		for (pg = 0; pg < NPRIVPAGES; pg++) {
			bool mapped = PRV_PAGE_MAPPED(pg);

			if (pg >= PRV_PAGE_CADDR && pg < PRV_PAGE_CADDR + NCMAP)
				continue; /* windows: owner's business */
			KT_EXPECT_EQ(t, cpu_probe(base + pg * PAGE_SIZE, 0),
			             mapped ? 0 : -1);
		}
	}
	/* Beyond the last CPU the window is empty. */
	if (ncpus < MAXCPU)
		KT_EXPECT_EQ(t, cpu_probe(&CPU_prvspace[ncpus], 0), -1);
}

/* Each CPU copies and zeroes pages through its own windows. */
static void
cmap_worker(void *arg1, uint64_t arg2, void *frame)
{
	struct globaldata *gd = mycpu;
	uint64_t ipis = gd->gd_cnt.pc_ipi_sent, bad = 0;
	struct vm_page *ms = vm_page_alloc(), *md = vm_page_alloc();
	vm_paddr_t src = vm_page_to_phys(ms), dst = vm_page_to_phys(md);
	uint64_t *s = pmap_map_dmap(src), *d = pmap_map_dmap(dst);
	int r, i;

	for (r = 0; r < CMAP_ROUNDS; r++) {
		uint64_t pat =
		    arg2 ^ ((uint64_t)gd->gd_cpuid << 48) ^ (uint64_t)r;

		for (i = 0; i < 512; i++)
			s[i] = pat + (uint64_t)i;
		pmap_copy_page(src, dst);
		for (i = 0; i < 512; i++)
			if (d[i] != pat + (uint64_t)i)
				bad++;
		pmap_zero_page(dst);
		for (i = 0; i < 512; i++)
			if (d[i] != 0)
				bad++;
	}
	vm_page_free(ms);
	vm_page_free(md);
	per_cpu_result[gd->gd_cpuid] = bad;
	per_cpu_result2[gd->gd_cpuid] = gd->gd_cnt.pc_ipi_sent - ipis;
}

static void
smp_cmap_windows_concurrent(struct ktest *t)
{
	cpumask_t m = all_cpus();
	uint64_t use0 = 0, use1 = 0;
	int i;

	for (i = 0; i < ncpus; i++)
		use0 += globaldata_find(i)->gd_cnt.pc_cmap_use;
	lwkt_cpusync_simple(&m, cmap_worker, NULL, ktest_random());
	for (i = 0; i < ncpus; i++) {
		use1 += globaldata_find(i)->gd_cnt.pc_cmap_use;
		KT_EXPECT_EQ(t, per_cpu_result[i], 0);  /* contents */
		KT_EXPECT_EQ(t, per_cpu_result2[i], 0); /* no IPI sent */
	}
	KT_EXPECT_EQ(t, use1 - use0, (uint64_t)ncpus * CMAP_ROUNDS * 3);
}

KTEST_SUITE(smp, "smp", NULL, NULL, KTEST_CASE(smp_all_online),
            KTEST_CASE(smp_same_cr3_own_gs),
            KTEST_CASE(smp_pml4_no_percpu_entries),
            KTEST_CASE(smp_cross_cpu_globaldata),
            KTEST_CASE(smp_guard_pages_fault),
            KTEST_CASE(smp_cmap_windows_concurrent));
