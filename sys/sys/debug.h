/*
 * Named debugger stops.  debug_break("site") executes the Bochs magic
 * breakpoint (xchg %bx,%bx) when the site was enabled on the command line
 * (bochs.break=panic,smp,shootdown,test,... or all).  Outside Bochs the
 * instruction does nothing, so enabled sites are harmless elsewhere.
 */
#ifndef _SYS_DEBUG_H_
#define _SYS_DEBUG_H_

#include <sys/types.h>

void debug_break_init(void);
void debug_break(const char *site);
bool debug_break_enabled(const char *site);

#endif /* !_SYS_DEBUG_H_ */
