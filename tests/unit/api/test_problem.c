/*
 * Unit tests of the api's one table from result codes to HTTP answers
 * (src/api/problem.c): every code the core or the api's own checks answer
 * with has its status and problem type (the values docs/API.md
 * documents), successes get their status and Location by route, and any
 * other code is 500 internal.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "../../../src/api/api_int.h"

static const struct {
	int rc;
	unsigned status;
	const char *type;
	uint32_t retry_after;
} answers[] = {
	/* what the core answers with */
	{ -KILN_EUNAUTHORIZED, 401, "unauthorized", 0 },
	{ -KILN_ENOT_FOUND, 404, "not_found", 0 },
	{ -KILN_ETOO_LARGE, 413, "body_too_large", 0 },
	{ -KILN_EINVAL_REQUEST, 422, "invalid_request", 0 },
	{ -KILN_EUNKNOWN_MODULE, 422, "unknown_module", 0 },
	{ -KILN_EINVAL_MODULE, 422, "invalid_module", 0 },
	{ -KILN_EIMPORT, 422, "forbidden_import", 0 },
	{ -KILN_EQUOTA, 422, "memory_quota", 0 },
	{ -KILN_ENATIVE, 422, "native_forbidden", 0 },
	{ -KILN_EQUEUE_FULL, 429, "queue_full", 1 },
	{ -KILN_EGLOBAL_QUEUE_FULL, 429, "global_queue_full", 1 },
	{ -KILN_ECONFLICT, 409, "idempotency_conflict", 0 },
	{ -KILN_EJOB_TERMINAL, 409, "job_terminal", 0 },
	{ -KILN_EJOB_NOT_FINISHED, 409, "job_not_finished", 0 },
	{ -KILN_EUNAVAILABLE, 503, "unavailable", 0 },
	/* and the api's own checks */
	{ -KILN_EJSON, 400, "malformed_json", 0 },
	{ -KILN_EMETHOD, 405, "method_not_allowed", 0 },
	{ -KILN_EMEDIA_TYPE, 415, "unsupported_media_type", 0 },
};

/* KILN_E* codes no request is answered with: internal when they are. */
static const int unanswered[] = {
	-KILN_ECOMPILE, -KILN_ECONFIG, -KILN_EPROTO,
};

static void
test_problems(void **state)
{
	const struct api_outcome *o;
	size_t i, k;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		o = api_outcome_find(answers[i].rc, ROUTE_JOBS_POST, 0);
		assert_int_equal(o->rc, answers[i].rc);
		assert_int_equal(o->status, answers[i].status);
		assert_string_equal(o->type, answers[i].type);
		assert_non_null(o->title);
		assert_true(o->title[0] != '\0');
		assert_int_equal(o->retry_after, answers[i].retry_after);
		assert_null(o->location);
		/* the route does not matter for a problem */
		assert_ptr_equal(api_outcome_find(answers[i].rc, ROUTE_OTHER,
		    1), o);
		/* one type per code */
		for (k = 0; k < i; k++)
			assert_string_not_equal(answers[k].type, o->type);
	}
}

static void
test_every_code_decided(void **state)
{
	const struct api_outcome *o;
	size_t i;
	int code, found;

	/* a new KILN_E* code needs a row here, or a line in unanswered[] */
	for (code = KILN_EBASE + 1; code < KILN_ELAST; code++) {
		found = 0;
		for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
			found |= answers[i].rc == -code;
		for (i = 0; i < sizeof(unanswered) / sizeof(unanswered[0]);
		    i++)
			found |= unanswered[i] == -code;
		if (!found)
			fail_msg("-KILN_E code %d (%s) is not decided", code,
			    kiln_strerror(-code));
		o = api_outcome_find(-code, ROUTE_OTHER, 0);
		assert_non_null(o->type);
	}
}

static void
test_unknown_is_internal(void **state)
{
	static const int codes[] = {
		-EIO, -ENOMEM, -EINVAL, -EPERM, -KILN_ECOMPILE, -KILN_ECONFIG,
		-KILN_EPROTO, -KILN_EBASE, -KILN_ELAST, -99999, 7, INT_MIN,
	};
	const struct api_outcome *o;
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		o = api_outcome_find(codes[i], ROUTE_JOB_GET, 0);
		assert_int_equal(o->status, 500);
		assert_string_equal(o->type, "internal");
		assert_string_equal(o->title, "Internal error");
		assert_int_equal(o->retry_after, 0);
		assert_null(o->location);
	}
}

static void
test_successes(void **state)
{
	static const struct {
		enum route route;
		int created;
		unsigned status;
		const char *location;
	} cases[] = {
		{ ROUTE_JOBS_POST, 1, 202, "/v1/jobs/" },
		{ ROUTE_JOBS_POST, 0, 200, "/v1/jobs/" },	/* replayed */
		{ ROUTE_MODULES_POST, 1, 201, "/v1/modules/" },
		{ ROUTE_MODULES_POST, 0, 200, "/v1/modules/" },
		{ ROUTE_JOB_GET, 0, 200, NULL },
		{ ROUTE_JOB_CANCEL, 0, 200, NULL },
		{ ROUTE_JOBS_LIST, 0, 200, NULL },
		{ ROUTE_JOB_OUTPUT, 0, 200, NULL },
		{ ROUTE_JOB_EVENTS, 0, 200, NULL },
		{ ROUTE_READYZ, 0, 200, NULL },
		{ ROUTE_METRICS, 0, 200, NULL },
	};
	const struct api_outcome *o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = api_outcome_find(0, cases[i].route, cases[i].created);
		assert_int_equal(o->rc, 0);
		assert_int_equal(o->status, cases[i].status);
		assert_null(o->type);
		assert_int_equal(o->retry_after, 0);
		if (cases[i].location == NULL)
			assert_null(o->location);
		else
			assert_string_equal(o->location, cases[i].location);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_every_code_decided),
		cmocka_unit_test(test_unknown_is_internal),
		cmocka_unit_test(test_successes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
