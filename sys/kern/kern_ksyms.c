/*
 * kern_ksyms.c - symbol lookup for backtraces.
 *
 * The table is sorted by address (nm -n), so lookup is a binary search
 * for the last symbol at or below the address.  Addresses outside
 * [_text_start, _etext) are not code and get no name.
 */
#include <sys/ksyms.h>

#include <sys/systm.h>

extern const struct ksym ksyms_table[];
extern const uint64_t ksyms_count;
extern char _text_start[], _etext[];

const char *
ksyms_lookup(uint64_t addr, uint64_t *offp)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uint64_t)_text_start || addr >= (uint64_t)_etext || hi == 0)
		return NULL;
	/* Invariant: table[lo - 1].addr <= addr < table[hi].addr */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_table[mid].ks_addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	*offp = addr - ksyms_table[lo - 1].ks_addr;
	return ksyms_table[lo - 1].ks_name;
}

uint64_t
ksyms_addr(const char *name)
{
	uint64_t i;

	for (i = 0; i < ksyms_count; i++)
		if (strcmp(ksyms_table[i].ks_name, name) == 0)
			return ksyms_table[i].ks_addr;
	return 0;
}
