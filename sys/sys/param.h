/*
 * Machine-independent parameters: the page size and the helpers that
 * round to it, for code in sys/kern and sys/vm.  The numbers come from
 * <machine/param.h>; nothing here may depend on their values beyond
 * PAGE_SIZE being a power of two.
 */
#ifndef _SYS_PARAM_H_
#define _SYS_PARAM_H_

#include <machine/param.h>
#include <sys/types.h>

_Static_assert((PAGE_SIZE & (PAGE_SIZE - 1)) == 0,
               "PAGE_SIZE must be a power of two");

#define round_page(x) (((x) + PAGE_MASK) & ~PAGE_MASK) /* up to a page */
#define trunc_page(x) ((x) & ~PAGE_MASK)               /* down to a page */
#define atop(x)       ((x) >> PAGE_SHIFT)              /* bytes to pages */
#define ptoa(x)       ((x) << PAGE_SHIFT)              /* pages to bytes */

#endif /* !_SYS_PARAM_H_ */
