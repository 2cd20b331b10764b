/*
 * Host test for kstrtou64(): accepted forms, rejected garbage, overflow
 * at exactly 2^64, and agreement with the host's strtoull on random
 * valid strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htest.h"
#include <sys/systm.h>

static bool
ok(const char *s, unsigned base, uint64_t want)
{
	uint64_t v = ~0ull;

	return kstrtou64(s, base, &v) && v == want;
}

static bool
bad(const char *s, unsigned base)
{
	uint64_t v = 12345;

	return !kstrtou64(s, base, &v) && v == 12345;
}

static void
test_forms(void)
{
	HT_CHECK(ok("0", 0, 0));
	HT_CHECK(ok("42", 0, 42));
	HT_CHECK(ok("0x2a", 0, 42));
	HT_CHECK(ok("0X2A", 0, 42));
	HT_CHECK(ok("2a", 16, 42));
	HT_CHECK(ok("0x2a", 16, 42));
	HT_CHECK(ok("007", 10, 7));
	HT_CHECK(ok("18446744073709551615", 10, UINT64_MAX));
	HT_CHECK(ok("0xffffffffffffffff", 0, UINT64_MAX));
}

static void
test_garbage(void)
{
	HT_CHECK(bad("", 0));
	HT_CHECK(bad("0x", 0));
	HT_CHECK(bad("12a", 10));
	HT_CHECK(bad("0x2a", 10));
	HT_CHECK(bad("-1", 0));
	HT_CHECK(bad("+1", 0));
	HT_CHECK(bad(" 1", 0));
	HT_CHECK(bad("1 ", 0));
	HT_CHECK(bad("g", 16));
	HT_CHECK(bad("10", 8));
	HT_CHECK(bad("18446744073709551616", 10));
	HT_CHECK(bad("0x10000000000000000", 0));
	HT_CHECK(bad("99999999999999999999999", 10));
}

static void
test_random_agrees(void)
{
	char buf[32];
	int i;

	srand(7);
	for (i = 0; i < 100000; i++) {
		uint64_t want = ((uint64_t)rand() << 40) ^
		                ((uint64_t)rand() << 20) ^ (uint64_t)rand();
		uint64_t got = 0;

		want >>= rand() % 64;
		snprintf(buf, sizeof(buf), (i & 1) ? "%llu" : "0x%llx",
		         (unsigned long long)want);
		HT_CHECK(kstrtou64(buf, 0, &got) && got == want &&
		         got == strtoull(buf, NULL, 0));
	}
}

int
main(void)
{
	ht_begin();
	ht_run("forms", test_forms);
	ht_run("garbage", test_garbage);
	ht_run("random_agrees_with_strtoull", test_random_agrees);
	return ht_done();
}
