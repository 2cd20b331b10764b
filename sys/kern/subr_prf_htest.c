/*
 * Host test for the kernel printf (sys/kern/subr_prf.c).
 *
 * The host libc's snprintf is the reference: for everything C99 defines,
 * ksnprintf() must produce the same bytes and the same return value.  A
 * fixed table crosses many formats with edge values, and a seeded random
 * generator builds thousands of integer directives (flags, widths,
 * precisions, '*', length modifiers) with random values and random
 * (truncating) buffer sizes.  The kernel-only behaviour -- %p, NULL %s,
 * unknown conversions, clamped widths -- is checked against fixed
 * expectations, and kprintf()'s 512-byte chunking is checked by capturing
 * cons_puts() (this file's strong definition overrides the weak one in
 * test/host/host_support.c).
 */
#include <sys/systm.h>
#include <sys/cons.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "htest.h"

#define CAP_MAX    8192 /* bytes of console output one test may capture */
#define CAP_CHUNKS 64   /* cons_puts() calls one test may capture */

/* Console capture for the kprintf() tests. */
static struct {
	bool on;                  /* capture instead of writing to stdout */
	char buf[CAP_MAX];        /* captured bytes */
	size_t len;               /* bytes in buf */
	size_t chunk[CAP_CHUNKS]; /* length of each cons_puts() call */
	int nchunk;               /* cons_puts() calls seen */
} cap;

void
cons_puts(const char *s, size_t len)
{
	if (!cap.on) {
		fwrite(s, 1, len, stdout);
		return;
	}
	if (cap.nchunk < CAP_CHUNKS)
		cap.chunk[cap.nchunk] = len;
	cap.nchunk++;
	if (cap.len + len <= sizeof(cap.buf)) {
		memcpy(cap.buf + cap.len, s, len);
		cap.len += len;
	}
}

static void
cap_start(void)
{
	memset(&cap, 0, sizeof(cap));
	cap.on = true;
}

static int ncompared; /* ksnprintf/snprintf pairs compared, for the log */

/* Compare one ksnprintf() result with the host's snprintf(). */
static void
cmp_result(const char *what, const char *fmt, int rk, const char *kb, int rh,
           const char *hb, size_t size)
{
	ncompared++;
	if (rk == rh && (size == 0 || memcmp(kb, hb, strlen(hb) + 1) == 0))
		return;
	printf("    # mismatch %s fmt \"%s\" size %zu: kernel %d \"%s\", "
	       "host %d \"%s\"\n",
	       what, fmt, size, rk, size ? kb : "", rh, size ? hb : "");
	ht_failed_now++;
}

/* Literal formats: compiled with format checking on both sides. */
#define CMP(...)                                                               \
	do {                                                                   \
		char kb_[256], hb_[256];                                       \
		int rk_ = ksnprintf(kb_, sizeof(kb_), __VA_ARGS__);            \
		int rh_ = snprintf(hb_, sizeof(hb_), __VA_ARGS__);             \
		cmp_result(#__VA_ARGS__, "", rk_, kb_, rh_, hb_, sizeof(kb_)); \
	} while (0)

static void
test_literals(void)
{
	CMP("plain text");
	CMP("%s", "");
	CMP("%d %i %u", 1, -2, 3u);
	CMP("%d", INT_MIN);
	CMP("%d", INT_MAX);
	CMP("%u", UINT_MAX);
	CMP("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0777u);
	CMP("%ld %lu %lx", LONG_MIN, ULONG_MAX, ULONG_MAX);
	CMP("%lld %llu %llx", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL);
	CMP("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)4096, (size_t)-5);
	CMP("%jd %ju", INTMAX_MIN, UINTMAX_MAX);
	CMP("%td %tx", (ptrdiff_t)-77, (ptrdiff_t)77);
	/* Out-of-range h/hh values are in the table (clang rejects them here). */
	CMP("%hd %hu %hx", (short)-5, (unsigned short)65535, (unsigned short)7);
	CMP("%hhd %hhu %hhx", (signed char)-128, (unsigned char)255,
	    (unsigned char)0xab);
	CMP("[%5d] [%-5d] [%05d]", 42, 42, 42);
	CMP("[%+d] [% d]", 42, 42);
	CMP("[%+d] [% d]", -42, -42);
	CMP("[%.5d] [%.0d] [%.0d] [%5.0d]", 42, 0, 1, 0);
	CMP("[%8.3d] [%-8d] [%-+8.3d]", -4, -4, 4);
	CMP("[%#x] [%#X] [%#o] [%#x] [%#o]", 255u, 255u, 8u, 0u, 0u);
	CMP("[%#.0o] [%#.0x] [%#5.3o] [%#08x]", 0u, 0u, 8u, 0xabu);
	CMP("[%#.8o] [%#3o] [%#-10x|]", 0123u, 0u, 0x1u);
	CMP("[%*d] [%-*d] [%*d]", 6, 7, 6, 7, -6, 7);
	CMP("[%.*d] [%.*d] [%*.*d]", 4, 7, -1, 7, 8, -3, 7);
	CMP("[%0*d]", 8, -123);
	CMP("%s|%10s|%-10s|", "abc", "abc", "abc");
	CMP("%.2s|%10.2s|%-10.0s|", "abc", "abc", "abc");
	CMP("%.*s|%.*s|", 1, "xyz", -1, "xyz");
	CMP("%c%c%c|%3c|%-3c|", 'a', 'b', 'c', 'x', 'y');
	CMP("100%% %5s%%", "done");
	CMP("%s=%d, %s=%#lx\n", "pid", 1, "addr", 0xffffffff80000000UL);
	CMP("%-20s%08llx%5.2u", "mixed:", 0xcafeULL, 3u);
}

/* Values crossed with every format of the matching argument type. */
static const char *const int_fmts[] = {
    "%d",        "%i",      "%u",     "%x",     "%X",     "%o",     "%5d",
    "%-5d|",     "%05d",    "%+d",    "% d",    "%+05d",  "% 05d",  "%.3d",
    "%8.3d",     "%-8.3d|", "%08.3d", "%.0d",   "%5.0d",  "%+.0d",  "%#x",
    "%#X",       "%#o",     "%#08x",  "%#-8x|", "%#.0x",  "%#.0o",  "%#10.4o",
    "%-#10.6X|", "%hd",     "%hu",    "%hx",    "%hhd",   "%hhu",   "%hho",
    "%20u",      "%-20x|",  "%020o",  "%.20d",  "%+.20i", "%1d",    "%0d",
    "%+u",       "% x",     "%+ d",   "% +d",   "%-05d|", "%0-5d|", "%08.3d",
    "%-08.3x|",  "%+#o",    "%+ 08x"};
static const int int_vals[] = {
    0,       1,           -1,         7,          -7,    9,       10,
    42,      -42,         127,        128,        -128,  255,     256,
    32767,   -32768,      65535,      65536,      99999, 1000000, 0x7fffffff,
    INT_MIN, INT_MIN + 1, 0x12345678, -0x12345678};

static const char *const ll_fmts[] = {
    "%lld",   "%lli",   "%llu",      "%llx",  "%llX",   "%llo",     "%ld",
    "%lu",    "%lx",    "%jd",       "%ju",   "%jx",    "%zd",      "%zu",
    "%zx",    "%td",    "%tu",       "%to",   "%25lld", "%-25lld|", "%025lld",
    "%+lld",  "% lld",  "%.22llo",   "%#llo", "%#llx",  "%#30llX",  "%-#30llx|",
    "%.0lld", "%+.0ld", "%030.25lx", "%qd",   "%qu"};
static const long long ll_vals[] = {0,
                                    1,
                                    -1,
                                    10,
                                    -10,
                                    4294967295LL,
                                    4294967296LL,
                                    -4294967296LL,
                                    LLONG_MAX,
                                    LLONG_MIN,
                                    LLONG_MIN + 1,
                                    0x0123456789abcdefLL,
                                    -0x0123456789abcdefLL,
                                    1000000000000000000LL,
                                    999999999999999999LL,
                                    0x8000000000000LL};

static const char *const str_fmts[] = {"%s",     "%10s",     "%-10s|", "%.3s",
                                       "%10.3s", "%-10.3s|", "%.0s",   "%1s",
                                       "%.100s", "%3.1s",    "[%s]"};
static const char *const str_vals[] = {"",
                                       "a",
                                       "abc",
                                       "hello",
                                       "hello, world",
                                       "tab\tand\nnewline",
                                       "0123456789abcdefghij"};

static void
test_table(void)
{
	char kb[256], hb[256];
	int rk, rh;

	for (size_t f = 0; f < nitems(int_fmts); f++) {
		for (size_t v = 0; v < nitems(int_vals); v++) {
			rk =
			    ksnprintf(kb, sizeof(kb), int_fmts[f], int_vals[v]);
			rh = snprintf(hb, sizeof(hb), int_fmts[f], int_vals[v]);
			cmp_result("int", int_fmts[f], rk, kb, rh, hb,
			           sizeof(kb));
		}
	}
	for (size_t f = 0; f < nitems(ll_fmts); f++) {
		for (size_t v = 0; v < nitems(ll_vals); v++) {
			rk = ksnprintf(kb, sizeof(kb), ll_fmts[f], ll_vals[v]);
			rh = snprintf(hb, sizeof(hb), ll_fmts[f], ll_vals[v]);
			cmp_result("long long", ll_fmts[f], rk, kb, rh, hb,
			           sizeof(kb));
		}
	}
	for (size_t f = 0; f < nitems(str_fmts); f++) {
		for (size_t v = 0; v < nitems(str_vals); v++) {
			rk =
			    ksnprintf(kb, sizeof(kb), str_fmts[f], str_vals[v]);
			rh = snprintf(hb, sizeof(hb), str_fmts[f], str_vals[v]);
			cmp_result("string", str_fmts[f], rk, kb, rh, hb,
			           sizeof(kb));
		}
	}
	for (int c = 1; c < 256; c++) {
		rk = ksnprintf(kb, sizeof(kb), "<%c|%4c|%-4c>", c, c, c);
		rh = snprintf(hb, sizeof(hb), "<%c|%4c|%-4c>", c, c, c);
		cmp_result("char", "<%c|%4c|%-4c>", rk, kb, rh, hb, sizeof(kb));
	}
}

/* Small deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned
rng_below(unsigned n)
{
	return (unsigned)(rng() % n);
}

/* A random value, biased toward the interesting sizes and edges. */
static uint64_t
rng_value(void)
{
	static const uint64_t edge[] = {0,
	                                1,
	                                UINT64_MAX,
	                                INT64_MAX,
	                                (uint64_t)INT64_MIN,
	                                UINT32_MAX,
	                                INT32_MAX,
	                                (uint64_t)INT32_MIN,
	                                0xff,
	                                0x80,
	                                0xffff,
	                                0x8000};
	unsigned bits;

	if (rng_below(8) == 0)
		return edge[rng_below(nitems(edge))];
	bits = 1 + rng_below(64);
	return rng() >> (64 - bits);
}

enum lenmod { LM_NONE, LM_HH, LM_H, LM_L, LM_LL, LM_Z, LM_J, LM_T, LM_N };

/* Pass value as the type the length modifier expects, after the stars. */
#define CALL_BOTH(T)                                                           \
	do {                                                                   \
		T v_ = (T)val;                                                 \
		if (nstar == 0) {                                              \
			rk = ksnprintf(kp, size, fmt, v_);                     \
			rh = snprintf(hp, size, fmt, v_);                      \
		} else if (nstar == 1) {                                       \
			rk = ksnprintf(kp, size, fmt, s1, v_);                 \
			rh = snprintf(hp, size, fmt, s1, v_);                  \
		} else {                                                       \
			rk = ksnprintf(kp, size, fmt, s1, s2, v_);             \
			rh = snprintf(hp, size, fmt, s1, s2, v_);              \
		}                                                              \
	} while (0)

static void
test_random_ints(void)
{
	static const char *const lmstr[LM_N] = {"",   "hh", "h", "l",
	                                        "ll", "z",  "j", "t"};
	static const char conv[] = "diuxXo";
	char fmt[96], kb[160], hb[160];
	int rk, rh;

	for (int iter = 0; iter < 50000; iter++) {
		char c = conv[rng_below(sizeof(conv) - 1)];
		enum lenmod lm = (enum lenmod)rng_below(LM_N);
		uint64_t val = rng_value();
		int nstar = 0, s1 = 0, s2 = 0, n = 0;
		size_t size;
		char *kp = kb, *hp = hb;

		/* Random literal text around the directive. */
		if (rng_below(2))
			n += snprintf(fmt + n, sizeof(fmt) - n, "ab");
		fmt[n++] = '%';
		if (rng_below(4) == 0)
			fmt[n++] = '-';
		if (rng_below(4) == 0)
			fmt[n++] = '0';
		if (rng_below(4) == 0 && (c == 'x' || c == 'X' || c == 'o'))
			fmt[n++] = '#';
		if (rng_below(4) == 0)
			fmt[n++] = '+';
		if (rng_below(4) == 0)
			fmt[n++] = ' ';
		switch (rng_below(3)) {
		case 0:
			break;
		case 1:
			n += snprintf(fmt + n, sizeof(fmt) - n, "%u",
			              1 + rng_below(40));
			break;
		default:
			fmt[n++] = '*';
			s1 = (int)rng_below(81) - 40;
			nstar++;
		}
		switch (rng_below(4)) {
		case 0:
			break;
		case 1:
			fmt[n++] = '.';
			break;
		case 2:
			n += snprintf(fmt + n, sizeof(fmt) - n, ".%u",
			              rng_below(30));
			break;
		default:
			n += snprintf(fmt + n, sizeof(fmt) - n, ".*");
			if (nstar == 0)
				s1 = (int)rng_below(61) - 30;
			else
				s2 = (int)rng_below(61) - 30;
			nstar++;
		}
		n += snprintf(fmt + n, sizeof(fmt) - n, "%s%c%s", lmstr[lm], c,
		              rng_below(2) ? "|z" : "");

		/* Mostly full buffers, sometimes truncating ones (even 0). */
		size = rng_below(4) ? sizeof(kb) : rng_below(24);
		if (size == 0 && rng_below(2)) {
			kp = NULL;
			hp = NULL;
		}
		memset(kb, 'K', sizeof(kb));
		memset(hb, 'K', sizeof(hb));

		switch (lm) {
		case LM_NONE:
		case LM_HH:
		case LM_H:
			CALL_BOTH(int);
			break;
		case LM_L:
			CALL_BOTH(long);
			break;
		case LM_LL:
			CALL_BOTH(long long);
			break;
		case LM_Z:
			CALL_BOTH(size_t);
			break;
		case LM_J:
			CALL_BOTH(intmax_t);
			break;
		default:
			CALL_BOTH(ptrdiff_t);
			break;
		}
		cmp_result("random", fmt, rk, kb, rh, hb, size);
		/* Nothing may be written past the buffer size. */
		if (kp != NULL && size < sizeof(kb))
			HT_CHECK(kb[size] == 'K');
		if (ht_failed_now > 20)
			break; /* one bug, not thousands of lines of it */
	}
}

/* Return values and termination when the buffer is too small. */
static void
test_truncation(void)
{
	char buf[16];
	int r;

	memset(buf, 'X', sizeof(buf));
	r = ksnprintf(buf, 5, "%s", "hello world");
	HT_CHECK_EQ(r, 11);
	HT_CHECK(strcmp(buf, "hell") == 0);
	HT_CHECK(buf[5] == 'X');

	memset(buf, 'X', sizeof(buf));
	r = ksnprintf(buf, 1, "%d", 12345);
	HT_CHECK_EQ(r, 5);
	HT_CHECK(buf[0] == '\0' && buf[1] == 'X');

	memset(buf, 'X', sizeof(buf));
	r = ksnprintf(buf, 0, "%d", 12345);
	HT_CHECK_EQ(r, 5);
	HT_CHECK(buf[0] == 'X');

	r = ksnprintf(NULL, 0, "%s-%d", "abc", 7);
	HT_CHECK_EQ(r, 5);

	r = ksnprintf(buf, 6, "%5s", "ab");
	HT_CHECK_EQ(r, 5);
	HT_CHECK(strcmp(buf, "   ab") == 0);

	/* An embedded NUL from %c counts and is stored like any byte. */
	memset(buf, 'X', sizeof(buf));
	r = ksnprintf(buf, sizeof(buf), "a%cb", 0);
	HT_CHECK_EQ(r, 3);
	HT_CHECK(memcmp(buf, "a\0b\0", 4) == 0);
}

/* Behaviour the kernel defines on its own (not compared with libc). */
static void
test_kernel_specific(void)
{
	char buf[64];
	const char *volatile nullstr = NULL; /* hide NULL from -Wformat */
	const char *volatile fmt;
	char notterm[3] = {'a', 'b', 'c'};
	volatile int minint = INT_MIN, maxint = INT_MAX; /* hide from gcc */
	int r;

	r = ksnprintf(buf, sizeof(buf), "%p", (void *)0x1234);
	HT_CHECK_EQ(r, 6);
	HT_CHECK(strcmp(buf, "0x1234") == 0);
	ksnprintf(buf, sizeof(buf), "%p", (void *)NULL);
	HT_CHECK(strcmp(buf, "0x0") == 0);
	ksnprintf(buf, sizeof(buf), "[%18p]", (void *)0xffffffff80001000UL);
	HT_CHECK(strcmp(buf, "[0xffffffff80001000]") == 0);
	ksnprintf(buf, sizeof(buf), "[%10p][%-10p]", (void *)0xab,
	          (void *)0xcd);
	HT_CHECK(strcmp(buf, "[      0xab][0xcd      ]") == 0);

	r = ksnprintf(buf, sizeof(buf), "%s", nullstr);
	HT_CHECK_EQ(r, 6);
	HT_CHECK(strcmp(buf, "(null)") == 0);
	ksnprintf(buf, sizeof(buf), "[%8s]", nullstr);
	HT_CHECK(strcmp(buf, "[  (null)]") == 0);

	/* Precision bounds the read: ASan fails this if it overruns. */
	ksnprintf(buf, sizeof(buf), "%.3s|%.*s", notterm, 2, notterm);
	HT_CHECK(strcmp(buf, "abc|ab") == 0);

	/* Unknown or incomplete directives come out verbatim. */
	static const struct {
		const char *fmt; /* format with no argument-taking directive */
		const char *out; /* expected output */
	} verbatim[] = {
	    {"%y", "%y"},
	    {"a%-5yb", "a%-5yb"},
	    {"abc%", "abc%"},
	    {"%5", "%5"},
	    {"%ll", "%ll"},
	    {"%lly", "%lly"},
	    {"%n", "%n"},
	    {"%f %e %g", "%f %e %g"},
	    {"%%", "%"},
	    {"100%%!", "100%!"},
	    {"%.", "%."},
	    {"%#0- +", "%#0- +"},
	    {"%h %hh %q", "%h %hh %q"},
	};
	for (size_t i = 0; i < nitems(verbatim); i++) {
		fmt = verbatim[i].fmt;
		/* A dummy argument keeps -Wformat-security quiet. */
		r = ksnprintf(buf, sizeof(buf), fmt, 0);
		HT_CHECK(strcmp(buf, verbatim[i].out) == 0);
		HT_CHECK_EQ(r, strlen(verbatim[i].out));
	}

	fmt = NULL;
	r = ksnprintf(buf, sizeof(buf), fmt, 0);
	HT_CHECK(r > 0 && buf[0] != '\0');

	/* Absurd widths are clamped, not overflowed. */
	r = ksnprintf(buf, 8, "%*d", minint, 5);
	HT_CHECK_EQ(r, 1000000);
	HT_CHECK(strcmp(buf, "5      ") == 0);
	fmt = "%99999999999999999999d";
	r = ksnprintf(buf, 8, fmt, 5);
	HT_CHECK_EQ(r, 1000000);
	HT_CHECK(strcmp(buf, "       ") == 0);
	r = ksnprintf(buf, 8, "%.*d", maxint, 5);
	HT_CHECK_EQ(r, 1000000);
	HT_CHECK(strcmp(buf, "0000000") == 0);
}

/*
 * Formats built only from non-converting characters must be printed
 * without consuming arguments and without crashing, whatever the order.
 */
static void
test_fuzz_verbatim(void)
{
	static const char alpha[] = "%-0#+ .123456789hlqjztyYnfgeEaAbwk%%ab";
	char fmt[40], buf[128];
	const char *volatile vf = fmt;
	int r;

	for (int iter = 0; iter < 20000; iter++) {
		int n = (int)rng_below(sizeof(fmt) - 1);

		for (int i = 0; i < n; i++)
			fmt[i] = alpha[rng_below(sizeof(alpha) - 1)];
		fmt[n] = '\0';
		memset(buf, 'Z', sizeof(buf));
		r = ksnprintf(buf, sizeof(buf), vf, 0);
		/* Digits in a width only add padding; stay in bounds. */
		HT_CHECK(r >= 0);
		if (r < (int)sizeof(buf))
			HT_CHECK_EQ(strlen(buf), r);
		else
			HT_CHECK_EQ(strlen(buf), sizeof(buf) - 1);
		if (ht_failed_now > 20)
			break;
	}
}

static void
test_kprintf_chunks(void)
{
	static const int lens[] = {0,   1,    100,  511,  512,
	                           513, 1024, 1025, 1300, 4000};
	char big[4096];
	int r;

	cap_start();
	r = kprintf("hello %d\n", 42);
	cap.on = false;
	HT_CHECK_EQ(r, 9);
	HT_CHECK_EQ(cap.nchunk, 1);
	HT_CHECK(cap.len == 9 && memcmp(cap.buf, "hello 42\n", 9) == 0);

	for (int i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	for (size_t t = 0; t < nitems(lens); t++) {
		int len = lens[t], want = (len + 511) / 512;

		cap_start();
		r = kprintf("%.*s", len, big);
		cap.on = false;
		HT_CHECK_EQ(r, len);
		HT_CHECK_EQ(cap.nchunk, want);
		HT_CHECK_EQ(cap.len, len);
		HT_CHECK(memcmp(cap.buf, big, len) == 0);
		for (int c = 0; c < cap.nchunk; c++)
			HT_CHECK_EQ(cap.chunk[c], c < want - 1
			                              ? 512
			                              : len - 512 * (want - 1));
	}

	/* Padding alone can span chunks too. */
	cap_start();
	r = kprintf("%1500d|", 7);
	cap.on = false;
	HT_CHECK_EQ(r, 1501);
	HT_CHECK_EQ(cap.nchunk, 3);
	HT_CHECK(cap.len == 1501 && cap.buf[1499] == '7' &&
	         cap.buf[1500] == '|');
}

int
main(void)
{
	ht_begin();
	ht_run("literals", test_literals);
	ht_run("table", test_table);
	ht_run("random_ints", test_random_ints);
	ht_run("truncation", test_truncation);
	ht_run("kernel_specific", test_kernel_specific);
	ht_run("fuzz_verbatim", test_fuzz_verbatim);
	ht_run("kprintf_chunks", test_kprintf_chunks);
	printf("# %d ksnprintf/snprintf pairs compared\n", ncompared);
	return ht_done();
}
