/*
 * ut_oom.c - touch anonymous memory until the kernel runs out: mmap
 * itself succeeds (memory is demand-zero), the fault that finds no free
 * page kills the process with a message, and the kernel survives.  Run by
 * the boot test user-oom, which expects that kill.
 */
#include <stdio.h>
#include <sys/mman.h>

int
main(void)
{
	size_t chunk = 16u << 20, total = 0;
	volatile char *p;
	size_t i;

	for (;;) {
		p = mmap(0, chunk, PROT_READ | PROT_WRITE,
		         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("    # ut_oom: mmap failed after %zu MiB\n",
			       total >> 20);
			return 1;
		}
		for (i = 0; i < chunk; i += 4096)
			p[i] = 1;
		total += chunk;
	}
}
