/*
 * cpu_user.c - the platform side of user mode: per-CPU setup of SYSCALL,
 * SMEP/SMAP and the FPU; the system-call and user-trap handlers; the
 * per-thread state switched with a user thread; copyin/copyout.
 *
 * Per CPU (cpu_user_init, on every CPU as it comes up): EFER.SCE, STAR
 * (kernel and user selector bases, <cpu/segments.h>), LSTAR =
 * syscall_entry, FMASK clears IF/TF/DF/AC/NT on entry; CR4.SMEP and
 * CR4.SMAP when CPUID has them; CR4.OSFXSR/OSXMMEXCPT and CR0.MP/NE
 * (no EM, no TS) so user code may use SSE.
 *
 * FPU switching is eager: cpu_switch_md() saves a user thread's FPU/SSE
 * registers with FXSAVE when it is switched out and loads the next user
 * thread's with FXRSTOR.  The kernel is built with -mgeneral-regs-only
 * and never touches those registers, so a user thread's state stays live
 * in the CPU across its own system calls and interrupts; only a switch
 * to another thread needs the save.  Eager rather than lazy (CR0.TS and a
 * #NM trap on first use) because it is simple and has no cross-CPU
 * state: a lazily owned FPU context would have to be found and flushed
 * on another CPU when a thread migrates, and every user thread of the
 * test programs uses SSE anyway (musl's memcpy and printf do), so the
 * trap would almost always be taken.  A switch between two kernel
 * threads costs nothing (lwkt_switch calls this only when a user thread
 * is involved).
 *
 * The saved user context of a thread is always the struct trapframe at
 * the top of its kernel stack: SYSCALL entry builds it there and the CPU
 * pushes an interrupt frame there because TSS.rsp0 (and gd_rsp0, which
 * syscall_entry loads) is set to that stack's top whenever a user thread
 * is switched in.
 */
#include <sys/proc.h>

#include <cpu/cpufunc.h>
#include <cpu/frame.h>
#include <cpu/segments.h>
#include <cpu/specialreg.h>
#include <machine/asmdefs.h>
#include <machine/globaldata.h>
#include <machine/md_var.h>
#include <machine/vmparam.h>
#include <sys/bootopt.h>
#include <sys/errno.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>

_Static_assert(sizeof(struct trapframe) % 16 == 0,
               "the user frame keeps the kernel stack 16-byte aligned");
_Static_assert(__builtin_offsetof(struct lwp, lwp_md) == 0,
               "FXSAVE area first in struct lwp (kmalloc alignment)");

#define CR0_EM          0x00000004u /* emulate FPU: off */
#define CR0_TS          0x00000008u /* task switched: off */
#define CPUID7_EBX_SMEP 0x00000080u
#define CPUID7_EBX_SMAP 0x00100000u
#define CPUID1_EDX_FXSR 0x01000000u
#define MSR_STAR        0xc0000081
#define MSR_LSTAR       0xc0000082
#define MSR_FMASK       0xc0000084
#define PSL_T           0x00000100u          /* trap flag */
#define PSL_NT          0x00004000u          /* nested task */
#define PSL_RF          0x00010000u          /* resume flag */
#define USER_RIP_MAX    0x00007ffffffff000ul /* SYSRET only below this */

static BOOTOPT_BOOL(
    smap_off, "user.smap_off", false,
    "debug: leave SMEP/SMAP off (the usermode tests must fail)");

extern char syscall_entry[];
extern char support_user_start[], support_user_end[];

static BOOTOPT_BOOL(fpu_noswitch, "user.fpu_noswitch", false,
                    "debug: do not switch FPU state (ut_threads must fail)");

uint8_t cpu_smap_on;             /* exception.S, copyuser.S: STAC/CLAC */
bool cpu_has_smep, cpu_has_smap; /* CPUID leaf 7 */
static uint8_t fpu_initial[FPU_SAVE_SIZE] __aligned(16); /* clean state */

static void
fxsave(void *area)
{
	__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void
fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

void
cpu_user_init(void)
{
	struct mdglobaldata *md = mdcpu;
	uint32_t r[4];
	uint64_t cr4;

	do_cpuid(1, r);
	if ((r[3] & CPUID1_EDX_FXSR) == 0)
		panic("cpu_user_init: no FXSAVE/FXRSTOR on cpu %d",
		      md->mi.gd_cpuid);
	do_cpuid(0, r);
	if (r[0] >= 7) {
		cpuid_count(7, 0, r);
		if (md->mi.gd_cpuid == 0) {
			cpu_has_smep = (r[1] & CPUID7_EBX_SMEP) != 0;
			cpu_has_smap = (r[1] & CPUID7_EBX_SMAP) != 0;
		}
	}
	load_cr0((rcr0() & ~(uint64_t)(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	cr4 = rcr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	/* Fault injection (user.smap_off=1): the usermode suite must fail. */
	if (cpu_has_smep && !smap_off)
		cr4 |= CR4_SMEP;
	if (cpu_has_smap && !smap_off)
		cr4 |= CR4_SMAP;
	load_cr4(cr4);
	if (cr4 & CR4_SMAP)
		cpu_smap_on = 1;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)GSEL(GUCODE32_SEL) | SEL_UPL) << 48 |
	                    (uint64_t)KCODE_SEL << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, PSL_I | PSL_T | PSL_D | PSL_AC | PSL_NT);
	md->gd_tss = &md->gd_prvspace->gdtpage.gp_tss;
	if (md->mi.gd_cpuid == 0) {
		uint32_t mxcsr = 0x1f80; /* all exceptions masked */

		__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
		fxsave(fpu_initial);
		/* XMM0-15 (bytes 160-415): start from zero, not boot junk. */
		memset(fpu_initial + 160, 0, 256);
	}
}

void
cpu_lwp_init(struct lwp *lp)
{
	memcpy(lp->lwp_md.md_fpu, fpu_initial, sizeof(fpu_initial));
	lp->lwp_md.md_fsbase = 0;
	lp->lwp_md.md_onfault = 0;
}

static struct trapframe *
td_frame(struct thread *td)
{
	return (struct trapframe *)(td->td_kstack + td->td_kstack_size) - 1;
}

/* Make ntd's kernel stack the one user-mode entries of this CPU use. */
static void
set_rsp0(struct thread *td)
{
	struct mdglobaldata *md = mdcpu;
	uint64_t top = td->td_kstack + td->td_kstack_size;

	md->gd_rsp0 = top;
	md->gd_tss->tss_rsp0 = top;
}

void
cpu_switch_md(struct thread *td, struct thread *ntd)
{
	struct mdglobaldata *md = mdcpu;

	if (td->td_lwp != NULL) {
		if (!fpu_noswitch)
			fxsave(td->td_lwp->lwp_md.md_fpu);
		td->td_lwp->lwp_md.md_onfault = md->gd_onfault;
	}
	md->gd_onfault = 0;
	if (ntd->td_lwp != NULL) {
		struct mdlwp *m = &ntd->td_lwp->lwp_md;

		if (!fpu_noswitch)
			fxrstor(m->md_fpu);
		wrmsr(MSR_FSBASE, m->md_fsbase);
		set_rsp0(ntd);
		md->gd_onfault = m->md_onfault;
	}
}

void
cpu_user_setup(struct lwp *lp, uint64_t entry, uint64_t sp)
{
	struct trapframe *tf = &lp->lwp_md.md_startf;

	memset(tf, 0, sizeof(*tf));
	tf->tf_rip = entry;
	tf->tf_rsp = sp;
	tf->tf_cs = UCODE_SEL;
	tf->tf_ss = UDATA_SEL;
	tf->tf_rflags = PSL_I | 0x2; /* bit 1 is always set */
}

void
cpu_clone_setup(struct lwp *child, const void *parent_frame, uint64_t newsp)
{
	struct trapframe *tf = &child->lwp_md.md_startf;

	*tf = *(const struct trapframe *)parent_frame;
	tf->tf_rax = 0; /* clone returns 0 in the child */
	if (newsp != 0)
		tf->tf_rsp = newsp;
	/* The parent's FPU state (control words included) is inherited. */
	fxsave(child->lwp_md.md_fpu);
}

/* Second half of cpu_user_start(), on the stack below the user frame. */
void cpu_user_start2(struct lwp *lp) __noreturn;
void
cpu_user_start2(struct lwp *lp)
{
	struct thread *td = curthread;
	struct trapframe *tf = td_frame(td);

	KASSERT(td->td_lwp == lp, "cpu_user_start: not this thread's lwp");
	*tf = lp->lwp_md.md_startf;
	set_rsp0(td);
	fxrstor(lp->lwp_md.md_fpu);
	wrmsr(MSR_FSBASE, lp->lwp_md.md_fsbase);
	userret(lp, tf);
	cpu_disable_intr();
	cpu_user_return(tf);
}

/*
 * A new user thread's first entry to user mode.  lwkt_create() started
 * the thread near the top of its stack, where the user frame goes, so
 * first move to the stack just below the frame (16-byte aligned, as a
 * call site needs), then fill the frame in.
 */
void
cpu_user_start(struct lwp *lp)
{
	struct trapframe *tf = td_frame(curthread);

	cpu_disable_intr();
	__asm__ volatile("movq %0, %%rsp\n\t"
	                 "xorl %%ebp, %%ebp\n\t"
	                 "call cpu_user_start2\n\t"
	                 "ud2"
	                 :
	                 : "r"(tf), "D"(lp)
	                 : "memory");
	__builtin_unreachable();
}

void
cpu_set_fsbase(struct lwp *lp, uint64_t base)
{
	uint64_t fl = intr_disable();

	lp->lwp_md.md_fsbase = base;
	if (curthread->td_lwp == lp)
		wrmsr(MSR_FSBASE, base);
	intr_restore(fl);
}

uint64_t
cpu_get_fsbase(struct lwp *lp)
{
	return lp->lwp_md.md_fsbase;
}

uint64_t
cpu_frame_sp(const void *frame)
{
	return ((const struct trapframe *)frame)->tf_rsp;
}

uint64_t
cpu_frame_rip(const void *frame)
{
	return ((const struct trapframe *)frame)->tf_rip;
}

void
cpu_frame_set_retval(void *frame, int64_t v)
{
	((struct trapframe *)frame)->tf_rax = (uint64_t)v;
}

/*
 * Called by exception.S (interrupts off) right before leaving for user
 * mode: nonzero when SYSRET restores tf exactly, 0 for IRETQ.  Every
 * frame must be a user frame; userret() has made sure the RIP is a user
 * address, so IRETQ cannot fault in ring 0 either.
 */
int
cpu_user_frame_ok(const struct trapframe *tf)
{
	if (tf->tf_cs != UCODE_SEL || tf->tf_ss != UDATA_SEL ||
	    tf->tf_rip >= VM_MAX_USER_ADDRESS || (tf->tf_rflags & PSL_I) == 0)
		panic("cpu_user_frame_ok: not a user frame: cs %#lx ss %#lx "
		      "rip %#lx rflags %#lx",
		      tf->tf_cs, tf->tf_ss, tf->tf_rip, tf->tf_rflags);
	return tf->tf_rcx == tf->tf_rip && tf->tf_r11 == tf->tf_rflags &&
	       tf->tf_rip < USER_RIP_MAX &&
	       (tf->tf_rflags & (PSL_T | PSL_RF)) == 0;
}

void
syscall_handler(struct trapframe *tf)
{
	struct lwp *lp = curthread->td_lwp;
	uint64_t args[6] = {tf->tf_rdi, tf->tf_rsi, tf->tf_rdx,
	                    tf->tf_r10, tf->tf_r8,  tf->tf_r9};
	int64_t r;

	r = syscall_dispatch(lp, tf, tf->tf_rax, args);
	if (r != SYSCALL_JUSTRETURN)
		tf->tf_rax = (uint64_t)r;
	userret(lp, tf);
}

/* A signal for an exception in user mode (Linux's choices). */
static void
user_exception(struct lwp *lp, struct trapframe *tf)
{
	struct k_siginfo *si = &lp->lwp_sig;

	si->ksi_rip = tf->tf_rip;
	si->ksi_addr = 0;
	si->ksi_access = 0;
	si->ksi_code = SI_KERNEL;
	switch (tf->tf_trapno) {
	case 0:  /* divide error */
	case 16: /* x87 */
	case 19: /* SIMD */
		si->ksi_signo = SIGFPE;
		si->ksi_addr = tf->tf_rip;
		break;
	case 6: /* invalid opcode */
		si->ksi_signo = SIGILL;
		si->ksi_addr = tf->tf_rip;
		break;
	case 1: /* debug */
	case 3: /* breakpoint */
		si->ksi_signo = SIGTRAP;
		break;
	case 17: /* alignment check */
		si->ksi_signo = SIGBUS;
		break;
	default: /* #GP, #SS, #NP, ... */
		si->ksi_signo = SIGSEGV;
		break;
	}
}

/*
 * trap() for an exception taken in user mode (interrupts still off).
 * A page fault goes to vm_fault() with interrupts on; what it cannot
 * resolve becomes a pending signal, delivered (or fatal) in userret().
 */
void
trap_user(struct trapframe *tf)
{
	struct lwp *lp = curthread->td_lwp;

	KASSERT(lp != NULL, "trap_user: user mode without a user thread");
	if (tf->tf_trapno == 14) {
		uint64_t va = rcr2();
		int access = (tf->tf_err & 2)    ? VM_PROT_WRITE
		             : (tf->tf_err & 16) ? VM_PROT_EXECUTE
		                                 : VM_PROT_READ;
		int r;

		cpu_enable_intr();
		r = vm_fault(lp->lwp_proc, va, access);
		if (r != VMF_OK) {
			struct k_siginfo *si = &lp->lwp_sig;

			si->ksi_signo = r == VMF_NOMEM ? SIGKILL : SIGSEGV;
			si->ksi_code =
			    r == VMF_ACCERR ? SEGV_ACCERR : SEGV_MAPERR;
			si->ksi_addr = va;
			si->ksi_rip = tf->tf_rip;
			si->ksi_access = access;
		}
	} else {
		user_exception(lp, tf);
	}
	cpu_enable_intr();
	userret(lp, tf);
}

/*
 * trap() for a #PF in the kernel on a user address.  Inside the copy
 * routines (copyuser.S) it is demand paging: resolve it and retry, and
 * only when that fails let gd_onfault turn it into EFAULT.  Anywhere
 * else it is a kernel bug or an SMAP/SMEP violation: not handled here.
 * Returns true when the access should simply be retried.
 */
bool
trap_user_copy_fault(struct trapframe *tf, uint64_t va)
{
	struct thread *td = curthread;
	int access;

	if (td == NULL || td->td_lwp == NULL || va >= VM_MAX_USER_ADDRESS ||
	    tf->tf_rip < (uint64_t)support_user_start ||
	    tf->tf_rip >= (uint64_t)support_user_end)
		return false;
	access = (tf->tf_err & 2) ? VM_PROT_WRITE : VM_PROT_READ;
	if (tf->tf_rflags & PSL_I)
		cpu_enable_intr();
	return vm_fault(td->td_lwp->lwp_proc, va, access) == VMF_OK;
}

/* [uaddr, uaddr + len) lies entirely in user space. */
static bool
user_range(const void *uaddr, size_t len)
{
	uint64_t a = (uint64_t)uaddr;

	return a < VM_MAX_USER_ADDRESS && len <= VM_MAX_USER_ADDRESS - a;
}

int cpu_copy_user(void *dst, const void *src, size_t len);
int cpu_copy_user_str(char *dst, const char *src, size_t max, size_t *done);
int cpu_user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new,
                       uint32_t *seen);

int
copyin(const void *uaddr, void *kaddr, size_t len)
{
	if (!user_range(uaddr, len))
		return EFAULT;
	return cpu_copy_user(kaddr, uaddr, len);
}

int
copyout(const void *kaddr, void *uaddr, size_t len)
{
	if (!user_range(uaddr, len))
		return EFAULT;
	return cpu_copy_user(uaddr, kaddr, len);
}

int
copyinstr(const void *uaddr, char *kaddr, size_t max, size_t *done)
{
	uint64_t a = (uint64_t)uaddr;
	size_t lim;
	int r;

	*done = 0;
	if (a >= VM_MAX_USER_ADDRESS || max == 0)
		return a >= VM_MAX_USER_ADDRESS ? EFAULT : ENAMETOOLONG;
	lim = MIN(max, VM_MAX_USER_ADDRESS - a);
	r = cpu_copy_user_str(kaddr, uaddr, lim, done);
	/* Ran into the end of user space before a NUL: a bad address. */
	if (r == ENAMETOOLONG && lim < max)
		return EFAULT;
	return r;
}

int
user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new, uint32_t *seen)
{
	if (((uint64_t)uaddr & 3) != 0)
		return EINVAL;
	if (!user_range(uaddr, 4))
		return EFAULT;
	return cpu_user_cmpxchg32(uaddr, old, new, seen);
}

struct lwp *
curlwp_get(void)
{
	return curthread->td_lwp;
}

uint64_t
cpu_user_hwcap(void)
{
	uint32_t r[4];

	do_cpuid(1, r);
	return r[3];
}

/*
 * Random words for AT_RANDOM and getrandom(): RDRAND when the CPU has it
 * (CPUID 1 ECX bit 30), else splitmix64 over the TSC and a global
 * counter.  Not a cryptographic source without RDRAND; this kernel has
 * no entropy pool.
 */
uint64_t
cpu_random_u64(void)
{
	static uint64_t ctr;
	static int has_rdrand = -1; /* CPUID 1 ECX bit 30, read once */
	uint32_t r[4];
	uint64_t z;
	int i;

	if (has_rdrand < 0) {
		do_cpuid(1, r);
		has_rdrand = (r[2] & (1u << 30)) != 0;
	}
	if (has_rdrand) {
		for (i = 0; i < 10; i++) {
			uint8_t ok;

			__asm__ volatile("rdrand %0; setc %1"
			                 : "=r"(z), "=qm"(ok)
			                 :
			                 : "cc");
			if (ok)
				return z;
		}
	}
	z = rdtsc() +
	    __atomic_add_fetch(&ctr, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Linux's x86-64 signal frame (arch/x86/include/uapi/asm/sigcontext.h,
 * ucontext.h; arch/x86/kernel/signal.c), which musl's ucontext_t mirrors:
 * a handler may read and change the interrupted registers in uc_mcontext
 * and resume through rt_sigreturn.
 */
struct l_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15; /* gregs 0-7 */
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx;    /* gregs 8-14 */
	uint64_t rsp, rip, eflags;                     /* gregs 15-17 */
	uint16_t cs, gs, fs, ss;                       /* greg 18 */
	uint64_t err, trapno, oldmask, cr2;            /* gregs 19-22 */
	uint64_t fpstate;                              /* FXSAVE image */
	uint64_t reserved1[8];                         /* */
};

struct l_ucontext {
	uint64_t uc_flags;               /* 0 */
	uint64_t uc_link;                /* NULL */
	uint64_t ss_sp;                  /* uc_stack: none */
	int32_t ss_flags;                /* SS_DISABLE */
	int32_t ss_pad;                  /* */
	uint64_t ss_size;                /* */
	struct l_sigcontext uc_mcontext; /* the interrupted context */
	uint64_t uc_sigmask;             /* mask to restore */
};

struct l_siginfo {
	int32_t si_signo;          /* signal */
	int32_t si_errno;          /* 0 */
	int32_t si_code;           /* SEGV_* */
	int32_t si_pad;            /* */
	uint64_t si_addr;          /* faulting address */
	uint8_t si_rest[128 - 24]; /* the rest of the 128-byte union */
};

struct l_rt_sigframe {
	uint64_t pretcode;     /* the restorer: the handler's "ret" */
	struct l_ucontext uc;  /* context */
	struct l_siginfo info; /* SA_SIGINFO argument */
};

_Static_assert(sizeof(struct l_sigcontext) == 256, "Linux sigcontext");
_Static_assert(__builtin_offsetof(struct l_rt_sigframe, uc.uc_mcontext) ==
                   8 + 40,
               "Linux rt_sigframe: mcontext at 40 in ucontext");
_Static_assert(sizeof(struct l_rt_sigframe) == 8 + 304 + 128,
               "Linux rt_sigframe size");

#define REDZONE 128 /* the x86-64 ABI's red zone below %rsp */
/* RFLAGS bits user code may change (Linux's FIX_EFLAGS). */
#define PSL_USERCHANGE                                                         \
	(PSL_C | 0x4 | 0x10 | 0x40 | 0x80 | PSL_T | PSL_D | 0x800 | PSL_AC |   \
	 PSL_RF)

int
cpu_sendsig(struct lwp *lp, void *frame, const struct k_siginfo *si,
            const struct k_sigaction *sa, uint64_t oldmask)
{
	struct trapframe *tf = frame;
	struct l_rt_sigframe f;
	uint8_t fpu[FPU_SAVE_SIZE] __aligned(16);
	uint64_t sp, fpaddr, fl;
	int ssflags;

	if (sa->ksa_handler >= VM_MAX_USER_ADDRESS ||
	    !(sa->ksa_flags & SA_RESTORER))
		return EFAULT;
	ssflags = lwp_sigaltstack_flags(lp, tf->tf_rsp);
	/* Onto the alternate stack if asked, enabled and not already on it. */
	if ((sa->ksa_flags & SA_ONSTACK) &&
	    (ssflags & (SS_ONSTACK | SS_DISABLE)) == 0)
		sp = lp->lwp_ss_sp + lp->lwp_ss_size;
	else
		sp = tf->tf_rsp - REDZONE;
	sp = rounddown2(sp - FPU_SAVE_SIZE, 64);
	fpaddr = sp;
	sp = rounddown2(sp - sizeof(f), 16) - 8; /* as if just called */
	memset(&f, 0, sizeof(f));
	f.pretcode = sa->ksa_restorer;
	f.uc.ss_sp = lp->lwp_ss_sp;
	f.uc.ss_flags = ssflags;
	f.uc.ss_size = lp->lwp_ss_size;
	f.uc.uc_mcontext = (struct l_sigcontext){
	    .r8 = tf->tf_r8,
	    .r9 = tf->tf_r9,
	    .r10 = tf->tf_r10,
	    .r11 = tf->tf_r11,
	    .r12 = tf->tf_r12,
	    .r13 = tf->tf_r13,
	    .r14 = tf->tf_r14,
	    .r15 = tf->tf_r15,
	    .rdi = tf->tf_rdi,
	    .rsi = tf->tf_rsi,
	    .rbp = tf->tf_rbp,
	    .rbx = tf->tf_rbx,
	    .rdx = tf->tf_rdx,
	    .rax = tf->tf_rax,
	    .rcx = tf->tf_rcx,
	    .rsp = tf->tf_rsp,
	    .rip = tf->tf_rip,
	    .eflags = tf->tf_rflags,
	    .cs = (uint16_t)tf->tf_cs,
	    .ss = (uint16_t)tf->tf_ss,
	    .err = tf->tf_err,
	    .trapno = tf->tf_trapno,
	    .oldmask = oldmask,
	    .cr2 = si->ksi_addr,
	    .fpstate = fpaddr,
	};
	f.uc.uc_sigmask = oldmask;
	f.info.si_signo = si->ksi_signo;
	f.info.si_code = si->ksi_code;
	f.info.si_addr = si->ksi_addr;
	fl = intr_disable();
	fxsave(fpu); /* our registers are live: this is the running thread */
	intr_restore(fl);
	if (copyout(fpu, (void *)fpaddr, sizeof(fpu)) != 0 ||
	    copyout(&f, (void *)sp, sizeof(f)) != 0)
		return EFAULT;
	tf->tf_rsp = sp;
	tf->tf_rip = sa->ksa_handler;
	tf->tf_rdi = (uint64_t)si->ksi_signo;
	tf->tf_rsi = sp + __builtin_offsetof(struct l_rt_sigframe, info);
	tf->tf_rdx = sp + __builtin_offsetof(struct l_rt_sigframe, uc);
	tf->tf_rax = 0;
	tf->tf_rflags &= ~(uint64_t)(PSL_T | PSL_D | PSL_RF | PSL_AC);
	tf->tf_cs = UCODE_SEL;
	tf->tf_ss = UDATA_SEL;
	/* SS_AUTODISARM: the stack is off until the handler returns. */
	if (lp->lwp_ss_flags & SS_AUTODISARM)
		lp->lwp_ss_sp = lp->lwp_ss_size = 0;
	/* The handler starts with a clean FPU, as on Linux. */
	fl = intr_disable();
	fxrstor(fpu_initial);
	intr_restore(fl);
	return 0;
}

int
cpu_sigreturn(struct lwp *lp, void *frame, uint64_t *mask)
{
	struct trapframe *tf = frame;
	struct l_rt_sigframe f;
	const struct l_sigcontext *sc = &f.uc.uc_mcontext;
	uint8_t fpu[FPU_SAVE_SIZE] __aligned(16);
	uint32_t mxcsr_mask;
	uint64_t fl;

	/* The handler's "ret" popped pretcode. */
	if (copyin((void *)(tf->tf_rsp - 8), &f, sizeof(f)) != 0)
		return EFAULT;
	if (sc->fpstate != 0) {
		if (copyin((void *)sc->fpstate, fpu, sizeof(fpu)) != 0)
			return EFAULT;
		/* A reserved MXCSR bit would make FXRSTOR #GP in ring 0. */
		memcpy(&mxcsr_mask, fpu_initial + 28, 4);
		if (mxcsr_mask == 0)
			mxcsr_mask = 0xffbf;
		*(uint32_t *)(fpu + 24) &= mxcsr_mask;
	}
	tf->tf_r8 = sc->r8;
	tf->tf_r9 = sc->r9;
	tf->tf_r10 = sc->r10;
	tf->tf_r11 = sc->r11;
	tf->tf_r12 = sc->r12;
	tf->tf_r13 = sc->r13;
	tf->tf_r14 = sc->r14;
	tf->tf_r15 = sc->r15;
	tf->tf_rdi = sc->rdi;
	tf->tf_rsi = sc->rsi;
	tf->tf_rbp = sc->rbp;
	tf->tf_rbx = sc->rbx;
	tf->tf_rdx = sc->rdx;
	tf->tf_rax = sc->rax;
	tf->tf_rcx = sc->rcx;
	tf->tf_rsp = sc->rsp;
	tf->tf_rip = sc->rip; /* a bad one is caught in userret() */
	tf->tf_rflags = (tf->tf_rflags & ~(uint64_t)PSL_USERCHANGE) |
	                (sc->eflags & PSL_USERCHANGE) | PSL_I;
	tf->tf_cs = UCODE_SEL; /* never trust the frame's selectors */
	tf->tf_ss = UDATA_SEL;
	if (sc->fpstate != 0) {
		fl = intr_disable();
		fxrstor(fpu);
		intr_restore(fl);
	}
	/* The alternate stack as the frame saved it (SS_AUTODISARM). */
	if (f.uc.ss_flags & SS_DISABLE) {
		lp->lwp_ss_sp = lp->lwp_ss_size = 0;
	} else if (f.uc.ss_size >= MINSIGSTKSZ) {
		lp->lwp_ss_sp = f.uc.ss_sp;
		lp->lwp_ss_size = f.uc.ss_size;
		lp->lwp_ss_flags = (uint32_t)f.uc.ss_flags & SS_AUTODISARM;
	}
	*mask = f.uc.uc_sigmask;
	return 0;
}
