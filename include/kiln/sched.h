/*
 * The scheduler: tenants, their queued jobs and the jobs holding a lease,
 * and the decision which job starts next.  The decision is a policy behind
 * struct sched_policy_ops (FIFO today); placements come from a GPU
 * allocator (include/kiln/gpu.h).  Pure bookkeeping in memory, with no
 * clock of its own: every time is an argument (CLOCK_MONOTONIC in kilnd,
 * a virtual clock in a simulator).  The journal is the core's business, so
 * the core rebuilds it on recovery by enqueueing QUEUED jobs in journal
 * order.
 */
#ifndef KILN_SCHED_H
#define KILN_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/gpu.h"
#include "kiln/job.h"

struct sched;
/* A queued or running job as a policy sees it (src/sched/sched_int.h). */
struct sched_job;

/*
 * A scheduling policy.  Policies live in src/sched/policy_*.c and read the
 * scheduler's state through src/sched/sched_int.h.
 */
struct sched_policy_ops {
	const char *name;		/* "fifo" */
	/* Its own state for s, or NULL; may be NULL itself (stateless). */
	void *(*state_new)(struct sched *s);
	void (*state_free)(void *state);
	/*
	 * Chooses the queued job to start now and reserves its lease from
	 * the scheduler's allocator; returns the job with *lease filled, or
	 * NULL (no lease held).  Lowers *wake_ns (0: none yet) to the
	 * earliest not_before of a job it passed over only for its backoff.
	 * It changes nothing but the allocator; the scheduler moves the job.
	 */
	struct sched_job *(*job_pick)(struct sched *s, void *state,
	    int64_t now_ns, struct gpu_lease *lease, int64_t *wake_ns);
	/* Told of a start and of a lease given back; either may be NULL. */
	void (*job_started)(void *state, const struct sched_job *j,
	    int64_t now_ns);
	void (*job_ended)(void *state, const struct sched_job *j,
	    int64_t now_ns);
};

/*
 * First come, first served: the oldest queued job whose tenant is under
 * its concurrency limit and that is not backing off starts, while the
 * allocator has a free slot.  If it finds no room, nothing behind it
 * starts either (with whole GPUs that cannot happen: any free GPU fits).
 */
extern const struct sched_policy_ops sched_policy_fifo;

/*
 * A scheduler deciding with policy and placing with alloc, which it
 * borrows: alloc must outlive it, and nothing else may reserve from it.
 * No tenants yet.  Never NULL.
 */
struct sched *sched_new(const struct sched_policy_ops *policy,
    struct gpu_alloc *alloc);
/* Frees s, its queue and its running jobs' records (not their leases). */
void sched_free(struct sched *s);

/*
 * Declares a tenant, or changes its concurrency limit (jobs holding a
 * lease at once).  Lowering the limit stops nothing that runs; it only
 * holds back starts until the tenant is under it again.  0 (as the limit
 * does to starts) holds all its queued jobs.  A tenant removed with
 * sched_tenant_remove() and declared again gets its held jobs back in
 * their places.  0 or -EINVAL (an empty or too long id).
 */
int sched_tenant_set(struct sched *s, const char *id, uint32_t concurrency);

/*
 * Removes a tenant.  Its queued jobs are not dropped: they stay queued, in
 * their places and counted by sched_queued(), but never start, and no job
 * of it can be enqueued, until the tenant is declared again (the caller
 * cancels them with sched_job_remove() if it wants them gone).  Its
 * running jobs run on and give their leases back as usual.  The tenant is
 * forgotten once it has neither.  0 or -KILN_ENOT_FOUND.
 */
int sched_tenant_remove(struct sched *s, const char *id);

/*
 * Appends a job asking for profile to the queue; it is not eligible before
 * not_before_ns (0: at once).  -KILN_ENOT_FOUND (no such tenant),
 * -EEXIST (already queued), -EINVAL (a bad id or profile) or -ENOSPC (no
 * GPU of the allocator could ever hold the profile).  A job still holding
 * a lease may be queued again (a retry enqueued before the release).
 */
int sched_job_enqueue(struct sched *s, const char *id, const char *tenant,
    const struct gpu_profile *profile, int64_t not_before_ns);

/* Removes a queued job.  0 or -KILN_ENOT_FOUND. */
int sched_job_remove(struct sched *s, const char *id);

/*
 * Asks the policy for the job to start at now_ns; on a start the job
 * leaves the queue and holds the lease until sched_lease_release().
 * Returns 1 with id and *lease filled, 0 when nothing can start now
 * (*lease all zero).  *wake_ns receives the earliest not_before of a job
 * held back only by backoff (0 when none, or when no slot is free: a
 * release is the next event then).
 */
int sched_next(struct sched *s, int64_t now_ns, char id[JOB_ID_LEN],
    struct gpu_lease *lease, int64_t *wake_ns);

/*
 * Gives back a lease sched_next() granted; its job and tenant stop
 * counting as running.  0; -ENOENT when no job of s holds that lease (never
 * granted, released already); -KILN_ECONFLICT when the lease's id is held
 * but its placement differs (a forged or damaged copy).  Nothing changes on
 * error.
 */
int sched_lease_release(struct sched *s, const struct gpu_lease *lease,
    int64_t now_ns);

/* Jobs queued for tenant (NULL: all tenants), held ones included. */
size_t sched_queued(const struct sched *s, const char *tenant);
/* Jobs holding a lease for tenant (NULL: all tenants). */
size_t sched_running(const struct sched *s, const char *tenant);
/* The allocator's leases held, and the most it can hold at once. */
size_t sched_slots_busy(const struct sched *s);
size_t sched_slots_total(const struct sched *s);

#endif
