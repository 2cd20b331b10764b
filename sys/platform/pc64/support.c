/*
 * support.c - the bulk memory routines: memset, memcpy, memmove.
 *
 * gcc may emit calls to these on its own (struct copies, large
 * initialisers), so they must exist even in a freestanding kernel.  For
 * the same reason they must not be written as plain byte loops: the
 * optimiser recognises such a loop as "memset" and turns it back into a
 * call to memset, i.e. into infinite recursion.  They therefore use the
 * x86 string instructions through inline asm, which the compiler cannot
 * pattern-match.  This is why they are machine dependent; the rest of the
 * kernel's libc subset is in sys/kern/subr_libc.c.
 *
 * The bulk moves 8 bytes per iteration (rep stosq / rep movsq) and only
 * the last len % 8 bytes go one at a time.  On hardware with ERMSB a
 * plain rep stosb is as fast, but QEMU's TCG runs a rep string
 * instruction one iteration at a time, so the byte form costs 8 times the
 * iterations: zeroing a 4 KiB page with rep stosb made a demand-zero
 * fault about 9-10 us at -smp 2, with rep stosq about 3.4 us
 * (docs/PERFORMANCE.md, "Zero-fill").
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
	uint64_t v = (uint8_t)c * 0x0101010101010101ull; /* c in every byte */
	size_t q = len / 8, tail = len % 8;
	void *d = dst;

	__asm__ volatile("rep stosq\n\t"
	                 "movq %[tail], %%rcx\n\t"
	                 "rep stosb"
	                 : "+D"(d), "+c"(q)
	                 : "a"(v), [tail] "r"(tail)
	                 : "memory");
	return dst;
}

void *
memcpy(void *dst, const void *src, size_t len)
{
	size_t q = len / 8, tail = len % 8;
	void *d = dst;

	__asm__ volatile("rep movsq\n\t"
	                 "movq %[tail], %%rcx\n\t"
	                 "rep movsb"
	                 : "+D"(d), "+S"(src), "+c"(q)
	                 : [tail] "r"(tail)
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
		memcpy(d, s, len); /* forward, as memcpy copies */
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
