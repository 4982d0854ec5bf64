/*
 * RFC 9457 problem documents: one stable `type` URI and title per problem,
 * the HTTP status chosen by whoever detected it, and a human detail.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/util.h"
#include "api_int.h"

static const struct {
	const char *slug;
	const char *title;
} problems[PROBLEM_COUNT] = {
	[PROBLEM_NONE] = { "none", "No problem" },
	[PROBLEM_MALFORMED_JSON] = { "malformed_json", "Malformed JSON" },
	[PROBLEM_INVALID_REQUEST] = { "invalid_request", "Invalid request" },
	[PROBLEM_UNAUTHORIZED] = { "unauthorized", "Unauthorized" },
	[PROBLEM_NOT_FOUND] = { "not_found", "Not found" },
	[PROBLEM_METHOD_NOT_ALLOWED] = { "method_not_allowed",
	    "Method not allowed" },
	[PROBLEM_BODY_TOO_LARGE] = { "body_too_large", "Body too large" },
	[PROBLEM_UNSUPPORTED_MEDIA_TYPE] = { "unsupported_media_type",
	    "Unsupported media type" },
	[PROBLEM_UNKNOWN_MODULE] = { "unknown_module", "Unknown module" },
	[PROBLEM_INVALID_MODULE] = { "invalid_module", "Invalid module" },
	[PROBLEM_FORBIDDEN_IMPORT] = { "forbidden_import",
	    "Forbidden import" },
	[PROBLEM_MEMORY_QUOTA] = { "memory_quota", "Memory over quota" },
	[PROBLEM_NATIVE_FORBIDDEN] = { "native_forbidden",
	    "Native modules not allowed" },
	[PROBLEM_QUEUE_FULL] = { "queue_full", "Queue full" },
	[PROBLEM_GLOBAL_QUEUE_FULL] = { "global_queue_full",
	    "Node queue full" },
	[PROBLEM_IDEMPOTENCY_CONFLICT] = { "idempotency_conflict",
	    "Idempotency key reused" },
	[PROBLEM_JOB_TERMINAL] = { "job_terminal", "Job already ended" },
	[PROBLEM_JOB_NOT_FINISHED] = { "job_not_finished",
	    "Job not finished" },
	[PROBLEM_UNAVAILABLE] = { "unavailable", "Service unavailable" },
	[PROBLEM_INTERNAL] = { "internal", "Internal error" },
};

const char *
api_problem_slug(enum problem pb)
{
	return pb < PROBLEM_COUNT ? problems[pb].slug : "internal";
}

enum MHD_Result
api_problem(struct req *r, int status, enum problem pb, const char *detail,
    uint32_t retry_after)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char type[64], num[16];
	json_t *doc;
	char *s;

	if (pb >= PROBLEM_COUNT || pb == PROBLEM_NONE)
		pb = PROBLEM_INTERNAL;
	snprintf(type, sizeof(type), "urn:kiln:problem:%s", problems[pb].slug);
	doc = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
	    problems[pb].title, "status", status, "detail", detail);
	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT)) == NULL)
		log_fatalx("json: problem document");
	json_decref(doc);
	resp = MHD_create_response_from_buffer(strlen(s), s,
	    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type",
	    "application/problem+json");
	if (retry_after) {
		snprintf(num, sizeof(num), "%u", retry_after);
		MHD_add_response_header(resp, "Retry-After", num);
	}
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"kiln\"");
	if (status == 405 && r->allow != NULL)	/* RFC 9110 15.5.6 */
		MHD_add_response_header(resp, "Allow", r->allow);
	ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	api_metrics_count(r->route, (unsigned)status);
	return ret;
}
