/*
 * Core kernel services every file may use: console output, panic,
 * assertions and the small libc subset the kernel carries.
 *
 * kprintf() formats a whole line-sized chunk into a local buffer before it
 * takes the console lock, so lines from different CPUs never interleave.
 */
#ifndef _SYS_SYSTM_H_
#define _SYS_SYSTM_H_

#include <stdarg.h>
#include <sys/types.h>

/* Formatted output (sys/kern/subr_prf.c). */
int kprintf(const char *fmt, ...) __printflike(1, 2);
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printflike(3, 4);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* Low-level formatter: calls out(c, arg) for each character. */
int kvcprintf(const char *fmt, void (*out)(int c, void *arg), void *arg,
              va_list ap);

/* Panic (sys/kern/kern_shutdown.c on the kernel, test/host on the host). */
void panic(const char *fmt, ...) __printflike(1, 2) __noreturn;

#ifdef INVARIANTS
#define KASSERT(exp, msg)                                                      \
	do {                                                                   \
		if (__predict_false(!(exp)))                                   \
			panic("assertion \"%s\" failed at %s:%d: %s", #exp,    \
			      __FILE__, __LINE__, msg);                        \
	} while (0)
#else
#define KASSERT(exp, msg)                                                      \
	do {                                                                   \
	} while (0)
#endif

/* String and memory helpers (sys/kern/subr_libc.c). */
void *memset(void *dst, int c, size_t len);
void *memcpy(void *dst, const void *src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);

/*
 * Strict unsigned parse (sys/kern/subr_strtou.c): base 10, 16 (an
 * optional 0x prefix is allowed) or 0 (16 with a 0x prefix, else 10).
 * The whole string must be digits; false on garbage or overflow.
 */
bool kstrtou64(const char *s, unsigned base, uint64_t *out);

#endif /* !_SYS_SYSTM_H_ */
