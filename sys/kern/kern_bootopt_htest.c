/*
 * Host test for the boot command-line parser (sys/kern/kern_bootopt.c).
 *
 * Console output is captured (this file's cons_puts() overrides the weak
 * one in test/host/host_support.c) so the tests can check that every
 * malformed input produces the promised message, naming the bad token,
 * in one console write per line.  The last test feeds the parser random
 * byte strings under ASan/UBSan and checks the table's invariants: the
 * parser must survive any command line a boot loader might hand over.
 */
/* HTEST_SRCS: sys/kern/kern_bootopt.c sys/kern/subr_strtou.c */
#include <sys/bootopt.h>
#include <sys/systm.h>
#include <sys/cons.h>

#include <stdio.h>
#include <string.h>

#include "htest.h"

/* An option declared outside kern_bootopt.c: the linker set spans files. */
static BOOTOPT_STR(htest_extra, "htest.extra", "declared by the host test");
/*
 * In the kernel each option is declared by the file that reads it; this
 * program links only the parser, so it declares the ones it uses.
 */
static BOOTOPT_STR(h_test, "test", "suites");
static BOOTOPT_STR(h_test_seed, "test.seed", "seed");
static BOOTOPT_STR(h_test_fail, "test.fail", "fail on purpose");
static BOOTOPT_STR(h_console, "console", "console mode");
static BOOTOPT_STR(h_smp_max, "smp.max", "CPUs");
static BOOTOPT_STR(h_stress, "stress", "stress tests");
static BOOTOPT_STR(h_stress_seconds, "stress.seconds", "duration");
static BOOTOPT_STR(h_stress_seed, "stress.seed", "seed");
static BOOTOPT_STR(h_bochs_break, "bochs.break", "magic breakpoints");
static BOOTOPT_STR(h_apic, "apic", "APIC mode");

/* Typed declarations: one line binds key, variable, default and range. */
static BOOTOPT_INT(h_typed_int, "typed.int", 8, 1, 64, "an int in 1..64");
static BOOTOPT_U64(h_typed_u64, "typed.u64", 5, 0, UINT64_MAX, "a u64");
static BOOTOPT_BOOL(h_typed_bool, "typed.bool", true, "a bool, default on");
static BOOTOPT_STR(h_typed_str, "typed.str", "a string or list");

/*
 * Key-based views of the parser for these tests, built from the public
 * pieces the declared options use (bootopt_get, bootopt_parse_value,
 * optlist_*), so every number, range and list rule is tested directly.
 */
static uint64_t
get_u64(const char *key, uint64_t def, uint64_t min, uint64_t max)
{
	return bootopt_parse_value(key, bootopt_get(key), BOOTOPT_K_U64, def,
	                           min, max);
}

static bool
get_bool(const char *key, bool def)
{
	return bootopt_parse_value(key, bootopt_get(key), BOOTOPT_K_BOOL, def,
	                           0, 1) != 0;
}

static bool
list_has(const char *key, const char *item)
{
	return optlist_has(bootopt_get(key), item);
}

static int
list_next(const char *key, int idx, char *buf, size_t bufsz)
{
	return optlist_item(bootopt_get(key), idx, buf, bufsz);
}

#define CAP_MAX (64 * 1024) /* console bytes one test may capture */

/* Console capture. */
static struct {
	bool discard;      /* fuzzing: drop output, only count it */
	bool split_line;   /* a write did not hold exactly whole lines */
	char buf[CAP_MAX]; /* captured bytes, NUL-terminated */
	size_t len;        /* bytes in buf */
	int nwrites;       /* cons_puts() calls */
} cap;

void
cons_puts(const char *s, size_t len)
{
	cap.nwrites++;
	/* Each message must reach the console as one whole line. */
	if (len == 0 || s[len - 1] != '\n' ||
	    memchr(s, '\n', len) != s + len - 1)
		cap.split_line = true;
	if (cap.discard)
		return;
	if (cap.len + len < sizeof(cap.buf)) {
		memcpy(cap.buf + cap.len, s, len);
		cap.len += len;
		cap.buf[cap.len] = '\0';
	}
}

static void
cap_reset(void)
{
	bool discard = cap.discard;

	memset(&cap, 0, sizeof(cap));
	cap.discard = discard;
}

static bool
cap_has(const char *s)
{
	return strstr(cap.buf, s) != NULL;
}

/* Parse cmdline with a fresh capture. */
static void
parse(const char *cmdline)
{
	cap_reset();
	bootopt_init(cmdline);
}

static bool
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void
test_basic(void)
{
	char buf[16];

	parse("test=vm,smp test.seed=42 smp.max=4 stress.seconds=10 "
	      "console=interactive");
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK_EQ(bootopt_nerrors(), 0);
	HT_CHECK(streq(bootopt_get("test"), "vm,smp"));
	HT_CHECK(streq(bootopt_get("console"), "interactive"));
	HT_CHECK(bootopt_get("stress") == NULL);
	HT_CHECK(bootopt_get(NULL) == NULL);
	HT_CHECK_EQ(get_u64("test.seed", 1, 0, UINT64_MAX), 42);
	HT_CHECK_EQ(get_u64("smp.max", 256, 1, 256), 4);
	HT_CHECK_EQ(get_u64("stress.seconds", 5, 1, 3600), 10);
	HT_CHECK_EQ(get_u64("stress.seed", 7, 0, 100), 7);
	HT_CHECK(list_has("test", "vm"));
	HT_CHECK(list_has("test", "smp"));
	HT_CHECK(!list_has("test", "v"));
	HT_CHECK(!list_has("test", "vm,smp"));
	HT_CHECK_EQ(list_next("test", 0, buf, sizeof(buf)), 2);
	HT_CHECK(streq(buf, "vm"));
	HT_CHECK_EQ(list_next("test", 1, buf, sizeof(buf)), 3);
	HT_CHECK(streq(buf, "smp"));
	HT_CHECK_EQ(list_next("test", 2, buf, sizeof(buf)), -1);
	bootopt_check_unknown();
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK_EQ(cap.len, 0);
}

static void
test_kernel_path(void)
{
	parse("/boot/kernel.elf test=vm");
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK(streq(bootopt_get("test"), "vm"));
	HT_CHECK(bootopt_get("/boot/kernel.elf") == NULL);

	/* Leading blanks don't matter; a later '/' token is an error. */
	parse("  \t/boot/kernel.elf smp.max=2 /other");
	HT_CHECK(streq(bootopt_get("smp.max"), "2"));
	HT_CHECK_EQ(bootopt_nwarnings(), 1);
	HT_CHECK(cap_has("'/other'"));

	/* The path alone is a valid, empty command line. */
	parse("/boot/kernel.elf");
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK_EQ(cap.len, 0);
}

static void
test_empty(void)
{
	parse(NULL);
	HT_CHECK_EQ(bootopt_nwarnings() + bootopt_nerrors(), 0);
	HT_CHECK(bootopt_get("test") == NULL);
	parse("");
	HT_CHECK_EQ(bootopt_nwarnings() + bootopt_nerrors(), 0);
	parse(" \t \t ");
	HT_CHECK_EQ(bootopt_nwarnings() + bootopt_nerrors(), 0);
	HT_CHECK(bootopt_get("") == NULL);
	HT_CHECK_EQ(cap.len, 0);
	/* Getters on the empty table return their defaults silently. */
	HT_CHECK(get_bool("test.fail", true));
	HT_CHECK_EQ(get_u64("smp.max", 9, 1, 256), 9);
	HT_CHECK(!list_has("test", "vm"));
	HT_CHECK_EQ(list_next("test", 0, NULL, 0), -1);
	HT_CHECK_EQ(bootopt_nerrors(), 0);
}

static void
test_bare_and_separators(void)
{
	parse("test.fail\tsmp.max=3 \t bochs.break a.b=x=y empty=");
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK(streq(bootopt_get("test.fail"), "1"));
	HT_CHECK(get_bool("test.fail", false));
	HT_CHECK(get_bool("bochs.break", false));
	HT_CHECK(streq(bootopt_get("smp.max"), "3"));
	/* Only the first '=' splits; the value may hold more. */
	HT_CHECK(streq(bootopt_get("a.b"), "x=y"));
	HT_CHECK(streq(bootopt_get("empty"), ""));
}

static void
test_repeated(void)
{
	parse("smp.max=2 test=a smp.max=8");
	HT_CHECK(streq(bootopt_get("smp.max"), "8"));
	HT_CHECK(streq(bootopt_get("test"), "a"));
	HT_CHECK_EQ(bootopt_nwarnings(), 1);
	HT_CHECK(cap_has("bootopt: warning: option 'smp.max' given more than "
	                 "once; using the last value '8'"));

	parse("x=1 x=2 x=3 x");
	HT_CHECK(streq(bootopt_get("x"), "1"));
	HT_CHECK_EQ(bootopt_nwarnings(), 3);
}

static void
test_bad_tokens(void)
{
	parse("=x test=ok = ==");
	HT_CHECK_EQ(bootopt_nwarnings(), 3);
	HT_CHECK(cap_has("bootopt: warning: empty option name in '=x' "
	                 "(ignored)"));
	HT_CHECK(cap_has("empty option name in '=' (ignored)"));
	HT_CHECK(cap_has("empty option name in '==' (ignored)"));
	HT_CHECK(streq(bootopt_get("test"), "ok"));
	HT_CHECK(bootopt_get("") == NULL);

	parse("Test=1 a/b=2 k@y smp.max=4 sp\x01"
	      "ce=1 caf\xc3\xa9=1");
	HT_CHECK_EQ(bootopt_nwarnings(), 5);
	HT_CHECK(cap_has("'Test=1'"));
	HT_CHECK(cap_has("'a/b=2'"));
	HT_CHECK(cap_has("'k@y'"));
	/* Unprintable bytes are shown as '?', not sent to the console. */
	HT_CHECK(cap_has("'sp?ce=1'"));
	HT_CHECK(cap_has("'caf?"
	                 "?=1'"));
	HT_CHECK(cap_has("[a-z0-9._-]"));
	HT_CHECK(bootopt_get("Test") == NULL);
	HT_CHECK(bootopt_get("a/b") == NULL);
	HT_CHECK(bootopt_get("k@y") == NULL);
	HT_CHECK(streq(bootopt_get("smp.max"), "4"));
	/* Bad characters in the value are the value's reader's problem. */
	parse("console=Weird/Value!");
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK(streq(bootopt_get("console"), "Weird/Value!"));

	/* A very long bad token is shortened in the message. */
	char longtok[300];
	memset(longtok, 'Q', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	parse(longtok);
	HT_CHECK_EQ(bootopt_nwarnings(), 1);
	HT_CHECK(cap_has("QQQ...'"));
	HT_CHECK(cap.len < 200);
	HT_CHECK(!cap.split_line);
}

static void
test_too_many_tokens(void)
{
	char cmd[1024], key[16];
	int n = 0;

	for (int i = 0; i < 70; i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, "o%d=%d ", i, i);
	parse(cmd);
	HT_CHECK_EQ(bootopt_nwarnings(), 6);
	for (int i = 0; i < 70; i++) {
		snprintf(key, sizeof(key), "o%d", i);
		if (i < BOOTOPT_MAXTOKENS)
			HT_CHECK_EQ(get_u64(key, 999, 0, 100), i);
		else
			HT_CHECK(bootopt_get(key) == NULL);
	}
	HT_CHECK(cap_has("bootopt: warning: more than 64 options; ignoring "
	                 "'o64=64'"));
	HT_CHECK(cap_has("ignoring 'o69=69'"));
	HT_CHECK(!cap_has("'o63=63'"));

	/* The kernel path does not count toward the limit. */
	n = snprintf(cmd, sizeof(cmd), "/boot/kernel.elf");
	for (int i = 0; i < 64; i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, " p%d", i);
	parse(cmd);
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK(streq(bootopt_get("p63"), "1"));
}

static void
test_long_cmdline(void)
{
	static char cmd[4096];
	size_t n;

	/* Exactly 1024 bytes: kept whole, no warning. */
	memset(cmd, 0, sizeof(cmd));
	memcpy(cmd, "test=", 5);
	memset(cmd + 5, 'v', 1019);
	memcpy(cmd + 1020, " a=1", 4);
	HT_CHECK_EQ(strlen(cmd), 1024);
	parse(cmd);
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	HT_CHECK(streq(bootopt_get("a"), "1"));
	HT_CHECK_EQ(strlen(bootopt_get("test")), 1015);

	/* One byte more: the token crossing the limit is dropped whole. */
	memcpy(cmd + 1020, " a=12", 5);
	parse(cmd);
	HT_CHECK_EQ(bootopt_nwarnings(), 1);
	HT_CHECK(bootopt_get("a") == NULL);
	HT_CHECK_EQ(strlen(bootopt_get("test")), 1015);
	HT_CHECK(cap_has("longer than 1024 bytes"));

	/* A separator right at the limit keeps everything before it. */
	memset(cmd, 0, sizeof(cmd));
	memset(cmd, 'k', 1024);
	memcpy(cmd + 1024, " b=2", 4);
	parse(cmd);
	HT_CHECK_EQ(bootopt_nwarnings(), 1);
	HT_CHECK(bootopt_get("b") == NULL);
	cmd[1024] = '\0';
	HT_CHECK(streq(bootopt_get(cmd), "1"));

	/* One giant token: nothing survives, nothing crashes. */
	memset(cmd, 0, sizeof(cmd));
	memset(cmd, 'z', sizeof(cmd) - 1);
	parse(cmd);
	HT_CHECK_EQ(bootopt_nwarnings(), 1);
	HT_CHECK(bootopt_get("z") == NULL);

	/* Many short tokens past the limit. */
	n = 0;
	for (int i = 0; n + 8 < sizeof(cmd); i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "q%d ", i % 50);
	parse(cmd);
	HT_CHECK(bootopt_nwarnings() >= 1);
	HT_CHECK(!cap.split_line);
}

static void
test_bool(void)
{
	static const struct {
		const char *val; /* option value */
		int want;        /* 1 true, 0 false, -1 invalid */
	} cases[] = {
	    {"1", 1},   {"yes", 1},    {"on", 1},     {"true", 1},
	    {"0", 0},   {"no", 0},     {"off", 0},    {"false", 0},
	    {"YES", 1}, {"Off", 0},    {"maybe", -1}, {"", -1},
	    {"2", -1},  {"truex", -1}, {"o", -1},     {"tru", -1},
	};
	char cmd[64];

	for (size_t i = 0; i < nitems(cases); i++) {
		snprintf(cmd, sizeof(cmd), "test.fail=%s", cases[i].val);
		parse(cmd);
		if (cases[i].want >= 0) {
			HT_CHECK_EQ(get_bool("test.fail", false),
			            cases[i].want);
			HT_CHECK_EQ(get_bool("test.fail", true), cases[i].want);
			HT_CHECK_EQ(bootopt_nerrors(), 0);
		} else {
			HT_CHECK_EQ(get_bool("test.fail", false), 0);
			HT_CHECK_EQ(get_bool("test.fail", true), 1);
			HT_CHECK_EQ(bootopt_nerrors(), 2);
			HT_CHECK(cap_has("bootopt: error: option 'test.fail': "
			                 "value '"));
			HT_CHECK(cap_has("is not a boolean"));
		}
	}
	HT_CHECK(!cap.split_line);
}

static void
test_u64(void)
{
	static const struct {
		const char *val; /* option value */
		uint64_t min;    /* allowed range */
		uint64_t max;
		bool ok;       /* expect the value, else the default */
		uint64_t want; /* expected value when ok */
	} cases[] = {
	    {"0", 0, 10, true, 0},
	    {"42", 0, 100, true, 42},
	    {"0x10", 0, 100, true, 16},
	    {"0X1f", 0, 100, true, 31},
	    {"0xABCdef", 0, UINT64_MAX, true, 0xabcdef},
	    {"007", 0, 100, true, 7},
	    {"18446744073709551615", 0, UINT64_MAX, true, UINT64_MAX},
	    {"0xffffffffffffffff", 0, UINT64_MAX, true, UINT64_MAX},
	    {"18446744073709551616", 0, UINT64_MAX, false, 0},
	    {"0x10000000000000000", 0, UINT64_MAX, false, 0},
	    {"99999999999999999999999", 0, UINT64_MAX, false, 0},
	    {"abc", 1, 256, false, 0},
	    {"12abc", 0, 100, false, 0},
	    {"", 0, 100, false, 0},
	    {"0x", 0, 100, false, 0},
	    {"-1", 0, 100, false, 0},
	    {"+1", 0, 100, false, 0},
	    {"1.5", 0, 100, false, 0},
	    {"0x1g", 0, 100, false, 0},
	    {"0", 1, 256, false, 0},
	    {"257", 1, 256, false, 0},
	    {"256", 1, 256, true, 256},
	    {"1", 1, 256, true, 1},
	};
	char cmd[64];

	for (size_t i = 0; i < nitems(cases); i++) {
		snprintf(cmd, sizeof(cmd), "smp.max=%s", cases[i].val);
		parse(cmd);
		uint64_t got =
		    get_u64("smp.max", 12345, cases[i].min, cases[i].max);
		if (cases[i].ok) {
			HT_CHECK(got == cases[i].want);
			HT_CHECK_EQ(bootopt_nerrors(), 0);
		} else {
			HT_CHECK(got == 12345);
			HT_CHECK_EQ(bootopt_nerrors(), 1);
			if (got != 12345 || bootopt_nerrors() != 1)
				printf("    # value '%s'\n", cases[i].val);
		}
	}

	/* The exact message the documentation promises. */
	parse("smp.max=abc");
	HT_CHECK_EQ(get_u64("smp.max", 256, 1, 256), 256);
	HT_CHECK(streq(cap.buf, "bootopt: error: option 'smp.max': value "
	                        "'abc' is not a number in [1, 256]; using "
	                        "256\n"));
	HT_CHECK_EQ(cap.nwrites, 1);
}

static void
test_lists(void)
{
	char buf[8];
	int items = 0;

	parse("test=a,,bb,ccc, stress=,,, console=verylongitem");
	HT_CHECK(list_has("test", "a"));
	HT_CHECK(list_has("test", "bb"));
	HT_CHECK(list_has("test", "ccc"));
	HT_CHECK(!list_has("test", ""));
	HT_CHECK(!list_has("test", "b"));
	HT_CHECK(!list_has("test", NULL));
	HT_CHECK(!list_has("nope", "a"));
	for (int i = 0; list_next("test", i, buf, sizeof(buf)) >= 0; i++)
		items++;
	HT_CHECK_EQ(items, 3);
	HT_CHECK_EQ(list_next("test", 2, buf, sizeof(buf)), 3);
	HT_CHECK(streq(buf, "ccc"));
	HT_CHECK_EQ(list_next("test", -1, buf, sizeof(buf)), -1);
	HT_CHECK_EQ(list_next("stress", 0, buf, sizeof(buf)), -1);
	HT_CHECK(!list_has("stress", ""));

	/* Truncation: strlcpy-style, full length returned. */
	HT_CHECK_EQ(list_next("console", 0, buf, sizeof(buf)), 12);
	HT_CHECK(streq(buf, "verylon"));
	HT_CHECK_EQ(list_next("console", 0, buf, 1), 12);
	HT_CHECK(streq(buf, ""));
	HT_CHECK_EQ(list_next("console", 0, NULL, 0), 12);

	/* A bare key is the one-item list "1". */
	parse("test");
	HT_CHECK(list_has("test", "1"));
	HT_CHECK_EQ(bootopt_nerrors() + bootopt_nwarnings(), 0);
}

static void
test_unknown(void)
{
	parse("foo=1 test=x bar apic=xapic htest.extra=3 stress.secs=2");
	HT_CHECK_EQ(bootopt_nwarnings(), 0);
	bootopt_check_unknown();
	HT_CHECK_EQ(bootopt_nwarnings(), 3);
	HT_CHECK(cap_has("bootopt: warning: unknown option 'foo' (ignored)\n"));
	HT_CHECK(cap_has("bootopt: warning: unknown option 'bar' (ignored)\n"));
	HT_CHECK(cap_has("unknown option 'stress.secs' (ignored)\n"));
	HT_CHECK(!cap_has("'htest.extra'"));
	HT_CHECK(!cap_has("'apic'"));
	HT_CHECK(!cap.split_line);

	/* Every option this program declares is known. */
	parse("test test.seed test.fail console smp.max stress stress.seconds "
	      "stress.seed bochs.break apic");
	bootopt_check_unknown();
	HT_CHECK_EQ(bootopt_nwarnings(), 0);

	cap_reset();
	bootopt_print_known();
	HT_CHECK(cap_has("smp.max"));
	HT_CHECK(cap_has("htest.extra"));
	HT_CHECK(cap_has("declared by the host test"));
}

/* xorshift64* so a fuzz failure reproduces from the iteration number. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void
test_fuzz(void)
{
	/* Bias toward bytes the parser treats specially. */
	static const char alpha[] = "ab.-_09=,= \t\t  /xA@";
	static const char *const keys[] = {
	    "a", "b", "ab", "test", "a.b", "", "smp.max", "x", "0", "-", "."};
	static char cmd[2048];
	char item[8];

	cap.discard = true;
	for (int iter = 0; iter < 50000; iter++) {
		size_t len = rng() % (iter % 16 == 0 ? sizeof(cmd) : 64);

		for (size_t i = 0; i < len; i++) {
			uint64_t r = rng();

			cmd[i] = (r & 0x300) ? alpha[r % (sizeof(alpha) - 1)]
			                     : (char)(r >> 16);
		}
		cmd[len] = '\0';
		parse(cmd);

		for (size_t k = 0; k < nitems(keys); k++) {
			const char *v = bootopt_get(keys[k]);

			/* Values never contain a separator. */
			if (v != NULL)
				HT_CHECK(strchr(v, ' ') == NULL &&
				         strchr(v, '\t') == NULL);
			(void)get_bool(keys[k], false);
			(void)get_u64(keys[k], 0, 0, 1000);
			(void)list_has(keys[k], "a");
			for (int i = 0; i < 4; i++)
				(void)list_next(keys[k], i, item, sizeof(item));
		}
		bootopt_check_unknown();
		HT_CHECK(!cap.split_line);
		if (ht_failed_now > 20)
			break;
	}
	cap.discard = false;
}

/*
 * Typed options: bootopt_init() stores each given value into its
 * variable, a bad or out-of-range one leaves the default with an error
 * naming the key and the range, and a later init with the option absent
 * puts the default back.
 */
static void
test_typed(void)
{
	char buf[8];

	parse("typed.int=64 typed.u64=0xffffffffffffffff typed.bool=off "
	      "typed.str=a,,bc");
	HT_CHECK_EQ(bootopt_nerrors(), 0);
	HT_CHECK_EQ(h_typed_int, 64);
	HT_CHECK(h_typed_u64 == UINT64_MAX);
	HT_CHECK(!h_typed_bool);
	HT_CHECK(streq(h_typed_str, "a,,bc"));
	HT_CHECK(optlist_has(h_typed_str, "bc"));
	HT_CHECK(!optlist_has(h_typed_str, ""));
	HT_CHECK(!optlist_has(NULL, "a"));
	HT_CHECK_EQ(optlist_item(h_typed_str, 1, buf, sizeof(buf)), 2);
	HT_CHECK(streq(buf, "bc"));
	HT_CHECK_EQ(optlist_item(h_typed_str, 2, buf, sizeof(buf)), -1);

	parse("typed.int=65 typed.bool=maybe typed.u64=-1");
	HT_CHECK_EQ(bootopt_nerrors(), 3);
	HT_CHECK_EQ(h_typed_int, 8);
	HT_CHECK(h_typed_bool);
	HT_CHECK_EQ(h_typed_u64, 5);
	HT_CHECK(cap_has("option 'typed.int': value '65' is not a number in "
	                 "[1, 64]; using 8"));
	HT_CHECK(cap_has("'typed.bool'"));
	HT_CHECK(h_typed_str == NULL);

	parse("typed.int=0");
	HT_CHECK_EQ(bootopt_nerrors(), 1);
	HT_CHECK_EQ(h_typed_int, 8);
	parse("");
	HT_CHECK_EQ(h_typed_int, 8);
	HT_CHECK(h_typed_bool);
	HT_CHECK(h_typed_str == NULL);
}

int
main(void)
{
	ht_begin();
	ht_run("basic", test_basic);
	ht_run("kernel_path", test_kernel_path);
	ht_run("empty", test_empty);
	ht_run("bare_and_separators", test_bare_and_separators);
	ht_run("repeated", test_repeated);
	ht_run("bad_tokens", test_bad_tokens);
	ht_run("too_many_tokens", test_too_many_tokens);
	ht_run("long_cmdline", test_long_cmdline);
	ht_run("bool", test_bool);
	ht_run("u64", test_u64);
	ht_run("lists", test_lists);
	ht_run("typed", test_typed);
	ht_run("unknown", test_unknown);
	ht_run("fuzz", test_fuzz);
	return ht_done();
}
