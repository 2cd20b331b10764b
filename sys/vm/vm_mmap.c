/*
 * vm_mmap.c - anonymous user memory: mmap, munmap, mprotect, madvise,
 * brk, and the page-fault resolver vm_fault().
 *
 * Locking and its invariant.  p_vmlock (a spin lock) is held across
 * every change to a process's vm_map AND the matching change to its user
 * page tables, and across vm_fault()'s lookup-then-enter.  Invariant:
 * outside p_vmlock, every valid user PTE lies inside a map entry and
 * grants no more than that entry's protection.  It holds because the
 * only code that creates or widens a user PTE is vm_fault() (and the ELF
 * loader before the first thread runs), which checks the entry under the
 * same lock, and mprotect(), which widens the PTEs to exactly the
 * entry's new protection in the same critical section that sets it;
 * every operation that removes or reduces an entry removes or reduces
 * the PTEs in the same critical section.  So a fault
 * and an munmap of the same range on two CPUs are serialized: either the
 * fault finds the entry and maps the page before the munmap removes both,
 * or it finds no entry and reports SEGV_MAPERR; a page can never be left
 * mapped outside the map.
 *
 * Shootdowns.  Each call that removes or reduces mappings queues all of
 * its PTE changes on one struct pmap_inval_batch (one flush, sent only to
 * the CPUs in the process's pm_active) and waits for it after dropping
 * p_vmlock.  Removed frames are handed to the batch
 * (ib_free_leaves), so they reach the allocator only after every CPU has
 * acknowledged: no CPU can still write a frame through a stale TLB entry
 * once it is reused.  Between the unlock and the acknowledgement another
 * thread may fault the range again; it gets a fresh page and the pending
 * flush only drops translations of the old frames, which are not yet
 * free, so nothing is corrupted.
 *
 * Nothing waits for acknowledgements while holding p_vmlock
 * (pmap_inval.c asserts no spin lock is held then): vm_fault only ever
 * enters a PTE into an empty slot, which needs no shootdown; its
 * permission upgrade removes the old PTE on a batch and waits after the
 * unlock.
 *
 * Argument checks and error numbers follow Linux's mm/mmap.c,
 * mm/mprotect.c and mm/madvise.c; one difference: mprotect over a range
 * with a hole fails with ENOMEM without changing anything, where Linux
 * changes the part before the hole.
 */
#include <sys/proc.h>

#include <machine/vmparam.h>
#include <sys/bootopt.h>
#include <sys/errno.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_map.h>
#include <vm/vm_page.h>

#define PROT_MASK (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

/* x86: any access right implies read. */
static int
prot_allows(int prot)
{
	if (prot & (VM_PROT_WRITE | VM_PROT_EXECUTE))
		prot |= VM_PROT_READ;
	return prot;
}

static BOOTOPT_BOOL(fault_nolock, "vm.fault_nolock", false,
                    "debug: vm_fault enters pages without p_vmlock (the "
                    "race test must see it)");

int
vm_fault(struct proc *p, vm_offset_t va, int access)
{
	struct pmap_inval_batch b;
	struct vm_map_entry *e;
	struct vm_page *m;
	vm_paddr_t pa;
	int r = VMF_OK, cur;
	bool nolock;

	nolock = fault_nolock;
	va = rounddown2(va, PAGE_SIZE);
	spin_lock(&p->p_vmlock);
	/*
	 * Fault injection: check the entry under the lock, as usual, but
	 * map the page after dropping it, so an munmap can remove the entry
	 * in between and the page stays mapped outside the map.
	 */
	if (nolock) {
		e = vm_map_lookup(&p->p_map, va);
		if (e == NULL || (prot_allows(e->e_prot) & access) != access ||
		    pmap_extract(p->p_pmap, va) != ~0ull) {
			spin_unlock(&p->p_vmlock);
			goto locked;
		}
		r = e->e_prot;
		spin_unlock(&p->p_vmlock);
		m = vm_page_alloc();
		if (m == NULL)
			return VMF_NOMEM;
		if (pmap_enter(p->p_pmap, va, vm_page_to_phys(m), r, 0) != 0) {
			vm_page_free(m);
			return VMF_NOMEM;
		}
		return VMF_OK;
	}
locked:
	if (nolock)
		spin_lock(&p->p_vmlock);
	e = vm_map_lookup(&p->p_map, va);
	if (e == NULL) {
		r = VMF_MAPERR;
		goto out;
	}
	if ((prot_allows(e->e_prot) & access) != access) {
		r = VMF_ACCERR;
		goto out;
	}
	cur = pmap_extract_prot(p->p_pmap, va, &pa);
	if (cur >= 0 && (prot_allows(cur) & access) == access)
		goto out; /* spurious: a stale TLB entry, dropped by the #PF */
	if (cur >= 0) {
		/*
		 * Present but narrower than the entry allows.  mprotect
		 * widens present PTEs in place, so only a PTE entered
		 * narrower than its entry gets here (vm.fault_nolock's
		 * injected race can do that); without this the access would
		 * fault forever.  Replace the PTE.  Not with pmap_enter
		 * over the old PTE, which would wait for a shootdown under
		 * p_vmlock (pmap_inval.c forbids waiting with a spin lock
		 * held): remove it on a batch (the frame is kept), enter the
		 * wider PTE into the empty slot (no shootdown), and wait for
		 * the batch after the unlock.  Meanwhile another CPU at
		 * worst still uses the narrower translation: a spurious fault.
		 */
		pmap_inval_batch_init(&b, p->p_pmap);
		pmap_remove_batch(p->p_pmap, va, va + PAGE_SIZE, &b);
		if (pmap_enter(p->p_pmap, va, pa, e->e_prot, 0) != 0) {
			/* No page-table page: the frame is ours to free. */
			pmap_inval_batch_defer_free(&b, pa);
			r = VMF_NOMEM;
		}
		spin_unlock(&p->p_vmlock);
		pmap_inval_batch_wait(&b);
		return r;
	}
	m = vm_page_alloc(); /* zeroed: demand-zero */
	if (m == NULL) {
		r = VMF_NOMEM;
		goto out;
	}
	if (pmap_enter(p->p_pmap, va, vm_page_to_phys(m), e->e_prot, 0) != 0) {
		vm_page_free(m);
		r = VMF_NOMEM;
	}
out:
	spin_unlock(&p->p_vmlock);
	return r;
}

uint64_t vm_invariant_broken; /* PTEs found outside the map (tests) */

/*
 * The invariant, checked where it is cheap: a range that was free in the
 * map (now a fresh mapping, p_vmlock held) holds no PTE (what a
 * MAP_FIXED replacement removed is already out of the page tables; only
 * its TLB flush is pending).  Up to VM_CHECK_PAGES pages per call.
 */
#define VM_CHECK_PAGES 256
static void
check_unmapped(struct proc *p, vm_offset_t start, vm_offset_t end)
{
	vm_offset_t va;

	end = MIN(end, start + VM_CHECK_PAGES * PAGE_SIZE);
	for (va = start; va < end; va += PAGE_SIZE) {
		if (pmap_extract(p->p_pmap, va) == ~0ull)
			continue;
		__atomic_fetch_add(&vm_invariant_broken, 1, __ATOMIC_RELAXED);
		kprintf("vm: invariant broken: pid %d: %#lx is mapped but was "
		        "outside the map\n",
		        p->p_pid, va);
		return;
	}
}

/* Unmap [start, end) from the map and the page tables (p_vmlock held). */
static int
unmap_locked(struct proc *p, vm_offset_t start, vm_offset_t end,
             struct pmap_inval_batch *b)
{
	int error = vm_map_remove(&p->p_map, start, end);

	if (error == 0)
		pmap_remove_batch(p->p_pmap, start, end, b);
	return error;
}

static void
batch_start(struct proc *p, struct pmap_inval_batch *b)
{
	pmap_inval_batch_init(b, p->p_pmap);
	b->ib_free_leaves = true;
}

int64_t
vm_mmap(struct proc *p, uint64_t addr, uint64_t len, uint64_t prot,
        uint64_t flags, int64_t fd, uint64_t off)
{
	struct pmap_inval_batch b;
	vm_offset_t start;
	int error = 0;

	if (off & PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return fd >= 0 && fd <= 2 ? -ENODEV : -EBADF;
	if (len == 0)
		return -EINVAL;
	if (len > VM_USER_TOP)
		return -ENOMEM;
	len = roundup2(len, PAGE_SIZE);
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
	case MAP_PRIVATE:
		break;
	default:
		return -EINVAL;
	}
	prot &= PROT_MASK;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & PAGE_MASK)
			return -EINVAL;
		if (addr > VM_USER_TOP - len)
			return -ENOMEM;
		if (addr < MMAP_MIN_ADDR)
			return -EPERM;
	}
	batch_start(p, &b);
	spin_lock(&p->p_vmlock);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		start = addr;
		if (!vm_map_range_free(&p->p_map, start, start + len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				error = EEXIST;
			else
				error = unmap_locked(p, start, start + len, &b);
		}
	} else if (addr != 0 && (addr & PAGE_MASK) == 0 &&
	           addr >= MMAP_MIN_ADDR && addr <= VM_USER_TOP - len &&
	           vm_map_range_free(&p->p_map, addr, addr + len)) {
		start = addr; /* the hint is free: take it */
	} else {
		error =
		    vm_map_find_space(&p->p_map, len, p->p_mmap_top, &start);
	}
	if (error == 0)
		error =
		    vm_map_insert(&p->p_map, start, start + len, (int)prot, 0);
	if (error == 0)
		check_unmapped(p, start, start + len);
	spin_unlock(&p->p_vmlock);
	pmap_inval_batch_wait(&b);
	if (error != 0)
		return -error;
	if (flags & MAP_POPULATE) {
		vm_offset_t va;

		for (va = start; va < start + len; va += PAGE_SIZE)
			if (prot != 0 &&
			    vm_fault(p, va, VM_PROT_READ) != VMF_OK)
				break;
	}
	return (int64_t)start;
}

int64_t
vm_munmap(struct proc *p, uint64_t addr, uint64_t len)
{
	struct pmap_inval_batch b;
	int error;

	if ((addr & PAGE_MASK) || addr > VM_USER_TOP ||
	    len > VM_USER_TOP - addr)
		return -EINVAL;
	len = roundup2(len, PAGE_SIZE);
	if (len == 0)
		return -EINVAL;
	batch_start(p, &b);
	spin_lock(&p->p_vmlock);
	error = unmap_locked(p, addr, addr + len, &b);
	spin_unlock(&p->p_vmlock);
	pmap_inval_batch_wait(&b);
	return -error;
}

int64_t
vm_mprotect(struct proc *p, uint64_t addr, uint64_t len, uint64_t prot)
{
	struct pmap_inval_batch b;
	uint64_t end;
	int error;

	if (addr & PAGE_MASK)
		return -EINVAL;
	if (len == 0)
		return 0;
	len = roundup2(len, PAGE_SIZE);
	end = addr + len;
	if (len == 0 || end <= addr)
		return -ENOMEM;
	if (prot &
	    ~(uint64_t)(PROT_MASK | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (prot & (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL; /* no growing mappings here */
	prot &= PROT_MASK;
	if (end > VM_USER_TOP)
		return -ENOMEM;
	batch_start(p, &b);
	spin_lock(&p->p_vmlock);
	if (!vm_map_range_mapped(&p->p_map, addr, end)) {
		error = ENOMEM;
	} else {
		error = vm_map_protect(&p->p_map, addr, end, (int)prot);
		/*
		 * Change what is mapped in place: a narrowing is queued on
		 * the batch, a widening needs no shootdown (pmap_user.c,
		 * protect_leaf).
		 */
		if (error == 0)
			pmap_protect_batch(p->p_pmap, addr, end, (int)prot, &b);
	}
	spin_unlock(&p->p_vmlock);
	pmap_inval_batch_wait(&b);
	return -error;
}

int64_t
vm_madvise(struct proc *p, uint64_t addr, uint64_t len, uint64_t advice)
{
	struct pmap_inval_batch b;
	uint64_t end;
	int error = 0;

	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
		break;
	default:
		return -EINVAL;
	}
	if (addr & PAGE_MASK)
		return -EINVAL;
	end = addr + roundup2(len, PAGE_SIZE);
	if ((len != 0 && roundup2(len, PAGE_SIZE) == 0) || end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	if (advice != MADV_DONTNEED && advice != MADV_FREE) {
		spin_lock(&p->p_vmlock);
		if (!vm_map_range_mapped(&p->p_map, addr, end))
			error = ENOMEM;
		spin_unlock(&p->p_vmlock);
		return -error;
	}
	batch_start(p, &b);
	spin_lock(&p->p_vmlock);
	/* Drop what is mapped; holes make it ENOMEM, as on Linux. */
	if (!vm_map_range_mapped(&p->p_map, addr, end))
		error = ENOMEM;
	{
		struct vm_map_entry *e;

		for (e = p->p_map.m_head; e != NULL && e->e_start < end;
		     e = e->e_next)
			if (e->e_end > addr)
				pmap_remove_batch(p->p_pmap,
				                  MAX(e->e_start, addr),
				                  MIN(e->e_end, end), &b);
	}
	spin_unlock(&p->p_vmlock);
	pmap_inval_batch_wait(&b);
	return -error;
}

/*
 * brk: Linux semantics.  The break moves to addr when it can; the return
 * value is always the (new or unchanged) break, never an error.
 */
int64_t
vm_brk(struct proc *p, uint64_t addr)
{
	struct pmap_inval_batch b;
	vm_offset_t oldend, newend;
	int error = 0;

	batch_start(p, &b);
	spin_lock(&p->p_vmlock);
	if (addr < p->p_brk_start || addr >= VM_USER_TOP) {
		addr = p->p_brk;
		goto out;
	}
	oldend = roundup2(p->p_brk, PAGE_SIZE);
	newend = roundup2(addr, PAGE_SIZE);
	if (newend > oldend) {
		if (!vm_map_range_free(&p->p_map, oldend, newend + PAGE_SIZE))
			error = ENOMEM; /* would touch the next mapping */
		else
			error = vm_map_insert(&p->p_map, oldend, newend,
			                      VM_PROT_READ | VM_PROT_WRITE,
			                      VM_ENTRY_BRK);
	} else if (newend < oldend) {
		error = unmap_locked(p, newend, oldend, &b);
	}
	if (error == 0)
		p->p_brk = addr;
	addr = p->p_brk;
out:
	spin_unlock(&p->p_vmlock);
	pmap_inval_batch_wait(&b);
	return (int64_t)addr;
}

static BOOTOPT_BOOL(leak_inject, "vm.leak_inject", false,
                    "debug: leak one page per exiting process (the leak "
                    "check must see it)");

/* Exit: remove everything with one final shootdown (pm_active empty). */
void
vm_teardown(struct proc *p)
{
	struct pmap_inval_batch b;
	struct vm_map_entry *e;

	/* Fault injection: the user suite's page count must notice. */
	if (leak_inject)
		(void)vm_page_alloc();
	batch_start(p, &b);
	spin_lock(&p->p_vmlock);
	for (e = p->p_map.m_head; e != NULL; e = e->e_next)
		pmap_remove_batch(p->p_pmap, e->e_start, e->e_end, &b);
	vm_map_clear(&p->p_map);
	spin_unlock(&p->p_vmlock);
	pmap_inval_batch_wait(&b);
}
