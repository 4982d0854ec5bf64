/*
 * Recovery from the journal when the core starts (DESIGN §10): the state
 * counts are read back, live jobs are collected in journal order and
 * brought back to a state this core can act on.  It runs in the first
 * transaction, before any peer's message is read.
 */
#include <stdlib.h>

#include "kiln/sched.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "core_int.h"

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
			core_job_move(c, j, JOB_VERIFYING, NULL);
		if (j->state == JOB_VERIFYING)
			core_job_move(c, j, JOB_QUEUED, NULL);
		if (j->state == JOB_SCHEDULED || j->state == JOB_RUNNING) {
			core_job_retry(c, j, "controller_restart");
			continue;	/* core_job_retry enqueued it */
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
