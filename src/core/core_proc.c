/*
 * The core process (unprivileged): owner of the journal, the blobs, the
 * scheduler and the job state machine.  One thread, one poll loop.  Each
 * turn of the loop opens one journal transaction, handles every message
 * that is ready (api requests, launcher reports, parent commands), runs the
 * scheduler, commits, and only then sends the replies and launcher
 * commands it queued in its outbox (core_outbox.c): nothing is
 * acknowledged or started before it is durable (group commit, DESIGN §10).
 * A store failure is fatal: the parent restarts the core, which recovers
 * from the journal (core_recover.c).  This file is the entry point, the
 * loop, the core's peer table and the dispatch of each peer's messages to
 * the handlers of core_submit.c, core_lifecycle.c, core_query.c and
 * core_modules.c.  Anything malformed from the parent or the launcher
 * (both root) is fatal; the api, less privileged, is dropped instead.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/policy.h"
#include "kiln/proc.h"
#include "kiln/sched.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "kiln/wasm.h"
#include "core_int.h"

#define BATCH_MAX	256	/* api messages handled per transaction */

static struct core core;

/* ------------------------------------------------------------- dispatch */

static void
api_lost(struct core *c)
{
	size_t i;

	log_warnx("api went away");
	close(c->api_fd);
	c->api_fd = -1;
	/* its outstanding requests die with it; the jobs do not */
	for (i = 0; i < c->nruns; i++)
		c->runs[i].cancel_req = 0;
	core_compiles_forget(c);
}

static void parent_catch_up(struct core *, uint64_t);

/*
 * The configuration a request is judged under: the generation the api
 * authenticated it under (gen), made c->conf for the request's handling;
 * returns the current one, to be put back after.  The parent sends a
 * reload to the core before the api, so a generation newer than ours is
 * already waiting on the parent's socket: read it first.  A generation
 * the core no longer holds (two reloads during one request) is answered
 * unavailable, and NULL returned.
 */
static struct config *
conf_judge(struct core *c, uint64_t req, uint64_t gen)
{
	struct config *cur;

	if (gen > c->conf->generation)
		parent_catch_up(c, gen);
	cur = c->conf;
	if (gen != cur->generation && c->conf_prev != NULL &&
	    gen == c->conf_prev->generation)
		c->conf = c->conf_prev;
	if (gen != c->conf->generation) {
		core_reply_error(c, req, -KILN_EUNAVAILABLE, "the "
		    "configuration changed meanwhile; try again");
		return NULL;
	}
	return cur;
}

static int
api_dispatch(struct core *c, struct msg *m)
{
	struct config *saved;
	const uint8_t *tail;
	const void *p;
	size_t tlen;

	if ((p = msg_get(m, &tail, &tlen)) == NULL) {
		log_warnx("malformed %s from api: dropping the api",
		    msg_type_name(m->hdr.type));
		return -KILN_EPROTO;
	}
	switch (m->hdr.type) {
	case IMSG_CORE_MODULE_PUT: {
		const struct msg_tenant *t = p;

		if (m->nfds != 1)
			return -KILN_EPROTO;
		if ((saved = conf_judge(c, m->hdr.id, t->conf_gen)) == NULL)
			break;
		core_module_put(c, m->hdr.id, t, m->fds[0]);
		c->conf = saved;
		break;
	}
	case IMSG_CORE_JOB_SUBMIT: {
		const struct msg_submit *s = p;

		if ((s->has_input != 0) != (m->nfds == 1))
			return -KILN_EPROTO;
		if ((saved = conf_judge(c, m->hdr.id, s->conf_gen)) == NULL)
			break;
		core_job_submit(c, m->hdr.id, s, (const char *)tail, tlen,
		    m->nfds ? m->fds[0] : -1);
		c->conf = saved;
		break;
	}
	case IMSG_CORE_JOB_GET:
		core_job_get(c, m->hdr.id, p);
		break;
	case IMSG_CORE_JOB_LIST:
		core_job_list(c, m->hdr.id, p);
		break;
	case IMSG_CORE_JOB_CANCEL:
		core_job_cancel(c, m->hdr.id, p);
		break;
	case IMSG_CORE_JOB_OUTPUT:
	case IMSG_CORE_JOB_LOG:
		core_job_output(c, m->hdr.id, p,
		    m->hdr.type == IMSG_CORE_JOB_LOG);
		break;
	case IMSG_CORE_JOB_EVENTS:
		core_job_events(c, m->hdr.id, p);
		break;
	case IMSG_CORE_METRICS:
		core_metrics(c, m->hdr.id);
		break;
	case IMSG_CORE_READY:
		core_ready(c, m->hdr.id);
		break;
	default:
		log_warnx("unexpected %s from api", msg_type_name(m->hdr.type));
		return -KILN_EPROTO;
	}
	return 0;
}

static int
launcher_dispatch(struct core *c, struct msg *m)
{
	const void *p;

	if ((p = msg_get(m, NULL, NULL)) == NULL)
		return -KILN_EPROTO;
	switch (m->hdr.type) {
	case IMSG_CORE_COMPILED:
		core_module_compiled(c, p);
		break;
	case IMSG_CORE_JOB_RUNNING:
		core_job_running(c, ((const struct msg_job_ref *)p)->id);
		break;
	case IMSG_CORE_JOB_DONE:
		core_job_done(c, p, m->nfds > 0 ? m->fds[0] : -1,
		    m->nfds > 1 ? m->fds[1] : -1);
		break;
	case IMSG_CORE_LAUNCHER_HELLO: {
		const struct msg_hello *h = p;

		c->node_level = (int)h->level;
		log_info("launcher offers isolation L%u: %s", h->level,
		    h->report);
		break;
	}
	default:
		return -KILN_EPROTO;
	}
	return 0;
}

/*
 * A reload: the next configuration replaces the current one between two
 * messages, so each request is judged entirely under one of them; the
 * previous one is kept for requests the api judged under it.
 */
static int
core_conf_reload(struct core *c, struct msg *m)
{
	const struct config *next;
	struct config *spare;

	if (m->nfds != 0 || (next = msg_get(m, NULL, NULL)) == NULL)
		return -KILN_EPROTO;
	if (next->generation <= c->conf->generation) {
		log_warnx("configuration %llu after %llu: ignored",
		    (unsigned long long)next->generation,
		    (unsigned long long)c->conf->generation);
		return 0;
	}
	spare = c->conf_prev != NULL ? c->conf_prev : xmalloc(sizeof(*spare));
	memcpy(spare, next, sizeof(*spare));
	c->conf_prev = c->conf;
	c->conf = spare;
	core_sched_tenants(c);
	log_info("configuration %llu: %d tenants",
	    (unsigned long long)c->conf->generation, c->conf->ntenants);
	return 0;
}

static int
parent_dispatch(struct core *c, struct msg *m)
{
	switch (m->hdr.type) {
	case IMSG_CONF:
		return core_conf_reload(c, m);
	case IMSG_CORE_PEER_API:
	case IMSG_CORE_PEER_LAUNCHER:
		if (m->nfds != 1 || msg_get(m, NULL, NULL) == NULL)
			return -KILN_EPROTO;
		if (m->hdr.type == IMSG_CORE_PEER_API) {
			if (c->api_fd >= 0)
				api_lost(c);
			c->api_fd = m->fds[0];
			c->api_gen++;
		} else {
			if (c->launcher_fd >= 0)
				core_launcher_lost(c);
			c->launcher_fd = m->fds[0];
		}
		m->fds[0] = -1;
		log_info("new %s connected",
		    m->hdr.type == IMSG_CORE_PEER_API ? "api" : "launcher");
		break;
	case IMSG_CORE_SHUTDOWN:
		if (m->nfds != 0 || msg_get(m, NULL, NULL) == NULL)
			return -KILN_EPROTO;
		if (!c->draining) {
			c->draining = 1;
			c->drain_deadline_ns = now_mono_ns() +
			    (int64_t)c->conf->shutdown_grace_ms * 1000000;
			log_info("draining %zu running jobs", c->nruns);
		}
		break;
	default:
		return -KILN_EPROTO;
	}
	return 0;
}

static int
parent_fn(struct msg *m)
{
	return parent_dispatch(&core, m);
}

static int
launcher_fn(struct msg *m)
{
	return launcher_dispatch(&core, m);
}

static int
api_fn(struct msg *m)
{
	return api_dispatch(&core, m);
}

static void
launcher_gone(const struct proc_peer *p, int rc)
{
	core_launcher_lost(&core);
}

static void
api_gone(const struct proc_peer *p, int rc)
{
	api_lost(&core);
}

/*
 * The core's peers, read in this order in each turn's transaction, at
 * most max messages each (the rest wait for the next turn).
 */
enum { ROW_PARENT, ROW_LAUNCHER, ROW_API, NPEERS };

static const struct proc_peer peers[NPEERS] = {
	[ROW_PARENT] = { MSG_PEER_PARENT, &core.parent_fd, parent_fn,
	    PEER_FATAL, NULL, 16 },
	[ROW_LAUNCHER] = { MSG_PEER_LAUNCHER, &core.launcher_fd, launcher_fn,
	    PEER_FATAL, launcher_gone, BATCH_MAX },
	[ROW_API] = { MSG_PEER_API, &core.api_fd, api_fn, PEER_DROP,
	    api_gone, BATCH_MAX },
};

/*
 * In the middle of an api request (conf_judge): reads the parent's
 * messages one at a time, under its row's rule, until c->conf reaches
 * generation gen or none is ready.  Its own buffer: the loop's holds the
 * request.
 */
static void
parent_catch_up(struct core *c, uint64_t gen)
{
	static struct msg pm;
	struct proc_peer one = peers[ROW_PARENT];
	int rc = 0;

	one.max = 1;
	while (gen > c->conf->generation &&
	    (rc = proc_peer_read(MSG_PEER_CORE, &one, &pm)) > 0)
		;
	proc_peer_apply(&one, rc);
}

const struct proc_peer *
core_proc_peers(size_t *n)
{
	*n = KILN_ARRAY_LEN(peers);
	return peers;
}

int
core_proc_main(struct config *conf)
{
	static struct msg m;
	struct core *c = &core;
	struct pollfd pfd[NPEERS];
	char dir[300], what[64];
	uid_t uid;
	gid_t gid;
	int64_t now, wake;
	size_t i;
	int rc, timeout;

	if (sodium_init() < 0)
		log_fatalx("sodium_init");
	/*
	 * Confine the core to its data directory while still root: chroot
	 * there (OpenBSD style), so the journal and the blobs are all it can
	 * name, and no directory above needs to be searchable by the
	 * unprivileged user.  The cache key probes the toolchain once, now,
	 * while the tools are still visible.
	 */
	wasm_cache_key("sha256:", dir);
	if ((rc = proc_user_ids(conf->user, &uid, &gid)) < 0)
		log_fatalx("no such user '%s'", conf->user);
	snprintf(dir, sizeof(dir), "%s/data", conf->state_dir);
	if (chdir(dir) < 0)
		log_fatal("%s", dir);
	if (geteuid() == 0 && chroot(".") < 0)
		log_fatal("chroot %s", dir);
	if ((rc = proc_drop_privileges(uid, gid)) < 0)
		log_fatalx("cannot drop privileges: %s", kiln_strerror(rc));
	/* jansson seeds its hash once: now, not after the filter */
	json_object_seed(0);
	if ((rc = policy_confine(POLICY_CORE, what, sizeof(what))) < 0)
		log_fatalx("cannot confine the core: %s", kiln_strerror(rc));
	log_info("core confined: %s", what);
	c->conf = conf;
	c->parent_fd = PROC_FD_CORE_PARENT;
	c->api_fd = PROC_FD_CORE_API;
	c->launcher_fd = PROC_FD_CORE_LAUNCHER;
	c->node_level = -1;
	core_sched_new(c);
	if ((rc = store_open(".", &c->st)) < 0)
		log_fatalx("store %s: %s", dir, kiln_strerror(rc));
	if (store_begin(c->st) < 0)
		log_fatalx("store: begin");
	core_recover(c);
	if (store_commit(c->st) < 0)
		log_fatalx("store: commit");

	for (;;) {
		now = now_mono_ns();
		wake = c->sched_wake_ns;
		if (c->draining && (wake == 0 || c->drain_deadline_ns < wake))
			wake = c->drain_deadline_ns;
		timeout = wake == 0 ? -1 : wake <= now ? 0 :
		    (int)((wake - now) / 1000000) + 1;
		for (i = 0; i < NPEERS; i++) {
			pfd[i].fd = *peers[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, NPEERS, timeout) < 0 && errno != EINTR)
			log_fatal("poll");

		if (store_begin(c->st) < 0)
			log_fatalx("store: begin");
		for (i = 0; i < NPEERS; i++)
			proc_peer_serve(MSG_PEER_CORE, &peers[i], &m);
		if (!c->draining)
			core_schedule(c);
		if (store_commit(c->st) < 0)
			log_fatalx("store: commit");
		core_outbox_flush(c);

		if (c->draining && (c->nruns == 0 ||
		    now_mono_ns() >= c->drain_deadline_ns)) {
			if (c->nruns > 0)
				log_warnx("grace period over: %zu jobs stay "
				    "RUNNING and are requeued on restart",
				    c->nruns);
			store_close(c->st);
			log_info("drained");
			return 0;
		}
	}
}
