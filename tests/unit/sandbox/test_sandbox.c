/*
 * Unit tests of src/sandbox: each layer checked from inside a real worker
 * with an exact outcome (pid 1, no network, no host files, Landlock
 * denial, SIGSYS for a forbidden call, no capabilities, no_new_privs),
 * the isolation report of the fallback ladder under fault injection (a
 * seccomp ERRNO filter installed in a forked child before the spawn, never
 * a system setting), and a real wasm job through the whole stack.  Needs
 * root: without it every test is skipped (exit 77).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "kiln/cgroup.h"
#include "kiln/native.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"
#include "kiln/wasm.h"

#define NOBODY	65534

static struct sandbox_bpf filter, native_filter;
static char tmpdir[] = "/tmp/kiln-sandbox-test-XXXXXX";

struct run {
	int started;		/* the worker wrote WORKER_STARTED */
	int got;		/* ... and a whole struct worker_result */
	int status;		/* from waitpid */
	struct worker_result wr;
	char output[256];	/* the job's stdout */
};

/*
 * Runs spec (filter, body set by the caller) in a worker taken from pool,
 * or in a cold one when pool is NULL, and reaps it.
 */
static void
run_worker_from(struct sandbox_pool *pool, struct worker_spec *spec,
    struct run *r)
{
	int pfd[2], out, log, pidfd;
	uint8_t marker;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	out = memfd_create("out", MFD_CLOEXEC);
	log = memfd_create("log", MFD_CLOEXEC);
	assert_true(out >= 0 && log >= 0);
	spec->uid = NOBODY;
	spec->gid = NOBODY;
	if (spec->workdir == NULL)
		spec->workdir = "/";
	spec->cpu_limit_s = 10;
	spec->result_fd = pfd[1];
	spec->job.input_fd = -1;
	spec->job.stdout_fd = out;
	spec->job.stderr_fd = log;
	if (pool != NULL)
		pid = sandbox_pool_take(pool, spec, &pidfd);
	else
		pid = sandbox_worker_spawn(spec, &pidfd);
	assert_true(pid > 0);
	close(pfd[1]);
	r->started = read(pfd[0], &marker, 1) == 1 &&
	    marker == WORKER_STARTED;
	r->got = read(pfd[0], &r->wr, sizeof(r->wr)) == sizeof(r->wr);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	n = pread(out, r->output, sizeof(r->output) - 1, 0);
	r->output[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	close(pidfd);
	close(out);
	close(log);
}

static void
run_worker(struct worker_spec *spec, struct run *r)
{
	run_worker_from(NULL, spec, r);
}

static int
body_getpid(struct worker_spec *spec, struct worker_result *out)
{
	return (int)syscall(SYS_getpid);
}

static int
body_open_passwd(struct worker_spec *spec, struct worker_result *out)
{
	return open("/etc/passwd", O_RDONLY) < 0 ? errno : 0;
}

static int
body_readdir_root(struct worker_spec *spec, struct worker_result *out)
{
	return open("/", O_RDONLY | O_DIRECTORY) < 0 ? errno : 0;
}

static int
body_connect(int type)
{
	struct sockaddr_in sin;
	int s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, type, 0)) < 0)
		return 1000 + errno;
	return connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? errno : 0;
}

static int
body_connect_tcp(struct worker_spec *spec, struct worker_result *out)
{
	return body_connect(SOCK_STREAM);
}

static int
body_connect_udp(struct worker_spec *spec, struct worker_result *out)
{
	return body_connect(SOCK_DGRAM);
}

static int
body_unshare(struct worker_spec *spec, struct worker_result *out)
{
	return (int)syscall(SYS_unshare, CLONE_NEWUSER);
}

static int
body_ptrace(struct worker_spec *spec, struct worker_result *out)
{
	return (int)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
}

/* 1: no capabilities; 2: no_new_privs; 4: runs as nobody. */
static int
body_identity(struct worker_spec *spec, struct worker_result *out)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int rc = 0;

	memset(d, 0xff, sizeof(d));
	if (syscall(SYS_capget, &h, d) == 0 &&
	    (d[0].effective | d[0].permitted | d[0].inheritable |
	    d[1].effective | d[1].permitted | d[1].inheritable) == 0 &&
	    prctl(PR_CAPBSET_READ, 0 /* CAP_CHOWN */) == 0)
		rc |= 1;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		rc |= 2;
	if (getuid() == NOBODY && geteuid() == NOBODY && getgid() == NOBODY)
		rc |= 4;
	return rc;
}

static void
test_pidns(void **state)
{
	struct worker_spec spec = { .filter = &filter, .body = body_getpid };
	struct run r;

	run_worker(&spec, &r);
	assert_true(r.started && r.got);
	assert_int_equal(r.wr.rc, 1);
}

static void
test_netns(void **state)
{
	struct worker_spec spec = { .body = body_connect_udp };
	struct run r;

	/* no seccomp (it would kill socket()): the namespace alone */
	run_worker(&spec, &r);
	assert_true(r.got);
	assert_int_equal(r.wr.rc, ENETUNREACH);	/* lo is down */
	memset(&spec, 0, sizeof(spec));
	spec.body = body_connect_tcp;
	run_worker(&spec, &r);
	assert_true(r.got);
	/* Landlock's TCP rule comes before routing with ABI >= 4 */
	assert_int_equal(r.wr.rc, sandbox_landlock_abi() >= 4 ? EACCES :
	    ENETUNREACH);
}

static void
test_pivot_root(void **state)
{
	struct worker_spec spec = { .filter = &filter,
	    .body = body_open_passwd };
	struct run r;

	run_worker(&spec, &r);
	assert_true(r.got);
	assert_int_equal(r.wr.rc, ENOENT);
}

static void
test_landlock(void **state)
{
	struct worker_spec spec = { .filter = &filter,
	    .body = body_readdir_root };
	struct run r;

	if (sandbox_landlock_abi() < 1)
		skip();
	run_worker(&spec, &r);
	assert_true(r.got);
	assert_int_equal(r.wr.rc, EACCES);
}

/* The syscall body_forbidden makes (the child gets a copy at spawn). */
static long forbidden_nr;

static int
body_forbidden(struct worker_spec *spec, struct worker_result *out)
{
	return (int)syscall(forbidden_nr, 0, 0, 0, 0, 0, 0);
}

static void
test_seccomp_kills(void **state)
{
	static const long never[] = { SYS_unshare, SYS_setns, SYS_clone,
	    SYS_clone3, SYS_fork, SYS_execve, SYS_ptrace, SYS_bpf, SYS_mount,
	    SYS_keyctl, SYS_io_uring_setup, SYS_io_uring_enter,
	    SYS_perf_event_open, SYS_socket, SYS_userfaultfd };
	worker_body_fn bodies[] = { body_unshare, body_ptrace };
	struct run r;
	size_t i;

	for (i = 0; i < KILN_ARRAY_LEN(bodies); i++) {
		struct worker_spec spec = { .filter = &filter,
		    .body = bodies[i] };

		run_worker(&spec, &r);
		assert_true(r.started);
		assert_false(r.got);
		assert_true(WIFSIGNALED(r.status));
		assert_int_equal(WTERMSIG(r.status), SIGSYS);
	}
	for (i = 0; i < KILN_ARRAY_LEN(never); i++) {
		struct worker_spec spec = { .filter = &filter,
		    .body = body_forbidden };

		forbidden_nr = never[i];
		run_worker(&spec, &r);
		if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGSYS)
			fail_msg("syscall %ld: status %#x", never[i],
			    r.status);
	}
}

static void
test_identity(void **state)
{
	struct worker_spec spec = { .body = body_identity };
	struct run r;

	run_worker(&spec, &r);
	assert_true(r.got);
	assert_int_equal(r.wr.rc, 1 | 2 | 4);
}

/* The report of a worker spawned in a child under an ERRNO filter. */
struct fault {
	int clone_eperm;	/* CLONE_NEW* bits for which clone fails */
	int landlock_enosys;
	int no_filter;
	int cgroup;		/* 1: a real job cgroup; <0: none, this errno */
};

/*
 * A real job cgroup for a test worker, as the launcher makes one: the
 * worker is attached by the before_start hook.  Removed by cgroup_done().
 */
static struct cgroup_env cg_env;
static struct cgroup_job cg_job;

static int
cgroup_for(struct worker_spec *spec, const char *name)
{
	struct cgroup_limits lim = { 256u << 20, 8, 1000 };
	char why[256];

	if (cg_env.mode == CGROUP_MODE_NONE)
		assert_int_equal(cgroup_env_probe(&cg_env, why, sizeof(why)),
		    0);
	if (cg_env.mode == CGROUP_MODE_NONE) {
		printf("# no job cgroups here: %s\n", why);
		spec->cgroup_state = -EOPNOTSUPP;
		return 0;
	}
	assert_int_equal(cgroup_job_create(&cg_env, name, &lim, &cg_job), 0);
	spec->cgroup_state = 1;
	spec->before_start = sandbox_cgroup_attach;
	spec->before_start_arg = &cg_job;
	return 1;
}

static void
cgroup_done(void)
{
	assert_int_equal(cgroup_job_destroy(&cg_job), 0);
}

static void
fault_report(const struct fault *f, char *buf, size_t len)
{
	static const int nsflags[] = { CLONE_NEWUSER, CLONE_NEWPID,
	    CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS,
	    CLONE_NEWCGROUP };
	int pfd[2], status;
	scmp_filter_ctx ctx;
	struct run r;
	ssize_t n;
	size_t i;
	pid_t pid;

	if (f->cgroup > 0) {
		struct worker_spec unused = { 0 };

		if (!cgroup_for(&unused, "test-ladder"))
			skip();		/* without cgroups L4 is out of reach */
	}
	assert_int_equal(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		struct worker_spec spec = { .filter = f->no_filter ? NULL :
		    &filter, .body = body_getpid, .cgroup_state = f->cgroup };

		close(pfd[0]);
		if (f->cgroup > 0) {	/* made by the parent, before fork */
			spec.before_start = sandbox_cgroup_attach;
			spec.before_start_arg = &cg_job;
		}
		ctx = seccomp_init(SCMP_ACT_ALLOW);
		/* clone3's flags are behind a pointer: hide it entirely */
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		    SCMP_SYS(clone3), 0);
		for (i = 0; i < KILN_ARRAY_LEN(nsflags); i++) {
			if (!(f->clone_eperm & nsflags[i]))
				continue;
			seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
			    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ,
			    nsflags[i], nsflags[i]));
			seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
			    SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ,
			    nsflags[i], nsflags[i]));
		}
		if (f->landlock_enosys)
			seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
			    SCMP_SYS(landlock_create_ruleset), 0);
		if (seccomp_load(ctx) < 0)
			_exit(2);
		run_worker(&spec, &r);
		if (!r.got)
			_exit(3);
		(void)!write(pfd[1], r.wr.isolation,
		    strlen(r.wr.isolation));
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	if (f->cgroup > 0)
		cgroup_done();
}

static char *
expect(const char *level, const char *layers, const char *degraded)
{
	return xasprintf("{\"level\":\"%s\",\"layers\":[%s],\"degraded\":[%s]}",
	    level, layers, degraded);
}

static void
test_ladder_full(void **state)
{
	struct fault f = { .cgroup = 1 };
	char got[SANDBOX_ISOLATION_LEN], *want;

	want = xasprintf("{\"level\":\"L4\",\"layers\":[\"rlimits\","
	    "\"userns\",\"pidns\",\"netns\",\"mntns\",\"ipcns\",\"utsns\","
	    "\"cgroupns\",\"caps\",\"nnp\",\"landlock:%d\",\"seccomp\","
	    "\"cgroup\"],\"degraded\":[]}", sandbox_landlock_abi());
	fault_report(&f, got, sizeof(got));
	assert_string_equal(got, want);
	free(want);
}

/* Everything but the job's cgroup: L3, and the report says why. */
static void
test_ladder_no_cgroup(void **state)
{
	struct fault f = { .cgroup = -EOPNOTSUPP };
	char got[SANDBOX_ISOLATION_LEN], *layers, *want;

	layers = xasprintf("\"rlimits\",\"userns\",\"pidns\",\"netns\","
	    "\"mntns\",\"ipcns\",\"utsns\",\"cgroupns\",\"caps\",\"nnp\","
	    "\"landlock:%d\",\"seccomp\"", sandbox_landlock_abi());
	want = expect("L3", layers, "\"cgroup: EOPNOTSUPP\"");
	fault_report(&f, got, sizeof(got));
	assert_string_equal(got, want);
	free(layers);
	free(want);
}

static void
test_ladder_no_userns(void **state)
{
	struct fault f = { .clone_eperm = CLONE_NEWUSER };
	char got[SANDBOX_ISOLATION_LEN], *layers, *want;

	layers = xasprintf("\"rlimits\",\"pidns\",\"netns\",\"mntns\","
	    "\"ipcns\",\"utsns\",\"cgroupns\",\"caps\",\"nnp\","
	    "\"landlock:%d\",\"seccomp\"", sandbox_landlock_abi());
	want = expect("L3", layers, "\"userns: EPERM\"");
	fault_report(&f, got, sizeof(got));
	assert_string_equal(got, want);
	free(layers);
	free(want);
}

static void
test_ladder_no_namespaces(void **state)
{
	struct fault f = { .clone_eperm = CLONE_NEWUSER | CLONE_NEWNET };
	char got[SANDBOX_ISOLATION_LEN], *layers, *want;

	layers = xasprintf("\"rlimits\",\"caps\",\"nnp\",\"landlock:%d\","
	    "\"seccomp\"", sandbox_landlock_abi());
	want = expect("L2", layers, "\"userns: EPERM\",\"pidns: EPERM\","
	    "\"netns: EPERM\",\"mntns: EPERM\",\"ipcns: EPERM\","
	    "\"utsns: EPERM\",\"cgroupns: EPERM\"");
	fault_report(&f, got, sizeof(got));
	assert_string_equal(got, want);
	free(layers);
	free(want);
}

static void
test_ladder_no_landlock(void **state)
{
	struct fault f = { .clone_eperm = CLONE_NEWUSER,
	    .landlock_enosys = 1 };
	char got[SANDBOX_ISOLATION_LEN], *want;

	want = expect("L1", "\"rlimits\",\"pidns\",\"netns\",\"mntns\","
	    "\"ipcns\",\"utsns\",\"cgroupns\",\"caps\",\"nnp\",\"seccomp\"",
	    "\"userns: EPERM\",\"landlock: ENOSYS\"");
	fault_report(&f, got, sizeof(got));
	assert_string_equal(got, want);
	free(want);
}

static void
test_ladder_no_seccomp(void **state)
{
	struct fault f = { .landlock_enosys = 1, .no_filter = 1 };
	char got[SANDBOX_ISOLATION_LEN], *want;

	want = expect("L0", "\"rlimits\",\"userns\",\"pidns\",\"netns\","
	    "\"mntns\",\"ipcns\",\"utsns\",\"cgroupns\",\"caps\",\"nnp\"",
	    "\"landlock: ENOSYS\",\"seccomp: ENOENT\"");
	fault_report(&f, got, sizeof(got));
	assert_string_equal(got, want);
	free(want);
}

static void
test_levels(void **state)
{
	struct sandbox_report rep = { .layers = SANDBOX_RLIMITS };

	assert_int_equal(sandbox_report_level(&rep), 0);
	rep.layers |= SANDBOX_SECCOMP;
	assert_int_equal(sandbox_report_level(&rep), 1);
	rep.layers |= SANDBOX_NNP | SANDBOX_LANDLOCK;
	assert_int_equal(sandbox_report_level(&rep), 2);
	rep.layers |= SANDBOX_PIDNS | SANDBOX_NETNS | SANDBOX_MNTNS |
	    SANDBOX_IPCNS | SANDBOX_UTSNS | SANDBOX_CGROUPNS;
	assert_int_equal(sandbox_report_level(&rep), 2);	/* caps */
	rep.layers |= SANDBOX_CAPS;
	assert_int_equal(sandbox_report_level(&rep), 3);
	rep.layers |= SANDBOX_USERNS;
	assert_int_equal(sandbox_report_level(&rep), 3);	/* cgroup */
	rep.layers |= SANDBOX_CGROUP;
	assert_int_equal(sandbox_report_level(&rep), 4);
	rep.layers &= ~SANDBOX_SECCOMP;
	assert_int_equal(sandbox_report_level(&rep), 0);
}

static pid_t hook_pid;

static int
hook_record(pid_t pid, void *arg)
{
	hook_pid = pid;
	return *(int *)arg;
}

/* before_start runs before the worker goes on; a failure kills it. */
static void
test_before_start(void **state)
{
	struct worker_spec spec = { .filter = &filter, .body = body_getpid };
	int fail = -EIO, ok = 0, pidfd, nul, status;
	struct run r;
	pid_t pid;

	spec.before_start = hook_record;
	spec.before_start_arg = &ok;
	run_worker(&spec, &r);
	assert_true(r.got);
	assert_true(hook_pid > 1);
	assert_int_equal(r.wr.rc, 1);

	memset(&spec, 0, sizeof(spec));
	assert_true((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0);
	spec.uid = spec.gid = NOBODY;
	spec.workdir = "/";
	spec.result_fd = spec.job.stdout_fd = spec.job.stderr_fd = nul;
	spec.job.input_fd = -1;
	spec.body = body_getpid;
	spec.before_start = hook_record;
	spec.before_start_arg = &fail;
	hook_pid = 0;
	assert_int_equal(sandbox_worker_spawn(&spec, &pidfd), -EIO);
	assert_true(hook_pid > 1);
	/* the child was killed and reaped by the spawn */
	pid = waitpid(hook_pid, &status, WNOHANG);
	assert_int_equal(pid, -1);
	assert_int_equal(errno, ECHILD);
	close(nul);
}

/* The whole stack runs a real module: hello with exact output. */
static void
test_wasm_job(void **state)
{
	const char *sdk = getenv("KILN_TEST_SDK_DIR");
	struct worker_spec spec = { .filter = &filter };
	char why[256], *in, *so;
	char *argv[] = { "hello", NULL };
	struct run r;
	int attached;

	assert_non_null(sdk);
	in = xasprintf("%s/hello.wasm", sdk);
	so = xasprintf("%s/hello.so", tmpdir);
	assert_int_equal(wasm_module_compile(in, so, tmpdir, why,
	    sizeof(why)), 0);
	spec.workdir = tmpdir;
	spec.job.so_path = "./hello.so";
	spec.job.output_max = 1 << 20;
	spec.job.log_max = 1 << 20;
	spec.job.max_pages = 256;
	spec.job.argc = 1;
	spec.job.argv = argv;
	attached = cgroup_for(&spec, "test-wasm-job");
	run_worker(&spec, &r);
	if (attached)
		cgroup_done();
	assert_true(r.started && r.got);
	assert_int_equal(r.wr.rc, 0);
	assert_string_equal(r.wr.res.reason, "");
	assert_int_equal(r.wr.res.exit_code, 0);
	assert_string_equal(r.output, "hello from kiln\n");
	assert_non_null(strstr(r.wr.isolation, attached ?
	    "\"level\":\"L4\"" : "\"level\":\"L3\""));
	free(in);
	free(so);
}

/* A pool whose workers match run_worker's: nobody, in dir, filtered. */
static void
pool_for(struct sandbox_pool *pool, const char *dir, worker_body_fn body,
    int target)
{
	struct worker_spec tmpl = { .uid = NOBODY, .gid = NOBODY,
	    .workdir = dir, .filter = &filter, .body = body };

	sandbox_pool_init(pool, &tmpl, target);
}

/* The comm of pid, "" when it is gone. */
static void
comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n - 1 : 0] = '\0';	/* without the newline */
	close(fd);
}

static void
hello_spec(struct worker_spec *spec, char **argv)
{
	memset(spec, 0, sizeof(*spec));
	spec->filter = &filter;
	spec->workdir = tmpdir;
	spec->job.so_path = "./hello.so";
	spec->job.output_max = 1 << 20;
	spec->job.log_max = 1 << 20;
	spec->job.max_pages = 256;
	spec->job.argc = 1;
	spec->job.argv = argv;
}

/*
 * A pooled worker, idle under its own comm, runs a real module with exact
 * output and reports exactly the isolation a cold worker reports for the
 * same job (cgroup included, or its absence).
 */
static void
test_pool_wasm_job(void **state)
{
	const char *sdk = getenv("KILN_TEST_SDK_DIR");
	struct sandbox_pool pool;
	struct worker_spec spec;
	char why[256], comm[32], *in, *so;
	char *argv[] = { "hello", NULL };
	struct run cold, warm;
	int attached;

	assert_non_null(sdk);
	in = xasprintf("%s/hello.wasm", sdk);
	so = xasprintf("%s/hello.so", tmpdir);
	if (access(so, R_OK) < 0)	/* test_wasm_job may have made it */
		assert_int_equal(wasm_module_compile(in, so, tmpdir, why,
		    sizeof(why)), 0);

	hello_spec(&spec, argv);
	attached = cgroup_for(&spec, "test-pool-cold");
	run_worker(&spec, &cold);
	if (attached)
		cgroup_done();

	pool_for(&pool, tmpdir, NULL, 1);
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	assert_int_equal(pool.n, 1);
	comm_of(pool.w[0].pid, comm, sizeof(comm));
	assert_string_equal(comm, SANDBOX_POOL_COMM);
	hello_spec(&spec, argv);
	attached = cgroup_for(&spec, "test-pool-warm");
	run_worker_from(&pool, &spec, &warm);
	if (attached)
		cgroup_done();
	assert_int_equal(pool.n, 0);

	assert_true(warm.started && warm.got);
	assert_int_equal(warm.wr.rc, 0);
	assert_string_equal(warm.wr.res.reason, "");
	assert_int_equal(warm.wr.res.exit_code, 0);
	assert_string_equal(warm.output, "hello from kiln\n");
	assert_true(WIFEXITED(warm.status) && WEXITSTATUS(warm.status) == 0);
	assert_true(cold.got);
	assert_string_equal(warm.wr.isolation, cold.wr.isolation);
	assert_non_null(strstr(warm.wr.isolation, attached ?
	    "\"level\":\"L4\"" : "\"level\":\"L3\""));
	free(in);
	free(so);
}

/* pids.max of a job cgroup, as the kernel shows it ("max", "8"). */
static void
pids_max_of(const struct cgroup_job *cg, char *buf, size_t len)
{
	ssize_t n = -1;
	int i, fd;

	for (i = 0; i < cg->nhier; i++) {
		if (!(cg->ctrls[i] & CGROUP_CTRL_PIDS))
			continue;
		assert_true((fd = openat(cg->fd[i], "pids.max", O_RDONLY |
		    O_CLOEXEC)) >= 0);
		n = read(fd, buf, len - 1);
		close(fd);
	}
	assert_true(n > 0);
	buf[n - 1] = '\0';	/* without the newline */
}

/* Runs one job on the pool's worker with limits; returns its pids.max. */
static void
pool_job_pids(struct sandbox_pool *pool, const struct cgroup_limits *lim,
    char *pids, size_t len)
{
	struct worker_spec spec;
	struct cgroup_job cg;
	struct run r;

	memset(&spec, 0, sizeof(spec));
	memset(&cg, 0, sizeof(cg));
	spec.filter = &filter;
	spec.body = body_getpid;
	spec.cgroup_limits = lim;
	spec.cgroup_taken = &cg;
	run_worker_from(pool, &spec, &r);
	assert_true(r.started && r.got);
	assert_int_equal(spec.cgroup_state, 1);
	pids_max_of(&cg, pids, len);
	assert_int_equal(cgroup_job_destroy(&cg), 0);
}

/*
 * A pooled worker's own cgroup gets the limits of the last job taken when
 * it is made, and a job with other limits gets its own written at take.
 */
static void
test_pool_cgroup_preset(void **state)
{
	const struct cgroup_limits a = { 128u << 20, 8, 1000 },
	    b = { 128u << 20, 5, 1000 };
	struct sandbox_pool pool;
	char why[256], pids[32];

	if (cg_env.mode == CGROUP_MODE_NONE &&
	    cgroup_env_probe(&cg_env, why, sizeof(why)) < 0)
		skip();
	if (cg_env.mode == CGROUP_MODE_NONE)
		skip();
	pool_for(&pool, "/", body_getpid, 1);
	pool.cg = &cg_env;
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	pids_max_of(&pool.w[0].cg, pids, sizeof(pids));
	assert_string_equal(pids, "max");	/* nothing known yet */
	pool_job_pids(&pool, &a, pids, sizeof(pids));
	assert_string_equal(pids, "8");
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	pids_max_of(&pool.w[0].cg, pids, sizeof(pids));
	assert_string_equal(pids, "8");		/* preset before any take */
	pool_job_pids(&pool, &b, pids, sizeof(pids));
	assert_string_equal(pids, "5");
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	pool_job_pids(&pool, &b, pids, sizeof(pids));
	assert_string_equal(pids, "5");
	sandbox_pool_drain(&pool);
}

/* Copies file from into to (mode 0555); 0 or -errno. */
static int
copy_exe(const char *from, const char *to)
{
	uint8_t *bytes;
	size_t len;
	int in, out, rc;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	rc = fd_slurp(in, 64 << 20, &bytes, &len);
	close(in);
	if (rc < 0)
		return rc;
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0555)) < 0) {
		free(bytes);
		return -errno;
	}
	rc = fd_write_all(out, bytes, len);
	close(out);
	free(bytes);
	return rc;
}

/*
 * A native job (the SDK's dynamic hello, its interpreter and libc bound
 * as the launcher binds them) runs under its init with exact output, from
 * a cold worker and from a pooled one, which report the same isolation.
 */
static void
test_native_job(void **state)
{
	const char *sdk = getenv("KILN_TEST_SDK_DIR");
	static struct native_libs libs;
	struct native_elf_info elf;
	struct sandbox_pool pool;
	struct worker_spec spec;
	struct worker_spec tmpl = { .uid = NOBODY, .gid = NOBODY,
	    .workdir = tmpdir, .filter = &filter,
	    .native_filter = &native_filter };
	char *argv[] = { "main", "x", NULL }, *src, *dst, why[256];
	struct run r[2];
	uint8_t *bytes;
	size_t len;
	int i, fd;

	assert_non_null(sdk);
	src = xasprintf("%s/hello-native", sdk);
	dst = xasprintf("%s/hello.exe", tmpdir);
	assert_int_equal(copy_exe(src, dst), 0);
	assert_true((fd = open(dst, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(fd_slurp(fd, 64 << 20, &bytes, &len), 0);
	close(fd);
	assert_int_equal(native_elf_admit(bytes, len, &elf, why,
	    sizeof(why)), 0);
	free(bytes);
	assert_int_equal(native_libs_resolve("/", elf.interp, elf.needed,
	    elf.nneeded, &libs, why, sizeof(why)), 0);

	sandbox_pool_init(&pool, &tmpl, 1);
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	for (i = 0; i < 2; i++) {
		memset(&spec, 0, sizeof(spec));
		spec.filter = &filter;
		spec.native_filter = &native_filter;
		spec.workdir = tmpdir;
		spec.native = 1;
		spec.binds = libs.b;
		spec.nbinds = libs.n;
		spec.job.so_path = "./hello.exe";
		spec.job.output_max = 1 << 20;
		spec.job.log_max = 1 << 20;
		spec.job.argc = 2;
		spec.job.argv = argv;
		spec.cgroup_state = -EOPNOTSUPP;
		run_worker_from(i == 0 ? NULL : &pool, &spec, &r[i]);
		assert_true(r[i].started && r[i].got);
		assert_int_equal(r[i].wr.rc, 0);
		assert_string_equal(r[i].wr.res.reason, "");
		assert_int_equal(r[i].wr.res.exit_code, 0);
		assert_int_equal(r[i].wr.signal, 0);
		assert_string_equal(r[i].output, "hello from kiln\narg 1: x\n");
	}
	assert_int_equal(pool.n, 0);
	assert_string_equal(r[0].wr.isolation, r[1].wr.isolation);
	free(src);
	free(dst);
}

/* Same report without a cgroup: the degradation travels with the job. */
static void
test_pool_no_cgroup(void **state)
{
	struct worker_spec spec = { .filter = &filter, .body = body_getpid,
	    .cgroup_state = -EOPNOTSUPP };
	struct sandbox_pool pool;
	struct run cold, warm;

	run_worker(&spec, &cold);
	pool_for(&pool, "/", body_getpid, 1);
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	memset(&spec, 0, sizeof(spec));
	spec.filter = &filter;
	spec.body = body_getpid;
	spec.cgroup_state = -EOPNOTSUPP;
	run_worker_from(&pool, &spec, &warm);
	assert_true(cold.got);
	assert_true(warm.got);
	assert_int_equal(warm.wr.rc, 1);	/* its own pid namespace */
	assert_string_equal(warm.wr.isolation, cold.wr.isolation);
	assert_non_null(strstr(warm.wr.isolation,
	    "\"degraded\":[\"cgroup: EOPNOTSUPP\"]"));
}

/*
 * The pool fills to its target and no further, a take leaves one less, a
 * fill makes it whole, a mismatched spec takes nothing, and drain kills
 * and reaps every idle worker.
 */
static void
test_pool_refill(void **state)
{
	struct worker_spec spec = { .filter = &filter, .body = body_getpid };
	struct sandbox_pool pool;
	pid_t pids[SANDBOX_POOL_MAX];
	struct run r;
	int i;

	pool_for(&pool, "/", body_getpid, SANDBOX_POOL_MAX + 3);
	assert_int_equal(pool.target, SANDBOX_POOL_MAX);
	for (i = 0; i < SANDBOX_POOL_MAX; i++)
		assert_int_equal(sandbox_pool_fill(&pool), 1);
	assert_int_equal(sandbox_pool_fill(&pool), 0);
	assert_int_equal(pool.n, SANDBOX_POOL_MAX);

	run_worker_from(&pool, &spec, &r);
	assert_true(r.got);
	assert_int_equal(r.wr.rc, 1);	/* pid 1 of its own pid namespace */
	assert_int_equal(pool.n, SANDBOX_POOL_MAX - 1);
	assert_int_equal(sandbox_pool_fill(&pool), 1);
	assert_int_equal(pool.n, SANDBOX_POOL_MAX);

	spec.uid = 0;		/* not the pool's user */
	spec.gid = 0;
	spec.workdir = "/";
	assert_int_equal(sandbox_pool_take(&pool, &spec, &i), -EINVAL);
	assert_int_equal(pool.n, SANDBOX_POOL_MAX);

	for (i = 0; i < pool.n; i++)
		pids[i] = pool.w[i].pid;
	sandbox_pool_drain(&pool);
	assert_int_equal(pool.n, 0);
	for (i = 0; i < SANDBOX_POOL_MAX; i++) {
		assert_int_equal(waitpid(pids[i], NULL, WNOHANG), -1);
		assert_int_equal(errno, ECHILD);
	}
	pool_for(&pool, "/", body_getpid, 0);
	assert_int_equal(sandbox_pool_fill(&pool), 0);
	assert_int_equal(sandbox_pool_take(&pool, &spec, &i), -EAGAIN);
}

/* An idle worker dies with the process that holds its pool. */
static void
test_pool_dies_with_launcher(void **state)
{
	struct sandbox_pool pool;
	struct pollfd p;
	int pfd[2], status;
	pid_t holder, idle = 0;

	assert_int_equal(pipe(pfd), 0);
	if ((holder = fork()) == 0) {
		close(pfd[0]);
		pool_for(&pool, "/", body_getpid, 1);
		if (sandbox_pool_fill(&pool) != 1)
			_exit(1);
		(void)!write(pfd[1], &pool.w[0].pid, sizeof(pid_t));
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &idle, sizeof(idle)), sizeof(idle));
	close(pfd[0]);
	p.fd = (int)syscall(SYS_pidfd_open, idle, 0);
	p.events = POLLIN;
	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 0), 0);	/* parked, alive */
	kill(holder, SIGKILL);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(poll(&p, 1, 10000), 1);	/* PR_SET_PDEATHSIG */
	close(p.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_ladder_no_cgroup),
		cmocka_unit_test(test_pidns),
		cmocka_unit_test(test_netns),
		cmocka_unit_test(test_pivot_root),
		cmocka_unit_test(test_landlock),
		cmocka_unit_test(test_seccomp_kills),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_ladder_full),
		cmocka_unit_test(test_ladder_no_userns),
		cmocka_unit_test(test_ladder_no_namespaces),
		cmocka_unit_test(test_ladder_no_landlock),
		cmocka_unit_test(test_ladder_no_seccomp),
		cmocka_unit_test(test_before_start),
		cmocka_unit_test(test_wasm_job),
		cmocka_unit_test(test_pool_wasm_job),
		cmocka_unit_test(test_pool_no_cgroup),
		cmocka_unit_test(test_pool_cgroup_preset),
		cmocka_unit_test(test_native_job),
		cmocka_unit_test(test_pool_refill),
		cmocka_unit_test(test_pool_dies_with_launcher),
	};
	char *rm;
	int rc;

	if (geteuid() != 0) {
		printf("skipped: the sandbox tests need root (namespaces, "
		    "id maps, pivot_root)\n");
		return 77;
	}
	if (sandbox_policy_worker_wasm(&filter) < 0 ||
	    sandbox_policy_worker_native(&native_filter) < 0 ||
	    mkdtemp(tmpdir) == NULL)
		return 1;
	wasm_runtime_init();
	rc = cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
	rm = xasprintf("rm -rf '%s'", tmpdir);
	(void)!system(rm);
	free(rm);
	free(filter.insns);
	return rc;
}
