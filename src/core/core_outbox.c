/*
 * The core's outbox: every answer to the api and every command to the
 * launcher is queued here while the loop's transaction is open and sent
 * by core_outbox_flush() only once it has committed, so nothing is
 * acknowledged or started before it is durable.  A reply goes only to the
 * api connection that asked (a new api restarts the request ids).  The
 * replies are a result code and typed records (msg.h); what they mean in
 * HTTP is the api's business.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/util.h"
#include "core_int.h"

static void
outbox_push(struct core *c, int to_launcher, uint32_t type, uint64_t id,
    const void *payload, size_t plen, const void *tail, size_t tlen,
    int fd0, int fd1)
{
	struct outmsg *o;

	if (c->nout == c->capout) {
		c->capout = c->capout ? c->capout * 2 : 64;
		c->out = xrealloc(c->out, c->capout * sizeof(*c->out));
	}
	o = &c->out[c->nout++];
	o->to_launcher = to_launcher;
	o->api_gen = c->api_gen;
	o->type = type;
	o->id = id;
	o->len = plen + tlen;
	o->plen = plen;
	o->bytes = xmalloc(o->len);
	if (plen)
		memcpy(o->bytes, payload, plen);
	if (tlen)
		memcpy(o->bytes + plen, tail, tlen);
	o->fds[0] = fd0;
	o->fds[1] = fd1;
}

void
core_outbox_flush(struct core *c)
{
	struct outmsg *o;
	size_t i;
	int fd, rc;

	for (i = 0; i < c->nout; i++) {
		o = &c->out[i];
		fd = o->to_launcher ? c->launcher_fd : c->api_fd;
		if (!o->to_launcher && o->api_gen != c->api_gen)
			fd = -1;	/* its api is gone; ids restart */
		if (fd >= 0) {
			rc = msg_send(fd, o->type, o->id, o->bytes, o->plen,
			    o->bytes + o->plen, o->len - o->plen, o->fds[0],
			    o->fds[1]);
			if (rc < 0 && rc != -EPIPE)
				log_warnx("send %s: %s", msg_type_name(o->type),
				    kiln_strerror(rc));
		}
		if (o->fds[0] >= 0)
			close(o->fds[0]);
		if (o->fds[1] >= 0)
			close(o->fds[1]);
		free(o->bytes);
	}
	c->nout = 0;
}

void
core_reply(struct core *c, uint64_t req, enum reply_body body, int created,
    const void *data, size_t len)
{
	struct msg_reply r;
	int fd = -1;

	memset(&r, 0, sizeof(r));
	r.body = body;
	r.created = created != 0;
	if (sizeof(struct msg_hdr) + sizeof(r) + len > MSG_MAX) {
		if ((fd = memfd_from_bytes("kiln-reply", data, len)) < 0)
			log_fatalx("memfd: %s", kiln_strerror(fd));
		len = 0;
	}
	outbox_push(c, 0, IMSG_API_REPLY, req, &r, sizeof(r), data, len, fd,
	    -1);
}

void
core_reply_fd(struct core *c, uint64_t req, enum reply_body body, int fd)
{
	struct msg_reply r;

	memset(&r, 0, sizeof(r));
	r.body = body;
	outbox_push(c, 0, IMSG_API_REPLY, req, &r, sizeof(r), NULL, 0, fd,
	    -1);
}

void
core_reply_error(struct core *c, uint64_t req, int rc, const char *fmt, ...)
{
	struct msg_reply r;
	va_list ap;

	memset(&r, 0, sizeof(r));
	r.rc = rc;
	r.body = REPLY_NONE;
	va_start(ap, fmt);
	vsnprintf(r.detail, sizeof(r.detail), fmt, ap);
	va_end(ap);
	outbox_push(c, 0, IMSG_API_REPLY, req, &r, sizeof(r), NULL, 0, -1,
	    -1);
}

void
core_job_rec(const struct job *j, struct msg_job_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->exit_code = j->exit_code;
	r->output_bytes = j->output_bytes;
	r->log_bytes = j->log_bytes;
	r->created_ns = j->created_ns;
	r->started_ns = j->started_ns;
	r->finished_ns = j->finished_ns;
	r->state = j->state;
	r->timeout_ms = j->timeout_ms;
	r->attempts = j->attempts;
	memcpy(r->id, j->id, sizeof(r->id));
	memcpy(r->tenant, j->tenant, sizeof(r->tenant));
	memcpy(r->module, j->module, sizeof(r->module));
	memcpy(r->profile, j->profile, sizeof(r->profile));
	memcpy(r->reason, j->reason, sizeof(r->reason));
	memcpy(r->slot, j->slot, sizeof(r->slot));
	memcpy(r->isolation, j->isolation, sizeof(r->isolation));
}

void
core_reply_job(struct core *c, uint64_t req, const struct job *j,
    int created)
{
	struct msg_job_rec rec;

	core_job_rec(j, &rec);
	core_reply(c, req, REPLY_JOB, created, &rec, sizeof(rec));
}

void
core_launcher_send(struct core *c, uint32_t type, const void *p, size_t n,
    const void *tail, size_t tlen, int fd)
{
	outbox_push(c, 1, type, 0, p, n, tail, tlen, fd, -1);
}
