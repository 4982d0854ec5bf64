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

#include "kiln/sandbox.h"
#include "kiln/util.h"

static const char *const probe_layers[SANDBOX_NLAYERS] = {
	"rlimits", "userns", "pidns", "netns", "mntns", "ipcns", "utsns",
	"cgroupns", "caps", "nnp", "landlock", "seccomp",
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
sandbox_probe(FILE *out, uid_t uid, gid_t gid)
{
	struct sandbox_bpf filter = { NULL, 0 };
	struct worker_spec spec;
	struct worker_result wr;
	uint8_t marker;
	int pfd[2], pidfd, status, i, rc, nul, abi = 0;
	pid_t pid;

	memset(&spec, 0, sizeof(spec));
	if ((rc = sandbox_policy_worker_wasm(&filter)) < 0)
		fprintf(out, "seccomp: policy does not compile: %s\n",
		    strerror(-rc));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
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
	pid = sandbox_worker_spawn(&spec, &pidfd);
	close(nul);
	close(pfd[1]);
	pfd[1] = -1;
	if (pid < 0) {
		rc = pid;
		goto out;
	}
	close(pidfd);
	if (read(pfd[0], &marker, 1) != 1 ||
	    read(pfd[0], &wr, sizeof(wr)) != sizeof(wr) ||
	    memchr(wr.isolation, 0, sizeof(wr.isolation)) == NULL) {
		waitpid(pid, &status, 0);
		fprintf(out, "worker: did not start (status %#x)\n", status);
		rc = -ECHILD;
		goto out;
	}
	waitpid(pid, &status, 0);
	for (i = 0; i < SANDBOX_NLAYERS; i++) {
		const char *why = NULL, *p;

		if (probe_has(wr.isolation, probe_layers[i], &abi)) {
			if ((1u << i) == SANDBOX_LANDLOCK)
				fprintf(out, "%-9s ok (ABI %d)\n", "landlock",
				    abi);
			else
				fprintf(out, "%-9s ok\n", probe_layers[i]);
			continue;
		}
		/* find "<layer>: ERRNO" in the report's degraded list */
		p = wr.isolation;
		while ((p = strstr(p, probe_layers[i])) != NULL) {
			if (p > wr.isolation && p[-1] == '"' &&
			    p[strlen(probe_layers[i])] == ':') {
				why = p + strlen(probe_layers[i]) + 2;
				break;
			}
			p++;
		}
		fprintf(out, "%-9s no (%.*s)\n", probe_layers[i],
		    why ? (int)strcspn(why, "\"") : 7, why ? why : "unknown");
	}
	fprintf(out, "cgroups   not probed here (src/cgroup/cgroup.c)\n");
	fprintf(out, "level     %.2s\n", strstr(wr.isolation, "\"L") + 1);
	fprintf(out, "report    %s\n", wr.isolation);
	rc = 0;
out:
	close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(filter.insns);
	return rc;
}
