/*
 * kern_sig.c - signals, as far as static programs need them: actions
 * (rt_sigaction), the blocked mask (rt_sigprocmask), delivery of the
 * synchronous signals the kernel raises for a faulting thread (SIGSEGV
 * with SEGV_MAPERR/SEGV_ACCERR and si_addr, SIGILL, SIGFPE, SIGBUS,
 * SIGTRAP) through Linux's x86-64 rt_sigframe (cpu_sendsig), on the
 * thread's alternate stack for SA_ONSTACK handlers (sigaltstack: how a
 * handler survives a stack overflow), and rt_sigreturn.  There is no kill/tkill: a signal is only ever pending
 * on the thread that caused it, in lwp_sig, so no locking is needed for
 * delivery; actions are read and written under p_lock.
 *
 * A synchronous signal that is blocked, ignored or has the default
 * action kills the process with one line (Linux's force_sig does the
 * same: it cannot be ignored by the thread that caused it).
 */
#include <sys/proc.h>

#include <machine/vmparam.h>
#include <sys/errno.h>
#include <sys/systm.h>

#define KSIGSET_SIZE 8 /* Linux's kernel sigset_t: 64 bits */
#define UNBLOCKABLE  (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

int64_t
sys_rt_sigaction(struct lwp *lp, int64_t sig, uint64_t uact, uint64_t uold,
                 uint64_t sigsetsize)
{
	struct proc *p = lp->lwp_proc;
	struct k_sigaction act, old;

	if (sigsetsize != KSIGSET_SIZE)
		return -EINVAL;
	if (sig < 1 || sig > LINUX_NSIG)
		return -EINVAL;
	if (uact != 0) {
		if (copyin((void *)uact, &act, sizeof(act)) != 0)
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		act.ksa_mask &= ~UNBLOCKABLE;
	}
	spin_lock(&p->p_lock);
	old = p->p_sigacts[sig - 1];
	if (uact != 0)
		p->p_sigacts[sig - 1] = act;
	spin_unlock(&p->p_lock);
	if (uold != 0 && copyout(&old, (void *)uold, sizeof(old)) != 0)
		return -EFAULT;
	return 0;
}

int64_t
sys_rt_sigprocmask(struct lwp *lp, int64_t how, uint64_t uset, uint64_t uold,
                   uint64_t sigsetsize)
{
	uint64_t set, old = lp->lwp_sigmask;

	if (sigsetsize != KSIGSET_SIZE)
		return -EINVAL;
	if (uset != 0) {
		if (copyin((void *)uset, &set, sizeof(set)) != 0)
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			lp->lwp_sigmask |= set;
			break;
		case SIG_UNBLOCK:
			lp->lwp_sigmask &= ~set;
			break;
		case SIG_SETMASK:
			lp->lwp_sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		lp->lwp_sigmask &= ~UNBLOCKABLE;
	}
	if (uold != 0 && copyout(&old, (void *)uold, sizeof(old)) != 0)
		return -EFAULT;
	return 0;
}

int64_t
sys_rt_sigreturn(struct lwp *lp, void *frame)
{
	uint64_t mask;

	if (cpu_sigreturn(lp, frame, &mask) != 0) {
		struct k_siginfo si = {.ksi_signo = SIGSEGV,
		                       .ksi_code = SI_KERNEL,
		                       .ksi_rip = cpu_frame_rip(frame)};

		proc_kill_sig(lp, &si);
	}
	lp->lwp_sigmask = mask & ~UNBLOCKABLE;
	return SYSCALL_JUSTRETURN;
}

static bool
on_altstack(const struct lwp *lp, uint64_t sp)
{
	return lp->lwp_ss_size != 0 && sp > lp->lwp_ss_sp &&
	       sp - lp->lwp_ss_sp <= lp->lwp_ss_size;
}

int
lwp_sigaltstack_flags(const struct lwp *lp, uint64_t sp)
{
	if (lp->lwp_ss_size == 0)
		return SS_DISABLE;
	return (on_altstack(lp, sp) ? SS_ONSTACK : 0) | (int)lp->lwp_ss_flags;
}

/*
 * sigaltstack (Linux's do_sigaltstack): the old settings are taken
 * first; changing the stack while running on it is EPERM; a mode other
 * than 0, SS_ONSTACK or SS_DISABLE (plus SS_AUTODISARM) is EINVAL; a
 * stack smaller than MINSIGSTKSZ is ENOMEM.
 */
int64_t
sys_sigaltstack(struct lwp *lp, void *frame, uint64_t uss, uint64_t uoss)
{
	struct {
		uint64_t ss_sp;   /* base */
		int32_t ss_flags; /* SS_* */
		int32_t ss_pad;   /* */
		uint64_t ss_size; /* bytes */
	} ss, old;
	uint64_t sp = cpu_frame_sp(frame);
	uint32_t mode;

	memset(&old, 0, sizeof(old));
	old.ss_sp = lp->lwp_ss_sp;
	old.ss_size = lp->lwp_ss_size;
	old.ss_flags = lwp_sigaltstack_flags(lp, sp);
	if (uss != 0) {
		if (copyin((void *)uss, &ss, sizeof(ss)) != 0)
			return -EFAULT;
		if (on_altstack(lp, sp))
			return -EPERM;
		mode = (uint32_t)ss.ss_flags & ~SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			lp->lwp_ss_sp = lp->lwp_ss_size = 0;
		} else {
			if (ss.ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			lp->lwp_ss_sp = ss.ss_sp;
			lp->lwp_ss_size = ss.ss_size;
		}
		lp->lwp_ss_flags = (uint32_t)ss.ss_flags & SS_AUTODISARM;
	}
	if (uoss != 0 && copyout(&old, (void *)uoss, sizeof(old)) != 0)
		return -EFAULT;
	return 0;
}

/* Deliver lp's pending synchronous signal, or kill the process. */
static void
deliver(struct lwp *lp, void *frame)
{
	struct proc *p = lp->lwp_proc;
	struct k_siginfo si = lp->lwp_sig;
	struct k_sigaction sa;
	int sig = si.ksi_signo;

	lp->lwp_sig.ksi_signo = 0;
	spin_lock(&p->p_lock);
	sa = p->p_sigacts[sig - 1];
	if (sig != SIGKILL && sa.ksa_handler > SIG_IGN &&
	    (lp->lwp_sigmask & SIGBIT(sig)) == 0 &&
	    (sa.ksa_flags & SA_RESETHAND))
		p->p_sigacts[sig - 1].ksa_handler = SIG_DFL;
	spin_unlock(&p->p_lock);
	if (sig == SIGKILL || sa.ksa_handler <= SIG_IGN ||
	    (lp->lwp_sigmask & SIGBIT(sig)) != 0)
		proc_kill_sig(lp, &si);
	if (cpu_sendsig(lp, frame, &si, &sa, lp->lwp_sigmask) != 0) {
		/* No room for the frame: as Linux, a SIGSEGV kill. */
		si.ksi_signo = SIGSEGV;
		si.ksi_code = SI_KERNEL;
		proc_kill_sig(lp, &si);
	}
	lp->lwp_sigmask |= sa.ksa_mask;
	if (!(sa.ksa_flags & SA_NODEFER))
		lp->lwp_sigmask |= SIGBIT(sig);
	lp->lwp_sigmask &= ~UNBLOCKABLE;
}

void
userret(struct lwp *lp, void *frame)
{
	for (;;) {
		if (__atomic_load_n(&lp->lwp_proc->p_exiting, __ATOMIC_SEQ_CST))
			lwp_exit(lp);
		lwp_affinity_enforce(lp);
		if (lp->lwp_sig.ksi_signo != 0) {
			deliver(lp, frame);
			continue;
		}
		/* Never return to a kernel or non-canonical RIP. */
		if (cpu_frame_rip(frame) >= VM_MAX_USER_ADDRESS) {
			lp->lwp_sig.ksi_signo = SIGSEGV;
			lp->lwp_sig.ksi_code = SI_KERNEL;
			lp->lwp_sig.ksi_addr = 0;
			lp->lwp_sig.ksi_rip = cpu_frame_rip(frame);
			lp->lwp_sig.ksi_access = 0;
			continue;
		}
		return;
	}
}
