/*
 * Per-job resource control groups: memory, pids and cpu limits, a whole-job
 * kill, and the outcome (OOM kills, pids-limit hits, peak memory, cpu
 * usage) after the job.  Uses cgroup v2 where our own v2 cgroup has the
 * controllers, else v1 per controller under our own cgroup, else nothing.
 * Everything is created below our own cgroup, in a "kiln-jobs" directory.
 */
#ifndef KILN_CGROUP_H
#define KILN_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_mode {
	CGROUP_MODE_NONE,	/* no usable cgroups: rlimits only */
	CGROUP_MODE_V1,		/* one v1 hierarchy per controller */
	CGROUP_MODE_V2		/* one v2 directory holds every controller */
};

/* Controller bits. */
#define CGROUP_CTRL_MEMORY	0x01u
#define CGROUP_CTRL_PIDS	0x02u
#define CGROUP_CTRL_CPU		0x04u	/* cfs quota (v1 cpu, v2 cpu.max) */
#define CGROUP_CTRL_CPUACCT	0x08u	/* v1 usage accounting only */

#define CGROUP_HIER_MAX		4	/* distinct directories per job */
#define CGROUP_JOB_ID_MAX	64	/* longest job id, without the NUL */
#define CGROUP_PARENT_NAME	"kiln-jobs"

struct cgroup_hier {
	char		 path[PATH_MAX];	/* .../<own>/kiln-jobs */
	unsigned	 ctrls;			/* CGROUP_CTRL_* it carries */
};

struct cgroup_env {
	enum cgroup_mode	 mode;		/* what the probe found */
	unsigned		 ctrls;		/* union of hier[].ctrls */
	int			 nhier;		/* used entries of hier[] */
	struct cgroup_hier	 hier[CGROUP_HIER_MAX];
	char			 desc[64];	/* "v1:memory,pids,cpu,..." */
	/*
	 * "k<pid>-<hex>.": the probing process's prefix of every job cgroup
	 * name, so that what a process killed with SIGKILL leaves behind is
	 * known to be stale (cgroup_env_reap_stale) and never collides with
	 * its successor's cgroups (a requeued job keeps its id).
	 */
	char			 tag[32];
};

struct cgroup_limits {
	uint64_t	 mem_bytes;	/* memory incl. swap; 0: no limit */
	uint32_t	 pids_max;	/* processes+threads; 0: no limit */
	uint32_t	 cpu_millis;	/* cpu quota, 1000 = one cpu; 0: none */
};

struct cgroup_job {
	enum cgroup_mode mode;			/* copied from the env */
	int		 nhier;			/* used entries below */
	int		 fd[CGROUP_HIER_MAX];	/* each job directory */
	unsigned	 ctrls[CGROUP_HIER_MAX];	/* CGROUP_CTRL_* bits */
	char		*path[CGROUP_HIER_MAX];	/* owned, for rmdir */
};

/* Which fields of struct cgroup_outcome are valid. */
#define CGROUP_HAVE_OOM		0x01u
#define CGROUP_HAVE_PIDS	0x02u
#define CGROUP_HAVE_MEM_PEAK	0x04u
#define CGROUP_HAVE_CPU		0x08u

struct cgroup_outcome {
	unsigned	 have;		/* CGROUP_HAVE_* */
	uint64_t	 oom_kills;	/* processes the memory limit killed */
	uint64_t	 pids_max_hits;	/* forks refused by pids.max */
	uint64_t	 mem_peak_bytes;	/* highest memory charge seen */
	uint64_t	 cpu_usage_ns;	/* cpu time used by the whole job */
};

/*
 * Finds where this process may create job cgroups and fills *env.  v2 is
 * used when our own v2 cgroup (the "0::" line of /proc/self/cgroup) lists
 * memory, pids and cpu in cgroup.controllers and is writable; since v2
 * forbids processes in inner nodes, this process may then be moved into a
 * leaf "<own>/kiln-daemon" so that controllers can be delegated.  Otherwise
 * v1 is used when memory, pids and cpu each have a writable hierarchy
 * (cpuacct is added when present, for usage).  Creates "kiln-jobs" below
 * our own cgroup in each hierarchy; never touches anything outside our own
 * subtree.  Returns 0 with env->mode set, CGROUP_MODE_NONE included, and
 * a reason in why (may be NULL) when v2 or v1 was not usable.  Returns
 * -errno only if /proc/self/cgroup or mountinfo cannot be read.
 */
int cgroup_env_probe(struct cgroup_env *env, char *why, size_t whylen);

/*
 * Removes the "kiln-jobs" directories if they are empty; one still in use
 * by another job (or another process) is left alone.  Never fails.
 */
void cgroup_env_clear(struct cgroup_env *env);

/*
 * Removes the job cgroups that processes no longer alive left behind (a
 * kilnd killed with SIGKILL): every "k<pid>-*" in "kiln-jobs" whose pid
 * does not exist, when it is empty.  Never fails; returns how many it
 * removed.
 */
int cgroup_env_reap_stale(const struct cgroup_env *env);

/*
 * Creates "kiln-jobs/<tag><job_id>" in every hierarchy of env and writes the
 * limits: v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes (if the
 * kernel has swap accounting), pids.max, cpu.cfs_period_us=100000 and
 * cpu.cfs_quota_us; v2 memory.max, memory.swap.max=0, pids.max, cpu.max.
 * Memory counts only pages actually touched, so a worker's PROT_NONE
 * reservations cost nothing.  job_id is [A-Za-z0-9_.-]{1,64}, not starting
 * with '.'.  On success *out holds descriptors and paths released by
 * cgroup_job_destroy().  Errors: -EINVAL (bad id or mode NONE), -EEXIST
 * (the job exists), or -errno of a failed mkdir/write, with nothing left
 * behind.
 */
int cgroup_job_create(const struct cgroup_env *env, const char *job_id,
    const struct cgroup_limits *lim, struct cgroup_job *out);

/*
 * Writes new limits into an existing job cgroup (a pooled worker's, made
 * before its job was known).  0 or -errno.
 */
int cgroup_job_limits_set(const struct cgroup_job *job,
    const struct cgroup_limits *lim);

/*
 * Moves process pid (0: the caller) into the job in every hierarchy.  On
 * v1 a failure half-way leaves the process in some hierarchies only; the
 * caller should kill it.  0 or -errno (-ESRCH: no such process).
 */
int cgroup_job_attach(const struct cgroup_job *job, pid_t pid);

/*
 * The job's v2 directory descriptor for clone3(CLONE_INTO_CGROUP),
 * borrowed (valid until cgroup_job_destroy).  -EOPNOTSUPP on v1.
 */
int cgroup_job_fd(const struct cgroup_job *job);

/*
 * Reads what the job's cgroups recorded: OOM kills (v1 memory.oom_control
 * "oom_kill"; v2 memory.events), refused forks (pids.events "max"), peak
 * memory (v1 memory.max_usage_in_bytes; v2 memory.peak) and cpu usage (v1
 * cpuacct.usage; v2 cpu.stat usage_usec).  Fields whose file is missing
 * or unreadable are left 0 with their CGROUP_HAVE_* bit clear; returns 0.
 */
int cgroup_job_outcome(const struct cgroup_job *job,
    struct cgroup_outcome *o);

/*
 * SIGKILLs every process in the job and returns once none remains listed
 * (exited processes that are not yet reaped are not listed).  v2 uses
 * cgroup.kill; v1 reads cgroup.procs and kills until it reads empty,
 * briefly backing off.  0, or -EBUSY if processes outlived about a second.
 */
int cgroup_job_kill(const struct cgroup_job *job);

/*
 * Kills whatever remains in the job, removes its directories and releases
 * *job.  Safe on a zeroed job and idempotent.  0 or the first -errno of a
 * failed rmdir (the job is released in any case).
 */
int cgroup_job_destroy(struct cgroup_job *job);

#endif
