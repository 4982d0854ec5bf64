/*
 * The HTTP side of the kiln CLI: one function per endpoint of docs/API.md,
 * each a single blocking libcurl request on one reused handle (so polling
 * keeps its connection).  Answers of any size are gathered into a growing
 * buffer and handed back whole with their status; what a status means is
 * the caller's business.  The bearer token lives only here, is never
 * logged, and is wiped when the client is freed; redirects are not
 * followed, so the token never travels to another host.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "kiln/util.h"
#include "kiln.h"

#define CLIENT_CONNECT_TIMEOUT_MS	5000L
#define CLIENT_TIMEOUT_MS		300000L
#define CLIENT_LOW_SPEED_TIME_S		30L	/* abort below 1 B/s this long */
#define CLIENT_BODY_MAX			((size_t)1 << 30)

struct client {
	CURL		*curl;		/* one handle, reset for each request */
	char		*base;		/* base URL without trailing '/' */
	char		*auth;		/* "Authorization: Bearer …", or NULL */
	long		 timeout_ms;	/* per-request cap; 0: the default */
	char		 errbuf[CURL_ERROR_SIZE]; /* last transport error */
};

/* One request; body is sent only for POST. */
struct client_req {
	const char	*method;	/* "GET" or "POST" */
	char		*url;		/* full URL, owned by the caller */
	const char	*ctype;		/* request Content-Type, or NULL */
	const void	*body;		/* POST body, may be NULL when len is 0 */
	size_t		 len;		/* bytes in body */
	const char	*extra;		/* one more header line, or NULL */
};

/* Where the write callback gathers the body. */
struct client_sink {
	struct client_resp *resp;	/* the answer being filled */
	size_t		 cap;		/* bytes allocated for resp->body */
};

static int
token_is_valid(const char *token)
{
	const unsigned char *p;

	if (*token == '\0')
		return 0;
	for (p = (const unsigned char *)token; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e)
			return 0;
	return 1;
}

int
client_new(struct client **cp, const char *base_url, const char *token)
{
	struct client *c;
	size_t n;

	if (token != NULL && !token_is_valid(token))
		return -EINVAL;
	c = xcalloc(1, sizeof(*c));
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->base = xstrdup(base_url);
	n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	if (token != NULL)
		c->auth = xasprintf("Authorization: Bearer %s", token);
	*cp = c;
	return 0;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->auth != NULL) {
		sodium_memzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	curl_easy_cleanup(c->curl);
	free(c->base);
	free(c);
}

void
client_timeout_set(struct client *c, long timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

const char *
client_strerror(const struct client *c)
{
	return c->errbuf;
}

static size_t
client_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct client_sink *sink = arg;
	struct client_resp *r = sink->resp;
	size_t n = size * nmemb;

	if (n > CLIENT_BODY_MAX - r->len)
		return 0;	/* CURLE_WRITE_ERROR */
	if (r->len + n + 1 > sink->cap) {
		while (r->len + n + 1 > sink->cap)
			sink->cap = sink->cap ? sink->cap * 2 : 4096;
		r->body = xrealloc(r->body, sink->cap);
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static int
client_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

/* Frees a header list after wiping it: it may hold the credential. */
static void
client_headers_free(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static int
client_headers_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *l;

	if ((l = curl_slist_append(*list, line)) == NULL)
		return -ENOMEM;
	*list = l;
	return 0;
}

static void
client_resp_init(struct client_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
}

static int
client_request(struct client *c, const struct client_req *req,
    struct client_resp *resp)
{
	struct client_sink sink = { resp, 0 };
	struct curl_slist *hdrs = NULL;
	CURL *h = c->curl;
	CURLcode cc;
	int rc;

	client_resp_init(resp);
	c->errbuf[0] = '\0';

	/* Empty "Name:" lines stop curl from sending its own defaults. */
	if ((rc = client_headers_add(&hdrs, "Expect:")) < 0)
		goto out;
	if (strcmp(req->method, "POST") == 0) {
		if (req->ctype != NULL) {
			char *line = xasprintf("Content-Type: %s", req->ctype);

			rc = client_headers_add(&hdrs, line);
			free(line);
		} else
			rc = client_headers_add(&hdrs, "Content-Type:");
		if (rc < 0)
			goto out;
	}
	if (c->auth != NULL && (rc = client_headers_add(&hdrs, c->auth)) < 0)
		goto out;
	if (req->extra != NULL &&
	    (rc = client_headers_add(&hdrs, req->extra)) < 0)
		goto out;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    CLIENT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    c->timeout_ms > 0 ? c->timeout_ms : CLIENT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, CLIENT_LOW_SPEED_TIME_S);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, client_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
	}

	cc = curl_easy_perform(h);
	/* The handle must not keep pointers into this frame. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (cc != CURLE_OK) {
		if (c->errbuf[0] == '\0')
			snprintf(c->errbuf, sizeof(c->errbuf), "%s",
			    curl_easy_strerror(cc));
		if (cc == CURLE_WRITE_ERROR)
			snprintf(c->errbuf, sizeof(c->errbuf),
			    "response larger than %zu bytes",
			    CLIENT_BODY_MAX);
		rc = client_errno(cc);
		client_resp_clear(resp);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->body == NULL) {
		resp->body = xmalloc(1);
		resp->body[0] = '\0';
	}
	rc = 0;
 out:
	client_headers_free(hdrs);
	return rc;
}

/* A URL under the base: prefix, then id escaped (when not NULL), suffix. */
static int
client_url(struct client *c, const char *prefix, const char *id,
    const char *suffix, char **out)
{
	char *esc;

	c->errbuf[0] = '\0';
	if (id == NULL) {
		*out = xasprintf("%s%s%s", c->base, prefix, suffix);
		return 0;
	}
	if ((esc = curl_easy_escape(c->curl, id, 0)) == NULL)
		return -ENOMEM;
	*out = xasprintf("%s%s%s%s", c->base, prefix, esc, suffix);
	curl_free(esc);
	return 0;
}

static int
client_job_do(struct client *c, const char *method, const char *id,
    const char *suffix, struct client_resp *resp)
{
	struct client_req req = { .method = method };
	int rc;

	client_resp_init(resp);
	if ((rc = client_url(c, "/v1/jobs/", id, suffix, &req.url)) < 0)
		return rc;
	rc = client_request(c, &req, resp);
	free(req.url);
	return rc;
}

int
client_module_push(struct client *c, const uint8_t *wasm, size_t len,
    struct client_resp *resp)
{
	struct client_req req = {
		.method = "POST",
		.ctype = "application/wasm",
		.body = wasm,
		.len = len,
	};
	int rc;

	/* a native executable: the server goes by the bytes' magic */
	if (len >= 4 && memcmp(wasm, "\177ELF", 4) == 0)
		req.ctype = "application/octet-stream";
	client_resp_init(resp);
	if ((rc = client_url(c, "/v1/modules", NULL, "", &req.url)) < 0)
		return rc;
	rc = client_request(c, &req, resp);
	free(req.url);
	return rc;
}

int
client_idem_key_is_valid(const char *key)
{
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return p != (const unsigned char *)key &&
	    p - (const unsigned char *)key <= 128;
}

int
client_job_submit(struct client *c, const char *json, const char *idem_key,
    struct client_resp *resp)
{
	struct client_req req = {
		.method = "POST",
		.ctype = "application/json",
		.body = json,
		.len = strlen(json),
	};
	char *extra = NULL;
	int rc;

	client_resp_init(resp);
	if (idem_key != NULL) {
		if (!client_idem_key_is_valid(idem_key)) {
			c->errbuf[0] = '\0';
			return -EINVAL;
		}
		extra = xasprintf("Idempotency-Key: %s", idem_key);
		req.extra = extra;
	}
	if ((rc = client_url(c, "/v1/jobs", NULL, "", &req.url)) < 0)
		goto out;
	rc = client_request(c, &req, resp);
	free(req.url);
 out:
	free(extra);
	return rc;
}

int
client_job_get(struct client *c, const char *id, struct client_resp *resp)
{
	return client_job_do(c, "GET", id, "", resp);
}

/* Appends "name=value", value URL-escaped, to the query *query; 0 or
 * -ENOMEM. */
static int
client_query_add(struct client *c, char **query, const char *name,
    const char *value)
{
	char *esc, *next;

	if ((esc = curl_easy_escape(c->curl, value, 0)) == NULL)
		return -ENOMEM;
	next = xasprintf("%s%c%s=%s", *query, **query == '\0' ? '?' : '&',
	    name, esc);
	curl_free(esc);
	free(*query);
	*query = next;
	return 0;
}

int
client_job_list(struct client *c, const char *state, long limit,
    const char *page_token, struct client_resp *resp)
{
	struct client_req req = { .method = "GET" };
	char *query, num[24];
	int rc = 0;

	client_resp_init(resp);
	query = xstrdup("");
	if (limit > 0) {
		snprintf(num, sizeof(num), "%ld", limit);
		rc = client_query_add(c, &query, "limit", num);
	}
	if (rc == 0 && state != NULL)
		rc = client_query_add(c, &query, "state", state);
	if (rc == 0 && page_token != NULL)
		rc = client_query_add(c, &query, "page_token", page_token);
	if (rc < 0 ||
	    (rc = client_url(c, "/v1/jobs", NULL, query, &req.url)) < 0)
		goto out;
	rc = client_request(c, &req, resp);
	free(req.url);
 out:
	free(query);
	return rc;
}

int
client_job_cancel(struct client *c, const char *id, struct client_resp *resp)
{
	return client_job_do(c, "POST", id, "/cancel", resp);
}

int
client_job_output(struct client *c, const char *id, struct client_resp *resp)
{
	return client_job_do(c, "GET", id, "/output", resp);
}

int
client_job_log(struct client *c, const char *id, struct client_resp *resp)
{
	return client_job_do(c, "GET", id, "/log", resp);
}

int
client_job_events(struct client *c, const char *id, struct client_resp *resp)
{
	return client_job_do(c, "GET", id, "/events", resp);
}

void
client_resp_clear(struct client_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

int
client_resp_is_ok(const struct client_resp *resp)
{
	return resp->status >= 200 && resp->status <= 299;
}

static char *
problem_field(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int
client_problem_parse(const struct client_resp *resp, struct client_problem *p)
{
	json_t *doc;

	memset(p, 0, sizeof(*p));
	doc = json_loadb((const char *)resp->body, resp->len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -EBADMSG;
	}
	p->type = problem_field(doc, "type");
	p->title = problem_field(doc, "title");
	p->detail = problem_field(doc, "detail");
	json_decref(doc);
	return 0;
}

void
client_problem_clear(struct client_problem *p)
{
	free(p->type);
	free(p->title);
	free(p->detail);
	memset(p, 0, sizeof(*p));
}
