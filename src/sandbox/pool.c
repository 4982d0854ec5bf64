/*
 * The warm pool, after Android's USAP pool: the launcher keeps a few idle
 * workers that sandbox_worker_spawn already created in their namespaces,
 * parked in worker_run on a SOCK_SEQPACKET socket before
 * anything job-specific.  A job takes one: the launcher writes its id
 * maps and its cgroup's limits, then sends the job's fields and
 * descriptors in one message (IMSG_WORKER_JOB), and the worker
 * specialises exactly as a cold one would (same layers, same report), as
 * a wasm or a native worker.  A pooled worker serves one job and exits; the
 * launcher refills the pool from its poll loop, after the job is on its
 * way.  Idle workers carry the comm SANDBOX_POOL_COMM (set around the
 * clone, so even a fresh one has it) and die with the launcher.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/msg.h"
#include "kiln/sandbox.h"

/* Kills (if it still runs), reaps and releases an idle worker. */
static void
pool_worker_discard(struct sandbox_pool_worker *w)
{
	syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(w->pidfd);
	close(w->sock);
	if (w->maps[0] >= 0) {
		close(w->maps[0]);
		close(w->maps[1]);
	}
	if (w->has_cg)
		cgroup_job_destroy(&w->cg);
}

/* Appends n strings of vec to buf (MSG_MAX bytes) at *off; -E2BIG when
 * they do not fit in one message. */
static int
pool_tail_put(char *buf, size_t *off, char *const *vec, int n)
{
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = strlen(vec[i]) + 1;
		if (len > MSG_MAX - sizeof(struct msg_hdr) -
		    sizeof(struct msg_worker_job) - *off)
			return -E2BIG;
		memcpy(buf + *off, vec[i], len);
		*off += len;
	}
	return 0;
}

void
sandbox_pool_init(struct sandbox_pool *pool, const struct worker_spec *tmpl,
    int target)
{
	memset(pool, 0, sizeof(*pool));
	pool->tmpl.uid = tmpl->uid;
	pool->tmpl.gid = tmpl->gid;
	pool->tmpl.workdir = tmpl->workdir;
	pool->tmpl.filter = tmpl->filter;
	pool->tmpl.native_filter = tmpl->native_filter;
	pool->tmpl.body = tmpl->body;
	pool->target = target < 0 ? 0 : target > SANDBOX_POOL_MAX ?
	    SANDBOX_POOL_MAX : target;
}

int
sandbox_pool_fill(struct sandbox_pool *pool)
{
	struct sandbox_pool_worker *w;
	struct worker_spec spec;
	struct cgroup_job cg;
	char name[48];
	int sv[2], pidfd, rc;
	pid_t pid;

	if (pool->n >= pool->target)
		return 0;
	if (pool->cg != NULL) {
		snprintf(name, sizeof(name), "pool-%llu",
		    (unsigned long long)++pool->made);
		if ((rc = cgroup_job_create(pool->cg, name, &pool->preset,
		    &cg)) < 0)
			return rc;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	spec = pool->tmpl;
	spec.result_fd = spec.sync_fd = spec.parent_pidfd = -1;
	spec.job.input_fd = spec.job.stdout_fd = spec.job.stderr_fd = -1;
	spec.pooled = 1;
	spec.pool_fd = sv[1];
	if (pool->cg != NULL) {
		/* in its own cgroup from the start (the job's, once taken) */
		spec.cgroup_state = 1;
		spec.before_start = sandbox_cgroup_attach;
		spec.before_start_arg = &cg;
	}
	/* the child inherits the comm: idle from its first instruction */
	prctl(PR_GET_NAME, spec.comm);
	prctl(PR_SET_NAME, SANDBOX_POOL_COMM);
	pid = sandbox_worker_spawn(&spec, &pidfd);
	prctl(PR_SET_NAME, spec.comm);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		if (pool->cg != NULL)
			cgroup_job_destroy(&cg);
		return pid;
	}
	w = &pool->w[pool->n];
	w->pid = pid;
	w->pidfd = pidfd;
	w->sock = sv[0];
	if ((w->has_cg = pool->cg != NULL)) {
		w->cg = cg;
		w->limits = pool->preset;
	}
	/* opened now, written when a job (and its tenant) takes it */
	w->maps[0] = w->maps[1] = -1;
	if ((spec.report.layers & SANDBOX_USERNS) &&
	    (rc = sandbox_worker_maps_open(pid, w->maps)) < 0) {
		pool_worker_discard(w);
		return rc;
	}
	pool->n++;
	return 1;
}

pid_t
sandbox_pool_take(struct sandbox_pool *pool, struct worker_spec *spec,
    int *pidfd)
{
	static char tail[MSG_MAX];
	struct msg_worker_job wj;
	struct sandbox_pool_worker w;
	size_t tlen = 0;
	int fds[4], nfds = 3, i, rc;

	if (pool->n == 0)
		return -EAGAIN;
	if (spec->uid != pool->tmpl.uid || spec->gid != pool->tmpl.gid ||
	    spec->filter != pool->tmpl.filter ||
	    spec->native_filter != pool->tmpl.native_filter ||
	    spec->body != pool->tmpl.body || spec->workdir == NULL ||
	    pool->tmpl.workdir == NULL ||
	    strcmp(spec->workdir, pool->tmpl.workdir) != 0)
		return -EINVAL;
	memset(&wj, 0, sizeof(wj));
	/* "" stands for no module (a test or probe body) */
	if (spec->job.so_path != NULL && (spec->job.so_path[0] == '\0' ||
	    (size_t)snprintf(wj.so_path, sizeof(wj.so_path), "%s",
	    spec->job.so_path) >= sizeof(wj.so_path)))
		return -ENAMETOOLONG;
	rc = pool_tail_put(tail, &tlen, spec->job.argv, spec->job.argc);
	if (rc == 0)
		rc = pool_tail_put(tail, &tlen, spec->job.envp,
		    spec->job.envc);
	for (i = 0; i < spec->nbinds && rc == 0; i++)
		rc = pool_tail_put(tail, &tlen, (char *[]){
		    (char *)spec->binds[i].src, (char *)spec->binds[i].dst },
		    2);
	if (rc < 0)
		return rc;
	wj.output_max = spec->job.output_max;
	wj.log_max = spec->job.log_max;
	wj.max_pages = spec->job.max_pages;
	wj.cpu_limit_s = spec->cpu_limit_s;
	wj.argc = (uint32_t)spec->job.argc;
	wj.envc = (uint32_t)spec->job.envc;
	wj.cgroup_state = spec->cgroup_state;
	wj.min_isolation = (uint32_t)spec->min_isolation;
	wj.has_input = spec->job.input_fd >= 0;
	wj.native = spec->native != 0;
	wj.nbinds = (uint32_t)spec->nbinds;
	memcpy(wj.seed, spec->job.seed, sizeof(wj.seed));
	fds[0] = spec->result_fd;
	fds[1] = spec->job.stdout_fd;
	fds[2] = spec->job.stderr_fd;
	if (wj.has_input)
		fds[nfds++] = spec->job.input_fd;

	w = pool->w[--pool->n];
	/* who it is on the host: the tenant's ids */
	if (w.maps[0] >= 0 && (rc = sandbox_worker_map(w.maps, spec)) < 0)
		goto discard;
	if (w.has_cg && spec->cgroup_limits != NULL &&
	    spec->cgroup_taken != NULL) {
		/* its own cgroup, attached since birth: just the limits,
		 * unless they are already the job's */
		if (memcmp(&w.limits, spec->cgroup_limits,
		    sizeof(w.limits)) != 0 && (rc = cgroup_job_limits_set(
		    &w.cg, spec->cgroup_limits)) < 0)
			goto discard;
		pool->preset = *spec->cgroup_limits;
		wj.cgroup_state = spec->cgroup_state = 1;
	} else if (spec->before_start != NULL &&
	    (rc = spec->before_start(w.pid, spec->before_start_arg)) != 0) {
		rc = rc < 0 ? rc : -EIO;
		goto discard;
	}
	if ((rc = msg_sendv(w.sock, IMSG_WORKER_JOB, 0, &wj, sizeof(wj), tail,
	    tlen, fds, nfds)) < 0)
		goto discard;
	close(w.sock);
	if (spec->cgroup_state == 1 && w.has_cg)
		*spec->cgroup_taken = w.cg;	/* the caller's now */
	else if (w.has_cg)
		cgroup_job_destroy(&w.cg);	/* unused: the job has one */
	*pidfd = w.pidfd;
	return w.pid;
discard:
	pool_worker_discard(&w);
	return rc;
}

void
sandbox_pool_reap(struct sandbox_pool *pool, int i)
{
	pool_worker_discard(&pool->w[i]);	/* it exited: no kill lands */
	pool->w[i] = pool->w[--pool->n];
}

void
sandbox_pool_drain(struct sandbox_pool *pool)
{
	while (pool->n > 0)
		pool_worker_discard(&pool->w[--pool->n]);
}
