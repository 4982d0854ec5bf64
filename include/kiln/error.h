/*
 * Kiln's one error convention: functions return 0 (or a count) on success
 * and a negative errno or a negative KILN_E* code on failure.  The KILN_E*
 * codes live above the errno range so both can share one int.
 */
#ifndef KILN_ERROR_H
#define KILN_ERROR_H

enum kiln_error {
	KILN_EBASE = 10000,
	KILN_EINVAL_MODULE,	/* the bytes are not an admissible module */
	KILN_EIMPORT,		/* the module imports something policy forbids */
	KILN_EQUOTA,		/* a tenant quota would be exceeded */
	KILN_EQUEUE_FULL,	/* the tenant's or the global queue is full */
	KILN_ENOT_FOUND,	/* no such object visible to the caller */
	KILN_ECONFLICT,		/* the request contradicts existing state */
	KILN_ECOMPILE,		/* the module did not compile */
	KILN_ECONFIG,		/* the configuration is invalid */
	KILN_EPROTO,		/* a peer sent a malformed message */
	KILN_ELAST
};

/* Returns a static description of a negative errno or -KILN_E* code. */
const char *kiln_strerror(int err);

#endif
