/*
 * The launcher process (root): started before the parent grows, it spawns
 * one sandboxed worker per job (sandbox_worker_spawn: clone3 into new
 * namespaces, with the seccomp filters, wasm and native, compiled here
 * once at start), or takes one from its warm pool (src/sandbox/pool.c,
 * refilled from the poll loop); it forks one compiler per new wasm module
 * and resolves a new native module's libraries itself, and is the only
 * process that kills its children.  Wall-clock deadlines are enforced
 * here through pidfds; CPU time by RLIMIT_CPU in the worker.  It talks
 * only to the core; when the core goes away it kills and reaps its
 * children, removes their cgroups and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/proc.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#define MAX_CHILDREN	1024
/* A worker's cgroup: guest memory plus the runtime and the module, a
 * handful of tasks (a wasm worker never forks), one CPU. */
#define WORKER_MEM_OVERHEAD	(64ull << 20)
#define WORKER_PIDS_MAX		8
#define WORKER_CPU_MILLIS	1000
/* A native job may fork and run threads: its init, the program, and some. */
#define NATIVE_PIDS_MAX		64

enum child_kind { KIND_WORKER, KIND_COMPILER };

struct lchild {
	enum child_kind kind;
	char key[JOB_ID_LEN > JOB_DIGEST_LEN ? JOB_ID_LEN : JOB_DIGEST_LEN];
	pid_t pid;
	int pidfd;
	int result_fd;		/* read end of the child's result pipe */
	int out_fd, log_fd;	/* worker: output and log memfds */
	int64_t started_ns;
	int64_t deadline_ns;	/* 0: none */
	int timed_out, killed;
	uint32_t cpu_limit_s;	/* worker: its RLIMIT_CPU */
	int running;		/* worker: reported its sandbox in place */
	int result_done;	/* worker: its result pipe has said all */
	int reported;		/* worker: the core knows how the job ended */
	int has_cgroup;		/* worker: cg is its own cgroup */
	struct cgroup_job cg;
	char *scratch;		/* compiler: its directory, removed at exit */
	char *so_path;		/* compiler: where the result is installed */
};

struct launcher {
	struct config *conf;
	uid_t uid;		/* workers run as conf->user */
	gid_t gid;
	int core_fd;
	struct sandbox_bpf worker_filter;	/* compiled once, at start */
	struct sandbox_bpf native_filter;	/* the native profile's */
	struct cgroup_env cg;		/* where job cgroups go, if anywhere */
	uint64_t compiles;		/* names compiler scratch dirs */
	int compile_as_user;		/* else uid 0 without capabilities */
	int cg_err;			/* why there are none: -errno, or 0 */
	struct lchild *kids[MAX_CHILDREN];
	int nkids;
	char cache[512];		/* the workers' workdir */
	struct sandbox_pool pool;	/* idle workers, DESIGN §2 */
	int64_t pool_retry_ns;		/* after a failed refill */
};

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int
pidfd_kill(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static void
child_add(struct launcher *l, struct lchild *c)
{
	if (l->nkids == MAX_CHILDREN)
		log_fatalx("too many children");	/* core bounds this */
	l->kids[l->nkids++] = c;
}

static void
child_free(struct launcher *l, int i)
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

static void
send_or_die(struct launcher *l, uint32_t type, const void *p, size_t n,
    int fd0, int fd1)
{
	if (msg_send(l->core_fd, type, 0, p, n, NULL, 0, fd0, fd1) < 0)
		log_fatal("send %s to core", msg_type_name(type));
}

static void
compiled_reply(struct launcher *l, const char *digest, int rc,
    const char *why)
{
	struct msg_compiled r;

	memset(&r, 0, sizeof(r));
	snprintf(r.digest, sizeof(r.digest), "%s", digest);
	r.rc = rc;
	snprintf(r.why, sizeof(r.why), "%s", why);
	send_or_die(l, IMSG_CORE_COMPILED, &r, sizeof(r), -1, -1);
}

/*
 * A native module: resolves on this host the libraries the core found it
 * needs, and installs the executable and its manifest into the cache.
 * Answers at once: nothing here runs the tenant's bytes.
 */
static void
native_prepare(struct launcher *l, const struct msg_compile *req,
    const uint8_t *tail, size_t tlen, int exe_fd)
{
	static char needed[NATIVE_NEEDED_MAX][NATIVE_NAME_MAX];
	static struct native_libs libs;
	char *names[NATIVE_NEEDED_MAX + 1], path[600], why[256];
	struct stat st;
	size_t used = 0;
	uint32_t i;
	int rc;

	if (msg_strings_split(tail, tlen, &used, names, req->nneeded) < 0 ||
	    used != tlen)
		log_fatalx("core sent a malformed list of libraries");
	for (i = 0; i < req->nneeded; i++) {
		if (strlen(names[i]) >= NATIVE_NAME_MAX ||
		    strchr(names[i], '/') != NULL)
			log_fatalx("core sent a malformed library name");
		snprintf(needed[i], sizeof(needed[i]), "%s", names[i]);
	}
	snprintf(path, sizeof(path), "%s/%s.exe", l->cache, req->cache_key);
	if (stat(path, &st) == 0) {
		compiled_reply(l, req->digest, 0, "");
		return;
	}
	if ((rc = native_libs_resolve("/", req->interp, needed,
	    (int)req->nneeded, &libs, why, sizeof(why))) < 0) {
		compiled_reply(l, req->digest, -KILN_EINVAL_MODULE, why);
		return;
	}
	if ((rc = native_install(l->cache, req->cache_key, exe_fd,
	    l->conf->max_module_bytes, &libs)) < 0) {
		log_warnx("native module %s: install: %s", req->digest,
		    kiln_strerror(rc));
		compiled_reply(l, req->digest, rc,
		    "cannot install the executable");
		return;
	}
	compiled_reply(l, req->digest, 0, "");
}

static void
compile_start(struct launcher *l, const struct msg_compile *req, int wasm_fd)
{
	struct compiler_spec spec;
	struct lchild *c;
	struct stat st;
	char so[600], scratch[600];
	int pfd[2], rc;
	pid_t pid;

	snprintf(so, sizeof(so), "%s/cache/%s.so", l->conf->state_dir,
	    req->cache_key);
	if (stat(so, &st) == 0) {
		compiled_reply(l, req->digest, 0, "");
		return;
	}
	snprintf(scratch, sizeof(scratch), "%s/tmp/%s.%llu",
	    l->conf->state_dir, req->cache_key,
	    (unsigned long long)++l->compiles);
	/* the scratch dir belongs to whoever compiles in it */
	if ((rc = compiler_scratch_prepare(scratch, wasm_fd,
	    l->conf->max_module_bytes, l->compile_as_user ? l->uid : 0,
	    l->compile_as_user ? l->gid : 0)) < 0) {
		log_warnx("compiler scratch %s: %s", scratch, kiln_strerror(rc));
		compiler_scratch_remove(scratch);
		compiled_reply(l, req->digest, rc, "compiler scratch");
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		compiler_scratch_remove(scratch);
		compiled_reply(l, req->digest, -errno, "pipe");
		return;
	}
	spec.digest = req->digest;
	spec.scratch = scratch;
	spec.as_user = l->compile_as_user;
	spec.uid = l->uid;
	spec.gid = l->gid;
	spec.cpu_s = l->conf->compile_timeout_ms / 1000 + 1;
	spec.mem_bytes = (uint64_t)l->conf->compile_memory_mb << 20;
	spec.result_fd = pfd[1];
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		compiler_run(&spec);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		compiler_scratch_remove(scratch);
		compiled_reply(l, req->digest, -errno, "fork");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = KIND_COMPILER;
	snprintf(c->key, sizeof(c->key), "%s", req->digest);
	c->scratch = xstrdup(scratch);
	c->so_path = xstrdup(so);
	c->pid = pid;
	c->pidfd = pidfd_open_(pid);
	c->result_fd = pfd[0];
	c->out_fd = c->log_fd = -1;
	c->started_ns = now_mono_ns();
	c->deadline_ns = c->started_ns +
	    (int64_t)l->conf->compile_timeout_ms * 1000000;
	if (c->pidfd < 0)
		log_fatal("pidfd_open");
	child_add(l, c);
}

static void
done_send(struct launcher *l, const char *id, enum done_kind kind,
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
	send_or_die(l, IMSG_CORE_JOB_DONE, &d, sizeof(d), out_fd, log_fd);
}

/*
 * Finds where job cgroups can go (v2 when delegated, else v1 under our
 * own cgroup); without any, every job's report says why.
 */
static void
launcher_cgroups_probe(struct launcher *l)
{
	char why[256];
	int rc;

	if ((rc = cgroup_env_probe(&l->cg, why, sizeof(why))) < 0 ||
	    l->cg.mode == CGROUP_MODE_NONE) {
		l->cg_err = rc < 0 ? rc : -EOPNOTSUPP;
		log_warnx("no job cgroups: %s", rc < 0 ? kiln_strerror(rc) : why);
		return;
	}
	log_info("job cgroups: %s", l->cg.desc);
	/* what a launcher killed with SIGKILL left behind */
	if ((rc = cgroup_env_reap_stale(&l->cg)) > 0)
		log_info("removed %d stale job cgroups", rc);
}

/*
 * Tells the core what isolation its jobs will get here: one worker is
 * spawned exactly as for a job, and its report is the node's.
 */
static void
launcher_hello(struct launcher *l)
{
	struct msg_hello h;
	int level;

	memset(&h, 0, sizeof(h));
	level = sandbox_probe_worker(l->uid, l->gid, l->cg_err ? NULL : &l->cg,
	    h.report, sizeof(h.report));
	if (level < 0)
		log_fatalx("cannot start a probe worker: %s", kiln_strerror(level));
	h.level = (uint32_t)level;
	log_info("workers here get isolation L%d: %s", level, h.report);
	send_or_die(l, IMSG_CORE_LAUNCHER_HELLO, &h, sizeof(h), -1, -1);
}

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

static void
job_start(struct launcher *l, const struct msg_start *s, const uint8_t *tail,
    size_t tlen, int input_fd)
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
		done_send(l, s->id, DONE_START_FAILED, -1, 0, "worker_failed",
		    0, -1, -1, "");
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
			done_send(l, s->id, DONE_START_FAILED, -1, 0,
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
		done_send(l, s->id, DONE_START_FAILED, -1, 0, "worker_failed",
		    0, -1, -1, "");
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
	child_add(l, c);
out:
	if (out_fd >= 0)
		close(out_fd);
	if (log_fd >= 0)
		close(log_fd);
	free(argv);
	free(envp);
}

static void
job_kill(struct launcher *l, const char *id)
{
	int i;

	for (i = 0; i < l->nkids; i++) {
		if (l->kids[i]->kind == KIND_WORKER &&
		    strcmp(l->kids[i]->key, id) == 0) {
			l->kids[i]->killed = 1;
			pidfd_kill(l->kids[i]->pidfd);
		}
	}
}

static const char *
signal_reason(int sig, char *buf, size_t len)
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
	send_or_die(l, IMSG_CORE_JOB_RUNNING, &r, sizeof(r), -1, -1);
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
		done_send(l, c->key, DONE_TIMED_OUT, -1, SIGKILL, "timeout",
		    run_ns, c->out_fd, c->log_fd, "");
	else if (c->killed)
		done_send(l, c->key, DONE_KILLED, -1, SIGKILL, "cancelled",
		    run_ns, c->out_fd, c->log_fd, "");
	else if (got && wr->signal != 0)
		done_send(l, c->key, DONE_SIGNALED, -1, wr->signal,
		    buf[0] ? buf : wr->res.reason[0] ? wr->res.reason :
		    signal_reason(wr->signal, buf, sizeof(buf)), run_ns,
		    c->out_fd, c->log_fd, wr->isolation);
	else if (got)
		done_send(l, c->key, DONE_EXITED, wr->res.exit_code, 0,
		    buf[0] ? buf : wr->res.reason, run_ns, c->out_fd,
		    c->log_fd, wr->isolation);
	else if (WIFSIGNALED(status))
		done_send(l, c->key, DONE_SIGNALED, -1, WTERMSIG(status),
		    buf[0] ? buf : signal_reason(WTERMSIG(status), buf,
		    sizeof(buf)), run_ns, c->out_fd, c->log_fd, "");
	else
		done_send(l, c->key, DONE_START_FAILED, -1, 0,
		    "worker_failed", run_ns, -1, -1, "");
}

/*
 * The worker's result pipe is readable or closed: it started (RUNNING),
 * or it wrote its result, which the core hears at once; or it is gone.
 */
static void
worker_result_poll(struct launcher *l, struct lchild *c)
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

/* A child exited: reap it and report to the core. */
static void
child_reap(struct launcher *l, int i)
{
	struct lchild *c = l->kids[i];
	struct worker_result wr;
	struct msg_compiled cr;
	int status = 0, got;
	char buf[JOB_REASON_LEN];
	int64_t run_ns = now_mono_ns() - c->started_ns;
	struct rusage ru;

	if (wait4(c->pid, &status, 0, &ru) < 0)
		log_fatal("wait4");
	if (c->kind == KIND_COMPILER) {
		char digest[JOB_DIGEST_LEN], built[700];
		const char *why;
		int rc;

		got = read(c->result_fd, &cr, sizeof(cr)) == sizeof(cr) &&
		    memchr(cr.why, 0, sizeof(cr.why)) != NULL;
		rc = -KILN_ECOMPILE;
		if (c->timed_out)
			why = "compilation exceeded its time limit";
		else if (!got && WIFSIGNALED(status))
			why = signal_reason(WTERMSIG(status), buf, sizeof(buf));
		else if (!got)
			why = "compiler crashed";
		else if (cr.rc == 0) {
			/* only now, outside the sandbox, into the cache */
			snprintf(built, sizeof(built), "%s/module.so",
			    c->scratch);
			rc = compiler_install(built, c->so_path);
			why = rc < 0 ? "cannot install the compiled module" : "";
		} else {
			rc = cr.rc;
			why = cr.why;
		}
		/* scratch gone before anyone hears the answer */
		snprintf(digest, sizeof(digest), "%s", c->key);
		snprintf(built, sizeof(built), "%s", why);
		child_free(l, i);
		compiled_reply(l, digest, rc, built);
		return;
	}
	if (!worker_started(l, c)) {
		/* it died, or was killed, before running any guest code */
		if (c->killed)
			done_send(l, c->key, DONE_KILLED, -1, SIGKILL,
			    "cancelled", run_ns, -1, -1, "");
		else
			done_send(l, c->key, DONE_START_FAILED, -1, 0,
			    c->timed_out ? "start_timeout" : "worker_failed",
			    run_ns, -1, -1, "");
		child_free(l, i);
		return;
	}
	if (!c->reported)
		worker_report(l, c, worker_result_read(c, &wr), &wr, status,
		    &ru);
	child_free(l, i);
}

static void
core_dispatch(struct launcher *l, struct msg *m)
{
	const uint8_t *tail;
	const void *p;
	size_t tlen;

	if ((p = msg_get(m, &tail, &tlen)) == NULL)
		log_fatalx("malformed %s from core", msg_type_name(m->hdr.type));
	switch (m->hdr.type) {
	case IMSG_LAUNCHER_COMPILE: {
		const struct msg_compile *mc = p;

		if (m->nfds != 1 ||
		    strspn(mc->cache_key, "0123456789abcdef") != 64)
			log_fatalx("malformed compile request from core");
		if (mc->kind == MODULE_NATIVE)
			native_prepare(l, mc, tail, tlen, m->fds[0]);
		else if (tlen != 0)
			log_fatalx("malformed compile request from core");
		else
			compile_start(l, mc, m->fds[0]);
		break;
	}
	case IMSG_LAUNCHER_JOB_START: {
		const struct msg_start *s = p;

		if ((s->has_input != 0) != (m->nfds == 1) ||
		    strspn(s->cache_key, "0123456789abcdef") != 64)
			log_fatalx("malformed job start from core");
		job_start(l, s, tail, tlen, m->nfds ? m->fds[0] : -1);
		break;
	}
	case IMSG_LAUNCHER_JOB_KILL:
		job_kill(l, ((const struct msg_job_ref *)p)->id);
		break;
	default:
		log_fatalx("unexpected %s from core",
		    msg_type_name(m->hdr.type));
	}
}

/*
 * Before exiting: kills and reaps every child and idle worker, removing
 * their cgroups and scratch directories (the core has gone: nobody hears
 * about them; the next core requeues their jobs).
 */
static void
launcher_stop(struct launcher *l)
{
	int i;

	sandbox_pool_drain(&l->pool);
	for (i = l->nkids - 1; i >= 0; i--) {
		pidfd_kill(l->kids[i]->pidfd);
		while (waitpid(l->kids[i]->pid, NULL, 0) < 0 && errno == EINTR)
			;
		child_free(l, i);
	}
}

/* Whether a worker is between its spawn (or take) and WORKER_STARTED. */
static int
workers_starting(const struct launcher *l)
{
	int i;

	for (i = 0; i < l->nkids; i++)
		if (l->kids[i]->kind == KIND_WORKER && !l->kids[i]->running)
			return 1;
	return 0;
}

int
launcher_proc_main(struct config *conf)
{
	static struct launcher l;
	static struct msg m;
	struct pollfd pfds[2 * MAX_CHILDREN + 1 + SANDBOX_POOL_MAX];
	struct worker_spec tmpl;
	int64_t now, next;
	int i, n, np, rc, timeout, wait, refill;

	l.conf = conf;
	l.core_fd = PROC_FD_LAUNCHER_CORE;
	if (proc_user_ids(conf->user, &l.uid, &l.gid) < 0)
		log_fatalx("no such user '%s'", conf->user);
	wasm_runtime_init();
	if ((rc = sandbox_policy_worker_wasm(&l.worker_filter)) < 0 ||
	    (rc = sandbox_policy_worker_native(&l.native_filter)) < 0)
		log_fatalx("worker seccomp policy: %s", kiln_strerror(rc));
	launcher_cgroups_probe(&l);
	if (!(l.compile_as_user = compiler_user_can_compile(l.uid, l.gid)))
		log_warnx("user '%s' cannot reach the toolchain (is / "
		    "searchable?): compilers run as uid 0 without capabilities",
		    conf->user);
	launcher_hello(&l);
	snprintf(l.cache, sizeof(l.cache), "%s/cache", conf->state_dir);
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.uid = l.uid;
	tmpl.gid = l.gid;
	tmpl.workdir = l.cache;
	tmpl.filter = &l.worker_filter;
	tmpl.native_filter = &l.native_filter;
	/* one idle worker per slot (a GPU runs one job), at most 4 */
	sandbox_pool_init(&l.pool, &tmpl, conf->ngpus < SANDBOX_POOL_MAX ?
	    conf->ngpus : SANDBOX_POOL_MAX);
	l.pool.cg = l.cg_err == 0 ? &l.cg : NULL;
	for (;;) {
		now = now_mono_ns();
		next = -1;
		/*
		 * Refill the pool one worker per turn, and only once every
		 * job's worker has its sandbox in place (its result pipe
		 * wakes us), so a refill never competes with a start; the
		 * core waits at most one spawn.  After a failure, retry in
		 * a second.
		 */
		refill = l.pool.n < l.pool.target && !workers_starting(&l);
		if (refill && now >= l.pool_retry_ns) {
			if ((rc = sandbox_pool_fill(&l.pool)) < 0) {
				log_warnx("warm pool: %s", kiln_strerror(rc));
				l.pool_retry_ns = now + 1000000000LL;
			}
			now = now_mono_ns();
		}
		for (i = 0; i < l.nkids; i++) {
			struct lchild *c = l.kids[i];

			if (c->deadline_ns && !c->timed_out &&
			    c->deadline_ns <= now) {
				c->timed_out = 1;
				pidfd_kill(c->pidfd);
			} else if (c->deadline_ns && !c->timed_out &&
			    (next < 0 || c->deadline_ns - now < next))
				next = c->deadline_ns - now;
		}
		timeout = next < 0 ? -1 : (int)(next / 1000000) + 1;
		if (refill && l.pool.n < l.pool.target) {
			wait = now >= l.pool_retry_ns ? 0 :
			    (int)((l.pool_retry_ns - now) / 1000000) + 1;
			if (timeout < 0 || wait < timeout)
				timeout = wait;
		}
		/* per child: its pidfd, and a worker's result pipe until
		 * it reports that it started */
		pfds[0].fd = l.core_fd;
		pfds[0].events = POLLIN;
		for (i = 0; i < l.nkids; i++) {
			struct lchild *c = l.kids[i];

			pfds[2 * i + 1].fd = c->pidfd;
			pfds[2 * i + 1].events = POLLIN;
			pfds[2 * i + 2].fd = c->kind == KIND_WORKER &&
			    !c->result_done ? c->result_fd : -1;
			pfds[2 * i + 2].events = POLLIN;
		}
		n = l.nkids;
		/* then the idle workers' pidfds: one that exits is reaped */
		np = l.pool.n;
		for (i = 0; i < np; i++) {
			pfds[2 * n + 1 + i].fd = l.pool.w[i].pidfd;
			pfds[2 * n + 1 + i].events = POLLIN;
		}
		if (poll(pfds, 2 * (nfds_t)n + 1 + (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_fatal("poll");
		}
		/* downwards: child_reap() moves the last child into i */
		for (i = n - 1; i >= 0; i--) {
			if (pfds[2 * i + 2].revents)
				worker_result_poll(&l, l.kids[i]);
			if (pfds[2 * i + 1].revents)
				child_reap(&l, i);
		}
		for (i = np - 1; i >= 0; i--)
			if (pfds[2 * n + 1 + i].revents)
				sandbox_pool_reap(&l.pool, i);
		if (pfds[0].revents) {
			while ((rc = msg_recv(l.core_fd, &m)) > 0) {
				core_dispatch(&l, &m);
				msg_clear(&m);
			}
			if (rc == -EPIPE) {
				log_info("core went away: exiting");
				launcher_stop(&l);
				return 0;
			}
			if (rc < 0)
				log_fatalx("from core: %s", kiln_strerror(rc));
		}
	}
}
