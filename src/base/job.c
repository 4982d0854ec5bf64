/*
 * The job lifecycle of DESIGN §1 as one table: state names and the allowed
 * transitions.  The core consults it before every state change, so an
 * illegal transition is a bug caught at the point it would happen.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln/job.h"

static const char *const state_names[JOB_STATE_COUNT] = {
	[JOB_PENDING] = "PENDING",
	[JOB_VERIFYING] = "VERIFYING",
	[JOB_QUEUED] = "QUEUED",
	[JOB_SCHEDULED] = "SCHEDULED",
	[JOB_RUNNING] = "RUNNING",
	[JOB_SUCCEEDED] = "SUCCEEDED",
	[JOB_FAILED] = "FAILED",
	[JOB_TIMED_OUT] = "TIMED_OUT",
	[JOB_CANCELLED] = "CANCELLED",
	[JOB_REJECTED] = "REJECTED",
	[JOB_DEAD_LETTER] = "DEAD_LETTER",
};

#define TO(s) (1u << (s))

/* next[from] is the set of states a job in `from` may move to. */
static const unsigned next[JOB_STATE_COUNT] = {
	[JOB_PENDING] = TO(JOB_VERIFYING),
	[JOB_VERIFYING] = TO(JOB_QUEUED) | TO(JOB_REJECTED),
	[JOB_QUEUED] = TO(JOB_SCHEDULED) | TO(JOB_CANCELLED),
	[JOB_SCHEDULED] = TO(JOB_RUNNING) | TO(JOB_QUEUED) | TO(JOB_CANCELLED) |
	    TO(JOB_DEAD_LETTER),
	[JOB_RUNNING] = TO(JOB_SUCCEEDED) | TO(JOB_FAILED) | TO(JOB_TIMED_OUT) |
	    TO(JOB_CANCELLED) | TO(JOB_QUEUED) | TO(JOB_DEAD_LETTER),
};

const char *
job_state_name(enum job_state s)
{
	if ((unsigned)s >= JOB_STATE_COUNT)
		return NULL;
	return state_names[s];
}

int
job_state_parse(const char *name)
{
	int s;

	for (s = 0; s < JOB_STATE_COUNT; s++)
		if (strcmp(state_names[s], name) == 0)
			return s;
	return -1;
}

bool
job_state_is_terminal(enum job_state s)
{
	return s >= JOB_SUCCEEDED && s < JOB_STATE_COUNT;
}

bool
job_transition_allowed(enum job_state from, enum job_state to)
{
	if ((unsigned)from >= JOB_STATE_COUNT || (unsigned)to >= JOB_STATE_COUNT)
		return false;
	return (next[from] & TO(to)) != 0;
}

void
job_clear(struct job *j)
{
	free(j->spec_json);
	memset(j, 0, sizeof(*j));
}
