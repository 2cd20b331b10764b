/*
 * Signal numbers, codes and flags: Linux x86-64 values (user programs see
 * them through the system-call ABI).
 */
#ifndef _SYS_SIGNAL_H_
#define _SYS_SIGNAL_H_

#define SIGILL  4  /* illegal instruction */
#define SIGTRAP 5  /* breakpoint */
#define SIGABRT 6  /* abort() */
#define SIGBUS  7  /* bus error (alignment) */
#define SIGFPE  8  /* arithmetic exception */
#define SIGKILL 9  /* cannot be caught */
#define SIGSEGV 11 /* bad memory access */
#define SIGSTOP 19 /* cannot be caught */

#define SEGV_MAPERR 1   /* address not mapped */
#define SEGV_ACCERR 2   /* mapping forbids the access */
#define SI_KERNEL   128 /* sent by the kernel, no address */

#define SA_SIGINFO   0x00000004u /* three-argument handler */
#define SA_RESTORER  0x04000000u /* ksa_restorer is valid */
#define SA_ONSTACK   0x08000000u /* alternate stack (not supported) */
#define SA_RESTART   0x10000000u /* restart system calls */
#define SA_NODEFER   0x40000000u /* do not block the signal in its handler */
#define SA_RESETHAND 0x80000000u /* one-shot handler */

#define SIG_BLOCK   0 /* rt_sigprocmask: add */
#define SIG_UNBLOCK 1 /* remove */
#define SIG_SETMASK 2 /* replace */

#define SS_ONSTACK    1           /* sigaltstack: in use */
#define SS_DISABLE    2           /* sigaltstack: none */
#define SS_AUTODISARM 0x80000000u /* disable while a handler runs on it */
#define MINSIGSTKSZ   2048        /* smallest alternate stack */

#define SIG_DFL 0 /* default action */
#define SIG_IGN 1 /* ignore */

#define SIGBIT(sig) (1ull << ((sig)-1))

#endif /* !_SYS_SIGNAL_H_ */
