/*
 * One complete HTTP request in the api process: route it, authenticate the
 * tenant, check and parse what it carries (the job spec JSON, base64
 * input, query parameters), and turn it into one typed message for the
 * core.  Everything a tenant sends is untrusted here and is checked before
 * it crosses to the core; the core checks again what it relies on.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "api_int.h"

static int
job_id_valid(const char *s, size_t n)
{
	size_t i;

	if (n != 28 || strncmp(s, "job_", 4) != 0)
		return 0;
	for (i = 4; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

int
api_route(struct req *r, const char *method, const char *url,
    const char **allow)
{
	const char *rest, *slash;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;

	*allow = NULL;
	r->route = ROUTE_OTHER;
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
	    strcmp(url, "/metrics") == 0) {
		*allow = "GET, HEAD";
		r->route = url[1] == 'h' ? ROUTE_HEALTHZ : url[1] == 'r' ?
		    ROUTE_READYZ : ROUTE_METRICS;
		return get ? 0 : -1;
	}
	if (strcmp(url, "/v1/modules") == 0) {
		*allow = "POST";
		r->route = ROUTE_MODULES_POST;
		return post ? 0 : -1;
	}
	if (strcmp(url, "/v1/jobs") == 0) {
		*allow = "GET, HEAD, POST";
		r->route = post ? ROUTE_JOBS_POST : ROUTE_JOBS_LIST;
		return get || post ? 0 : -1;
	}
	if (strncmp(url, "/v1/jobs/", 9) != 0)
		return -2;
	rest = url + 9;
	slash = strchr(rest, '/');
	if (!job_id_valid(rest, slash ? (size_t)(slash - rest) : strlen(rest)))
		return -2;
	memcpy(r->job_id, rest, 28);
	r->job_id[28] = '\0';
	if (slash == NULL) {
		*allow = "GET, HEAD";
		r->route = ROUTE_JOB_GET;
		return get ? 0 : -1;
	}
	if (strcmp(slash, "/cancel") == 0) {
		*allow = "POST";
		r->route = ROUTE_JOB_CANCEL;
		return post ? 0 : -1;
	}
	if (strcmp(slash, "/output") == 0 || strcmp(slash, "/log") == 0 ||
	    strcmp(slash, "/events") == 0) {
		*allow = "GET, HEAD";
		r->route = slash[1] == 'o' ? ROUTE_JOB_OUTPUT : slash[1] == 'l' ?
		    ROUTE_JOB_LOG : ROUTE_JOB_EVENTS;
		return get ? 0 : -1;
	}
	return -2;
}

size_t
api_body_max(enum route route)
{
	switch (route) {
	case ROUTE_MODULES_POST:
		return api_conf->max_module_bytes;
	case ROUTE_JOBS_POST:
		return api_conf->max_request_bytes;
	default:
		return 4096;
	}
}

/* The tenant whose token this is; compares against every tenant. */
static const char *
auth_tenant(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	const char *found = NULL;
	uint8_t hash[32];
	int i;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
		return NULL;
	crypto_hash_sha256(hash, (const uint8_t *)h + 7, strlen(h + 7));
	for (i = 0; i < api_conf->ntenants; i++)
		if (sodium_memcmp(hash, api_conf->tenants[i].token_hash,
		    32) == 0)
			found = api_conf->tenants[i].id;
	sodium_memzero(hash, sizeof(hash));
	return found;
}

static int
content_type_is(struct MHD_Connection *conn, const char *a, const char *b)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Content-Type");
	size_t n;

	if (ct == NULL)
		return 1;
	n = strcspn(ct, ";");
	return (strlen(a) == n && strncasecmp(ct, a, n) == 0) ||
	    (b != NULL && strlen(b) == n && strncasecmp(ct, b, n) == 0);
}

static enum MHD_Result
jobs_post(struct req *r, const char *tenant)
{
	struct msg_submit m;
	const char *key;
	char detail[256], *spec;
	uint8_t *input;
	size_t inlen;
	int fd, rc;

	memset(&m, 0, sizeof(m));
	if (!content_type_is(r->conn, "application/json", NULL))
		return api_problem(r, -KILN_EMEDIA_TYPE,
		    "jobs are submitted as application/json");
	key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (key != NULL) {
		size_t i, n = strlen(key);

		for (i = 0; i < n; i++)
			if (key[i] < 0x20 || key[i] > 0x7e)
				break;
		if (n == 0 || n >= sizeof(m.idem_key) || i != n)
			return api_problem(r, -KILN_EINVAL_REQUEST,
			    "Idempotency-Key must be 1-128 printable ASCII "
			    "characters");
		memcpy(m.idem_key, key, n + 1);
	}
	rc = api_job_spec_parse(r->body, r->body_len, api_conf, &m, &spec,
	    &input, &inlen, detail, sizeof(detail));
	if (rc != 0)
		return api_problem(r, rc, detail);
	fd = -1;
	if (input != NULL &&
	    (fd = memfd_from_bytes("kiln-input", input, inlen)) < 0)
		log_fatalx("memfd for input");
	if (input != NULL)
		sodium_memzero(input, inlen);
	free(input);
	snprintf(m.tenant, sizeof(m.tenant), "%s", tenant);
	m.conf_gen = api_conf->generation;
	m.has_input = fd >= 0;
	rc = api_core_call(r, IMSG_CORE_JOB_SUBMIT, &m, sizeof(m), spec,
	    strlen(spec), fd);
	free(spec);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return api_problem(r, -KILN_EUNAVAILABLE,
		    "the core is unavailable");
	return MHD_YES;
}

static enum MHD_Result
jobs_list(struct req *r, const char *tenant)
{
	struct msg_list l;
	const char *state, *limit, *token;
	char *end;
	long long n;

	memset(&l, 0, sizeof(l));
	snprintf(l.tenant, sizeof(l.tenant), "%s", tenant);
	state = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    "state");
	limit = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    "limit");
	token = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    "page_token");
	l.state = -1;
	if (state != NULL && (l.state = job_state_parse(state)) < 0)
		return api_problem(r, -KILN_EINVAL_REQUEST, "unknown state");
	l.limit = 50;
	if (limit != NULL) {
		n = strtoll(limit, &end, 10);
		if (*limit == '\0' || *end != '\0' || n < 1 || n > 500)
			return api_problem(r, -KILN_EINVAL_REQUEST,
			    "limit must be 1..500");
		l.limit = (uint32_t)n;
	}
	if (token != NULL) {
		n = strtoll(token, &end, 10);
		if (*token == '\0' || *end != '\0' || n < 0)
			return api_problem(r, -KILN_EINVAL_REQUEST,
			    "bad page_token");
		l.after_seq = n;
	}
	if (api_core_call(r, IMSG_CORE_JOB_LIST, &l, sizeof(l), NULL, 0,
	    -1) < 0)
		return api_problem(r, -KILN_EUNAVAILABLE,
		    "the core is unavailable");
	return MHD_YES;
}

static enum MHD_Result
plain(struct req *r, unsigned status, const char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type",
	    "text/plain; charset=utf-8");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	api_metrics_count(r->route, status);
	return ret;
}

enum MHD_Result
api_request_handle(struct req *r, const char *method, const char *url)
{
	struct msg_job_ref ref;
	struct msg_tenant mt;
	const char *allow, *tenant;
	uint32_t type;
	int rc, fd;

	rc = api_route(r, method, url, &allow);
	if (rc == -2)
		return api_problem(r, -KILN_ENOT_FOUND, "no such route");
	if (rc == -1) {
		char detail[96];

		snprintf(detail, sizeof(detail), "allowed: %s", allow);
		r->allow = allow;
		return api_problem(r, -KILN_EMETHOD, detail);
	}
	if (r->too_large) {
		char detail[96];

		snprintf(detail, sizeof(detail), "the body exceeds %zu bytes",
		    r->body_max);
		return api_problem(r, -KILN_ETOO_LARGE, detail);
	}
	switch (r->route) {
	case ROUTE_HEALTHZ:
		return plain(r, 200, "ok\n");
	case ROUTE_READYZ:
		rc = api_core_call(r, IMSG_CORE_READY, NULL, 0, NULL, 0, -1);
		return rc < 0 ? api_problem(r, -KILN_EUNAVAILABLE,
		    "the core is unavailable") : MHD_YES;
	case ROUTE_METRICS:
		rc = api_core_call(r, IMSG_CORE_METRICS, NULL, 0, NULL, 0, -1);
		return rc < 0 ? api_problem(r, -KILN_EUNAVAILABLE,
		    "the core is unavailable") : MHD_YES;
	default:
		break;
	}
	if ((tenant = auth_tenant(r->conn)) == NULL)
		return api_problem(r, -KILN_EUNAUTHORIZED,
		    "a valid bearer token is required");
	switch (r->route) {
	case ROUTE_MODULES_POST:
		if (!content_type_is(r->conn, "application/wasm",
		    "application/octet-stream"))
			return api_problem(r, -KILN_EMEDIA_TYPE,
			    "modules are uploaded as application/wasm");
		memset(&mt, 0, sizeof(mt));
		snprintf(mt.tenant, sizeof(mt.tenant), "%s", tenant);
		mt.conf_gen = api_conf->generation;
		if ((fd = memfd_from_bytes("kiln-module", r->body,
		    r->body_len)) < 0)
			log_fatalx("memfd for a module");
		rc = api_core_call(r, IMSG_CORE_MODULE_PUT, &mt, sizeof(mt),
		    NULL, 0, fd);
		close(fd);
		break;
	case ROUTE_JOBS_POST:
		return jobs_post(r, tenant);
	case ROUTE_JOBS_LIST:
		return jobs_list(r, tenant);
	default:
		memset(&ref, 0, sizeof(ref));
		snprintf(ref.tenant, sizeof(ref.tenant), "%s", tenant);
		memcpy(ref.id, r->job_id, sizeof(ref.id));
		type = r->route == ROUTE_JOB_GET ? IMSG_CORE_JOB_GET :
		    r->route == ROUTE_JOB_CANCEL ? IMSG_CORE_JOB_CANCEL :
		    r->route == ROUTE_JOB_OUTPUT ? IMSG_CORE_JOB_OUTPUT :
		    r->route == ROUTE_JOB_LOG ? IMSG_CORE_JOB_LOG :
		    IMSG_CORE_JOB_EVENTS;
		rc = api_core_call(r, type, &ref, sizeof(ref), NULL, 0, -1);
		break;
	}
	if (rc < 0)
		return api_problem(r, -KILN_EUNAVAILABLE,
		    "the core is unavailable");
	return MHD_YES;
}
