/*
 * The one table from a result code to an HTTP answer.  The core answers
 * each request with 0 or a -KILN_E* code (and the api's own checks use the
 * same codes); this table alone decides the status, the RFC 9457 problem
 * type and title, Retry-After, and which successes carry a Location.
 * api_problem() writes the problem documents.
 */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "api_int.h"

#define ANY	(-1)	/* rc 0 rows: created either way */

static const struct api_outcome outcomes[] = {
	/* successes: the submissions answer with where the object lives */
	{ 0, ROUTE_JOBS_POST, 1, 202, NULL, NULL, 0, "/v1/jobs/" },
	{ 0, ROUTE_JOBS_POST, 0, 200, NULL, NULL, 0, "/v1/jobs/" },
	{ 0, ROUTE_MODULES_POST, 1, 201, NULL, NULL, 0, "/v1/modules/" },
	{ 0, ROUTE_MODULES_POST, 0, 200, NULL, NULL, 0, "/v1/modules/" },
	{ 0, ROUTE_OTHER, ANY, 200, NULL, NULL, 0, NULL },

	/* the request itself */
	{ -KILN_EJSON, ROUTE_OTHER, ANY, 400, "malformed_json",
	    "Malformed JSON", 0, NULL },
	{ -KILN_EINVAL_REQUEST, ROUTE_OTHER, ANY, 422, "invalid_request",
	    "Invalid request", 0, NULL },
	{ -KILN_EUNAUTHORIZED, ROUTE_OTHER, ANY, 401, "unauthorized",
	    "Unauthorized", 0, NULL },
	{ -KILN_ENOT_FOUND, ROUTE_OTHER, ANY, 404, "not_found",
	    "Not found", 0, NULL },
	{ -KILN_EMETHOD, ROUTE_OTHER, ANY, 405, "method_not_allowed",
	    "Method not allowed", 0, NULL },
	{ -KILN_ETOO_LARGE, ROUTE_OTHER, ANY, 413, "body_too_large",
	    "Body too large", 0, NULL },
	{ -KILN_EMEDIA_TYPE, ROUTE_OTHER, ANY, 415, "unsupported_media_type",
	    "Unsupported media type", 0, NULL },

	/* modules */
	{ -KILN_EUNKNOWN_MODULE, ROUTE_OTHER, ANY, 422, "unknown_module",
	    "Unknown module", 0, NULL },
	{ -KILN_EINVAL_MODULE, ROUTE_OTHER, ANY, 422, "invalid_module",
	    "Invalid module", 0, NULL },
	{ -KILN_EIMPORT, ROUTE_OTHER, ANY, 422, "forbidden_import",
	    "Forbidden import", 0, NULL },
	{ -KILN_EQUOTA, ROUTE_OTHER, ANY, 422, "memory_quota",
	    "Memory over quota", 0, NULL },
	{ -KILN_ENATIVE, ROUTE_OTHER, ANY, 422, "native_forbidden",
	    "Native modules not allowed", 0, NULL },

	/* admission and the job's state */
	{ -KILN_EQUEUE_FULL, ROUTE_OTHER, ANY, 429, "queue_full",
	    "Queue full", 1, NULL },
	{ -KILN_EGLOBAL_QUEUE_FULL, ROUTE_OTHER, ANY, 429, "global_queue_full",
	    "Node queue full", 1, NULL },
	{ -KILN_ECONFLICT, ROUTE_OTHER, ANY, 409, "idempotency_conflict",
	    "Idempotency key reused", 0, NULL },
	{ -KILN_EJOB_TERMINAL, ROUTE_OTHER, ANY, 409, "job_terminal",
	    "Job already ended", 0, NULL },
	{ -KILN_EJOB_NOT_FINISHED, ROUTE_OTHER, ANY, 409, "job_not_finished",
	    "Job not finished", 0, NULL },
	{ -KILN_EUNAVAILABLE, ROUTE_OTHER, ANY, 503, "unavailable",
	    "Service unavailable", 0, NULL },
};

/* Every other code: a bug or a failure nobody planned an answer for. */
static const struct api_outcome internal = {
	INT_MIN, ROUTE_OTHER, ANY, 500, "internal", "Internal error", 0, NULL
};

const struct api_outcome *
api_outcome_find(int rc, enum route route, int created)
{
	const struct api_outcome *o;
	size_t i;

	for (i = 0; i < KILN_ARRAY_LEN(outcomes); i++) {
		o = &outcomes[i];
		if (o->rc != rc)
			continue;
		if (rc != 0)
			return o;
		if ((o->route == ROUTE_OTHER || o->route == route) &&
		    (o->created == ANY || o->created == (created != 0)))
			return o;
	}
	return &internal;
}

enum MHD_Result
api_problem(struct req *r, int rc, const char *detail)
{
	const struct api_outcome *o = api_outcome_find(rc, r->route, 0);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char type[64], num[16];
	json_t *doc;
	char *s;

	if (o->type == NULL)	/* rc 0 is no problem: a caller's bug */
		o = &internal;
	snprintf(type, sizeof(type), "urn:kiln:problem:%s", o->type);
	doc = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
	    o->title, "status", (int)o->status, "detail", detail);
	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT)) == NULL)
		log_fatalx("json: problem document");
	json_decref(doc);
	resp = MHD_create_response_from_buffer(strlen(s), s,
	    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type",
	    "application/problem+json");
	if (o->retry_after) {
		snprintf(num, sizeof(num), "%u", o->retry_after);
		MHD_add_response_header(resp, "Retry-After", num);
	}
	if (o->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"kiln\"");
	if (o->status == 405 && r->allow != NULL)	/* RFC 9110 15.5.6 */
		MHD_add_response_header(resp, "Allow", r->allow);
	ret = MHD_queue_response(r->conn, o->status, resp);
	MHD_destroy_response(resp);
	api_metrics_count(r->route, o->status);
	return ret;
}
