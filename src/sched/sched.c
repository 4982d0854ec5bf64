/*
 * FIFO scheduling onto whole-GPU slots.  The queue is a doubly linked list
 * in arrival order; a job whose tenant is at its concurrency limit, or that
 * is backing off after an infrastructure failure, is skipped without losing
 * its place.  Sizes are small (queue limits bound the list), so the scans
 * are linear and obvious.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "kiln/error.h"
#include "kiln/sched.h"
#include "kiln/util.h"

struct qjob {
	TAILQ_ENTRY(qjob) link;
	char id[JOB_ID_LEN];
	struct tenant_use *tenant;
	int64_t not_before_ns;
};

struct tenant_use {
	char id[JOB_TENANT_LEN];
	uint32_t concurrency;
	uint32_t running;
	size_t queued;
};

struct slot {
	char name[JOB_SLOT_LEN];
	struct tenant_use *tenant;	/* NULL when free */
};

struct sched {
	TAILQ_HEAD(, qjob) queue;
	size_t nqueued;
	struct tenant_use *tenants;
	int ntenants;
	struct slot *slots;
	int nslots;
};

struct sched *
sched_new(const struct config *c)
{
	struct sched *s = xcalloc(1, sizeof(*s));
	int i;

	TAILQ_INIT(&s->queue);
	s->ntenants = c->ntenants;
	s->tenants = xcalloc((size_t)c->ntenants, sizeof(*s->tenants));
	for (i = 0; i < c->ntenants; i++) {
		memcpy(s->tenants[i].id, c->tenants[i].id,
		    sizeof(s->tenants[i].id));
		s->tenants[i].concurrency = c->tenants[i].concurrency;
	}
	s->nslots = c->ngpus;
	s->slots = xcalloc((size_t)c->ngpus, sizeof(*s->slots));
	for (i = 0; i < c->ngpus; i++)
		memcpy(s->slots[i].name, c->gpus[i].name,
		    sizeof(s->slots[i].name));
	return s;
}

void
sched_free(struct sched *s)
{
	struct qjob *q;

	if (s == NULL)
		return;
	while ((q = TAILQ_FIRST(&s->queue)) != NULL) {
		TAILQ_REMOVE(&s->queue, q, link);
		free(q);
	}
	free(s->tenants);
	free(s->slots);
	free(s);
}

static struct tenant_use *
tenant_find(const struct sched *s, const char *id)
{
	int i;

	for (i = 0; i < s->ntenants; i++)
		if (strcmp(s->tenants[i].id, id) == 0)
			return &s->tenants[i];
	return NULL;
}

static struct qjob *
queued_find(const struct sched *s, const char *id)
{
	struct qjob *q;

	TAILQ_FOREACH(q, &s->queue, link)
		if (strcmp(q->id, id) == 0)
			return q;
	return NULL;
}

int
sched_job_enqueue(struct sched *s, const char *id, const char *tenant,
    int64_t not_before_ns)
{
	struct tenant_use *t = tenant_find(s, tenant);
	struct qjob *q;

	if (t == NULL)
		return -KILN_ENOT_FOUND;
	if (queued_find(s, id) != NULL)
		return -EEXIST;
	q = xcalloc(1, sizeof(*q));
	snprintf(q->id, sizeof(q->id), "%s", id);
	q->tenant = t;
	q->not_before_ns = not_before_ns;
	TAILQ_INSERT_TAIL(&s->queue, q, link);
	t->queued++;
	s->nqueued++;
	return 0;
}

static void
dequeue(struct sched *s, struct qjob *q)
{
	TAILQ_REMOVE(&s->queue, q, link);
	q->tenant->queued--;
	s->nqueued--;
	free(q);
}

int
sched_job_remove(struct sched *s, const char *id)
{
	struct qjob *q = queued_find(s, id);

	if (q == NULL)
		return -KILN_ENOT_FOUND;
	dequeue(s, q);
	return 0;
}

static struct slot *
slot_free_find(struct sched *s)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].tenant == NULL)
			return &s->slots[i];
	return NULL;
}

int
sched_next(struct sched *s, int64_t now_ns, char id[JOB_ID_LEN],
    char slot[JOB_SLOT_LEN], int64_t *wake_ns)
{
	struct slot *sl;
	struct qjob *q;

	*wake_ns = 0;
	if ((sl = slot_free_find(s)) == NULL)
		return 0;
	TAILQ_FOREACH(q, &s->queue, link) {
		if (q->tenant->running >= q->tenant->concurrency)
			continue;
		if (q->not_before_ns > now_ns) {
			if (*wake_ns == 0 || q->not_before_ns < *wake_ns)
				*wake_ns = q->not_before_ns;
			continue;
		}
		memcpy(id, q->id, JOB_ID_LEN);
		memcpy(slot, sl->name, JOB_SLOT_LEN);
		sl->tenant = q->tenant;
		q->tenant->running++;
		dequeue(s, q);
		return 1;
	}
	return 0;
}

int
sched_slot_release(struct sched *s, const char *slot, const char *tenant)
{
	int i;

	for (i = 0; i < s->nslots; i++) {
		if (strcmp(s->slots[i].name, slot) != 0 ||
		    s->slots[i].tenant == NULL ||
		    strcmp(s->slots[i].tenant->id, tenant) != 0)
			continue;
		s->slots[i].tenant->running--;
		s->slots[i].tenant = NULL;
		return 0;
	}
	return -ENOENT;
}

size_t
sched_queued(const struct sched *s, const char *tenant)
{
	const struct tenant_use *t;

	if (tenant == NULL)
		return s->nqueued;
	t = tenant_find(s, tenant);
	return t ? t->queued : 0;
}

size_t
sched_slots_busy(const struct sched *s)
{
	size_t n = 0;
	int i;

	for (i = 0; i < s->nslots; i++)
		n += s->slots[i].tenant != NULL;
	return n;
}

size_t
sched_slots_total(const struct sched *s)
{
	return (size_t)s->nslots;
}
