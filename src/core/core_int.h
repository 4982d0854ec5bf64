/*
 * The core's private state and the functions its files share.  Handlers
 * run inside the loop's open transaction and queue their answers with
 * core_reply*() / core_launcher_send(); nothing leaves before the commit.
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

/* core_proc.c: answers and commands, all sent after the commit. */
void core_reply(struct core *c, uint64_t req, int status, enum problem pb,
    enum reply_body kind, const char *location, const void *body,
    size_t len, uint32_t retry_after);
void core_reply_fd(struct core *c, uint64_t req, enum reply_body kind,
    int fd);
void core_problem(struct core *c, uint64_t req, int status, enum problem pb,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void core_launcher_send(struct core *c, uint32_t type, const void *p,
    size_t n, const void *tail, size_t tlen, int fd);

/* core_jobs.c */
void core_recover(struct core *c);
void core_schedule(struct core *c);
void core_job_submit(struct core *c, uint64_t req, const struct msg_submit *s,
    const char *spec, size_t speclen, int input_fd);
void core_job_get(struct core *c, uint64_t req, const struct msg_job_ref *r);
void core_job_list(struct core *c, uint64_t req, const struct msg_list *l);
void core_job_cancel(struct core *c, uint64_t req,
    const struct msg_job_ref *r);
void core_job_output(struct core *c, uint64_t req,
    const struct msg_job_ref *r, int log);
void core_job_events(struct core *c, uint64_t req,
    const struct msg_job_ref *r);
void core_job_running(struct core *c, const char *id);
void core_job_done(struct core *c, const struct msg_done *d, int out_fd,
    int log_fd);
void core_launcher_lost(struct core *c);
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

/* core_modules.c */
void core_module_put(struct core *c, uint64_t req, const struct msg_tenant *t,
    int fd);
void core_module_compiled(struct core *c, const struct msg_compiled *r);
void core_compiles_forget(struct core *c);
void core_compiles_fail(struct core *c, const char *why);

#endif
