/*
 * The scheduler: a FIFO of queued jobs placed onto simulated whole-GPU
 * slots, one job per slot, honouring each tenant's concurrency limit.
 * Pure bookkeeping in memory (the journal is the core's business), so it is
 * rebuilt on recovery by enqueueing QUEUED jobs in journal order.
 */
#ifndef KILN_SCHED_H
#define KILN_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/config.h"
#include "kiln/job.h"

struct sched;

/* A scheduler with one slot per configured GPU.  Never NULL. */
struct sched *sched_new(const struct config *c);
void sched_free(struct sched *s);

/*
 * Appends a job to the queue; it is not eligible before not_before_ns
 * (CLOCK_MONOTONIC; 0: at once).  -EEXIST when already queued.
 */
int sched_job_enqueue(struct sched *s, const char *id, const char *tenant,
    int64_t not_before_ns);

/* Removes a queued job.  0 or -KILN_ENOT_FOUND. */
int sched_job_remove(struct sched *s, const char *id);

/*
 * Picks the oldest eligible queued job whose tenant is under its
 * concurrency limit, while a slot is free; reserves the slot, dequeues the
 * job.  Returns 1 with id and slot filled, 0 when nothing can start now.
 * *wake_ns receives the earliest not_before of a job held back only by
 * backoff (0 when none).
 */
int sched_next(struct sched *s, int64_t now_ns, char id[JOB_ID_LEN],
    char slot[JOB_SLOT_LEN], int64_t *wake_ns);

/* Releases a slot held by tenant's job.  0 or -ENOENT. */
int sched_slot_release(struct sched *s, const char *slot, const char *tenant);

/* Jobs queued for tenant (NULL: all tenants). */
size_t sched_queued(const struct sched *s, const char *tenant);
/* Slots in use, and slots in all. */
size_t sched_slots_busy(const struct sched *s);
size_t sched_slots_total(const struct sched *s);

#endif
