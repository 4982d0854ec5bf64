/*
 * The launcher's side of job execution: turning a forked child into a
 * worker for exactly one job, and the result record a worker hands back.
 * The launcher process itself (src/sandbox/launcher_proc.c) forks workers
 * and compilers, enforces deadlines through pidfds and reports to the core.
 */
#ifndef KILN_SANDBOX_H
#define KILN_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#include "kiln/wasm.h"

/* First byte on a worker's result pipe: its sandbox is in place. */
#define WORKER_STARTED 0x52

/* Written by a worker to its result pipe just before it exits. */
struct worker_result {
	int32_t rc;		/* wasm_job_run's return value */
	struct wasm_result res;
};

struct worker_spec {
	uid_t uid;		/* run as this user when root */
	gid_t gid;
	const char *workdir;	/* entered before the privilege drop */
	uint32_t cpu_limit_s;	/* RLIMIT_CPU backstop */
	int result_fd;		/* write end of the result pipe */
	struct wasm_job job;	/* descriptors inside are the worker's */
};

/*
 * Specialises the calling (freshly forked) process into a worker and runs
 * the job: new session, parent-death signal, rlimits, closed descriptors,
 * empty environment, workdir entered (so job.so_path may be relative to it
 * and no directory above needs to be searchable), dropped privileges;
 * writes WORKER_STARTED to result_fd before it runs guest code; writes a struct worker_result to
 * result_fd and exits.  Never returns.
 */
void worker_run(struct worker_spec *spec) __attribute__((noreturn));

#endif
