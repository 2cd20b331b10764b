/*
 * kern_syscall.c - the Linux x86-64 system-call table: numbers,
 * arguments and -errno results as Linux defines them, for the subset
 * static musl programs with pthreads use.  Any other number returns
 * -ENOSYS and prints one warning per number (the first time only).
 *
 * The console (fds 0-2): a write or writev is gathered into one buffer
 * of up to CONS_CHUNK bytes and handed to cons_puts() in one call, which
 * holds the console lock for the whole chunk, so lines written by
 * threads on different CPUs never interleave.
 */
#include <sys/proc.h>

#include <machine/vmparam.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cons.h>
#include <sys/cpu.h>
#include <sys/errno.h>
#include <sys/lwkt_ipiq.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <sys/thread.h>

#define CONS_CHUNK 4096 /* bytes per atomic console write */
#define UIO_MAXIOV 1024 /* writev: Linux's limit */
#define NSYSCALLS  512  /* numbers we remember warning about */

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED       0x00400000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_THREAD_FLAGS                                                     \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_ALLOWED                                                          \
	(CLONE_THREAD_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS |                   \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED |         \
	 CLONE_CHILD_SETTID)

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1
#define TIMER_ABSTIME   1

/* The wall clock: nanouptime() plus a fixed boot time (no RTC read). */
#define BOOT_EPOCH_NS (1767225600ull * NS_PER_S) /* 2026-01-01 00:00 UTC */

static uint64_t warned[NSYSCALLS / 64 + 1]; /* ENOSYS reported once */

static BOOTOPT_BOOL(yield_nopause, "sched.yield_nopause", false,
                    "debug: sched_yield without its PAUSE (under -icount the "
                    "boot row user-icount-yield must hang)");

/* The interrupt is the point: the thread there passes userret(). */
static void
affinity_poke(void *arg1, uint64_t arg2, void *frame)
{
	(void)arg1;
	(void)arg2;
	(void)frame;
}

static int64_t
cons_write_user(const void *ubuf, uint64_t len)
{
	char *buf;
	size_t n = MIN(len, (uint64_t)CONS_CHUNK);
	int error;

	if (n == 0)
		return 0;
	buf = kmalloc(CONS_CHUNK, M_NULLOK);
	if (buf == NULL)
		return -ENOMEM;
	error = copyin(ubuf, buf, n);
	if (error == 0)
		cons_puts(buf, n);
	kfree(buf);
	return error != 0 ? -error : (int64_t)n;
}

static int64_t
sys_write(int64_t fd, uint64_t ubuf, uint64_t len)
{
	if (fd < 0 || fd > 2)
		return -EBADF;
	return cons_write_user((const void *)ubuf, len);
}

static int64_t
sys_writev(int64_t fd, uint64_t uiov, int64_t iovcnt)
{
	struct {
		uint64_t base; /* iov_base */
		uint64_t len;  /* iov_len */
	} iov;
	char *buf;
	size_t used = 0;
	int64_t i, r;

	if (fd < 0 || fd > 2)
		return -EBADF;
	if (iovcnt < 0 || iovcnt > UIO_MAXIOV)
		return -EINVAL;
	buf = kmalloc(CONS_CHUNK, M_NULLOK);
	if (buf == NULL)
		return -ENOMEM;
	r = 0;
	for (i = 0; i < iovcnt && used < CONS_CHUNK; i++) {
		size_t n;

		if (copyin((const char *)uiov + i * sizeof(iov), &iov,
		           sizeof(iov)) != 0) {
			r = -EFAULT;
			break;
		}
		if ((int64_t)iov.len < 0) {
			r = -EINVAL;
			break;
		}
		n = MIN(iov.len, CONS_CHUNK - used);
		if (copyin((const void *)iov.base, buf + used, n) != 0) {
			r = -EFAULT;
			break;
		}
		used += n;
	}
	if (r == 0) {
		if (used > 0)
			cons_puts(buf, used);
		r = (int64_t)used;
	}
	kfree(buf);
	return r;
}

static int64_t
sys_read(struct lwp *lp, int64_t fd, uint64_t ubuf, uint64_t len)
{
	char buf[64];
	size_t n = 0;
	int c;

	if (fd < 0 || fd > 2)
		return -EBADF;
	if (len == 0)
		return 0;
	/* Block until at least one byte, then take what is waiting. */
	for (;;) {
		while (n < MIN(len, sizeof(buf)) && (c = cons_getc()) >= 0) {
			buf[n++] = (char)(c == '\r' ? '\n' : c);
			if (c == '\r' || c == '\n')
				break;
		}
		if (n > 0)
			break;
		if (lwp_sleep_ns(lp, 10 * NS_PER_MS) != 0)
			return -EINTR;
	}
	if (copyout(buf, (void *)ubuf, n) != 0)
		return -EFAULT;
	return (int64_t)n;
}

static int64_t
sys_clone(struct lwp *lp, void *frame, uint64_t flags, uint64_t newsp,
          uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct proc *p = lp->lwp_proc;
	struct lwp *nlp;
	int tid, error, cpu;

	/* Threads only: no fork (no second address space from clone). */
	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS)
		return -EINVAL;
	if (flags & ~(uint64_t)(CLONE_ALLOWED | 0xff)) /* low byte: signal */
		return -EINVAL;
	/* As arch_prctl(ARCH_SET_FS): loading it must not fault in ring 0. */
	if ((flags & CLONE_SETTLS) && tls >= VM_USER_TOP)
		return -EPERM;
	nlp = lwp_alloc(p);
	if (nlp == NULL)
		return -EAGAIN;
	cpu_clone_setup(nlp, frame, newsp);
	nlp->lwp_md.md_fsbase =
	    (flags & CLONE_SETTLS) ? tls : cpu_get_fsbase(lp);
	nlp->lwp_sigmask = lp->lwp_sigmask;
	if (flags & CLONE_CHILD_CLEARTID)
		nlp->lwp_clear_tid = ctid;
	/*
	 * The tid is stored before the thread can run.  As on Linux, a
	 * store that faults is ignored (copy_process does not check
	 * put_user): the thread is created all the same.
	 */
	tid = nlp->lwp_tid = proc_alloc_id();
	if (flags & CLONE_PARENT_SETTID)
		(void)copyout(&tid, (void *)ptid, sizeof(tid));
	if (flags & CLONE_CHILD_SETTID)
		(void)copyout(&tid, (void *)ctid, sizeof(tid));
	/* Spread threads over their allowed CPUs, round-robin. */
	memcpy(nlp->lwp_affinity, lp->lwp_affinity, sizeof(lp->lwp_affinity));
	cpu = lwp_affinity_pick(nlp, (p->p_nlwps_total + 1 + p->p_pid) % ncpus);
	if (cpu < 0)
		cpu = mycpu->gd_cpuid;
	error = lwp_spawn(p, nlp, cpu);
	if (error != 0)
		lwp_free_unstarted(nlp);
	return error != 0 ? -error : tid;
}

static uint64_t
clock_ns(int clk)
{
	uint64_t t = nanouptime();

	return clk == CLOCK_REALTIME ? t + BOOT_EPOCH_NS : t;
}

static int
clock_ok(int64_t clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC;
}

static int64_t
sys_clock_gettime(int64_t clk, uint64_t uts)
{
	int64_t ts[2];
	uint64_t t;

	if (!clock_ok(clk))
		return -EINVAL;
	t = clock_ns((int)clk);
	ts[0] = (int64_t)(t / NS_PER_S);
	ts[1] = (int64_t)(t % NS_PER_S);
	return copyout(ts, (void *)uts, sizeof(ts)) != 0 ? -EFAULT : 0;
}

static int64_t
do_nanosleep(struct lwp *lp, int clk, int flags, uint64_t ureq, uint64_t urem)
{
	int64_t ts[2];
	uint64_t ns, now;

	if (copyin((void *)ureq, ts, sizeof(ts)) != 0)
		return EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NS_PER_S)
		return EINVAL;
	ns = (uint64_t)ts[0] * NS_PER_S + (uint64_t)ts[1];
	if (flags & TIMER_ABSTIME) {
		now = clock_ns(clk);
		ns = ns > now ? ns - now : 0;
	}
	(void)urem; /* never interrupted by a handled signal: no remainder */
	return lwp_sleep_ns(lp, ns);
}

/*
 * sched_setaffinity/sched_getaffinity for any thread of the process (a
 * pid/tid of 0 is the caller).  The mask lives in the lwp (under
 * p_lock); a thread outside its mask moves itself at its next return to
 * user mode (userret: lwkt_migrate, a message to the target CPU), so
 * another thread's mask change only pokes it.
 */
static int64_t
sys_sched_affinity(struct lwp *lp, bool set, int64_t tid, uint64_t len,
                   uint64_t umask)
{
	struct proc *p = lp->lwp_proc;
	uint64_t mask[LWP_AFFINITY_WORDS] = {0, 0, 0, 0};
	size_t n = sizeof(mask), online = (size_t)howmany(ncpus, 64) * 8;
	struct lwp *t;
	int i, target_cpu = -1;

	if (!set && (len < online || (len & 7)))
		return -EINVAL; /* Linux: room for the kernel's mask */
	if (set) {
		n = MIN(n, len);
		if (copyin((void *)umask, mask, n) != 0)
			return -EFAULT;
		for (i = ncpus; i < LWP_AFFINITY_WORDS * 64; i++)
			mask[i / 64] &= ~(1ull << (i % 64)); /* online only */
		if ((mask[0] | mask[1] | mask[2] | mask[3]) == 0)
			return -EINVAL;
	}
	spin_lock(&p->p_lock);
	for (t = p->p_lwps; t != NULL; t = t->lwp_next)
		if (tid == 0 ? t == lp : t->lwp_tid == tid)
			break;
	if (t == NULL) {
		spin_unlock(&p->p_lock);
		return -ESRCH;
	}
	if (set) {
		memcpy(t->lwp_affinity, mask, sizeof(mask));
		if (t != lp && t->lwp_thread != NULL)
			target_cpu = t->lwp_thread->td_gd->gd_cpuid;
	} else {
		memcpy(mask, t->lwp_affinity, sizeof(mask));
	}
	spin_unlock(&p->p_lock);
	if (!set) {
		for (i = ncpus; i < LWP_AFFINITY_WORDS * 64; i++)
			mask[i / 64] &= ~(1ull << (i % 64));
		n = MIN(len, online);
		return copyout(mask, (void *)umask, n) != 0 ? -EFAULT
		                                            : (int64_t)n;
	}
	if (target_cpu >= 0 && target_cpu != mycpu->gd_cpuid)
		lwkt_send_ipiq(target_cpu, affinity_poke, NULL, 0);
	lwp_affinity_enforce(lp);
	return 0;
}

static int64_t
sys_uname(uint64_t ubuf)
{
	static const char *const f[5] = {"pcoherence", "pcoherence", "6.1.0",
	                                 "pcoherence " KERNCONF, "x86_64"};
	char u[6][65];
	int i;

	memset(u, 0, sizeof(u));
	for (i = 0; i < 5; i++)
		strlcpy(u[i], f[i], sizeof(u[i]));
	strlcpy(u[5], "(none)", sizeof(u[5]));
	return copyout(u, (void *)ubuf, sizeof(u)) != 0 ? -EFAULT : 0;
}

/*
 * getrandom: a splitmix64 stream seeded from cpu_random_u64() (RDRAND
 * when the CPU has it) once per call.  Not a cryptographic generator:
 * this kernel has no entropy pool.  Linux's limits: at most 32 MiB - 1
 * per call, flags GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE.
 */
static int64_t
sys_getrandom(uint64_t ubuf, uint64_t len, uint64_t flags)
{
	uint64_t done = 0, z = cpu_random_u64();

	if (flags & ~7ull)
		return -EINVAL;
	len = MIN(len, 33554431ull);
	while (done < len) {
		uint64_t w[64];
		size_t n = MIN(sizeof(w), len - done), i;

		for (i = 0; i < 64; i++) {
			uint64_t x = (z += 0x9e3779b97f4a7c15ull);

			x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
			x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
			w[i] = x ^ (x >> 31);
		}
		if (copyout(w, (char *)ubuf + done, n) != 0)
			return done > 0 ? (int64_t)done : -EFAULT;
		done += n;
	}
	return (int64_t)done;
}

static int64_t
sys_ioctl(int64_t fd)
{
	return fd >= 0 && fd <= 2 ? -ENOTTY : -EBADF;
}

static int64_t
sys_enosys(uint64_t nr)
{
	/* One warning per number; all numbers >= NSYSCALLS share one. */
	uint64_t slot = nr < NSYSCALLS ? nr : NSYSCALLS,
	         bit = 1ull << (slot % 64);

	if (__atomic_fetch_or(&warned[slot / 64], bit, __ATOMIC_RELAXED) & bit)
		return -ENOSYS;
	kprintf("syscall: warning: system call %lu is not implemented "
	        "(-ENOSYS)\n",
	        nr);
	return -ENOSYS;
}

int64_t
syscall_dispatch(struct lwp *lp, void *frame, uint64_t nr, const uint64_t a[6])
{
	struct proc *p = lp->lwp_proc;

	switch (nr) {
	case 0: /* read */
		return sys_read(lp, (int64_t)a[0], a[1], a[2]);
	case 1: /* write */
		return sys_write((int64_t)a[0], a[1], a[2]);
	case 9: /* mmap */
		return vm_mmap(p, a[0], a[1], a[2], a[3], (int64_t)a[4], a[5]);
	case 10: /* mprotect */
		return vm_mprotect(p, a[0], a[1], a[2]);
	case 11: /* munmap */
		return vm_munmap(p, a[0], a[1]);
	case 12: /* brk */
		return vm_brk(p, a[0]);
	case 13: /* rt_sigaction */
		return sys_rt_sigaction(lp, (int64_t)a[0], a[1], a[2], a[3]);
	case 14: /* rt_sigprocmask */
		return sys_rt_sigprocmask(lp, (int64_t)a[0], a[1], a[2], a[3]);
	case 15: /* rt_sigreturn */
		return sys_rt_sigreturn(lp, frame);
	case 16: /* ioctl */
		return sys_ioctl((int64_t)a[0]);
	case 20: /* writev */
		return sys_writev((int64_t)a[0], a[1], (int64_t)a[2]);
	case 24: /* sched_yield */
		lwkt_yield();
		/*
		 * A yield that found nothing else to run is a spin-wait step
		 * (a thread polling for another CPU's work): say so.  Under
		 * QEMU's round-robin -icount scheduler PAUSE also ends this
		 * vCPU's slice, which is what lets the other vCPUs run
		 * (docs/PERFORMANCE.md, section 8, "-icount"; the boot row
		 * user-icount-yield, and with yield_nopause it must hang).
		 */
		if (!yield_nopause)
			cpu_pause_hint();
		return 0;
	case 28: /* madvise */
		return vm_madvise(p, a[0], a[1], a[2]);
	case 35: /* nanosleep */
		return -do_nanosleep(lp, CLOCK_MONOTONIC, 0, a[0], a[1]);
	case 39: /* getpid */
		return p->p_pid;
	case 56: /* clone */
		return sys_clone(lp, frame, a[0], a[1], a[2], a[3], a[4]);
	case 60: /* exit: this thread */
		spin_lock(&p->p_lock);
		if (p->p_nlwps == 1 && !p->p_exiting)
			p->p_xstat = (int)(a[0] & 0xff);
		spin_unlock(&p->p_lock);
		lwp_exit(lp);
	case 63: /* uname */
		return sys_uname(a[0]);
	case 131: /* sigaltstack */
		return sys_sigaltstack(lp, frame, a[0], a[1]);
	case 158: /* arch_prctl */
		if (a[0] == ARCH_SET_FS) {
			if (a[1] >= VM_USER_TOP)
				return -EPERM;
			cpu_set_fsbase(lp, a[1]);
			return 0;
		}
		if (a[0] == ARCH_GET_FS) {
			uint64_t b = cpu_get_fsbase(lp);

			return copyout(&b, (void *)a[1], 8) != 0 ? -EFAULT : 0;
		}
		return -EINVAL;
	case 186: /* gettid */
		return lp->lwp_tid;
	case 202: /* futex */
		return sys_futex(lp, a[0], (int)a[1], (uint32_t)a[2], a[3],
		                 a[4], (uint32_t)a[5]);
	case 203: /* sched_setaffinity */
		return sys_sched_affinity(lp, true, (int64_t)a[0], a[1], a[2]);
	case 204: /* sched_getaffinity */
		return sys_sched_affinity(lp, false, (int64_t)a[0], a[1], a[2]);
	case 218: /* set_tid_address */
		lp->lwp_clear_tid = a[0];
		return lp->lwp_tid;
	case 228: /* clock_gettime */
		return sys_clock_gettime((int64_t)a[0], a[1]);
	case 230: /* clock_nanosleep: returns the error, not -1/errno */
		if (!clock_ok((int64_t)a[0]))
			return -EINVAL;
		if (a[1] & ~(uint64_t)TIMER_ABSTIME)
			return -EINVAL;
		return -do_nanosleep(lp, (int)a[0], (int)a[1], a[2], a[3]);
	case 231: /* exit_group */
		proc_exit_all(p, (int)(a[0] & 0xff), false);
		lwp_exit(lp);
	case 318: /* getrandom */
		return sys_getrandom(a[0], a[1], a[2]);
	default:
		return sys_enosys(nr);
	}
}
