/*
 * A worker: one forked process that runs exactly one job and exits.  It
 * applies the sandbox layers built so far (control and resources, see
 * DESIGN §6) before touching the tenant's module, then reports how the
 * guest ended through a pipe.  The remaining layers (namespaces, Landlock,
 * seccomp) arrive with the sandbox issue; docs/ARCHITECTURE.md says what a
 * worker has today.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kiln/proc.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

/* Moves fd to slot (or leaves -1), so close_range can drop the rest. */
static int
fd_place(int fd, int slot)
{
	if (fd < 0)
		return -1;
	if (fd != slot && dup2(fd, slot) < 0)
		_exit(126);
	return slot;
}

static void
rlimit_set(int resource, rlim_t value)
{
	struct rlimit rl = { value, value };

	if (setrlimit(resource, &rl) < 0)
		_exit(126);
}

void
worker_run(struct worker_spec *spec)
{
	struct worker_result out;
	uint8_t started;
	struct wasm_job *job = &spec->job;
	sigset_t none;
	int tmp[4], i;

	/* layer 0: control */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(126);
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	clearenv();
	tmp[0] = spec->result_fd < 0 ? -1 : fcntl(spec->result_fd, F_DUPFD, 16);
	tmp[1] = job->input_fd < 0 ? -1 : fcntl(job->input_fd, F_DUPFD, 16);
	tmp[2] = fcntl(job->stdout_fd, F_DUPFD, 16);
	tmp[3] = fcntl(job->stderr_fd, F_DUPFD, 16);
	for (i = 0; i < 4; i++)
		if (tmp[i] < 0 && !(i == 1 && job->input_fd < 0))
			_exit(126);
	spec->result_fd = fd_place(tmp[0], 3);
	job->input_fd = fd_place(tmp[1], 4);
	job->stdout_fd = fd_place(tmp[2], 5);
	job->stderr_fd = fd_place(tmp[3], 6);
	syscall(SYS_close_range, 0, 2, 0);
	syscall(SYS_close_range, 7, ~0u, 0);

	/* layer 1: resources */
	rlimit_set(RLIMIT_CPU, spec->cpu_limit_s);
	rlimit_set(RLIMIT_CORE, 0);
	rlimit_set(RLIMIT_NOFILE, 16);

	/* layer 3 (partial): identity */
	if (chdir(spec->workdir) < 0 || proc_drop_privileges(spec->uid, spec->gid) < 0)
		_exit(126);

	started = WORKER_STARTED;
	if (fd_write_all(spec->result_fd, &started, 1) < 0)
		_exit(126);
	memset(&out, 0, sizeof(out));
	out.rc = wasm_job_run(job, &out.res);
	(void)!fd_write_all(spec->result_fd, &out, sizeof(out));
	_exit(0);
}
