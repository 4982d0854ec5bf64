/*
 * The launcher's side of job execution: creating a worker inside its own
 * namespaces, turning it into a sandboxed process for exactly one job
 * (DESIGN §6), and the result record a worker hands back, isolation report
 * included, and the warm pool of idle workers (src/sandbox/pool.c).  The
 * launcher process itself (src/sandbox/launcher_*.c) spawns or takes
 * workers, spawns compilers, enforces deadlines through pidfds and
 * reports to the core.  All confinement policy (seccomp allow-lists,
 * Landlock rules) lives in src/sandbox/policy.c.
 */
#ifndef KILN_SANDBOX_H
#define KILN_SANDBOX_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kiln/cgroup.h"
#include "kiln/native.h"
#include "kiln/wasm.h"

/* First byte on a worker's result pipe: its sandbox is in place. */
#define WORKER_STARTED 0x52

#define SANDBOX_ISOLATION_LEN	512

/* Written by a worker to its result pipe just before it exits. */
struct worker_result {
	int32_t rc;		/* wasm_job_run's return value */
	int32_t signal;		/* native: the guest died of it; res.reason
				   says signal:SIG... */
	struct wasm_result res;
	/*
	 * NUL-terminated compact JSON, exactly:
	 * {"level":"L4","layers":["rlimits",...],"degraded":["userns: EPERM",...]}
	 * layers in the fixed order rlimits userns pidns netns mntns ipcns
	 * utsns cgroupns caps nnp landlock:<abi> seccomp cgroup; see
	 * docs/SANDBOX.md.
	 */
	char isolation[SANDBOX_ISOLATION_LEN];
};

/* The layers of DESIGN §6 a worker can have; bits of sandbox_report. */
enum sandbox_layer {
	SANDBOX_RLIMITS		= 1 << 0,
	SANDBOX_USERNS		= 1 << 1,
	SANDBOX_PIDNS		= 1 << 2,
	SANDBOX_NETNS		= 1 << 3,
	SANDBOX_MNTNS		= 1 << 4,	/* pivot_root into a tmpfs */
	SANDBOX_IPCNS		= 1 << 5,
	SANDBOX_UTSNS		= 1 << 6,
	SANDBOX_CGROUPNS	= 1 << 7,
	SANDBOX_CAPS		= 1 << 8,	/* no capabilities, bounding set empty */
	SANDBOX_NNP		= 1 << 9,
	SANDBOX_LANDLOCK	= 1 << 10,
	SANDBOX_SECCOMP		= 1 << 11,
	SANDBOX_CGROUP		= 1 << 12,	/* the job's own cgroup limits */
};
#define SANDBOX_NLAYERS		13
#define SANDBOX_MAX_DEGRADED	SANDBOX_NLAYERS

/* What a worker achieved: the layers in place and why others are not. */
struct sandbox_report {
	uint32_t layers;	/* enum sandbox_layer bits */
	int landlock_abi;	/* 0 when Landlock is not in place */
	int ndegraded;
	char degraded[SANDBOX_MAX_DEGRADED][40];	/* "layer: ERRNO" */
};

/* A classic BPF program for PR_SET_SECCOMP, compiled once at start. */
struct sandbox_bpf {
	void *insns;		/* struct sock_filter[len] */
	unsigned short len;
};

/* What Landlock handles (denies unless a rule allows) for one profile. */
struct sandbox_landlock {
	uint64_t handled_fs;	/* filesystem rights, masked to the ABI */
	uint64_t handled_net;	/* ABI >= 4: TCP bind and connect */
	uint64_t scoped;	/* ABI >= 6: signals, abstract unix sockets */
	uint64_t module_access;	/* allowed on the one compiled module */
};

struct worker_result;
struct worker_spec;

/* A test or probe body run in place of the job; returns the rc to report. */
typedef int (*worker_body_fn)(struct worker_spec *spec,
    struct worker_result *out);

struct worker_spec {
	uid_t uid;		/* run as this user when root */
	gid_t gid;
	/*
	 * Who uid and gid are on the host, through the user namespace's
	 * maps: the tenant's own ids.  0: uid and gid themselves.
	 */
	uid_t host_uid;
	gid_t host_gid;
	const char *workdir;	/* entered before the privilege drop */
	uint32_t cpu_limit_s;	/* RLIMIT_CPU: SIGXCPU, reason cpu_limit */
	int result_fd;		/* write end of the result pipe */
	struct wasm_job job;	/* descriptors inside are the worker's */
	const struct sandbox_bpf *filter;	/* NULL: no seccomp (degraded) */
	const struct sandbox_bpf *native_filter;	/* a native job's */
	worker_body_fn body;	/* NULL: run job; else tests and the probe */
	/*
	 * A native job: job.so_path is the executable, which an init of
	 * ours (pid 1 of the job, src/sandbox/native.c) runs with execve;
	 * binds[0..nbinds) appear read-only in its root, with a /proc of
	 * its own and a private /tmp.  0 for a wasm job.
	 */
	int native;
	const struct native_bind *binds;
	int nbinds;
	/*
	 * Optional, run by sandbox_worker_spawn in the launcher once the
	 * child exists and before it may go on (the cgroup hook: e.g.
	 * cgroup_job_attach(job, pid)); non-zero (-errno) kills the child
	 * and fails the spawn with that value.
	 */
	int (*before_start)(pid_t pid, void *arg);
	void *before_start_arg;
	/*
	 * The job's cgroup: 1 when before_start attaches the child to it,
	 * -errno when there is none (the report says why), 0 when not asked
	 * for (tests of other layers).
	 */
	int cgroup_state;
	/*
	 * Pool: the limits of the job's cgroup, written into the pooled
	 * worker's own cgroup (attached when it was created) and handed
	 * over in *cgroup_taken; cgroup_state then becomes 1.  NULL: the
	 * pool made no cgroups, before_start attaches as for a cold spawn.
	 */
	const struct cgroup_limits *cgroup_limits;
	struct cgroup_job *cgroup_taken;
	/* below this level (0..4) the worker refuses to run guest code */
	int min_isolation;
	/* filled in by sandbox_worker_spawn for the child */
	struct sandbox_report report;
	int sync_fd;		/* read end: the launcher wrote the id maps */
	int parent_pidfd;	/* the spawning process, to detect its death */
	/*
	 * Set by the pool only: the worker parks on pool_fd (a SOCK_SEQPACKET
	 * end) before anything job-specific and takes the job fields, the
	 * descriptors and cgroup_state from one IMSG_WORKER_JOB.
	 */
	int pooled;
	int pool_fd;
	char comm[16];		/* pooled: the comm to take back with a job */
};

/*
 * The warm pool (Android's USAP pool): idle workers already cloned into
 * their namespaces, parked before anything job-specific (their id maps
 * too, written when a job of a known tenant takes one).  Each serves exactly one job and is never reused.
 */
#define SANDBOX_POOL_MAX	4
#define SANDBOX_POOL_COMM	"kiln-pool"	/* an idle worker's comm */

struct sandbox_pool_worker {
	pid_t pid;
	int pidfd;
	int sock;		/* the launcher's end */
	int maps[2];		/* its id maps, written when it is taken; -1
				   without a user namespace */
	int has_cg;		/* cg: its own cgroup, attached at creation */
	struct cgroup_job cg;
	struct cgroup_limits limits;	/* what cg's limits are now */
};

struct sandbox_pool {
	struct worker_spec tmpl;	/* uid, gid, workdir, filters, body */
	const struct cgroup_env *cg;	/* where pooled workers' cgroups go */
	uint64_t made;			/* names them */
	/* the limits a new worker's cgroup gets: those of the last job
	 * taken, so that taking one for a job like it writes nothing */
	struct cgroup_limits preset;
	struct sandbox_pool_worker w[SANDBOX_POOL_MAX];
	int n;			/* idle workers in w[0..n) */
	int target;		/* 0..SANDBOX_POOL_MAX */
};

/*
 * Sets up an empty pool of up to target workers created like tmpl (uid,
 * gid, workdir, filter, native_filter and body are kept; tmpl's pointers must outlive
 * the pool).  body: NULL in the launcher, a test body in tests.  Creates no worker: sandbox_pool_fill does.
 */
void sandbox_pool_init(struct sandbox_pool *pool,
    const struct worker_spec *tmpl, int target);

/*
 * Creates one idle worker if the pool is below its target: 1 when it did,
 * 0 when the pool is full, or -errno.  With pool->cg set, the worker gets
 * its own cgroup (with the limits of the last job taken) before it may
 * run, so that taking it costs at most writing the job's limits.
 */
int sandbox_pool_fill(struct sandbox_pool *pool);

/*
 * Hands the job of spec to an idle worker: writes its id maps (spec's
 * uid and gid as spec's host ids), runs spec->before_start on its pid
 * (the cgroup attach), then sends it the job-specific fields and
 * descriptors of spec, which the caller still owns.  spec's uid, gid,
 * workdir, filters and body must be the pool's.  Returns the pid with *pidfd set
 * (the caller owns it and must reap the pid), -EAGAIN when the pool is
 * empty, or another -errno with the worker killed and reaped (the caller
 * falls back to sandbox_worker_spawn).
 */
pid_t sandbox_pool_take(struct sandbox_pool *pool, struct worker_spec *spec,
    int *pidfd);

/* Reaps idle worker i, which exited (its pidfd polled readable). */
void sandbox_pool_reap(struct sandbox_pool *pool, int i);

/* Kills and reaps every idle worker; the pool stays usable. */
void sandbox_pool_drain(struct sandbox_pool *pool);

/*
 * Compiles the wasm worker's seccomp allow-list (default action
 * KILL_PROCESS) into *out; the caller owns out->insns (free()).  Never
 * allows unshare, setns, clone or clone3, ptrace, bpf, mount, keyctl,
 * io_uring_* or perf_event_open.  0 or -errno.
 */
int sandbox_policy_worker_wasm(struct sandbox_bpf *out);

/* The wasm worker's Landlock access masks for Landlock ABI abi (>= 1). */
void sandbox_policy_worker_landlock(int abi, struct sandbox_landlock *out);

/*
 * Compiles the native worker's seccomp profile into *out (the caller owns
 * out->insns): an allow-list with the broader set a native program needs
 * (fork and clone without namespace flags, execve, threads, files, pipes,
 * unix and inet sockets, which its empty network namespace and Landlock
 * leave nowhere to go); a system call it does not list fails with ENOSYS
 * (clone3 among them, so that libc falls back to clone, whose flags are
 * checked); and the calls of the never list (ptrace, mount, unshare,
 * setns, bpf, keyctl, io_uring_*, perf_event_open, ...) or a clone with
 * a namespace flag kill the process (SIGSYS).  0 or -errno.
 */
int sandbox_policy_worker_native(struct sandbox_bpf *out);

struct sandbox_landlock_rule;

/* Rules of the native profile's Landlock, at most this many. */
#define SANDBOX_NATIVE_RULES	3

/*
 * The native worker's Landlock, inside its new root: ll as for wasm, and
 * rules[0..n) allowing reading and executing what its root holds,
 * writing and creating files in /tmp, and writing to /dev/null.
 * Returns n.
 */
size_t sandbox_policy_native_landlock(int abi, struct sandbox_landlock *ll,
    struct sandbox_landlock_rule *rules);

/* Rules of the compiler's Landlock, at most this many. */
#define SANDBOX_COMPILER_RULES	9

/*
 * The compiler's Landlock: every filesystem right of the ABI handled;
 * rules[0..n) allow reading and executing the toolchain (/usr, /bin,
 * /sbin, /lib, /lib64, /etc/alternatives, /etc/ld.so.cache), everything
 * beneath scratch, and reading and writing /dev/null; nothing else (no
 * state directory, no tokens).  Returns n.
 */
size_t sandbox_policy_compiler_landlock(int abi, const char *scratch,
    struct sandbox_landlock *ll, struct sandbox_landlock_rule *rules);

/*
 * Native jobs (src/sandbox/native.c).  native_fs_mounts adds to the new
 * root (root: its directory fd) a /proc of the job's pid namespace (pid
 * entries only) and a private /tmp (tmpfs, NATIVE_TMP_SIZE, noexec);
 * 0 or -errno.
 */
#define NATIVE_TMP_SIZE	"64m"
int native_fs_mounts(int root);

/*
 * Runs a native job as the init of its pid namespace: execs job->so_path
 * in a child with job->argv/envp, its stdin fed from job->input_fd and its
 * stdout and stderr read from pipes into job->stdout_fd and
 * job->stderr_fd, at most output_max and log_max bytes (beyond them every
 * process of the job is killed and the reason is output_limit /
 * log_limit), until the child exits; then kills whatever it left.  Fills
 * out->res (exit code, reason) and out->signal.  Returns 0 when the
 * child ran, or -errno when it could not be started (the reason says
 * load:...).
 */
int native_job_run(const struct wasm_job *job, struct worker_result *out);

/*
 * Installs a native module into cache: its manifest (<key>.libs, from
 * libs) then the executable (<key>.exe, at most max bytes of exe_fd, root
 * owned, 0555), each written to a temporary file, synced and renamed.
 * Runs in the launcher.  0 or -errno.
 */
int native_install(const char *cache, const char *key, int exe_fd,
    size_t max, const struct native_libs *libs);

/* The Landlock ABI of the running kernel, or -errno (ENOSYS, EOPNOTSUPP). */
int sandbox_landlock_abi(void);

/* One Landlock rule: access allowed beneath path (or on it, a file). */
struct sandbox_landlock_rule {
	const char *path;
	uint64_t access;	/* masked to ll->handled_fs, and to file rights
				   when path is not a directory */
};

/*
 * Restricts the calling process with Landlock: ll's handled rights for the
 * kernel's ABI abi, and rules[0..n) (a path that does not exist is
 * skipped).  The one place Kiln talks to Landlock.  0 or -errno.
 */
int sandbox_landlock_apply(const struct sandbox_landlock *ll, int abi,
    const struct sandbox_landlock_rule *rules, size_t n);

/* Every filesystem right Landlock ABI abi knows. */
uint64_t sandbox_landlock_fs_all(int abi);

/*
 * Creates a worker for spec with clone3(CLONE_PIDFD) inside new user, pid,
 * net, mount, ipc, uts and cgroup namespaces, mapping spec->uid/gid to
 * spec->host_uid/gid (sandbox_worker_map; a pooled worker's maps wait
 * for its job).  Falls back, and records why in the
 * child's report, to the same namespaces without a user namespace, then to
 * none.  spec->before_start, if set, runs before the child may go on.
 * The child runs worker_run(spec) and never returns.  Returns the child's
 * pid with *pidfd set (close-on-exec), or -errno.
 */
pid_t sandbox_worker_spawn(struct worker_spec *spec, int *pidfd);

/*
 * Specialises a process created by sandbox_worker_spawn into a worker and
 * runs the job: new session, parent-death signal, rlimits, closed
 * descriptors, empty environment, workdir entered as root (so job.so_path
 * may be relative to it), user and group switched, pivot_root into a
 * tmpfs holding only the module, capabilities dropped, no_new_privs,
 * Landlock, seccomp last.  A layer that cannot be applied is recorded in
 * the isolation report; writes WORKER_STARTED to result_fd before it runs
 * guest code, then a struct worker_result, and exits.  A pooled worker
 * (spec->pooled) first parks, holding nothing of the launcher's, until
 * sandbox_pool_take hands it its job.  Never returns.
 */
void worker_run(struct worker_spec *spec) __attribute__((noreturn));

/* The sandboxed compiler (src/sandbox/compiler.c). */
struct compiler_spec {
	const char *digest;	/* the module, echoed in the result */
	const char *scratch;	/* holds module.wasm; the only writable dir */
	int as_user;		/* 1: as uid/gid; 0: uid 0 without caps */
	uid_t uid;		/* compiles as this user when root */
	gid_t gid;
	uint32_t cpu_s;		/* RLIMIT_CPU backstop */
	uint64_t mem_bytes;	/* RLIMIT_AS */
	int result_fd;		/* receives one struct msg_compiled */
};

/*
 * Creates dir (mode 0700, owned by uid/gid) holding module.wasm, the
 * bytes of wasm_fd (at most max).  Runs in the launcher.  0 or -errno.
 */
int compiler_scratch_prepare(const char *dir, int wasm_fd, size_t max,
    uid_t uid, gid_t gid);

/*
 * Confines the calling (freshly forked) process as a compiler and compiles
 * spec->scratch/module.wasm into spec->scratch/module.so; writes a struct
 * msg_compiled to result_fd and exits.  Never returns.
 */
void compiler_run(const struct compiler_spec *spec) __attribute__((noreturn));

/*
 * Whether uid/gid can reach and run the toolchain (/usr/bin/wasm2c, cc):
 * not where the root directory is not searchable by others.  Forks to
 * check as that user.  Always 1 when not root.
 */
int compiler_user_can_compile(uid_t uid, gid_t gid);

/* Moves a built module into the cache (root-owned, 0644) and syncs it. */
int compiler_install(const char *built, const char *so_path);

/* Removes a scratch directory and everything in it, best effort. */
void compiler_scratch_remove(const char *dir);

/*
 * The user namespace maps of a worker: sandbox_worker_maps_open opens
 * /proc/<pid>/uid_map and gid_map for writing (fds[0], fds[1]);
 * sandbox_worker_map writes them, spec->uid and gid inside being
 * spec->host_uid and host_gid (or themselves) outside, and closes both.
 * 0 or -errno.
 */
int sandbox_worker_maps_open(pid_t pid, int fds[2]);
int sandbox_worker_map(int fds[2], const struct worker_spec *spec);

/* A before_start hook: attaches pid to the struct cgroup_job arg. */
int sandbox_cgroup_attach(pid_t pid, void *job);

/* Records that layer name is missing because of err (an errno value). */
void sandbox_report_degrade(struct sandbox_report *rep, const char *name,
    int err);

/* The level per DESIGN §6: 4 (all layers) down to 0 (rlimits only). */
int sandbox_report_level(const struct sandbox_report *rep);

/* Writes the report as the JSON of struct worker_result.isolation. */
void sandbox_report_json(const struct sandbox_report *rep, char *buf,
    size_t len);

/*
 * Spawns one worker with the full stack for uid/gid, in a cgroup of cg
 * when cg is usable (NULL: none), exactly as for a job but running no
 * guest; copies its isolation report into report.  Returns the level
 * (0..4) or -errno.
 */
struct cgroup_env;
int sandbox_probe_worker(uid_t uid, gid_t gid, const struct cgroup_env *cg,
    char *report, size_t len);

/*
 * `kilnd --probe`: probes cgroups and one worker, then prints one line per
 * layer, the level and the report to out.  0 or -errno.
 */
int sandbox_probe(FILE *out, uid_t uid, gid_t gid);

#endif
