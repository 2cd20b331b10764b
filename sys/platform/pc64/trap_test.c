/*
 * trap_test.c - in-kernel tests of the page-fault handler's spurious-
 * fault decision (trap.c, suite "trap").
 *
 * A spurious fault - one the live page tables permit, taken through a
 * stale TLB or paging-structure-cache entry - cannot be produced under
 * QEMU's TCG: on a permission miss it walks the tables again instead of
 * faulting, and it caches no not-present entries.  So the tests call the
 * handler's decision functions with synthetic faults: trap_pf_permitted()
 * for the rules (present, RW for writes, U for user accesses, no NX for
 * fetches, never for reserved-bit faults), and trap_pf_spurious() with a
 * synthetic trap frame for what the handler does with the answer: retry
 * and count on a mapped address, fault on an unmapped one, and give up
 * when the same fault keeps coming back.
 */
#include <machine/md_var.h>

#include <cpu/cpufunc.h>
#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>
#include <sys/ktest.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

#define UVA_TEST 0x0000000040000000ul /* a user page for the U tests */

static const uint64_t trap_test_rodata = 0x5452415052444154ull;
static uint64_t trap_test_data = 1;

static __attribute__((noinline)) int
trap_test_text_fn(int x)
{
	return x + 1;
}

/* The rules, on kernel and user pages, read, write, fetch and user. */
static void
trap_pf_permitted_rules(struct ktest *t)
{
	uint64_t cr3 = rcr3();
	vm_offset_t data = (vm_offset_t)&trap_test_data;
	vm_offset_t rodata = (vm_offset_t)&trap_test_rodata;
	vm_offset_t text = (vm_offset_t)&trap_test_text_fn;
	vm_offset_t kva = kva_alloc(1);
	struct vm_page *m = vm_page_alloc();
	struct pmap *pm = pmap_create();

	KT_ASSERT(t, kva != 0 && m != NULL && pm != NULL);
	/* Mapped and allowed: a not-present or protection fault is stale. */
	KT_EXPECT(t, trap_pf_permitted(cr3, data, 0));
	KT_EXPECT(t, trap_pf_permitted(cr3, data, PGEX_P | PGEX_W));
	KT_EXPECT(t, trap_pf_permitted(cr3, rodata, PGEX_P));
	KT_EXPECT(t, trap_pf_permitted(cr3, text, PGEX_P | PGEX_I));
	/* Not allowed by the tables: a real fault. */
	KT_EXPECT(t, !trap_pf_permitted(cr3, rodata, PGEX_P | PGEX_W));
	KT_EXPECT(t, !trap_pf_permitted(cr3, text, PGEX_P | PGEX_W));
	KT_EXPECT_EQ(t, trap_pf_permitted(cr3, data, PGEX_P | PGEX_I),
	             !cpu_has_nx);
	KT_EXPECT(t, !trap_pf_permitted(cr3, data, PGEX_P | PGEX_U));
	KT_EXPECT(t, !trap_pf_permitted(cr3, data, PGEX_P | PGEX_RSVD));
	KT_EXPECT(t, !trap_pf_permitted(cr3, data, PGEX_P | PGEX_PK));
	/* Not mapped: NULL, a KVA page nobody entered. */
	KT_EXPECT(t, !trap_pf_permitted(cr3, 0, 0));
	KT_EXPECT(t, !trap_pf_permitted(cr3, kva, 0));
	KT_EXPECT(t, !trap_pf_permitted(cr3, kva, PGEX_W));
	/* A user page, under its own pmap only. */
	KT_ASSERT_EQ(
	    t, pmap_enter(pm, UVA_TEST, vm_page_to_phys(m), VM_PROT_READ, 0),
	    0);
	KT_EXPECT(t, trap_pf_permitted(pm->pm_pml4_pa, UVA_TEST, PGEX_U));
	KT_EXPECT(t, !trap_pf_permitted(pm->pm_pml4_pa, UVA_TEST,
	                                PGEX_P | PGEX_U | PGEX_W));
	KT_EXPECT(t, !trap_pf_permitted(cr3, UVA_TEST, PGEX_U));
	pmap_protect(pm, UVA_TEST, UVA_TEST + PAGE_SIZE, 0); /* removes */
	KT_EXPECT(t, !trap_pf_permitted(pm->pm_pml4_pa, UVA_TEST, PGEX_U));
	pmap_destroy(pm);
	vm_page_free(m);
	kva_free(kva, 1);
}

/*
 * The handler's decision on a synthetic fault: retry (and count, on this
 * CPU) for a mapped address, fault for an unmapped one; the same fault
 * retried TRAP_PF_RETRY_MAX times in a row becomes a real one.
 */
static void
trap_pf_spurious_decision(struct ktest *t)
{
	struct trapframe tf;
	vm_offset_t data = (vm_offset_t)&trap_test_data;
	vm_offset_t kva = kva_alloc(1);
	uint64_t flags, n0, n1, n2, n3;
	int i, retries = 0;

	KT_ASSERT(t, kva != 0);
	memset(&tf, 0, sizeof(tf));
	tf.tf_trapno = 14;
	tf.tf_err = PGEX_P | PGEX_W; /* a write through a stale RO entry */
	tf.tf_rip = (uint64_t)&trap_test_text_fn;
	flags = intr_disable(); /* as in the handler: stay on this CPU */
	n0 = mycpu->gd_cnt.pc_spurious_faults;
	KT_EXPECT(t, trap_pf_spurious(&tf, data));
	n1 = mycpu->gd_cnt.pc_spurious_faults;
	tf.tf_err = 0; /* not present, at an unmapped address */
	KT_EXPECT(t, !trap_pf_spurious(&tf, kva));
	tf.tf_err = PGEX_P | PGEX_W; /* a write to rodata: real */
	KT_EXPECT(t, !trap_pf_spurious(&tf, (vm_offset_t)&trap_test_rodata));
	n2 = mycpu->gd_cnt.pc_spurious_faults;
	/* The same fault again and again: retried, then given up. */
	tf.tf_rip += 1;
	for (i = 0; i < 2 * TRAP_PF_RETRY_MAX; i++) {
		if (!trap_pf_spurious(&tf, data))
			break;
		retries++;
	}
	n3 = mycpu->gd_cnt.pc_spurious_faults;
	intr_restore(flags);
	KT_EXPECT_EQ(t, n1 - n0, 1);
	KT_EXPECT_EQ(t, n2 - n1, 0);
	KT_EXPECT_EQ(t, retries, TRAP_PF_RETRY_MAX);
	KT_EXPECT_EQ(t, n3 - n2, (uint64_t)TRAP_PF_RETRY_MAX);
	kva_free(kva, 1);
}

KTEST_SUITE(trap, "trap", NULL, NULL, KTEST_CASE(trap_pf_permitted_rules),
            KTEST_CASE(trap_pf_spurious_decision));
