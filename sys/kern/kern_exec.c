/*
 * kern_exec.c - load a validated static ELF64 image into a new process's
 * address space and build its initial stack (System V x86-64 ABI 3.4.1):
 *
 *   sp ->  argc
 *          argv[0..argc-1], NULL
 *          envp[...], NULL
 *          auxv pairs (AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE,
 *                      AT_FLAGS, AT_ENTRY, AT_UID..AT_EGID, AT_HWCAP,
 *                      AT_CLKTCK, AT_SECURE, AT_RANDOM, AT_EXECFN), AT_NULL
 *          ... padding, the 16 AT_RANDOM bytes, the strings ...
 *   USER_STACK_TOP
 *
 * The process has no thread yet, so nothing runs on its pmap: the loader
 * writes file bytes and the stack through the direct map of freshly
 * allocated frames and enters them with pmap_enter (p_vmlock held all
 * the same, for the invariant of vm_mmap.c).  Bytes past p_filesz and the
 * rest of the stack are demand-zero.
 */
#include <sys/proc.h>

#include <machine/vmparam.h>
#include <sys/clock.h>
#include <sys/elf64.h>
#include <sys/errno.h>
#include <sys/malloc.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/systm.h>
#include <vm/pmap.h>
#include <vm/vm_map.h>
#include <vm/vm_page.h>

#define USER_STACK_TOP  0x7ffffffff000ul /* Linux's STACK_TOP */
#define USER_STACK_SIZE (8ul << 20)      /* 8 MiB, as ulimit -s */
#define EXEC_ARGS_MAX   4000             /* bytes of argv+envp strings */
#define EXEC_ARGC_MAX   64               /* argv + envp entries */

/* Write len bytes at user va of p (no thread runs on it yet). */
static int
proc_poke(struct proc *p, vm_offset_t va, const void *src, size_t len)
{
	const char *s = src;

	while (len > 0) {
		vm_offset_t page = rounddown2(va, PAGE_SIZE);
		size_t n = MIN(len, page + PAGE_SIZE - va);
		struct vm_map_entry *e = vm_map_lookup(&p->p_map, va);
		vm_paddr_t pa = pmap_extract(p->p_pmap, page);

		KASSERT(e != NULL, "proc_poke: unmapped");
		if (pa == ~0ull) {
			struct vm_page *m = vm_page_alloc();

			if (m == NULL)
				return ENOMEM;
			pa = vm_page_to_phys(m);
			if (pmap_enter(p->p_pmap, page, pa, e->e_prot, 0) !=
			    0) {
				vm_page_free(m);
				return ENOMEM;
			}
		}
		memcpy((char *)pmap_map_dmap(rounddown2(pa, PAGE_SIZE)) +
		           (va - page),
		       s, n);
		va += n;
		s += n;
		len -= n;
	}
	return 0;
}

static int
seg_prot(uint32_t flags)
{
	return ((flags & PF_R) ? VM_PROT_READ : 0) |
	       ((flags & PF_W) ? VM_PROT_WRITE : 0) |
	       ((flags & PF_X) ? VM_PROT_EXECUTE : 0);
}

static int
load_segments(struct proc *p, const char *img, const struct elf_image *ei)
{
	int i, error;

	for (i = 0; i < ei->ei_phnum; i++) {
		const struct elf64_phdr *ph = &ei->ei_phdr[i];
		vm_offset_t va = ph->p_vaddr + ei->ei_base;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		error = vm_map_insert(&p->p_map, rounddown2(va, PAGE_SIZE),
		                      roundup2(va + ph->p_memsz, PAGE_SIZE),
		                      seg_prot(ph->p_flags), VM_ENTRY_IMAGE);
		if (error != 0)
			return error;
		error = proc_poke(p, va, img + ph->p_offset, ph->p_filesz);
		if (error != 0)
			return error;
	}
	return 0;
}

/* Copy of argv/envp strings, with room for the pointers. */
struct exec_args {
	char ea_buf[EXEC_ARGS_MAX]; /* the strings, NUL-separated */
	size_t ea_used;             /* bytes of ea_buf used */
	int ea_argc;                /* argv entries */
	int ea_envc;                /* envp entries */
};

static int
args_add(struct exec_args *a, const char *s)
{
	size_t n = strlen(s) + 1;

	if (a->ea_argc + a->ea_envc >= EXEC_ARGC_MAX ||
	    n > sizeof(a->ea_buf) - a->ea_used)
		return E2BIG;
	memcpy(a->ea_buf + a->ea_used, s, n);
	a->ea_used += n;
	return 0;
}

int
exec_load(struct proc *p, const void *image, size_t len,
          const char *const *argv, const char *const *envp, uint64_t *entry,
          uint64_t *spp, char *err, size_t errlen)
{
	struct exec_args *a;
	struct elf_image ei;
	uint64_t *vec, sp, strs, rnd, execfn;
	size_t nvec, off;
	int error, i, k;

	error = elf_check(image, len, &ei, err, errlen);
	if (error != 0)
		return error;
	a = kmalloc(sizeof(*a), M_ZERO | M_NULLOK);
	if (a == NULL)
		return ENOMEM;
	for (i = 0; argv[i] != NULL; i++, a->ea_argc++)
		if (args_add(a, argv[i]) != 0)
			goto toobig;
	for (i = 0; envp[i] != NULL; i++, a->ea_envc++)
		if (args_add(a, envp[i]) != 0)
			goto toobig;
	spin_lock(&p->p_vmlock);
	error = load_segments(p, image, &ei);
	if (error == 0)
		error = vm_map_insert(
		    &p->p_map, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP,
		    VM_PROT_READ | VM_PROT_WRITE, VM_ENTRY_STACK);
	if (error != 0) {
		spin_unlock(&p->p_vmlock);
		kfree(a);
		strlcpy(err, "out of memory loading the image", errlen);
		return error;
	}
	/* Strings at the top, then 16 random bytes, then the vectors. */
	strs = USER_STACK_TOP - roundup2(a->ea_used, 16);
	rnd = strs - 16;
	nvec = 1 + a->ea_argc + 1 + a->ea_envc + 1 + 2 * 18;
	sp = rounddown2(rnd - nvec * 8, 16);
	vec = kmalloc(nvec * 8, M_ZERO | M_NULLOK);
	if (vec == NULL) {
		spin_unlock(&p->p_vmlock);
		kfree(a);
		return ENOMEM;
	}
	k = 0;
	vec[k++] = (uint64_t)a->ea_argc;
	off = 0;
	for (i = 0; i < a->ea_argc + a->ea_envc; i++) {
		if (i == a->ea_argc)
			vec[k++] = 0; /* end of argv */
		vec[k++] = strs + off;
		off += strlen(a->ea_buf + off) + 1;
	}
	if (a->ea_envc == 0)
		vec[k++] = 0;
	vec[k++] = 0; /* end of envp */
	execfn = strs;
#define AUX(key, val)                                                          \
	do {                                                                   \
		vec[k++] = (key);                                              \
		vec[k++] = (val);                                              \
	} while (0)
	AUX(AT_PHDR, ei.ei_phdr_addr);
	AUX(AT_PHENT, sizeof(struct elf64_phdr));
	AUX(AT_PHNUM, (uint64_t)ei.ei_phnum);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, ei.ei_entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_HWCAP, cpu_user_hwcap());
	AUX(AT_CLKTCK, 100);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, rnd);
	AUX(AT_EXECFN, execfn);
	AUX(AT_NULL, 0);
#undef AUX
	KASSERT((size_t)k <= nvec, "exec: auxv overflow");
	{
		uint64_t r[2] = {nanouptime() * 0x9e3779b97f4a7c15ull ^
		                     (uint64_t)p->p_pid,
		                 cpu_random_u64()};

		error = proc_poke(p, rnd, r, sizeof(r));
	}
	if (error == 0)
		error = proc_poke(p, strs, a->ea_buf, a->ea_used);
	if (error == 0)
		error = proc_poke(p, sp, vec, (size_t)k * 8);
	p->p_brk_start = p->p_brk = ei.ei_hi;
	p->p_mmap_top = USER_STACK_TOP - USER_STACK_SIZE - 16 * PAGE_SIZE;
	spin_unlock(&p->p_vmlock);
	kfree(vec);
	kfree(a);
	if (error != 0) {
		strlcpy(err, "out of memory building the stack", errlen);
		return error;
	}
	*entry = ei.ei_entry;
	*spp = sp;
	return 0;
toobig:
	kfree(a);
	strlcpy(err, "argument list too long", errlen);
	return E2BIG;
}
