/*
 * pmap_test_var.h - what the pmap test files share (pmap_mp_test.c,
 * pmap_inval_test.c) and the test hooks of pmap_user.c; private to them.
 */
#ifndef _PLATFORM_PC64_PMAP_TEST_VAR_H_
#define _PLATFORM_PC64_PMAP_TEST_VAR_H_

#include <sys/types.h>

/* A page filled with the word 'fill' (0: out of memory) / give it back. */
vm_paddr_t frame_alloc(uint64_t fill);
void frame_free(vm_paddr_t pa);
/* Wait (yielding) until *v == want; false after 2 s. */
bool wait_until(volatile int *v, int want);

struct pmap;
struct pmap_inval_batch;
/*
 * pmap_user.c (options KTEST): hold the page table covering va as a
 * walker does (false: no table there) / drop the hold, reaping the table
 * onto b if it is empty by then.
 */
bool pmap_test_pt_hold(struct pmap *pm, vm_offset_t va);
void pmap_test_pt_unhold(struct pmap *pm, vm_offset_t va,
                         struct pmap_inval_batch *b);

#endif /* !_PLATFORM_PC64_PMAP_TEST_VAR_H_ */
