/*
 * Creating a worker: clone3 with CLONE_PIDFD straight into new user, pid,
 * net, mount, ipc, uts and cgroup namespaces, then, from the launcher
 * (root in the initial user namespace), writing the child's uid and gid
 * maps before letting it go on.  When the kernel refuses the namespaces
 * the worker is created with fewer, and its report says which are missing
 * and why; nothing is silently weaker.  cgroup placement is not done here
 * (src/cgroup/cgroup.c owns it): the spec's before_start hook runs while
 * the child still waits, so it can attach it before any job code runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/cgroup.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#define NS_OTHERS	(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | \
			 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

static const struct {
	uint64_t flag;
	uint32_t layer;
	const char *name;
} ns_layers[] = {
	{ CLONE_NEWUSER, SANDBOX_USERNS, "userns" },
	{ CLONE_NEWPID, SANDBOX_PIDNS, "pidns" },
	{ CLONE_NEWNET, SANDBOX_NETNS, "netns" },
	{ CLONE_NEWNS, SANDBOX_MNTNS, "mntns" },
	{ CLONE_NEWIPC, SANDBOX_IPCNS, "ipcns" },
	{ CLONE_NEWUTS, SANDBOX_UTSNS, "utsns" },
	{ CLONE_NEWCGROUP, SANDBOX_CGROUPNS, "cgroupns" },
};

/* fork-like: 0 in the child, the pid in the parent, or -errno. */
static pid_t
spawn_clone(uint64_t flags, int *pidfd)
{
	struct clone_args ca;
	long r;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r < 0 && errno == ENOSYS)	/* old kernel, or a filter hiding it */
		r = syscall(SYS_clone, (unsigned long)(flags | CLONE_PIDFD |
		    SIGCHLD), NULL, pidfd, NULL, 0);
	return r < 0 ? -errno : (pid_t)r;
}

static int
spawn_map_put(int fd, unsigned in, unsigned out)
{
	char line[64];
	int n;

	n = snprintf(line, sizeof(line), "%u %u 1\n", in, out);
	return write(fd, line, (size_t)n) == n ? 0 : -errno;
}

static void
spawn_child_discard(pid_t pid, int pidfd)
{
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
}

int
sandbox_worker_maps_open(pid_t pid, int fds[2])
{
	char path[64];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid,
		    i == 0 ? "uid_map" : "gid_map");
		if ((fds[i] = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			if (i == 1)
				close(fds[0]);
			return -errno;
		}
	}
	return 0;
}

int
sandbox_worker_map(int fds[2], const struct worker_spec *spec)
{
	int rc;

	rc = spawn_map_put(fds[0], spec->uid, spec->host_uid ?
	    spec->host_uid : spec->uid);
	if (rc == 0)
		rc = spawn_map_put(fds[1], spec->gid, spec->host_gid ?
		    spec->host_gid : spec->gid);
	close(fds[0]);
	close(fds[1]);
	fds[0] = fds[1] = -1;
	return rc;
}

int
sandbox_cgroup_attach(pid_t pid, void *job)
{
	return cgroup_job_attach(job, pid);
}

pid_t
sandbox_worker_spawn(struct worker_spec *spec, int *pidfd)
{
	struct sandbox_report base;
	uint64_t flags = CLONE_NEWUSER | NS_OTHERS;
	pid_t pid;
	size_t i;
	int sync[2], maps[2], self, rc;
	char go = 1;

	memset(&base, 0, sizeof(base));
	if ((self = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
		return -errno;
	if (pipe2(sync, O_CLOEXEC) < 0) {
		rc = -errno;
		close(self);
		return rc;
	}
	for (;;) {
		/* the child starts with a copy of spec: fill it in first */
		spec->report = base;
		for (i = 0; i < sizeof(ns_layers) / sizeof(ns_layers[0]); i++)
			if (flags & ns_layers[i].flag)
				spec->report.layers |= ns_layers[i].layer;
		if (spec->cgroup_state > 0)
			spec->report.layers |= SANDBOX_CGROUP;
		else if (spec->cgroup_state < 0)
			sandbox_report_degrade(&spec->report, "cgroup",
			    spec->cgroup_state);
		spec->sync_fd = sync[0];
		spec->parent_pidfd = self;
		pid = spawn_clone(flags, pidfd);
		if (pid == 0) {
			close(sync[1]);
			worker_run(spec);
		}
		/* a pooled worker's maps wait for its job (and tenant) */
		if (pid > 0 && (flags & CLONE_NEWUSER) && !spec->pooled &&
		    ((rc = sandbox_worker_maps_open(pid, maps)) < 0 ||
		    (rc = sandbox_worker_map(maps, spec)) < 0)) {
			spawn_child_discard(pid, *pidfd);
			pid = rc;
		}
		if (pid > 0)
			break;
		if (flags == 0)
			goto fail;
		/* one step down the ladder, saying why */
		for (i = 0; i < sizeof(ns_layers) / sizeof(ns_layers[0]); i++)
			if (flags & ns_layers[i].flag &&
			    (ns_layers[i].flag == CLONE_NEWUSER ||
			    !(flags & CLONE_NEWUSER)))
				sandbox_report_degrade(&base, ns_layers[i].name,
				    pid);
		flags = flags & CLONE_NEWUSER ? NS_OTHERS : 0;
	}
	if (spec->before_start != NULL &&
	    (rc = spec->before_start(pid, spec->before_start_arg)) != 0) {
		spawn_child_discard(pid, *pidfd);
		pid = rc < 0 ? rc : -EIO;
		goto fail;
	}
	if (write(sync[1], &go, 1) != 1) {
		rc = -errno;
		spawn_child_discard(pid, *pidfd);
		pid = rc;
		goto fail;
	}
	rc = pid;
fail:
	if (pid < 0)
		rc = pid;
	close(sync[0]);
	close(sync[1]);
	close(self);
	return rc;
}
