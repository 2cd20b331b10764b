/*
 * ELF64 file format (the System V ABI), the parts the program loader
 * reads, and the auxiliary-vector keys it passes (Linux values).
 */
#ifndef _SYS_ELF64_H_
#define _SYS_ELF64_H_

#include <sys/types.h>

#define EI_NIDENT   16
#define ELFCLASS64  2  /* e_ident[4] */
#define ELFDATA2LSB 1  /* e_ident[5]: little endian */
#define EV_CURRENT  1  /* e_ident[6], e_version */
#define ET_EXEC     2  /* fixed-address executable */
#define ET_DYN      3  /* position independent (static-PIE) */
#define EM_X86_64   62 /* e_machine */

#define PT_LOAD    1 /* loadable segment */
#define PT_DYNAMIC 2 /* dynamic section (static-PIE self-relocates) */
#define PT_INTERP  3 /* wants a dynamic linker: refused */
#define PT_PHDR    6 /* the program headers themselves */
#define PT_TLS     7 /* thread-local storage template */
#define PF_X       1 /* executable */
#define PF_W       2 /* writable */
#define PF_R       4 /* readable */

#define AT_NULL   0  /* end of the vector */
#define AT_PHDR   3  /* program headers in memory */
#define AT_PHENT  4  /* size of one */
#define AT_PHNUM  5  /* how many */
#define AT_PAGESZ 6  /* page size */
#define AT_BASE   7  /* interpreter base (0: none) */
#define AT_FLAGS  8  /* 0 */
#define AT_ENTRY  9  /* program entry point */
#define AT_UID    11 /* ids: all 0 */
#define AT_EUID   12 /* */
#define AT_GID    13 /* */
#define AT_EGID   14 /* */
#define AT_HWCAP  16 /* CPUID 1 EDX */
#define AT_CLKTCK 17 /* times() ticks per second */
#define AT_SECURE 23 /* 0 */
#define AT_RANDOM 25 /* 16 random bytes */
#define AT_EXECFN 31 /* program name */

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT]; /* magic, class, data, version */
	uint16_t e_type;            /* ET_* */
	uint16_t e_machine;         /* EM_* */
	uint32_t e_version;         /* EV_CURRENT */
	uint64_t e_entry;           /* entry point */
	uint64_t e_phoff;           /* program header table offset */
	uint64_t e_shoff;           /* section headers (unused) */
	uint32_t e_flags;           /* 0 on x86-64 */
	uint16_t e_ehsize;          /* this header's size */
	uint16_t e_phentsize;       /* one program header's size */
	uint16_t e_phnum;           /* how many */
	uint16_t e_shentsize;       /* (unused) */
	uint16_t e_shnum;           /* (unused) */
	uint16_t e_shstrndx;        /* (unused) */
};

struct elf64_phdr {
	uint32_t p_type;   /* PT_* */
	uint32_t p_flags;  /* PF_* */
	uint64_t p_offset; /* file offset */
	uint64_t p_vaddr;  /* virtual address */
	uint64_t p_paddr;  /* (unused) */
	uint64_t p_filesz; /* bytes in the file */
	uint64_t p_memsz;  /* bytes in memory (rest zero) */
	uint64_t p_align;  /* alignment */
};

#define ELF_MAX_PHNUM   64               /* more program headers: refused */
#define ELF_MAX_SEGMENT (1ul << 30)      /* a 1 GiB segment: refused */
#define ELF_DYN_BASE    0x555555554000ul /* where static-PIE loads (Linux) */
#define ELF_MAX_ADDR    0x7f0000000000ul /* image ends below mmap/stack */

/* What elf_check() found, for the loader. */
struct elf_image {
	const struct elf64_ehdr *ei_ehdr; /* the header (inside the image) */
	const struct elf64_phdr *ei_phdr; /* the program headers */
	int ei_phnum;                     /* how many */
	uint64_t ei_base;                 /* load bias (ET_DYN), else 0 */
	uint64_t ei_entry;                /* entry, biased */
	uint64_t ei_phdr_addr;            /* AT_PHDR, biased (0: unknown) */
	uint64_t ei_lo;                   /* lowest page loaded, biased */
	uint64_t ei_hi;                   /* end of the highest page, biased */
};

/*
 * Validate an ELF64 executable of len bytes at img: 0 and *ei, or ENOEXEC
 * with a one-line reason in err.  Pure: reads only inside the image
 * (sys/kern/kern_elf.c, host-fuzzed by kern_elf_htest.c).
 */
int elf_check(const void *img, size_t len, struct elf_image *ei, char *err,
              size_t errlen);

#endif /* !_SYS_ELF64_H_ */
