/*
 * x86-64 architectural sizes: the base page and the spans of each
 * page-table level.  Plain #defines only, so assembly (boot.S) and the
 * preprocessed linker script share them (<machine/param.h> is the header
 * code includes; this one holds what the CPU architecture fixes).
 */
#ifndef _CPU_PARAM_H_
#define _CPU_PARAM_H_

/* An unsigned long constant in C; a plain number in assembly. */
#ifdef __ASSEMBLY__
#define _PARAM_UL(x) x
#else
#define _PARAM_UL(x) x##ul
#endif

#define PAGE_SHIFT 12                           /* 4 KiB base pages */
#define PAGE_SIZE  (_PARAM_UL(1) << PAGE_SHIFT) /* bytes in a base page */
#define PAGE_MASK  (PAGE_SIZE - 1)              /* offset bits inside a page */

#define PDRSHIFT  21                         /* log2 of a PD entry's span */
#define NBPDR     (_PARAM_UL(1) << PDRSHIFT) /* bytes one PD entry maps: 2 MiB */
#define PDPSHIFT  30                         /* log2 of a PDP entry's span */
#define NBPDP     (_PARAM_UL(1) << PDPSHIFT) /* bytes one PDP entry maps: 1 GiB */
#define PML4SHIFT 39                         /* log2 of a PML4 entry's span */
#define NBPML4                                                                 \
	(_PARAM_UL(1) << PML4SHIFT) /* bytes one PML4 entry maps: 512 GiB */
#define NPTEPG 512                  /* entries in one page-table page */

#endif /* !_CPU_PARAM_H_ */
