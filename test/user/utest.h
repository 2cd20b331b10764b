/*
 * utest.h - KTAP output for the user-mode test programs (test/user/).
 *
 * Each program is one nested KTAP subtest, indented four spaces so that
 * it nests inside the kernel's "user" suite case that ran it (see
 * sys/kern/kern_userboot.c); on Linux the same lines are printed as they
 * are.  CHECK records a failure with file:line and continues; the
 * program's exit status is the number of failed cases (0: all passed),
 * which the kernel reports and requires to be 0.
 *
 * Output goes through write(2) directly, one whole line per call, so
 * lines from threads on different CPUs never interleave.
 */
#ifndef UTEST_H
#define UTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int ut_case_no, ut_failed_cases,
    ut_case_failures __attribute__((unused));
static const char *ut_case_name __attribute__((unused));

static void __attribute__((format(printf, 1, 2))) ut_line(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	memcpy(buf, "    ", 4);
	va_start(ap, fmt);
	n = vsnprintf(buf + 4, sizeof(buf) - 5, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 6)
		n = (int)sizeof(buf) - 6;
	buf[4 + n] = '\n';
	(void)!write(1, buf, (size_t)(5 + n));
}

static void
ut_begin(const char *prog, int ncases)
{
	ut_line("KTAP version 1");
	ut_line("# Subtest: %s", prog);
	ut_line("1..%d", ncases);
}

#define UT_CASE(fn)                                                            \
	do {                                                                   \
		ut_case_name = #fn;                                            \
		ut_case_failures = 0;                                          \
		fn();                                                          \
		ut_case_no++;                                                  \
		if (ut_case_failures) {                                        \
			ut_failed_cases++;                                     \
			ut_line("not ok %d %s", ut_case_no, #fn);              \
		} else {                                                       \
			ut_line("ok %d %s", ut_case_no, #fn);                  \
		}                                                              \
	} while (0)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			ut_line("# %s: %s:%d: failed: %s", ut_case_name,       \
			        __FILE__, __LINE__, #cond);                    \
			ut_case_failures++;                                    \
		}                                                              \
	} while (0)

/* A raw system call's result is -errno: check both value and errno. */
#define CHECK_ERR(expr, err)                                                   \
	do {                                                                   \
		long r_ = (long)(expr);                                        \
		if (r_ != -(long)(err)) {                                      \
			ut_line("# %s: %s:%d: %s = %ld, expected -%s (%d)",    \
			        ut_case_name, __FILE__, __LINE__, #expr, r_,   \
			        #err, (int)(err));                             \
			ut_case_failures++;                                    \
		}                                                              \
	} while (0)

static int __attribute__((unused)) ut_end(void)
{
	ut_line("%d passed, %d failed", ut_case_no - ut_failed_cases,
	        ut_failed_cases);
	return ut_failed_cases;
}

/* Raw system calls: no libc errno translation, exact kernel results. */
static inline long
ut_sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
	                 : "=a"(r)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
	                   "r"(r9)
	                 : "rcx", "r11", "memory");
	return r;
}
#define SYS0(n)          ut_sys6((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a)       ut_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b)    ut_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) ut_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d)                                                    \
	ut_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS6(n, a, b, c, d, e, f)                                              \
	ut_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e),    \
	        (long)(f))

/* Addresses no user access may reach: kernel DMAP, per-CPU, image. */
#define KADDR_DMAP    0xffff800000100000ul
#define KADDR_PERCPU  0xffffff8000000000ul
#define KADDR_KERNEL  0xffffffff80200000ul
#define ADDR_NONCANON 0x0000900000000000ul

#endif /* UTEST_H */
