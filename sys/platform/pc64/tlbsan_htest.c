/*
 * Host test for the TLB sanitizer's model (tlbsan_model.c): each rule of
 * Intel SDM vol. 3A 4.10 the model encodes, driven CPU by CPU, and the
 * classic shootdown mistakes it must report -- a missing remote or local
 * invalidation, a kernel full flush done by a CR3 reload (global entries
 * survive it), a page table unlinked without invalidating its span, a
 * frame freed before the invalidation, a CPU leaving pm_active before
 * its CR3 changed, and a halted CPU woken without its deferred flush.
 */
/* HTEST_SRCS: sys/platform/pc64/tlbsan_model.c */
#include <machine/tlbsan.h>

#include <cpu/pte.h>
#include <sys/cpu.h>

#include <stdio.h>
#include <string.h>

#include "htest.h"

#define ROOT_A 0x100000ul /* a user pmap's PML4 */
#define ROOT_B 0x200000ul /* another one */
#define UVA    0x400000ul /* a user address */
#define KVA    0xffffff8040000000ul
#define FRAME1 0x1234000ul
#define FRAME2 0x5678000ul
#define PTPAGE 0x9000000ul /* a page table's frame */

static int nreports;          /* violations reported since reset */
static char last_report[800]; /* the newest one */

static void
count_report(const char *what)
{
	nreports++;
	snprintf(last_report, sizeof(last_report), "%s", what);
}

/* The page table at PTPAGE, for unlinked-table records. */
static uint64_t ptpage[NPTEPG];

static const uint64_t *
table_of(vm_paddr_t pa)
{
	return pa == PTPAGE ? ptpage : NULL;
}

uint64_t
cpu_intr_disable(void)
{
	return 0;
}

void
cpu_intr_restore(uint64_t s)
{
	(void)s;
}

/* Four CPUs; CPUs 0 and 1 run ROOT_A, 2 runs ROOT_B, 3 the kernel. */
static void
setup(void)
{
	tlbsan_m_report = count_report;
	tlbsan_m_table = table_of;
	tlbsan_m_reset(4);
	tlbsan_m_cr3(0, ROOT_A);
	tlbsan_m_cr3(1, ROOT_A);
	tlbsan_m_cr3(2, ROOT_B);
	tlbsan_m_cr3(3, 0x300000ul);
	nreports = 0;
	memset(ptpage, 0, sizeof(ptpage));
}

/* Unmapping needs every CPU running the pmap to invalidate, no other. */
static void
test_user_unmap(void)
{
	setup();
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_RW | PG_U, 0,
	                7);
	tlbsan_m_invlpg(0, UVA);
	HT_CHECK_EQ(tlbsan_m_check_seq(7, "t"), 1); /* cpu 1 missed */
	HT_CHECK(strstr(last_report, "cpu 1 may still use translation of "
	                             "va 0x400000") != NULL);
	HT_CHECK(strstr(last_report, "shootdown seq 7") != NULL);
	HT_CHECK_EQ(tlbsan_m_live(), 0);

	setup();
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U, 0, 8);
	tlbsan_m_invlpg(0, UVA);
	tlbsan_m_invlpg(1, UVA + 4096); /* the wrong page */
	HT_CHECK_EQ(tlbsan_m_check_seq(8, "t"), 1);
	setup();
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U, 0, 8);
	tlbsan_m_invlpg(0, UVA);
	tlbsan_m_invlpg(1, UVA);
	HT_CHECK_EQ(tlbsan_m_check_seq(8, "t"), 0);
	HT_CHECK_EQ(nreports, 0);
	HT_CHECK_EQ(tlbsan_m_live(), 0);
}

/* A CR3 load drops non-global translations; a later switch-in is clean. */
static void
test_cr3_rules(void)
{
	setup();
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U, 0, 1);
	tlbsan_m_cr3(0, ROOT_B); /* switched away: flushed */
	tlbsan_m_cr3(1, ROOT_A); /* reload of the same tables flushes too */
	HT_CHECK_EQ(tlbsan_m_check_seq(1, "t"), 0);
	/* CPU 2 loads ROOT_A after the change: it can only see the new. */
	tlbsan_m_cr3(2, ROOT_A);
	HT_CHECK_EQ(tlbsan_m_live(), 0);
	HT_CHECK_EQ(nreports, 0);
}

/* Global kernel translations survive CR3 loads; a PGE toggle drops them. */
static void
test_global(void)
{
	setup();
	tlbsan_m_change(0, KVA, TLBSAN_PT, FRAME1 | PG_V | PG_RW | PG_G,
	                FRAME2 | PG_V | PG_RW | PG_G, 3);
	for (int c = 0; c < 4; c++)
		tlbsan_m_cr3(c, ROOT_A); /* a "full flush" by CR3 reload */
	HT_CHECK_EQ(tlbsan_m_check_seq(3, "t"), 4);
	HT_CHECK(strstr(last_report, "global") != NULL);

	setup();
	tlbsan_m_change(0, KVA, TLBSAN_PT, FRAME1 | PG_V | PG_RW | PG_G, 0, 3);
	for (int c = 0; c < 4; c++)
		tlbsan_m_flush_all(c);
	HT_CHECK_EQ(tlbsan_m_check_seq(3, "t"), 0);

	/* A kernel entry without G is dropped by a CR3 load. */
	setup();
	tlbsan_m_change(0, KVA, TLBSAN_PT, FRAME1 | PG_V | PG_RW, 0, 4);
	for (int c = 0; c < 4; c++)
		tlbsan_m_cr3(c, ROOT_A);
	HT_CHECK_EQ(tlbsan_m_check_seq(4, "t"), 0);
}

/* Only weakening changes need invalidation. */
static void
test_weakening(void)
{
	uint64_t rw = FRAME1 | PG_V | PG_RW | PG_U | PG_NX;

	setup();
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, rw, rw | PG_A | PG_M, 1);
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U,
	                FRAME1 | PG_V | PG_U | PG_RW, 1);  /* RO -> RW */
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, 0, rw, 1); /* new mapping */
	HT_CHECK_EQ(tlbsan_m_live(), 0);
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, rw, rw & ~PG_RW, 2); /* RO */
	HT_CHECK_EQ(tlbsan_m_check_seq(2, "protect"), 2);
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, rw & ~PG_NX, rw, 3); /* NX */
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, rw, rw & ~PG_U, 3);
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, rw, FRAME2 | PG_V | PG_U, 3);
	HT_CHECK_EQ(tlbsan_m_live(), 3);
	HT_CHECK_EQ(tlbsan_m_check_seq(3, "t"), 6);
}

/*
 * An unlinked page table: the CPUs may hold paging-structure-cache
 * entries through it and every translation it still mapped.
 */
static void
test_ptpage(void)
{
	setup();
	ptpage[0] = FRAME1 | PG_V | PG_U;
	ptpage[5] = FRAME2 | PG_V | PG_U;
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PD, PTPAGE | PG_V | PG_RW | PG_U, 0,
	                9);
	HT_CHECK_EQ(tlbsan_m_live(), 3);
	/* Freeing the table before anyone invalidated: caught. */
	HT_CHECK_EQ(tlbsan_m_check_frame(PTPAGE, true, "ptpage free"), 2);
	HT_CHECK(strstr(last_report, "page table for") != NULL);
	/* Its translations are still live until their pages are flushed. */
	HT_CHECK_EQ(tlbsan_m_check_frame(FRAME2, false, "frame free"), 2);
	HT_CHECK_EQ(tlbsan_m_live(), 1);

	/* Invalidating the span's mapped pages clears all of it. */
	setup();
	ptpage[0] = FRAME1 | PG_V | PG_U;
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PD, PTPAGE | PG_V | PG_RW | PG_U, 0,
	                9);
	for (int c = 0; c < 2; c++)
		tlbsan_m_invlpg(c, UVA);
	HT_CHECK_EQ(tlbsan_m_check_seq(9, "t"), 0);
	HT_CHECK_EQ(tlbsan_m_check_frame(PTPAGE, true, "ptpage free"), 0);
	HT_CHECK_EQ(tlbsan_m_live(), 0);
}

/* A 2 MiB leaf: one INVLPG anywhere inside drops it. */
static void
test_large(void)
{
	setup();
	tlbsan_m_change(ROOT_A, UVA + 0x1000, TLBSAN_PD,
	                0x40000000ul | PG_V | PG_PS | PG_U, 0, 2);
	tlbsan_m_invlpg(0, UVA + 0x1f0000);
	tlbsan_m_invlpg(1, UVA);
	HT_CHECK_EQ(tlbsan_m_check_seq(2, "t"), 0);
	/* The frame check covers the whole 2 MiB frame. */
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PD,
	                0x40000000ul | PG_V | PG_PS | PG_U, 0, 3);
	HT_CHECK_EQ(tlbsan_m_check_frame(0x40000000ul + 0x123000, false, "f"),
	            2);
}

/* Freeing tables that a CPU's CR3 still holds. */
static void
test_root(void)
{
	setup();
	HT_CHECK_EQ(tlbsan_m_check_root(ROOT_A, "destroy"), 2);
	HT_CHECK(strstr(last_report, "cpu 1's CR3 still holds") != NULL);
	HT_CHECK_EQ(tlbsan_m_check_root(0x700000ul, "destroy"), 0);
}

static void
test_pm_active(void)
{
	setup();
	HT_CHECK_EQ(tlbsan_m_pm_inactive(0, ROOT_A), 1);
	tlbsan_m_cr3(1, 0x300000ul);
	HT_CHECK_EQ(tlbsan_m_pm_inactive(1, ROOT_A), 0);
}

/* Idle deferral: excused while halted, must flush before running. */
static void
test_idle(void)
{
	setup();
	tlbsan_m_halt(1, true);
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U, 0, 5);
	tlbsan_m_invlpg(0, UVA);
	HT_CHECK_EQ(tlbsan_m_check_seq(5, "t"), 0); /* halted: excused */
	HT_CHECK_EQ(tlbsan_m_check_frame(FRAME1, false, "free"), 0);
	tlbsan_m_flush_all(1); /* the wakeup flush */
	tlbsan_m_halt(1, false);
	HT_CHECK_EQ(nreports, 0);
	HT_CHECK_EQ(tlbsan_m_live(), 0);

	/* Woken without the flush it owed. */
	tlbsan_m_halt(1, true);
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U, 0, 6);
	tlbsan_m_invlpg(0, UVA);
	HT_CHECK_EQ(tlbsan_m_check_seq(6, "t"), 0);
	tlbsan_m_halt(1, false);
	HT_CHECK_EQ(nreports, 1);
	HT_CHECK(strstr(last_report, "woke up without") != NULL);

	/* A halt with nothing owed needs no flush. */
	tlbsan_m_halt(2, true);
	tlbsan_m_halt(2, false);
	HT_CHECK_EQ(nreports, 1);
}

/* A change no shootdown covers is still checked when the frame is freed. */
static void
test_frame_free(void)
{
	setup();
	tlbsan_m_change(ROOT_A, UVA, TLBSAN_PT, FRAME1 | PG_V | PG_U, 0, 0);
	HT_CHECK_EQ(tlbsan_m_check_seq(0, "t"), 0);
	HT_CHECK_EQ(tlbsan_m_check_frame(FRAME2, false, "f"), 0);
	HT_CHECK_EQ(tlbsan_m_check_frame(FRAME1 + 8, false, "f"), 2);
}

int
main(void)
{
	ht_begin();
	ht_run("user_unmap", test_user_unmap);
	ht_run("cr3_rules", test_cr3_rules);
	ht_run("global", test_global);
	ht_run("weakening", test_weakening);
	ht_run("ptpage", test_ptpage);
	ht_run("large", test_large);
	ht_run("root", test_root);
	ht_run("pm_active", test_pm_active);
	ht_run("idle", test_idle);
	ht_run("frame_free", test_frame_free);
	return ht_done();
}
