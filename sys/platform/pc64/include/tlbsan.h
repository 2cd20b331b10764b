/*
 * The TLB sanitizer: a model of what each CPU MAY still hold in its TLB
 * and paging-structure caches under the x86 architecture's rules (Intel
 * SDM vol. 3A, 4.10), fed by every page-table change, CR3 load, INVLPG and
 * CR4.PGE toggle, and checked wherever the shootdown protocol promises
 * coherence.  QEMU's software TLB drops translations far more eagerly
 * than hardware may, so a kernel can pass every stress run under TCG and
 * still be wrong; this judges by the rules instead of by the emulator.
 * docs/ARCHITECTURE.md ("The TLB sanitizer") lists each rule with its SDM
 * section, what the model over-approximates and what it cannot see.
 *
 * Built with "options TLBSAN" (GENERIC has it, off unless tlbsan=1; the
 * TLBSAN config turns it on).  Every hook is a no-op while it is off.
 *
 * The model (tlbsan.c) keeps "records": one per translation some CPU may
 * still use although the page tables no longer hold it.  A record is
 * created when the pmap replaces or weakens a present entry, with the set
 * of CPUs that may hold the old translation; an invalidation removes the
 * CPU that performs it from every record it covers.  A check point finds
 * every record still naming a CPU that should have invalidated, and
 * reports it (tlbsan_violation: CPU, VA, old and new entry, the
 * shootdown's sequence number, that CPU's last invalidations).
 */
#ifndef _MACHINE_TLBSAN_H_
#define _MACHINE_TLBSAN_H_

#include <cpu/cpufunc.h>
#include <sys/cpumask.h>
#include <sys/types.h>

#define TLBSAN_ROOT_KERNEL 0 /* record root: kernel half, every CPU */

/* Paging-structure levels, as the record's tr_level. */
#define TLBSAN_PT   1 /* PTE: maps 4 KiB */
#define TLBSAN_PD   2 /* PDE: 2 MiB page or a page table */
#define TLBSAN_PDP  3 /* PDPTE: 1 GiB page or a page directory */
#define TLBSAN_PML4 4 /* PML4E: a PDP table */

#ifdef TLBSAN
/* tlbsan_on, the CR3/INVLPG/PGE hooks and TLBSAN_HOOK: <cpu/cpufunc.h>. */

/*
 * The pmap replaced the present entry 'old' at 'level' mapping 'va' with
 * 'new' in the tables rooted at 'root' (its PML4's physical address, or
 * TLBSAN_ROOT_KERNEL for the kernel half), as part of shootdown 'seq'
 * (0: none).  Only changes that remove or weaken a translation make a
 * record; when an upper-level 'old' named a page table, the translations
 * that table still held are recorded too (read through the direct map).
 */
void tlbsan_pte_change(uint64_t root, vm_offset_t va, int level, uint64_t old,
                       uint64_t new, uint64_t seq);
/* tlbsan_cr3_load, tlbsan_invlpg, tlbsan_flush_all: <cpu/cpufunc.h>. */
/* This CPU leaves pmap 'root' (pm_active cleared): CR3 must not hold it. */
void tlbsan_pm_inactive(uint64_t root);
/*
 * This CPU halts (before the protocol can see it halted) / has finished
 * waking up (after the flush it owed, if the protocol skipped it).
 */
void tlbsan_halt_enter(void);
void tlbsan_halt_exit(void);
/* Shootdown 'seq' promises coherence: no CPU may hold what it replaced. */
void tlbsan_check_seq(uint64_t seq, const char *where);
/* A frame / page-table page is freed: nothing may still translate to it. */
void tlbsan_check_frame(vm_paddr_t pa, const char *where);
void tlbsan_check_ptpage(vm_paddr_t pa, const char *where);
/* Tables rooted at 'root' are freed: no CPU's CR3 may still hold them. */
void tlbsan_check_root(uint64_t root, const char *where);
/* Counters for the summary. */
struct tlbsan_stats {
	uint64_t ts_changes; /* page-table changes that made records */
	uint64_t ts_checks;  /* check points evaluated */
	uint64_t ts_live;    /* records live now */
	uint64_t ts_peak;    /* most records live at once */
	uint64_t ts_dropped; /* records lost: pool full (a failure) */
};
void tlbsan_get_stats(struct tlbsan_stats *st);
/* Start the model if tlbsan=1 (boot CPU, before the APs start). */
void tlbsan_init(void);
/* Print the counters; returns 1 if records were lost (checks incomplete). */
int tlbsan_summary(void);
#endif

/*
 * The model core, with the CPU named explicitly: the kernel hooks above
 * pass mycpuid; the host test (tlbsan_htest.c) drives CPUs by number.
 */
void tlbsan_m_reset(int ncpu);
void tlbsan_m_change(uint64_t root, vm_offset_t va, int level, uint64_t old,
                     uint64_t new, uint64_t seq);
void tlbsan_m_cr3(int cpu, uint64_t root);
void tlbsan_m_invlpg(int cpu, vm_offset_t va);
void tlbsan_m_flush_all(int cpu);
int tlbsan_m_pm_inactive(int cpu, uint64_t root);
void tlbsan_m_halt(int cpu, bool halted);
int tlbsan_m_check_seq(uint64_t seq, const char *where);
int tlbsan_m_check_frame(vm_paddr_t pa, bool ptpage, const char *where);
int tlbsan_m_check_root(uint64_t root, const char *where);
int tlbsan_m_live(void);
/* Called for each violation found; the kernel's panics after printing. */
extern void (*tlbsan_m_report)(const char *what);
/* The 512 entries of the page table at 'pa' (kernel: the direct map). */
extern const uint64_t *(*tlbsan_m_table)(vm_paddr_t pa);

#endif /* !_MACHINE_TLBSAN_H_ */
