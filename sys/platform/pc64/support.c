/*
 * support.c - the bulk memory routines: memset, memcpy, memmove.
 *
 * gcc may emit calls to these on its own (struct copies, large
 * initialisers), so they must exist even in a freestanding kernel.  For
 * the same reason they must not be written as plain byte loops: the
 * optimiser recognises such a loop as "memset" and turns it back into a
 * call to memset, i.e. into infinite recursion.  They therefore use the
 * x86 string instructions (rep movsb / rep stosb) through inline asm,
 * which the compiler cannot pattern-match; on CPUs with ERMSB these are
 * also the fastest simple copy.  This is why they are machine dependent;
 * the rest of the kernel's libc subset is in sys/kern/subr_libc.c.
 *
 * The ABI guarantees the direction flag is clear on function entry and
 * requires it clear on exit; memmove's backward copy sets it and clears it
 * again before returning.  Interrupt handlers must not rely on DF either
 * (the trap entry code clears it), so the brief window is harmless.
 */
#include <sys/systm.h>

void *
memset(void *dst, int c, size_t len)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(len) : "a"(c) : "memory");
	return dst;
}

void *
memcpy(void *dst, const void *src, size_t len)
{
	void *d = dst;

	__asm__ volatile("rep movsb"
	                 : "+D"(d), "+S"(src), "+c"(len)
	                 :
	                 : "memory");
	return dst;
}

void *
memmove(void *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	unsigned char *d = dst;

	if (len == 0 || d == s)
		return dst;
	/*
	 * A forward copy is safe unless dst starts inside [src, src+len);
	 * the unsigned subtraction tests exactly that.
	 */
	if ((uintptr_t)d - (uintptr_t)s >= len) {
		__asm__ volatile("rep movsb"
		                 : "+D"(d), "+S"(s), "+c"(len)
		                 :
		                 : "memory");
	} else {
		/* Copy backwards from the last byte. */
		d += len - 1;
		s += len - 1;
		__asm__ volatile("std\n\t"
		                 "rep movsb\n\t"
		                 "cld"
		                 : "+D"(d), "+S"(s), "+c"(len)
		                 :
		                 : "memory", "cc");
	}
	return dst;
}
