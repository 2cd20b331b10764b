/*
 * mmap/mprotect/madvise constants: Linux x86-64 values (system-call ABI).
 */
#ifndef _SYS_MMAN_H_
#define _SYS_MMAN_H_

#define PROT_NONE      0x0        /* no access */
#define PROT_READ      0x1        /* = VM_PROT_READ */
#define PROT_WRITE     0x2        /* = VM_PROT_WRITE */
#define PROT_EXEC      0x4        /* = VM_PROT_EXECUTE */
#define PROT_SEM       0x8        /* accepted, meaningless here */
#define PROT_GROWSDOWN 0x01000000 /* mprotect: extend down (refused) */
#define PROT_GROWSUP   0x02000000 /* mprotect: extend up (refused) */

#define MAP_SHARED          0x01     /* shared (no fork: same as private) */
#define MAP_PRIVATE         0x02     /* private copy */
#define MAP_SHARED_VALIDATE 0x03     /* shared, unknown flags are errors */
#define MAP_TYPE            0x0f     /* the type bits */
#define MAP_FIXED           0x10     /* exactly at addr, replacing */
#define MAP_ANONYMOUS       0x20     /* no file */
#define MAP_GROWSDOWN       0x0100   /* stack hint (ignored) */
#define MAP_NORESERVE       0x4000   /* ignored */
#define MAP_POPULATE        0x8000   /* fault everything in now */
#define MAP_STACK           0x20000  /* ignored */
#define MAP_FIXED_NOREPLACE 0x100000 /* at addr, EEXIST if occupied */

#define MADV_NORMAL     0 /* no-op */
#define MADV_RANDOM     1 /* no-op */
#define MADV_SEQUENTIAL 2 /* no-op */
#define MADV_WILLNEED   3 /* no-op */
#define MADV_DONTNEED   4 /* drop the pages: zero on next touch */
#define MADV_FREE       8 /* treated as MADV_DONTNEED */

#define MMAP_MIN_ADDR 0x10000ul /* Linux's default vm.mmap_min_addr */

#endif /* !_SYS_MMAN_H_ */
