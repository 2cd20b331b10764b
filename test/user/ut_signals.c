/*
 * ut_signals.c - synchronous signals through Linux's x86-64 signal
 * frame: SIGSEGV with SEGV_MAPERR / SEGV_ACCERR and si_addr for
 * unmapped, read-only, no-execute and kernel (DMAP, per-CPU window,
 * kernel image) addresses, SI_KERNEL for a non-canonical one; a handler
 * that edits the saved registers and resumes through rt_sigreturn; the
 * signal mask inside and after a handler; SIGILL.
 */
#include "utest.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile int got_sig, got_code, blocked_inside;
static volatile uintptr_t got_addr;
static volatile int fixup; /* 1: resume by editing RIP/RAX */

static void
handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	sigset_t cur;

	got_sig = sig;
	got_code = si->si_code;
	got_addr = (uintptr_t)si->si_addr;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	blocked_inside = sigismember(&cur, sig);
	if (fixup) {
		/* Skip the 3-byte "movq (%rdx), %rax" and fake its result. */
		uc->uc_mcontext.gregs[REG_RIP] += 3;
		uc->uc_mcontext.gregs[REG_RAX] = 0x1234;
		return;
	}
	siglongjmp(jb, 1);
}

static void
install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Read (or write) addr; 1 if a signal interrupted it. */
static int
probe(uintptr_t addr, int write)
{
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*(volatile char *)addr = 1;
		else
			(void)*(volatile char *)addr;
		return 0;
	}
	return 1;
}

static void
t_maperr(void)
{
	char *p = mmap(0, 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	munmap(p, 4096);
	CHECK(probe((uintptr_t)p + 123, 0) == 1);
	CHECK(got_sig == SIGSEGV && got_code == SEGV_MAPERR);
	CHECK(got_addr == (uintptr_t)p + 123);
	CHECK(blocked_inside == 1);
	CHECK(probe(8, 1) == 1 && got_code == SEGV_MAPERR && got_addr == 8);
}

static void
t_accerr(void)
{
	char *p = mmap(0, 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	p[0] = 1;
	CHECK(mprotect(p, 4096, PROT_READ) == 0);
	CHECK(probe((uintptr_t)p + 8, 1) == 1);
	CHECK(got_sig == SIGSEGV && got_code == SEGV_ACCERR);
	CHECK(got_addr == (uintptr_t)p + 8);
	CHECK(probe((uintptr_t)p, 0) == 0); /* reading is still fine */
	CHECK(mprotect(p, 4096, PROT_NONE) == 0);
	CHECK(probe((uintptr_t)p, 0) == 1 && got_code == SEGV_ACCERR);
	munmap(p, 4096);
}

static void
t_noexec(void)
{
	unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	p[0] = 0xc3; /* ret */
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0)
		((void (*)(void))p)();
	CHECK(got_sig == SIGSEGV && got_code == SEGV_ACCERR);
	CHECK(got_addr == (uintptr_t)p);
	CHECK(mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0);
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0)
		((void (*)(void))p)(); /* now it runs and returns */
	CHECK(got_sig == 0);
	munmap(p, 4096);
}

static void
t_kernel_addresses(void)
{
	static const uintptr_t k[] = {KADDR_DMAP, KADDR_PERCPU,
	                              KADDR_PERCPU + 0x2000, KADDR_KERNEL};
	unsigned i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		CHECK(probe(k[i], 0) == 1);
		CHECK(got_sig == SIGSEGV);
		CHECK(probe(k[i], 1) == 1);
		CHECK(got_sig == SIGSEGV);
	}
	/* Non-canonical: #GP, no address (SI_KERNEL), as on Linux. */
	CHECK(probe(ADDR_NONCANON, 0) == 1);
	CHECK(got_sig == SIGSEGV && got_code == SI_KERNEL && got_addr == 0);
}

static void
t_resume_edit(void)
{
	long rax;

	fixup = 1;
	got_sig = 0;
	__asm__ volatile("movq (%%rdx), %%rax" /* 48 8b 02 */
	                 : "=a"(rax)
	                 : "d"(16ul)
	                 : "memory");
	fixup = 0;
	CHECK(got_sig == SIGSEGV && got_addr == 16);
	CHECK(rax == 0x1234);
}

static void
t_mask_restored(void)
{
	sigset_t cur;

	/* siglongjmp restored the mask saved by sigsetjmp; after a normal
	 * return, rt_sigreturn restores it: SIGSEGV is unblocked either way. */
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGSEGV));
}

static void
t_sigill(void)
{
	install(SIGILL);
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0)
		__asm__ volatile("ud2");
	CHECK(got_sig == SIGILL);
}

static volatile int traps;

static void
ontrap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)si;
	if (sig == SIGTRAP)
		traps++;
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100l; /* stop single-stepping */
}

/*
 * Single-stepping a SYSCALL (TF set by popf): the kernel takes the
 * step's #DB at its entry point and must not crash; the next user
 * instruction traps (SIGTRAP).  int3 is SIGTRAP as well.
 */
static void
t_sigtrap(void)
{
	struct sigaction sa;
	long r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ontrap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTRAP, &sa, NULL);
	traps = 0;
	__asm__ volatile("pushfq\n\t"
	                 "orq $0x100, (%%rsp)\n\t"
	                 "popfq\n\t"
	                 "syscall\n\t"
	                 "nop"
	                 : "=a"(r)
	                 : "a"(39l) /* getpid */
	                 : "rcx", "r11", "memory", "cc");
	CHECK(r == getpid());
	CHECK(traps >= 1);
	traps = 0;
	__asm__ volatile("int3");
	CHECK(traps == 1);
}

/*
 * A thread overflows its stack into the guard page below it: the
 * SIGSEGV handler can only run on the alternate stack (sigaltstack,
 * SA_ONSTACK), reports the fault and jumps out.
 */
static __thread sigjmp_buf ovf_jb;
static volatile int ovf_on_alt;
static volatile uintptr_t ovf_alt_lo, ovf_alt_hi;

static void
onovf(int sig, siginfo_t *si, void *uc)
{
	char here;

	(void)si;
	(void)uc;
	got_sig = sig;
	ovf_on_alt =
	    (uintptr_t)&here >= ovf_alt_lo && (uintptr_t)&here < ovf_alt_hi;
	siglongjmp(ovf_jb, 1);
}

static volatile int recurse_limit = 1 << 30; /* never reached */

static int
recurse(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	if (n >= recurse_limit)
		return 0;
	return recurse(n + 1) + pad[0];
}

static void *
overflower(void *arg)
{
	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)}, old;
	struct sigaction sa;

	(void)arg;
	if (sigaltstack(&ss, &old) != 0 || !(old.ss_flags & SS_DISABLE))
		return (void *)1l;
	ovf_alt_lo = (uintptr_t)alt;
	ovf_alt_hi = (uintptr_t)alt + sizeof(alt);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = onovf;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	got_sig = 0;
	if (sigsetjmp(ovf_jb, 1) == 0)
		recurse(0);
	sa.sa_sigaction = handler; /* back to the other tests' handler */
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	return got_sig == SIGSEGV && ovf_on_alt ? NULL : (void *)2l;
}

static void
t_altstack(void)
{
	pthread_attr_t a;
	pthread_t t;
	stack_t ss;
	void *ret = (void *)3l;

	/* The kernel's argument checks (raw: musl checks some itself). */
	memset(&ss, 0, sizeof(ss));
	ss.ss_size = 1024;
	CHECK_ERR(SYS2(SYS_sigaltstack, &ss, 0), ENOMEM);
	ss.ss_size = 65536;
	ss.ss_flags = 4;
	CHECK_ERR(SYS2(SYS_sigaltstack, &ss, 0), EINVAL);
	CHECK_ERR(SYS2(SYS_sigaltstack, KADDR_KERNEL, 0), EFAULT);
	CHECK_ERR(SYS2(SYS_sigaltstack, 0, KADDR_KERNEL), EFAULT);
	CHECK(SYS2(SYS_sigaltstack, 0, &ss) == 0 && ss.ss_flags == SS_DISABLE);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 65536);
	CHECK(pthread_create(&t, &a, overflower, NULL) == 0);
	CHECK(pthread_join(t, &ret) == 0);
	CHECK(ret == NULL);
}

int
main(void)
{
	ut_begin("ut_signals", 9);
	install(SIGSEGV);
	UT_CASE(t_maperr);
	UT_CASE(t_accerr);
	UT_CASE(t_noexec);
	UT_CASE(t_kernel_addresses);
	UT_CASE(t_resume_edit);
	UT_CASE(t_mask_restored);
	UT_CASE(t_sigill);
	UT_CASE(t_sigtrap);
	UT_CASE(t_altstack);
	return ut_end();
}
