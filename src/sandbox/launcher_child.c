/*
 * The launcher's children: the table of its workers and compilers, and
 * what it hears from them.  A worker's result pipe first carries the
 * start marker (the job is RUNNING only then), then its result, which
 * the core hears at once; its pidfd says when it exited, and it is
 * reaped here, the job's end reported (IMSG_CORE_JOB_DONE) from its
 * result, or from how it died and what its cgroup saw.  A reaped compiler
 * is handed to launcher_compile.c.  When the core goes away every child
 * is killed and reaped here too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/msg.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#include "launcher_int.h"

int
launcher_pidfd_kill(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

void
launcher_child_add(struct launcher *l, struct lchild *c)
{
	if (l->nkids == MAX_CHILDREN)
		log_fatalx("too many children");	/* core bounds this */
	l->kids[l->nkids++] = c;
}

void
launcher_child_free(struct launcher *l, int i)
{
	struct lchild *c = l->kids[i];

	close(c->pidfd);
	if (c->scratch != NULL)
		compiler_scratch_remove(c->scratch);
	free(c->scratch);
	free(c->so_path);
	if (c->has_cgroup && cgroup_job_destroy(&c->cg) < 0)
		log_warnx("cgroup of %s not removed", c->key);
	if (c->result_fd >= 0)
		close(c->result_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->log_fd >= 0)
		close(c->log_fd);
	free(c);
	l->kids[i] = l->kids[--l->nkids];
}

void
launcher_done_send(struct launcher *l, const char *id, enum done_kind kind,
    int64_t exit_code, int sig, const char *reason, int64_t run_ns, int out_fd,
    int log_fd, const char *isolation)
{
	struct msg_done d;

	memset(&d, 0, sizeof(d));
	snprintf(d.id, sizeof(d.id), "%s", id);
	d.kind = kind;
	d.exit_code = exit_code;
	d.signal = sig;
	snprintf(d.reason, sizeof(d.reason), "%s", reason);
	d.run_ns = run_ns;
	snprintf(d.isolation, sizeof(d.isolation), "%s", isolation);
	launcher_send(l, IMSG_CORE_JOB_DONE, &d, sizeof(d), out_fd, log_fd);
}

const char *
launcher_signal_reason(int sig, char *buf, size_t len)
{
	if (sig == SIGXCPU)
		return "cpu_limit";
	snprintf(buf, len, "signal:SIG%s", sigabbrev_np(sig) ?
	    sigabbrev_np(sig) : "UNKNOWN");
	return buf;
}

/*
 * A worker writes one byte to its result pipe once its sandbox is in
 * place and just before it runs guest code: only then is the job RUNNING.
 * Returns whether it has.
 */
static int
worker_started(struct launcher *l, struct lchild *c)
{
	struct msg_job_ref r;
	uint8_t marker;

	if (c->running)
		return 1;
	if (read(c->result_fd, &marker, 1) != 1 ||
	    marker != WORKER_STARTED)
		return 0;
	c->running = 1;
	memset(&r, 0, sizeof(r));
	memcpy(r.id, c->key, sizeof(r.id) - 1);	/* a worker's key is a job id */
	launcher_send(l, IMSG_CORE_JOB_RUNNING, &r, sizeof(r), -1, -1);
	return 1;
}

/*
 * Reads the worker's result, if it wrote one: 1 with *wr filled, 0 when
 * not yet (the pipe is non-blocking), -1 when there is none to come (end
 * of file, or bytes that are not a result).
 */
static int
worker_result_read(struct lchild *c, struct worker_result *wr)
{
	ssize_t n;

	if (c->result_done)
		return -1;
	n = read(c->result_fd, wr, sizeof(*wr));
	if (n < 0 && errno == EAGAIN)
		return 0;
	c->result_done = 1;
	return n == sizeof(*wr) &&
	    memchr(wr->res.reason, 0, sizeof(wr->res.reason)) != NULL &&
	    memchr(wr->isolation, 0, sizeof(wr->isolation)) != NULL ? 1 : -1;
}

/*
 * Tells the core how a running worker's job ended, once: from its result
 * wr when got > 0, which is as soon as the worker writes it (its exit and
 * the teardown of its namespaces come after), else from how the worker
 * itself ended (status and ru of wait4).  The kernel's reasons, read from
 * the job's cgroup and the worker's CPU time, beat the signal's name.
 */
static void
worker_report(struct launcher *l, struct lchild *c, int got,
    const struct worker_result *wr, int status, const struct rusage *ru)
{
	char buf[JOB_REASON_LEN];
	int64_t run_ns = now_mono_ns() - c->started_ns;
	struct cgroup_outcome cg;
	int failed;

	got = got > 0;
	c->reported = 1;
	/* failed: the worker, or (native) the guest under it */
	failed = got ? wr->signal != 0 || wr->res.exit_code != 0 ||
	    wr->res.reason[0] != '\0' : WIFSIGNALED(status);
	buf[0] = '\0';
	if (c->has_cgroup && failed && cgroup_job_outcome(&c->cg, &cg) == 0) {
		if (cg.oom_kills > 0)
			snprintf(buf, sizeof(buf), "memory_limit");
		else if (cg.pids_max_hits > 0)
			snprintf(buf, sizeof(buf), "pids_limit");
	}
	/*
	 * A worker that used up its CPU time: SIGXCPU, or, as pid 1 of its
	 * namespace ignores SIGXCPU, the SIGKILL of the hard limit.
	 */
	if (buf[0] == '\0' && !got && WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL) &&
	    rusage_cpu_reached(ru, c->cpu_limit_s))
		snprintf(buf, sizeof(buf), "cpu_limit");
	if (c->timed_out)
		launcher_done_send(l, c->key, DONE_TIMED_OUT, -1, SIGKILL,
		    "timeout", run_ns, c->out_fd, c->log_fd, "");
	else if (c->killed)
		launcher_done_send(l, c->key, DONE_KILLED, -1, SIGKILL,
		    "cancelled", run_ns, c->out_fd, c->log_fd, "");
	else if (got && wr->signal != 0)
		launcher_done_send(l, c->key, DONE_SIGNALED, -1, wr->signal,
		    buf[0] ? buf : wr->res.reason[0] ? wr->res.reason :
		    launcher_signal_reason(wr->signal, buf, sizeof(buf)),
		    run_ns, c->out_fd, c->log_fd, wr->isolation);
	else if (got)
		launcher_done_send(l, c->key, DONE_EXITED, wr->res.exit_code,
		    0, buf[0] ? buf : wr->res.reason, run_ns, c->out_fd,
		    c->log_fd, wr->isolation);
	else if (WIFSIGNALED(status))
		launcher_done_send(l, c->key, DONE_SIGNALED, -1,
		    WTERMSIG(status), buf[0] ? buf :
		    launcher_signal_reason(WTERMSIG(status), buf, sizeof(buf)),
		    run_ns, c->out_fd, c->log_fd, "");
	else
		launcher_done_send(l, c->key, DONE_START_FAILED, -1, 0,
		    "worker_failed", run_ns, -1, -1, "");
}

void
launcher_child_result_poll(struct launcher *l, struct lchild *c)
{
	struct worker_result wr;
	int rc;

	if (!worker_started(l, c)) {
		c->result_done = 1;	/* closed: the pidfd tells the rest */
		return;
	}
	if (!c->reported && (rc = worker_result_read(c, &wr)) > 0)
		worker_report(l, c, rc, &wr, 0, NULL);
}

void
launcher_child_reap(struct launcher *l, int i)
{
	struct lchild *c = l->kids[i];
	struct worker_result wr;
	int status = 0;
	int64_t run_ns = now_mono_ns() - c->started_ns;
	struct rusage ru;

	if (wait4(c->pid, &status, 0, &ru) < 0)
		log_fatal("wait4");
	if (c->kind == KIND_COMPILER) {
		launcher_compile_reaped(l, i, status);
		return;
	}
	if (!worker_started(l, c)) {
		/* it died, or was killed, before running any guest code */
		if (c->killed)
			launcher_done_send(l, c->key, DONE_KILLED, -1, SIGKILL,
			    "cancelled", run_ns, -1, -1, "");
		else
			launcher_done_send(l, c->key, DONE_START_FAILED, -1, 0,
			    c->timed_out ? "start_timeout" : "worker_failed",
			    run_ns, -1, -1, "");
		launcher_child_free(l, i);
		return;
	}
	if (!c->reported)
		worker_report(l, c, worker_result_read(c, &wr), &wr, status,
		    &ru);
	launcher_child_free(l, i);
}

int
launcher_child_starting(const struct launcher *l)
{
	int i;

	for (i = 0; i < l->nkids; i++)
		if (l->kids[i]->kind == KIND_WORKER && !l->kids[i]->running)
			return 1;
	return 0;
}

/*
 * The core has gone: nobody hears about the children; the next core
 * requeues their jobs.
 */
void
launcher_child_stop_all(struct launcher *l)
{
	int i;

	sandbox_pool_drain(&l->pool);
	for (i = l->nkids - 1; i >= 0; i--) {
		launcher_pidfd_kill(l->kids[i]->pidfd);
		while (waitpid(l->kids[i]->pid, NULL, 0) < 0 && errno == EINTR)
			;
		launcher_child_free(l, i);
	}
}
