/*
 * Native jobs inside a worker, and their place in the cache.  A native
 * worker builds the same sandbox as a wasm worker (worker.c), with the
 * executable's libraries bound read-only into its root, a /proc showing
 * only its own pid namespace and a private /tmp (native_fs_mounts).  Then,
 * instead of loading a module, it stays the init of the job's pid
 * namespace (native_job_run): it forks the child that execs the binary,
 * feeds its stdin, copies its stdout and stderr into the job's output and
 * log within their limits, and when the child exits kills whatever the
 * job left behind.  The init holds the only descriptors of the job's
 * memfds, so the guest never sees the launcher's files; it is the
 * namespace's pid 1, which the guest cannot kill, and it is not dumpable,
 * so the guest cannot read or write its memory either.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/sandbox.h"
#include "kiln/util.h"

/* A mount of a new filesystem of type at path (relative to root). */
static int
native_fs_mount(int root, const char *type, const char *const *opts,
    unsigned attrs, const char *path)
{
	int fsfd, mnt = -1, rc = 0;

	if (mkdirat(root, path, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((fsfd = fsopen(type, FSOPEN_CLOEXEC)) < 0)
		return -errno;
	for (; *opts != NULL && rc == 0; opts += 2)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, opts[0], opts[1],
		    0) < 0)
			rc = -errno;
	if (rc == 0 && (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL,
	    0) < 0 || (mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs)) < 0 ||
	    move_mount(mnt, "", root, path, MOVE_MOUNT_F_EMPTY_PATH) < 0))
		rc = -errno;
	if (mnt >= 0)
		close(mnt);
	close(fsfd);
	return rc;
}

int
native_fs_mounts(int root)
{
	/* only the job's processes, and none of /proc's other files */
	static const char *const proc[] = { "subset", "pid", "hidepid",
	    "invisible", NULL };
	static const char *const tmp[] = { "size", NATIVE_TMP_SIZE, "mode",
	    "1777", NULL };
	const unsigned safe = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	    MOUNT_ATTR_NOEXEC;
	int rc;

	if ((rc = native_fs_mount(root, "proc", proc, safe |
	    MOUNT_ATTR_RDONLY, "proc")) < 0)
		return rc;
	return native_fs_mount(root, "tmpfs", tmp, safe, "tmp");
}

/* ------------------------------------------------------------ the init */

/* One stream the init copies: from a pipe into a memfd, within a limit. */
struct native_sink {
	int from;		/* the read end of the guest's pipe, -1: EOF */
	int to;			/* the job's memfd */
	uint64_t left;		/* bytes still allowed */
	const char *over;	/* the reason when the guest writes more */
};

/* The child: becomes the job.  Reports execve's errno on errpipe. */
static void __attribute__((noreturn))
native_child(const struct wasm_job *job, int in, int out, int err,
    int errpipe)
{
	int fds[4] = { in, out, err, errpipe }, i, e;

	/* out of the way first: the pipes may sit on 0, 1 or 2 */
	for (i = 0; i < 4; i++)
		if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			_exit(127);
	for (i = 0; i < 4; i++)
		if (dup2(fds[i], i) < 0)
			_exit(127);
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		_exit(127);
	syscall(SYS_close_range, 4, ~0u, 0);
	execve(job->so_path, job->argv, job->envp);
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

/*
 * Copies what the pipe holds into the sink.  Returns 1 when the guest
 * wrote past the sink's limit, else 0 (the pipe's EOF closes it).
 */
static int
native_sink_drain(struct native_sink *s, char *buf, size_t len)
{
	ssize_t n;
	size_t keep;

	while ((n = read(s->from, buf, len)) > 0) {
		keep = (uint64_t)n < s->left ? (size_t)n : (size_t)s->left;
		if (keep > 0 && fd_write_all(s->to, buf, keep) < 0)
			return 1;
		s->left -= keep;
		if (keep < (size_t)n)
			return 1;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(s->from);
		s->from = -1;
	}
	return 0;
}

int
native_job_run(const struct wasm_job *job, struct worker_result *out)
{
	static char buf[65536];
	struct native_sink sink[2];
	struct pollfd p[4];
	int in[2] = { -1, -1 }, o[2], e[2], ep[2], status = 0, pidfd, i, err;
	int feeding, rc = 0;
	off_t inoff = 0;
	struct rusage ru;
	struct rlimit cpu;
	ssize_t n, w;
	pid_t pid;

	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
	    pipe2(in, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0)
		native_child(job, in[0], o[1], e[1], ep[1]);
	/* a guest that closes its stdin must not kill its init (which is
	 * immune anyway as pid 1, but not without a pid namespace) */
	signal(SIGPIPE, SIG_IGN);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	close(ep[1]);
	/* execve either worked (EOF) or says why it did not */
	if (read(ep[0], &err, sizeof(err)) == sizeof(err)) {
		snprintf(out->res.reason, sizeof(out->res.reason),
		    "load:exec:%s", strerrorname_np(err) ?
		    strerrorname_np(err) : "?");
		waitpid(pid, &status, 0);
		return -err;
	}
	close(ep[0]);
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		return -errno;
	sink[0] = (struct native_sink){ o[0], job->stdout_fd, job->output_max,
	    "output_limit" };
	sink[1] = (struct native_sink){ e[0], job->stderr_fd, job->log_max,
	    "log_limit" };
	for (i = 0; i < 2; i++)
		fcntl(sink[i].from, F_SETFL, O_NONBLOCK);
	feeding = job->input_fd >= 0;
	if (!feeding) {
		close(in[1]);
		in[1] = -1;
	} else
		fcntl(in[1], F_SETFL, O_NONBLOCK);

	for (;;) {
		p[0] = (struct pollfd){ pidfd, POLLIN, 0 };
		p[1] = (struct pollfd){ sink[0].from, POLLIN, 0 };
		p[2] = (struct pollfd){ sink[1].from, POLLIN, 0 };
		p[3] = (struct pollfd){ feeding ? in[1] : -1, POLLOUT, 0 };
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (p[1 + i].revents == 0 || sink[i].from < 0)
				continue;
			if (native_sink_drain(&sink[i], buf, sizeof(buf))) {
				snprintf(out->res.reason,
				    sizeof(out->res.reason), "%s",
				    sink[i].over);
				kill(pid, SIGKILL);
			}
		}
		if (p[3].revents) {
			/* the input is a file: read at our offset, write on */
			n = pread(job->input_fd, buf, sizeof(buf), inoff);
			w = n > 0 ? write(in[1], buf, (size_t)n) : 0;
			if (w > 0)
				inoff += w;
			if (n <= 0 || (w < 0 && errno != EAGAIN)) {
				close(in[1]);
				in[1] = -1;
				feeding = 0;
			}
		}
		if (p[0].revents)
			break;
	}
	if (wait4(pid, &status, 0, &ru) < 0 && rc == 0)
		rc = -errno;
	/* what it wrote before it exited, without waiting for its heirs */
	for (i = 0; i < 2; i++)
		if (sink[i].from >= 0 && out->res.reason[0] == '\0' &&
		    native_sink_drain(&sink[i], buf, sizeof(buf)))
			snprintf(out->res.reason, sizeof(out->res.reason),
			    "%s", sink[i].over);
	/* the job is over: nothing it started survives it (as pid 1, -1
	 * is every other process of the namespace, never a host's) */
	if (getpid() == 1)
		kill(-1, SIGKILL);
	explicit_bzero(buf, sizeof(buf));
	if (WIFEXITED(status))
		out->res.exit_code = (uint32_t)WEXITSTATUS(status);
	else if (WIFSIGNALED(status) && out->res.reason[0] == '\0') {
		/* the launcher names it; cpu_limit we can tell here: SIGXCPU,
		 * or SIGKILL at the hard limit when the guest ignored it */
		out->signal = WTERMSIG(status);
		if ((out->signal == SIGXCPU || out->signal == SIGKILL) &&
		    getrlimit(RLIMIT_CPU, &cpu) == 0 &&
		    rusage_cpu_reached(&ru, cpu.rlim_cur))
			snprintf(out->res.reason, sizeof(out->res.reason),
			    "cpu_limit");
	}
	close(pidfd);
	for (i = 0; i < 2; i++)
		if (sink[i].from >= 0)
			close(sink[i].from);
	if (in[1] >= 0)
		close(in[1]);
	return rc;
}

/* ----------------------------------------------------------- the cache */

/* Writes the manifest libs, or else what src holds (at most max bytes),
 * to path: a temporary file, synced, then renamed.  0 or -errno. */
static int
native_install_file(const char *path, int src, size_t max, mode_t mode,
    const struct native_libs *libs)
{
	char tmp[600], chunk[65536];
	size_t total = 0;
	ssize_t n;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -errno;
	if (libs != NULL)
		rc = native_libs_write(fd, libs);
	else {
		while ((n = pread(src, chunk, sizeof(chunk), (off_t)total)) >
		    0 && rc == 0) {
			total += (size_t)n;
			if (total > max)
				rc = -EFBIG;
			else
				rc = fd_write_all(fd, chunk, (size_t)n);
		}
		if (n < 0 && rc == 0)
			rc = -errno;
	}
	explicit_bzero(chunk, sizeof(chunk));	/* the tenant's bytes */
	if (rc == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
native_install(const char *cache, const char *key, int exe_fd, size_t max,
    const struct native_libs *libs)
{
	char path[600];
	int dfd, rc;

	snprintf(path, sizeof(path), "%s/%s.libs", cache, key);
	if ((rc = native_install_file(path, -1, 0, 0444, libs)) < 0)
		return rc;
	/* the executable last: its presence means the module is ready */
	snprintf(path, sizeof(path), "%s/%s.exe", cache, key);
	if ((rc = native_install_file(path, exe_fd, max, 0555, NULL)) < 0)
		return rc;
	if ((dfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	rc = fsync(dfd) < 0 ? -errno : 0;
	close(dfd);
	return rc;
}
