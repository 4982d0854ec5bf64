/*
 * `kilnd --probe`: spawns one worker with the whole stack, exactly as the
 * launcher does for a job but running no guest, and prints which layers
 * it got, why the others are missing, and the resulting level.  What it
 * prints is what a job would get on this machine, not a guess from
 * kernel versions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/error.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

static const char *const probe_layers[SANDBOX_NLAYERS] = {
	"rlimits", "userns", "pidns", "netns", "mntns", "ipcns", "utsns",
	"cgroupns", "caps", "nnp", "landlock", "seccomp", "cgroup",
};

static int
probe_body(struct worker_spec *spec, struct worker_result *out)
{
	return 0;	/* everything the probe wants is in out->isolation */
}

/* Whether the report's "layers" array holds name (or "landlock:N"). */
static int
probe_has(const char *iso, const char *name, int *abi)
{
	const char *layers, *end, *p;
	char want[32];

	if ((layers = strstr(iso, "\"layers\":[")) == NULL ||
	    (end = strchr(layers, ']')) == NULL)
		return 0;
	if (strcmp(name, "landlock") == 0) {
		p = strstr(layers, "\"landlock:");
		if (p == NULL || p > end)
			return 0;
		*abi = atoi(p + strlen("\"landlock:"));
		return 1;
	}
	snprintf(want, sizeof(want), "\"%s\"", name);
	p = strstr(layers, want);
	return p != NULL && p < end;
}

int
sandbox_probe_worker(uid_t uid, gid_t gid, const struct cgroup_env *cg,
    char *report, size_t len)
{
	struct sandbox_bpf filter = { NULL, 0 };
	struct cgroup_limits limits = { 64u << 20, 8, 1000 };
	struct cgroup_job cj;
	struct worker_spec spec;
	struct worker_result wr;
	char name[32];
	uint8_t marker;
	int pfd[2], pidfd, status, rc, nul;
	pid_t pid;

	memset(&spec, 0, sizeof(spec));
	memset(&cj, 0, sizeof(cj));
	report[0] = '\0';
	if ((rc = sandbox_policy_worker_wasm(&filter)) < 0)
		log_warnx("seccomp policy does not compile: %s", kiln_strerror(rc));
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out_filter;
	}
	if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out_pipe;
	}
	spec.uid = uid;
	spec.gid = gid;
	spec.workdir = "/";
	spec.cpu_limit_s = 5;
	spec.result_fd = pfd[1];
	spec.job.input_fd = -1;
	spec.job.stdout_fd = spec.job.stderr_fd = nul;
	spec.filter = filter.len ? &filter : NULL;
	spec.body = probe_body;
	spec.cgroup_state = -EOPNOTSUPP;
	snprintf(name, sizeof(name), "probe-%d", (int)getpid());
	if (cg != NULL && cg->mode != CGROUP_MODE_NONE) {
		if ((rc = cgroup_job_create(cg, name, &limits, &cj)) < 0)
			spec.cgroup_state = rc;
		else {
			spec.cgroup_state = 1;
			spec.before_start = sandbox_cgroup_attach;
			spec.before_start_arg = &cj;
		}
	}
	pid = sandbox_worker_spawn(&spec, &pidfd);
	close(nul);
	close(pfd[1]);
	pfd[1] = -1;
	if (pid < 0) {
		rc = pid;
		goto out_cgroup;
	}
	close(pidfd);
	rc = read(pfd[0], &marker, 1) == 1 &&
	    read(pfd[0], &wr, sizeof(wr)) == sizeof(wr) &&
	    memchr(wr.isolation, 0, sizeof(wr.isolation)) != NULL &&
	    wr.isolation[0] != '\0' ? 0 : -ECHILD;
	waitpid(pid, &status, 0);
	if (rc == 0) {
		snprintf(report, len, "%s", wr.isolation);
		rc = strstr(wr.isolation, "\"level\":\"L")[10] - '0';
	}
out_cgroup:
	if (spec.cgroup_state == 1)
		cgroup_job_destroy(&cj);
out_pipe:
	close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
out_filter:
	free(filter.insns);
	return rc;
}

int
sandbox_probe(FILE *out, uid_t uid, gid_t gid)
{
	struct cgroup_env cg;
	char why[256], report[SANDBOX_ISOLATION_LEN];
	int i, rc, abi = 0;

	memset(&cg, 0, sizeof(cg));
	if ((rc = cgroup_env_probe(&cg, why, sizeof(why))) < 0)
		snprintf(why, sizeof(why), "%s", kiln_strerror(rc));
	if ((rc = sandbox_probe_worker(uid, gid, &cg, report,
	    sizeof(report))) < 0) {
		fprintf(out, "worker: did not start: %s\n", kiln_strerror(rc));
		return rc;
	}
	for (i = 0; i < SANDBOX_NLAYERS; i++) {
		const char *p = report, *reason = NULL;

		if (probe_has(report, probe_layers[i], &abi)) {
			if ((1u << i) == SANDBOX_LANDLOCK)
				fprintf(out, "%-9s ok (ABI %d)\n", "landlock",
				    abi);
			else if ((1u << i) == SANDBOX_CGROUP)
				fprintf(out, "%-9s ok (%s)\n", "cgroup",
				    cg.desc);
			else
				fprintf(out, "%-9s ok\n", probe_layers[i]);
			continue;
		}
		/* find "<layer>: ERRNO" in the report's degraded list */
		while ((p = strstr(p, probe_layers[i])) != NULL) {
			if (p > report && p[-1] == '"' &&
			    p[strlen(probe_layers[i])] == ':') {
				reason = p + strlen(probe_layers[i]) + 2;
				break;
			}
			p++;
		}
		if ((1u << i) == SANDBOX_CGROUP && cg.mode == CGROUP_MODE_NONE)
			fprintf(out, "%-9s no (%s)\n", "cgroup", why);
		else
			fprintf(out, "%-9s no (%.*s)\n", probe_layers[i],
			    reason ? (int)strcspn(reason, "\"") : 7,
			    reason ? reason : "unknown");
	}
	fprintf(out, "level     L%d\n", rc);
	fprintf(out, "report    %s\n", report);
	cgroup_env_clear(&cg);
	return 0;
}
