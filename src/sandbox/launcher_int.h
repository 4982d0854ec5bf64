/*
 * The launcher's private state and the functions its files share:
 * launcher_proc.c (the entry point, the event loop and the dispatch of
 * its peers' messages), launcher_child.c (the child table, reaping,
 * worker results and done reports), launcher_job.c (starting and killing
 * jobs) and launcher_compile.c (module compilation, native preparation).
 * Everything here runs in the launcher process (root), single-threaded.
 */
#ifndef KILN_LAUNCHER_INT_H
#define KILN_LAUNCHER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln/cgroup.h"
#include "kiln/config.h"
#include "kiln/job.h"
#include "kiln/msg.h"
#include "kiln/sandbox.h"

#define MAX_CHILDREN	1024

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

/* ------------------------------------------------- launcher_proc.c */

/*
 * Sends one message of type with payload p (n bytes) and up to two
 * descriptors (-1: none; they stay the caller's) to the core.  A core
 * that cannot be written to ends the launcher (log_fatal).
 */
void launcher_send(struct launcher *l, uint32_t type, const void *p,
    size_t n, int fd0, int fd1);

/* ------------------------------------------------ launcher_child.c */

/*
 * Adds c (xcalloc'd, its pidfd open) to the child table, which owns it
 * from then on.  Fatal past MAX_CHILDREN (the core bounds how many jobs
 * and compilations it asks for).
 */
void launcher_child_add(struct launcher *l, struct lchild *c);

/*
 * Removes child i from the table and releases all it holds: its pidfd,
 * pipes and memfds, a compiler's scratch directory, a worker's cgroup.
 * The process must already be reaped.  The last child moves into slot i.
 */
void launcher_child_free(struct launcher *l, int i);

/*
 * Child i's pidfd polled readable (it exited): reaps it and tells the
 * core how it ended, a compiler's module (launcher_compile_reaped) or a
 * worker's job (IMSG_CORE_JOB_DONE, unless its result already did), then
 * frees it: the last child moves into slot i.
 */
void launcher_child_reap(struct launcher *l, int i);

/*
 * Worker c's result pipe polled readable or closed: the start marker
 * (the core hears IMSG_CORE_JOB_RUNNING), then its result, reported at
 * once (IMSG_CORE_JOB_DONE); a pipe closed before the marker is only
 * marked done, the pidfd tells the rest.
 */
void launcher_child_result_poll(struct launcher *l, struct lchild *c);

/* Whether a worker is between its spawn (or take) and WORKER_STARTED. */
int launcher_child_starting(const struct launcher *l);

/*
 * Kills, reaps and frees every child and idle worker, removing their
 * cgroups and scratch directories; for the exit, when the core is gone.
 */
void launcher_child_stop_all(struct launcher *l);

/* SIGKILL through a pidfd; the syscall's result (-1 with errno). */
int launcher_pidfd_kill(int pidfd);

/*
 * Sends the core IMSG_CORE_JOB_DONE for job id: kind, the guest's
 * exit_code (-1: none), signal sig (0: none), reason, run time, the
 * output and log memfds (-1: none; they stay the caller's) and the
 * isolation report ("" when the worker sent none).
 */
void launcher_done_send(struct launcher *l, const char *id,
    enum done_kind kind, int64_t exit_code, int sig, const char *reason,
    int64_t run_ns, int out_fd, int log_fd, const char *isolation);

/*
 * A job's or compiler's reason for dying of sig: "cpu_limit" for
 * SIGXCPU, else "signal:SIG<NAME>", written into buf (len bytes) when
 * needed.  Returns the reason.
 */
const char *launcher_signal_reason(int sig, char *buf, size_t len);

/* -------------------------------------------------- launcher_job.c */

/*
 * IMSG_LAUNCHER_JOB_START: starts job s (its argv and env strings in
 * tail, tlen bytes; input_fd its input, or -1, which stays the caller's)
 * in a pooled or a new worker in its own cgroup, and adds the worker to
 * the child table.  A job that cannot start is reported to the core at
 * once (DONE_START_FAILED, worker_failed); a malformed request from the
 * core is fatal.
 */
void launcher_job_start(struct launcher *l, const struct msg_start *s,
    const uint8_t *tail, size_t tlen, int input_fd);

/*
 * IMSG_LAUNCHER_JOB_KILL: SIGKILLs the worker of job id, if it runs, and
 * marks it killed (its report says cancelled).
 */
void launcher_job_kill(struct launcher *l, const char *id);

/* ---------------------------------------------- launcher_compile.c */

/*
 * Sends the core IMSG_CORE_COMPILED for module digest: rc (0, or a
 * negative errno or -KILN_E*) and why, for the tenant.
 */
void launcher_compile_reply(struct launcher *l, const char *digest, int rc,
    const char *why);

/*
 * IMSG_LAUNCHER_COMPILE of a wasm module (its bytes in wasm_fd, which
 * stays the caller's): answers at once when the cache has it, else forks
 * a compiler in a scratch directory of its own and adds it to the child
 * table; a compilation that cannot start is answered at once.
 */
void launcher_compile_start(struct launcher *l, const struct msg_compile *req,
    int wasm_fd);

/*
 * IMSG_LAUNCHER_COMPILE of a native module: resolves the libraries the
 * core found it needs (their names in tail, tlen bytes) on this host and
 * installs the executable (exe_fd, which stays the caller's) and its
 * manifest into the cache.  Answers at once; a malformed list is fatal.
 */
void launcher_native_prepare(struct launcher *l,
    const struct msg_compile *req, const uint8_t *tail, size_t tlen,
    int exe_fd);

/*
 * Compiler child i was reaped with wait status: installs its module into
 * the cache if it reported success, frees the child (its scratch
 * directory goes), then answers the core (launcher_compile_reply).
 */
void launcher_compile_reaped(struct launcher *l, int i, int status);

#endif
