/*
 * The one place where bytes from another Kiln process are decoded: framing
 * over SOCK_SEQPACKET with SCM_RIGHTS, the direction every type is
 * declared for (who sends it, who may receive it: msg_types[]), checked
 * by msg_recv(), and the per-type payload checks of msg_get().  Everything
 * here assumes the peer may be hostile.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kiln/config.h"
#include "kiln/error.h"
#include "kiln/msg.h"

/* Replies' records are read in place: keep them aligned in the buffer. */
_Static_assert(sizeof(struct msg_hdr) % 8 == 0, "msg_hdr alignment");
_Static_assert(sizeof(struct msg_reply) % 8 == 0, "msg_reply alignment");
_Static_assert(sizeof(struct msg_job_page) % 8 == 0, "msg_job_page size");
_Static_assert(sizeof(struct msg_job_events) % 8 == 0,
    "msg_job_events size");

int
msg_send(int sock, uint32_t type, uint64_t id, const void *payload,
    size_t plen, const void *tail, size_t tlen, int fd0, int fd1)
{
	int fds[2], nfds = 0;

	if (fd0 >= 0)
		fds[nfds++] = fd0;
	if (fd1 >= 0)
		fds[nfds++] = fd1;
	return msg_sendv(sock, type, id, payload, plen, tail, tlen, fds, nfds);
}

int
msg_sendv(int sock, uint32_t type, uint64_t id, const void *payload,
    size_t plen, const void *tail, size_t tlen, const int *fds, int nfds)
{
	struct msg_hdr hdr;
	struct iovec iov[3];
	struct msghdr mh;
	union {
		char buf[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct cmsghdr *c;
	struct pollfd pfd;

	if (sizeof(hdr) + plen + tlen > MSG_MAX)
		return -EMSGSIZE;
	if (nfds < 0 || nfds > MSG_MAX_FDS)
		return -EINVAL;
	hdr.type = type;
	hdr.len = (uint32_t)(plen + tlen);
	hdr.id = id;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = plen;
	iov[2].iov_base = (void *)tail;
	iov[2].iov_len = tlen;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 3;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		pfd.fd = sock;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

void
msg_clear(struct msg *m)
{
	int i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
	for (i = 0; i < MSG_MAX_FDS; i++)
		m->fds[i] = -1;
}

int
msg_recv(int sock, enum msg_peer from, enum msg_peer self, struct msg *m)
{
	struct iovec iov;
	struct msghdr mh;
	union {
		char buf[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct cmsghdr *c;
	ssize_t n;
	size_t nf;

	m->nfds = 0;
	msg_clear(m);
	memset(&m->hdr, 0, sizeof(m->hdr));
	iov.iov_base = m->buf;
	iov.iov_len = sizeof(m->buf);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nf + (size_t)m->nfds > MSG_MAX_FDS) {
			/* close what we cannot keep, then refuse */
			int extra[16];
			size_t i;

			memcpy(extra, CMSG_DATA(c), sizeof(int) *
			    (nf > 16 ? 16 : nf));
			for (i = 0; i < nf && i < 16; i++)
				close(extra[i]);
			msg_clear(m);
			return -KILN_EPROTO;
		}
		memcpy(m->fds + m->nfds, CMSG_DATA(c), sizeof(int) * nf);
		m->nfds += (int)nf;
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n < sizeof(struct msg_hdr)) {
		msg_clear(m);
		return -KILN_EPROTO;
	}
	memcpy(&m->hdr, m->buf, sizeof(m->hdr));
	if (m->hdr.len != (size_t)n - sizeof(struct msg_hdr) ||
	    !msg_type_allowed(m->hdr.type, from, self)) {
		msg_clear(m);
		return -KILN_EPROTO;
	}
	m->data = m->buf + sizeof(struct msg_hdr);
	return 1;
}

#define STR_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

#define FROM(p)	MSG_PEER_##p
#define TO(p)	MSG_PEER_BIT(MSG_PEER_##p)

/*
 * Each type: the size of its payload struct, whether it has a tail, who
 * sends it and the set of its receivers, its name.
 */
static const struct {
	uint32_t type;
	size_t size;
	int tail;
	enum msg_peer from;
	unsigned to;		/* MSG_PEER_BIT()s */
	const char *name;
} msg_types[] = {
	{ IMSG_CONF, sizeof(struct config), 0, FROM(PARENT),
	    TO(API) | TO(CORE) | TO(LAUNCHER), "IMSG_CONF" },
	{ IMSG_CORE_PEER_API, 0, 0, FROM(PARENT), TO(CORE),
	    "IMSG_CORE_PEER_API" },
	{ IMSG_CORE_PEER_LAUNCHER, 0, 0, FROM(PARENT), TO(CORE),
	    "IMSG_CORE_PEER_LAUNCHER" },
	{ IMSG_CORE_SHUTDOWN, 0, 0, FROM(PARENT), TO(CORE),
	    "IMSG_CORE_SHUTDOWN" },
	{ IMSG_CORE_MODULE_PUT, sizeof(struct msg_tenant), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_MODULE_PUT" },
	{ IMSG_CORE_JOB_SUBMIT, sizeof(struct msg_submit), 1, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_SUBMIT" },
	{ IMSG_CORE_JOB_GET, sizeof(struct msg_job_ref), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_GET" },
	{ IMSG_CORE_JOB_LIST, sizeof(struct msg_list), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_LIST" },
	{ IMSG_CORE_JOB_CANCEL, sizeof(struct msg_job_ref), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_CANCEL" },
	{ IMSG_CORE_JOB_OUTPUT, sizeof(struct msg_job_ref), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_OUTPUT" },
	{ IMSG_CORE_JOB_LOG, sizeof(struct msg_job_ref), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_LOG" },
	{ IMSG_CORE_METRICS, 0, 0, FROM(API), TO(CORE),
	    "IMSG_CORE_METRICS" },
	{ IMSG_CORE_READY, 0, 0, FROM(API), TO(CORE), "IMSG_CORE_READY" },
	{ IMSG_CORE_JOB_EVENTS, sizeof(struct msg_job_ref), 0, FROM(API),
	    TO(CORE), "IMSG_CORE_JOB_EVENTS" },
	{ IMSG_API_REPLY, sizeof(struct msg_reply), 1, FROM(CORE), TO(API),
	    "IMSG_API_REPLY" },
	{ IMSG_LAUNCHER_COMPILE, sizeof(struct msg_compile), 1, FROM(CORE),
	    TO(LAUNCHER), "IMSG_LAUNCHER_COMPILE" },
	{ IMSG_LAUNCHER_JOB_START, sizeof(struct msg_start), 1, FROM(CORE),
	    TO(LAUNCHER), "IMSG_LAUNCHER_JOB_START" },
	{ IMSG_LAUNCHER_JOB_KILL, sizeof(struct msg_job_ref), 0, FROM(CORE),
	    TO(LAUNCHER), "IMSG_LAUNCHER_JOB_KILL" },
	{ IMSG_CORE_COMPILED, sizeof(struct msg_compiled), 0, FROM(LAUNCHER),
	    TO(CORE), "IMSG_CORE_COMPILED" },
	{ IMSG_CORE_JOB_RUNNING, sizeof(struct msg_job_ref), 0,
	    FROM(LAUNCHER), TO(CORE), "IMSG_CORE_JOB_RUNNING" },
	{ IMSG_CORE_JOB_DONE, sizeof(struct msg_done), 0, FROM(LAUNCHER),
	    TO(CORE), "IMSG_CORE_JOB_DONE" },
	{ IMSG_CORE_LAUNCHER_HELLO, sizeof(struct msg_hello), 0,
	    FROM(LAUNCHER), TO(CORE), "IMSG_CORE_LAUNCHER_HELLO" },
	{ IMSG_WORKER_JOB, sizeof(struct msg_worker_job), 1, FROM(LAUNCHER),
	    TO(WORKER), "IMSG_WORKER_JOB" },
};

static const char *const peer_names[MSG_PEER_COUNT] = {
	[MSG_PEER_PARENT] = "parent",
	[MSG_PEER_API] = "api",
	[MSG_PEER_CORE] = "core",
	[MSG_PEER_LAUNCHER] = "launcher",
	[MSG_PEER_WORKER] = "worker",
};

int
msg_strings_split(const void *buf, size_t len, size_t *off, char **vec,
    size_t n)
{
	const char *p = buf;
	size_t i, l;

	for (i = 0; i < n; i++) {
		if (*off >= len)
			return -KILN_EPROTO;
		l = strnlen(p + *off, len - *off);
		if (*off + l >= len)
			return -KILN_EPROTO;
		vec[i] = (char *)p + *off;
		*off += l + 1;
	}
	vec[n] = NULL;
	return 0;
}

const char *
msg_type_name(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++)
		if (msg_types[i].type == type)
			return msg_types[i].name;
	return "unknown";
}

int
msg_type_allowed(uint32_t type, enum msg_peer from, enum msg_peer to)
{
	size_t i;

	if ((unsigned)from >= MSG_PEER_COUNT || (unsigned)to >= MSG_PEER_COUNT)
		return 0;
	for (i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++)
		if (msg_types[i].type == type)
			return msg_types[i].from == from &&
			    (msg_types[i].to & MSG_PEER_BIT(to)) != 0;
	return 0;
}

size_t
msg_type_size(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++)
		if (msg_types[i].type == type)
			return msg_types[i].size;
	return 0;
}

const char *
msg_peer_name(enum msg_peer p)
{
	return (unsigned)p < MSG_PEER_COUNT ? peer_names[p] : "unknown";
}

/* Whether every string field of the payload is NUL-terminated. */
static int
payload_strings_ok(uint32_t type, const void *p)
{
	switch (type) {
	case IMSG_CONF:
		return config_wellformed(p);
	case IMSG_CORE_MODULE_PUT: {
		const struct msg_tenant *t = p;
		return STR_OK(t->tenant);
	}
	case IMSG_CORE_JOB_SUBMIT: {
		const struct msg_submit *s = p;
		return STR_OK(s->tenant) && STR_OK(s->idem_key) &&
		    STR_OK(s->module) && STR_OK(s->profile);
	}
	case IMSG_CORE_JOB_GET:
	case IMSG_CORE_JOB_CANCEL:
	case IMSG_CORE_JOB_OUTPUT:
	case IMSG_CORE_JOB_LOG:
	case IMSG_CORE_JOB_EVENTS:
	case IMSG_LAUNCHER_JOB_KILL:
	case IMSG_CORE_JOB_RUNNING: {
		const struct msg_job_ref *r = p;
		return STR_OK(r->tenant) && STR_OK(r->id);
	}
	case IMSG_CORE_JOB_LIST: {
		const struct msg_list *l = p;
		return STR_OK(l->tenant);
	}
	case IMSG_API_REPLY: {
		const struct msg_reply *r = p;
		return STR_OK(r->detail) && r->rc <= 0 &&
		    r->body < REPLY_BODY_COUNT && r->created <= 1 &&
		    (r->rc < 0) == (r->body == REPLY_NONE);
	}
	case IMSG_LAUNCHER_COMPILE: {
		const struct msg_compile *c = p;
		return STR_OK(c->digest) && STR_OK(c->cache_key) &&
		    STR_OK(c->interp) && (c->kind == MODULE_NATIVE ||
		    (c->kind == MODULE_WASM && c->nneeded == 0 &&
		    c->interp[0] == '\0')) && c->nneeded <= NATIVE_NEEDED_MAX;
	}
	case IMSG_LAUNCHER_JOB_START: {
		const struct msg_start *s = p;
		return STR_OK(s->id) && STR_OK(s->cache_key) &&
		    (s->kind == MODULE_WASM || s->kind == MODULE_NATIVE) &&
		    s->tenant_slot <= CONFIG_MAX_TENANTS;
	}
	case IMSG_CORE_COMPILED: {
		const struct msg_compiled *c = p;
		return STR_OK(c->digest) && STR_OK(c->why);
	}
	case IMSG_CORE_LAUNCHER_HELLO: {
		const struct msg_hello *h = p;
		return STR_OK(h->report) && h->level <= 4;
	}
	case IMSG_WORKER_JOB: {
		const struct msg_worker_job *w = p;
		return STR_OK(w->so_path) && w->native <= 1 &&
		    w->nbinds <= (w->native ? NATIVE_LIBS_MAX + 8 : 0) &&
		    w->min_isolation <= 4 && w->has_input <= 1;
	}
	case IMSG_CORE_JOB_DONE: {
		const struct msg_done *d = p;
		return STR_OK(d->id) && STR_OK(d->reason) &&
		    STR_OK(d->isolation);
	}
	default:
		return 1;
	}
}

static int
job_rec_ok(const struct msg_job_rec *j)
{
	return STR_OK(j->id) && STR_OK(j->tenant) && STR_OK(j->module) &&
	    STR_OK(j->profile) && STR_OK(j->reason) && STR_OK(j->slot) &&
	    STR_OK(j->isolation) && j->state < JOB_STATE_COUNT;
}

int
msg_reply_body_ok(uint32_t body, const void *p, size_t len)
{
	switch (body) {
	case REPLY_NONE:
	case REPLY_READY:
		return len == 0;
	case REPLY_JOB:
		return len == sizeof(struct msg_job_rec) && job_rec_ok(p);
	case REPLY_JOB_PAGE: {
		const struct msg_job_page *pg = p;
		const struct msg_job_rec *r = (const void *)(pg + 1);
		uint32_t i;

		if (len < sizeof(*pg) || pg->more > 1 ||
		    pg->n > REPLY_PAGE_MAX ||
		    len - sizeof(*pg) != pg->n * sizeof(*r))
			return 0;
		for (i = 0; i < pg->n; i++)
			if (!job_rec_ok(&r[i]))
				return 0;
		return 1;
	}
	case REPLY_EVENTS: {
		const struct msg_job_events *ev = p;
		const struct msg_job_event *e = (const void *)(ev + 1);
		uint32_t i;

		if (len < sizeof(*ev) || !STR_OK(ev->id) ||
		    ev->n > REPLY_EVENTS_MAX ||
		    len - sizeof(*ev) != ev->n * sizeof(*e))
			return 0;
		for (i = 0; i < ev->n; i++)
			if (!STR_OK(e[i].reason) ||
			    e[i].state >= JOB_STATE_COUNT)
				return 0;
		return 1;
	}
	case REPLY_MODULE: {
		const struct msg_module_rec *mr = p;

		return len == sizeof(*mr) && STR_OK(mr->digest) &&
		    (mr->kind == MODULE_WASM || mr->kind == MODULE_NATIVE);
	}
	case REPLY_OUTPUT:
	case REPLY_LOG:
	case REPLY_METRICS:
		return 1;	/* bytes, whatever they are */
	default:
		return 0;
	}
}

/*
 * A reply's body is its tail, checked here, or a memfd (no tail) that the
 * receiver checks once it has read it; READY and NONE carry nothing.
 */
static int
reply_body_ok(const struct msg *m, const struct msg_reply *r,
    const uint8_t *tail, size_t tlen)
{
	if (m->nfds == 0)
		return msg_reply_body_ok(r->body, tail, tlen);
	return m->nfds == 1 && tlen == 0 && r->body != REPLY_NONE &&
	    r->body != REPLY_READY;
}

const void *
msg_get(const struct msg *m, const uint8_t **tail, size_t *tlen)
{
	const uint8_t *t;
	size_t i;

	for (i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++) {
		if (msg_types[i].type != m->hdr.type)
			continue;
		if (m->hdr.len < msg_types[i].size)
			return NULL;
		if (!msg_types[i].tail && m->hdr.len != msg_types[i].size)
			return NULL;
		if (!payload_strings_ok(m->hdr.type, m->data))
			return NULL;
		t = m->data + msg_types[i].size;
		if (m->hdr.type == IMSG_API_REPLY && !reply_body_ok(m,
		    (const void *)m->data, t, m->hdr.len - msg_types[i].size))
			return NULL;
		if (tail != NULL)
			*tail = t;
		if (tlen != NULL)
			*tlen = m->hdr.len - msg_types[i].size;
		return m->data;
	}
	return NULL;
}
