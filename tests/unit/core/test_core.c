/*
 * Unit tests of the job state table (src/base/job.c): every transition
 * DESIGN §1 allows and a sample of those it forbids, and the state names.
 * The scheduler's tests are in tests/unit/sched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kiln/job.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_transitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
