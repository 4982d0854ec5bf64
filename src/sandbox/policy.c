/*
 * All confinement policy in one file, one function per process profile:
 * which system calls a process may make (a seccomp allow-list whose
 * default is to kill the process) and what Landlock denies it.  Only the
 * wasm worker has a profile today; the api, core and compiler profiles
 * will join it here.  Policies are compiled once, in the launcher at
 * start; workers only load the resulting BPF program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "kiln/sandbox.h"

/* Landlock rights by ABI (linux/landlock.h of this Debian predates 4-7). */
#define LL_FS_ABI1	((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER	(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE	(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV	(1ULL << 15)		/* ABI 5 */
#define LL_FS_EXECUTE	(1ULL << 0)
#define LL_FS_READ_FILE	(1ULL << 2)
#define LL_NET_BIND_TCP	(1ULL << 0)		/* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL	(1ULL << 1)

/*
 * What a wasm worker does once seccomp is loaded: write the start marker,
 * dlopen the module (openat, fstat, read, mmap, mprotect, close; getcwd,
 * as glibc records a relative module's directory), reserve
 * and commit guest memory (mmap, mprotect, munmap, mremap, madvise, brk),
 * catch traps (sigaltstack, rt_sigaction, rt_sigprocmask, rt_sigreturn;
 * a host fault re-raises: getpid, gettid, tgkill), read its input, write
 * output and log, and exit.  The clock calls are vDSO fallbacks.
 */
static const int worker_wasm_allow[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pwrite64),
	SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(openat), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(getcwd),
	SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(sched_yield),
	SCMP_SYS(getrandom), SCMP_SYS(futex),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Never in any allow-list: namespace, tracing and kernel-attack surface. */
static const int never_allow[] = {
	SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(clone),
	SCMP_SYS(clone3), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(execve), SCMP_SYS(execveat),
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(bpf), SCMP_SYS(mount),
	SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(open_tree),
	SCMP_SYS(move_mount), SCMP_SYS(fsopen), SCMP_SYS(fsmount),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(perf_event_open),
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(userfaultfd),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(kexec_load),
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
policy_allowed(const int *allow, size_t n, int nr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (allow[i] == nr)
			return 1;
	return 0;
}

/* Compiles allow (after checking it against never_allow) into out. */
static int
policy_compile(const int *allow, size_t n, struct sandbox_bpf *out)
{
	scmp_filter_ctx ctx;
	struct stat st;
	size_t i;
	void *buf = NULL;
	int fd = -1, rc;

	for (i = 0; i < NELEM(never_allow); i++)
		if (policy_allowed(allow, n, never_allow[i]))
			return -EINVAL;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0)) < 0)
			goto out;
	/* libseccomp 2.5 exports only to a descriptor: go through a memfd */
	if ((fd = memfd_create("kiln-seccomp", MFD_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		goto out;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % 8 != 0 ||
	    st.st_size / 8 > 0xffff) {
		rc = -EINVAL;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		rc = -EIO;
		goto out;
	}
	out->insns = buf;
	out->len = (unsigned short)(st.st_size / 8);
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

int
sandbox_policy_worker_wasm(struct sandbox_bpf *out)
{
	return policy_compile(worker_wasm_allow, NELEM(worker_wasm_allow), out);
}

void
sandbox_policy_worker_landlock(int abi, struct sandbox_landlock *out)
{
	memset(out, 0, sizeof(*out));
	/* every filesystem right the ABI knows: nothing is allowed ... */
	out->handled_fs = LL_FS_ABI1;
	if (abi >= 2)
		out->handled_fs |= LL_FS_REFER;
	if (abi >= 3)
		out->handled_fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		out->handled_fs |= LL_FS_IOCTL_DEV;
	/* ... but reading and mapping the one compiled module */
	out->module_access = LL_FS_READ_FILE | LL_FS_EXECUTE;
	if (abi >= 4)
		out->handled_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		out->scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
}
