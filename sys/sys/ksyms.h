/*
 * The kernel symbol table, generated at link time (tools/gensyms.sh) and
 * used to symbolize backtraces.
 */
#ifndef _SYS_KSYMS_H_
#define _SYS_KSYMS_H_

#include <sys/types.h>

struct ksym {
	uint64_t ks_addr;    /* start address of a text symbol */
	const char *ks_name; /* its name */
};

/*
 * Find the symbol containing addr: returns its name and sets *offp to
 * addr minus its start, or returns NULL when addr is outside the text.
 */
const char *ksyms_lookup(uint64_t addr, uint64_t *offp);
/* The address of a symbol by exact name, or 0. */
uint64_t ksyms_addr(const char *name);

#endif /* !_SYS_KSYMS_H_ */
