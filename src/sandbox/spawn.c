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
spawn_map_write(pid_t pid, const char *file, unsigned in, unsigned out)
{
	char path[64], line[64];
	int fd, n, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	n = snprintf(line, sizeof(line), "%u %u 1\n", in, out);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
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
sandbox_worker_map(pid_t pid, const struct worker_spec *spec)
{
	int rc;

	if ((rc = spawn_map_write(pid, "uid_map", spec->uid,
	    spec->host_uid ? spec->host_uid : spec->uid)) < 0)
		return rc;
	return spawn_map_write(pid, "gid_map", spec->gid,
	    spec->host_gid ? spec->host_gid : spec->gid);
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
	int sync[2], self, rc;
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
		    (rc = sandbox_worker_map(pid, spec)) < 0) {
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
