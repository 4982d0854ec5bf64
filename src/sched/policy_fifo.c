/*
 * The FIFO policy: one pass over the queue in arrival order.  A job whose
 * tenant is at its concurrency limit, or that is backing off after an
 * infrastructure failure, is skipped without losing its place; the first
 * other one gets the allocator's lease.  Strict about room: when that job
 * does not fit now, nothing behind it overtakes it.
 */
#include "kiln/gpu.h"
#include "kiln/sched.h"
#include "sched_int.h"

static struct sched_job *
fifo_job_pick(struct sched *s, void *state, int64_t now_ns,
    struct gpu_lease *lease, int64_t *wake_ns)
{
	struct gpu_counts gc;
	struct sched_job *j;

	gpu_alloc_counts(s->alloc, &gc);
	if (gc.leases >= gc.slots_total)
		return NULL;	/* a release calls again */
	TAILQ_FOREACH(j, &s->queue, link) {
		if (!sched_tenant_may_start(j->tenant))
			continue;
		if (j->not_before_ns > now_ns) {
			if (*wake_ns == 0 || j->not_before_ns < *wake_ns)
				*wake_ns = j->not_before_ns;
			continue;
		}
		return gpu_lease_reserve(s->alloc, &j->profile, lease) == 0 ?
		    j : NULL;
	}
	return NULL;
}

const struct sched_policy_ops sched_policy_fifo = {
	.name = "fifo",
	.job_pick = fifo_job_pick,
};
