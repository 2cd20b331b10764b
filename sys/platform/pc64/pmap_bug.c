/*
 * pmap_bug.c - the pmap.bug= fault-injection option (<machine/pmap_bug.h>).
 *
 * Each name is one classic shootdown mistake; the code that would make
 * it tests PMAP_BUG(NAME) at exactly one place.  The table below is the
 * list pmap.bug=list prints and test/mutants.py runs, with the check
 * that is expected to catch each mistake.
 */
#include <machine/pmap_bug.h>

#include <sys/bootopt.h>
#include <sys/systm.h>

int pmap_bug; /* enum pmap_bug */

static BOOTOPT_STR(pmap_bug_opt, "pmap.bug",
                   "inject one shootdown mistake (list: print them)");

static const struct {
	const char *name; /* pmap.bug= value */
	const char *what; /* the mistake */
} pmap_bugs[PMAP_BUG_COUNT] = {
    [PMAP_BUG_NONE] = {"none", "no mistake"},
    [PMAP_BUG_NO_REMOTE] = {"no_remote", "initiators send no remote flush"},
    [PMAP_BUG_NO_WAIT] = {"no_wait", "initiators do not wait for the acks"},
    [PMAP_BUG_NO_LOCAL] = {"no_local", "the initiator skips its own flush"},
    [PMAP_BUG_FULL_NOOP_USER] = {"full_noop_user",
                                 "a full flush of a user pmap does nothing"},
    [PMAP_BUG_FULL_NOOP_KERN] = {"full_noop_kernel",
                                 "a full flush of the kernel does nothing"},
    [PMAP_BUG_FULL_CR3] = {"full_cr3",
                           "kernel full flush by CR3 reload, not a CR4.PGE "
                           "toggle (global entries survive)"},
    [PMAP_BUG_PT_NOINVAL] = {"pt_noinval", "an unlinked page table's span "
                                           "is not invalidated"},
    [PMAP_BUG_PT_EARLY_FREE] = {"pt_early_free",
                                "page-table pages freed before the acks"},
    [PMAP_BUG_PROTECT_NOINVAL] = {"protect_noinval",
                                  "RW -> RO without invalidation"},
    [PMAP_BUG_IDLE_NOFLUSH] = {"idle_noflush", "a halted CPU wakes without "
                                               "its deferred flush"},
    [PMAP_BUG_ACTIVE_EARLY] = {"active_early",
                               "pm_active cleared before the CR3 load"},
    [PMAP_BUG_NO_SERVE] = {"no_serve",
                           "an initiator waiting for its acks serves no "
                           "shootdown aimed at it (mutual waits deadlock)"},
};

void
pmap_bug_init(void)
{
	int i;

	if (pmap_bug_opt == NULL)
		return;
	if (strcmp(pmap_bug_opt, "list") == 0) {
		kprintf("pmap.bug: the mistakes it can inject:\n");
		for (i = 1; i < PMAP_BUG_COUNT; i++)
			kprintf("  %-16s %s\n", pmap_bugs[i].name,
			        pmap_bugs[i].what);
		return;
	}
	for (i = 0; i < PMAP_BUG_COUNT; i++) {
		if (strcmp(pmap_bug_opt, pmap_bugs[i].name) == 0) {
			pmap_bug = i;
			if (i != PMAP_BUG_NONE)
				kprintf("pmap.bug: INJECTING a mistake: %s\n",
				        pmap_bugs[i].what);
			return;
		}
	}
	kprintf("pmap.bug: error: unknown mistake '%.32s' (pmap.bug=list "
	        "lists them); injecting none\n",
	        pmap_bug_opt);
}
