/*
 * Minimal KTAP version 1 helpers for host tests.
 *
 * A host test program calls HT_CHECK() for each assertion inside a test
 * function and ht_run() for each test; ht_done() prints the plan-closing
 * line "N passed, N failed" and returns the exit status.  The plan line is
 * printed at the end ("1..N" after the results is valid KTAP), so a program
 * need not count its tests up front.
 */
#ifndef _TEST_HOST_HTEST_H_
#define _TEST_HOST_HTEST_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int ht_failed_now; /* assertions failed in the running test */
static int ht_npass;      /* tests passed so far */
static int ht_nfail;      /* tests failed so far */
static int ht_ntest;      /* tests run so far */

#define HT_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("    # %s:%d: check failed: %s\n", __FILE__,    \
			       __LINE__, #cond);                               \
			ht_failed_now++;                                       \
		}                                                              \
	} while (0)

#define HT_CHECK_EQ(a, b)                                                      \
	do {                                                                   \
		long long ht_a_ = (long long)(a), ht_b_ = (long long)(b);      \
		if (ht_a_ != ht_b_) {                                          \
			printf("    # %s:%d: %s == %s failed: %lld != %lld\n", \
			       __FILE__, __LINE__, #a, #b, ht_a_, ht_b_);      \
			ht_failed_now++;                                       \
		}                                                              \
	} while (0)

/* xorshift64: a small, repeatable random stream for fuzz and model tests. */
static inline uint64_t
ht_xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static inline void
ht_begin(void)
{
	printf("KTAP version 1\n");
	fflush(stdout);
}

static inline void
ht_run(const char *name, void (*fn)(void))
{
	ht_failed_now = 0;
	fn();
	ht_ntest++;
	if (ht_failed_now == 0) {
		ht_npass++;
		printf("ok %d %s\n", ht_ntest, name);
	} else {
		ht_nfail++;
		printf("not ok %d %s # %d check(s) failed\n", ht_ntest, name,
		       ht_failed_now);
	}
	fflush(stdout);
}

static inline int
ht_done(void)
{
	printf("1..%d\n", ht_ntest);
	printf("%d passed, %d failed\n", ht_npass, ht_nfail);
	return ht_nfail == 0 ? 0 : 1;
}

#endif /* !_TEST_HOST_HTEST_H_ */
