/*
 * hello: the smallest Kiln guest.  Prints a greeting on stdout and, when
 * the job passes arguments, one line "arg N: VALUE" per argument.
 */
#include <stdio.h>

int
main(int argc, char **argv)
{
	int i;

	printf("hello from kiln\n");
	for (i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	return 0;
}
