/*
 * A worker: one process, created by sandbox_worker_spawn inside its own
 * namespaces, that runs exactly one job and exits.  It applies the layers
 * of DESIGN §6 before touching the tenant's module: control, resources,
 * namespaces that show nothing of the host, user and group, a root
 * filesystem that is a tmpfs holding only the compiled module (for a
 * native job: its executable, libraries, /proc and /tmp), no
 * capabilities, no_new_privs, Landlock and, last, the seccomp filter the
 * launcher compiled at start for the job's kind.  Then it runs the wasm
 * guest in-process, or stays the init of a native one (native.c).  A layer that cannot
 * be applied is recorded in the isolation report, which travels back with
 * the result; a failure that would leave the worker in an unknown state
 * ends it (exit 126, an infrastructure failure the core retries).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kiln/msg.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#define WORKER_FAIL	126

/* Descriptors a worker keeps while it builds its sandbox. */
enum { FD_RESULT = 3, FD_INPUT, FD_OUTPUT, FD_LOG, FD_SYNC, FD_PARENT,
    FD_ROOT, FD_NFIXED };

/* A pooled worker's root tmpfs, made while parked (detached), or -1. */
static int worker_root_mnt = -1;

/* The module's bind mount and where the cache directory was. */
struct worker_fs {
	int tree;		/* detached clone of the module, -1: none */
	int here;		/* O_PATH of the workdir */
	char name[80];		/* the module's file name in the new root */
	int *btrees;		/* native: detached clones of spec->binds */
	int nbtrees;
};

static void
worker_fd_place(int *fds, int n)
{
	int tmp[FD_NFIXED], i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0 &&
		    (tmp[i] = fcntl(fds[i], F_DUPFD, FD_NFIXED + 16)) < 0)
			_exit(WORKER_FAIL);
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (dup2(tmp[i], FD_RESULT + i) < 0)
			_exit(WORKER_FAIL);
		fds[i] = FD_RESULT + i;
	}
	syscall(SYS_close_range, 0, 2, 0);
	syscall(SYS_close_range, FD_RESULT + n, ~0u, 0);
}

static void
worker_rlimit_set(int resource, rlim_t value, rlim_t max)
{
	struct rlimit rl = { value, max };

	if (setrlimit(resource, &rl) < 0)
		_exit(WORKER_FAIL);
}

/* Parent-death signal (again: credential changes clear it), then check. */
static void
worker_parent_watch(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || pidfd < 0)
		_exit(WORKER_FAIL);
	/* a pidfd polls readable once its process has exited */
	if (poll(&p, 1, 0) != 0)
		_exit(WORKER_FAIL);
}

/*
 * A pooled worker: keeps only its sync pipe, parent pidfd and pool
 * socket, waits for the go byte, then parks, under the comm
 * SANDBOX_POOL_COMM it was cloned with, until the launcher hands it one
 * job (IMSG_WORKER_JOB: the job's fields, argv and env strings, a native
 * job's binds, the descriptors), and takes back the launcher's comm.
 * Fills spec in as sandbox_worker_spawn would have for a cold worker of
 * that job, the cgroup's part of the report included, and returns with
 * the sync byte consumed.  Ends the worker when the launcher goes away or
 * sends anything malformed.
 */
static int worker_bset_drop(void);
static void worker_ns_opaque(struct worker_spec *spec);
static int worker_fs_root(void);
/* worker_bset_drop's result when already done (while parked), else 1. */
static int worker_bset_rc = 1;

static void
worker_pool_park(struct worker_spec *spec)
{
	static struct msg m;
	static char so[sizeof(((struct msg_worker_job *)0)->so_path)];
	static struct native_bind binds[NATIVE_LIBS_MAX + 8];
	static char *bind_paths[2 * (NATIVE_LIBS_MAX + 8)];
	const struct msg_worker_job *wj;
	struct wasm_job *job = &spec->job;
	struct pollfd p;
	const uint8_t *tail;
	size_t tlen, off = 0;
	int keep[3], i, rc;
	char go;

	keep[0] = spec->sync_fd;
	keep[1] = spec->parent_pidfd;
	keep[2] = spec->pool_fd;
	/* nothing of the launcher's stays open while idle */
	worker_fd_place(keep, 3);
	if (keep[0] < 0 || read(keep[0], &go, 1) != 1)
		_exit(WORKER_FAIL);
	close(keep[0]);
	worker_parent_watch(keep[1]);
	/* job-free work, done while parked: the effective set stays */
	worker_bset_rc = worker_bset_drop();
	worker_ns_opaque(spec);
	if (spec->report.layers & SANDBOX_MNTNS)
		worker_root_mnt = worker_fs_root();	/* -errno: made later */

	p.fd = keep[2];
	p.events = POLLIN;
	while ((rc = msg_recv(keep[2], MSG_PEER_LAUNCHER, MSG_PEER_WORKER,
	    &m)) == 0)
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(WORKER_FAIL);
	if (rc < 0 || m.hdr.type != IMSG_WORKER_JOB ||
	    (wj = msg_get(&m, &tail, &tlen)) == NULL ||
	    m.nfds != (wj->has_input ? 4 : 3))
		_exit(WORKER_FAIL);	/* the launcher went away, or lies */
	close(keep[2]);
	if (wj->argc > 4096 || wj->envc > 4096 ||
	    (job->argv = calloc((size_t)wj->argc + 1, sizeof(char *))) ==
	    NULL || (job->envp = calloc((size_t)wj->envc + 1,
	    sizeof(char *))) == NULL ||
	    msg_strings_split(tail, tlen, &off, job->argv, wj->argc) < 0 ||
	    msg_strings_split(tail, tlen, &off, job->envp, wj->envc) < 0 ||
	    msg_strings_split(tail, tlen, &off, bind_paths,
	    2 * wj->nbinds) < 0 || off != tlen)
		_exit(WORKER_FAIL);
	for (i = 0; i < (int)wj->nbinds; i++)
		if (snprintf(binds[i].src, sizeof(binds[i].src), "%s",
		    bind_paths[2 * i]) >= (int)sizeof(binds[i].src) ||
		    snprintf(binds[i].dst, sizeof(binds[i].dst), "%s",
		    bind_paths[2 * i + 1]) >= (int)sizeof(binds[i].dst) ||
		    binds[i].dst[0] != '/')
			_exit(WORKER_FAIL);
	/* from here on, a worker like any other */
	spec->comm[sizeof(spec->comm) - 1] = '\0';
	prctl(PR_SET_NAME, spec->comm);

	memcpy(so, wj->so_path, sizeof(so));
	job->so_path = so[0] != '\0' ? so : NULL;
	job->output_max = wj->output_max;
	job->log_max = wj->log_max;
	job->max_pages = wj->max_pages;
	job->argc = (int)wj->argc;
	job->envc = (int)wj->envc;
	memcpy(job->seed, wj->seed, sizeof(job->seed));
	spec->native = (int)wj->native;
	spec->binds = binds;
	spec->nbinds = (int)wj->nbinds;
	spec->result_fd = m.fds[0];
	job->stdout_fd = m.fds[1];
	job->stderr_fd = m.fds[2];
	job->input_fd = wj->has_input ? m.fds[3] : -1;
	spec->cpu_limit_s = wj->cpu_limit_s;
	spec->min_isolation = (int)wj->min_isolation;
	/* the report's cgroup part, as sandbox_worker_spawn writes it */
	spec->cgroup_state = wj->cgroup_state;
	if (spec->cgroup_state > 0)
		spec->report.layers |= SANDBOX_CGROUP;
	else if (spec->cgroup_state < 0)
		sandbox_report_degrade(&spec->report, "cgroup",
		    spec->cgroup_state);
	spec->sync_fd = -1;
	spec->parent_pidfd = keep[1];
	spec->pool_fd = -1;
}

/*
 * Takes what the new root will need while still owner of the cache:
 * mounts made private, the workdir, a detached clone of the module and,
 * for a native job, of every bind's source.
 */
static int
worker_fs_prepare(struct worker_fs *fs, const struct worker_spec *spec)
{
	const char *so_path = spec->job.so_path, *base;
	int i;

	fs->tree = fs->here = -1;
	fs->name[0] = '\0';
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if ((fs->here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (spec->nbinds > 0) {
		if ((fs->btrees = calloc((size_t)spec->nbinds,
		    sizeof(int))) == NULL)
			return -ENOMEM;
		for (i = 0; i < spec->nbinds; i++) {
			fs->btrees[i] = open_tree(AT_FDCWD, spec->binds[i].src,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			if (fs->btrees[i] < 0)
				return -errno;
			fs->nbtrees++;
		}
	}
	if (so_path == NULL)
		return 0;
	base = strrchr(so_path, '/');
	base = base == NULL ? so_path : base + 1;
	if (snprintf(fs->name, sizeof(fs->name), "%s", base) >=
	    (int)sizeof(fs->name) || fs->name[0] == '\0' ||
	    strcmp(fs->name, "..") == 0 || strcmp(fs->name, ".") == 0)
		return -ENAMETOOLONG;
	/* a missing module stays missing: dlopen reports load:dlopen */
	fs->tree = open_tree(AT_FDCWD, so_path, OPEN_TREE_CLONE |
	    OPEN_TREE_CLOEXEC);
	if (fs->tree < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Creates the directories of path (relative to dirfd) above its last
 * component, then the empty file a bind is mounted over. */
static int
worker_fs_mountpoint(int dirfd, const char *path)
{
	char buf[NATIVE_PATH_MAX], *p;
	int fd;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = strchr(buf, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(dirfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if ((fd = openat(dirfd, buf, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0444)) < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Mounts the detached tree read-only at path, relative to the new root. */
static int
worker_fs_bind(int root, int tree, const char *path)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY |
	    MOUNT_ATTR_NOSUID };
	int rc;

	if ((rc = worker_fs_mountpoint(root, path)) < 0)
		return rc;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0 ||
	    move_mount(tree, "", root, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/*
 * Builds the new root, a small tmpfs holding only the module bound
 * read-only (and, for a native job, its binds, its own /proc and a
 * private /tmp), and pivots into it.  Before the tmpfs is attached a
 * failure only degrades the layer; after that it ends the worker.
 */
/*
 * The new root: a detached 64 KiB tmpfs (room for a native job's
 * directories and binds), nosuid, nodev, noexec.  Job-free, so a pooled
 * worker makes it while parked, before its ids are mapped: its root
 * directory then belongs to no id of the user namespace, hence mode 1777
 * (the worker's user creates the mount points in it; the whole root is
 * read-only once pivoted into).  The mount's fd, or -errno.
 */
static int
worker_fs_root(void)
{
	int fsfd, mnt = -1, rc = 0;

	if ((fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC)) < 0)
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "size", "64k", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "nr_inodes", "512", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "1777", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		rc = -errno;
	close(fsfd);
	return rc < 0 ? rc : mnt;
}

static int
worker_fs_pivot(struct worker_fs *fs, const struct worker_spec *spec)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY |
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	int mnt, rc = 0, i;

	/* made while parked, or now */
	if ((mnt = worker_root_mnt) < 0 && (mnt = worker_fs_root()) < 0)
		return mnt;
	worker_root_mnt = -1;
	if (fs->tree >= 0 && mount_setattr(fs->tree, "", AT_EMPTY_PATH, &ro,
	    sizeof(ro)) < 0) {
		rc = -errno;
		close(mnt);
		return rc;
	}
	/* over the workdir, in this mount namespace only */
	if (move_mount(mnt, "", fs->here, "", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		rc = -errno;
		close(mnt);
		return rc;
	}
	if (fchdir(mnt) < 0)
		_exit(WORKER_FAIL);
	if (fs->tree >= 0 && (worker_fs_mountpoint(mnt, fs->name) < 0 ||
	    move_mount(fs->tree, "", mnt, fs->name,
	    MOVE_MOUNT_F_EMPTY_PATH) < 0))
		_exit(WORKER_FAIL);
	for (i = 0; i < fs->nbtrees; i++)
		if (worker_fs_bind(mnt, fs->btrees[i],
		    spec->binds[i].dst + 1) < 0)
			_exit(WORKER_FAIL);
	if (spec->native && native_fs_mounts(mnt) < 0)
		_exit(WORKER_FAIL);
	if (syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0 ||
	    mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) < 0)
		_exit(WORKER_FAIL);
	close(mnt);
	return 0;
}

static void
worker_fs_close(struct worker_fs *fs)
{
	int i;

	if (fs->tree >= 0)
		close(fs->tree);
	if (fs->here >= 0)
		close(fs->here);
	for (i = 0; i < fs->nbtrees; i++)
		close(fs->btrees[i]);
	free(fs->btrees);
	fs->btrees = NULL;
	fs->tree = fs->here = -1;
	fs->nbtrees = 0;
}

/*
 * Empties the bounding set, 0 or -errno.  It leaves the effective set
 * alone, so a pooled worker does it while parked (worker_bset_rc).
 */
static int
worker_bset_drop(void)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)	/* past CAP_LAST_CAP */
				break;
			return -errno;
		}
	}
	return 0;
}

/* Clears the bounding, ambient, inheritable, permitted, effective sets. */
static int
worker_caps_drop(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int rc;

	if ((rc = worker_bset_rc) > 0)
		rc = worker_bset_drop();
	if (rc < 0)
		return rc;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	if (d[0].effective | d[0].permitted | d[1].effective | d[1].permitted)
		return -EPERM;
	return 0;
}

/*
 * Denies every handled right but reading the module (wasm), or but what
 * the native profile allows in its root; returns the ABI.
 */
static int
worker_landlock(const char *so_path, int native)
{
	struct sandbox_landlock ll;
	struct sandbox_landlock_rule rules[SANDBOX_NATIVE_RULES] = {
		{ so_path, 0 } };
	size_t n = so_path != NULL;
	int abi, rc;

	if ((abi = sandbox_landlock_abi()) < 0)
		return abi;
	sandbox_policy_worker_landlock(abi, &ll);
	rules[0].access = ll.module_access;
	if (native)
		n = sandbox_policy_native_landlock(abi, &ll, rules);
	rc = sandbox_landlock_apply(&ll, abi, rules, n);
	return rc < 0 ? rc : abi;
}

/*
 * What the new namespaces would still show of the host, hidden while the
 * worker has its capabilities there: the host's name (a UTS namespace
 * starts with a copy), the launcher's cgroup path above the job's (the
 * cgroup namespace was made at clone, before the job's cgroup: a second
 * one is rooted at the job's own), and, for the programs of a native
 * job, executable memfds, which would get round its noexec /tmp (the pid
 * namespace's vm.memfd_noexec = 1 seals every new memfd non-executable;
 * kernels before 6.3 lack it).  A layer whose part fails is degraded.
 */
static void
worker_ns_opaque(struct worker_spec *spec)
{
	struct sandbox_report *rep = &spec->report;
	int fd;

	if ((rep->layers & SANDBOX_UTSNS) && (sethostname("kiln", 4) < 0 ||
	    setdomainname("", 0) < 0)) {
		rep->layers &= ~SANDBOX_UTSNS;
		sandbox_report_degrade(rep, "utsns", -errno);
	}
	if ((rep->layers & SANDBOX_CGROUPNS) && spec->cgroup_state > 0 &&
	    unshare(CLONE_NEWCGROUP) < 0) {
		rep->layers &= ~SANDBOX_CGROUPNS;
		sandbox_report_degrade(rep, "cgroupns", -errno);
	}
	if ((rep->layers & SANDBOX_PIDNS) && (fd = open(
	    "/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC)) >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
}

static int
worker_seccomp(const struct sandbox_bpf *filter)
{
	struct sock_fprog prog;

	if (filter == NULL || filter->len == 0)
		return -ENOENT;
	prog.len = filter->len;
	prog.filter = filter->insns;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

void
worker_run(struct worker_spec *spec)
{
	static struct worker_result out;
	static char so_local[96];
	struct sandbox_report *rep = &spec->report;
	struct wasm_job *job = &spec->job;
	struct worker_fs fs = { -1, -1, "", NULL, 0 };
	int fds[FD_NFIXED - FD_RESULT];
	int privileged, rc, secbits, level;
	uint8_t started;
	sigset_t none;
	char go;

	/* layer 0: control */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	clearenv();
	if (spec->pooled)
		worker_pool_park(spec);
	fds[FD_RESULT - FD_RESULT] = spec->result_fd;
	fds[FD_INPUT - FD_RESULT] = job->input_fd;
	fds[FD_OUTPUT - FD_RESULT] = job->stdout_fd;
	fds[FD_LOG - FD_RESULT] = job->stderr_fd;
	fds[FD_SYNC - FD_RESULT] = spec->sync_fd;
	fds[FD_PARENT - FD_RESULT] = spec->parent_pidfd;
	fds[FD_ROOT - FD_RESULT] = worker_root_mnt;
	worker_fd_place(fds, FD_NFIXED - FD_RESULT);
	worker_root_mnt = fds[FD_ROOT - FD_RESULT];
	spec->result_fd = fds[0];
	job->input_fd = fds[1];
	job->stdout_fd = fds[2];
	job->stderr_fd = fds[3];
	if (spec->result_fd < 0 || job->stdout_fd < 0 || job->stderr_fd < 0)
		_exit(WORKER_FAIL);
	/* the launcher has written our id maps (or gone away) */
	if (!spec->pooled) {
		if (fds[4] < 0 || read(fds[4], &go, 1) != 1)
			_exit(WORKER_FAIL);
		close(fds[4]);
	}
	worker_parent_watch(fds[5]);

	/* layer 1: resources (cgroups: src/cgroup/cgroup.c, not here) */
	/* SIGXCPU at the limit (cpu_limit), SIGKILL a second later */
	worker_rlimit_set(RLIMIT_CPU, spec->cpu_limit_s, spec->cpu_limit_s + 1);
	worker_rlimit_set(RLIMIT_CORE, 0, 0);
	rep->layers |= SANDBOX_RLIMITS;	/* NOFILE once the root is built */

	/* layer 2: namespaces that show nothing of the host (a pooled
	 * worker did it while parked) */
	if (!spec->pooled)
		worker_ns_opaque(spec);

	/* layer 2: the mount namespace, first what needs the old identity */
	if (chdir(spec->workdir) < 0)
		_exit(WORKER_FAIL);
	if ((rep->layers & SANDBOX_MNTNS) &&
	    (rc = worker_fs_prepare(&fs, spec)) < 0) {
		rep->layers &= ~SANDBOX_MNTNS;
		sandbox_report_degrade(rep, "mntns", rc);
		worker_fs_close(&fs);
	}

	/* layer 3: identity; keep capabilities until the root is built */
	privileged = (rep->layers & SANDBOX_USERNS) || geteuid() == 0;
	if (privileged) {
		secbits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
		if (prctl(PR_SET_SECUREBITS, secbits) < 0 ||
		    setgroups(1, &spec->gid) < 0 ||
		    setresgid(spec->gid, spec->gid, spec->gid) < 0 ||
		    setresuid(spec->uid, spec->uid, spec->uid) < 0)
			_exit(WORKER_FAIL);
		worker_parent_watch(fds[5]);
	}
	if (rep->layers & SANDBOX_MNTNS) {
		if ((rc = worker_fs_pivot(&fs, spec)) < 0) {
			rep->layers &= ~SANDBOX_MNTNS;
			sandbox_report_degrade(rep, "mntns", rc);
		} else if (job->so_path != NULL) {
			snprintf(so_local, sizeof(so_local), "%s%s",
			    spec->native ? "/" : "./", fs.name);
			job->so_path = so_local;
		}
		worker_fs_close(&fs);
	}
	/* a native job cannot run without its root: fail closed */
	if (spec->native && !(rep->layers & SANDBOX_MNTNS))
		_exit(WORKER_FAIL);
	worker_rlimit_set(RLIMIT_NOFILE, spec->native ? 256 : 16,
	    spec->native ? 256 : 16);
	if ((rc = worker_caps_drop()) == 0)
		rep->layers |= SANDBOX_CAPS;
	else
		sandbox_report_degrade(rep, "caps", rc);
	if (prctl(PR_SET_DUMPABLE, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(WORKER_FAIL);
	rep->layers |= SANDBOX_NNP;
	close(fds[5]);

	/* layer 4: Landlock */
	if ((rc = worker_landlock(spec->native ? NULL : job->so_path,
	    spec->native)) > 0) {
		rep->layers |= SANDBOX_LANDLOCK;
		rep->landlock_abi = rc;
	} else
		sandbox_report_degrade(rep, "landlock", rc);

	/* layer 5: seccomp, last */
	if ((rc = worker_seccomp(spec->native ? spec->native_filter :
	    spec->filter)) == 0)
		rep->layers |= SANDBOX_SECCOMP;
	else
		sandbox_report_degrade(rep, "seccomp", rc);

	memset(&out, 0, sizeof(out));
	started = WORKER_STARTED;
	if (fd_write_all(spec->result_fd, &started, 1) < 0)
		_exit(WORKER_FAIL);
	if ((level = sandbox_report_level(rep)) < spec->min_isolation) {
		/* fail closed: no guest code below the tenant's minimum */
		snprintf(out.res.reason, sizeof(out.res.reason),
		    "isolation:L%d<L%d", level, spec->min_isolation);
		out.res.exit_code = 0;
	} else if (spec->body != NULL)
		out.rc = spec->body(spec, &out);
	else if (spec->native)
		out.rc = native_job_run(job, &out);
	else
		out.rc = wasm_job_run(job, &out.res);
	/* the report travels with the result: written after, not before */
	sandbox_report_json(rep, out.isolation, sizeof(out.isolation));
	(void)!fd_write_all(spec->result_fd, &out, sizeof(out));
	_exit(0);
}
