/*
 * ktest: the in-kernel test framework (in the spirit of KUnit).
 *
 * A suite is a named array of cases plus optional setup/teardown, placed
 * in the "set_ktest" linker section by KTEST_SUITE(), so adding a test
 * file adds its suites with no registration code.  `test=all` or
 * `test=suite1,suite2` on the boot command line selects suites.  Output
 * is KTAP version 1 on the console: one nested subtest per suite, then
 * the closing line "N passed, N failed[, N skipped]".
 *
 * Assertions print file:line and both values.  KT_ASSERT_* end the case
 * at the first failure (by returning from the case function); KT_EXPECT_*
 * record the failure and go on.
 */
#ifndef _SYS_KTEST_H_
#define _SYS_KTEST_H_

#include <sys/types.h>

struct ktest {
	const char *kt_case;        /* running case name */
	int kt_failures;            /* failed assertions in this case */
	bool kt_skipped;            /* KT_SKIP() was called */
	const char *kt_skip_reason; /* why */
};

struct ktest_case {
	const char *kc_name;            /* case name */
	void (*kc_fn)(struct ktest *t); /* the test */
};

struct ktest_suite {
	const char *ks_name;               /* suite name for test= */
	void (*ks_setup)(void);            /* before each case, or NULL */
	void (*ks_teardown)(void);         /* after each case, or NULL */
	const struct ktest_case *ks_cases; /* the cases */
	int ks_ncases;                     /* how many */
	const char *const *ks_option; /* its own option's variable, or NULL */
	bool ks_last; /* runs after every other suite (the user programs) */
};

#define KTEST_CASE(fn)                                                         \
	{                                                                      \
#fn, fn                                                        \
	}

#define KTEST_SUITE(ident, name, setup, teardown, ...)                         \
	KTEST_SUITE_OPT(ident, name, NULL, setup, teardown, __VA_ARGS__)

/*
 * A suite that a boot option also selects (when given and not "none"),
 * e.g. the stress suite with stress=; 'option' points to that option's
 * BOOTOPT_STR variable.  test=all does not select
 * it; test=NAME still does.  Its cases decide what the option asks for.
 */
#define KTEST_SUITE_OPT(ident, name, option, setup, teardown, ...)             \
	KTEST_SUITE_(ident, name, option, false, setup, teardown, __VA_ARGS__)
/*
 * The same, run after every other selected suite: the user programs of
 * run= (make run's tlbstress) come after the in-kernel suites.
 */
#define KTEST_SUITE_OPT_LAST(ident, name, option, setup, teardown, ...)        \
	KTEST_SUITE_(ident, name, option, true, setup, teardown, __VA_ARGS__)
#define KTEST_SUITE_(ident, name, option, last, setup, teardown, ...)          \
	static const struct ktest_case ident##_cases[] = {__VA_ARGS__};        \
	static const struct ktest_suite ident##_suite                          \
	    __attribute__((section("set_ktest"), used, aligned(8))) = {        \
	        name,                                                          \
	        setup,                                                         \
	        teardown,                                                      \
	        ident##_cases,                                                 \
	        (int)(sizeof(ident##_cases) / sizeof(ident##_cases[0])),       \
	        option,                                                        \
	        last}

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt,
                ...) __printflike(4, 5);
void ktest_skip(struct ktest *t, const char *reason);
/* Run the suites the command line selects; returns the failure count. */
int ktest_run_selected(void);
/* Deterministic per-run random numbers (test.seed=). */
uint64_t ktest_random(void);
uint64_t ktest_seed(void);

#define KT_EXPECT(t, cond)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ktest_fail(t, __FILE__, __LINE__, "expected %s",       \
			           #cond);                                     \
	} while (0)

#define KT_ASSERT(t, cond)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			ktest_fail(t, __FILE__, __LINE__,                      \
			           "assertion failed: %s", #cond);             \
			return;                                                \
		}                                                              \
	} while (0)

#define KT_CMP_(t, a, op, b, ret)                                              \
	do {                                                                   \
		uint64_t kt_a_ = (uint64_t)(a), kt_b_ = (uint64_t)(b);         \
		if (!(kt_a_ op kt_b_)) {                                       \
			ktest_fail(t, __FILE__, __LINE__,                      \
			           "%s %s %s: %#lx (%lu) vs %#lx (%lu)", #a,   \
			           #op, #b, kt_a_, kt_a_, kt_b_, kt_b_);       \
			ret;                                                   \
		}                                                              \
	} while (0)

#define KT_EXPECT_EQ(t, a, b) KT_CMP_(t, a, ==, b, (void)0)
#define KT_EXPECT_NE(t, a, b) KT_CMP_(t, a, !=, b, (void)0)
#define KT_ASSERT_EQ(t, a, b) KT_CMP_(t, a, ==, b, return )
#define KT_ASSERT_NE(t, a, b) KT_CMP_(t, a, !=, b, return )
#define KT_ASSERT_LE(t, a, b) KT_CMP_(t, a, <=, b, return )
#define KT_ASSERT_GE(t, a, b) KT_CMP_(t, a, >=, b, return )
#define KT_SKIP(t, reason)                                                     \
	do {                                                                   \
		ktest_skip(t, reason);                                         \
		return;                                                        \
	} while (0)

#endif /* !_SYS_KTEST_H_ */
