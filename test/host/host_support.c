/*
 * Host stand-ins for the few kernel services that pure-logic code calls:
 * panic() aborts the test program (so ASan/UBSan print a stack), and the
 * console behind kprintf() is stdout.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sys/systm.h>
#include <sys/cons.h>

void
panic(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/*
 * kprintf() on the host writes through this console hook.  It is weak so a
 * test that needs to capture console output can define its own cons_puts().
 */
__attribute__((weak)) void
cons_puts(const char *s, size_t len)
{
	fwrite(s, 1, len, stdout);
}
