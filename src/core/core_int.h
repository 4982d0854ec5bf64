/*
 * The core's private state and the functions its files share, by file:
 * core_proc.c (entry point, loop, dispatch), core_outbox.c, core_submit.c,
 * core_lifecycle.c, core_query.c, core_recover.c, core_modules.c.
 * Handlers run inside the loop's open transaction and queue their answers
 * with core_reply*() / core_launcher_send(); nothing leaves before the
 * commit.
 */
#ifndef KILN_CORE_INT_H
#define KILN_CORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/config.h"
#include "kiln/gpu.h"
#include "kiln/job.h"
#include "kiln/msg.h"
#include "kiln/obs.h"

struct outmsg {
	int to_launcher;
	uint64_t api_gen;	/* replies go only to the api that asked */
	uint32_t type;
	uint64_t id;
	uint8_t *bytes;		/* payload then tail */
	size_t plen, len;
	int fds[2];		/* owned: closed once sent */
};

/* A job holding a slot (SCHEDULED or RUNNING). */
struct run {
	char id[JOB_ID_LEN];
	char tenant[JOB_TENANT_LEN];
	struct gpu_lease lease;	/* from sched_next; its name is j.slot */
	uint64_t cancel_req;	/* api request waiting for the end, 0: none */
	int cancel_wanted;
};

/* Module pushes waiting for one compilation. */
struct compile_wait {
	char digest[JOB_DIGEST_LEN];
	enum module_kind kind;
	struct {
		uint64_t req;
		char tenant[JOB_TENANT_LEN];
		uint64_t size;
	} *w;
	size_t nw;
};

struct core {
	struct config *conf;		/* the current configuration */
	struct config *conf_prev;	/* the one before a reload, or NULL */
	struct store *st;
	struct sched *sched;
	struct gpu_alloc *gpus;	/* the scheduler's allocator */
	int parent_fd, api_fd, launcher_fd;
	uint64_t api_gen;	/* bumped for every new api connection */
	struct outmsg *out;
	size_t nout, capout;
	struct run *runs;
	size_t nruns, capruns;
	struct compile_wait *compiles;
	size_t ncompiles;
	int64_t sched_wake_ns;	/* earliest backoff expiry, 0: none */
	int node_level;		/* launcher's isolation level, -1: unknown */
	int draining;
	int64_t drain_deadline_ns;
	uint64_t states[JOB_STATE_COUNT];
	struct obs_hist wait_hist;	/* created -> started */
	struct obs_hist run_hist;	/* started -> finished */
	uint64_t submitted, requeued;
};

/*
 * Every handler below runs inside the loop's open transaction.  A handler
 * given an api request id `req` answers it exactly once (at once, or later
 * for a cancel waiting on its worker and a module push waiting on its
 * compilation), unless its api goes away first.  A store failure is fatal
 * (log_fatalx): the parent restarts the core, which recovers.
 */

/*
 * core_outbox.c: answers and commands, queued and all sent after the
 * commit.  Each answer is a result code and typed data (msg.h); the api
 * alone knows HTTP.
 */
/* rc 0 with len bytes of body's data (copied); created as in msg_reply. */
void core_reply(struct core *c, uint64_t req, enum reply_body body,
    int created, const void *data, size_t len);
/* rc 0 with body's bytes in fd, which the outbox owns from now on. */
void core_reply_fd(struct core *c, uint64_t req, enum reply_body body,
    int fd);
/* rc, a -KILN_E* code, with a one-line detail for the client. */
void core_reply_error(struct core *c, uint64_t req, int rc,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* rc 0 with the record of job j (REPLY_JOB). */
void core_reply_job(struct core *c, uint64_t req, const struct job *j,
    int created);
/* The record the API shows of a journaled job (every byte written). */
void core_job_rec(const struct job *j, struct msg_job_rec *r);
/* Queues a command for the launcher; fd (or -1) is owned from now on. */
void core_launcher_send(struct core *c, uint32_t type, const void *p,
    size_t n, const void *tail, size_t tlen, int fd);
/*
 * Sends what the outbox holds, in order, and empties it; only after the
 * commit.  Replies for an api that has gone since are dropped; every fd
 * queued is closed.  Send errors are logged: the peer's loss is noticed
 * by the loop.
 */
void core_outbox_flush(struct core *c);

/* core_submit.c */
/*
 * A submission: admits s (spec: its canonical JSON, speclen bytes;
 * input_fd: the input, or -1, still owned by the caller) and answers with
 * the new job (created), an earlier job of the same Idempotency-Key and
 * request (not created), or -KILN_EUNAUTHORIZED, -KILN_EUNAVAILABLE,
 * -KILN_EINVAL_REQUEST, -KILN_ETOO_LARGE, -KILN_ECONFLICT,
 * -KILN_EUNKNOWN_MODULE, -KILN_EQUEUE_FULL or -KILN_EGLOBAL_QUEUE_FULL.
 */
void core_job_submit(struct core *c, uint64_t req, const struct msg_submit *s,
    const char *spec, size_t speclen, int input_fd);

/* core_lifecycle.c: the transitions */
/*
 * Moves j to `to` (which job_transition_allowed() must allow: anything
 * else is a bug and fatal), sets its reason when reason is not NULL and
 * its started/finished times, journals it with its event, keeps the state
 * counts and logs it.  Sends nothing and touches neither the scheduler
 * nor the runs.
 */
void core_job_move(struct core *c, struct job *j, enum job_state to,
    const char *reason);
/*
 * An infrastructure failure of j (SCHEDULED or RUNNING, its slot already
 * given back or never held): one more attempt, then QUEUED again with
 * exponential backoff in the scheduler, or DEAD_LETTER after
 * max_attempts.
 */
void core_job_retry(struct core *c, struct job *j, const char *reason);
/*
 * Starts what the scheduler grants while a launcher is connected: each job
 * goes SCHEDULED, holds its slot as a run, and its start command is
 * queued.
 */
void core_schedule(struct core *c);
/*
 * Cancels the caller's job: a queued job at once, a running one once the
 * launcher reports its worker gone (the answer waits till then); answers
 * with the job, -KILN_ENOT_FOUND or -KILN_EJOB_TERMINAL.
 */
void core_job_cancel(struct core *c, uint64_t req,
    const struct msg_job_ref *r);
/* The launcher's reports: the job's worker runs guest code; it ended. */
void core_job_running(struct core *c, const char *id);
/* out_fd and log_fd (or -1) stay the caller's. */
void core_job_done(struct core *c, const struct msg_done *d, int out_fd,
    int log_fd);
/*
 * The launcher went away (its fd is closed here): every run is requeued
 * (or cancelled, as asked), waiting pushes fail with -KILN_EUNAVAILABLE
 * and the node's isolation level is unknown until the next hello.
 */
void core_launcher_lost(struct core *c);

/* core_query.c: reads */
/*
 * Loads the job r names into *j when it belongs to r's tenant and returns
 * 0 (release *j with job_clear()); otherwise answers req with
 * -KILN_ENOT_FOUND and returns it.
 */
int core_job_visible(struct core *c, uint64_t req,
    const struct msg_job_ref *r, struct job *j);
/* Answer with the job, -KILN_ENOT_FOUND. */
void core_job_get(struct core *c, uint64_t req, const struct msg_job_ref *r);
/* Answer with a page (REPLY_JOB_PAGE) or -KILN_EINVAL_REQUEST. */
void core_job_list(struct core *c, uint64_t req, const struct msg_list *l);
/*
 * Answer with the output (log: the log) of an ended job, its blob as an
 * fd, or -KILN_ENOT_FOUND, -KILN_EJOB_NOT_FINISHED.
 */
void core_job_output(struct core *c, uint64_t req,
    const struct msg_job_ref *r, int log);
/* Answer with the job's events (REPLY_EVENTS) or -KILN_ENOT_FOUND. */
void core_job_events(struct core *c, uint64_t req,
    const struct msg_job_ref *r);
/* REPLY_READY, or -KILN_EUNAVAILABLE: draining, or no launcher's hello. */
void core_ready(struct core *c, uint64_t req);
/* The core's metrics as Prometheus text (REPLY_METRICS). */
void core_metrics(struct core *c, uint64_t req);

/* core_sched.c: the allocator and scheduler from the config. */
void core_sched_new(struct core *c);
/*
 * Declares every tenant of c->conf to the scheduler again, with its
 * concurrency (0 for a removed tenant: its jobs stay queued, none starts):
 * at start and after a reload.
 */
void core_sched_tenants(struct core *c);
/* Queues j for its profile; fatal when the scheduler refuses it. */
void core_sched_enqueue(struct core *c, const struct job *j,
    int64_t not_before_ns);

/* core_recover.c */
/*
 * At start, in the first transaction, before any message: counts the
 * states, brings every live job of a configured tenant back (verified
 * again, or requeued with one more attempt) and enqueues the queued ones
 * in journal order.  Terminal jobs are never touched.
 */
void core_recover(struct core *c);

/* core_modules.c */
void core_module_put(struct core *c, uint64_t req, const struct msg_tenant *t,
    int fd);
void core_module_compiled(struct core *c, const struct msg_compiled *r);
void core_compiles_forget(struct core *c);
void core_compiles_fail(struct core *c, const char *why);

#endif
