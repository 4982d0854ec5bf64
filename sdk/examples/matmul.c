/*
 * matmul: multiplies two N x N matrices of 32-bit integers filled from a
 * fixed linear congruential generator and prints a checksum of the
 * product.  N is argv[1] (default 64, at most 1024).  All arithmetic wraps
 * modulo 2^32, so the result is the same natively and in WebAssembly; the
 * unit tests compile matmul_checksum() natively (KILN_MATMUL_NO_MAIN) and
 * compare.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MATMUL_N_DEFAULT	64
#define MATMUL_N_MAX		1024

static uint32_t
matmul_lcg(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/* The checksum for size n, or 0 when memory runs out. */
uint32_t matmul_checksum(int n);

uint32_t
matmul_checksum(int n)
{
	uint32_t *a, *b, *c, state = 12345, sum = 0;
	int i, j, k;

	a = malloc(sizeof(*a) * (size_t)n * (size_t)n);
	b = malloc(sizeof(*b) * (size_t)n * (size_t)n);
	c = calloc((size_t)n * (size_t)n, sizeof(*c));
	if (a == NULL || b == NULL || c == NULL) {
		free(a);
		free(b);
		free(c);
		return 0;
	}
	for (i = 0; i < n * n; i++)
		a[i] = matmul_lcg(&state) % 1000;
	for (i = 0; i < n * n; i++)
		b[i] = matmul_lcg(&state) % 1000;
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++)
			for (j = 0; j < n; j++)
				c[i * n + j] += a[i * n + k] * b[k * n + j];
	for (i = 0; i < n * n; i++)
		sum = sum * 31u + c[i];
	free(a);
	free(b);
	free(c);
	return sum;
}

#ifndef KILN_MATMUL_NO_MAIN
int
main(int argc, char **argv)
{
	int n = MATMUL_N_DEFAULT;

	if (argc > 1)
		n = atoi(argv[1]);
	if (n < 1 || n > MATMUL_N_MAX) {
		fprintf(stderr, "matmul: N must be 1..%d\n", MATMUL_N_MAX);
		return 2;
	}
	printf("matmul %d %u\n", n, matmul_checksum(n));
	return 0;
}
#endif
