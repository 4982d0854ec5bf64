/*
 * Where the core meets the scheduler: building the GPU allocator and the
 * scheduler from the configuration (one whole-GPU slot per [gpu NAME]
 * section, one tenant per [tenant NAME] with its concurrency, the FIFO
 * policy), and queueing a journaled job with the profile it asked for.
 * Everything else the core asks of the scheduler it asks directly.
 */
#include <stddef.h>
#include <stdint.h>

#include "kiln/config.h"
#include "kiln/error.h"
#include "kiln/gpu.h"
#include "kiln/sched.h"
#include "kiln/util.h"
#include "core_int.h"

_Static_assert(GPU_NAME_LEN == JOB_SLOT_LEN,
    "a lease's name is the journal's slot column");

void
core_sched_new(struct core *c)
{
	const struct config *conf = c->conf;
	const char *names[CONFIG_MAX_GPUS];
	int i, rc;


	for (i = 0; i < conf->ngpus; i++)
		names[i] = conf->gpus[i].name;
	if ((rc = gpu_alloc_whole_new(names, (size_t)conf->ngpus,
	    &c->gpus)) < 0)
		log_fatalx("gpu: inventory: %s", kiln_strerror(rc));
	c->sched = sched_new(&sched_policy_fifo, c->gpus);
	core_sched_tenants(c);
}

void
core_sched_tenants(struct core *c)
{
	const struct config_tenant *t;
	int i, rc;

	for (i = 0; i < c->conf->ntenants; i++) {
		t = &c->conf->tenants[i];
		/* a removed tenant's jobs stay queued and start no more */
		if ((rc = sched_tenant_set(c->sched, t->id,
		    t->removed ? 0 : t->concurrency)) < 0)
			log_fatalx("sched: tenant %s: %s", t->id,
			    kiln_strerror(rc));
	}
}

void
core_sched_enqueue(struct core *c, const struct job *j, int64_t not_before_ns)
{
	struct gpu_profile p;
	int rc;

	if ((rc = gpu_profile_parse(j->profile, &p)) < 0 ||
	    (rc = sched_job_enqueue(c->sched, j->id, j->tenant, &p,
	    not_before_ns)) < 0)
		log_fatalx("sched: enqueue %s profile=%s: %s", j->id,
		    j->profile, kiln_strerror(rc));
}
