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
		[KILN_EUNKNOWN_MODULE - KILN_EBASE] = "unknown module",
		[KILN_ENATIVE - KILN_EBASE] = "native modules not allowed",
		[KILN_EGLOBAL_QUEUE_FULL - KILN_EBASE] = "node queue full",
		[KILN_EJOB_TERMINAL - KILN_EBASE] = "job already ended",
		[KILN_EJOB_NOT_FINISHED - KILN_EBASE] = "job not finished",
		[KILN_EUNAVAILABLE - KILN_EBASE] = "service unavailable",
		[KILN_EUNAUTHORIZED - KILN_EBASE] = "unauthorized",
		[KILN_ETOO_LARGE - KILN_EBASE] = "too large",
		[KILN_EINVAL_REQUEST - KILN_EBASE] = "invalid request",
		[KILN_EJSON - KILN_EBASE] = "malformed JSON",
		[KILN_EMETHOD - KILN_EBASE] = "method not allowed",
		[KILN_EMEDIA_TYPE - KILN_EBASE] = "unsupported media type",
	};
	int code = -err;

	if (code > KILN_EBASE && code < KILN_ELAST)
		return kiln_msgs[code - KILN_EBASE];
	return strerror(code);
}
