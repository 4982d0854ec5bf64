/*
 * The compiler: one short-lived process per new module that runs
 * wasm-validate, wasm2c and cc on untrusted bytes, so it is confined like a
 * worker as far as a toolchain allows.  It starts as a fork of the
 * launcher, then: new session and parent-death signal; rlimits (CPU time,
 * address space, file size, no core dumps); new network, IPC and UTS
 * namespaces (no network at all); the unprivileged user (or, where that
 * user cannot even reach the toolchain, uid 0 without any capability);
 * no_new_privs; Landlock that lets it read and execute the toolchain and
 * write only its own scratch directory, and see nothing else.  It cannot write the cache: the launcher installs
 * the result (rename, then fsync) only after the compiler reported
 * success, so a crashed or hijacked compiler leaves no trace there.
 * seccomp is not applied: the toolchain execs cc1, as and ld, whose needs
 * are too broad for an allow-list to mean much.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/proc.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"
#include "kiln/wasm.h"

int
compiler_scratch_prepare(const char *dir, int wasm_fd, size_t max, uid_t uid,
    gid_t gid)
{
	char path[600];
	uint8_t *bytes;
	size_t len;
	int fd, rc;

	if (mkdir(dir, 0700) < 0)
		return -errno;
	if ((rc = fd_slurp(wasm_fd, max, &bytes, &len)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/module.wasm", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (rc = fd_write_all(fd, bytes, len)) < 0 ||
	    (geteuid() == 0 && (fchown(fd, uid, gid) < 0 ||
	    chown(dir, uid, gid) < 0)))
		rc = fd < 0 || rc == 0 ? -errno : rc;
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	free(bytes);
	return rc;
}

static int
scratch_unlink(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)remove(path);	/* best effort: the directory is ours alone */
	return 0;
}

void
compiler_scratch_remove(const char *dir)
{
	nftw(dir, scratch_unlink, 8, FTW_DEPTH | FTW_PHYS);
}

int
compiler_install(const char *built, const char *so_path)
{
	char dir[600], *slash;
	int fd, rc = 0;

	if (chown(built, 0, 0) < 0 || chmod(built, 0644) < 0 ||
	    rename(built, so_path) < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "%s", so_path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Landlock as policy.c says for a compiler; the ABI in force, or -errno. */
static int
compiler_landlock(const char *scratch)
{
	struct sandbox_landlock_rule rules[SANDBOX_COMPILER_RULES];
	struct sandbox_landlock ll;
	size_t n;
	int abi, rc;

	if ((abi = sandbox_landlock_abi()) < 0)
		return abi;
	n = sandbox_policy_compiler_landlock(abi, scratch, &ll, rules);
	rc = sandbox_landlock_apply(&ll, abi, rules, n);
	return rc < 0 ? rc : abi;
}

/*
 * Keeps uid 0 but gives up every capability: for machines where the
 * unprivileged user cannot reach the toolchain (a root directory that is
 * not searchable by others).  Landlock then does what the uid would.
 */
static int
caps_drop_all(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int
compiler_user_can_compile(uid_t uid, gid_t gid)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		return 1;
	if ((pid = fork()) < 0)
		return 0;
	if (pid == 0) {
		if (proc_drop_privileges(uid, gid) < 0)
			_exit(1);
		_exit(access("/usr/bin/wasm2c", X_OK) == 0 &&
		    access("/usr/bin/cc", X_OK) == 0 ? 0 : 1);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
limit(int resource, rlim_t value)
{
	struct rlimit rl = { value, value };

	if (setrlimit(resource, &rl) < 0)
		_exit(126);
}

void
compiler_run(const struct compiler_spec *spec)
{
	struct msg_compiled r;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setsid();
	memset(&r, 0, sizeof(r));
	snprintf(r.digest, sizeof(r.digest), "%s", spec->digest);

	/* resources: the deadline is the launcher's, these are backstops */
	limit(RLIMIT_CPU, spec->cpu_s);
#if !defined(__SANITIZE_ADDRESS__)
	/* (a sanitized launcher's fork already maps terabytes of shadow) */
	limit(RLIMIT_AS, spec->mem_bytes);
#endif
	limit(RLIMIT_FSIZE, 256u << 20);
	limit(RLIMIT_CORE, 0);
	/* no network, no shared IPC, its own hostname; degrade if refused */
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0 &&
	    geteuid() == 0)
		log_warnx("compiler: unshare: %s", strerror(errno));
	/*
	 * Enter scratch as root and use only relative paths from then on:
	 * no directory above it needs to be searchable by the user.
	 */
	clearenv();
	putenv("TMPDIR=.");
	putenv("PATH=/usr/bin:/bin");
	putenv("LC_ALL=C");
	if (chdir(spec->scratch) < 0)
		_exit(126);
	if (spec->as_user ? proc_drop_privileges(spec->uid, spec->gid) < 0 :
	    caps_drop_all() < 0)
		_exit(126);
	if ((rc = compiler_landlock(".")) < 0)
		log_warnx("compiler: no Landlock: %s", kiln_strerror(rc));
	r.rc = wasm_module_compile("module.wasm", "module.so", ".", r.why,
	    sizeof(r.why));
	(void)!fd_write_all(spec->result_fd, &r, sizeof(r));
	_exit(0);
}
