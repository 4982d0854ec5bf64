/*
 * Reads in the core: a job, a page of the tenant's jobs, a finished job's
 * output or log (the stored blob, sent as a descriptor), a job's events,
 * the readiness of the node and the metrics (Prometheus text).  Nothing
 * here changes the journal; every answer is a typed record (msg.h) that
 * the api renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/sched.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "core_int.h"

/* ---------------------------------------------------------------- jobs */

int
core_job_visible(struct core *c, uint64_t req, const struct msg_job_ref *r,
    struct job *j)
{
	int rc = store_job_get(c->st, r->id, j);

	if (rc == 0 && strcmp(j->tenant, r->tenant) == 0)
		return 0;
	if (rc == 0)
		job_clear(j);
	else if (rc != -KILN_ENOT_FOUND)
		log_fatalx("store: job get: %s", kiln_strerror(rc));
	core_reply_error(c, req, -KILN_ENOT_FOUND, "no job %s", r->id);
	return -KILN_ENOT_FOUND;
}

void
core_job_get(struct core *c, uint64_t req, const struct msg_job_ref *r)
{
	struct job j;

	if (core_job_visible(c, req, r, &j) < 0)
		return;
	core_reply_job(c, req, &j, 0);
	job_clear(&j);
}

struct list_ctx {
	struct msg_job_page *page;	/* the answer, records after it */
	struct msg_job_rec *recs;
	uint32_t limit;
	int64_t last_seq;
};

static int
list_one(const struct job *j, void *arg)
{
	struct list_ctx *lc = arg;

	if (lc->page->n == lc->limit) {
		lc->page->more = 1;
		return 1;
	}
	core_job_rec(j, &lc->recs[lc->page->n++]);
	lc->last_seq = j->seq;
	return 0;
}

void
core_job_list(struct core *c, uint64_t req, const struct msg_list *l)
{
	struct list_ctx lc = { NULL, NULL, l->limit, 0 };
	size_t len;
	int rc;

	if (l->limit < 1 || l->limit > REPLY_PAGE_MAX || l->state < -1 ||
	    l->state >= JOB_STATE_COUNT) {
		core_reply_error(c, req, -KILN_EINVAL_REQUEST,
		    "bad list parameters");
		return;
	}
	len = sizeof(*lc.page) + l->limit * sizeof(*lc.recs);
	lc.page = xcalloc(1, len);
	lc.recs = (struct msg_job_rec *)(lc.page + 1);
	rc = store_job_list(c->st, l->tenant, l->state, l->after_seq,
	    (int)l->limit + 1, list_one, &lc);
	if (rc < 0)
		log_fatalx("store: job list: %s", kiln_strerror(rc));
	if (lc.page->more)
		lc.page->next_seq = lc.last_seq;
	core_reply(c, req, REPLY_JOB_PAGE, 0, lc.page, sizeof(*lc.page) +
	    lc.page->n * sizeof(*lc.recs));
	free(lc.page);
}

void
core_job_output(struct core *c, uint64_t req, const struct msg_job_ref *r,
    int log)
{
	const char *digest;
	struct job j;
	int fd;

	if (core_job_visible(c, req, r, &j) < 0)
		return;
	digest = log ? j.log : j.output;
	if (!job_state_is_terminal(j.state)) {
		core_reply_error(c, req, -KILN_EJOB_NOT_FINISHED,
		    "job %s is %s", j.id, job_state_name(j.state));
	} else if (digest[0] == '\0') {
		core_reply(c, req, log ? REPLY_LOG : REPLY_OUTPUT, 0, NULL, 0);
	} else {
		if ((fd = store_blob_open(c->st, digest)) < 0)
			log_fatalx("store: blob %s: %s", digest,
			    kiln_strerror(fd));
		core_reply_fd(c, req, log ? REPLY_LOG : REPLY_OUTPUT, fd);
	}
	job_clear(&j);
}

struct events_ctx {
	struct msg_job_events *head;	/* the answer, events after it */
	size_t cap;
};

static int
event_one(enum job_state state, const char *reason, int64_t at_ns, void *arg)
{
	struct events_ctx *ec = arg;
	struct msg_job_event *e;

	if (ec->head->n == REPLY_EVENTS_MAX) {
		log_warnx("job %s: more than %d events; the rest left out",
		    ec->head->id, REPLY_EVENTS_MAX);
		return 1;
	}
	if (ec->head->n == ec->cap) {
		ec->cap *= 2;
		ec->head = xrealloc(ec->head, sizeof(*ec->head) + ec->cap *
		    sizeof(*e));
	}
	e = (struct msg_job_event *)(ec->head + 1) + ec->head->n++;
	memset(e, 0, sizeof(*e));
	e->at_ns = at_ns;
	e->state = state;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	return 0;
}

/* The job's lifecycle, oldest first: every transition with its reason. */
void
core_job_events(struct core *c, uint64_t req, const struct msg_job_ref *r)
{
	struct events_ctx ec = { NULL, 16 };
	struct job j;
	int rc;

	if (core_job_visible(c, req, r, &j) < 0)
		return;
	ec.head = xcalloc(1, sizeof(*ec.head) + ec.cap *
	    sizeof(struct msg_job_event));
	memcpy(ec.head->id, j.id, sizeof(ec.head->id));
	if ((rc = store_job_events(c->st, j.id, event_one, &ec)) < 0)
		log_fatalx("store: job events: %s", kiln_strerror(rc));
	core_reply(c, req, REPLY_EVENTS, 0, ec.head, sizeof(*ec.head) +
	    ec.head->n * sizeof(struct msg_job_event));
	free(ec.head);
	job_clear(&j);
}

/* ---------------------------------------------------------------- node */

void
core_ready(struct core *c, uint64_t req)
{
	if (c->draining)
		core_reply_error(c, req, -KILN_EUNAVAILABLE,
		    "kilnd is shutting down");
	else if (c->node_level < 0)
		core_reply_error(c, req, -KILN_EUNAVAILABLE,
		    "no launcher has reported its sandbox yet");
	else
		core_reply(c, req, REPLY_READY, 0, NULL, 0);
}

/* ------------------------------------------------------------- metrics */

void
core_metrics(struct core *c, uint64_t req)
{
	struct obs_buf b = { 0 };
	int s;

	obs_buf_printf(&b, "# HELP kiln_jobs Jobs in the journal by state.\n"
	    "# TYPE kiln_jobs gauge\n");
	for (s = 0; s < JOB_STATE_COUNT; s++)
		obs_buf_printf(&b, "kiln_jobs{state=\"%s\"} %llu\n",
		    job_state_name(s), (unsigned long long)c->states[s]);
	obs_buf_printf(&b, "# HELP kiln_queue_depth Jobs waiting for a slot.\n"
	    "# TYPE kiln_queue_depth gauge\nkiln_queue_depth %zu\n",
	    sched_queued(c->sched, NULL));
	obs_buf_printf(&b, "# HELP kiln_slots Simulated GPU slots.\n"
	    "# TYPE kiln_slots gauge\nkiln_slots{state=\"busy\"} %zu\n"
	    "kiln_slots{state=\"free\"} %zu\n", sched_slots_busy(c->sched),
	    sched_slots_total(c->sched) - sched_slots_busy(c->sched));
	obs_buf_printf(&b, "# HELP kiln_jobs_submitted_total Jobs accepted "
	    "since the core started.\n# TYPE kiln_jobs_submitted_total counter\n"
	    "kiln_jobs_submitted_total %llu\n",
	    (unsigned long long)c->submitted);
	obs_buf_printf(&b, "# HELP kiln_jobs_requeued_total Jobs sent back to "
	    "the queue after an infrastructure failure.\n"
	    "# TYPE kiln_jobs_requeued_total counter\n"
	    "kiln_jobs_requeued_total %llu\n",
	    (unsigned long long)c->requeued);
	obs_hist_render(&b, "kiln_job_wait_seconds",
	    "Time from submission to the start of the worker.", &c->wait_hist);
	obs_hist_render(&b, "kiln_job_run_seconds",
	    "Wall time of a worker, start to exit.", &c->run_hist);
	core_reply(c, req, REPLY_METRICS, 0, b.p, b.len);
	free(b.p);
}
