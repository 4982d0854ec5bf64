/*
 * Unit tests of the scheduler (src/sched) over the whole-GPU allocator:
 * FIFO order and slot reservation, tenant concurrency limits, backoff,
 * removal; leases given back once and only by their holder; tenants
 * declared, changed and removed at runtime; a policy's hooks; and a
 * simulated run on a virtual clock that must decide the same way every
 * time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/gpu.h"
#include "kiln/job.h"
#include "kiln/sched.h"

static const char *const names[] = { "gpu0", "gpu1", "gpu2", "gpu3" };
static struct gpu_alloc *gpus;

static struct sched *
sched_gpus(size_t ngpus, const struct sched_policy_ops *policy)
{
	assert_true(ngpus <= sizeof(names) / sizeof(names[0]));
	assert_int_equal(gpu_alloc_whole_new(names, ngpus, &gpus), 0);
	return sched_new(policy, gpus);
}

static void
sched_done(struct sched *s)
{
	sched_free(s);
	gpu_alloc_free(gpus);
	gpus = NULL;
}

static struct sched *
sched_two_tenants(size_t ngpus, uint32_t concurrency_a)
{
	struct sched *s = sched_gpus(ngpus, &sched_policy_fifo);

	assert_int_equal(sched_tenant_set(s, "a", concurrency_a), 0);
	assert_int_equal(sched_tenant_set(s, "b", 8), 0);
	return s;
}

static int
enqueue(struct sched *s, const char *id, const char *tenant,
    int64_t not_before_ns)
{
	return sched_job_enqueue(s, id, tenant, &gpu_profile_whole,
	    not_before_ns);
}

static const char *
slot_name(const struct gpu_lease *l)
{
	static char name[GPU_NAME_LEN];

	assert_int_equal(gpu_lease_name(gpus, l, name, sizeof(name)), 0);
	return name;
}

static void
test_sched_fifo(void **state)
{
	struct sched *s = sched_two_tenants(2, 8);
	struct gpu_lease l1, l2, l3;
	char id[JOB_ID_LEN];
	int64_t wake;

	assert_int_equal(enqueue(s, "j1", "a", 0), 0);
	assert_int_equal(enqueue(s, "j2", "b", 0), 0);
	assert_int_equal(enqueue(s, "j3", "a", 0), 0);
	assert_int_equal(enqueue(s, "j1", "a", 0), -EEXIST);
	assert_int_equal(enqueue(s, "jx", "nobody", 0), -KILN_ENOT_FOUND);
	assert_int_equal(sched_queued(s, NULL), 3);
	assert_int_equal(sched_queued(s, "a"), 2);
	assert_int_equal(sched_slots_total(s), 2);

	assert_int_equal(sched_next(s, 1, id, &l1, &wake), 1);
	assert_string_equal(id, "j1");
	assert_string_equal(slot_name(&l1), "gpu0");
	assert_int_equal(sched_next(s, 1, id, &l2, &wake), 1);
	assert_string_equal(id, "j2");
	assert_string_equal(slot_name(&l2), "gpu1");
	/* both slots busy: j3 waits */
	assert_int_equal(sched_next(s, 1, id, &l3, &wake), 0);
	assert_int_equal(l3.id, 0);
	assert_int_equal(sched_slots_busy(s), 2);
	assert_int_equal(sched_running(s, NULL), 2);
	assert_int_equal(sched_lease_release(s, &l1, 2), 0);
	assert_int_equal(sched_lease_release(s, &l1, 2), -ENOENT);
	assert_int_equal(sched_next(s, 1, id, &l3, &wake), 1);
	assert_string_equal(id, "j3");
	assert_string_equal(slot_name(&l3), "gpu0");
	assert_int_equal(sched_queued(s, NULL), 0);
	sched_done(s);
}

static void
test_sched_concurrency_and_backoff(void **state)
{
	struct sched *s = sched_two_tenants(4, 1);
	struct gpu_lease l;
	char id[JOB_ID_LEN];
	int64_t wake;

	enqueue(s, "a1", "a", 0);
	enqueue(s, "a2", "a", 0);
	enqueue(s, "b1", "b", 500);
	enqueue(s, "b2", "b", 0);
	assert_int_equal(sched_next(s, 100, id, &l, &wake), 1);
	assert_string_equal(id, "a1");
	/* a is at its limit of 1; b1 backs off until 500; b2 is next */
	assert_int_equal(sched_next(s, 100, id, &l, &wake), 1);
	assert_string_equal(id, "b2");
	assert_int_equal(sched_next(s, 100, id, &l, &wake), 0);
	assert_int_equal(wake, 500);
	assert_int_equal(sched_next(s, 500, id, &l, &wake), 1);
	assert_string_equal(id, "b1");
	assert_int_equal(sched_job_remove(s, "a2"), 0);
	assert_int_equal(sched_job_remove(s, "a2"), -KILN_ENOT_FOUND);
	assert_int_equal(sched_queued(s, "a"), 0);
	sched_done(s);
}

/* Every slot busy: no wake for backoff, the next release is the event. */
static void
test_sched_full_no_wake(void **state)
{
	struct sched *s = sched_two_tenants(1, 8);
	struct gpu_lease l;
	char id[JOB_ID_LEN];
	int64_t wake;

	enqueue(s, "a1", "a", 0);
	enqueue(s, "a2", "a", 300);
	assert_int_equal(sched_next(s, 100, id, &l, &wake), 1);
	assert_int_equal(wake, 0);
	assert_int_equal(sched_next(s, 100, id, &l, &wake), 0);
	assert_int_equal(wake, 0);
	sched_done(s);
}

static void
test_sched_enqueue_refused(void **state)
{
	const struct gpu_profile bad = { 0, 8 };
	struct sched *s = sched_two_tenants(1, 1);
	char long_id[JOB_ID_LEN + 1];

	memset(long_id, 'x', JOB_ID_LEN);
	long_id[JOB_ID_LEN] = '\0';
	assert_int_equal(sched_job_enqueue(s, "j1", "a", &bad, 0), -EINVAL);
	assert_int_equal(enqueue(s, "", "a", 0), -EINVAL);
	assert_int_equal(enqueue(s, long_id, "a", 0), -EINVAL);
	assert_int_equal(sched_queued(s, NULL), 0);
	sched_done(s);

	/* with no GPU nothing ever fits */
	s = sched_gpus(0, &sched_policy_fifo);
	assert_int_equal(sched_tenant_set(s, "a", 1), 0);
	assert_int_equal(enqueue(s, "j1", "a", 0), -ENOSPC);
	assert_int_equal(sched_slots_total(s), 0);
	sched_done(s);
}

static void
test_sched_lease(void **state)
{
	struct sched *s = sched_two_tenants(1, 8);
	struct gpu_lease l1, l2, forged, none = { 0 };
	char id[JOB_ID_LEN];
	int64_t wake;

	enqueue(s, "j1", "a", 0);
	enqueue(s, "j2", "b", 0);
	assert_int_equal(sched_next(s, 1, id, &l1, &wake), 1);
	assert_int_equal(sched_lease_release(s, &l1, 2), 0);
	assert_int_equal(sched_lease_release(s, &l1, 2), -ENOENT);
	assert_int_equal(sched_running(s, "a"), 0);

	/* the same GPU under a new grant: the old copy is stale */
	assert_int_equal(sched_next(s, 3, id, &l2, &wake), 1);
	assert_string_equal(id, "j2");
	assert_int_equal(l2.gpu, l1.gpu);
	assert_true(l2.id > l1.id);
	assert_int_equal(sched_lease_release(s, &l1, 4), -ENOENT);
	assert_int_equal(gpu_lease_release(gpus, &l1), -KILN_ECONFLICT);
	forged = l2;
	forged.mem_slices = 4;
	assert_int_equal(sched_lease_release(s, &forged, 4), -KILN_ECONFLICT);
	assert_int_equal(sched_lease_release(s, &none, 4), -ENOENT);
	assert_int_equal(sched_slots_busy(s), 1);
	assert_int_equal(sched_running(s, "b"), 1);

	/* a retry is queued before its lease comes back (core_job_done) */
	assert_int_equal(enqueue(s, "j2", "b", 0), 0);
	assert_int_equal(sched_next(s, 4, id, &l1, &wake), 0);
	assert_int_equal(sched_lease_release(s, &l2, 5), 0);
	assert_int_equal(sched_running(s, "b"), 0);
	assert_int_equal(sched_next(s, 5, id, &l1, &wake), 1);
	assert_string_equal(id, "j2");
	assert_true(l1.id > l2.id);
	sched_done(s);
}

static void
test_sched_tenant_set(void **state)
{
	struct sched *s = sched_gpus(4, &sched_policy_fifo);
	struct gpu_lease l[4];
	char id[JOB_ID_LEN], long_id[JOB_TENANT_LEN + 1];
	int64_t wake;

	memset(long_id, 't', JOB_TENANT_LEN);
	long_id[JOB_TENANT_LEN] = '\0';
	assert_int_equal(sched_tenant_set(s, "", 1), -EINVAL);
	assert_int_equal(sched_tenant_set(s, long_id, 1), -EINVAL);
	assert_int_equal(sched_tenant_set(s, "a", 1), 0);
	enqueue(s, "a1", "a", 0);
	enqueue(s, "a2", "a", 0);
	enqueue(s, "a3", "a", 0);
	assert_int_equal(sched_next(s, 1, id, &l[0], &wake), 1);
	assert_int_equal(sched_next(s, 1, id, &l[1], &wake), 0);

	/* raised: the queue drains in order, up to the new limit */
	assert_int_equal(sched_tenant_set(s, "a", 3), 0);
	assert_int_equal(sched_next(s, 1, id, &l[1], &wake), 1);
	assert_string_equal(id, "a2");
	assert_int_equal(sched_next(s, 1, id, &l[2], &wake), 1);
	assert_string_equal(id, "a3");
	assert_int_equal(sched_running(s, "a"), 3);

	/* lowered: nothing running stops; starts wait until under it */
	assert_int_equal(sched_tenant_set(s, "a", 1), 0);
	enqueue(s, "a4", "a", 0);
	assert_int_equal(sched_running(s, "a"), 3);
	assert_int_equal(sched_next(s, 1, id, &l[3], &wake), 0);
	assert_int_equal(sched_lease_release(s, &l[0], 2), 0);
	assert_int_equal(sched_lease_release(s, &l[1], 2), 0);
	assert_int_equal(sched_next(s, 2, id, &l[3], &wake), 0);
	assert_int_equal(sched_lease_release(s, &l[2], 3), 0);

	/* 0 holds every start */
	assert_int_equal(sched_tenant_set(s, "a", 0), 0);
	assert_int_equal(sched_next(s, 3, id, &l[3], &wake), 0);
	assert_int_equal(sched_tenant_set(s, "a", 1), 0);
	assert_int_equal(sched_next(s, 3, id, &l[3], &wake), 1);
	assert_string_equal(id, "a4");
	sched_done(s);
}

static void
test_sched_tenant_remove(void **state)
{
	struct sched *s = sched_two_tenants(4, 2);
	struct gpu_lease la1, la2, lb1;
	char id[JOB_ID_LEN];
	int64_t wake;

	enqueue(s, "a1", "a", 0);
	assert_int_equal(sched_next(s, 1, id, &la1, &wake), 1);
	enqueue(s, "a2", "a", 0);
	enqueue(s, "b1", "b", 0);
	assert_int_equal(sched_tenant_remove(s, "a"), 0);
	assert_int_equal(sched_tenant_remove(s, "a"), -KILN_ENOT_FOUND);
	assert_int_equal(sched_tenant_remove(s, "nobody"), -KILN_ENOT_FOUND);
	/* its queued job is held, not dropped, and nothing new comes in */
	assert_int_equal(sched_queued(s, "a"), 1);
	assert_int_equal(enqueue(s, "a3", "a", 0), -KILN_ENOT_FOUND);
	assert_int_equal(sched_next(s, 1, id, &lb1, &wake), 1);
	assert_string_equal(id, "b1");
	assert_int_equal(sched_next(s, 1, id, &la2, &wake), 0);
	/* its running job gives its lease back as usual */
	assert_int_equal(sched_running(s, "a"), 1);
	assert_int_equal(sched_lease_release(s, &la1, 2), 0);
	assert_int_equal(sched_running(s, "a"), 0);
	assert_int_equal(sched_next(s, 2, id, &la2, &wake), 0);
	/* declared again: the held job starts */
	assert_int_equal(sched_tenant_set(s, "a", 2), 0);
	assert_int_equal(sched_next(s, 2, id, &la2, &wake), 1);
	assert_string_equal(id, "a2");

	/* removed with a held job the caller then cancels: forgotten */
	enqueue(s, "a4", "a", 0);
	assert_int_equal(sched_tenant_remove(s, "a"), 0);
	assert_int_equal(sched_job_remove(s, "a4"), 0);
	assert_int_equal(sched_queued(s, "a"), 0);
	assert_int_equal(sched_queued(s, NULL), 0);
	assert_int_equal(sched_lease_release(s, &la2, 3), 0);
	assert_int_equal(sched_lease_release(s, &lb1, 3), 0);
	assert_int_equal(sched_tenant_remove(s, "b"), 0);
	assert_int_equal(enqueue(s, "b2", "b", 0), -KILN_ENOT_FOUND);
	assert_int_equal(sched_running(s, NULL), 0);
	sched_done(s);
}

/* A policy that is FIFO but counts what the scheduler tells it. */
struct counting {
	int made, freed, started, ended;
	int64_t start_ns, end_ns;
};

static struct counting counted;

static void *
counting_new(struct sched *s)
{
	memset(&counted, 0, sizeof(counted));
	counted.made = 1;
	return &counted;
}

static void
counting_free(void *state)
{
	((struct counting *)state)->freed = 1;
}

static struct sched_job *
counting_pick(struct sched *s, void *state, int64_t now_ns,
    struct gpu_lease *lease, int64_t *wake_ns)
{
	assert_ptr_equal(state, &counted);
	return sched_policy_fifo.job_pick(s, NULL, now_ns, lease, wake_ns);
}

static void
counting_started(void *state, const struct sched_job *j, int64_t now_ns)
{
	((struct counting *)state)->started++;
	((struct counting *)state)->start_ns = now_ns;
}

static void
counting_ended(void *state, const struct sched_job *j, int64_t now_ns)
{
	((struct counting *)state)->ended++;
	((struct counting *)state)->end_ns = now_ns;
}

static const struct sched_policy_ops policy_counting = {
	.name = "counting",
	.state_new = counting_new,
	.state_free = counting_free,
	.job_pick = counting_pick,
	.job_started = counting_started,
	.job_ended = counting_ended,
};

static void
test_sched_policy_hooks(void **state)
{
	struct sched *s = sched_gpus(1, &policy_counting);
	struct gpu_lease l;
	char id[JOB_ID_LEN];
	int64_t wake;

	assert_int_equal(counted.made, 1);
	assert_int_equal(sched_tenant_set(s, "a", 1), 0);
	enqueue(s, "j1", "a", 0);
	assert_int_equal(sched_next(s, 7, id, &l, &wake), 1);
	assert_int_equal(counted.started, 1);
	assert_int_equal(counted.start_ns, 7);
	assert_int_equal(sched_lease_release(s, &l, 9), 0);
	assert_int_equal(sched_lease_release(s, &l, 10), -ENOENT);
	assert_int_equal(counted.ended, 1);
	assert_int_equal(counted.end_ns, 9);
	sched_done(s);
	assert_int_equal(counted.freed, 1);
}

/*
 * A simulated run: jobs arrive, run for a while and end, on a virtual
 * clock driven only by the events (arrival, end, backoff expiry).  At each
 * instant ended jobs give their leases back (in start order), arrivals are
 * queued (in trace order), then the scheduler starts what it can.
 */
struct sim_job {
	const char *id;
	const char *tenant;
	int64_t arrive_ns;
	int64_t run_ns;
	int64_t not_before_ns;	/* backoff, absolute; 0: none */
};

static const struct sim_job trace[] = {
	{ "j1", "a", 0, 50, 0 },
	{ "j2", "a", 0, 30, 0 },
	{ "j3", "b", 10, 20, 0 },
	{ "j4", "b", 10, 40, 35 },
	{ "j5", "b", 15, 10, 0 },
	{ "j6", "a", 20, 5, 0 },
	{ "j7", "b", 90, 5, 100 },
};

#define SIM_JOBS	(sizeof(trace) / sizeof(trace[0]))

static void
sim_run(char *log, size_t len)
{
	struct {
		struct gpu_lease lease;
		int64_t end_ns;
	} run[SIM_JOBS];
	struct sched *s = sched_gpus(2, &sched_policy_fifo);
	size_t arrived = 0, nrun = 0, used = 0, i, k;
	int64_t now = 0, next, wake = 0;
	char id[JOB_ID_LEN];

	assert_int_equal(sched_tenant_set(s, "a", 1), 0);
	assert_int_equal(sched_tenant_set(s, "b", 2), 0);
	log[0] = '\0';
	for (;;) {
		for (i = 0; i < nrun;) {
			if (run[i].end_ns > now) {
				i++;
				continue;
			}
			assert_int_equal(sched_lease_release(s,
			    &run[i].lease, now), 0);
			for (k = i + 1; k < nrun; k++)
				run[k - 1] = run[k];
			nrun--;
		}
		for (; arrived < SIM_JOBS && trace[arrived].arrive_ns <= now;
		    arrived++)
			assert_int_equal(enqueue(s, trace[arrived].id,
			    trace[arrived].tenant,
			    trace[arrived].not_before_ns), 0);
		while (sched_next(s, now, id, &run[nrun].lease, &wake) == 1) {
			for (k = 0; strcmp(trace[k].id, id) != 0; k++)
				;
			run[nrun].end_ns = now + trace[k].run_ns;
			used += (size_t)snprintf(log + used, len - used,
			    "%lld %s %s #%llu\n", (long long)now, id,
			    slot_name(&run[nrun].lease),
			    (unsigned long long)run[nrun].lease.id);
			assert_true(used < len);
			nrun++;
		}
		next = wake > now ? wake : 0;
		if (arrived < SIM_JOBS && (next == 0 ||
		    trace[arrived].arrive_ns < next))
			next = trace[arrived].arrive_ns;
		for (i = 0; i < nrun; i++)
			if (next == 0 || run[i].end_ns < next)
				next = run[i].end_ns;
		if (next == 0)
			break;
		now = next;
	}
	assert_int_equal(sched_queued(s, NULL), 0);
	assert_int_equal(sched_slots_busy(s), 0);
	sched_done(s);
}

static void
test_sched_virtual_clock(void **state)
{
	char first[1024], second[1024];

	sim_run(first, sizeof(first));
	sim_run(second, sizeof(second));
	assert_string_equal(first, second);
	/*
	 * a may run one job, b two, on two GPUs.  j2 waits for j1 (a's
	 * limit); at 30 j4 still backs off (until 35), so j5 overtakes it;
	 * at 90 only j7's backoff is left, and the clock wakes for it.
	 */
	assert_string_equal(first,
	    "0 j1 gpu0 #1\n"
	    "10 j3 gpu1 #2\n"
	    "30 j5 gpu1 #3\n"
	    "40 j4 gpu1 #4\n"
	    "50 j2 gpu0 #5\n"
	    "80 j6 gpu0 #6\n"
	    "100 j7 gpu0 #7\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_fifo),
		cmocka_unit_test(test_sched_concurrency_and_backoff),
		cmocka_unit_test(test_sched_full_no_wake),
		cmocka_unit_test(test_sched_enqueue_refused),
		cmocka_unit_test(test_sched_lease),
		cmocka_unit_test(test_sched_tenant_set),
		cmocka_unit_test(test_sched_tenant_remove),
		cmocka_unit_test(test_sched_policy_hooks),
		cmocka_unit_test(test_sched_virtual_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
