/*
 * Text for Kiln's error codes: negative errno values and -KILN_E* codes.
 */
#include <string.h>

#include "kiln/error.h"

const char *
kiln_strerror(int err)
{
	static const char *const kiln_msgs[] = {
		[KILN_EINVAL_MODULE - KILN_EBASE] = "invalid module",
		[KILN_EIMPORT - KILN_EBASE] = "import not granted",
		[KILN_EQUOTA - KILN_EBASE] = "quota exceeded",
		[KILN_EQUEUE_FULL - KILN_EBASE] = "queue full",
		[KILN_ENOT_FOUND - KILN_EBASE] = "not found",
		[KILN_ECONFLICT - KILN_EBASE] = "conflict",
		[KILN_ECOMPILE - KILN_EBASE] = "compilation failed",
		[KILN_ECONFIG - KILN_EBASE] = "invalid configuration",
		[KILN_EPROTO - KILN_EBASE] = "malformed message",
	};
	int code = -err;

	if (code > KILN_EBASE && code < KILN_ELAST)
		return kiln_msgs[code - KILN_EBASE];
	return strerror(code);
}
