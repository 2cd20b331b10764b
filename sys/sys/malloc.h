/*
 * kmalloc: small kernel objects from power-of-two size classes.
 */
#ifndef _SYS_MALLOC_H_
#define _SYS_MALLOC_H_

#include <sys/param.h>
#include <sys/types.h>

#define M_ZERO   0x1 /* zero the object */
#define M_NULLOK 0x2 /* return NULL instead of panicking when out of memory */

void *kmalloc(size_t size, int flags);
void kfree(void *p);
/* Bytes a size rounds up to (the class it uses); for tests. */
size_t kmalloc_class_size(size_t size);
/* Pages kmalloc has taken from the page allocator (leak checks). */
extern uint64_t kmalloc_pages;

#define KMALLOC_MAX PAGE_SIZE /* larger requests go to kmem_alloc() */

#endif /* !_SYS_MALLOC_H_ */
