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
	char slot[JOB_SLOT_LEN];
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
	struct config *conf;
	struct store *st;
	struct sched *sched;
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
 * core_proc.c: answers and commands, queued in the outbox and all sent
 * after the commit.  The core answers each api request exactly once, with
 * a result code and typed data (msg.h); the api alone knows HTTP.
 */
/* rc 0 with len bytes of body's data; created as msg_reply says. */
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
/* The record the API shows of a journaled job. */
void core_job_rec(const struct job *j, struct msg_job_rec *r);
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

/* core_modules.c */
void core_module_put(struct core *c, uint64_t req, const struct msg_tenant *t,
    int fd);
void core_module_compiled(struct core *c, const struct msg_compiled *r);
void core_compiles_forget(struct core *c);
void core_compiles_fail(struct core *c, const char *why);

#endif
