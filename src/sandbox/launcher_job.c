/*
 * Starting and killing the launcher's jobs.  A job starts in an idle
 * worker of the warm pool when there is one (already in its own
 * cgroup), else in a worker spawned for it (sandbox_worker_spawn) and
 * attached to a cgroup made for it before it may run; a native job also
 * gets its root's binds, its libraries from the cache's manifest and the
 * harmless device nodes.  The worker then belongs to the child table
 * (launcher_child.c), with the job's output and log memfds and its
 * deadline.  A kill goes through the worker's pidfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/config.h"
#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#include "launcher_int.h"

/* A worker's cgroup: guest memory plus the runtime and the module, a
 * handful of tasks (a wasm worker never forks), one CPU. */
#define WORKER_MEM_OVERHEAD	(64ull << 20)
#define WORKER_PIDS_MAX		8
#define WORKER_CPU_MILLIS	1000
/* A native job may fork and run threads: its init, the program, and some. */
#define NATIVE_PIDS_MAX		64

/*
 * The binds of a native job's root: its libraries (the manifest in the
 * cache) and the harmless device nodes.  Returns how many, or -errno.
 */
static int
native_job_binds(struct launcher *l, const char *key, struct native_bind *b)
{
	static const char *const dev[] = { "/dev/null", "/dev/zero",
	    "/dev/random", "/dev/urandom" };
	static struct native_libs libs;
	char path[600];
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.libs", l->cache, key);
	if ((rc = native_libs_read(path, &libs)) < 0)
		return rc;
	memcpy(b, libs.b, (size_t)libs.n * sizeof(*b));
	for (i = 0; i < sizeof(dev) / sizeof(dev[0]); i++) {
		snprintf(b[libs.n + i].src, sizeof(b->src), "%s", dev[i]);
		snprintf(b[libs.n + i].dst, sizeof(b->dst), "%s", dev[i]);
	}
	return libs.n + (int)i;
}

void
launcher_job_start(struct launcher *l, const struct msg_start *s,
    const uint8_t *tail, size_t tlen, int input_fd)
{
	static struct native_bind binds[NATIVE_LIBS_MAX + 4];
	struct worker_spec spec;
	struct cgroup_limits limits;
	struct cgroup_job cg;
	struct lchild *c;
	char so[80], cache[512], **argv, **envp;
	size_t used = 0;
	int pfd[2], out_fd, log_fd, pidfd, rc;
	pid_t pid;

	if (s->argc > 4096 || s->envc > 4096)
		log_fatalx("core sent a start with %u args, %u env", s->argc,
		    s->envc);
	argv = xcalloc(s->argc + 2, sizeof(*argv));
	envp = xcalloc(s->envc + 1, sizeof(*envp));
	argv[0] = "main";
	if (msg_strings_split(tail, tlen, &used, argv + 1, s->argc) < 0 ||
	    msg_strings_split(tail, tlen, &used, envp, s->envc) < 0 ||
	    used != tlen)
		log_fatalx("core sent a malformed argv/env tail");
	snprintf(so, sizeof(so), "./%s.%s", s->cache_key,
	    s->kind == MODULE_NATIVE ? "exe" : "so");
	snprintf(cache, sizeof(cache), "%s/cache", l->conf->state_dir);
	out_fd = memfd_create("kiln-output", MFD_CLOEXEC);
	log_fd = memfd_create("kiln-log", MFD_CLOEXEC);
	if (out_fd < 0 || log_fd < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		log_warn("job %s: cannot set up the worker", s->id);
		launcher_done_send(l, s->id, DONE_START_FAILED, -1, 0,
		    "worker_failed", 0, -1, -1, "");
		goto out;
	}
	if (s->tenant_slot > CONFIG_MAX_TENANTS)
		log_fatalx("core sent a start for tenant slot %u",
		    s->tenant_slot);
	memset(&spec, 0, sizeof(spec));
	spec.uid = l->uid;
	spec.gid = l->gid;
	/* the tenant's own host ids, whoever it is inside */
	spec.host_uid = spec.host_gid = l->conf->job_uid_base +
	    s->tenant_slot * CONFIG_JOB_UID_RANGE;
	spec.workdir = cache;
	/* RLIMIT_CPU counts whole seconds; without cpu_ms, a backstop */
	spec.cpu_limit_s = s->cpu_ms ? (s->cpu_ms + 999) / 1000 :
	    s->timeout_ms / 1000 + 2;
	spec.result_fd = pfd[1];
	spec.job.so_path = so;
	spec.job.input_fd = s->has_input ? input_fd : -1;
	spec.job.stdout_fd = out_fd;
	spec.job.stderr_fd = log_fd;
	spec.job.output_max = s->output_max;
	spec.job.log_max = s->log_max;
	spec.job.max_pages = s->max_pages;
	spec.job.argc = (int)s->argc + 1;
	spec.job.argv = argv;
	spec.job.envc = (int)s->envc;
	spec.job.envp = envp;
	memcpy(spec.job.seed, s->seed, sizeof(spec.job.seed));
	spec.filter = &l->worker_filter;
	spec.native_filter = &l->native_filter;
	spec.min_isolation = (int)s->min_isolation;
	/* resources: the job's own cgroup, attached before it may run */
	limits.mem_bytes = (uint64_t)s->max_pages * WASM_PAGE_SIZE +
	    WORKER_MEM_OVERHEAD;
	limits.pids_max = WORKER_PIDS_MAX;
	limits.cpu_millis = WORKER_CPU_MILLIS;
	memset(&cg, 0, sizeof(cg));
	spec.cgroup_state = l->cg_err;
	spec.cgroup_limits = &limits;
	spec.cgroup_taken = &cg;
	if (s->kind == MODULE_NATIVE) {
		/* its own root (the binds) and seccomp profile */
		if ((rc = native_job_binds(l, s->cache_key, binds)) < 0) {
			log_warnx("job %s: native module's manifest: %s",
			    s->id, kiln_strerror(rc));
			close(pfd[0]);
			close(pfd[1]);
			launcher_done_send(l, s->id, DONE_START_FAILED, -1, 0,
			    "worker_failed", 0, -1, -1, "");
			goto out;
		}
		spec.native = 1;
		spec.binds = binds;
		spec.nbinds = rc;
		limits.pids_max = NATIVE_PIDS_MAX;
	}
	/* warm: an idle pooled worker, already in its own cgroup */
	if ((pid = sandbox_pool_take(&l->pool, &spec, &pidfd)) < 0) {
		if (pid != -EAGAIN)
			log_warnx("job %s: pooled worker: %s; spawning one",
			    s->id, kiln_strerror(pid));
		/* cold: a cgroup for the job, attached before it may run */
		spec.cgroup_state = l->cg_err;
		if (l->cg_err == 0 &&
		    (rc = cgroup_job_create(&l->cg, s->id, &limits, &cg)) < 0) {
			log_warnx("job %s: no cgroup: %s", s->id, kiln_strerror(rc));
			spec.cgroup_state = rc;
		} else if (l->cg_err == 0) {
			spec.cgroup_state = 1;
			spec.before_start = sandbox_cgroup_attach;
			spec.before_start_arg = &cg;
		}
		pid = sandbox_worker_spawn(&spec, &pidfd);
	}
	close(pfd[1]);
	if (pid < 0) {
		log_warnx("job %s: cannot spawn a worker: %s", s->id,
		    kiln_strerror(pid));
		if (spec.cgroup_state == 1)
			cgroup_job_destroy(&cg);
		close(pfd[0]);
		launcher_done_send(l, s->id, DONE_START_FAILED, -1, 0,
		    "worker_failed", 0, -1, -1, "");
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = KIND_WORKER;
	snprintf(c->key, sizeof(c->key), "%s", s->id);
	c->pid = pid;
	c->pidfd = pidfd;
	c->has_cgroup = spec.cgroup_state == 1;
	c->cpu_limit_s = spec.cpu_limit_s;
	c->cg = cg;
	c->result_fd = pfd[0];
	/* read as it comes: the marker, then the result before the exit */
	fcntl(c->result_fd, F_SETFL, O_NONBLOCK);
	c->out_fd = out_fd;
	c->log_fd = log_fd;
	out_fd = log_fd = -1;
	c->started_ns = now_mono_ns();
	c->deadline_ns = c->started_ns + (int64_t)s->timeout_ms * 1000000;
	launcher_child_add(l, c);
out:
	if (out_fd >= 0)
		close(out_fd);
	if (log_fd >= 0)
		close(log_fd);
	free(argv);
	free(envp);
}

void
launcher_job_kill(struct launcher *l, const char *id)
{
	int i;

	for (i = 0; i < l->nkids; i++) {
		if (l->kids[i]->kind == KIND_WORKER &&
		    strcmp(l->kids[i]->key, id) == 0) {
			l->kids[i]->killed = 1;
			launcher_pidfd_kill(l->kids[i]->pidfd);
		}
	}
}
