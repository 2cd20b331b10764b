/*
 * subr_strtou.c - strict unsigned number parsing.
 *
 * Every place that reads a number typed by a person (boot options, the
 * console, benchmark parameters) uses this one parser, so they all accept
 * the same forms and reject the same garbage: the whole string must be
 * digits of the base, nothing may overflow 64 bits, and an empty string
 * is not a number.  Pure code: tested on the host (subr_strtou_htest.c).
 */
#include <sys/systm.h>

bool
kstrtou64(const char *s, unsigned base, uint64_t *out)
{
	bool has_prefix = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	uint64_t v = 0;
	unsigned d;

	if (base == 0)
		base = has_prefix ? 16 : 10;
	if (base == 16 && has_prefix)
		s += 2;
	if (base != 10 && base != 16)
		return false;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a') + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A') + 10;
		else
			return false;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}
