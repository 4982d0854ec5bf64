/*
 * The scheduler's state as its policies see it.  Only src/sched includes
 * this: sched.c owns every change to it; a policy reads it and reserves
 * leases from s->alloc, nothing else.
 */
#ifndef KILN_SCHED_INT_H
#define KILN_SCHED_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "kiln/gpu.h"
#include "kiln/job.h"
#include "kiln/sched.h"

struct sched_tenant {
	TAILQ_ENTRY(sched_tenant) link;
	char id[JOB_TENANT_LEN];
	uint32_t concurrency;		/* most jobs holding a lease */
	uint32_t running;		/* jobs holding a lease */
	size_t queued;			/* jobs in the queue */
	bool removed;			/* holds its jobs until set again */
};

struct sched_job {
	TAILQ_ENTRY(sched_job) link;	/* in queue or in running */
	char id[JOB_ID_LEN];
	struct sched_tenant *tenant;
	struct gpu_profile profile;	/* what it asks for */
	int64_t not_before_ns;		/* backoff: not eligible before */
	struct gpu_lease lease;		/* running: what it holds */
	int64_t started_ns;		/* running: when it got it */
};

TAILQ_HEAD(sched_jobs, sched_job);

struct sched {
	const struct sched_policy_ops *policy;
	void *policy_state;
	struct gpu_alloc *alloc;	/* borrowed */
	struct sched_jobs queue;	/* arrival order */
	struct sched_jobs running;	/* start order */
	size_t nqueued;
	size_t nrunning;
	TAILQ_HEAD(, sched_tenant) tenants;
};

/* Whether t may start one more job now (declared, under its limit). */
static inline bool
sched_tenant_may_start(const struct sched_tenant *t)
{
	return !t->removed && t->running < t->concurrency;
}

#endif
