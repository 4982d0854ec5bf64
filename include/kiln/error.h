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
	KILN_EQUEUE_FULL,	/* the tenant's queue is full */
	KILN_ENOT_FOUND,	/* no such object visible to the caller */
	KILN_ECONFLICT,		/* the request contradicts existing state */
	KILN_ECOMPILE,		/* the module did not compile */
	KILN_ECONFIG,		/* the configuration is invalid */
	KILN_EPROTO,		/* a peer sent a malformed message */
	KILN_EUNKNOWN_MODULE,	/* no such module registered for the tenant */
	KILN_ENATIVE,		/* the tenant may not register native modules */
	KILN_EGLOBAL_QUEUE_FULL, /* the node's queue (all tenants) is full */
	KILN_EJOB_TERMINAL,	/* the job has already ended */
	KILN_EJOB_NOT_FINISHED,	/* the job has not ended yet */
	KILN_EUNAVAILABLE,	/* not now: draining, or a peer restarting */
	KILN_EUNAUTHORIZED,	/* no valid credentials, or an unknown tenant */
	KILN_ETOO_LARGE,	/* a body or an input over its limit */
	KILN_EINVAL_REQUEST,	/* the request's fields or parameters are bad */
	KILN_EJSON,		/* the request body is not well-formed JSON */
	KILN_EMETHOD,		/* the method is not allowed on the resource */
	KILN_EMEDIA_TYPE,	/* the body's media type is not accepted */
	KILN_ELAST
};

/* Returns a static description of a negative errno or -KILN_E* code. */
const char *kiln_strerror(int err);

#endif
