/*
 * ut_fuzz.c - random system calls on every CPU: one thread per CPU (at
 * most 8) calls random numbers with random arguments for argv[1] seconds
 * (default 5).  Arguments come from a pool: small integers, random
 * words, bad pointers (NULL, kernel, per-CPU, non-canonical, unmapped)
 * and pointers into a private 16 MiB sandbox mapping.  The only
 * restrictions keep the fuzzer itself alive, not the kernel safe: no
 * exit/exit_group/clone/rt_sigreturn/set_tid_address, no sleeps or
 * blocking reads and futex waits without a bound, no arch_prctl
 * ARCH_SET_FS, memory calls may only name the sandbox (or bad
 * addresses), console writes get fd >= 3, no MAP_POPULATE.  The kernel
 * must not panic; the process must exit 0 and leak nothing
 * (kern_userboot.c's page count).
 */
#include "utest.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#define SANDBOX_SIZE (16ul << 20)

static uintptr_t sandbox;
static volatile int stop;
static unsigned long calls[64];

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static long
arg(uint64_t *s)
{
	static const long bad[] = {0,
	                           1,
	                           8,
	                           0xffff800000000000l,
	                           (long)0xffffff8000000000ul,
	                           (long)0xffffffff80200000ul,
	                           0x0000900000000000l,
	                           -1l,
	                           0x7ffffffff000l,
	                           0x7fffffffeff8l};
	uint64_t r = rnd(s);

	switch (r % 6) {
	case 0:
		return (long)(r >> 8) % 70 - 5;
	case 1:
		return (long)rnd(s);
	case 2:
		return bad[(r >> 8) % (sizeof(bad) / sizeof(bad[0]))];
	case 3: /* unused user address range */
		return (long)(0x100000000000ul + (rnd(s) % 0x600000000000ul));
	default: /* inside the sandbox, often page-aligned */
		r = rnd(s) % SANDBOX_SIZE;
		if (r & 1)
			r &= ~4095ul;
		return (long)(sandbox + r);
	}
}

static int
in_sandbox(long a, long len)
{
	uintptr_t u = (uintptr_t)a;

	return u >= sandbox && u < sandbox + SANDBOX_SIZE &&
	       (unsigned long)len <= sandbox + SANDBOX_SIZE - u;
}

static const long pick[] = {SYS_write,
                            SYS_writev,
                            SYS_mmap,
                            SYS_munmap,
                            SYS_mprotect,
                            SYS_madvise,
                            SYS_brk,
                            SYS_rt_sigaction,
                            SYS_rt_sigprocmask,
                            SYS_ioctl,
                            SYS_sched_yield,
                            SYS_getpid,
                            SYS_uname,
                            SYS_arch_prctl,
                            SYS_gettid,
                            SYS_futex,
                            SYS_sched_setaffinity,
                            SYS_sched_getaffinity,
                            SYS_clock_gettime,
                            SYS_getrandom,
                            SYS_read};

static void
one(uint64_t *s)
{
	long n, a[6];
	int i;

	if (rnd(s) % 8 == 0)
		n = (long)(rnd(s) % 400); /* any number */
	else
		n = pick[rnd(s) % (sizeof(pick) / sizeof(pick[0]))];
	for (i = 0; i < 6; i++)
		a[i] = arg(s);
	switch (n) {
	case SYS_exit:
	case SYS_exit_group:
	case SYS_clone:
	case SYS_rt_sigreturn:
	case SYS_set_tid_address:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case 57:  /* fork */
	case 58:  /* vfork */
	case 59:  /* execve */
	case 62:  /* kill */
	case 200: /* tkill */
	case 234: /* tgkill */
	case 322: /* execveat */
	case 435: /* clone3 */
		return;
	case SYS_read:
		if (a[0] >= 0 && a[0] <= 2)
			a[2] = 0; /* the console would block */
		break;
	case SYS_write:
	case SYS_writev:
		if (a[0] >= 0 && a[0] <= 2)
			a[0] = 3;
		break;
	case SYS_mmap:
		a[3] &= ~(long)MAP_POPULATE;
		if (!in_sandbox(a[0], a[1]))
			a[3] &= ~(long)(MAP_FIXED | MAP_FIXED_NOREPLACE);
		break;
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_madvise:
		/* Only the sandbox, or calls that must fail before acting
		 * (unaligned or non-user start): a range from 0 or any other
		 * user address could reach our own text, stack or data. */
		if (!in_sandbox(a[0], a[1]) && (a[0] & 4095) == 0 &&
		    (uintptr_t)a[0] < 0x800000000000ul)
			return;
		break;
	case SYS_brk:
		return; /* the C library owns the break */
	case SYS_rt_sigaction:
		if (a[0] == SIGSEGV || a[0] == SIGBUS || a[0] == SIGILL ||
		    a[0] == SIGFPE)
			return; /* a bogus handler for a real fault */
		break;
	case SYS_arch_prctl:
		if (a[0] == 0x1002 || a[0] == 0x1001)
			return; /* our own TLS pointer */
		break;
	case SYS_futex:
		a[1] &= ~0x7f;
		a[1] |= 1; /* WAKE only: a WAIT could block for good */
		break;
	case SYS_sched_setaffinity:
		break;
	default:
		break;
	}
	ut_sys6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void *
worker(void *arg)
{
	long id = (long)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(id, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!stop) {
		one(&s);
		calls[id]++;
	}
	return NULL;
}

static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1, t2;
	pthread_t t[8];
	cpu_set_t set;
	long i, n = 1, secs = argc > 1 ? atol(argv[1]) : 5;
	unsigned long total = 0;
	void *p;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n > 8)
		n = 8;
	ut_begin("ut_fuzz", 1);
	p = mmap(0, SANDBOX_SIZE, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ut_line("not ok 1 fuzz # no sandbox");
		return 1;
	}
	sandbox = (uintptr_t)p;
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sleep((unsigned)secs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stop = 1;
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += calls[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	ut_line("# slept %ld ms, threads joined %ld ms later",
	        ms_between(&t0, &t1), ms_between(&t1, &t2));
	ut_line("ok 1 fuzz # %lu random system calls on %ld CPUs in %ld s",
	        total, n, secs);
	ut_line("1 passed, 0 failed");
	return 0;
}
