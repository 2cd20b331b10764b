/*
 * The small libc subset the kernel carries: memory and string helpers.
 *
 * gcc may emit calls to memset/memcpy/memmove/memcmp on its own (struct
 * copies, large initialisers), so these must exist even in a freestanding
 * kernel.  For the same reason they must not be written as plain byte loops:
 * the optimiser recognises such a loop as "memset" and turns it back into a
 * call to memset, i.e. into infinite recursion.  The bulk routines therefore
 * use x86 string instructions (rep movsb / rep stosb) through inline asm,
 * which the compiler cannot pattern-match; on CPUs with ERMSB these are also
 * the fastest simple copy.  The string routines are loops the compiler has
 * no library idiom for.
 *
 * The ABI guarantees the direction flag is clear on function entry and
 * requires it clear on exit; memmove's backward copy sets it and clears it
 * again before returning.  Interrupt handlers must not rely on DF either
 * (the trap entry code clears it), so the brief window is harmless.
 *
 * Kernel-only: the host tests use the host libc instead.
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

int
memcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *p = a, *q = b;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != q[i])
			return (int)p[i] - (int)q[i];
	}
	return 0;
}

size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

int
strcmp(const char *a, const char *b)
{
	/* Compare as unsigned char, as C requires. */
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b || *a == '\0')
			return (int)(unsigned char)*a - (int)(unsigned char)*b;
	}
	return 0;
}

char *
strchr(const char *s, int c)
{
	/* The terminating NUL counts as part of the string. */
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = (len < size - 1) ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	/* Returning the full length lets callers detect truncation. */
	return len;
}
