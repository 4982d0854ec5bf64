/*
 * Unit tests of the job state table (src/core/job.c) and the FIFO
 * scheduler (src/sched/sched.c): every transition DESIGN §1 allows and a
 * sample of those it forbids, slot reservation, tenant concurrency limits,
 * backoff, removal and recovery-time slot taking.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kiln/config.h"
#include "kiln/error.h"
#include "kiln/job.h"
#include "kiln/sched.h"

static void
test_state_names(void **state)
{
	int s;

	for (s = 0; s < JOB_STATE_COUNT; s++)
		assert_int_equal(job_state_parse(job_state_name(s)), s);
	assert_string_equal(job_state_name(JOB_TIMED_OUT), "TIMED_OUT");
	assert_null(job_state_name(JOB_STATE_COUNT));
	assert_int_equal(job_state_parse("queued"), -1);
	assert_int_equal(job_state_parse(""), -1);
}

static void
test_transitions(void **state)
{
	static const struct { enum job_state from, to; bool ok; } cases[] = {
		{ JOB_PENDING, JOB_VERIFYING, true },
		{ JOB_PENDING, JOB_QUEUED, false },
		{ JOB_VERIFYING, JOB_QUEUED, true },
		{ JOB_VERIFYING, JOB_REJECTED, true },
		{ JOB_QUEUED, JOB_SCHEDULED, true },
		{ JOB_QUEUED, JOB_CANCELLED, true },
		{ JOB_QUEUED, JOB_RUNNING, false },
		{ JOB_SCHEDULED, JOB_RUNNING, true },
		{ JOB_SCHEDULED, JOB_QUEUED, true },
		{ JOB_SCHEDULED, JOB_SUCCEEDED, false },
		{ JOB_RUNNING, JOB_SUCCEEDED, true },
		{ JOB_RUNNING, JOB_FAILED, true },
		{ JOB_RUNNING, JOB_TIMED_OUT, true },
		{ JOB_RUNNING, JOB_CANCELLED, true },
		{ JOB_RUNNING, JOB_QUEUED, true },
		{ JOB_RUNNING, JOB_DEAD_LETTER, true },
		{ JOB_RUNNING, JOB_REJECTED, false },
		{ JOB_SUCCEEDED, JOB_QUEUED, false },
		{ JOB_CANCELLED, JOB_RUNNING, false },
		{ JOB_DEAD_LETTER, JOB_QUEUED, false },
	};
	size_t i;
	int s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(job_transition_allowed(cases[i].from,
		    cases[i].to), cases[i].ok);
	for (s = 0; s < JOB_STATE_COUNT; s++) {
		int t;

		assert_int_equal(job_state_is_terminal(s), s >= JOB_SUCCEEDED);
		for (t = 0; t < JOB_STATE_COUNT && job_state_is_terminal(s);
		    t++)
			assert_false(job_transition_allowed(s, t));
	}
	assert_false(job_transition_allowed(JOB_STATE_COUNT, JOB_QUEUED));
}

static struct config conf;

static struct sched *
sched_two_tenants(int ngpus, uint32_t concurrency_a)
{
	config_defaults(&conf);
	conf.ngpus = ngpus;
	conf.ntenants = 2;
	snprintf(conf.tenants[0].id, sizeof(conf.tenants[0].id), "a");
	conf.tenants[0].concurrency = concurrency_a;
	snprintf(conf.tenants[1].id, sizeof(conf.tenants[1].id), "b");
	conf.tenants[1].concurrency = 8;
	return sched_new(&conf);
}

static void
test_sched_fifo(void **state)
{
	struct sched *s = sched_two_tenants(2, 8);
	char id[JOB_ID_LEN], slot[JOB_SLOT_LEN];
	int64_t wake;

	assert_int_equal(sched_job_enqueue(s, "j1", "a", 0), 0);
	assert_int_equal(sched_job_enqueue(s, "j2", "b", 0), 0);
	assert_int_equal(sched_job_enqueue(s, "j3", "a", 0), 0);
	assert_int_equal(sched_job_enqueue(s, "j1", "a", 0), -EEXIST);
	assert_int_equal(sched_job_enqueue(s, "jx", "nobody", 0),
	    -KILN_ENOT_FOUND);
	assert_int_equal(sched_queued(s, NULL), 3);
	assert_int_equal(sched_queued(s, "a"), 2);

	assert_int_equal(sched_next(s, 1, id, slot, &wake), 1);
	assert_string_equal(id, "j1");
	assert_string_equal(slot, "gpu0");
	assert_int_equal(sched_next(s, 1, id, slot, &wake), 1);
	assert_string_equal(id, "j2");
	assert_string_equal(slot, "gpu1");
	/* both slots busy: j3 waits */
	assert_int_equal(sched_next(s, 1, id, slot, &wake), 0);
	assert_int_equal(sched_slots_busy(s), 2);
	assert_int_equal(sched_slot_release(s, "gpu0", "a"), 0);
	assert_int_equal(sched_slot_release(s, "gpu0", "a"), -ENOENT);
	assert_int_equal(sched_next(s, 1, id, slot, &wake), 1);
	assert_string_equal(id, "j3");
	assert_string_equal(slot, "gpu0");
	assert_int_equal(sched_queued(s, NULL), 0);
	sched_free(s);
}

static void
test_sched_concurrency_and_backoff(void **state)
{
	struct sched *s = sched_two_tenants(4, 1);
	char id[JOB_ID_LEN], slot[JOB_SLOT_LEN];
	int64_t wake;

	sched_job_enqueue(s, "a1", "a", 0);
	sched_job_enqueue(s, "a2", "a", 0);
	sched_job_enqueue(s, "b1", "b", 500);
	sched_job_enqueue(s, "b2", "b", 0);
	assert_int_equal(sched_next(s, 100, id, slot, &wake), 1);
	assert_string_equal(id, "a1");
	/* a is at its limit of 1; b1 backs off until 500; b2 is next */
	assert_int_equal(sched_next(s, 100, id, slot, &wake), 1);
	assert_string_equal(id, "b2");
	assert_int_equal(sched_next(s, 100, id, slot, &wake), 0);
	assert_int_equal(wake, 500);
	assert_int_equal(sched_next(s, 500, id, slot, &wake), 1);
	assert_string_equal(id, "b1");
	assert_int_equal(sched_job_remove(s, "a2"), 0);
	assert_int_equal(sched_job_remove(s, "a2"), -KILN_ENOT_FOUND);
	assert_int_equal(sched_queued(s, "a"), 0);
	sched_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_sched_fifo),
		cmocka_unit_test(test_sched_concurrency_and_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
