/*
 * User processes and their threads.
 *
 * A process (struct proc) owns an address space (a pmap and a vm_map)
 * and its threads.  Each user thread (struct lwp) is bound to one LWKT
 * thread (lwp_thread, td_lwp back): it runs user code and enters the
 * kernel on that thread's stack, on the thread's CPU, and moves between
 * CPUs only through the LWKT layer (sched_setaffinity: lwkt_migrate).
 *
 * Locking.  p_lock (a spin lock) guards the thread list, p_nlwps,
 * p_exiting/p_xstat and the signal actions.  p_vmlock guards the vm_map,
 * the brk and every change to the user page tables (vm_mmap.c has the
 * invariant).  The exit protocol: exit_group sets p_exiting once (under
 * p_lock), then pokes every other thread's CPU with an IPI message so a
 * thread running user code enters the kernel, and wakes any thread
 * asleep in the kernel; each thread sees p_exiting at its next return
 * towards user mode (userret) or in its sleep loop and leaves.  The
 * last thread to leave (p_nlwps reaching 0 under p_lock) switches to the
 * kernel pmap, tears the address space down and sets p_done, so nothing
 * of the process is freed while any of its threads can still use it.
 */
#ifndef _SYS_PROC_H_
#define _SYS_PROC_H_

#include <machine/proc.h>
#include <sys/signal.h>
#include <sys/spinlock.h>
#include <sys/types.h>
#include <vm/vm_map.h>

#define PROC_MAX_LWPS      128 /* threads per process: more is EAGAIN */
#define PROC_COMM_LEN      32  /* name kept for messages */
#define LINUX_NSIG         64  /* signals 1..64 */
#define LWP_AFFINITY_WORDS 4   /* sched_setaffinity masks: 256 CPUs */

/* One signal action, the layout of Linux's kernel struct sigaction. */
struct k_sigaction {
	uint64_t ksa_handler;  /* SIG_DFL 0, SIG_IGN 1, or a function */
	uint64_t ksa_flags;    /* SA_* */
	uint64_t ksa_restorer; /* SA_RESTORER: returns via rt_sigreturn */
	uint64_t ksa_mask;     /* blocked while the handler runs */
};

/* A synchronous signal waiting for delivery (one at a time per thread). */
struct k_siginfo {
	int ksi_signo;     /* 0: none */
	int ksi_code;      /* SEGV_MAPERR, SEGV_ACCERR, ... */
	uint64_t ksi_addr; /* faulting address */
	uint64_t ksi_rip;  /* where (for the kill message) */
	int ksi_access;    /* VM_PROT_* of the failed access */
};

struct proc;

struct lwp {
	struct mdlwp lwp_md;       /* FPU state etc.; first: alignment */
	struct proc *lwp_proc;     /* the process */
	struct thread *lwp_thread; /* the LWKT thread that runs it */
	struct lwp *lwp_next;      /* p_lwps link */
	int lwp_tid;               /* thread id (the first thread's = pid) */
	uint64_t lwp_clear_tid;    /* set_tid_address: zeroed + woken at exit */
	uint64_t lwp_sigmask;      /* blocked signals (bit sig-1) */
	struct k_siginfo lwp_sig;  /* pending synchronous signal */
	const volatile void *lwp_wchan; /* what it sleeps on (exit wakes it) */
	uint64_t lwp_affinity[LWP_AFFINITY_WORDS]; /* allowed CPUs (p_lock) */
	uint64_t lwp_ss_sp;    /* sigaltstack base (0: none) */
	uint64_t lwp_ss_size;  /* its size */
	uint32_t lwp_ss_flags; /* SS_AUTODISARM as given */
};

struct proc {
	int p_pid;                  /* process id */
	char p_comm[PROC_COMM_LEN]; /* program name */
	struct pmap *p_pmap;        /* page tables */
	struct vm_map p_map;        /* what may be mapped (under p_vmlock) */
	struct spinlock p_vmlock;   /* map, brk, user page-table changes */
	struct spinlock p_lock;     /* threads, exit state, signal actions */
	struct lwp *p_lwps;         /* live threads */
	int p_nlwps;                /* how many */
	int p_nlwps_total;          /* threads ever created (statistics) */
	volatile int p_exiting;     /* exit_group/kill: every thread leaves */
	int p_xstat;                /* exit status (wait status encoding) */
	bool p_killed;              /* killed by a signal */
	volatile int p_done;        /* torn down: the waiter may free it */
	vm_offset_t p_brk_start;    /* initial program break */
	vm_offset_t p_brk;          /* current program break */
	vm_offset_t p_mmap_top;     /* mmap searches below this */
	struct k_sigaction p_sigacts[LINUX_NSIG]; /* [sig-1] */
	uint64_t p_free_baseline; /* free pages before it started */
};

/* sys/kern/kern_proc.c */
struct proc *proc_create(const char *name);
/* Start the first thread at entry with stack sp (after exec_load). */
int proc_start(struct proc *p, uint64_t entry, uint64_t sp, int cpu);
/* Create a thread of p that starts from lp's md_startf. */
int lwp_spawn(struct proc *p, struct lwp *lp, int cpu);
struct lwp *lwp_alloc(struct proc *p);
int proc_alloc_id(void); /* pids and tids: one counter */
void lwp_free_unstarted(struct lwp *lp);
/* Wait for p to finish (p_done), then free it: its exit status. */
int proc_wait_free(struct proc *p, int timeout_ms, bool *timed_out);
/* Print each thread's CPU and state (a process that did not finish). */
void proc_print_threads(struct proc *p);
/* Terminate the whole process with status (exit_group / kill). */
void proc_exit_all(struct proc *p, int xstat, bool killed);
/* The calling thread leaves (thread exit or the process is exiting). */
void lwp_exit(struct lwp *lp) __noreturn;
/* Kill the process because of an unhandled signal, with one line. */
void proc_kill_sig(struct lwp *lp, const struct k_siginfo *si) __noreturn;
/* Before returning to user mode: exit, pending signals. */
void userret(struct lwp *lp, void *frame);
/* syscall_dispatch() result that leaves the frame alone (rt_sigreturn). */
#define SYSCALL_JUSTRETURN INT64_MIN
int64_t syscall_dispatch(struct lwp *lp, void *frame, uint64_t nr,
                         const uint64_t args[6]);
extern volatile int proc_count;                /* live processes */
extern volatile uint64_t proc_threads_created; /* user threads ever */

/* sys/kern/kern_userboot.c: run= programs; failures (0: all exited 0). */
int userboot_run(void);
extern const char *run_list; /* the run= option, NULL when absent */

/* First allowed CPU of lp at or after cpu (wrapping), or -1 (p_lock). */
int lwp_affinity_pick(const struct lwp *lp, int cpu);
/* Move the calling thread into its affinity mask if it is outside. */
void lwp_affinity_enforce(struct lwp *lp);

/* The current user thread (NULL in a kernel thread). */
struct lwp *curlwp_get(void);
#define curlwp curlwp_get()

/* sys/kern/kern_sig.c */
int64_t sys_rt_sigaction(struct lwp *lp, int64_t sig, uint64_t uact,
                         uint64_t uold, uint64_t sigsetsize);
int64_t sys_rt_sigprocmask(struct lwp *lp, int64_t how, uint64_t uset,
                           uint64_t uold, uint64_t sigsetsize);
int64_t sys_rt_sigreturn(struct lwp *lp, void *frame);
int64_t sys_sigaltstack(struct lwp *lp, void *frame, uint64_t uss,
                        uint64_t uoss);
/* The ss_flags Linux reports for lp's alternate stack at user sp. */
int lwp_sigaltstack_flags(const struct lwp *lp, uint64_t sp);

/* sys/kern/kern_futex.c: wake up to n waiters on uaddr: how many. */
int futex_wake(struct proc *p, uint64_t uaddr, int n);
int64_t sys_futex(struct lwp *lp, uint64_t uaddr, int op, uint32_t val,
                  uint64_t utimeout, uint64_t uaddr2, uint32_t val3);
/* Sleep up to ns (0: a slice) unless the process exits: 0 or EINTR. */
int lwp_sleep_ns(struct lwp *lp, uint64_t ns);

/* sys/kern/kern_exec.c: load an ELF image, build the initial stack. */
int exec_load(struct proc *p, const void *image, size_t len,
              const char *const *argv, const char *const *envp, uint64_t *entry,
              uint64_t *sp, char *err, size_t errlen);

/* sys/vm/vm_fault.c */
#define VMF_OK     0 /* resolved: retry the access */
#define VMF_MAPERR 1 /* no mapping: SEGV_MAPERR */
#define VMF_ACCERR 2 /* mapping forbids the access: SEGV_ACCERR */
#define VMF_NOMEM  3 /* out of memory: the process is killed */
int vm_fault(struct proc *p, vm_offset_t va, int access);
/* sys/vm/vm_mmap.c: the system calls, returning a value or -errno. */
int64_t vm_mmap(struct proc *p, uint64_t addr, uint64_t len, uint64_t prot,
                uint64_t flags, int64_t fd, uint64_t off);
int64_t vm_munmap(struct proc *p, uint64_t addr, uint64_t len);
int64_t vm_mprotect(struct proc *p, uint64_t addr, uint64_t len, uint64_t prot);
int64_t vm_madvise(struct proc *p, uint64_t addr, uint64_t len,
                   uint64_t advice);
int64_t vm_brk(struct proc *p, uint64_t addr);
void vm_teardown(struct proc *p);    /* exit: unmap all, one shootdown */
extern uint64_t vm_invariant_broken; /* mapped PTEs found outside the map */

/*
 * The platform side (sys/platform/pc64/cpu_user.c).  "frame" is the
 * opaque saved user context of the calling thread.
 */
void cpu_lwp_init(struct lwp *lp);              /* clean FPU state */
void cpu_user_start(struct lwp *lp) __noreturn; /* enter md_startf */
void cpu_user_setup(struct lwp *lp, uint64_t entry, uint64_t sp);
/* Child context: the parent's frame with rax = 0 and the new stack. */
void cpu_clone_setup(struct lwp *child, const void *parent_frame,
                     uint64_t newsp);
void cpu_set_fsbase(struct lwp *lp, uint64_t base);
uint64_t cpu_get_fsbase(struct lwp *lp);
/* Push a Linux rt_sigframe and point the frame at the handler: 0/EFAULT. */
int cpu_sendsig(struct lwp *lp, void *frame, const struct k_siginfo *si,
                const struct k_sigaction *sa, uint64_t oldmask);
/* rt_sigreturn: restore the context; 0 or EFAULT/EINVAL; *mask set. */
int cpu_sigreturn(struct lwp *lp, void *frame, uint64_t *mask);
uint64_t cpu_frame_rip(const void *frame);
uint64_t cpu_frame_sp(const void *frame);
uint64_t cpu_user_hwcap(void); /* AT_HWCAP: CPUID 1 EDX */
uint64_t cpu_random_u64(void); /* RDRAND, else a TSC-seeded mix */
/* The boot module named name: 0 and its bytes, or ENOENT. */
int cpu_boot_module(const char *name, const void **data, size_t *len);
void cpu_frame_set_retval(void *frame, int64_t v);

/* User memory access (copyuser.S + cpu_user.c): 0 or EFAULT. */
int copyin(const void *uaddr, void *kaddr, size_t len);
int copyout(const void *kaddr, void *uaddr, size_t len);
/* 0, ENAMETOOLONG or EFAULT; *done = bytes copied including the NUL. */
int copyinstr(const void *uaddr, char *kaddr, size_t max, size_t *done);
/* Locked compare-exchange of a user word: 0 (*seen: old value) / EFAULT. */
int user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new, uint32_t *seen);

#endif /* !_SYS_PROC_H_ */
