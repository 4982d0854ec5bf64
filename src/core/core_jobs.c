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
#include <time.h>
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

/* ------------------------------------------------------------- rendering */

static json_t *
time_json(int64_t ns)
{
	char buf[96];
	struct tm tm;
	time_t s;

	if (ns == 0)
		return json_null();
	s = (time_t)(ns / 1000000000);
	gmtime_r(&s, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(ns % 1000000000) / 1000);
	return json_string(buf);
}

static json_t *
job_json(const struct job *j)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:I, "
	    "s:I, s:s, s:o, s:o, s:o}",
	    "id", j->id, "tenant", j->tenant, "state", job_state_name(j->state),
	    "module", j->module, "profile", j->profile,
	    "timeout_ms", (json_int_t)j->timeout_ms,
	    "attempts", (json_int_t)j->attempts,
	    "exit_code", j->exit_code < 0 ? json_null() :
	    json_integer(j->exit_code),
	    "reason", j->reason,
	    "output_bytes", (json_int_t)j->output_bytes,
	    "log_bytes", (json_int_t)j->log_bytes,
	    "slot", j->slot,
	    "created_at", time_json(j->created_ns),
	    "started_at", time_json(j->started_ns),
	    "finished_at", time_json(j->finished_ns));
	if (o == NULL)
		log_fatalx("json_pack job");
	return o;
}

/*
 * The job object as text, into b: job_json() plus "isolation", spliced in
 * as journaled.  That text was checked and made canonical when it arrived
 * (isolation_canonical), so it is not parsed again on every read.
 */
static void
job_text(const struct job *j, struct obs_buf *b)
{
	json_t *o = job_json(j);
	char *s = json_dumps(o, JSON_COMPACT);
	size_t n;

	json_decref(o);
	if (s == NULL || (n = strlen(s)) < 2 || s[n - 1] != '}')
		log_fatalx("json_dumps job");
	s[n - 1] = '\0';
	obs_buf_printf(b, "%s,\"isolation\":%s}", s,
	    j->isolation[0] ? j->isolation : "null");
	free(s);
}

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

static void
reply_json(struct core *c, uint64_t req, int status, const char *location,
    json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	if (s == NULL)
		log_fatalx("json_dumps");
	core_reply(c, req, status, PROBLEM_NONE, REPLY_JSON, location, s,
	    strlen(s), 0);
	free(s);
	json_decref(doc);
}

static void
reply_job(struct core *c, uint64_t req, int status, const struct job *j,
    int with_location)
{
	struct obs_buf b = { 0 };
	char loc[96];

	snprintf(loc, sizeof(loc), "/v1/jobs/%s", j->id);
	job_text(j, &b);
	core_reply(c, req, status, PROBLEM_NONE, REPLY_JSON,
	    with_location ? loc : NULL, b.p, b.len, 0);
	free(b.p);
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
	return r;
}

/* Frees the run's slot; the job's record keeps the slot's name. */
static void
run_end(struct core *c, struct run *r)
{
	int rc;

	if ((rc = sched_lease_release(c->sched, &r->lease, now_mono_ns())) < 0)
		log_fatalx("sched: job %s: release %s: %s", r->id, r->tenant,
		    kiln_strerror(rc));
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
		core_problem(c, req, 401, PROBLEM_UNAUTHORIZED,
		    "unknown tenant");
		return;
	}
	if (c->draining) {
		core_problem(c, req, 503, PROBLEM_UNAVAILABLE,
		    "kilnd is shutting down");
		return;
	}
	if (!spec_valid(spec, speclen) || strcmp(s->profile, "gpu") != 0 ||
	    s->timeout_ms == 0 || s->timeout_ms > c->conf->max_timeout_ms) {
		core_problem(c, req, 422, PROBLEM_INVALID_REQUEST,
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
			core_problem(c, req, 413, PROBLEM_BODY_TOO_LARGE,
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
			reply_job(c, req, 200, &old, 1);
		else
			core_problem(c, req, 409, PROBLEM_IDEMPOTENCY_CONFLICT,
			    "Idempotency-Key %s was used for a different job "
			    "(%s)", j.idem_key, old.id);
		goto out;
	}
	if ((rc = store_module_kind(c->st, j.tenant, j.module)) <= 0) {
		if (rc < 0)
			log_fatalx("store: module lookup");
		core_problem(c, req, 422, PROBLEM_UNKNOWN_MODULE,
		    "module %s is not registered for tenant %s", j.module,
		    j.tenant);
		goto out;
	}
	/* recovery may hold more than a limit that was lowered since */
	if ((queued = sched_queued(c->sched, j.tenant)) >= t->queue_limit) {
		core_problem(c, req, 429, PROBLEM_QUEUE_FULL,
		    "tenant %s has %zu jobs queued (limit %u)", j.tenant,
		    queued, t->queue_limit);
		goto out;
	}
	if ((queued = sched_queued(c->sched, NULL)) >=
	    c->conf->global_queue_limit) {
		core_problem(c, req, 429, PROBLEM_GLOBAL_QUEUE_FULL,
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
		core_sched_enqueue(c, &j, 0);
	}
	reply_job(c, req, 202, &j, 1);
out:
	if (input != NULL)
		sodium_memzero(input, inlen);
	free(input);
	job_clear(&j);
	job_clear(&old);
}

/* ---------------------------------------------------------------- reads */

/* Loads the caller's job or answers 404; 0 when *j holds it. */
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
	core_problem(c, req, 404, PROBLEM_NOT_FOUND, "no job %s", r->id);
	return -KILN_ENOT_FOUND;
}

void
core_job_get(struct core *c, uint64_t req, const struct msg_job_ref *r)
{
	struct job j;

	if (job_visible(c, req, r, &j) < 0)
		return;
	reply_job(c, req, 200, &j, 0);
	job_clear(&j);
}

struct list_ctx {
	struct obs_buf text;	/* the whole answer, built as it goes */
	uint32_t limit;
	uint32_t n;
	int64_t last_seq;
	int more;
};

static int
list_one(const struct job *j, void *arg)
{
	struct list_ctx *lc = arg;

	if (lc->n == lc->limit) {
		lc->more = 1;
		return 1;
	}
	if (lc->n++ > 0)
		obs_buf_printf(&lc->text, ",");
	job_text(j, &lc->text);
	lc->last_seq = j->seq;
	return 0;
}

void
core_job_list(struct core *c, uint64_t req, const struct msg_list *l)
{
	struct list_ctx lc = { { 0 }, l->limit, 0, 0, 0 };
	int rc;

	if (l->limit < 1 || l->limit > 500 || l->state < -1 ||
	    l->state >= JOB_STATE_COUNT) {
		core_problem(c, req, 422, PROBLEM_INVALID_REQUEST,
		    "bad list parameters");
		return;
	}
	obs_buf_printf(&lc.text, "{\"jobs\":[");
	rc = store_job_list(c->st, l->tenant, l->state, l->after_seq,
	    (int)l->limit + 1, list_one, &lc);
	if (rc < 0)
		log_fatalx("store: job list: %s", kiln_strerror(rc));
	if (lc.more)	/* the token is the last seq: digits, no escaping */
		obs_buf_printf(&lc.text, "],\"next_page_token\":\"%lld\"}",
		    (long long)lc.last_seq);
	else
		obs_buf_printf(&lc.text, "],\"next_page_token\":null}");
	core_reply(c, req, 200, PROBLEM_NONE, REPLY_JSON, NULL, lc.text.p,
	    lc.text.len, 0);
	free(lc.text.p);
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
		core_problem(c, req, 409, PROBLEM_JOB_NOT_FINISHED,
		    "job %s is %s", j.id, job_state_name(j.state));
	} else if (digest[0] == '\0') {
		core_reply(c, req, 200, PROBLEM_NONE,
		    log ? REPLY_TEXT : REPLY_OCTETS, NULL, "", 0, 0);
	} else {
		if ((fd = store_blob_open(c->st, digest)) < 0)
			log_fatalx("store: blob %s: %s", digest,
			    kiln_strerror(fd));
		core_reply_fd(c, req, log ? REPLY_TEXT : REPLY_OCTETS, fd);
	}
	job_clear(&j);
}

static int
event_one(enum job_state state, const char *reason, int64_t at_ns, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:o}", "state",
	    job_state_name(state), "reason", reason, "at", time_json(at_ns)));
	return 0;
}

/* The job's lifecycle, oldest first: every transition with its reason. */
void
core_job_events(struct core *c, uint64_t req, const struct msg_job_ref *r)
{
	json_t *events = json_array();
	struct job j;
	int rc;

	if (job_visible(c, req, r, &j) < 0) {
		json_decref(events);
		return;
	}
	if ((rc = store_job_events(c->st, j.id, event_one, events)) < 0)
		log_fatalx("store: job events: %s", kiln_strerror(rc));
	reply_json(c, req, 200, NULL, json_pack("{s:s, s:o}", "id", j.id,
	    "events", events));
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
		core_problem(c, req, 409, PROBLEM_JOB_TERMINAL,
		    "job %s already ended %s", j.id, job_state_name(j.state));
	} else if (j.state == JOB_QUEUED) {
		sched_job_remove(c->sched, j.id);
		job_move(c, &j, JOB_CANCELLED, "cancelled");
		reply_job(c, req, 200, &j, 0);
	} else if ((run = run_find(c, j.id)) != NULL && run->cancel_req == 0) {
		/* answered when the launcher reports the worker gone */
		run->cancel_wanted = 1;
		run->cancel_req = req;
		memset(&kill, 0, sizeof(kill));
		memcpy(kill.id, j.id, sizeof(kill.id));
		core_launcher_send(c, IMSG_LAUNCHER_JOB_KILL, &kill,
		    sizeof(kill), NULL, 0, -1);
	} else {
		reply_job(c, req, 200, &j, 0);	/* a cancel is under way */
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
	char id[JOB_ID_LEN];
	struct gpu_lease lease;
	struct job j;
	int rc;

	if (c->launcher_fd < 0)
		return;
	while (sched_next(c->sched, now_mono_ns(), id, &lease,
	    &c->sched_wake_ns) == 1) {
		job_load(c, id, &j);
		if ((rc = gpu_lease_name(c->gpus, &lease, j.slot,
		    sizeof(j.slot))) < 0)
			log_fatalx("gpu: lease name: %s", kiln_strerror(rc));
		job_move(c, &j, JOB_SCHEDULED, "");
		run_add(c, &j)->lease = lease;
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
	core_sched_enqueue(c, j, now_mono_ns() +
	    RETRY_BACKOFF_NS * (1 << j->attempts));
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
		reply_job(c, cancel_req, 200, &j, 0);
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
			reply_job(c, cancel_req, 200, &j, 0);
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
		if (j->state == JOB_QUEUED)
			core_sched_enqueue(c, j, 0);
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
	core_reply(c, req, 200, PROBLEM_NONE, REPLY_METRICS, NULL, b.p, b.len,
	    0);
	free(b.p);
}
