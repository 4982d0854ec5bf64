/*
 * The api process (unprivileged): libmicrohttpd on the listening socket the
 * parent opened, driven from one thread and one poll loop together with
 * the core's socket.  A request that needs the core suspends its
 * connection; the core's reply, matched by request id, resumes it and the
 * next MHD_run() turns the reply into the HTTP response.  The api holds no
 * state of its own besides request counters; if the core goes away it
 * exits and the parent starts a new one.  Its peers (the parent, the
 * core) are both more privileged: anything malformed from either is fatal.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/policy.h"
#include "kiln/proc.h"
#include "kiln/util.h"
#include "api_int.h"

const struct config *api_conf;

static struct config *conf_live;	/* api_conf, which reloads replace */
static int core_fd = PROC_FD_API_CORE;
static int parent_fd = PROC_FD_PARENT;
static struct req **pending;		/* requests waiting for the core */
static size_t npending, cappending;
static uint64_t next_id = 1;

/* ---------------------------------------------------------- core link */

/* Takes r off the waiting list if it is still there. */
static void
pending_forget(struct req *r)
{
	size_t i;

	for (i = 0; i < npending; i++)
		if (pending[i] == r)
			pending[i] = pending[--npending];
	r->waiting = 0;
}

int
api_core_call(struct req *r, uint32_t type, const void *payload, size_t plen,
    const void *tail, size_t tlen, int fd)
{
	int rc;

	r->id = next_id++;
	if (npending == cappending) {
		cappending = cappending ? cappending * 2 : 256;
		pending = xrealloc(pending, cappending * sizeof(*pending));
	}
	pending[npending++] = r;
	r->waiting = 1;
	MHD_suspend_connection(r->conn);
	rc = msg_send(core_fd, type, r->id, payload, plen, tail, tlen, fd, -1);
	if (rc < 0) {
		pending_forget(r);
		MHD_resume_connection(r->conn);
		log_warnx("send %s: %s", msg_type_name(type),
		    kiln_strerror(rc));
	}
	return rc;
}

/* A core reply -> the request waiting for it, if it still waits. */
static int
core_reply_dispatch(struct msg *m)
{
	const struct msg_reply *rep;
	const uint8_t *tail;
	struct req *r;
	size_t tlen, i;

	if ((rep = msg_get(m, &tail, &tlen)) == NULL || m->nfds > 1)
		return -KILN_EPROTO;
	r = NULL;
	for (i = 0; i < npending; i++) {
		if (pending[i]->id == m->hdr.id) {
			r = pending[i];
			pending[i] = pending[--npending];
			break;
		}
	}
	if (r != NULL) {
		r->reply = *rep;
		r->rbody = xmalloc(tlen ? tlen : 1);
		memcpy(r->rbody, tail, tlen);
		r->rlen = tlen;
		r->rfd = m->nfds ? m->fds[0] : -1;
		m->fds[0] = -1;
		r->answered = 1;
		r->waiting = 0;
		MHD_resume_connection(r->conn);
	}
	return 0;
}

/* Without the core there is nothing to serve: the parent starts another. */
static void
core_lost(const struct proc_peer *p, int rc)
{
	log_warnx("core went away: %s", kiln_strerror(rc));
	_exit(1);
}

/* ------------------------------------------------------------ metrics */

static const unsigned codes[] = {
	200, 201, 202, 400, 401, 404, 405, 409, 413, 415, 422, 429, 500, 503
};
static uint64_t requests[ROUTE_COUNT][KILN_ARRAY_LEN(codes) + 1];
static const char *const route_names[ROUTE_COUNT] = {
	"other", "healthz", "readyz", "metrics", "modules_post", "jobs_post",
	"jobs_list", "job_get", "job_cancel", "job_output", "job_log",
	"job_events"
};

void
api_metrics_count(enum route route, unsigned status)
{
	size_t i;

	for (i = 0; i < KILN_ARRAY_LEN(codes); i++)
		if (codes[i] == status)
			break;
	requests[route][i]++;
}

void
api_metrics_render(struct obs_buf *b)
{
	size_t rt, i;

	obs_buf_printf(b, "# HELP kiln_api_requests_total HTTP requests "
	    "answered, by route and status code.\n"
	    "# TYPE kiln_api_requests_total counter\n");
	for (rt = 0; rt < ROUTE_COUNT; rt++)
		for (i = 0; i <= KILN_ARRAY_LEN(codes); i++)
			if (requests[rt][i] != 0) {
				if (i < KILN_ARRAY_LEN(codes))
					obs_buf_printf(b, "kiln_api_requests_"
					    "total{route=\"%s\",code=\"%u\"} "
					    "%llu\n", route_names[rt], codes[i],
					    (unsigned long long)requests[rt][i]);
				else
					obs_buf_printf(b, "kiln_api_requests_"
					    "total{route=\"%s\",code=\"other\"}"
					    " %llu\n", route_names[rt],
					    (unsigned long long)requests[rt][i]);
			}
}

/* ------------------------------------------------------------ answers */

static const char *const body_types[REPLY_BODY_COUNT] = {
	[REPLY_READY] = "text/plain; charset=utf-8",
	[REPLY_JOB] = "application/json",
	[REPLY_JOB_PAGE] = "application/json",
	[REPLY_EVENTS] = "application/json",
	[REPLY_MODULE] = "application/json",
	[REPLY_OUTPUT] = "application/octet-stream",
	[REPLY_LOG] = "text/plain; charset=utf-8",
	[REPLY_METRICS] = "text/plain; version=0.0.4; charset=utf-8",
};

/* The largest typed body a memfd may bring: a full page of jobs. */
#define TYPED_BODY_MAX	(sizeof(struct msg_job_page) + \
	REPLY_PAGE_MAX * sizeof(struct msg_job_rec))
_Static_assert(TYPED_BODY_MAX >= sizeof(struct msg_job_events) +
    REPLY_EVENTS_MAX * sizeof(struct msg_job_event), "events fit");

/*
 * Turns the core's reply into the HTTP response: a problem document for a
 * result code, otherwise the status and Location of the outcome table and
 * the body rendered from the core's data.
 */
static enum MHD_Result
answer(struct req *r)
{
	const struct api_outcome *o;
	struct MHD_Response *resp;
	struct obs_buf b = { 0 };
	enum MHD_Result ret;
	struct stat st;
	uint32_t kind = r->reply.body;
	uint8_t *body = NULL;
	const char *name = NULL;
	char loc[128] = "";
	size_t len = 0;

	if (r->reply.rc != 0)
		return api_problem(r, r->reply.rc, r->reply.detail);
	o = api_outcome_find(0, r->route, (int)r->reply.created);
	if (r->rfd >= 0 && (kind == REPLY_OUTPUT || kind == REPLY_LOG)) {
		/* a blob or a memfd: MHD sends it and closes it */
		if (fstat(r->rfd, &st) < 0)
			log_fatal("reply body");
		resp = MHD_create_response_from_fd((uint64_t)st.st_size,
		    r->rfd);
		r->rfd = -1;
		goto headers;
	}
	if (r->rfd >= 0) {
		/* too big for one message: checked now as a tail would be */
		if (fd_slurp(r->rfd, kind == REPLY_METRICS ? SIZE_MAX / 2 :
		    TYPED_BODY_MAX, &body, &len) < 0)
			log_fatal("reading a reply body");
		if (!msg_reply_body_ok(kind, body, len))
			log_fatalx("malformed reply body from core");
	} else {
		body = r->rbody;
		len = r->rlen;
		r->rbody = NULL;
	}
	switch (kind) {
	case REPLY_OUTPUT:
	case REPLY_LOG:
		break;		/* the bytes as they are */
	case REPLY_READY:
		obs_buf_printf(&b, "ready\n");
		break;
	case REPLY_METRICS:
		obs_buf_printf(&b, "%.*s", (int)len, (const char *)body);
		api_metrics_render(&b);
		break;
	default:
		name = api_render(kind, body, &b);
		break;
	}
	if (o->location != NULL && name != NULL)	/* name is in body */
		snprintf(loc, sizeof(loc), "%s%s", o->location, name);
	if (b.p != NULL) {
		free(body);
		body = (uint8_t *)b.p;
		len = b.len;
	}
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
headers:
	if (kind < REPLY_BODY_COUNT && body_types[kind] != NULL)
		MHD_add_response_header(resp, "Content-Type",
		    body_types[kind]);
	if (loc[0] != '\0')
		MHD_add_response_header(resp, "Location", loc);
	ret = MHD_queue_response(r->conn, o->status, resp);
	MHD_destroy_response(resp);
	api_metrics_count(r->route, o->status);
	return ret;
}

/* --------------------------------------------------------------- MHD */

/* Tenant bytes (bodies, replies) are wiped before their memory is reused. */
static void
scrub_free(void *p, size_t len)
{
	if (p != NULL)
		sodium_memzero(p, len);
	free(p);
}

/* Appends to the request body, doubling its buffer; old copies wiped. */
static void
body_append(struct req *r, const char *data, size_t n)
{
	uint8_t *grown;

	if (r->body_len + n > r->body_cap) {
		r->body_cap = (r->body_len + n) * 2;
		if (r->body_cap > r->body_max)
			r->body_cap = r->body_max;
		grown = xmalloc(r->body_cap);
		if (r->body_len)
			memcpy(grown, r->body, r->body_len);
		scrub_free(r->body, r->body_len);
		r->body = grown;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct req *r = *con_cls;
	const char *cl, *allow;
	unsigned long long n;

	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->conn = conn;
		r->rfd = -1;
		(void)api_route(r, method, url, &allow);
		r->body_max = api_body_max(r->route);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl != NULL && (n = strtoull(cl, NULL, 10)) > r->body_max)
			r->too_large = 1;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->too_large && r->body_len + *upload_size > r->body_max) {
			r->too_large = 1;
			scrub_free(r->body, r->body_len);
			r->body = NULL;
		}
		if (!r->too_large)
			body_append(r, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return answer(r);
	if (r->waiting)
		return MHD_YES;
	return api_request_handle(r, method, url);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	if (r == NULL)
		return;
	pending_forget(r);
	if (r->rfd >= 0)
		close(r->rfd);
	scrub_free(r->body, r->body_len);
	scrub_free(r->rbody, r->rlen);
	free(r);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warnx("http: %s", line);
}

/*
 * The parent's message, a reload: it replaces the configuration between
 * two requests, so each is authenticated entirely under one of them.
 */
static int
parent_dispatch(struct msg *m)
{
	const struct config *next;

	if (m->hdr.type != IMSG_CONF || m->nfds != 0 ||
	    (next = msg_get(m, NULL, NULL)) == NULL)
		return -KILN_EPROTO;
	if (next->generation > conf_live->generation) {
		memcpy(conf_live, next, sizeof(*conf_live));
		log_info("configuration %llu",
		    (unsigned long long)conf_live->generation);
	}
	return 0;
}

/* The api's peers, read in this order after each poll. */
static const struct proc_peer peers[] = {
	{ MSG_PEER_PARENT, &parent_fd, parent_dispatch, PEER_FATAL, NULL, 0 },
	{ MSG_PEER_CORE, &core_fd, core_reply_dispatch, PEER_FATAL, core_lost,
	    0 },
};
#define NPEERS	KILN_ARRAY_LEN(peers)

const struct proc_peer *
api_proc_peers(size_t *n)
{
	*n = NPEERS;
	return peers;
}

int
api_proc_main(struct config *conf)
{
	static struct msg m;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	struct pollfd pfd[2 + NPEERS];
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	sigset_t mask;
	char what[64];
	uid_t uid;
	gid_t gid;
	size_t i;
	int rc, sfd, timeout;

	if (sodium_init() < 0)
		log_fatalx("sodium_init");
	if ((rc = proc_user_ids(conf->user, &uid, &gid)) < 0 ||
	    (rc = proc_drop_privileges(uid, gid)) < 0)
		log_fatalx("cannot drop privileges: %s", kiln_strerror(rc));
	/* jansson seeds its hash from /dev/urandom once: before, not after */
	json_object_seed(0);
	if ((rc = policy_confine(POLICY_API, what, sizeof(what))) < 0)
		log_fatalx("cannot confine the api: %s", kiln_strerror(rc));
	log_info("api confined: %s", what);
	api_conf = conf_live = conf;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		log_fatal("signalfd");
	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, PROC_FD_API_LISTEN,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)conf->http_connection_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)conf->http_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL ||
	    (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
		log_fatalx("cannot start the HTTP server");
	log_info("serving HTTP");
	pfd[0].fd = info->epoll_fd;
	pfd[1].fd = sfd;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		timeout = -1;
		if (MHD_get_timeout(d, &mhd_ms) == MHD_YES)
			timeout = mhd_ms > 60000 ? 60000 : (int)mhd_ms;
		for (i = 0; i < NPEERS; i++) {
			pfd[2 + i].fd = *peers[i].fd;
			pfd[2 + i].events = POLLIN;
		}
		if (poll(pfd, 2 + NPEERS, timeout) < 0 && errno != EINTR)
			log_fatal("poll");
		if (pfd[1].revents)
			break;
		for (i = 0; i < NPEERS; i++)
			if (pfd[2 + i].revents)
				proc_peer_serve(MSG_PEER_API, &peers[i], &m);
		MHD_run(d);
	}
	MHD_stop_daemon(d);
	return 0;
}
