/*
 * The small libc subset the kernel carries: comparison and string helpers.
 *
 * The bulk memory routines gcc may call on its own (memset, memcpy,
 * memmove) are machine dependent and live in sys/platform/pc64/support.c.
 * The routines here are loops the compiler has no library idiom for, so
 * the optimiser cannot turn them back into calls to themselves.
 *
 * Kernel-only: the host tests use the host libc instead.
 */
#include <sys/systm.h>

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
