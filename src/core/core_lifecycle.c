/*
 * The job state machine in the core: every transition goes through
 * core_job_move(), which checks it against the table of src/base/job.c,
 * journals it with its event and logs it.  This file holds the transitions
 * after admission: scheduling onto slots and starting workers, a worker
 * running, its result coming back (output and log kept as blobs, the
 * isolation report made canonical), retries after infrastructure failures
 * (back to the queue with backoff, or dead-lettered), cancellation, and a
 * lost launcher (DESIGN §1).
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/gpu.h"
#include "kiln/native.h"
#include "kiln/sched.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "kiln/wasm.h"
#include "core_int.h"

#define RETRY_BACKOFF_NS	(200 * 1000000LL)

/* ------------------------------------------------------- state machine */

void
core_job_move(struct core *c, struct job *j, enum job_state to,
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

/* ------------------------------------------------------------ schedule */

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
		core_job_move(c, &j, JOB_SCHEDULED, "");
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
		core_job_move(c, &j, JOB_RUNNING, "");
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

void
core_job_retry(struct core *c, struct job *j, const char *reason)
{
	j->attempts++;
	if (j->attempts >= c->conf->max_attempts) {
		core_job_move(c, j, JOB_DEAD_LETTER, reason);
		return;
	}
	core_job_move(c, j, JOB_QUEUED, reason);
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
		core_job_move(c, &j, JOB_CANCELLED, "cancelled");
	} else if (d->kind == DONE_START_FAILED) {
		core_job_retry(c, &j, d->reason);
	} else if (d->kind == DONE_TIMED_OUT) {
		core_job_move(c, &j, JOB_TIMED_OUT, "timeout");
	} else if (d->kind == DONE_EXITED && d->reason[0] == '\0') {
		j.exit_code = d->exit_code;
		core_job_move(c, &j, d->exit_code == 0 ? JOB_SUCCEEDED :
		    JOB_FAILED, d->exit_code == 0 ? "" : "exit_code");
	} else {
		/* a trap, a limit or a load failure: the guest never exited,
		 * so exit_code stays null (API.md) */
		core_job_move(c, &j, JOB_FAILED, d->reason[0] ? d->reason :
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
			core_job_move(c, &j, JOB_CANCELLED, "cancelled");
		else
			core_job_retry(c, &j, "launcher_lost");
		run_end(c, run);
		if (cancel_req != 0)
			core_reply_job(c, cancel_req, &j, 0);
		job_clear(&j);
	}
	core_compiles_fail(c, "the launcher restarted; push again");
}

/* -------------------------------------------------------------- cancel */

void
core_job_cancel(struct core *c, uint64_t req, const struct msg_job_ref *r)
{
	struct msg_job_ref kill;
	struct run *run;
	struct job j;

	if (core_job_visible(c, req, r, &j) < 0)
		return;
	if (job_state_is_terminal(j.state)) {
		core_reply_error(c, req, -KILN_EJOB_TERMINAL,
		    "job %s already ended %s", j.id, job_state_name(j.state));
	} else if (j.state == JOB_QUEUED) {
		sched_job_remove(c->sched, j.id);
		core_job_move(c, &j, JOB_CANCELLED, "cancelled");
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
