/*
 * All confinement policy in one file, one function per process profile:
 * which system calls a process may make (a seccomp allow-list, or for the
 * launcher a kill-list) and what Landlock denies it: the wasm worker, the
 * native worker, the compiler (Landlock only: it execs the toolchain),
 * the api, the core and the launcher.  The workers' policies are compiled
 * once, in the launcher at start; workers only load the resulting BPF
 * programs.  The api, the core and the launcher compile and load their
 * own at start (policy_confine).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "kiln/policy.h"
#include "kiln/sandbox.h"

/*
 * Landlock rights: ABI 1's by their names in linux/landlock.h; the later
 * ones by number (this Debian's header predates ABI 3).
 */
#define LL_FS_ABI1	((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER	(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE	(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV	(1ULL << 15)		/* ABI 5 */
#define LL_FS_EXECUTE	LANDLOCK_ACCESS_FS_EXECUTE
#define LL_FS_WRITE	LANDLOCK_ACCESS_FS_WRITE_FILE
#define LL_FS_READ_FILE	LANDLOCK_ACCESS_FS_READ_FILE
#define LL_FS_READ_DIR	LANDLOCK_ACCESS_FS_READ_DIR
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

/* Exports ctx's program into out, and releases ctx.  0 or -errno. */
static int
policy_export(scmp_filter_ctx ctx, struct sandbox_bpf *out)
{
	struct stat st;
	void *buf = NULL;
	int fd, rc;

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

#if defined(__SANITIZE_ADDRESS__)
/*
 * Sanitizer builds (build-asan) only: the runtime's own calls, its signal
 * stack (sigaltstack, at exit) and, to print a report, its reading of
 * /proc/self/exe and /proc/self/maps (readlink, open) and its terminal
 * check (ioctl).  LeakSanitizer's check at exit would need clone and
 * ptrace, which no allow-list allows: it is off in a process confined by
 * one.  Every allow-list gets them (the native profile lists them
 * anyway).  The launcher's kill-list spares clone and ptrace in these
 * builds, so its leak check stays on.
 */
static const int sanitizer_allow[] = {
	SCMP_SYS(sigaltstack), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(open), SCMP_SYS(ioctl),
};
static int policy_confined;

int __lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return policy_confined;
}
#endif

/* Compiles allow (after checking it against never_allow) into out. */
static int
policy_compile(const int *allow, size_t n, struct sandbox_bpf *out)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(never_allow); i++)
		if (policy_allowed(allow, n, never_allow[i]))
			return -EINVAL;
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i],
		    0)) < 0) {
			seccomp_release(ctx);
			return rc;
		}
	}
#if defined(__SANITIZE_ADDRESS__)
	for (i = 0; i < NELEM(sanitizer_allow); i++) {
		if (!policy_allowed(allow, n, sanitizer_allow[i]) &&
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    sanitizer_allow[i], 0)) < 0) {
			seccomp_release(ctx);
			return rc;
		}
	}
#endif
	return policy_export(ctx, out);
}

int
sandbox_policy_worker_wasm(struct sandbox_bpf *out)
{
	return policy_compile(worker_wasm_allow, NELEM(worker_wasm_allow), out);
}

/*
 * What a native program may do: what a libc program, its threads and its
 * children do with files, memory, signals, time, pipes and sockets, plus
 * fork, clone (flags checked below) and execve.  Anything else fails
 * with ENOSYS.
 */
static const int worker_native_allow[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv),
	SCMP_SYS(pwritev), SCMP_SYS(preadv2), SCMP_SYS(pwritev2),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(close_range),
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(creat),
	SCMP_SYS(stat), SCMP_SYS(fstat), SCMP_SYS(lstat),
	SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(statfs),
	SCMP_SYS(fstatfs), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(getcwd),
	SCMP_SYS(chdir), SCMP_SYS(fchdir), SCMP_SYS(mkdir), SCMP_SYS(mkdirat),
	SCMP_SYS(rmdir), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink),
	SCMP_SYS(symlinkat), SCMP_SYS(chmod), SCMP_SYS(fchmod),
	SCMP_SYS(fchmodat), SCMP_SYS(utimensat), SCMP_SYS(truncate),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync), SCMP_SYS(flock), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe), SCMP_SYS(pipe2),
	SCMP_SYS(umask), SCMP_SYS(ioctl), SCMP_SYS(sendfile),
	SCMP_SYS(copy_file_range), SCMP_SYS(splice), SCMP_SYS(tee),
	SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(msync),
	SCMP_SYS(mincore), SCMP_SYS(mlock), SCMP_SYS(munlock),
	SCMP_SYS(membarrier), SCMP_SYS(memfd_create),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigpending),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigsuspend),
	SCMP_SYS(rt_sigqueueinfo), SCMP_SYS(rt_tgsigqueueinfo),
	SCMP_SYS(sigaltstack), SCMP_SYS(kill), SCMP_SYS(tgkill),
	SCMP_SYS(tkill), SCMP_SYS(pause), SCMP_SYS(alarm),
	SCMP_SYS(getitimer), SCMP_SYS(setitimer),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getgroups), SCMP_SYS(getresuid),
	SCMP_SYS(getresgid), SCMP_SYS(getpgid), SCMP_SYS(getpgrp),
	SCMP_SYS(getsid), SCMP_SYS(setpgid), SCMP_SYS(setsid),
	SCMP_SYS(capget), SCMP_SYS(getrlimit), SCMP_SYS(setrlimit),
	SCMP_SYS(prlimit64), SCMP_SYS(getrusage), SCMP_SYS(times),
	SCMP_SYS(sysinfo), SCMP_SYS(uname), SCMP_SYS(getpriority),
	SCMP_SYS(setpriority), SCMP_SYS(getcpu), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(sched_setaffinity),
	SCMP_SYS(sched_getparam), SCMP_SYS(sched_getscheduler),
	SCMP_SYS(sched_get_priority_max), SCMP_SYS(sched_get_priority_min),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list),
	SCMP_SYS(set_tid_address), SCMP_SYS(rseq), SCMP_SYS(arch_prctl),
	SCMP_SYS(prctl), SCMP_SYS(getrandom),
	SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(execve), SCMP_SYS(execveat),
	SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(pidfd_open),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(epoll_create), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(eventfd), SCMP_SYS(eventfd2), SCMP_SYS(signalfd),
	SCMP_SYS(signalfd4), SCMP_SYS(timerfd_create),
	SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
	SCMP_SYS(inotify_init1), SCMP_SYS(inotify_add_watch),
	SCMP_SYS(inotify_rm_watch),
	SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(shutdown),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(shmget), SCMP_SYS(shmat), SCMP_SYS(shmdt), SCMP_SYS(shmctl),
};

/* Killed in a native job: never_allow but what native programs need
 * (fork, clone with checked flags, execve, sockets; clone3 is ENOSYS),
 * and more of the kernel's administrative surface. */
static const int worker_native_kill[] = {
	SCMP_SYS(unshare), SCMP_SYS(setns),
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_getfd), SCMP_SYS(kcmp),
	SCMP_SYS(bpf), SCMP_SYS(mount), SCMP_SYS(umount2),
	SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(open_tree),
	SCMP_SYS(move_mount), SCMP_SYS(fsopen), SCMP_SYS(fsconfig),
	SCMP_SYS(fsmount), SCMP_SYS(fspick), SCMP_SYS(mount_setattr),
	SCMP_SYS(name_to_handle_at), SCMP_SYS(open_by_handle_at),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(perf_event_open),
	SCMP_SYS(userfaultfd), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(reboot),
	SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(acct),
	SCMP_SYS(quotactl), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(adjtimex),
	SCMP_SYS(clock_adjtime), SCMP_SYS(syslog), SCMP_SYS(vhangup),
};

/* clone() flags that would make a namespace (CLONE_NEWTIME is clone3's). */
#define CLONE_NAMESPACES	(0x00020000 /* NEWNS */ | \
	0x02000000 /* NEWCGROUP */ | 0x04000000 /* NEWUTS */ | \
	0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ | \
	0x20000000 /* NEWPID */ | 0x40000000 /* NEWNET */)

int
sandbox_policy_worker_native(struct sandbox_bpf *out)
{
	static const int families[] = { 1 /* AF_UNIX */, 2 /* AF_INET */,
	    10 /* AF_INET6 */ };
	scmp_filter_ctx ctx;
	size_t i;
	int rc = 0, bit;

	for (i = 0; i < NELEM(worker_native_kill); i++)
		if (policy_allowed(worker_native_allow,
		    NELEM(worker_native_allow), worker_native_kill[i]))
			return -EINVAL;
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS))) == NULL)
		return -ENOMEM;
	for (i = 0; i < NELEM(worker_native_allow) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    worker_native_allow[i], 0);
	for (i = 0; i < NELEM(worker_native_kill) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
		    worker_native_kill[i], 0);
	/* clone: a thread or a process, never a namespace */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NAMESPACES, 0));
	for (bit = 0; bit < 32 && rc == 0; bit++)
		if (CLONE_NAMESPACES & (1u << bit))
			rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
			    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ,
			    1u << bit, 1u << bit));
	for (i = 0; i < NELEM(families) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	if (rc < 0) {
		seccomp_release(ctx);
		return rc;
	}
	return policy_export(ctx, out);
}

size_t
sandbox_policy_native_landlock(int abi, struct sandbox_landlock *ll,
    struct sandbox_landlock_rule *rules)
{
	/* /tmp: write, remove and make anything but device nodes */
	uint64_t tmp = LL_FS_WRITE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM;

	sandbox_policy_worker_landlock(abi, ll);
	ll->module_access = 0;
	/* everything its root holds: read, list, execute (/tmp is noexec) */
	rules[0].path = "/";
	rules[0].access = LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_EXECUTE;
	rules[1].path = "/tmp";
	rules[1].access = tmp | LL_FS_REFER | LL_FS_TRUNCATE;
	rules[2].path = "/dev/null";
	rules[2].access = LL_FS_WRITE;
	return 3;
}

size_t
sandbox_policy_compiler_landlock(int abi, const char *scratch,
    struct sandbox_landlock *ll, struct sandbox_landlock_rule *rules)
{
	static const char *const toolchain[] = { "/usr", "/bin", "/sbin",
	    "/lib", "/lib64", "/etc/alternatives", "/etc/ld.so.cache" };
	size_t n;

	memset(ll, 0, sizeof(*ll));
	ll->handled_fs = sandbox_landlock_fs_all(abi);
	for (n = 0; n < NELEM(toolchain); n++) {
		rules[n].path = toolchain[n];
		rules[n].access = LL_FS_EXECUTE | LL_FS_READ_FILE |
		    LL_FS_READ_DIR;
	}
	rules[n].path = scratch;
	rules[n++].access = ll->handled_fs;
	rules[n].path = "/dev/null";
	rules[n++].access = LL_FS_READ_FILE | LL_FS_WRITE;
	return n;
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

/*
 * What the api does once confined (strace -f of the integration suite,
 * from the privilege drop on): set up its loop (signalfd4, epoll_create1,
 * rt_sigprocmask; MHD inspects the inherited listening socket with
 * getsockname, getsockopt, fcntl), then accept and serve connections
 * (accept4, recvfrom, sendto, setsockopt, shutdown), exchange messages
 * and descriptors with the core (sendmsg, recvmsg with SCM_RIGHTS), keep
 * bodies in memfds (memfd_create, write, pread64, lseek, fstat), allocate
 * (mmap, munmap, mremap, madvise, brk), log to stderr, and exit.  No
 * openat: the api names no file at all (tzset and the jansson seed are
 * done before the filter is loaded).  abort() needs getpid, gettid,
 * tgkill; Landlock's signal scope keeps tgkill inside the process.
 */
static const int api_allow[] = {
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(signalfd4), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(shutdown),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(memfd_create), SCMP_SYS(read), SCMP_SYS(write),
	SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(fcntl),
	SCMP_SYS(close),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(getrandom), SCMP_SYS(futex),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/*
 * What the core does once confined (same derivation): the SQLite journal
 * in WAL mode (openat, pread64, pwrite64, fcntl record locks, fstat,
 * fsync, fdatasync, ftruncate, unlink, mmap of the -shm file, getcwd,
 * geteuid, access for hot-journal checks, fchmod when the umask changed
 * a new file's mode), the blob files (O_TMPFILE then linkat, mkdirat,
 * renameat, unlinkat), memfds for results, messages and descriptors with
 * its peers (poll, sendmsg, recvmsg), memory, sysinfo, SQLite's busy
 * handler sleeping while another process holds the database (usleep:
 * clock_nanosleep), libsodium's
 * getrandom, the log, and exit.  Its filesystem is the chroot (Landlock
 * holds it there too); it makes no socket and runs nothing.
 */
static const int core_allow[] = {
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(read), SCMP_SYS(write),
	SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(fcntl), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate), SCMP_SYS(fchmod), SCMP_SYS(access),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(getcwd),
	SCMP_SYS(geteuid),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat), SCMP_SYS(linkat), SCMP_SYS(rename),
	SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(memfd_create),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(sysinfo),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(getrandom), SCMP_SYS(futex),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/*
 * The Landlock ABI 1 rights the core keeps beneath its root: write, read
 * file, read dir, remove dir, remove file, make dir, make regular file;
 * no exec, no device, socket, fifo or symlink nodes.
 */
#define LL_FS_CORE	(LL_FS_WRITE | LL_FS_READ_FILE | LL_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG)


/*
 * The launcher's profile is a kill-list: it runs as root and builds every
 * sandbox, and what it forks inherits its filter before loading its own
 * (a worker's allow-list, the native profile) or, for a compiler and the
 * toolchain it execs, instead of one.  So the default is to allow, and
 * what is killed is only what none of them ever calls: loading or
 * removing kernel code and booting another kernel (init_module,
 * finit_module, delete_module, kexec_load, kexec_file_load, uselib),
 * rebooting, swap, process accounting and quotas (reboot, swapon,
 * swapoff, acct, quotactl), the clocks (settimeofday, clock_settime,
 * clock_adjtime, adjtimex), the kernel log (syslog), I/O ports (iopl,
 * ioperm), file handles that bypass paths (name_to_handle_at,
 * open_by_handle_at), the terminal (vhangup), obsolete calls
 * (lookup_dcookie, nfsservctl), eBPF, perf and userfaultfd (bpf,
 * perf_event_open, userfaultfd), the kernel keyrings (keyctl, add_key,
 * request_key), io_uring, and reaching into other processes (ptrace,
 * process_vm_readv, process_vm_writev, pidfd_getfd, kcmp).  Stacked
 * under a worker's filter the stricter action wins, so a call the native
 * profile answers with ENOSYS still gets ENOSYS unless it is killed here.
 */
static const int launcher_kill[] = {
	SCMP_SYS(init_module), SCMP_SYS(finit_module),
	SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load), SCMP_SYS(uselib),
	SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff),
	SCMP_SYS(acct), SCMP_SYS(quotactl),
	SCMP_SYS(settimeofday), SCMP_SYS(clock_settime),
	SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex),
	SCMP_SYS(syslog), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	SCMP_SYS(name_to_handle_at), SCMP_SYS(open_by_handle_at),
	SCMP_SYS(vhangup), SCMP_SYS(lookup_dcookie), SCMP_SYS(nfsservctl),
	SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register),
	SCMP_SYS(pidfd_getfd), SCMP_SYS(kcmp),
#if !defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer's check at exit traces the process (clone, ptrace) */
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev),
#endif
};

/*
 * Never on the launcher's kill-list: what it does itself (fork, clone3
 * into new namespaces, id maps, cgroups, pidfds, prctl) and what its
 * workers do before their own filter (unshare, mount and the new mount
 * API, pivot_root, umount2, setns, sethostname, setdomainname, the
 * capability and identity calls, Landlock, loading a filter) and what a
 * compiler does to exec the toolchain.
 */
static const int launcher_needs[] = {
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(wait4),
	SCMP_SYS(waitid), SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_send_signal),
	SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount), SCMP_SYS(umount2),
	SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(open_tree),
	SCMP_SYS(move_mount), SCMP_SYS(fsopen), SCMP_SYS(fsconfig),
	SCMP_SYS(fsmount), SCMP_SYS(mount_setattr), SCMP_SYS(sethostname),
	SCMP_SYS(setdomainname), SCMP_SYS(capget), SCMP_SYS(capset),
	SCMP_SYS(prctl), SCMP_SYS(seccomp), SCMP_SYS(setgroups),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setrlimit),
	SCMP_SYS(prlimit64), SCMP_SYS(chown), SCMP_SYS(fchown),
	SCMP_SYS(landlock_create_ruleset), SCMP_SYS(landlock_add_rule),
	SCMP_SYS(landlock_restrict_self), SCMP_SYS(memfd_create),
	SCMP_SYS(close_range), SCMP_SYS(personality),
};

/* Compiles the launcher's kill-list (after checking it against its
 * needs) into out. */
static int
policy_compile_launcher(struct sandbox_bpf *out)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(launcher_needs); i++)
		if (policy_allowed(launcher_kill, NELEM(launcher_kill),
		    launcher_needs[i]))
			return -EINVAL;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return -ENOMEM;
	for (i = 0; i < NELEM(launcher_kill); i++) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
		    launcher_kill[i], 0)) < 0) {
			seccomp_release(ctx);
			return rc;
		}
	}
	return policy_export(ctx, out);
}

int
policy_seccomp(enum policy_profile profile, struct sandbox_bpf *out)
{
	switch (profile) {
	case POLICY_API:
		return policy_compile(api_allow, NELEM(api_allow), out);
	case POLICY_CORE:
		return policy_compile(core_allow, NELEM(core_allow), out);
	case POLICY_LAUNCHER:
		return policy_compile_launcher(out);
	}
	return -EINVAL;
}

void
policy_landlock(enum policy_profile profile, int abi,
    struct sandbox_landlock *out)
{
	if (profile == POLICY_LAUNCHER) {
		/* it builds the sandboxes, as root: nothing is handled */
		memset(out, 0, sizeof(*out));
		return;
	}
	/* the worker's masks: every right the ABI knows is handled */
	sandbox_policy_worker_landlock(abi, out);
	out->module_access = 0;
	if (profile == POLICY_CORE) {
		out->module_access = LL_FS_CORE;
		if (abi >= 2)
			out->module_access |= LL_FS_REFER;
		if (abi >= 3)
			out->module_access |= LL_FS_TRUNCATE;
	}
	/*
	 * TCP bind and connect stay denied (ABI 4): accept(2) on the api's
	 * inherited listening socket is not a Landlock access.
	 */
}

int
sandbox_landlock_abi(void)
{
	long abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    1U /* LANDLOCK_CREATE_RULESET_VERSION */);
	return abi < 0 ? -errno : (int)abi;
}

uint64_t
sandbox_landlock_fs_all(int abi)
{
	uint64_t all = LL_FS_ABI1;

	if (abi >= 2)
		all |= LL_FS_REFER;
	if (abi >= 3)
		all |= LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= LL_FS_IOCTL_DEV;
	return all;
}

int
sandbox_landlock_apply(const struct sandbox_landlock *ll, int abi,
    const struct sandbox_landlock_rule *rules, size_t n)
{
	/* only these apply to a file that is not a directory */
	static const uint64_t file_rights = LL_FS_EXECUTE | LL_FS_WRITE |
	    LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
	struct {
		uint64_t handled_fs, handled_net, scoped;
	} attr;
	struct {
		uint64_t allowed;
		int32_t parent_fd;
	} __attribute__((packed)) rule;
	struct stat st;
	size_t size, i;
	int fd, rc = 0;

	attr.handled_fs = ll->handled_fs;
	attr.handled_net = ll->handled_net;
	attr.scoped = ll->scoped;
	size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
	if ((fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0)) < 0)
		return -errno;
	for (i = 0; i < n && rc == 0; i++) {
		rule.parent_fd = open(rules[i].path, O_PATH | O_CLOEXEC);
		if (rule.parent_fd < 0) {
			rc = errno == ENOENT ? 0 : -errno;
			continue;
		}
		rule.allowed = rules[i].access & ll->handled_fs;
		if (fstat(rule.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
			rule.allowed &= file_rights;
		if (rule.allowed != 0 && syscall(SYS_landlock_add_rule, fd,
		    1 /* LANDLOCK_RULE_PATH_BENEATH */, &rule, 0) < 0)
			rc = -errno;
		close(rule.parent_fd);
	}
	if (rc == 0 && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Landlock as profile's masks say; returns the ABI, or -errno. */
static int
policy_landlock_apply(enum policy_profile profile)
{
	struct sandbox_landlock ll;
	/* the core's one rule: its working directory, the chroot's root */
	struct sandbox_landlock_rule root = { ".", 0 };
	int abi, rc;

	if ((abi = sandbox_landlock_abi()) < 0)
		return abi;
	policy_landlock(profile, abi, &ll);
	root.access = ll.module_access;
	rc = sandbox_landlock_apply(&ll, abi, &root,
	    ll.module_access != 0 ? 1 : 0);
	return rc < 0 ? rc : abi;
}

int
policy_confine(enum policy_profile profile, char *what, size_t len)
{
	struct sandbox_bpf bpf = { NULL, 0 };
	struct sock_fprog prog;
	int abi, rc;

	/* glibc reads /etc/localtime once, on first use: before, not after */
	tzset();
	if ((rc = policy_seccomp(profile, &bpf)) < 0)
		return rc;
	abi = profile == POLICY_LAUNCHER ? 0 :
	    policy_landlock_apply(profile);
	prog.len = bpf.len;
	prog.filter = bpf.insns;
	rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -errno : 0;
	free(bpf.insns);
	if (rc < 0)
		return rc;
	if (profile == POLICY_LAUNCHER) {
		/* its kill-list spares what LeakSanitizer needs: still on */
		snprintf(what, len, "seccomp kill-list");
		return 0;
	}
#if defined(__SANITIZE_ADDRESS__)
	policy_confined = 1;
#endif
	if (abi > 0)
		snprintf(what, len, "seccomp, landlock:%d", abi);
	else
		snprintf(what, len, "seccomp, no landlock (%s)",
		    strerrorname_np(-abi) ? strerrorname_np(-abi) : "?");
	return 0;
}
