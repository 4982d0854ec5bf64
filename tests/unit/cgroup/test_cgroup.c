/*
 * Unit tests of per-job control groups (src/cgroup/cgroup.c) against the
 * real kernel: the probe agrees with /proc/self/cgroup and the mounts, and
 * each limit has its exact effect (an OOM kill, EAGAIN from fork, the
 * quota files as written).  Needs root and usable cgroups; exits 77 (skip)
 * with the reason otherwise.  Nothing here sleeps: children are awaited
 * with waitpid and pipes read until EOF.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/cgroup.h"

#define MiB	(1024ull * 1024)

static struct cgroup_env env;

static const char *
job_name(const char *what)
{
	static char buf[CGROUP_JOB_ID_MAX + 1];

	snprintf(buf, sizeof(buf), "t%ld-%s", (long)getpid(), what);
	return buf;
}

/* Reads a small file at dirfd into buf; the byte count. */
static size_t
slurp_at(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t r;
	size_t n = 0;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	while ((r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	assert_true(r == 0);
	close(fd);
	buf[n] = '\0';
	return n;
}

/* Number of pids listed in the job's cgroup.procs of hierarchy h. */
static int
procs_count(const struct cgroup_job *job, int h)
{
	char buf[4096], *p;
	int n = 0;

	slurp_at(job->fd[h], "cgroup.procs", buf, sizeof(buf));
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	return n;
}

static int
hier_of(const struct cgroup_job *job, unsigned ctrl)
{
	int h;

	for (h = 0; h < job->nhier; h++)
		if (job->ctrls[h] & ctrl)
			return h;
	fail_msg("no hierarchy carries controller %#x", ctrl);
	return -1;
}

/*
 * Forks a child that blocks until the parent has attached it to job, then
 * runs fn.  The child's pid.
 */
static pid_t
spawn_in(const struct cgroup_job *job, void (*fn)(void *), void *arg)
{
	char c;
	pid_t pid;
	int go[2];

	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(100);
		close(go[0]);
		fn(arg);
		_exit(0);
	}
	close(go[0]);
	assert_int_equal(cgroup_job_attach(job, pid), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	return pid;
}

static int
wait_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* Our own cgroup path for a v1 controller, from /proc/self/cgroup. */
static int
self_cgroup(const char *ctrl, char *out, size_t outlen)
{
	char line[PATH_MAX + 64], *c1, *c2, *tok, *save;
	FILE *f;
	int found = 0;

	assert_non_null(f = fopen("/proc/self/cgroup", "r"));
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((c1 = strchr(line, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c2 = '\0';
		for (tok = strtok_r(c1 + 1, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, ctrl) == 0) {
				snprintf(out, outlen, "%s",
				    strcmp(c2 + 1, "/") == 0 ? "" : c2 + 1);
				found = 1;
			}
	}
	fclose(f);
	return found;
}

/* The mount point of the v1 hierarchy carrying ctrl, from /proc/mounts. */
static int
v1_mount(const char *ctrl, char *out, size_t outlen)
{
	char dev[256], dir[PATH_MAX], type[64], opts[1024], *tok, *save;
	FILE *f;
	int found = 0;

	assert_non_null(f = fopen("/proc/self/mounts", "r"));
	while (!found && fscanf(f, "%255s %4095s %63s %1023s %*d %*d", dev,
	    dir, type, opts) == 4) {
		if (strcmp(type, "cgroup") != 0)
			continue;
		for (tok = strtok_r(opts, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, ctrl) == 0) {
				snprintf(out, outlen, "%s", dir);
				found = 1;
			}
	}
	fclose(f);
	return found;
}

static void
test_probe_matches_system(void **state)
{
	static const char *names[] = { "memory", "pids", "cpu", "cpuacct" };
	static const unsigned bits[] = { CGROUP_CTRL_MEMORY, CGROUP_CTRL_PIDS,
	    CGROUP_CTRL_CPU, CGROUP_CTRL_CPUACCT };
	char own[PATH_MAX], mnt[PATH_MAX], want[2 * PATH_MAX + 32];
	char desc[64];
	struct stat st;
	size_t i;
	int h, n;

	print_message("cgroup probe: %s\n", env.desc);
	if (env.mode == CGROUP_MODE_V2) {
		/* one directory, every controller; not verifiable here */
		assert_int_equal(env.nhier, 1);
		assert_string_equal(env.desc, "v2:memory,pids,cpu");
		return;
	}
	assert_int_equal(env.mode, CGROUP_MODE_V1);
	n = snprintf(desc, sizeof(desc), "v1:");
	for (i = 0; i < 4; i++) {
		if (!self_cgroup(names[i], own, sizeof(own)) ||
		    !v1_mount(names[i], mnt, sizeof(mnt))) {
			assert_int_equal(env.ctrls & bits[i], 0);
			assert_true(bits[i] == CGROUP_CTRL_CPUACCT);
			continue;
		}
		/* the controller is used, in <mount><own>/kiln-jobs */
		assert_true(env.ctrls & bits[i]);
		snprintf(want, sizeof(want), "%s%s/%s", mnt, own,
		    CGROUP_PARENT_NAME);
		for (h = 0; h < env.nhier; h++)
			if (env.hier[h].ctrls & bits[i])
				break;
		assert_true(h < env.nhier);
		assert_string_equal(env.hier[h].path, want);
		assert_int_equal(stat(want, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		n += snprintf(desc + n, sizeof(desc) - (size_t)n, "%s%s",
		    i == 0 ? "" : ",", names[i]);
	}
	assert_string_equal(env.desc, desc);
}

/*
 * Fault injection (DESIGN section 6): in a private mount namespace every
 * cgroup mount is made read-only; the probe must then report none, with
 * the reason, and leave the directories other processes use alone.
 */
static void
test_probe_read_only_is_none(void **state)
{
	char dev[256], dir[PATH_MAX], type[64], opts[1024], why[512];
	struct cgroup_env ro;
	struct stat st;
	FILE *f;
	pid_t pid;
	int p[2], status, h;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(110);
		if ((f = fopen("/proc/self/mounts", "r")) == NULL)
			_exit(111);
		while (fscanf(f, "%255s %4095s %63s %1023s %*d %*d", dev, dir,
		    type, opts) == 4)
			if ((strcmp(type, "cgroup") == 0 ||
			    strcmp(type, "cgroup2") == 0) &&
			    mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND |
			    MS_RDONLY, NULL) < 0)
				_exit(112);
		fclose(f);
		if (cgroup_env_probe(&ro, why, sizeof(why)) < 0)
			_exit(113);
		if (ro.mode != CGROUP_MODE_NONE || why[0] == '\0' ||
		    strcmp(ro.desc, "none") != 0)
			_exit(114);
		if (write(p[1], why, strlen(why)) < 0)
			_exit(115);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], why, sizeof(why) - 1);
	close(p[0]);
	status = wait_status(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(n > 0);
	why[n] = '\0';
	print_message("read-only cgroups: none (%s)\n", why);
	for (h = 0; h < env.nhier; h++)
		assert_int_equal(stat(env.hier[h].path, &st), 0);
}

static void
touch_256mib(void *arg)
{
	size_t len = 256 * MiB, off;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(101);
	for (off = 0; off < len; off += 4096)
		p[off] = 1;
	_exit(0);	/* reached only if the limit did not hold */
}

static void
test_memory_limit_oom_kills(void **state)
{
	struct cgroup_limits lim = { .mem_bytes = 64 * MiB };
	struct cgroup_outcome o;
	struct cgroup_job job;
	char buf[64];
	pid_t pid;
	int st, h;

	assert_int_equal(cgroup_job_create(&env, job_name("oom"), &lim, &job),
	    0);
	h = hier_of(&job, CGROUP_CTRL_MEMORY);
	slurp_at(job.fd[h], env.mode == CGROUP_MODE_V2 ? "memory.max" :
	    "memory.limit_in_bytes", buf, sizeof(buf));
	assert_string_equal(buf, "67108864\n");
	/* swap is capped too, where the kernel accounts it */
	if (env.mode == CGROUP_MODE_V1 &&
	    faccessat(job.fd[h], "memory.memsw.limit_in_bytes", F_OK, 0) == 0) {
		slurp_at(job.fd[h], "memory.memsw.limit_in_bytes", buf,
		    sizeof(buf));
		assert_string_equal(buf, "67108864\n");
	}
	pid = spawn_in(&job, touch_256mib, NULL);
	st = wait_status(pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(cgroup_job_outcome(&job, &o), 0);
	assert_true(o.have & CGROUP_HAVE_OOM);
	assert_true(o.oom_kills >= 1);
	if (o.have & CGROUP_HAVE_MEM_PEAK) {
		/* the OOM came at the limit, never past it */
		assert_true(o.mem_peak_bytes <= 64 * MiB);
		assert_true(o.mem_peak_bytes > 32 * MiB);
	}
	print_message("oom: oom_kills=%llu peak=%llu\n",
	    (unsigned long long)o.oom_kills,
	    (unsigned long long)o.mem_peak_bytes);
	assert_int_equal(cgroup_job_destroy(&job), 0);
}

/*
 * Forks until fork fails; each grandchild blocks on a pipe the child holds.
 * Reports "<forks> <errno>" on fd (passed as arg), then lets them go.
 */
static void
fork_until_refused(void *arg)
{
	int out = *(int *)arg, hold[2], forks = 0, err = 0;
	char c, msg[32];
	pid_t pid;

	if (pipe(hold) < 0)
		_exit(102);
	for (;;) {
		pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			close(hold[1]);
			while (read(hold[0], &c, 1) > 0)
				;
			_exit(0);
		}
		if (++forks > 64)
			break;
	}
	snprintf(msg, sizeof(msg), "%d %d", forks, err);
	if (write(out, msg, strlen(msg)) < 0)
		_exit(103);
	close(hold[1]);
	while (wait(NULL) > 0)
		;
	_exit(0);
}

static void
test_pids_max_refuses_fork(void **state)
{
	struct cgroup_limits lim = { .pids_max = 4 };
	struct cgroup_outcome o;
	struct cgroup_job job;
	char buf[64];
	int p[2], forks, err, st;
	pid_t pid;

	assert_int_equal(cgroup_job_create(&env, job_name("pids"), &lim,
	    &job), 0);
	slurp_at(job.fd[hier_of(&job, CGROUP_CTRL_PIDS)], "pids.max", buf,
	    sizeof(buf));
	assert_string_equal(buf, "4\n");
	assert_int_equal(pipe(p), 0);
	pid = spawn_in(&job, fork_until_refused, &p[1]);
	close(p[1]);
	buf[read(p[0], buf, sizeof(buf) - 1)] = '\0';
	close(p[0]);
	assert_int_equal(sscanf(buf, "%d %d", &forks, &err), 2);
	/* the child is one of the four: three more forks, then EAGAIN */
	assert_int_equal(forks, 3);
	assert_int_equal(err, EAGAIN);
	st = wait_status(pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(cgroup_job_outcome(&job, &o), 0);
	assert_true(o.have & CGROUP_HAVE_PIDS);
	assert_int_equal(o.pids_max_hits, 1);	/* the one refused fork */
	assert_int_equal(cgroup_job_destroy(&job), 0);
}

static void
spin_half_second(void *arg)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec <
	    500000000L);
}

static void
test_cpu_quota_written(void **state)
{
	struct cgroup_limits lim = { .cpu_millis = 200 };
	struct cgroup_outcome o;
	struct cgroup_job job;
	char buf[64];
	int h, st;

	assert_int_equal(cgroup_job_create(&env, job_name("cpu"), &lim, &job),
	    0);
	h = hier_of(&job, CGROUP_CTRL_CPU);
	if (env.mode == CGROUP_MODE_V2) {
		slurp_at(job.fd[h], "cpu.max", buf, sizeof(buf));
		assert_string_equal(buf, "20000 100000\n");
	} else {
		slurp_at(job.fd[h], "cpu.cfs_period_us", buf, sizeof(buf));
		assert_string_equal(buf, "100000\n");
		slurp_at(job.fd[h], "cpu.cfs_quota_us", buf, sizeof(buf));
		assert_string_equal(buf, "20000\n");
	}
	st = wait_status(spawn_in(&job, spin_half_second, NULL));
	assert_true(WIFEXITED(st));
	assert_int_equal(cgroup_job_outcome(&job, &o), 0);
	if (env.ctrls & (CGROUP_CTRL_CPUACCT) || env.mode == CGROUP_MODE_V2) {
		assert_true(o.have & CGROUP_HAVE_CPU);
		assert_true(o.cpu_usage_ns > 0);
	}
	/* informative only: CI must not assert times */
	print_message("cpu: 0.5 s wall at 20%% quota used %.3f s cpu\n",
	    (double)o.cpu_usage_ns / 1e9);
	assert_int_equal(cgroup_job_destroy(&job), 0);

	/* a quota of 0 means none; under 1 ms per period is refused */
	lim.cpu_millis = 0;
	assert_int_equal(cgroup_job_create(&env, job_name("cpu0"), &lim, &job),
	    0);
	h = hier_of(&job, CGROUP_CTRL_CPU);
	slurp_at(job.fd[h], env.mode == CGROUP_MODE_V2 ? "cpu.max" :
	    "cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, env.mode == CGROUP_MODE_V2 ?
	    "max 100000\n" : "-1\n");
	assert_int_equal(cgroup_job_destroy(&job), 0);
	lim.cpu_millis = 9;
	assert_int_equal(cgroup_job_create(&env, job_name("cpu9"), &lim, &job),
	    -EINVAL);
}

/* Forks three grandchildren that block forever, then says "r" on fd. */
static void
fork_three_and_wait(void *arg)
{
	int out = *(int *)arg, i;
	pid_t pid;

	for (i = 0; i < 3; i++) {
		if ((pid = fork()) < 0)
			_exit(104);
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	if (write(out, "r", 1) != 1)
		_exit(105);
	for (;;)
		pause();
}

static void
test_kill_empties_job(void **state)
{
	struct cgroup_limits lim = { 0 };
	struct cgroup_job job;
	int p[2], h, st, reaped = 0;
	pid_t pid, w;
	char c;

	/* reap the orphaned grandchildren ourselves */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(cgroup_job_create(&env, job_name("kill"), &lim,
	    &job), 0);
	assert_int_equal(pipe(p), 0);
	pid = spawn_in(&job, fork_three_and_wait, &p[1]);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	for (h = 0; h < job.nhier; h++)
		assert_int_equal(procs_count(&job, h), 4);
	assert_int_equal(cgroup_job_kill(&job), 0);
	for (h = 0; h < job.nhier; h++)
		assert_int_equal(procs_count(&job, h), 0);
	st = wait_status(pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	while ((w = waitpid(-1, &st, 0)) > 0) {
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
		reaped++;
	}
	assert_int_equal(errno, ECHILD);
	assert_int_equal(reaped, 3);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_int_equal(cgroup_job_destroy(&job), 0);
}

/*
 * Every process forks until a fork is refused (the job is then full), says
 * "r" on fd, and goes on forking for ever.  Each holds the pipe's read
 * end too (inherited), so no write can raise SIGPIPE.
 */
static void
fork_forever(void *arg)
{
	while (fork() >= 0)
		;
	if (write(*(int *)arg, "r", 1) != 1)
		_exit(106);
	for (;;)
		fork();
}

static void
test_kill_stops_fork_loop(void **state)
{
	struct cgroup_limits lim = { .pids_max = 16 };
	struct cgroup_job job;
	int p[2], h, st, reaped = 0;
	pid_t pid;
	char c;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(cgroup_job_create(&env, job_name("bomb"), &lim,
	    &job), 0);
	assert_int_equal(pipe(p), 0);
	pid = spawn_in(&job, fork_forever, &p[1]);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(cgroup_job_kill(&job), 0);
	for (h = 0; h < job.nhier; h++)
		assert_int_equal(procs_count(&job, h), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	while (waitpid(-1, &st, 0) > 0) {
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
		reaped++;
	}
	assert_int_equal(errno, ECHILD);
	/* full at 16 when "r" came, and nobody leaves but by our kill */
	assert_int_equal(reaped, 15);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_int_equal(cgroup_job_destroy(&job), 0);
}

static void
block_forever(void *arg)
{
	for (;;)
		pause();
}

static void
test_destroy_removes_dirs(void **state)
{
	struct cgroup_limits lim = { .mem_bytes = 64 * MiB, .pids_max = 8 };
	struct cgroup_job job;
	char paths[CGROUP_HIER_MAX][PATH_MAX];
	struct stat st;
	int h, n, status;
	pid_t pid;

	assert_int_equal(cgroup_job_create(&env, job_name("rm"), &lim, &job),
	    0);
	n = job.nhier;
	assert_int_equal(n, env.nhier);
	for (h = 0; h < n; h++) {
		snprintf(paths[h], sizeof(paths[h]), "%s", job.path[h]);
		assert_int_equal(stat(paths[h], &st), 0);
	}
	/* a live process inside: destroy kills it first */
	pid = spawn_in(&job, block_forever, NULL);
	assert_int_equal(cgroup_job_destroy(&job), 0);
	status = wait_status(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	for (h = 0; h < n; h++) {
		assert_int_equal(stat(paths[h], &st), -1);
		assert_int_equal(errno, ENOENT);
	}
	assert_int_equal(job.nhier, 0);
	assert_int_equal(cgroup_job_destroy(&job), 0);	/* idempotent */
}

static void
test_two_jobs_are_distinct(void **state)
{
	struct cgroup_limits lim = { .pids_max = 16 };
	struct cgroup_job a, b, dup;
	struct stat sa, sb;
	pid_t pid;
	int h, st;
	char id[80];

	assert_int_equal(cgroup_job_create(&env, job_name("a"), &lim, &a), 0);
	assert_int_equal(cgroup_job_create(&env, job_name("b"), &lim, &b), 0);
	assert_int_equal(cgroup_job_create(&env, job_name("a"), &lim, &dup),
	    -EEXIST);
	for (h = 0; h < a.nhier; h++) {
		assert_string_not_equal(a.path[h], b.path[h]);
		assert_int_equal(fstat(a.fd[h], &sa), 0);
		assert_int_equal(fstat(b.fd[h], &sb), 0);
		assert_true(sa.st_ino != sb.st_ino);
	}
	/* the failed duplicate left a's directories alone */
	pid = spawn_in(&a, block_forever, NULL);
	for (h = 0; h < a.nhier; h++) {
		assert_int_equal(procs_count(&a, h), 1);
		assert_int_equal(procs_count(&b, h), 0);
	}
	assert_int_equal(cgroup_job_kill(&a), 0);
	st = wait_status(pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(cgroup_job_destroy(&a), 0);
	assert_int_equal(cgroup_job_destroy(&b), 0);

	/* ids that could escape kiln-jobs or hide are refused */
	assert_int_equal(cgroup_job_create(&env, "", &lim, &dup), -EINVAL);
	assert_int_equal(cgroup_job_create(&env, "..", &lim, &dup), -EINVAL);
	assert_int_equal(cgroup_job_create(&env, ".x", &lim, &dup), -EINVAL);
	assert_int_equal(cgroup_job_create(&env, "a/b", &lim, &dup), -EINVAL);
	assert_int_equal(cgroup_job_create(&env, "../../x", &lim, &dup),
	    -EINVAL);
	memset(id, 'x', sizeof(id));
	id[CGROUP_JOB_ID_MAX + 1] = '\0';
	assert_int_equal(cgroup_job_create(&env, id, &lim, &dup), -EINVAL);
	id[CGROUP_JOB_ID_MAX] = '\0';
	assert_int_equal(cgroup_job_create(&env, id, &lim, &dup), 0);
	assert_int_equal(cgroup_job_destroy(&dup), 0);
}

/* After a failed assertion: remove what the test left behind. */
/*
 * A SIGKILLed process's job cgroups are stale: cgroup_env_reap_stale
 * removes the empty ones of a pid that no longer exists, and nothing of
 * a live process (this one's), nor a stale one that still holds a task.
 */
static void
test_reap_stale(void **state)
{
	char dead[PATH_MAX + 64], busy[PATH_MAX + 64], procs[PATH_MAX + 80];
	struct cgroup_job job;
	struct stat st;
	pid_t gone, pid;
	int h, status, fd;

	/* a pid that existed and is gone */
	if ((gone = fork()) == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, &status, 0), gone);
	assert_int_equal(cgroup_job_create(&env, job_name("mine"),
	    &(struct cgroup_limits){ 0, 0, 0 }, &job), 0);
	for (h = 0; h < env.nhier; h++) {
		snprintf(dead, sizeof(dead), "%s/k%d-1.job_x", env.hier[h].path,
		    (int)gone);
		assert_int_equal(mkdir(dead, 0755), 0);
	}
	/* a stale one of the same pid with a task in it */
	snprintf(busy, sizeof(busy), "%s/k%d-2.job_y", env.hier[0].path,
	    (int)gone);
	assert_int_equal(mkdir(busy, 0755), 0);
	if ((pid = fork()) == 0) {
		/* dies with the test, holds none of its descriptors */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close_range(0, ~0u, 0);
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", busy);
	assert_true((fd = open(procs, O_WRONLY)) >= 0);
	assert_true(dprintf(fd, "%d", (int)pid) > 0);
	close(fd);

	/* at least these: other processes' may have been stale too */
	assert_true(cgroup_env_reap_stale(&env) >= env.nhier);
	for (h = 0; h < env.nhier; h++) {
		snprintf(dead, sizeof(dead), "%s/k%d-1.job_x", env.hier[h].path,
		    (int)gone);
		assert_int_equal(stat(dead, &st), -1);		/* removed */
		assert_int_equal(stat(job.path[h], &st), 0);	/* ours: kept */
	}
	assert_int_equal(stat(busy, &st), 0);			/* busy: kept */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(rmdir(busy), 0);
	assert_int_equal(cgroup_job_destroy(&job), 0);
}

static void
sweep(void)
{
	char prefix[32], path[2 * PATH_MAX];
	struct dirent *de;
	DIR *d;
	int h;

	snprintf(prefix, sizeof(prefix), "%s", env.tag);
	for (h = 0; h < env.nhier; h++) {
		if ((d = opendir(env.hier[h].path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", env.hier[h].path,
			    de->d_name);
			rmdir(path);
		}
		closedir(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_matches_system),
		cmocka_unit_test(test_probe_read_only_is_none),
		cmocka_unit_test(test_memory_limit_oom_kills),
		cmocka_unit_test(test_pids_max_refuses_fork),
		cmocka_unit_test(test_cpu_quota_written),
		cmocka_unit_test(test_kill_empties_job),
		cmocka_unit_test(test_kill_stops_fork_loop),
		cmocka_unit_test(test_destroy_removes_dirs),
		cmocka_unit_test(test_two_jobs_are_distinct),
		cmocka_unit_test(test_reap_stale),
	};
	char why[512];
	int rc;

	if (geteuid() != 0) {
		printf("skip: cgroup tests need root\n");
		return 77;
	}
	if ((rc = cgroup_env_probe(&env, why, sizeof(why))) < 0) {
		printf("skip: cgroup probe failed: %s\n", strerror(-rc));
		return 77;
	}
	if (env.mode == CGROUP_MODE_NONE) {
		printf("skip: no usable cgroups: %s\n", why);
		return 77;
	}
	printf("cgroup probe: %s (%s)\n", env.desc, why);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	sweep();
	cgroup_env_clear(&env);
	return rc;
}
