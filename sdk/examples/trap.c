/*
 * trap: divides by zero on purpose.  The divisor is volatile so the
 * compiler cannot fold or drop the division; the guest ends with the
 * reason "trap:div0".
 */
#include <stdio.h>

int
main(void)
{
	volatile int zero = 0;
	volatile int one = 1;

	printf("%d\n", one / zero);
	return 0;
}
