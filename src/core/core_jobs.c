/*
 * Jobs in the core: submission (idempotency, queue limits, journaling),
 * the state machine's transitions, scheduling onto slots and starting
 * workers, results coming back from the launcher, cancellation, reads for
 * the API, metrics, and recovery from the journal after a restart
 * (DESIGN §1 and §10).
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/native.h"
#include "kiln/sched.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "kiln/wasm.h"
#include "core_int.h"

#define RETRY_BACKOFF_NS	(200 * 1000000LL)

/* ------------------------------------------------------- state machine */

/* Moves j to `to`, journals the change and its event, logs it. */
static void
job_move(struct core *c, struct job *j, enum job_state to,
    const char *reason)
{
	enum job_state from = j->state;
	int64_t at = now_real_ns();
	int rc;

	if (!job_transition_allowed(from, to))
		log_fatalx("job %s: illegal transition %s -> %s", j->id,
		    job_state_name(from), job_state_name(to));
	j->state = to;
	if (reason != NULL)
		snprintf(j->reason, sizeof(j->reason), "%s", reason);
	/* the job's timestamps are its events' times */
	if (to == JOB_RUNNING)
		j->started_ns = at;
	if (job_state_is_terminal(to))
		j->finished_ns = at;
	if ((rc = store_job_update(c->st, j, reason ? reason : "", at)) < 0)
		log_fatalx("store: job update: %s", kiln_strerror(rc));
	c->states[from]--;
	c->states[to]++;
	log_info("job %s tenant %s %s -> %s%s%s", j->id, j->tenant,
	    job_state_name(from), job_state_name(to), reason && *reason ?
	    " reason=" : "", reason ? reason : "");
}

static void
job_load(struct core *c, const char *id, struct job *j)
{
	int rc;

	if ((rc = store_job_get(c->st, id, j)) < 0)
		log_fatalx("store: job %s: %s", id, kiln_strerror(rc));
}

/* ------------------------------------------------------------ isolation */

/*
 * The worker's isolation report, made canonical (compact JSON of an
 * object) or "" when it is not one: a worker is not trusted to write
 * JSON, so what the API splices in is what jansson wrote.
 */
static void
isolation_canonical(char report[JOB_ISOLATION_LEN])
{
	json_t *doc = report[0] ? json_loads(report, JSON_REJECT_DUPLICATES,
	    NULL) : NULL;
	char *s = json_is_object(doc) ? json_dumps(doc, JSON_COMPACT) : NULL;

	if (s != NULL && strlen(s) < JOB_ISOLATION_LEN)
		memcpy(report, s, strlen(s) + 1);
	else
		report[0] = '\0';
	free(s);
	json_decref(doc);
}

/* ---------------------------------------------------------------- runs */

static struct run *
run_find(struct core *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nruns; i++)
		if (strcmp(c->runs[i].id, id) == 0)
			return &c->runs[i];
	return NULL;
}

static struct run *
run_add(struct core *c, const struct job *j)
{
	struct run *r;

	if (c->nruns == c->capruns) {
		c->capruns = c->capruns ? c->capruns * 2 : 16;
		c->runs = xrealloc(c->runs, c->capruns * sizeof(*c->runs));
	}
	r = &c->runs[c->nruns++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, j->id, sizeof(r->id));
	memcpy(r->tenant, j->tenant, sizeof(r->tenant));
	memcpy(r->slot, j->slot, sizeof(r->slot));
	return r;
}

/* Frees the run's slot; the job's record keeps the slot's name. */
static void
run_end(struct core *c, struct run *r)
{
	sched_slot_release(c->sched, r->slot, r->tenant);
	*r = c->runs[--c->nruns];
}

/* -------------------------------------------------------------- submit */

/* Builds the start command's argv/env tail from the job's spec JSON. */
static int
spec_tail(const char *spec, char **tail, size_t *tlen, uint32_t *argc,
    uint32_t *envc, uint32_t *cpu_ms)
{
	struct obs_buf b = { 0 };
	json_t *doc, *args, *env, *v;
	const char *k;
	size_t i;

	doc = json_loads(spec, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL)
		return -EINVAL;
	args = json_object_get(doc, "args");
	env = json_object_get(doc, "env");
	*cpu_ms = (uint32_t)json_integer_value(json_object_get(doc, "cpu_ms"));
	*argc = *envc = 0;
	/* each string with its NUL: %c of 0 writes one and counts it */
	json_array_foreach(args, i, v) {
		obs_buf_printf(&b, "%s%c", json_string_value(v), '\0');
		(*argc)++;
	}
	json_object_foreach(env, k, v) {
		obs_buf_printf(&b, "%s=%s%c", k, json_string_value(v), '\0');
		(*envc)++;
	}
	json_decref(doc);
	*tail = b.p;
	*tlen = b.len;
	return 0;
}

/*
 * Checks that the spec tail is the canonical
 * {"args":[str],"env":{str}} with, optionally, "cpu_ms":1..UINT32_MAX.
 */
static int
spec_valid(const char *spec, size_t len)
{
	json_t *doc, *args, *env, *cpu, *v;
	const char *k;
	size_t i;
	int ok;

	doc = json_loadb(spec, len, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL)
		return 0;
	args = json_object_get(doc, "args");
	env = json_object_get(doc, "env");
	cpu = json_object_get(doc, "cpu_ms");
	ok = json_is_object(doc) && json_is_array(args) &&
	    json_is_object(env) && (cpu == NULL ?
	    json_object_size(doc) == 2 : json_object_size(doc) == 3 &&
	    json_is_integer(cpu) && json_integer_value(cpu) >= 1 &&
	    json_integer_value(cpu) <= UINT32_MAX);
	json_array_foreach(args, i, v)
		ok = ok && json_is_string(v);
	json_object_foreach(env, k, v)
		ok = ok && json_is_string(v);
	json_decref(doc);
	return ok;
}

static int
same_request(const struct job *a, const struct job *b)
{
	return strcmp(a->module, b->module) == 0 &&
	    strcmp(a->input, b->input) == 0 &&
	    strcmp(a->profile, b->profile) == 0 &&
	    a->timeout_ms == b->timeout_ms &&
	    strcmp(a->spec_json ? a->spec_json : "",
	    b->spec_json ? b->spec_json : "") == 0;
}

void
core_job_submit(struct core *c, uint64_t req, const struct msg_submit *s,
    const char *spec, size_t speclen, int input_fd)
{
	const struct config_tenant *t = config_tenant_find(c->conf, s->tenant);
	struct job j, old;
	uint8_t raw[12], digest[crypto_hash_sha256_BYTES], *input = NULL;
	size_t inlen = 0, queued;
	int rc;

	memset(&j, 0, sizeof(j));
	memset(&old, 0, sizeof(old));
	if (t == NULL) {
		core_reply_error(c, req, -KILN_EUNAUTHORIZED,
		    "unknown tenant");
		return;
	}
	if (c->draining) {
		core_reply_error(c, req, -KILN_EUNAVAILABLE,
		    "kilnd is shutting down");
		return;
	}
	if (!spec_valid(spec, speclen) || strcmp(s->profile, "gpu") != 0 ||
	    s->timeout_ms == 0 || s->timeout_ms > c->conf->max_timeout_ms) {
		core_reply_error(c, req, -KILN_EINVAL_REQUEST,
		    "malformed job spec");
		return;
	}
	snprintf(j.tenant, sizeof(j.tenant), "%s", s->tenant);
	snprintf(j.module, sizeof(j.module), "%s", s->module);
	snprintf(j.profile, sizeof(j.profile), "%s", s->profile);
	snprintf(j.idem_key, sizeof(j.idem_key), "%s", s->idem_key);
	j.timeout_ms = s->timeout_ms;
	j.spec_json = xmalloc(speclen + 1);
	memcpy(j.spec_json, spec, speclen);
	j.spec_json[speclen] = '\0';
	j.exit_code = -1;
	if (input_fd >= 0) {
		rc = fd_slurp(input_fd, c->conf->max_request_bytes, &input,
		    &inlen);
		if (rc < 0) {
			core_reply_error(c, req, -KILN_ETOO_LARGE,
			    "input too large");
			goto out;
		}
		/* the digest now; the blob only once the job is accepted */
		crypto_hash_sha256(digest, input, inlen);
		memcpy(j.input, "sha256:", 7);
		hex_encode(digest, sizeof(digest), j.input + 7);
	}
	if (j.idem_key[0] != '\0' && store_job_find_idem(c->st, j.tenant,
	    j.idem_key, &old) == 0) {
		if (same_request(&old, &j))
			core_reply_job(c, req, &old, 0);
		else
			core_reply_error(c, req, -KILN_ECONFLICT,
			    "Idempotency-Key %s was used for a different job "
			    "(%s)", j.idem_key, old.id);
		goto out;
	}
	if ((rc = store_module_kind(c->st, j.tenant, j.module)) <= 0) {
		if (rc < 0)
			log_fatalx("store: module lookup");
		core_reply_error(c, req, -KILN_EUNKNOWN_MODULE,
		    "module %s is not registered for tenant %s", j.module,
		    j.tenant);
		goto out;
	}
	/* recovery may hold more than a limit that was lowered since */
	if ((queued = sched_queued(c->sched, j.tenant)) >= t->queue_limit) {
		core_reply_error(c, req, -KILN_EQUEUE_FULL,
		    "tenant %s has %zu jobs queued (limit %u)", j.tenant,
		    queued, t->queue_limit);
		goto out;
	}
	if ((queued = sched_queued(c->sched, NULL)) >=
	    c->conf->global_queue_limit) {
		core_reply_error(c, req, -KILN_EGLOBAL_QUEUE_FULL,
		    "%zu jobs queued on this node (limit %u)", queued,
		    c->conf->global_queue_limit);
		goto out;
	}
	if (input != NULL &&
	    (rc = store_blob_put(c->st, input, inlen, j.input)) < 0)
		log_fatalx("store: input blob: %s", kiln_strerror(rc));
	randombytes_buf(raw, sizeof(raw));
	memcpy(j.id, "job_", 4);
	hex_encode(raw, sizeof(raw), j.id + 4);
	j.state = JOB_PENDING;
	j.created_ns = now_real_ns();
	if ((rc = store_job_insert(c->st, &j)) < 0)
		log_fatalx("store: job insert: %s", kiln_strerror(rc));
	c->states[JOB_PENDING]++;
	c->submitted++;
	log_info("job %s tenant %s submitted module=%s", j.id, j.tenant,
	    j.module);
	/*
	 * Verification: the module is registered (checked above) and this
	 * node's sandbox is at least as strong as the tenant requires.
	 */
	job_move(c, &j, JOB_VERIFYING, NULL);
	if (c->node_level >= 0 && c->node_level < t->min_isolation) {
		char why[JOB_REASON_LEN];

		snprintf(why, sizeof(why), "isolation:L%d<L%u", c->node_level,
		    t->min_isolation);
		job_move(c, &j, JOB_REJECTED, why);
	} else {
		job_move(c, &j, JOB_QUEUED, NULL);
		if (sched_job_enqueue(c->sched, j.id, j.tenant, 0) < 0)
			log_fatalx("sched: enqueue %s", j.id);
	}
	core_reply_job(c, req, &j, 1);
out:
	if (input != NULL)
		sodium_memzero(input, inlen);
	free(input);
	job_clear(&j);
	job_clear(&old);
}

/* ---------------------------------------------------------------- reads */

/* Loads the caller's job or answers not found; 0 when *j holds it. */
static int
job_visible(struct core *c, uint64_t req, const struct msg_job_ref *r,
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

	if (job_visible(c, req, r, &j) < 0)
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

	if (job_visible(c, req, r, &j) < 0)
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

	if (job_visible(c, req, r, &j) < 0)
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

/* -------------------------------------------------------------- cancel */

void
core_job_cancel(struct core *c, uint64_t req, const struct msg_job_ref *r)
{
	struct msg_job_ref kill;
	struct run *run;
	struct job j;

	if (job_visible(c, req, r, &j) < 0)
		return;
	if (job_state_is_terminal(j.state)) {
		core_reply_error(c, req, -KILN_EJOB_TERMINAL,
		    "job %s already ended %s", j.id, job_state_name(j.state));
	} else if (j.state == JOB_QUEUED) {
		sched_job_remove(c->sched, j.id);
		job_move(c, &j, JOB_CANCELLED, "cancelled");
		core_reply_job(c, req, &j, 0);
	} else if ((run = run_find(c, j.id)) != NULL && run->cancel_req == 0) {
		/* answered when the launcher reports the worker gone */
		run->cancel_wanted = 1;
		run->cancel_req = req;
		memset(&kill, 0, sizeof(kill));
		memcpy(kill.id, j.id, sizeof(kill.id));
		core_launcher_send(c, IMSG_LAUNCHER_JOB_KILL, &kill,
		    sizeof(kill), NULL, 0, -1);
	} else {
		core_reply_job(c, req, &j, 0);	/* a cancel is under way */
	}
	job_clear(&j);
}

/* ------------------------------------------------------------ schedule */

static void
job_start(struct core *c, struct job *j)
{
	const struct config_tenant *t = config_tenant_find(c->conf, j->tenant);
	struct msg_start s;
	char *tail = NULL;
	size_t tlen = 0;
	int fd = -1, rc;

	memset(&s, 0, sizeof(s));
	memcpy(s.id, j->id, sizeof(s.id));
	if ((rc = store_module_kind(c->st, j->tenant, j->module)) <= 0)
		log_fatalx("job %s: module %s: %s", j->id, j->module,
		    rc == 0 ? "not registered" : kiln_strerror(rc));
	s.kind = (uint32_t)rc;
	if (s.kind == MODULE_NATIVE)
		native_cache_key(j->module, s.cache_key);
	else
		wasm_cache_key(j->module, s.cache_key);
	s.timeout_ms = j->timeout_ms;
	s.tenant_slot = t ? (uint32_t)(t - c->conf->tenants) :
	    CONFIG_MAX_TENANTS;
	s.max_pages = t ? t->max_pages : 1;
	s.output_max = c->conf->max_output_bytes;
	s.min_isolation = t ? t->min_isolation : 4;
	s.log_max = c->conf->max_log_bytes;
	/* the guest's randomness is a function of the job: replayable */
	crypto_generichash(s.seed, sizeof(s.seed), (const uint8_t *)j->id,
	    strlen(j->id), NULL, 0);
	if (spec_tail(j->spec_json ? j->spec_json : "{}", &tail, &tlen,
	    &s.argc, &s.envc, &s.cpu_ms) < 0)
		log_fatalx("job %s: journaled spec unreadable", j->id);
	if (j->input[0] != '\0') {
		if ((fd = store_blob_open(c->st, j->input)) < 0)
			log_fatalx("store: input %s: %s", j->input,
			    kiln_strerror(fd));
		s.has_input = 1;
	}
	core_launcher_send(c, IMSG_LAUNCHER_JOB_START, &s, sizeof(s), tail,
	    tlen, fd);
	free(tail);
}

void
core_schedule(struct core *c)
{
	char id[JOB_ID_LEN], slot[JOB_SLOT_LEN];
	struct job j;

	if (c->launcher_fd < 0)
		return;
	while (sched_next(c->sched, now_mono_ns(), id, slot,
	    &c->sched_wake_ns) == 1) {
		job_load(c, id, &j);
		snprintf(j.slot, sizeof(j.slot), "%s", slot);
		job_move(c, &j, JOB_SCHEDULED, "");
		run_add(c, &j);
		job_start(c, &j);
		job_clear(&j);
	}
}

/* ------------------------------------------------------------- results */

void
core_job_running(struct core *c, const char *id)
{
	struct job j;

	if (run_find(c, id) == NULL)
		return;
	job_load(c, id, &j);
	if (j.state == JOB_SCHEDULED) {
		job_move(c, &j, JOB_RUNNING, "");
		obs_hist_observe(&c->wait_hist,
		    (double)(j.started_ns - j.created_ns) / 1e9);
	}
	job_clear(&j);
}

/* Stores a worker's output memfd as a blob; digest "" when empty. */
static void
output_keep(struct core *c, int fd, uint64_t max, char digest[JOB_DIGEST_LEN],
    uint64_t *bytes)
{
	uint8_t *buf;
	size_t len;
	int rc;

	digest[0] = '\0';
	*bytes = 0;
	if (fd < 0)
		return;
	if ((rc = fd_slurp(fd, max, &buf, &len)) < 0) {
		log_warnx("worker output over its cap: %s", kiln_strerror(rc));
		return;
	}
	if (len > 0 && (rc = store_blob_put(c->st, buf, len, digest)) < 0)
		log_fatalx("store: output blob: %s", kiln_strerror(rc));
	*bytes = len;
	sodium_memzero(buf, len);
	free(buf);
}

/* An infrastructure failure: back to the queue, or dead-lettered. */
static void
job_retry(struct core *c, struct job *j, const char *reason)
{
	j->attempts++;
	if (j->attempts >= c->conf->max_attempts) {
		job_move(c, j, JOB_DEAD_LETTER, reason);
		return;
	}
	job_move(c, j, JOB_QUEUED, reason);
	c->requeued++;
	if (sched_job_enqueue(c->sched, j->id, j->tenant, now_mono_ns() +
	    RETRY_BACKOFF_NS * (1 << j->attempts)) < 0)
		log_fatalx("sched: requeue %s", j->id);
}

void
core_job_done(struct core *c, const struct msg_done *d, int out_fd,
    int log_fd)
{
	struct run *run = run_find(c, d->id);
	uint64_t cancel_req;
	struct job j;

	if (run == NULL) {
		log_warnx("launcher reported unknown job %s", d->id);
		return;
	}
	cancel_req = run->cancel_req;
	job_load(c, d->id, &j);
	output_keep(c, out_fd, c->conf->max_output_bytes, j.output,
	    &j.output_bytes);
	output_keep(c, log_fd, c->conf->max_log_bytes, j.log, &j.log_bytes);
	memcpy(j.isolation, d->isolation, sizeof(j.isolation));
	isolation_canonical(j.isolation);
	if (d->kind != DONE_START_FAILED)
		obs_hist_observe(&c->run_hist, (double)d->run_ns / 1e9);
	if (run->cancel_wanted) {
		job_move(c, &j, JOB_CANCELLED, "cancelled");
	} else if (d->kind == DONE_START_FAILED) {
		job_retry(c, &j, d->reason);
	} else if (d->kind == DONE_TIMED_OUT) {
		job_move(c, &j, JOB_TIMED_OUT, "timeout");
	} else if (d->kind == DONE_EXITED && d->reason[0] == '\0') {
		j.exit_code = d->exit_code;
		job_move(c, &j, d->exit_code == 0 ? JOB_SUCCEEDED : JOB_FAILED,
		    d->exit_code == 0 ? "" : "exit_code");
	} else {
		/* a trap, a limit or a load failure: the guest never exited,
		 * so exit_code stays null (API.md) */
		job_move(c, &j, JOB_FAILED, d->reason[0] ? d->reason :
		    "worker_failed");
	}
	run_end(c, run);
	if (cancel_req != 0)
		core_reply_job(c, cancel_req, &j, 0);
	job_clear(&j);
}

void
core_launcher_lost(struct core *c)
{
	struct job j;

	log_warnx("launcher went away: requeueing %zu jobs", c->nruns);
	if (c->launcher_fd >= 0)
		close(c->launcher_fd);
	c->launcher_fd = -1;
	c->node_level = -1;	/* until the next launcher says hello */
	while (c->nruns > 0) {
		struct run *run = &c->runs[c->nruns - 1];
		uint64_t cancel_req = run->cancel_req;

		job_load(c, run->id, &j);
		if (run->cancel_wanted)
			job_move(c, &j, JOB_CANCELLED, "cancelled");
		else
			job_retry(c, &j, "launcher_lost");
		run_end(c, run);
		if (cancel_req != 0)
			core_reply_job(c, cancel_req, &j, 0);
		job_clear(&j);
	}
	core_compiles_fail(c, "the launcher restarted; push again");
}

/* ------------------------------------------------------------ recovery */

struct recover_ctx {
	struct job *jobs;
	size_t n, cap;
};

static int
recover_collect(const struct job *j, void *arg)
{
	struct recover_ctx *rc = arg;
	struct job *copy;

	if (rc->n == rc->cap) {
		rc->cap = rc->cap ? rc->cap * 2 : 64;
		rc->jobs = xrealloc(rc->jobs, rc->cap * sizeof(*rc->jobs));
	}
	copy = &rc->jobs[rc->n++];
	*copy = *j;
	copy->spec_json = j->spec_json ? xstrdup(j->spec_json) : NULL;
	return 0;
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * After a restart: PENDING and VERIFYING jobs are verified again,
 * SCHEDULED and RUNNING ones go back to QUEUED with one more attempt (their
 * worker died with the old launcher), and every QUEUED job re-enters the
 * scheduler in journal order.  Terminal jobs are never touched, so no
 * result is committed twice.
 */
void
core_recover(struct core *c)
{
	static const enum job_state live[] = {
		JOB_PENDING, JOB_VERIFYING, JOB_QUEUED, JOB_SCHEDULED,
		JOB_RUNNING
	};
	struct recover_ctx rc = { 0 };
	struct job *j;
	size_t i, k;
	int n;

	if (store_job_count_states(c->st, c->states) < 0)
		log_fatalx("store: count states");
	for (k = 0; k < KILN_ARRAY_LEN(live); k++) {
		int64_t after = 0;

		do {
			size_t before = rc.n;

			n = store_job_list(c->st, NULL, (int)live[k], after,
			    1000, recover_collect, &rc);
			if (n < 0)
				log_fatalx("store: recovery list");
			if (rc.n > before)
				after = rc.jobs[rc.n - 1].seq;
		} while (n == 1000);
	}
	if (rc.n > 1)
		qsort(rc.jobs, rc.n, sizeof(*rc.jobs), seq_cmp);
	for (i = 0; i < rc.n; i++) {
		j = &rc.jobs[i];
		if (config_tenant_find(c->conf, j->tenant) == NULL) {
			log_warnx("job %s: tenant %s no longer configured; "
			    "left %s", j->id, j->tenant,
			    job_state_name(j->state));
			continue;
		}
		if (j->state == JOB_PENDING)
			job_move(c, j, JOB_VERIFYING, NULL);
		if (j->state == JOB_VERIFYING)
			job_move(c, j, JOB_QUEUED, NULL);
		if (j->state == JOB_SCHEDULED || j->state == JOB_RUNNING) {
			job_retry(c, j, "controller_restart");
			continue;	/* job_retry enqueued it */
		}
		if (j->state == JOB_QUEUED &&
		    sched_job_enqueue(c->sched, j->id, j->tenant, 0) < 0)
			log_fatalx("sched: enqueue %s", j->id);
	}
	log_info("recovered: %zu live jobs, %zu queued", rc.n,
	    sched_queued(c->sched, NULL));
	for (i = 0; i < rc.n; i++)
		job_clear(&rc.jobs[i]);
	free(rc.jobs);
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
