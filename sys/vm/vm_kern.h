/*
 * Kernel virtual address space (KVA) and memory that needs it: device
 * mappings and allocations larger than a page, such as thread stacks with
 * an unmapped guard page below them.
 */
#ifndef _VM_VM_KERN_H_
#define _VM_VM_KERN_H_

#include <sys/types.h>

vm_offset_t kva_alloc(size_t npages); /* 0 when exhausted */
void kva_free(vm_offset_t va, size_t npages);
/* npages of zeroed memory mapped RW at a fresh KVA, guard pages around. */
vm_offset_t kmem_alloc_stack(size_t npages);
extern uint64_t kmem_stack_pages; /* pages of kernel stacks allocated */
void kmem_free_stack(vm_offset_t va, size_t npages);
/* Map device memory uncached; returns the virtual address. */
void *pmap_mapdev(vm_paddr_t pa, size_t size);

#endif /* !_VM_VM_KERN_H_ */
