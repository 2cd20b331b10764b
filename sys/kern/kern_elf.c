/*
 * kern_elf.c - validation of static ELF64 executables (ET_EXEC, and
 * ET_DYN without PT_INTERP: static-PIE).  Everything the loader will rely
 * on is checked here, against the image's length, with overflow-safe
 * arithmetic, so kern_exec.c can trust the result:
 *  - header: magic, 64-bit, little endian, version, x86-64, type, program
 *    header size and count, table inside the file;
 *  - no PT_INTERP (no dynamic linker here);
 *  - PT_LOAD: file range inside the image, filesz <= memsz, vaddr and
 *    offset congruent modulo the page size, no wrap-around, sizes below
 *    ELF_MAX_SEGMENT, sorted by address and not sharing a page with the
 *    previous segment, the whole image in [MMAP_MIN_ADDR, ELF_MAX_ADDR)
 *    after the load bias (so never a kernel address);
 *  - the entry point inside an executable segment.
 * A failure is ENOEXEC with a one-line reason.  Host-fuzzed
 * (kern_elf_htest.c).
 */
#include <sys/elf64.h>

#include <machine/vmparam.h>
#include <sys/errno.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/systm.h>

static int
refuse(char *err, size_t errlen, const char *why)
{
	size_t i;

	for (i = 0; errlen > 0 && i < errlen - 1 && why[i] != '\0'; i++)
		err[i] = why[i];
	if (errlen > 0)
		err[i] = '\0';
	return ENOEXEC;
}

int
elf_check(const void *img, size_t len, struct elf_image *ei, char *err,
          size_t errlen)
{
	const struct elf64_ehdr *eh = img;
	const struct elf64_phdr *ph;
	uint64_t lo = UINT64_MAX, hi = 0, prev_end = 0, base = 0;
	bool entry_ok = false, any = false;
	int i;

	if (len < sizeof(*eh))
		return refuse(err, errlen,
		              "truncated: shorter than an "
		              "ELF header");
	if (eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' ||
	    eh->e_ident[2] != 'L' || eh->e_ident[3] != 'F')
		return refuse(err, errlen, "not an ELF file (bad magic)");
	if (eh->e_ident[4] != ELFCLASS64 || eh->e_ident[5] != ELFDATA2LSB ||
	    eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return refuse(err, errlen,
		              "not a little-endian ELF64 "
		              "version 1 file");
	if (eh->e_machine != EM_X86_64)
		return refuse(err, errlen, "not an x86-64 executable");
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return refuse(err, errlen,
		              "not an executable (type is "
		              "neither EXEC nor DYN)");
	if (eh->e_phentsize != sizeof(*ph))
		return refuse(err, errlen, "bad program header size");
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
		return refuse(err, errlen, "bad program header count");
	if (eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(*ph) > len - eh->e_phoff ||
	    (eh->e_phoff & 7) != 0)
		return refuse(err, errlen,
		              "truncated or misaligned program "
		              "header table");
	ph = (const struct elf64_phdr *)((const char *)img + eh->e_phoff);
	if (eh->e_type == ET_DYN)
		base = ELF_DYN_BASE;
	memset(ei, 0, sizeof(*ei));
	for (i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *p = &ph[i];
		uint64_t start, end;

		if (p->p_type == PT_INTERP)
			return refuse(err, errlen,
			              "dynamically linked (has "
			              "PT_INTERP): link with "
			              "-static");
		if (p->p_type == PT_PHDR)
			ei->ei_phdr_addr = p->p_vaddr;
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_filesz > p->p_memsz)
			return refuse(err, errlen,
			              "segment with filesz > "
			              "memsz");
		if (p->p_memsz == 0)
			continue;
		if (p->p_offset > len || p->p_filesz > len - p->p_offset)
			return refuse(err, errlen,
			              "truncated: a segment "
			              "lies beyond the end of "
			              "the file");
		if (p->p_memsz > ELF_MAX_SEGMENT)
			return refuse(err, errlen, "segment too large");
		if ((p->p_vaddr & PAGE_MASK) != (p->p_offset & PAGE_MASK))
			return refuse(err, errlen,
			              "segment address and "
			              "offset not congruent "
			              "modulo the page size");
		if (p->p_vaddr > ELF_MAX_ADDR - base ||
		    p->p_memsz > ELF_MAX_ADDR - base - p->p_vaddr)
			return refuse(err, errlen,
			              "segment beyond the user "
			              "address range");
		start = rounddown2(p->p_vaddr + base, PAGE_SIZE);
		end = roundup2(p->p_vaddr + base + p->p_memsz, PAGE_SIZE);
		if (start < MMAP_MIN_ADDR)
			return refuse(err, errlen,
			              "segment below the "
			              "lowest user address");
		if (any && start < prev_end)
			return refuse(err, errlen,
			              "segments overlap, share "
			              "a page or are not sorted");
		any = true;
		prev_end = end;
		lo = MIN(lo, start);
		hi = MAX(hi, end);
		if ((p->p_flags & PF_X) && eh->e_entry >= p->p_vaddr &&
		    eh->e_entry - p->p_vaddr < p->p_memsz)
			entry_ok = true;
		/* The headers are mapped if a segment holds them. */
		if (ei->ei_phdr_addr == 0 && eh->e_phoff >= p->p_offset &&
		    eh->e_phoff - p->p_offset < p->p_filesz)
			ei->ei_phdr_addr =
			    p->p_vaddr + (eh->e_phoff - p->p_offset);
	}
	if (!any)
		return refuse(err, errlen, "no loadable segment");
	if (!entry_ok)
		return refuse(err, errlen,
		              "entry point outside every "
		              "executable segment");
	ei->ei_ehdr = eh;
	ei->ei_phdr = ph;
	ei->ei_phnum = eh->e_phnum;
	ei->ei_base = base;
	ei->ei_entry = eh->e_entry + base;
	if (ei->ei_phdr_addr != 0)
		ei->ei_phdr_addr += base;
	ei->ei_lo = lo;
	ei->ei_hi = hi;
	return 0;
}
