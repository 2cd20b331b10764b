/*
 * Basic kernel types.
 *
 * The kernel is freestanding: the only compiler headers it may use are
 * <stdint.h>, <stddef.h>, <stdbool.h> and <stdarg.h>.  Everything else the
 * kernel needs is defined here so that the same pure-logic sources also
 * compile unchanged on the host for the sanitizer tests.
 */
#ifndef _SYS_TYPES_H_
#define _SYS_TYPES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t vm_paddr_t;  /* physical address */
typedef uint64_t vm_offset_t; /* kernel virtual address */
typedef uint64_t vm_size_t;   /* size of a VA or PA range */
typedef uint64_t pt_entry_t;  /* one page-table entry, any level */
typedef int64_t sbintime_t;   /* signed nanoseconds */
typedef unsigned int u_int;
typedef unsigned long u_long;

#define __packed           __attribute__((packed))
#define __aligned(x)       __attribute__((aligned(x)))
#define __section(s)       __attribute__((section(s)))
#define __used             __attribute__((used))
#define __unused           __attribute__((unused))
#define __noreturn         __attribute__((noreturn))
#define __printflike(f, a) __attribute__((format(printf, f, a)))
#define __predict_false(x) __builtin_expect(!!(x), 0)
#define __predict_true(x)  __builtin_expect(!!(x), 1)

#define nitems(a)        (sizeof(a) / sizeof((a)[0]))
#define roundup2(x, y)   (((x) + ((y)-1)) & ~((__typeof__(x))(y)-1))
#define rounddown2(x, y) ((x) & ~((__typeof__(x))(y)-1))
#define howmany(x, y)    (((x) + ((y)-1)) / (y))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

#endif /* !_SYS_TYPES_H_ */
