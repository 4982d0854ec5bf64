/*
 * libFuzzer target for native_elf_admit and native_elf_needed
 * (src/native/elf.c), the parser of untrusted ELF executables.  Each input
 * is admitted, and listed as a library with a small and the full cap; the
 * target checks the result is 0 or -KILN_EINVAL_MODULE, that *why is set
 * exactly when parsing fails and stays NUL-terminated in a short buffer,
 * and that what was accepted is what the header promises (our interpreter
 * or none, plain NUL-terminated sonames, counts in range).  The bytes are
 * copied to an exact-size buffer so ASan catches any overread.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/native.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_names(char needed[][NATIVE_NAME_MAX], int n, int max)
{
	size_t len;
	int i;

	if (n < 0 || n > max)
		abort();
	for (i = 0; i < n; i++) {
		len = strnlen(needed[i], NATIVE_NAME_MAX);
		if (len == 0 || len == NATIVE_NAME_MAX ||
		    strspn(needed[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") != len ||
		    strcmp(needed[i], ".") == 0 || strcmp(needed[i], "..") == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct native_elf_info info;
	static char needed[NATIVE_NEEDED_MAX][NATIVE_NAME_MAX];
	static const int caps[] = { 2, NATIVE_NEEDED_MAX };
	char why[256], small[9];
	uint8_t *copy;
	size_t i;
	int rc, rc2, n;

	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (native_elf_is(copy, size) != (size >= 4 &&
	    memcmp(copy, "\177ELF", 4) == 0))
		abort();

	memset(&info, 0xa5, sizeof(info));
	memset(why, 'x', sizeof(why));
	rc = native_elf_admit(copy, size, &info, why, sizeof(why));
	if (rc != 0 && rc != -KILN_EINVAL_MODULE)
		abort();
	if (strnlen(why, sizeof(why)) == sizeof(why))
		abort();
	if ((rc == 0) != (why[0] == '\0'))
		abort();
	if (rc == 0) {
		if ((info.is_dynamic != 0 && info.is_dynamic != 1) ||
		    (info.is_pie != 0 && info.is_pie != 1) ||
		    strnlen(info.interp, NATIVE_PATH_MAX) == NATIVE_PATH_MAX ||
		    (info.is_dynamic ? info.interp[0] != '/' :
		    info.interp[0] != '\0' || info.nneeded != 0))
			abort();
		check_names(info.needed, info.nneeded, NATIVE_NEEDED_MAX);
	}
	rc2 = native_elf_admit(copy, size, &info, small, sizeof(small));
	if (rc2 != rc || strnlen(small, sizeof(small)) == sizeof(small))
		abort();

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		n = -1;
		rc = native_elf_needed(copy, size, needed, caps[i], &n, why,
		    sizeof(why));
		if (rc != 0 && rc != -KILN_EINVAL_MODULE)
			abort();
		if ((rc == 0) != (why[0] == '\0') ||
		    strnlen(why, sizeof(why)) == sizeof(why))
			abort();
		if (rc != 0 && n != 0)
			abort();
		check_names(needed, n, caps[i]);
	}
	free(copy);
	return 0;
}
