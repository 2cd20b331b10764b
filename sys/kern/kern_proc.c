/*
 * kern_proc.c - processes and their threads: creation, the exit
 * protocol, and userret().  <sys/proc.h> states the locking and the exit
 * protocol's invariant; in short: p_exiting is set once under p_lock,
 * every thread leaves at its next return towards user mode or its next
 * sleep slice, and the last thread out (p_nlwps reaching 0 under p_lock)
 * tears the address space down after it has switched to the kernel
 * pmap.  pmap_destroy() then waits (bounded, with a message) until no
 * CPU runs on the pmap, so CPUs that are still switching away from
 * another exited thread are covered too.
 */
#include <sys/proc.h>

#include <machine/vmparam.h>
#include <sys/cpu.h>
#include <sys/errno.h>
#include <sys/lwkt_ipiq.h>
#include <sys/malloc.h>
#include <sys/mman.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define TDPRI_USER (TDPRI_NORMAL - 2) /* below kernel service threads */

static int next_pid = 1; /* pids and tids share one counter, like Linux */
volatile int proc_count;
volatile uint64_t proc_threads_created; /* statistics, leak checks */

int
proc_alloc_id(void)
{
	return __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
}

struct proc *
proc_create(const char *name)
{
	struct proc *p = kmalloc(sizeof(*p), M_ZERO | M_NULLOK);

	if (p == NULL)
		return NULL;
	p->p_pmap = pmap_create();
	if (p->p_pmap == NULL) {
		kfree(p);
		return NULL;
	}
	p->p_pid = proc_alloc_id();
	strlcpy(p->p_comm, name, sizeof(p->p_comm));
	vm_map_init(&p->p_map, MMAP_MIN_ADDR, VM_USER_TOP);
	p->p_vmlock = (struct spinlock)SPINLOCK_INITIALIZER("p_vmlock");
	p->p_lock = (struct spinlock)SPINLOCK_INITIALIZER("p_lock");
	__atomic_fetch_add(&proc_count, 1, __ATOMIC_RELAXED);
	return p;
}

struct lwp *
lwp_alloc(struct proc *p)
{
	struct lwp *lp = kmalloc(sizeof(*lp), M_ZERO | M_NULLOK);

	if (lp == NULL)
		return NULL;
	lp->lwp_proc = p;
	memset(lp->lwp_affinity, 0xff, sizeof(lp->lwp_affinity));
	cpu_lwp_init(lp);
	return lp;
}

int
lwp_affinity_pick(const struct lwp *lp, int cpu)
{
	int i, c;

	for (i = 0; i < ncpus; i++) {
		c = (cpu + i) % ncpus;
		if (c < LWP_AFFINITY_WORDS * 64 &&
		    (lp->lwp_affinity[c / 64] & (1ull << (c % 64))))
			return c;
	}
	return -1;
}

void
lwp_affinity_enforce(struct lwp *lp)
{
	struct proc *p = lp->lwp_proc;
	int me = mycpu->gd_cpuid, cpu;

	spin_lock(&p->p_lock);
	cpu = lwp_affinity_pick(lp, me);
	spin_unlock(&p->p_lock);
	if (cpu >= 0 && cpu != me)
		lwkt_migrate(cpu); /* a message adopts us on cpu */
}

void
lwp_free_unstarted(struct lwp *lp)
{
	kfree(lp);
}

/* The LWKT body of every user thread: adopt the lwp, enter user mode. */
static void
lwp_main(void *arg)
{
	struct lwp *lp = arg;
	struct thread *td = curthread;

	/*
	 * Interrupts off from here to the user-mode entry: the context
	 * switch must not save this thread's (kernel) FPU contents over
	 * the lwp's initial state once td_lwp is set.
	 */
	cpu_intr_disable();
	lp->lwp_thread = td;
	td->td_lwp = lp;
	lwkt_set_pmap(lp->lwp_proc->p_pmap);
	cpu_user_start(lp);
}

int
lwp_spawn(struct proc *p, struct lwp *lp, int cpu)
{
	char name[TD_NAMELEN];

	spin_lock(&p->p_lock);
	if (p->p_exiting || p->p_nlwps >= PROC_MAX_LWPS) {
		spin_unlock(&p->p_lock);
		return EAGAIN;
	}
	if (lp->lwp_tid == 0)
		lp->lwp_tid = proc_alloc_id();
	lp->lwp_next = p->p_lwps;
	p->p_lwps = lp;
	p->p_nlwps++;
	p->p_nlwps_total++;
	spin_unlock(&p->p_lock);
	__atomic_fetch_add(&proc_threads_created, 1, __ATOMIC_RELAXED);
	ksnprintf(name, sizeof(name), "%.12s/%d", p->p_comm, lp->lwp_tid);
	lwkt_create(lwp_main, lp, name, cpu, TDPRI_USER);
	return 0;
}

int
proc_start(struct proc *p, uint64_t entry, uint64_t sp, int cpu)
{
	struct lwp *lp = lwp_alloc(p);
	int error;

	if (lp == NULL)
		return ENOMEM;
	lp->lwp_tid = p->p_pid;
	cpu_user_setup(lp, entry, sp);
	error = lwp_spawn(p, lp, cpu);
	if (error != 0)
		kfree(lp);
	return error;
}

static void
poke_ipi(void *arg1, uint64_t arg2, void *frame)
{
	(void)arg1;
	(void)arg2;
	(void)frame; /* the interrupt itself is the point: userret runs */
}

void
proc_exit_all(struct proc *p, int xstat, bool killed)
{
	struct lwp *lp, *self = curlwp;

	spin_lock(&p->p_lock);
	if (!p->p_exiting) {
		p->p_xstat = xstat;
		p->p_killed = killed;
		__atomic_store_n(&p->p_exiting, 1, __ATOMIC_SEQ_CST);
	}
	/*
	 * Threads in user mode on other CPUs enter the kernel on this IPI
	 * and leave in userret(); sleepers are woken (and their sleep
	 * slices are short in any case).  Under p_lock no thread of the
	 * list can be freed meanwhile.
	 */
	for (lp = p->p_lwps; lp != NULL; lp = lp->lwp_next) {
		struct thread *td = lp->lwp_thread;

		if (lp == self || td == NULL)
			continue;
		if (lp->lwp_wchan != NULL)
			wakeup(lp->lwp_wchan);
		if (td->td_gd != mycpu)
			lwkt_send_ipiq(td->td_gd->gd_cpuid, poke_ipi, NULL, 0);
	}
	spin_unlock(&p->p_lock);
}

void
lwp_exit(struct lwp *lp)
{
	struct proc *p = lp->lwp_proc;
	struct thread *td = curthread;
	struct lwp **pp;
	uint64_t fl;
	bool last;

	if (lp->lwp_clear_tid != 0 && !p->p_exiting) {
		uint32_t zero = 0;

		/* CHILD_CLEARTID: pthread_join waits on this word. */
		if (copyout(&zero, (void *)lp->lwp_clear_tid, 4) == 0)
			futex_wake(p, lp->lwp_clear_tid, 1);
	}
	spin_lock(&p->p_lock);
	for (pp = &p->p_lwps; *pp != lp; pp = &(*pp)->lwp_next)
		;
	*pp = lp->lwp_next;
	last = --p->p_nlwps == 0;
	spin_unlock(&p->p_lock);
	/* Off the lwp and the user pmap before anything is freed. */
	fl = cpu_intr_disable();
	td->td_lwp = NULL;
	lwkt_set_pmap(NULL);
	cpu_intr_restore(fl | 0x200); /* interrupts on */
	kfree(lp);
	if (last) {
		vm_teardown(p);
		pmap_destroy(p->p_pmap);
		p->p_pmap = NULL;
		__atomic_store_n(&p->p_done, 1, __ATOMIC_SEQ_CST);
		wakeup(p);
	}
	lwkt_exit();
}

void
proc_kill_sig(struct lwp *lp, const struct k_siginfo *si)
{
	static const char *const acc[] = {"?", "read", "write", "?", "exec"};
	struct proc *p = lp->lwp_proc;

	kprintf("proc: pid %d (%s) tid %d on cpu %d killed by signal %d: "
	        "rip %#lx, address %#lx, %s%s\n",
	        p->p_pid, p->p_comm, lp->lwp_tid, mycpu->gd_cpuid,
	        si->ksi_signo, si->ksi_rip, si->ksi_addr,
	        si->ksi_access <= 4 ? acc[si->ksi_access] : "?",
	        si->ksi_signo == SIGKILL      ? " (out of memory)"
	        : si->ksi_code == SEGV_ACCERR ? " (protection)"
	        : si->ksi_code == SEGV_MAPERR ? " (not mapped)"
	                                      : "");
	proc_exit_all(p, si->ksi_signo, true);
	lwp_exit(lp);
}

/*
 * Diagnostics for a process that did not finish: each thread's CPU,
 * flags and what it sleeps on.  Read without the owners' cooperation
 * (the values may be a moment old), under p_lock so no thread is freed.
 */
void
proc_print_threads(struct proc *p)
{
	struct lwp *lp;

	spin_lock(&p->p_lock);
	for (lp = p->p_lwps; lp != NULL; lp = lp->lwp_next) {
		struct thread *td = lp->lwp_thread;

		if (td == NULL) {
			kprintf("  tid %d: not started\n", lp->lwp_tid);
			continue;
		}
		kprintf("  tid %d: cpu %d flags %#x %s%s\n", lp->lwp_tid,
		        td->td_gd->gd_cpuid, td->td_flags,
		        (td->td_flags & TDF_SLEEPQ) ? "asleep: " : "running",
		        (td->td_flags & TDF_SLEEPQ) && td->td_wmesg != NULL
		            ? td->td_wmesg
		            : "");
	}
	spin_unlock(&p->p_lock);
}

int
proc_wait_free(struct proc *p, int timeout_ms, bool *timed_out)
{
	uint64_t waited = 0;
	int st;

	*timed_out = false;
	while (!__atomic_load_n(&p->p_done, __ATOMIC_SEQ_CST)) {
		tsleep(p, 0, "procwait", 100);
		waited += 100;
		if (timeout_ms > 0 && waited >= (uint64_t)timeout_ms) {
			*timed_out = true;
			return -1; /* still running: leaked on purpose */
		}
	}
	st = p->p_killed ? 128 + p->p_xstat : p->p_xstat;
	__atomic_fetch_sub(&proc_count, 1, __ATOMIC_RELAXED);
	kfree(p);
	return st;
}
