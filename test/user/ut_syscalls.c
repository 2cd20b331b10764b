/*
 * ut_syscalls.c - every implemented system call: success and error
 * cases, compared with Linux's documented results (the same binary runs
 * on Linux and must pass there too), and bad pointers (NULL, unmapped,
 * kernel, non-canonical) giving EFAULT.
 */
#include "utest.h"

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#define PG 4096ul

static const long bad_ptrs[] = {
    0, 8, KADDR_DMAP, KADDR_PERCPU, KADDR_KERNEL, (long)ADDR_NONCANON};
#define NBAD (int)(sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))

static void
t_write(void)
{
	static const char msg[] = "    # write to the console\n";
	int i;

	CHECK(SYS3(SYS_write, 1, msg, sizeof(msg) - 1) ==
	      (long)sizeof(msg) - 1);
	CHECK(SYS3(SYS_write, 1, msg, 0) == 0);
	CHECK_ERR(SYS3(SYS_write, 1000, msg, 1), EBADF);
	CHECK_ERR(SYS3(SYS_write, -1, msg, 1), EBADF);
	for (i = 0; i < NBAD; i++)
		CHECK_ERR(SYS3(SYS_write, 1, bad_ptrs[i], 5), EFAULT);
}

static void
t_writev(void)
{
	struct iovec iov[2] = {{"    # writev ", 13}, {"line\n", 5}};
	struct iovec bad = {(void *)KADDR_KERNEL, 4};
	int i;

	CHECK(SYS3(SYS_writev, 1, iov, 2) == 18);
	CHECK(SYS3(SYS_writev, 1, iov, 0) == 0);
	CHECK_ERR(SYS3(SYS_writev, 1, iov, -1), EINVAL);
	CHECK_ERR(SYS3(SYS_writev, 1, iov, 1025), EINVAL);
	CHECK_ERR(SYS3(SYS_writev, 1000, iov, 1), EBADF);
	CHECK_ERR(SYS3(SYS_writev, 1, &bad, 1), EFAULT);
	for (i = 0; i < NBAD; i++)
		CHECK_ERR(SYS3(SYS_writev, 1, bad_ptrs[i], 1), EFAULT);
}

static void
t_read(void)
{
	char c;

	CHECK_ERR(SYS3(SYS_read, 1000, &c, 1), EBADF);
	CHECK(SYS3(SYS_read, 0, &c, 0) == 0);
}

static void
t_mmap(void)
{
	long a, b;
	volatile char *p;

	CHECK_ERR(
	    SYS6(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	    EINVAL);
	CHECK_ERR(SYS6(SYS_mmap, 0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 1),
	          EINVAL);
	CHECK_ERR(SYS6(SYS_mmap, 0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0),
	          EINVAL);
	CHECK_ERR(SYS6(SYS_mmap, 0, PG, PROT_READ, MAP_PRIVATE, 1000, 0),
	          EBADF);
	CHECK_ERR(SYS6(SYS_mmap, 0x10000001, PG, PROT_READ,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
	          EINVAL);
	CHECK_ERR(SYS6(SYS_mmap, 0, 1ul << 47, PROT_READ,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	          ENOMEM);
	CHECK_ERR(SYS6(SYS_mmap, 0, -1l, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0),
	          ENOMEM);
	CHECK_ERR(SYS6(SYS_mmap, 0x7ffffffff000 - PG, 2 * PG, PROT_READ,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
	          ENOMEM);
	a = SYS6(SYS_mmap, 0, 3 * PG, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a > 0 && (a & (PG - 1)) == 0);
	p = (volatile char *)a;
	CHECK(p[0] == 0 && p[3 * PG - 1] == 0); /* demand-zero */
	p[PG] = 42;
	CHECK(p[PG] == 42);
	/* NOREPLACE over a mapping: EEXIST; FIXED replaces (zero again). */
	CHECK_ERR(SYS6(SYS_mmap, a, PG, PROT_READ,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
	               0),
	          EEXIST);
	b = SYS6(SYS_mmap, a + PG, PG, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(b == a + (long)PG);
	CHECK(p[PG] == 0);
	CHECK(SYS2(SYS_munmap, a, 3 * PG) == 0);
	/* A free hint is taken as is. */
	b = SYS6(SYS_mmap, a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	         0);
	CHECK(b == a);
	CHECK(SYS2(SYS_munmap, b, PG) == 0);
	/* MAP_POPULATE and MAP_SHARED anonymous work too. */
	b = SYS6(SYS_mmap, 0, 4 * PG, PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK(b > 0);
	CHECK(SYS2(SYS_munmap, b, 4 * PG) == 0);
}

/* Address space exhaustion: ENOMEM (reservations cost no memory). */
static void
t_mmap_enomem(void)
{
	long a[16], r = 0;
	int i, n;

	for (n = 0; n < 16; n++) {
		r = SYS6(SYS_mmap, 0, 1ul << 44, PROT_NONE,
		         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r < 0)
			break;
		a[n] = r;
	}
	CHECK(n < 16 && n >= 4);
	CHECK_ERR(r, ENOMEM);
	for (i = 0; i < n; i++)
		CHECK(SYS2(SYS_munmap, a[i], 1ul << 44) == 0);
}

static void
t_munmap(void)
{
	long a = SYS6(SYS_mmap, 0, 4 * PG, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(a > 0);
	CHECK_ERR(SYS2(SYS_munmap, a + 1, PG), EINVAL);
	CHECK_ERR(SYS2(SYS_munmap, a, 0), EINVAL);
	CHECK_ERR(SYS2(SYS_munmap, KADDR_KERNEL, PG), EINVAL);
	CHECK_ERR(SYS2(SYS_munmap, a, -1l), EINVAL);
	/* The middle page: splits the mapping; unmapped twice is fine. */
	CHECK(SYS2(SYS_munmap, a + PG, PG) == 0);
	CHECK(SYS2(SYS_munmap, a + PG, PG) == 0);
	((volatile char *)a)[0] = 1;
	((volatile char *)a)[2 * PG] = 1;
	CHECK(SYS2(SYS_munmap, a, 4 * PG) == 0);
}

static void
t_mprotect(void)
{
	long a = SYS6(SYS_mmap, 0, 4 * PG, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(a > 0);
	CHECK_ERR(SYS3(SYS_mprotect, a + 1, PG, PROT_READ), EINVAL);
	CHECK(SYS3(SYS_mprotect, a, 0, PROT_READ) == 0);
	CHECK_ERR(SYS3(SYS_mprotect, a, PG, 0x10), EINVAL);
	CHECK_ERR(SYS3(SYS_mprotect, a, -4096l, PROT_READ), ENOMEM);
	CHECK(SYS2(SYS_munmap, a + 2 * PG, PG) == 0);
	CHECK_ERR(SYS3(SYS_mprotect, a, 4 * PG, PROT_READ), ENOMEM); /* hole */
	CHECK(SYS3(SYS_mprotect, a, PG, PROT_READ) == 0);
	CHECK(((volatile char *)a)[0] == 0);
	/* Widen again: the next write faults the permission in. */
	CHECK(SYS3(SYS_mprotect, a, PG, PROT_READ | PROT_WRITE) == 0);
	((volatile char *)a)[0] = 7;
	CHECK(((volatile char *)a)[0] == 7);
	CHECK(SYS2(SYS_munmap, a, 4 * PG) == 0);
}

static void
t_madvise(void)
{
	long a = SYS6(SYS_mmap, 0, 2 * PG, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *p = (volatile char *)a;

	CHECK(a > 0);
	p[0] = 1;
	p[PG] = 2;
	CHECK_ERR(SYS3(SYS_madvise, a, PG, 999), EINVAL);
	CHECK_ERR(SYS3(SYS_madvise, a + 1, PG, MADV_DONTNEED), EINVAL);
	CHECK(SYS3(SYS_madvise, a, 0, MADV_DONTNEED) == 0);
	CHECK(SYS3(SYS_madvise, a, PG, MADV_DONTNEED) == 0);
	CHECK(p[0] == 0 && p[PG] == 2);
	CHECK(SYS3(SYS_madvise, a, 2 * PG, MADV_WILLNEED) == 0);
	CHECK(SYS2(SYS_munmap, a + PG, PG) == 0);
	CHECK_ERR(SYS3(SYS_madvise, a, 2 * PG, MADV_DONTNEED), ENOMEM);
	CHECK(SYS2(SYS_munmap, a, PG) == 0);
}

static void
t_brk(void)
{
	long cur = SYS1(SYS_brk, 0), n;

	CHECK(cur > 0);
	CHECK(SYS1(SYS_brk, 1) == cur); /* below the start: unchanged */
	CHECK(SYS1(SYS_brk, KADDR_KERNEL) == cur);
	n = SYS1(SYS_brk, cur + 64 * 1024);
	CHECK(n == cur + 64 * 1024);
	((volatile char *)cur)[64 * 1024 - 1] = 3;
	CHECK(SYS1(SYS_brk, cur) == cur);
	n = SYS1(SYS_brk, cur + PG);
	CHECK(n == cur + (long)PG);
	CHECK(((volatile char *)cur)[PG - 1] == 0 || cur % PG != 0);
	CHECK(SYS1(SYS_brk, cur) == cur);
}

static void
t_clock(void)
{
	struct timespec a, b, req = {0, 10 * 1000 * 1000};
	long ns;
	int i;

	CHECK(SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, &a) == 0);
	CHECK(SYS2(SYS_clock_gettime, CLOCK_REALTIME, &b) == 0);
	CHECK(b.tv_sec > 1600000000); /* after 2020 */
	CHECK_ERR(SYS2(SYS_clock_gettime, 99, &a), EINVAL);
	for (i = 0; i < NBAD; i++)
		CHECK_ERR(SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, bad_ptrs[i]),
		          EFAULT);
	CHECK(SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, &a) == 0);
	CHECK(SYS2(SYS_nanosleep, &req, 0) == 0);
	CHECK(SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, &b) == 0);
	ns = (b.tv_sec - a.tv_sec) * 1000000000l + (b.tv_nsec - a.tv_nsec);
	CHECK(ns >= 10 * 1000 * 1000);
	req.tv_nsec = 1000000000;
	CHECK_ERR(SYS2(SYS_nanosleep, &req, 0), EINVAL);
	CHECK_ERR(SYS2(SYS_nanosleep, KADDR_KERNEL, 0), EFAULT);
	/* Absolute: 5 ms from now on the monotonic clock. */
	CHECK(SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, &a) == 0);
	a.tv_nsec += 5 * 1000 * 1000;
	if (a.tv_nsec >= 1000000000) {
		a.tv_nsec -= 1000000000;
		a.tv_sec++;
	}
	CHECK(SYS4(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &a,
	           0) == 0);
	CHECK(SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, &b) == 0);
	CHECK(b.tv_sec > a.tv_sec ||
	      (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
	CHECK_ERR(SYS4(SYS_clock_nanosleep, 99, 0, &req, 0), EINVAL);
}

static void
t_misc(void)
{
	struct {
		char f[6][65];
	} u;
	unsigned char rnd[64];
	unsigned long fs, mask[16];
	int i, nz = 0;

	CHECK(SYS1(SYS_uname, &u) == 0);
	CHECK(strcmp(u.f[4], "x86_64") == 0 && u.f[0][0] != 0);
	CHECK_ERR(SYS1(SYS_uname, KADDR_KERNEL), EFAULT);
	CHECK(SYS3(SYS_getrandom, rnd, sizeof(rnd), 0) == sizeof(rnd));
	for (i = 0; i < (int)sizeof(rnd); i++)
		nz += rnd[i] != 0;
	CHECK(nz > 0);
	CHECK_ERR(SYS3(SYS_getrandom, rnd, 16, 0x100), EINVAL);
	CHECK_ERR(SYS3(SYS_getrandom, KADDR_KERNEL, 16, 0), EFAULT);
	CHECK_ERR(SYS3(SYS_ioctl, 1, 0x5413, rnd), ENOTTY);
	CHECK_ERR(SYS3(SYS_ioctl, 1000, 0x5413, rnd), EBADF);
	CHECK(SYS0(SYS_getpid) == SYS0(SYS_gettid));
	CHECK(SYS0(SYS_sched_yield) == 0);
	CHECK(SYS2(SYS_arch_prctl, 0x1003, &fs) == 0);
	CHECK(fs != 0);
	CHECK_ERR(SYS2(SYS_arch_prctl, 0x1003, KADDR_KERNEL), EFAULT);
	CHECK_ERR(SYS2(SYS_arch_prctl, 0x1002, KADDR_KERNEL), EPERM);
	CHECK_ERR(SYS2(SYS_arch_prctl, 0x9999, 0), EINVAL);
	CHECK(SYS1(SYS_set_tid_address, 0) == SYS0(SYS_gettid));
	CHECK_ERR(SYS0(999), ENOSYS);
	CHECK_ERR(SYS0(998), ENOSYS);
	/* Affinity of the calling thread. */
	memset(mask, 0, sizeof(mask));
	CHECK(SYS3(SYS_sched_getaffinity, 0, sizeof(mask), mask) >= 8);
	CHECK((mask[0] & 1) != 0);
	CHECK_ERR(SYS3(SYS_sched_getaffinity, 0, 1, mask), EINVAL);
	CHECK_ERR(SYS3(SYS_sched_getaffinity, 0, sizeof(mask), KADDR_KERNEL),
	          EFAULT);
	memset(mask, 0, sizeof(mask));
	CHECK_ERR(SYS3(SYS_sched_setaffinity, 0, sizeof(mask), mask), EINVAL);
	CHECK_ERR(SYS3(SYS_sched_setaffinity, 0, sizeof(mask), KADDR_KERNEL),
	          EFAULT);
	mask[0] = 1;
	CHECK(SYS3(SYS_sched_setaffinity, 0, sizeof(mask), mask) == 0);
}

static void
t_signals_args(void)
{
	unsigned long act[4] = {0, 0, 0, 0}, set = 0;

	CHECK_ERR(SYS4(SYS_rt_sigaction, 11, act, 0, 4), EINVAL);
	CHECK_ERR(SYS4(SYS_rt_sigaction, 0, act, 0, 8), EINVAL);
	CHECK_ERR(SYS4(SYS_rt_sigaction, 65, act, 0, 8), EINVAL);
	CHECK_ERR(SYS4(SYS_rt_sigaction, 9, act, 0, 8), EINVAL);
	CHECK_ERR(SYS4(SYS_rt_sigaction, 11, KADDR_KERNEL, 0, 8), EFAULT);
	CHECK_ERR(SYS4(SYS_rt_sigaction, 11, 0, KADDR_KERNEL, 8), EFAULT);
	CHECK(SYS4(SYS_rt_sigaction, 11, 0, act, 8) == 0);
	CHECK_ERR(SYS4(SYS_rt_sigprocmask, 7, &set, 0, 8), EINVAL);
	CHECK_ERR(SYS4(SYS_rt_sigprocmask, 0, &set, 0, 4), EINVAL);
	CHECK_ERR(SYS4(SYS_rt_sigprocmask, 0, KADDR_KERNEL, 0, 8), EFAULT);
	CHECK(SYS4(SYS_rt_sigprocmask, 0, 0, &set, 8) == 0);
}

static void
t_futex(void)
{
	static int word = 5;
	static char stk[4096] __attribute__((aligned(16)));
	struct timespec to = {0, 5 * 1000 * 1000};

	CHECK_ERR(SYS4(SYS_futex, &word, 128 /* WAIT|PRIVATE */, 4, 0), EAGAIN);
	CHECK_ERR(SYS4(SYS_futex, &word, 128, 5, &to), ETIMEDOUT);
	CHECK_ERR(SYS4(SYS_futex, (char *)&word + 1, 128, 5, &to), EINVAL);
	CHECK_ERR(SYS4(SYS_futex, KADDR_KERNEL, 128, 5, &to), EFAULT);
	CHECK_ERR(SYS4(SYS_futex, 0, 128, 5, &to), EFAULT);
	CHECK_ERR(SYS4(SYS_futex, &word, 128, 5, KADDR_KERNEL), EFAULT);
	CHECK(SYS3(SYS_futex, &word, 129 /* WAKE|PRIVATE */, 1) == 0);
	/* Thread flags only; CLONE_THREAD alone is invalid on Linux too. */
	CHECK_ERR(SYS2(SYS_clone, 0x10000, 0), EINVAL);
	/* A kernel TLS pointer: EPERM, no thread. */
	CHECK_ERR(ut_sys6(SYS_clone, 0x10f00 | 0x80000 /* VM..THREAD|SETTLS */,
	                  (long)(stk + sizeof(stk)), 0, 0, (long)KADDR_KERNEL,
	                  0),
	          EPERM);
}

static int g_argc;
static char **g_argv;
extern char **environ;
void _start(void);

/* The initial stack: argv, envp and the auxiliary vector. */
static void
t_auxv(void)
{
	const unsigned long *ph;

	CHECK(g_argc >= 1 && g_argv[0] != NULL && g_argv[0][0] != 0);
	CHECK(g_argv[g_argc] == NULL);
	CHECK(environ != NULL && environ[0] != NULL);
	CHECK(getauxval(AT_PAGESZ) == 4096);
	CHECK(getauxval(AT_RANDOM) != 0);
	CHECK(getauxval(AT_HWCAP) & 1); /* CPUID 1 EDX bit 0: FPU */
	CHECK(getauxval(AT_ENTRY) == (unsigned long)_start);
	CHECK(getauxval(AT_PHNUM) >= 2 && getauxval(AT_PHENT) == 56);
	ph = (const unsigned long *)getauxval(AT_PHDR);
	CHECK(ph != NULL);
	if (ph != NULL) /* p_type of the first entry: PT_PHDR or PT_LOAD */
		CHECK((unsigned)ph[0] == 6 || (unsigned)ph[0] == 1);
}

int
main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	ut_begin("ut_syscalls", 14);
	UT_CASE(t_auxv);
	UT_CASE(t_write);
	UT_CASE(t_writev);
	UT_CASE(t_read);
	UT_CASE(t_mmap);
	UT_CASE(t_mmap_enomem);
	UT_CASE(t_munmap);
	UT_CASE(t_mprotect);
	UT_CASE(t_madvise);
	UT_CASE(t_brk);
	UT_CASE(t_clock);
	UT_CASE(t_misc);
	UT_CASE(t_signals_args);
	UT_CASE(t_futex);
	return ut_end();
}
