/*
 * libFuzzer target for wasm_module_admit (src/wasm/admit.c), the parser of
 * untrusted module bytes.  Each input is admitted against a small and an
 * unlimited quota; the target checks the result is one of the documented
 * codes, that *why is set exactly when admission fails and stays
 * NUL-terminated in a short buffer, and that info is consistent.  The bytes
 * are copied to an exact-size buffer so ASan catches any overread.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t quotas[] = { 16, UINT32_MAX };
	struct wasm_module_info info;
	char why[256], small[9];
	uint8_t *copy;
	size_t i;
	int rc, rc2;

	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	for (i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++) {
		memset(&info, 0xa5, sizeof(info));
		rc = wasm_module_admit(copy, size, quotas[i], &info, why,
		    sizeof(why));
		if (rc != 0 && rc != -KILN_EINVAL_MODULE &&
		    rc != -KILN_EIMPORT && rc != -KILN_EQUOTA)
			abort();
		if (strnlen(why, sizeof(why)) == sizeof(why))
			abort();
		if ((rc == 0) != (why[0] == '\0'))
			abort();
		if (rc == 0 && (info.initial_pages > info.max_pages ||
		    info.max_pages > 65536 || info.initial_pages > quotas[i] ||
		    (info.entry_is_start != 0 && info.entry_is_start != 1)))
			abort();
		rc2 = wasm_module_admit(copy, size, quotas[i], NULL, small,
		    sizeof(small));
		if (rc2 != rc || strnlen(small, sizeof(small)) == sizeof(small))
			abort();
	}
	free(copy);
	return 0;
}
