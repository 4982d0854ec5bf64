/*
 * The scheduler's bookkeeping: tenants and their limits, the queue in
 * arrival order, the jobs holding a lease, and moving a job between them
 * when its policy picks it (sched_next) or its lease comes back.  Which job
 * starts is the policy's (policy_*.c), where it runs the allocator's.
 * Sizes are small (queue limits bound the lists), so the scans are linear
 * and obvious.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/sched.h"
#include "kiln/util.h"
#include "sched_int.h"

struct sched *
sched_new(const struct sched_policy_ops *policy, struct gpu_alloc *alloc)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->policy = policy;
	s->alloc = alloc;
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->running);
	TAILQ_INIT(&s->tenants);
	if (policy->state_new != NULL)
		s->policy_state = policy->state_new(s);
	return s;
}

static void
jobs_free(struct sched_jobs *jobs)
{
	struct sched_job *j;

	while ((j = TAILQ_FIRST(jobs)) != NULL) {
		TAILQ_REMOVE(jobs, j, link);
		free(j);
	}
}

void
sched_free(struct sched *s)
{
	struct sched_tenant *t;

	if (s == NULL)
		return;
	if (s->policy->state_free != NULL)
		s->policy->state_free(s->policy_state);
	jobs_free(&s->queue);
	jobs_free(&s->running);
	while ((t = TAILQ_FIRST(&s->tenants)) != NULL) {
		TAILQ_REMOVE(&s->tenants, t, link);
		free(t);
	}
	free(s);
}

static struct sched_tenant *
tenant_find(const struct sched *s, const char *id)
{
	struct sched_tenant *t;

	TAILQ_FOREACH(t, &s->tenants, link)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

/* Forgets a removed tenant once nothing of it is left. */
static void
tenant_gc(struct sched *s, struct sched_tenant *t)
{
	if (!t->removed || t->queued > 0 || t->running > 0)
		return;
	TAILQ_REMOVE(&s->tenants, t, link);
	free(t);
}

int
sched_tenant_set(struct sched *s, const char *id, uint32_t concurrency)
{
	struct sched_tenant *t;
	size_t len = strlen(id);

	if (len == 0 || len >= JOB_TENANT_LEN)
		return -EINVAL;
	if ((t = tenant_find(s, id)) == NULL) {
		t = xcalloc(1, sizeof(*t));
		memcpy(t->id, id, len + 1);
		TAILQ_INSERT_TAIL(&s->tenants, t, link);
	}
	t->concurrency = concurrency;
	t->removed = false;
	return 0;
}

int
sched_tenant_remove(struct sched *s, const char *id)
{
	struct sched_tenant *t = tenant_find(s, id);

	if (t == NULL || t->removed)
		return -KILN_ENOT_FOUND;
	t->removed = true;
	tenant_gc(s, t);
	return 0;
}

static struct sched_job *
queued_find(const struct sched *s, const char *id)
{
	struct sched_job *j;

	TAILQ_FOREACH(j, &s->queue, link)
		if (strcmp(j->id, id) == 0)
			return j;
	return NULL;
}

int
sched_job_enqueue(struct sched *s, const char *id, const char *tenant,
    const struct gpu_profile *profile, int64_t not_before_ns)
{
	struct sched_tenant *t = tenant_find(s, tenant);
	struct sched_job *j;
	size_t len = strlen(id);

	if (t == NULL || t->removed)
		return -KILN_ENOT_FOUND;
	if (len == 0 || len >= JOB_ID_LEN || !gpu_profile_is_valid(profile))
		return -EINVAL;
	if (queued_find(s, id) != NULL)
		return -EEXIST;
	if (!gpu_alloc_fits_ever(s->alloc, profile))
		return -ENOSPC;
	j = xcalloc(1, sizeof(*j));
	memcpy(j->id, id, len + 1);
	j->tenant = t;
	j->profile = *profile;
	j->not_before_ns = not_before_ns;
	TAILQ_INSERT_TAIL(&s->queue, j, link);
	t->queued++;
	s->nqueued++;
	return 0;
}

/* Takes j out of the queue, keeping the counts; j is not freed. */
static void
queue_unlink(struct sched *s, struct sched_job *j)
{
	TAILQ_REMOVE(&s->queue, j, link);
	j->tenant->queued--;
	s->nqueued--;
}

int
sched_job_remove(struct sched *s, const char *id)
{
	struct sched_job *j = queued_find(s, id);
	struct sched_tenant *t;

	if (j == NULL)
		return -KILN_ENOT_FOUND;
	t = j->tenant;
	queue_unlink(s, j);
	free(j);
	tenant_gc(s, t);
	return 0;
}

int
sched_next(struct sched *s, int64_t now_ns, char id[JOB_ID_LEN],
    struct gpu_lease *lease, int64_t *wake_ns)
{
	struct sched_job *j;

	*wake_ns = 0;
	memset(lease, 0, sizeof(*lease));
	j = s->policy->job_pick(s, s->policy_state, now_ns, lease, wake_ns);
	if (j == NULL)
		return 0;
	queue_unlink(s, j);
	j->lease = *lease;
	j->started_ns = now_ns;
	TAILQ_INSERT_TAIL(&s->running, j, link);
	j->tenant->running++;
	s->nrunning++;
	memcpy(id, j->id, JOB_ID_LEN);
	if (s->policy->job_started != NULL)
		s->policy->job_started(s->policy_state, j, now_ns);
	return 1;
}

static bool
lease_equal(const struct gpu_lease *a, const struct gpu_lease *b)
{
	return a->id == b->id && a->gpu == b->gpu &&
	    a->mem_start == b->mem_start && a->mem_slices == b->mem_slices &&
	    a->compute_slices == b->compute_slices;
}

int
sched_lease_release(struct sched *s, const struct gpu_lease *lease,
    int64_t now_ns)
{
	struct sched_job *j;
	struct sched_tenant *t;
	int rc;

	if (lease->id == 0)
		return -ENOENT;
	TAILQ_FOREACH(j, &s->running, link)
		if (j->lease.id == lease->id)
			break;
	if (j == NULL)
		return -ENOENT;
	if (!lease_equal(&j->lease, lease))
		return -KILN_ECONFLICT;
	if ((rc = gpu_lease_release(s->alloc, lease)) < 0)
		return rc;
	TAILQ_REMOVE(&s->running, j, link);
	t = j->tenant;
	t->running--;
	s->nrunning--;
	if (s->policy->job_ended != NULL)
		s->policy->job_ended(s->policy_state, j, now_ns);
	free(j);
	tenant_gc(s, t);
	return 0;
}

size_t
sched_queued(const struct sched *s, const char *tenant)
{
	const struct sched_tenant *t;

	if (tenant == NULL)
		return s->nqueued;
	t = tenant_find(s, tenant);
	return t ? t->queued : 0;
}

size_t
sched_running(const struct sched *s, const char *tenant)
{
	const struct sched_tenant *t;

	if (tenant == NULL)
		return s->nrunning;
	t = tenant_find(s, tenant);
	return t ? t->running : 0;
}

size_t
sched_slots_busy(const struct sched *s)
{
	struct gpu_counts gc;

	gpu_alloc_counts(s->alloc, &gc);
	return gc.leases;
}

size_t
sched_slots_total(const struct sched *s)
{
	struct gpu_counts gc;

	gpu_alloc_counts(s->alloc, &gc);
	return gc.slots_total;
}
