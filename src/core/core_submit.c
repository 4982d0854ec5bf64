/*
 * Submission in the core: the spec the api checked is checked again,
 * then admission (an Idempotency-Key's earlier job, the module registered
 * for the tenant, the tenant's and the node's queue limits), the input kept
 * as a blob, the job journaled as PENDING and verified (the node's
 * isolation level against the tenant's minimum) into QUEUED or REJECTED.
 * The answer goes with the commit, so an accepted job is durable.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/sched.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "core_int.h"

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
	core_job_move(c, &j, JOB_VERIFYING, NULL);
	if (c->node_level >= 0 && c->node_level < t->min_isolation) {
		char why[JOB_REASON_LEN];

		snprintf(why, sizeof(why), "isolation:L%d<L%u", c->node_level,
		    t->min_isolation);
		core_job_move(c, &j, JOB_REJECTED, why);
	} else {
		core_job_move(c, &j, JOB_QUEUED, NULL);
		core_sched_enqueue(c, &j, 0);
	}
	core_reply_job(c, req, &j, 1);
out:
	if (input != NULL)
		sodium_memzero(input, inlen);
	free(input);
	job_clear(&j);
	job_clear(&old);
}
