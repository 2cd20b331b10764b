/*
 * kern_userboot.c - start the user programs the command line names and
 * judge them (userboot_run(): the ktest suite "user" of
 * kern_userboot_test.c calls it, a kernel without options KTEST calls it
 * from mi_main), for the boot option
 *
 *	run=NAME[:ARG:ARG...][,NAME[:ARG...]...]
 *
 * Each NAME is a GRUB multiboot2 module (tools/mkiso.sh adds them:
 * `module2 /boot/NAME NAME`), loaded as a static ELF64 executable into
 * its own process with argv = NAME ARG... and a small environment; all
 * of them run at once, their threads spread over the CPUs.  It waits for
 * each (bounded by user.timeout= seconds), prints one line per process
 * with its exit status, and counts a failure for every program that did
 * not start or exit 0, for pages that did not come back (a leak) and for
 * pages found mapped outside a process's map (vm_mmap.c's invariant).  A process killed by a signal reports 128 +
 * the signal, as a shell would.
 */
#include <sys/proc.h>

#include <sys/bootopt.h>
#include <sys/errno.h>
#include <sys/malloc.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_kern.h>
#include <vm/vm_page.h>

BOOTOPT_STR(run_list, "run",
            "user programs (boot modules): NAME[:ARG...][,NAME...]");
static BOOTOPT_INT(user_timeout_s, "user.timeout", 60, 1, 3600,
                   "seconds to wait for the user programs");

#define USER_MAX_PROCS 16
#define USER_MAX_ARGS  16

struct userprog {
	char up_spec[128];                      /* NAME:ARG:... as given */
	const char *up_argv[USER_MAX_ARGS + 1]; /* pointers into up_spec */
	struct proc *up_proc;                   /* NULL: did not start */
};

/* Start one program: 0, or an error after printing why. */
static int
start_one(struct userprog *u, int idx)
{
	static const char *const envp[] = {"PATH=/", "TERM=dumb",
	                                   "PCOHERENCE=1", NULL};
	const void *img;
	size_t len;
	uint64_t entry, sp;
	char err[96];
	char *s;
	int argc = 0, error;

	for (s = u->up_spec; argc < USER_MAX_ARGS;) {
		u->up_argv[argc++] = s;
		s = strchr(s, ':');
		if (s == NULL)
			break;
		*s++ = '\0';
	}
	u->up_argv[argc] = NULL;
	if (cpu_boot_module(u->up_argv[0], &img, &len) != 0) {
		kprintf("user: %s: no boot module of that name\n",
		        u->up_argv[0]);
		return ENOENT;
	}
	u->up_proc = proc_create(u->up_argv[0]);
	if (u->up_proc == NULL) {
		kprintf("user: %s: out of memory\n", u->up_argv[0]);
		return ENOMEM;
	}
	err[0] = '\0';
	error = exec_load(u->up_proc, img, len, u->up_argv, envp, &entry, &sp,
	                  err, sizeof(err));
	if (error == 0)
		error = proc_start(u->up_proc, entry, sp, idx % ncpus);
	if (error != 0) {
		bool to;

		kprintf("user: %s: cannot run: %s (error %d)\n", u->up_argv[0],
		        err[0] ? err : "cannot start its thread", error);
		/* No thread ever ran: the last-thread teardown is ours. */
		vm_teardown(u->up_proc);
		pmap_destroy(u->up_proc->p_pmap);
		u->up_proc->p_done = 1;
		proc_wait_free(u->up_proc, 0, &to);
		u->up_proc = NULL;
		return error;
	}
	kprintf("user: started pid %d: %s (%zu bytes)\n", u->up_proc->p_pid,
	        u->up_argv[0], len);
	return 0;
}

int
userboot_run(void)
{
	int failed = 0;
	static struct userprog progs[USER_MAX_PROCS];
	uint64_t free0 = vm_page_free_count(), free1, slack;
	uint64_t km0 = kmalloc_pages, st0 = kmem_stack_pages;
	uint64_t kpt0 = pmap_ptpages(pmap_kernel());
	int timeout_ms = user_timeout_s * 1000;
	int n, i;

	for (n = 0;
	     n < USER_MAX_PROCS && optlist_item(run_list, n, progs[n].up_spec,
	                                        sizeof(progs[n].up_spec)) >= 0;
	     n++)
		progs[n].up_proc = NULL;
	for (i = 0; i < n; i++)
		if (start_one(&progs[i], i) != 0)
			failed++;
	for (i = 0; i < n; i++) {
		struct proc *p = progs[i].up_proc;
		bool to;
		int pid, st;

		if (p == NULL)
			continue;
		pid = p->p_pid;
		st = proc_wait_free(p, timeout_ms, &to);
		if (to) {
			kprintf("user: pid %d (%s) still running after %d s\n",
			        pid, progs[i].up_argv[0], timeout_ms / 1000);
			proc_print_threads(p);
			failed++;
			continue;
		}
		kprintf("user: pid %d (%s) exited with status %d\n", pid,
		        progs[i].up_argv[0], st);
		if (st != 0)
			failed++;
	}
	/*
	 * Every user page and page-table page must be back.  What may stay
	 * allocated is counted: kmalloc's pages (it never returns them),
	 * the stacks of new LWKT threads (recycled, never freed) and the
	 * kernel page-table pages their KVA needed.
	 */
	free1 = vm_page_free_count();
	slack = (kmalloc_pages - km0) + (kmem_stack_pages - st0) +
	        (pmap_ptpages(pmap_kernel()) - kpt0);
	kprintf("user: free pages %lu before, %lu after (kernel caches may "
	        "keep %lu)\n",
	        free0, free1, slack);
	if (free0 - MIN(free0, free1) > slack) {
		kprintf("user: leak: %lu pages not returned\n",
		        free0 - free1 - slack);
		failed++;
	}
	/* vm_mmap.c's invariant: no page mapped outside the map. */
	if (vm_invariant_broken != 0) {
		kprintf("user: %lu pages were found mapped outside the map\n",
		        vm_invariant_broken);
		failed++;
	}
	return failed;
}
