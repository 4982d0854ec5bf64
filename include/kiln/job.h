/*
 * The job record and the lifecycle state machine of DESIGN §1.  The table of
 * allowed transitions lives in src/base/job.c; everything that changes a
 * job's state goes through job_transition_allowed() first.
 */
#ifndef KILN_JOB_H
#define KILN_JOB_H

#include <stdbool.h>
#include <stdint.h>

enum job_state {
	JOB_PENDING,
	JOB_VERIFYING,
	JOB_QUEUED,
	JOB_SCHEDULED,
	JOB_RUNNING,
	JOB_SUCCEEDED,
	JOB_FAILED,
	JOB_TIMED_OUT,
	JOB_CANCELLED,
	JOB_REJECTED,
	JOB_DEAD_LETTER,
	JOB_STATE_COUNT
};

/* What a module is: a WebAssembly module or a native ELF executable. */
enum module_kind {
	MODULE_WASM = 1,
	MODULE_NATIVE = 2,
};

#define JOB_ID_LEN	32	/* "job_" + 24 hex + NUL fits */
#define JOB_TENANT_LEN	64
#define JOB_DIGEST_LEN	72	/* "sha256:" + 64 hex + NUL */
#define JOB_PROFILE_LEN	32
#define JOB_IDEM_LEN	129	/* 1-128 printable ASCII + NUL (API.md) */
#define JOB_REASON_LEN	64
#define JOB_SLOT_LEN	32
#define JOB_ISOLATION_LEN 512

/*
 * One job as journaled.  Fixed-size strings are NUL-terminated; an empty
 * string means "none".  spec_json is the canonical JSON of the parts of the
 * spec without a column of their own ({"args":[...],"env":{...}}), owned by
 * the record: release it with job_clear().
 */
struct job {
	char id[JOB_ID_LEN];
	char tenant[JOB_TENANT_LEN];
	enum job_state state;
	char module[JOB_DIGEST_LEN];	/* "sha256:<hex>" of the .wasm */
	char input[JOB_DIGEST_LEN];	/* blob digest of the input, or "" */
	char profile[JOB_PROFILE_LEN];
	uint32_t timeout_ms;
	char idem_key[JOB_IDEM_LEN];
	char *spec_json;
	uint32_t attempts;		/* infrastructure retries so far */
	int64_t exit_code;		/* guest exit status (u32), -1: none */
	char reason[JOB_REASON_LEN];	/* machine-readable, "" when none */
	char output[JOB_DIGEST_LEN];	/* blob digest of stdout, or "" */
	char log[JOB_DIGEST_LEN];	/* blob digest of stderr, or "" */
	uint64_t output_bytes;
	uint64_t log_bytes;
	char slot[JOB_SLOT_LEN];	/* slot it holds or last held, or "" */
	/*
	 * The sandbox its last worker ran in, as the worker reported it:
	 * compact JSON {"level":"L4","layers":[...],"degraded":[...]}, or ""
	 * before any worker ran.
	 */
	char isolation[JOB_ISOLATION_LEN];
	int64_t created_ns;		/* CLOCK_REALTIME, 0 when not yet */
	int64_t started_ns;
	int64_t finished_ns;
	int64_t seq;			/* journal order, assigned on insert */
};

/* Stable upper-case names ("QUEUED"); NULL for an out-of-range state. */
const char *job_state_name(enum job_state s);
/* Parses a name as job_state_name() writes it; -1 when unknown. */
int job_state_parse(const char *name);
bool job_state_is_terminal(enum job_state s);
/* Whether DESIGN §1 allows from -> to. */
bool job_transition_allowed(enum job_state from, enum job_state to);
/* Frees what the record owns (spec_json) and zeroes it. */
void job_clear(struct job *j);

#endif
