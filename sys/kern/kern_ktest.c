/*
 * kern_ktest.c - runs the selected in-kernel test suites and prints KTAP.
 *
 * Suites are found through the linker set set_ktest (see <sys/ktest.h>).
 * Counting is per case: the closing line counts cases passed, failed and
 * skipped over all selected suites, which is what the boot harness reads.
 * A failed assertion also hits the "test" magic breakpoint when enabled,
 * so a developer under Bochs stops right at the failure.
 */
#include <sys/ktest.h>

#include <sys/bootopt.h>
#include <sys/cpu.h>
#include <sys/debug.h>
#include <sys/systm.h>

extern const struct ktest_suite __start_set_ktest[], __stop_set_ktest[];

static uint64_t rng_state; /* xorshift64* state */
static uint64_t rng_seed;  /* the seed, printed so a run can be repeated */

static BOOTOPT_STR(test_list, "test",
                   "test suites to run: all, none, or a,b,c");
static BOOTOPT_U64(test_seed, "test.seed", 1, 1, UINT64_MAX,
                   "seed for tests' random numbers");
static BOOTOPT_BOOL(test_fail, "test.fail", false,
                    "add a test that fails on purpose (checks the harness)");

uint64_t
ktest_random(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

uint64_t
ktest_seed(void)
{
	return rng_seed;
}

void
ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("    # %s: %s:%d: %s\n", t->kt_case, file, line, buf);
	t->kt_failures++;
	debug_break("test");
}

void
ktest_skip(struct ktest *t, const char *reason)
{
	t->kt_skipped = true;
	t->kt_skip_reason = reason;
}

static bool
suite_selected(const struct ktest_suite *s)
{
	const char *sel = test_list;
	const char *opt;

	if (s->ks_option != NULL) {
		/* Its own option selects it; test=all does not. */
		opt = *s->ks_option;
		if (opt != NULL && strcmp(opt, "none") != 0)
			return true;
		return optlist_has(sel, s->ks_name);
	}
	if (sel == NULL || strcmp(sel, "none") == 0)
		return false;
	return strcmp(sel, "all") == 0 || optlist_has(sel, s->ks_name);
}

int
ktest_run_selected(void)
{
	const struct ktest_suite *s;
	int nsuites = 0, suite_no = 0, pass;
	int passed = 0, failed = 0, skipped = 0;

	rng_seed = test_seed;
	rng_state = rng_seed;
	for (s = __start_set_ktest; s < __stop_set_ktest; s++)
		if (suite_selected(s))
			nsuites++;
	if (test_list != NULL && nsuites == 0 && strcmp(test_list, "none") != 0)
		kprintf("ktest: warning: test=%s selects no suite\n",
		        test_list);

	kprintf("KTAP version 1\n");
	kprintf("# test.seed=%lu\n", rng_seed);
	kprintf("1..%d\n", nsuites);
	/* Two passes: the ks_last suites (user programs) after the rest. */
	for (pass = 0; pass < 2; pass++)
		for (s = __start_set_ktest; s < __stop_set_ktest; s++) {
			int i, sfailed = 0;

			if (!suite_selected(s) || s->ks_last != (pass == 1))
				continue;
			suite_no++;
			kprintf("  KTAP version 1\n");
			kprintf("  # Subtest: %s\n", s->ks_name);
			kprintf("  1..%d\n", s->ks_ncases);
			for (i = 0; i < s->ks_ncases; i++) {
				struct ktest t = {.kt_case =
				                      s->ks_cases[i].kc_name};

				if (s->ks_setup != NULL)
					s->ks_setup();
				s->ks_cases[i].kc_fn(&t);
				if (s->ks_teardown != NULL)
					s->ks_teardown();
				if (t.kt_failures != 0) {
					kprintf("  not ok %d %s\n", i + 1,
					        t.kt_case);
					failed++;
					sfailed++;
				} else if (t.kt_skipped) {
					kprintf("  ok %d %s # SKIP %s\n", i + 1,
					        t.kt_case, t.kt_skip_reason);
					skipped++;
				} else {
					kprintf("  ok %d %s\n", i + 1,
					        t.kt_case);
					passed++;
				}
			}
			kprintf("%sok %d %s\n", sfailed ? "not " : "", suite_no,
			        s->ks_name);
		}
	if (skipped != 0)
		kprintf("%d passed, %d failed, %d skipped\n", passed, failed,
		        skipped);
	else
		kprintf("%d passed, %d failed\n", passed, failed);
	return failed;
}

/* The framework's own tests: assertions, and the deliberate failure. */
static void
ktest_self_compare(struct ktest *t)
{
	uint64_t a = ktest_random(), b = ktest_random();

	KT_EXPECT_NE(t, a, b);
	KT_ASSERT_EQ(t, 2 + 2, 4);
}

static void
ktest_self_deliberate_failure(struct ktest *t)
{
	if (!test_fail)
		KT_SKIP(t, "only with test.fail=1");
	KT_EXPECT_EQ(t, 1 + 1, 3); /* fails on purpose: test.fail=1 */
}

KTEST_SUITE(ktest_self, "ktest", NULL, NULL, KTEST_CASE(ktest_self_compare),
            KTEST_CASE(ktest_self_deliberate_failure));
