/*
 * cpu_user_test.c - the kernel side of user-mode protection (suite
 * "usermode"): with SMAP the kernel cannot read user memory outside the
 * copy routines, with SMEP it cannot execute it; copyin/copyout/
 * copyinstr work on mapped user memory and return EFAULT for unmapped,
 * kernel and non-canonical addresses without a panic; every level of
 * the page tables above kernel pages (per-CPU window, image, DMAP, KVA
 * stacks) is supervisor-only, so no user access can reach them.
 */
#include <sys/proc.h>

#include <cpu/pte.h>
#include <machine/globaldata.h>
#include <machine/md_var.h>
#include <machine/pmap.h>
#include <machine/vmparam.h>
#include <sys/errno.h>
#include <sys/ktest.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/vm_page.h>

#define UVA 0x0000000050000000ul /* a user page of a test pmap */

struct upage {
	struct pmap *pm; /* the test address space */
	vm_paddr_t pa;   /* its one page */
};

static bool
upage_make(struct upage *u, int prot)
{
	struct vm_page *m = vm_page_alloc();

	u->pm = pmap_create();
	if (u->pm == NULL || m == NULL)
		return false;
	u->pa = vm_page_to_phys(m);
	memcpy(pmap_map_dmap(u->pa), "\xc3user string", 13); /* ret; ... */
	if (pmap_enter(u->pm, UVA, u->pa, prot, 0) != 0)
		return false;
	lwkt_set_pmap(u->pm);
	return true;
}

static void
upage_free(struct upage *u)
{
	lwkt_set_pmap(NULL);
	pmap_remove(u->pm, UVA, UVA + PAGE_SIZE);
	pmap_destroy(u->pm);
	vm_page_free(phys_to_vm_page(u->pa));
}

static void
usermode_smap_smep(struct ktest *t)
{
	struct upage u;

	KT_ASSERT(
	    t, upage_make(&u, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE));
	/* The probe opens no user access: SMAP must stop the read. */
	KT_EXPECT_EQ(t, cpu_kernel_touch_user((void *)(UVA + 1), 0),
	             cpu_has_smap ? -1 : 0);
	/* Executing the user page's "ret" from ring 0: SMEP stops it. */
	KT_EXPECT_EQ(t, cpu_kernel_touch_user((void *)UVA, 1),
	             cpu_has_smep ? -1 : 0);
	if (!cpu_has_smap || !cpu_has_smep)
		kprintf("    # SMAP %s, SMEP %s on this CPU\n",
		        cpu_has_smap ? "on" : "absent",
		        cpu_has_smep ? "on" : "absent");
	upage_free(&u);
}

static void
usermode_copy(struct ktest *t)
{
	struct upage u;
	char buf[32];
	size_t done;

	KT_ASSERT(t, upage_make(&u, VM_PROT_READ | VM_PROT_WRITE));
	KT_EXPECT_EQ(t, copyin((void *)(UVA + 1), buf, 11), 0);
	KT_EXPECT_EQ(t, memcmp(buf, "user string", 11), 0);
	KT_EXPECT_EQ(t, copyout("KERNEL", (void *)(UVA + 1), 6), 0);
	KT_EXPECT_EQ(t, memcmp(pmap_map_dmap(u.pa), "\xc3KERNEL", 7), 0);
	KT_EXPECT_EQ(t, copyinstr((void *)(UVA + 1), buf, sizeof(buf), &done),
	             0);
	KT_EXPECT_EQ(t, done, 12); /* "KERNELtring" + NUL */
	KT_EXPECT_EQ(t, strcmp(buf, "KERNELtring"), 0);
	KT_EXPECT_EQ(t, copyinstr((void *)(UVA + 1), buf, 4, &done),
	             ENAMETOOLONG);
	/* Across the end of the mapped page: EFAULT, no panic. */
	KT_EXPECT_EQ(t, copyin((void *)(UVA + PAGE_SIZE - 4), buf, 8), EFAULT);
	KT_EXPECT_EQ(t, copyout(buf, (void *)(UVA + PAGE_SIZE), 1), EFAULT);
	KT_EXPECT_EQ(t, copyin((void *)0, buf, 1), EFAULT);
	KT_EXPECT_EQ(t, copyin((void *)KERNBASE, buf, 1), EFAULT);
	KT_EXPECT_EQ(t, copyin((void *)PRIVSPACE_ADDRESS, buf, 1), EFAULT);
	KT_EXPECT_EQ(t, copyout(buf, (void *)DMAP_MIN_ADDRESS, 1), EFAULT);
	KT_EXPECT_EQ(t, copyin((void *)(VM_MAX_USER_ADDRESS - 4), buf, 8),
	             EFAULT);
	KT_EXPECT_EQ(t, copyin((void *)0x0000900000000000ul, buf, 1), EFAULT);
	KT_EXPECT_EQ(t, copyinstr((void *)KERNBASE, buf, 8, &done), EFAULT);
	upage_free(&u);
}

/* No level of the walk to va may have the U/S bit. */
static bool
supervisor_only(vm_offset_t va)
{
	struct pmap_walk w;
	int i;

	pmap_kwalk(kernel_pml4_pa, va, &w);
	if (w.pw_pa == ~0ull)
		return true; /* unmapped (a guard page): fine too */
	for (i = 0; i < w.pw_levels; i++)
		if (w.pw_entry[i] & PG_U)
			return false;
	return true;
}

static void
usermode_kernel_pages_supervisor(struct ktest *t)
{
	struct thread *td = curthread;
	int cpu, pg;

	for (cpu = 0; cpu < ncpus; cpu++)
		for (pg = 0; pg < NPRIVPAGES; pg++)
			KT_EXPECT(
			    t, supervisor_only((vm_offset_t)&CPU_prvspace[cpu] +
			                       (vm_offset_t)pg * PAGE_SIZE));
	KT_EXPECT(t, supervisor_only((vm_offset_t)_text_start));
	KT_EXPECT(t, supervisor_only((vm_offset_t)_data_start));
	KT_EXPECT(t, supervisor_only(DMAP_MIN_ADDRESS + 0x100000));
	KT_EXPECT(t, supervisor_only(td->td_kstack));
}

KTEST_SUITE(usermode, "usermode", NULL, NULL, KTEST_CASE(usermode_smap_smep),
            KTEST_CASE(usermode_copy),
            KTEST_CASE(usermode_kernel_pages_supervisor));
