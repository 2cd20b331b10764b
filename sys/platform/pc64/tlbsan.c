/*
 * tlbsan.c - the TLB sanitizer's kernel side: the hooks the pmap, the
 * invalidation code and <cpu/cpufunc.h> call (each with this CPU's
 * number), its boot option, and its summary.  The model itself, and the
 * argument for why it over-approximates what hardware may hold, is in
 * tlbsan_model.c.
 *
 * Enabling: tlbsan_init() runs on the boot CPU before the other CPUs
 * start, so every AP's first CR3 load or flush is seen; until then
 * tlbsan_on is false and every hook is a single predicted branch.
 */
#include <machine/tlbsan.h>

#include <cpu/cpufunc.h>
#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <machine/vmparam.h>
#include <sys/bootopt.h>
#include <sys/systm.h>

#ifndef TLBSAN_DEFAULT
#define TLBSAN_DEFAULT 0 /* GENERIC: off unless tlbsan=1 */
#endif

bool tlbsan_on; /* hooks feed the model */

static BOOTOPT_BOOL(tlbsan_opt, "tlbsan", TLBSAN_DEFAULT,
                    "model every CPU's TLB by the SDM rules and check each "
                    "shootdown (slow)");

static void
report(const char *what)
{
	panic("tlbsan: %s", what);
}

static const uint64_t *
table_dmap(vm_paddr_t pa)
{
	return (const uint64_t *)PHYS_TO_DMAP(pa);
}

void
tlbsan_init(void)
{
	if (!tlbsan_opt)
		return;
	tlbsan_m_report = report;
	tlbsan_m_table = table_dmap;
	tlbsan_m_reset(1);
	tlbsan_m_cr3(0, rcr3() & PG_FRAME);
	__atomic_store_n(&tlbsan_on, true, __ATOMIC_SEQ_CST);
	kprintf("tlbsan: on: every page-table change, CR3 load, INVLPG and "
	        "PGE toggle is checked against the SDM 4.10 rules\n");
}

void
tlbsan_pte_change(uint64_t root, vm_offset_t va, int level, uint64_t old,
                  uint64_t new, uint64_t seq)
{
	tlbsan_m_change(root, va, level, old, new, seq);
}

void
tlbsan_cr3_load(uint64_t cr3)
{
	tlbsan_m_cr3(mycpuid, cr3 & PG_FRAME);
}

void
tlbsan_invlpg(vm_offset_t va)
{
	tlbsan_m_invlpg(mycpuid, va);
}

void
tlbsan_flush_all(void)
{
	tlbsan_m_flush_all(mycpuid);
}

void
tlbsan_pm_inactive(uint64_t root)
{
	tlbsan_m_pm_inactive(mycpuid, root);
}

void
tlbsan_halt_enter(void)
{
	tlbsan_m_halt(mycpuid, true);
}

void
tlbsan_halt_exit(void)
{
	tlbsan_m_halt(mycpuid, false);
}

void
tlbsan_check_seq(uint64_t seq, const char *where)
{
	tlbsan_m_check_seq(seq, where);
}

void
tlbsan_check_frame(vm_paddr_t pa, const char *where)
{
	tlbsan_m_check_frame(pa, false, where);
}

void
tlbsan_check_ptpage(vm_paddr_t pa, const char *where)
{
	tlbsan_m_check_frame(pa, true, where);
}

void
tlbsan_check_root(uint64_t root, const char *where)
{
	tlbsan_m_check_root(root, where);
}

int
tlbsan_summary(void)
{
	struct tlbsan_stats st;

	if (!tlbsan_on)
		return 0;
	tlbsan_get_stats(&st);
	kprintf("tlbsan: %lu page-table changes recorded, %lu checks, "
	        "%lu records live (peak %lu), %lu dropped, 0 violations\n",
	        st.ts_changes, st.ts_checks, st.ts_live, st.ts_peak,
	        st.ts_dropped);
	if (st.ts_dropped != 0) {
		kprintf("tlbsan: error: %lu records dropped (pool full): the "
		        "checks were incomplete\n",
		        st.ts_dropped);
		return 1;
	}
	return 0;
}
