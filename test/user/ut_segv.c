/*
 * ut_segv.c - a write through NULL with no handler installed: the kernel
 * must kill the process with one line (pid, tid, CPU, RIP, address,
 * access) and report status 139 (128 + SIGSEGV).  Run by the boot test
 * user-segv-kill, which expects exactly that failure.
 */
#include <stdio.h>

int
main(void)
{
	printf("    # ut_segv: writing through NULL\n");
	fflush(stdout);
	*(volatile int *)0 = 1;
	return 0;
}
