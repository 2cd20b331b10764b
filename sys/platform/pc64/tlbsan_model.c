/*
 * tlbsan_model.c - the TLB sanitizer's model of what each CPU MAY still
 * hold, by the rules of Intel SDM vol. 3A, 4.10 (see <machine/tlbsan.h>
 * and docs/ARCHITECTURE.md, "The TLB sanitizer").  Pure logic, driven by
 * CPU number, so the host test (tlbsan_htest.c) checks every rule; the
 * kernel hooks in tlbsan.c feed it.
 *
 * Invariant: for every translation T that some page-table change removed
 * or weakened, and every CPU c that could have cached T (or a
 * paging-structure-cache entry leading to it) at any moment since c last
 * invalidated it, there is a live record naming T with c in tr_cpus.
 * Why it holds:
 *   - A CPU may cache any translation its active paging structures map,
 *     at any time, speculatively included (SDM 4.10.2.3, 4.10.3.1).  So
 *     when a present entry is replaced, every CPU whose CR3 holds those
 *     tables (every online CPU, for the kernel half shared by all
 *     address spaces) may hold the old translation: the record starts
 *     with exactly that set.  A CPU that loads those tables later can
 *     only cache the new entry.  (The per-CPU windows are not fed to the
 *     model: only their owner uses them, and it invalidates before each
 *     use, pmap_window.c.)
 *   - If the old entry named a page table, the CPU may also hold
 *     paging-structure-cache entries through it and every translation
 *     that table still mapped (4.10.3): those are recorded too.
 *   - Only invalidations remove a CPU from a record: INVLPG of an address
 *     inside the record's span (4.10.4.1; the SDM lets INVLPG drop every
 *     paging-structure-cache entry, the model asks for one inside the
 *     span, which is stricter), a CR3 load for everything but global
 *     leaf translations (4.10.4.1, 4.10.2.4), a CR4.PGE toggle for
 *     everything (4.10.4.1).
 * A check point (a shootdown's wait returning, a frame or table page
 * being freed) that finds a CPU still named is a violation: that CPU may
 * use a translation the protocol promised was gone -- unless the CPU is
 * halted (between the idle loop's halt and wakeup hooks): a halted CPU
 * uses no translation, so it is excused, but it then owes a full flush,
 * and waking up without one is the violation (idle deferral).  The
 * excuse is decided at the check, under the lock, so it does not depend
 * on when the protocol's own halted flag was read.
 *
 * Locking: one spin lock, taken with interrupts disabled because the
 * invalidation hooks run in IPI handlers.  Records live in a fixed pool;
 * running out is reported as a failure, never silently ignored.
 */
#include <machine/tlbsan.h>

#include <cpu/pte.h>
#include <sys/cpu.h>
#include <sys/spinlock.h>
#include <sys/systm.h>

#define TLBSAN_NREC  8192 /* live records at most */
#define TLBSAN_NHIST 8    /* invalidation events kept per CPU */

struct tlbsan_rec {
	uint64_t tr_root;    /* PML4 pa, or TLBSAN_ROOT_KERNEL */
	vm_offset_t tr_va;   /* first VA the old translation covered */
	uint64_t tr_size;    /* bytes it covered */
	uint64_t tr_old;     /* the replaced entry */
	uint64_t tr_new;     /* what replaced it (0 for a descendant) */
	uint64_t tr_seq;     /* shootdown sequence number, 0: none */
	vm_paddr_t tr_frame; /* what old named: a frame or a page table */
	uint64_t tr_fsize;   /* bytes of that frame (PAGE_SIZE: a table) */
	uint8_t tr_level;    /* TLBSAN_PT .. TLBSAN_PML4 */
	bool tr_psc;         /* old named a page table (structure cache) */
	bool tr_global;      /* a global leaf: survives CR3 loads */
	bool tr_used;        /* slot in use */
	cpumask_t tr_cpus;   /* CPUs that may still hold it */
};

/* One invalidation a CPU performed, for the violation report. */
struct tlbsan_event {
	uint64_t te_no;    /* global event number, 0: empty slot */
	vm_offset_t te_va; /* INVLPG address */
	uint64_t te_cr3;   /* CR3 loaded */
	uint8_t te_type;   /* TE_* */
};
#define TE_INVLPG 1
#define TE_CR3    2
#define TE_FLUSH  3

struct tlbsan_cpu {
	uint64_t tc_cr3; /* tables this CPU's CR3 holds */
	bool tc_online;  /* has loaded CR3 since the model started */
	bool tc_halted;  /* between halt enter and exit */
	bool tc_owes;    /* excused while halted: owes a full flush */
	int tc_hnext;    /* next tc_hist slot */
	struct tlbsan_event tc_hist[TLBSAN_NHIST]; /* recent invalidations */
};

static struct tlbsan_rec recs[TLBSAN_NREC]; /* the pool */
static struct tlbsan_cpu tcpu[MAXCPU];      /* per-CPU model state */
static int nlive, peak;                     /* records in use */
static int hint;                            /* where to look for a slot */
static uint64_t nevents, nchanges, nchecks; /* counters */
static uint64_t ndropped;                   /* lost records: failure */
static struct spinlock tlbsan_lock = SPINLOCK_INITIALIZER("tlbsan");

static void
report_panic(const char *what)
{
	panic("tlbsan: %s", what);
}

static const uint64_t *
table_none(vm_paddr_t pa)
{
	(void)pa;
	return NULL;
}

void (*tlbsan_m_report)(const char *what) = report_panic;
const uint64_t *(*tlbsan_m_table)(vm_paddr_t pa) = table_none;

static uint64_t
lock_model(void)
{
	uint64_t s = cpu_intr_disable();

	spin_lock(&tlbsan_lock);
	return s;
}

static void
unlock_model(uint64_t s)
{
	spin_unlock(&tlbsan_lock);
	cpu_intr_restore(s);
}

void
tlbsan_m_reset(int ncpu)
{
	uint64_t s = lock_model();

	memset(recs, 0, sizeof(recs));
	memset(tcpu, 0, sizeof(tcpu));
	nlive = peak = hint = 0;
	nevents = nchanges = nchecks = ndropped = 0;
	for (int i = 0; i < ncpu && i < MAXCPU; i++)
		tcpu[i].tc_online = true;
	unlock_model(s);
}

/* Bytes one entry at 'level' maps. */
static uint64_t
level_span(int level)
{
	return 1ul << (PAGE_SHIFT + 9 * (level - 1));
}

static bool
is_leaf(int level, uint64_t e)
{
	return level == TLBSAN_PT ||
	       ((level == TLBSAN_PD || level == TLBSAN_PDP) && (e & PG_PS));
}

static vm_paddr_t
entry_frame(int level, uint64_t e)
{
	if (level == TLBSAN_PD && (e & PG_PS))
		return e & PG_PS_FRAME_2M;
	if (level == TLBSAN_PDP && (e & PG_PS))
		return e & PG_PS_FRAME_1G;
	return e & PG_FRAME;
}

/*
 * True if replacing present 'old' by 'new' can leave a CPU with a
 * translation that allows more than the tables now do: the entry went
 * away, names another frame or table, or lost write, user or execute
 * permission, or its caching or global attributes changed.  Changes of
 * the accessed and dirty bits alone, and pure permission increases, make
 * no record (a CPU that faults on the old, weaker translation retries:
 * the spurious-fault path).
 */
static bool
weakens(int level, uint64_t old, uint64_t new)
{
	if (!(new &PG_V))
		return true;
	if (entry_frame(level, old) != entry_frame(level, new) ||
	    ((old ^ new) & PG_PS))
		return true;
	if ((old & ~new) & (PG_RW | PG_U))
		return true;
	if ((new & ~old) & PG_NX)
		return true;
	return ((old ^ new) & (PG_PCD | PG_PWT | PG_G)) != 0;
}

/* The CPUs that may hold a translation of root's 'va' right now. */
static void
holders(uint64_t root, vm_offset_t va, cpumask_t *m)
{
	(void)va;
	cpumask_zero(m);
	for (int c = 0; c < MAXCPU; c++) {
		const struct tlbsan_cpu *tc = &tcpu[c];

		if (!tc->tc_online)
			continue;
		if (root == TLBSAN_ROOT_KERNEL || tc->tc_cr3 == root)
			cpumask_set(m, c);
	}
}

static struct tlbsan_rec *
rec_alloc(void)
{
	for (int n = 0; n < TLBSAN_NREC; n++) {
		int i = (hint + n) % TLBSAN_NREC;

		if (!recs[i].tr_used) {
			hint = (i + 1) % TLBSAN_NREC;
			if (++nlive > peak)
				peak = nlive;
			recs[i].tr_used = true;
			return &recs[i];
		}
	}
	ndropped++;
	return NULL;
}

static void
rec_free_if_done(struct tlbsan_rec *r)
{
	if (r->tr_used && cpumask_isempty(&r->tr_cpus)) {
		r->tr_used = false;
		nlive--;
	}
}

static void
add_record(uint64_t root, vm_offset_t va, int level, uint64_t old, uint64_t new,
           uint64_t seq, const cpumask_t *cpus)
{
	struct tlbsan_rec *r;

	if (cpumask_isempty(cpus))
		return;
	r = rec_alloc();
	if (r == NULL)
		return;
	r->tr_root = root;
	r->tr_va = va & ~(level_span(level) - 1);
	r->tr_size = level_span(level);
	r->tr_old = old;
	r->tr_new = new;
	r->tr_seq = seq;
	r->tr_level = (uint8_t)level;
	r->tr_psc = !is_leaf(level, old);
	r->tr_frame = entry_frame(level, old);
	r->tr_fsize = r->tr_psc ? PAGE_SIZE : level_span(level);
	r->tr_global = !r->tr_psc && (old & PG_G);
	r->tr_cpus = *cpus;
}

/*
 * Record every present translation below the table at 'pa' (level
 * 'level' entries, covering VAs from 'base'): a CPU may hold any of them
 * through a paging-structure-cache entry for the unlinked table.
 */
static void
add_descendants(uint64_t root, vm_offset_t base, int level, vm_paddr_t pa,
                uint64_t seq, const cpumask_t *cpus, int depth)
{
	const uint64_t *t = tlbsan_m_table(pa);

	if (t == NULL || depth > 3)
		return;
	for (int i = 0; i < NPTEPG; i++) {
		uint64_t e = t[i];
		vm_offset_t va = base + (uint64_t)i * level_span(level);

		if (!(e & PG_V))
			continue;
		add_record(root, va, level, e, 0, seq, cpus);
		if (!is_leaf(level, e))
			add_descendants(root, va, level - 1, e & PG_FRAME, seq,
			                cpus, depth + 1);
	}
}

void
tlbsan_m_change(uint64_t root, vm_offset_t va, int level, uint64_t old,
                uint64_t new, uint64_t seq)
{
	cpumask_t cpus;
	uint64_t s;

	if (!(old & PG_V) || !weakens(level, old, new))
		return;
	s = lock_model();
	nchanges++;
	holders(root, va, &cpus);
	add_record(root, va, level, old, new, seq, &cpus);
	if (!is_leaf(level, old))
		add_descendants(root, va & ~(level_span(level) - 1), level - 1,
		                old & PG_FRAME, seq, &cpus, 0);
	unlock_model(s);
}

static void
history_add(struct tlbsan_cpu *tc, int type, vm_offset_t va, uint64_t cr3)
{
	struct tlbsan_event *e = &tc->tc_hist[tc->tc_hnext];

	tc->tc_hnext = (tc->tc_hnext + 1) % TLBSAN_NHIST;
	e->te_no = ++nevents;
	e->te_type = (uint8_t)type;
	e->te_va = va;
	e->te_cr3 = cr3;
}

void
tlbsan_m_cr3(int cpu, uint64_t root)
{
	struct tlbsan_cpu *tc = &tcpu[cpu];
	uint64_t s = lock_model();

	for (int i = 0; i < TLBSAN_NREC; i++) {
		struct tlbsan_rec *r = &recs[i];

		if (r->tr_used && !r->tr_global) {
			cpumask_clear(&r->tr_cpus, cpu);
			rec_free_if_done(r);
		}
	}
	tc->tc_cr3 = root;
	tc->tc_online = true;
	history_add(tc, TE_CR3, 0, root);
	unlock_model(s);
}

void
tlbsan_m_invlpg(int cpu, vm_offset_t va)
{
	uint64_t s = lock_model();

	for (int i = 0; i < TLBSAN_NREC; i++) {
		struct tlbsan_rec *r = &recs[i];

		if (r->tr_used && va - r->tr_va < r->tr_size &&
		    cpumask_test(&r->tr_cpus, cpu)) {
			cpumask_clear(&r->tr_cpus, cpu);
			rec_free_if_done(r);
		}
	}
	history_add(&tcpu[cpu], TE_INVLPG, va, 0);
	unlock_model(s);
}

void
tlbsan_m_flush_all(int cpu)
{
	uint64_t s = lock_model();

	for (int i = 0; i < TLBSAN_NREC; i++) {
		struct tlbsan_rec *r = &recs[i];

		if (r->tr_used) {
			cpumask_clear(&r->tr_cpus, cpu);
			rec_free_if_done(r);
		}
	}
	tcpu[cpu].tc_owes = false;
	tcpu[cpu].tc_online = true;
	history_add(&tcpu[cpu], TE_FLUSH, 0, 0);
	unlock_model(s);
}

/* Format one violation and hand it to tlbsan_m_report. */
static void
violation(const struct tlbsan_rec *r, int cpu, const char *where)
{
	const struct tlbsan_cpu *tc = &tcpu[cpu];
	char msg[640], hist[320];
	size_t n = 0;

	hist[0] = '\0';
	for (int k = 1; k <= TLBSAN_NHIST; k++) {
		const struct tlbsan_event *e =
		    &tc->tc_hist[(tc->tc_hnext + TLBSAN_NHIST - k) %
		                 TLBSAN_NHIST];

		if (e->te_no == 0 || n + 64 >= sizeof(hist))
			break;
		if (e->te_type == TE_INVLPG)
			n += (size_t)ksnprintf(
			    hist + n, sizeof(hist) - n, " #%lu invlpg %#lx%s;",
			    e->te_no, e->te_va,
			    e->te_va - r->tr_va < r->tr_size ? " (this address)"
			                                     : "");
		else if (e->te_type == TE_CR3)
			n += (size_t)ksnprintf(hist + n, sizeof(hist) - n,
			                       " #%lu cr3 load %#lx;", e->te_no,
			                       e->te_cr3);
		else
			n += (size_t)ksnprintf(hist + n, sizeof(hist) - n,
			                       " #%lu full flush;", e->te_no);
	}
	ksnprintf(msg, sizeof(msg),
	          "VIOLATION at %s: cpu %d may still use %s va %#lx "
	          "(level %d, %s, root %#lx): old entry %#lx, new %#lx, "
	          "shootdown seq %lu; cpu %d's last invalidations (newest "
	          "first, event #%lu now):%s",
	          where, cpu, r->tr_psc ? "page table for" : "translation of",
	          r->tr_va, r->tr_level, r->tr_global ? "global" : "not global",
	          r->tr_root, r->tr_old, r->tr_new, r->tr_seq, cpu, nevents,
	          hist[0] != '\0' ? hist : " none");
	tlbsan_m_report(msg);
}

/*
 * Report every CPU still named by r, then drop it -- except a halted CPU,
 * which stays named and owes a full flush before it runs again.
 */
static int
check_rec(struct tlbsan_rec *r, const char *where)
{
	int bad = 0;

	for (int c = 0; c < MAXCPU; c++) {
		if (!cpumask_test(&r->tr_cpus, c))
			continue;
		if (tcpu[c].tc_halted) {
			tcpu[c].tc_owes = true;
			continue;
		}
		violation(r, c, where);
		cpumask_clear(&r->tr_cpus, c);
		bad++;
	}
	rec_free_if_done(r);
	return bad;
}

int
tlbsan_m_check_seq(uint64_t seq, const char *where)
{
	uint64_t s = lock_model();
	int bad = 0;

	nchecks++;
	for (int i = 0; i < TLBSAN_NREC; i++) {
		if (recs[i].tr_used && recs[i].tr_seq == seq && seq != 0)
			bad += check_rec(&recs[i], where);
	}
	unlock_model(s);
	return bad;
}

int
tlbsan_m_check_frame(vm_paddr_t pa, bool ptpage, const char *where)
{
	uint64_t s = lock_model();
	int bad = 0;

	nchecks++;
	for (int i = 0; i < TLBSAN_NREC; i++) {
		struct tlbsan_rec *r = &recs[i];

		if (r->tr_used && r->tr_psc == ptpage &&
		    pa - r->tr_frame < r->tr_fsize)
			bad += check_rec(r, where);
	}
	unlock_model(s);
	return bad;
}

int
tlbsan_m_check_root(uint64_t root, const char *where)
{
	char msg[160];
	int bad = 0;

	nchecks++;
	for (int c = 0; c < MAXCPU; c++) {
		if (!tcpu[c].tc_online || tcpu[c].tc_cr3 != root)
			continue;
		ksnprintf(msg, sizeof(msg),
		          "VIOLATION at %s: cpu %d's CR3 still holds the freed "
		          "tables rooted at %#lx",
		          where, c, root);
		tlbsan_m_report(msg);
		bad++;
	}
	return bad;
}

int
tlbsan_m_pm_inactive(int cpu, uint64_t root)
{
	char msg[160];
	uint64_t s = lock_model();
	bool bad = tcpu[cpu].tc_online && tcpu[cpu].tc_cr3 == root;

	unlock_model(s);
	if (!bad)
		return 0;
	ksnprintf(msg, sizeof(msg),
	          "VIOLATION: cpu %d left pm_active of root %#lx while its "
	          "CR3 still holds those tables (a shootdown now misses it)",
	          cpu, root);
	tlbsan_m_report(msg);
	return 1;
}

void
tlbsan_m_halt(int cpu, bool halted)
{
	char msg[160];
	uint64_t s = lock_model();
	struct tlbsan_cpu *tc = &tcpu[cpu];
	bool bad = !halted && tc->tc_owes;

	tc->tc_halted = halted;
	tc->tc_owes = false;
	unlock_model(s);
	if (bad) {
		ksnprintf(msg, sizeof(msg),
		          "VIOLATION: cpu %d woke up without the full flush it "
		          "owed for invalidations deferred while it was halted",
		          cpu);
		tlbsan_m_report(msg);
	}
}

int
tlbsan_m_live(void)
{
	return nlive;
}

#ifdef TLBSAN
void
tlbsan_get_stats(struct tlbsan_stats *st)
{
	uint64_t s = lock_model();

	st->ts_changes = nchanges;
	st->ts_checks = nchecks;
	st->ts_live = (uint64_t)nlive;
	st->ts_peak = (uint64_t)peak;
	st->ts_dropped = ndropped;
	unlock_model(s);
}
#endif
