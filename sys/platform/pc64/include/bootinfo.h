/*
 * What the kernel keeps from the multiboot2 boot information.
 *
 * GRUB's information block lives in memory the page allocator will hand
 * out, so hammer_time() copies everything it needs into this static
 * structure first, before any allocation can overwrite the original.
 */
#ifndef _MACHINE_BOOTINFO_H_
#define _MACHINE_BOOTINFO_H_

#include <sys/types.h>

#define BI_CMDLINE_MAX 1024 /* bytes of command line kept */
#define BI_MMAP_MAX    128  /* memory-map entries kept */
#define BI_MODS_MAX    16   /* modules kept */

/* Memory-map entry types (multiboot2 = ACPI/E820 numbering). */
#define BI_MEM_AVAILABLE 1 /* usable RAM */
#define BI_MEM_RESERVED  2 /* firmware reserved */
#define BI_MEM_ACPI      3 /* ACPI tables, reclaimable */
#define BI_MEM_NVS       4 /* ACPI NVS */
#define BI_MEM_BAD       5 /* defective RAM */

struct bi_mem_range {
	uint64_t mr_base; /* first byte */
	uint64_t mr_len;  /* length in bytes */
	uint32_t mr_type; /* BI_MEM_* */
};

#define BI_MOD_NAME_MAX 64 /* bytes of a module's string kept */

struct bi_module {
	uint64_t mod_start;             /* physical start */
	uint64_t mod_end;               /* physical end (exclusive) */
	char mod_name[BI_MOD_NAME_MAX]; /* its string (GRUB: module2 args) */
};

struct bootinfo {
	char bi_cmdline[BI_CMDLINE_MAX];          /* kernel command line */
	bool bi_cmdline_truncated;                /* it was longer than kept */
	char bi_loader[64];                       /* boot loader name */
	struct bi_mem_range bi_mmap[BI_MMAP_MAX]; /* memory map as given */
	int bi_nmmap;                             /* entries in bi_mmap */
	int bi_mmap_dropped;                      /* entries that did not fit */
	struct bi_module bi_mods[BI_MODS_MAX];    /* loaded modules */
	int bi_nmods;                             /* entries in bi_mods */
	uint8_t bi_rsdp[36];                      /* copy of the ACPI RSDP */
	size_t bi_rsdp_len;                       /* 0: no RSDP tag */
	int bi_rsdp_tag;                          /* 14 (old) or 15 (new) */
	uint64_t bi_mbi_pa;                       /* the original block ... */
	uint64_t bi_mbi_len;                      /* ... and its length */
	int bi_warnings;                          /* malformed tags seen */
};

/*
 * Parse a multiboot2 information block at mbi (its physical address is
 * mbi_pa; avail is how many bytes may be read at most).  Returns 0, or -1
 * when the block is unusable (the caller stops with a message).  Malformed
 * tags are reported and skipped; nothing is read outside the block.
 */
int mb2_parse(const void *mbi, uint64_t mbi_pa, size_t avail,
              struct bootinfo *bi);

extern struct bootinfo bootinfo;

#endif /* !_MACHINE_BOOTINFO_H_ */
