/* The smallest user program: one line out, exit 0. */
#include <stdio.h>

int
main(int argc, char **argv)
{
	printf("hello from user mode: argc %d argv[0] %s\n", argc, argv[0]);
	return 0;
}
