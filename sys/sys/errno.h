/*
 * Error numbers.  The values are Linux's x86-64 ones, because system
 * calls return them to user programs as -errno (the Linux ABI); kernel
 * functions return them positive.  (tsleep's EWOULDBLOCK in
 * <sys/thread.h> is a kernel-internal value and never reaches user
 * space.)
 */
#ifndef _SYS_ERRNO_H_
#define _SYS_ERRNO_H_

#define EPERM        1   /* operation not permitted */
#define E2BIG        7   /* argument list too long */
#define ENOENT       2   /* no such file or directory */
#define ESRCH        3   /* no such process */
#define EINTR        4   /* interrupted system call */
#define EBADF        9   /* bad file descriptor */
#define EAGAIN       11  /* try again / too many threads */
#define ENOMEM       12  /* out of memory */
#define EACCES       13  /* permission denied */
#define EFAULT       14  /* bad address */
#define EEXIST       17  /* MAP_FIXED_NOREPLACE: occupied */
#define ENODEV       19  /* cannot mmap this fd */
#define EINVAL       22  /* invalid argument */
#define ENOTTY       25  /* not a terminal */
#define ERANGE       34  /* result out of range */
#define ENAMETOOLONG 36  /* string too long */
#define ENOSYS       38  /* no such system call */
#define ENOEXEC      8   /* bad executable */
#define EOVERFLOW    75  /* value too large */
#define ETIMEDOUT    110 /* timed out */

#endif /* !_SYS_ERRNO_H_ */
