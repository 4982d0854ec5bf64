/*
 * Job start latency of the sandbox: from the launcher's first step for a
 * job (the job's cgroup created, the worker spawned or taken from the
 * warm pool, attached) to the worker's WORKER_STARTED byte, i.e. every
 * layer in place and guest code about to run; and a whole worker life
 * (spawn to reaped) next to `bwrap --unshare-all --ro-bind / / true`
 * measured in the same run.  The worker body is empty, so the figures
 * are the sandbox's alone.  Root only.  usage: bench_spawn [RUNS]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#define NOBODY	65534

enum { WARM_START, COLD_START, WARM_LIFE, COLD_LIFE, BWRAP, NMODES };

/* the job cgroup's creation, part of every warm or cold span above */
static int64_t *cg_ns;
static int ncg;

static const char *mode_names[NMODES] = {
	"warm pool: take -> started",
	"cold spawn: spawn -> started",
	"warm pool: take -> reaped",
	"cold spawn: spawn -> reaped",
	"bwrap --unshare-all --ro-bind / / true",
};

extern char **environ;
static struct sandbox_bpf filter;
static struct cgroup_env cg_env;
static int have_cg;
static char isolation[SANDBOX_ISOLATION_LEN];

static int
body_empty(struct worker_spec *spec, struct worker_result *out)
{
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* One job through the sandbox; returns the measured span in ns. */
static int64_t
bench_worker(struct sandbox_pool *pool, int life, int seq)
{
	struct worker_spec spec;
	struct cgroup_limits lim = { 256u << 20, 8, 1000 };
	struct cgroup_job cg;
	struct worker_result wr;
	char id[64];
	int pfd[2], nul, pidfd, attached = 0;
	int64_t t0, t1;
	uint8_t marker;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0 ||
	    (nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		log_fatal("pipe");
	memset(&spec, 0, sizeof(spec));
	spec.uid = spec.gid = NOBODY;
	spec.workdir = "/";
	spec.cpu_limit_s = 10;
	spec.result_fd = pfd[1];
	spec.job.input_fd = -1;
	spec.job.stdout_fd = spec.job.stderr_fd = nul;
	spec.filter = &filter;
	spec.body = body_empty;
	spec.cgroup_state = -EOPNOTSUPP;
	snprintf(id, sizeof(id), "bench-spawn-%d-%d", (int)getpid(), seq);
	memset(&cg, 0, sizeof(cg));
	t0 = now_mono_ns();
	if (pool != NULL && have_cg) {
		/* as the launcher: the pooled worker's own cgroup, limits set */
		spec.cgroup_limits = &lim;
		spec.cgroup_taken = &cg;
		attached = 1;
	} else if (have_cg && cgroup_job_create(&cg_env, id, &lim, &cg) == 0) {
		cg_ns[ncg++] = now_mono_ns() - t0;
		attached = 1;
		spec.cgroup_state = 1;
		spec.before_start = sandbox_cgroup_attach;
		spec.before_start_arg = &cg;
	}
	pid = pool != NULL ? sandbox_pool_take(pool, &spec, &pidfd) :
	    sandbox_worker_spawn(&spec, &pidfd);
	if (pid < 0)
		log_fatalx("worker: %s", strerror(-pid));
	close(pfd[1]);
	if (read(pfd[0], &marker, 1) != 1 || marker != WORKER_STARTED)
		log_fatalx("worker did not start");
	t1 = now_mono_ns();
	if (read(pfd[0], &wr, sizeof(wr)) != sizeof(wr))
		log_fatalx("worker sent no result");
	memcpy(isolation, wr.isolation, sizeof(isolation));
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (life)
		t1 = now_mono_ns();
	close(pidfd);
	close(pfd[0]);
	close(nul);
	if (attached)
		cgroup_job_destroy(&cg);
	return t1 - t0;
}

static int64_t
bench_bwrap(void)
{
	char *argv[] = { "bwrap", "--unshare-all", "--ro-bind", "/", "/",
	    "true", NULL };
	int64_t t0;
	int status;
	pid_t pid;

	t0 = now_mono_ns();
	if (posix_spawnp(&pid, "bwrap", NULL, NULL, argv, environ) != 0)
		log_fatalx("cannot run bwrap");
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_fatalx("bwrap failed");
	return now_mono_ns() - t0;
}

int
main(int argc, char **argv)
{
	struct sandbox_pool pool;
	struct worker_spec tmpl = { .uid = NOBODY, .gid = NOBODY,
	    .workdir = "/", .filter = &filter, .body = body_empty };
	int64_t *t[NMODES], med[NMODES];
	char why[256];
	int runs = argc > 1 ? atoi(argv[1]) : 200, i, m, rc;

	if (runs < 1)
		runs = 1;
	if (geteuid() != 0) {
		printf("bench_spawn: needs root (namespaces, id maps)\n");
		return 0;
	}
	log_init("bench_spawn", 0);
	if ((rc = sandbox_policy_worker_wasm(&filter)) < 0)
		log_fatalx("seccomp policy: %s", strerror(-rc));
	/* BENCH_NO_CGROUP=1: without job cgroups (L3), to see their share */
	have_cg = getenv("BENCH_NO_CGROUP") == NULL &&
	    cgroup_env_probe(&cg_env, why, sizeof(why)) == 0 &&
	    cg_env.mode != CGROUP_MODE_NONE;
	sandbox_pool_init(&pool, &tmpl, 1);
	pool.cg = have_cg ? &cg_env : NULL;
	for (m = 0; m < NMODES; m++)
		t[m] = xcalloc(runs, sizeof(int64_t));
	cg_ns = xcalloc(4 * (size_t)runs, sizeof(int64_t));
	/* interleaved, so drift hits every mode alike */
	for (i = 0; i < runs; i++) {
		for (m = 0; m < NMODES; m++) {
			if (m == WARM_START || m == WARM_LIFE) {
				/* refilled off the clock, as the launcher does
				 * after the job is on its way; parked */
				if (sandbox_pool_fill(&pool) < 0)
					log_fatalx("pool fill");
				usleep(2000);
			}
			t[m][i] = m == BWRAP ? bench_bwrap() :
			    bench_worker(m == WARM_START || m == WARM_LIFE ?
			    &pool : NULL, m == WARM_LIFE || m == COLD_LIFE,
			    i * NMODES + m);
		}
	}
	printf("bench_spawn: %d runs each, %s, job cgroups %s\n", runs,
	    isolation, have_cg ? cg_env.desc : "none");
	printf("%-40s %10s %10s\n", "", "median us", "p90 us");
	for (m = 0; m < NMODES; m++) {
		qsort(t[m], runs, sizeof(int64_t), cmp_i64);
		med[m] = t[m][runs / 2];
		printf("%-40s %10.1f %10.1f\n", mode_names[m], med[m] / 1e3,
		    t[m][runs * 9 / 10] / 1e3);
	}
	if (ncg > 0) {
		qsort(cg_ns, ncg, sizeof(int64_t), cmp_i64);
		printf("%-40s %10.1f %10.1f\n", "  of which: job cgroup create",
		    cg_ns[ncg / 2] / 1e3, cg_ns[ncg * 9 / 10] / 1e3);
	}
	printf("ratios to bwrap (medians): warm start %.3fx, cold start "
	    "%.3fx, warm life %.3fx, cold life %.3fx; warm/cold start %.3fx\n",
	    (double)med[WARM_START] / med[BWRAP],
	    (double)med[COLD_START] / med[BWRAP],
	    (double)med[WARM_LIFE] / med[BWRAP],
	    (double)med[COLD_LIFE] / med[BWRAP],
	    (double)med[WARM_START] / med[COLD_START]);
	sandbox_pool_drain(&pool);
	free(cg_ns);
	for (m = 0; m < NMODES; m++)
		free(t[m]);
	free(filter.insns);
	return 0;
}
