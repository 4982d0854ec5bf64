/*
 * The api process's private interface: one struct req per HTTP request,
 * the routes, and the functions its files share.
 */
#ifndef KILN_API_INT_H
#define KILN_API_INT_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/config.h"
#include "kiln/msg.h"
#include "kiln/obs.h"

enum route {
	ROUTE_OTHER,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_MODULES_POST,
	ROUTE_JOBS_POST,
	ROUTE_JOBS_LIST,
	ROUTE_JOB_GET,
	ROUTE_JOB_CANCEL,
	ROUTE_JOB_OUTPUT,
	ROUTE_JOB_LOG,
	ROUTE_JOB_EVENTS,
	ROUTE_COUNT
};

struct req {
	uint64_t id;			/* echoed by the core's reply */
	struct MHD_Connection *conn;
	enum route route;
	char job_id[JOB_ID_LEN];
	const char *allow;		/* the route's methods, for a 405 */
	uint8_t *body;
	size_t body_len;
	size_t body_cap;
	size_t body_max;
	int too_large;
	int waiting;			/* suspended, waiting for the core */
	/* the core's answer, once it came */
	int answered;
	struct msg_reply reply;
	uint8_t *rbody;
	size_t rlen;
	int rfd;
};

/* api_proc.c: sends a request to the core and suspends the connection. */
int api_core_call(struct req *r, uint32_t type, const void *payload,
    size_t plen, const void *tail, size_t tlen, int fd);
extern const struct config *api_conf;

/* api_request.c: routes and answers one complete request. */
enum MHD_Result api_request_handle(struct req *r, const char *method,
    const char *url);
/* Matches method and path; fills r->route and r->job_id. */
int api_route(struct req *r, const char *method, const char *url,
    const char **allow);
/* The body cap for a route. */
size_t api_body_max(enum route route);

/*
 * job_spec.c: checks a POST /v1/jobs body.  Returns 0 with m's module,
 * profile and timeout_ms filled, *spec the canonical {"args","env"} JSON
 * (caller frees) and *input, *inlen the decoded input (NULL when none;
 * caller frees).  Otherwise returns -KILN_EJSON or -KILN_EINVAL_REQUEST
 * with a one-line detail, and allocates nothing.
 */
int api_job_spec_parse(const uint8_t *body, size_t len,
    const struct config *conf, struct msg_submit *m, char **spec,
    uint8_t **input, size_t *inlen, char *detail, size_t dlen);

/*
 * problem.c: the one table from a result code (the core's or the api's
 * own) to the HTTP answer.  For rc < 0 the row names the status, the
 * problem type and whether Retry-After goes with it; for rc 0 the status
 * and the Location of what the route created.
 */
struct api_outcome {
	int rc;			/* 0 or a -KILN_E* code */
	enum route route;	/* rc 0: the route, ROUTE_OTHER: any route */
	int created;		/* rc 0 on that route: msg_reply's created */
	unsigned status;	/* the HTTP status */
	const char *type;	/* rc < 0: the problem type's slug */
	const char *title;	/* rc < 0: its title */
	uint32_t retry_after;	/* seconds for Retry-After, 0: none */
	const char *location;	/* rc 0: Location is this and the name of
				   the object answered, NULL: none */
};

/*
 * The row for a result: never NULL.  A code without a row of its own (an
 * -errno, or a -KILN_E* no request answers with) is 500 internal.
 */
const struct api_outcome *api_outcome_find(int rc, enum route route,
    int created);
/* Answers r with the RFC 9457 document of rc (< 0) and a detail line. */
enum MHD_Result api_problem(struct req *r, int rc, const char *detail);

/*
 * api_render.c: the JSON documents of the core's typed replies, byte for
 * byte as docs/API.md shows them.  body's data was checked by
 * msg_reply_body_ok(); the document is appended to b.  Returns the name
 * of the object rendered (a job's id, a module's digest) for Location, or
 * NULL for a page or a list.
 */
const char *api_render(uint32_t body, const void *data, struct obs_buf *b);

/* metrics of the api itself */
void api_metrics_count(enum route route, unsigned status);
void api_metrics_render(struct obs_buf *b);

#endif
