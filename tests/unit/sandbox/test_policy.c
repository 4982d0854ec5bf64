/*
 * Unit tests of the api's, core's and launcher's confinement
 * (src/sandbox/policy.c, include/kiln/policy.h) and of the native
 * worker's seccomp profile: each case forks a child that sets
 * no_new_privs, confines itself with a profile and makes one call; the
 * parent checks the exact outcome, a SIGSYS kill for a call outside the
 * allow-list (or on the native profile's never list, or on the
 * launcher's kill-list), ENOSYS for what the native profile does not
 * list, an EACCES from Landlock for a path outside the core's directory,
 * success for what the process needs.  Needs neither root nor a
 * particular Landlock ABI (the Landlock cases skip themselves without
 * one, the launcher's namespace case without user namespaces).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/policy.h"
#include "kiln/sandbox.h"

#define EXIT_CONFINE	90	/* the child could not confine itself */
#define EXIT_SETUP	91	/* the child's set-up before confining failed */

static char tmpdir[] = "/tmp/kiln-policy-test-XXXXXX";
static int listen_fd = -1, client_fd = -1, tcp_fd = -1;

static int
landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);

	return abi < 0 ? 0 : (int)abi;
}

/*
 * Forks; the child runs setup (may be NULL), confines itself with
 * profile in dir (NULL: stays where it is), runs body and exits with its
 * return value.  Returns the child's wait status.
 */
static int
run_confined(enum policy_profile profile, const char *dir, int (*setup)(void),
    int (*body)(void))
{
	char what[64];
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if ((dir != NULL && chdir(dir) < 0) ||
		    (setup != NULL && setup() != 0))
			_exit(EXIT_SETUP);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    policy_confine(profile, what, sizeof(what)) < 0)
			_exit(EXIT_CONFINE);
		_exit(body());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void
assert_sigsys(int st)
{
	if (!WIFSIGNALED(st))
		fail_msg("want SIGSYS, child exited with %d", WEXITSTATUS(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void
assert_exit0(int st)
{
	if (WIFSIGNALED(st))
		fail_msg("want exit 0, child died of signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------------------ bodies */

static int
do_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 1 : 2;
}

static int
do_socketpair(void)
{
	int sv[2];

	return socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0 ? 1 : 2;
}

static int
do_open_passwd(void)
{
	int fd = openat(AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);

	return fd >= 0 ? 1 : errno == EACCES ? 0 : 2;
}

static int
do_execve(void)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };

	execve("/bin/true", argv, envp);
	return 2;
}

static int
do_fork(void)
{
	return fork() >= 0 ? 1 : 2;
}

static int
do_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(9) };

	return connect(tcp_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 1 :
	    errno == EACCES ? 0 : 2;
}

/* What the api does: memfd bodies, memory, time, randomness, accept. */
static int
do_api_allowed(void)
{
	struct timespec ts;
	char buf[5], rnd[16];
	void *p;
	int fd;

	if ((fd = memfd_create("body", MFD_CLOEXEC)) < 0 ||
	    write(fd, "hello", 5) != 5 || pread(fd, buf, 5, 0) != 5 ||
	    memcmp(buf, "hello", 5) != 0 || close(fd) < 0)
		return 3;
	if ((p = malloc(1 << 20)) == NULL)
		return 4;
	free(p);
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || getpid() <= 0 ||
	    getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return 5;
	if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return 6;
	if (send(client_fd, "x", 1, 0) != 1 || recv(fd, buf, 1, 0) != 1)
		return 7;
	return 0;
}

/* What the core does in its directory: the store's file operations. */
static int
do_core_allowed(void)
{
	struct stat sb;
	char buf[2];
	int dfd, fd;

	if (mkdirat(AT_FDCWD, "blobs", 0700) < 0 ||
	    (dfd = openat(AT_FDCWD, "blobs", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return 3;
	if ((fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0400)) < 0 ||
	    write(fd, "ab", 2) != 2 || fsync(fd) < 0 ||
	    linkat(fd, "", dfd, "blob", AT_EMPTY_PATH) < 0 || close(fd) < 0)
		return 4;
	if (renameat(dfd, "blob", AT_FDCWD, "moved") < 0 ||
	    (fd = openat(AT_FDCWD, "moved", O_RDONLY | O_CLOEXEC)) < 0 ||
	    pread(fd, buf, 2, 0) != 2 || fstat(fd, &sb) < 0 || close(fd) < 0)
		return 5;
	if ((fd = openat(AT_FDCWD, "db", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) < 0 || pwrite(fd, "x", 1, 4096) != 1 ||
	    fdatasync(fd) < 0 || ftruncate(fd, 0) < 0 ||
	    fcntl(fd, F_SETLK, &(struct flock){ .l_type = F_WRLCK }) < 0 ||
	    close(fd) < 0)
		return 6;
	if (unlinkat(AT_FDCWD, "moved", 0) < 0 || unlink("db") < 0 ||
	    unlinkat(AT_FDCWD, "blobs", AT_REMOVEDIR) < 0)
		return 7;
	if ((fd = memfd_create("result", MFD_CLOEXEC)) < 0 || close(fd) < 0)
		return 8;
	return 0;
}

/* Landlock: the core names nothing above its directory. */
static int
do_core_outside(void)
{
	int fd = openat(AT_FDCWD, "/tmp/kiln-policy-outside",
	    O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	return fd >= 0 ? 1 : errno == EACCES ? 0 : 2;
}

static int
setup_listener(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	if ((listen_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(listen_fd, 4) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	/* loopback: the connection is in the backlog before we confine */
	if ((client_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(client_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	return 0;
}

static int
setup_tcp(void)
{
	return (tcp_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ? -1 : 0;
}

/* ---------------------------------------------- the native profile */

/* The native worker's filter, compiled once (in the test's process). */
static const struct sandbox_bpf *
native_filter(void)
{
	static struct sandbox_bpf bpf;

	if (bpf.len == 0)
		assert_int_equal(sandbox_policy_worker_native(&bpf), 0);
	return &bpf;
}

/* Loads the native worker's filter (native_filter() compiled it before
 * the fork); 0 or -1. */
static int
native_load(void)
{
	const struct sandbox_bpf *bpf = native_filter();
	struct sock_fprog prog;

	prog.len = bpf->len;
	prog.filter = bpf->insns;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* Forks a child that loads the native worker's filter and runs body. */
static int
run_native(int (*body)(void))
{
	pid_t pid;
	int st;

	native_filter();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    native_load() < 0)
			_exit(EXIT_CONFINE);
		_exit(body());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* Each returns 0 when the call failed with the errno the profile gives. */
static int
native_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 1;
}

static int
native_unlisted(void)
{
	return syscall(SYS_sysfs, 3) < 0 && errno == ENOSYS ? 0 : 1;
}

static int
native_netlink(void)
{
	return socket(AF_NETLINK, SOCK_RAW, 0) < 0 && errno == ENOSYS ? 0 : 1;
}

static void *
native_thread_body(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* What a native program does: threads (clone3 falls back to clone),
 * fork and wait, a unix socket pair, execve. */
static int
native_allowed(void)
{
	pthread_t t;
	int v = 0, sv[2], st;
	pid_t pid;

	if (pthread_create(&t, NULL, native_thread_body, &v) != 0 ||
	    pthread_join(t, NULL) != 0 || v != 42)
		return 1;
	if ((pid = fork()) == 0)
		_exit(7);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 7)
		return 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    socket(AF_INET, SOCK_DGRAM, 0) < 0)
		return 3;
	execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
	return 4;
}

static int
native_unshare(void)
{
	return unshare(CLONE_NEWUSER) == 0 ? 1 : 2;
}

static int
native_clone_newuser(void)
{
	return syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) >= 0 ?
	    1 : 2;
}

static int
native_ptrace(void)
{
	return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) == 0 ?
	    1 : 2;
}

static int
native_mount(void)
{
	return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL) == 0 ?
	    1 : 2;
}

static int
native_io_uring(void)
{
	return syscall(SYS_io_uring_setup, 1, NULL) >= 0 ? 1 : 2;
}

static int
native_bpf(void)
{
	return syscall(SYS_bpf, 0, NULL, 0) >= 0 ? 1 : 2;
}

/* -------------------------------------------- the launcher's profile */

/* Each returns 1 when the call was not killed (bad arguments: it fails). */
static int
launcher_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0, "") < 0 ? 1 : 2;
}

static int
launcher_kexec_load(void)
{
	/* too many segments, unknown flags: EINVAL, never an unload */
	return syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0x8000UL) < 0 ?
	    1 : 2;
}

static int
launcher_reboot(void)
{
	/* no magic: EINVAL */
	return syscall(SYS_reboot, 0, 0, 0, NULL) < 0 ? 1 : 2;
}

static int
launcher_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0) < 0 ? 1 : 2;
}

static int
launcher_ptrace(void)
{
	return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) == 0 ?
	    1 : 2;
}

static int
write_file(const char *path, const char *s)
{
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return rc;
}

/* fork and exec /bin/true, wait for it: 0 when it exited 0. */
static int
fork_exec_true(void)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * What the launcher and a worker do before the worker's own filter:
 * fork and exec (a compiler), a new user and mount namespace with id
 * maps, a private tmpfs mounted inside and unmounted, clone3 into a new
 * pid namespace with a pidfd (sandbox_worker_spawn), and exec again from
 * the namespaces.
 */
static int
launcher_allowed(void)
{
	struct clone_args ca;
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int pidfd = -1, st;
	long pid;

	if (fork_exec_true() < 0)
		return 1;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return 2;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", map) < 0)
		return 3;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return 3;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", tmpdir, "tmpfs", 0, "size=64k") < 0 ||
	    umount2(tmpdir, 0) < 0)
		return 4;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWPID | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	if ((pid = syscall(SYS_clone3, &ca, sizeof(ca))) == 0)
		_exit(getpid() == 1 ? 0 : 1);
	if (pid < 0 || pidfd < 0 || waitpid((pid_t)pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 5;
	close(pidfd);
	return fork_exec_true() < 0 ? 6 : 0;
}

/* Under the launcher's filter, the native worker's on top: the stricter
 * action wins, and the worker's filter can still be loaded. */
static int
stacked_unlisted(void)
{
	return native_load() < 0 ? 9 : native_unlisted();
}

static int
stacked_allowed(void)
{
	return native_load() < 0 ? 9 : native_allowed();
}

/* uselib: not on the native profile's lists (ENOSYS), on the launcher's */
static int
uselib_enosys(void)
{
	return syscall(SYS_uselib, NULL) < 0 && errno == ENOSYS ? 0 : 1;
}

static int
stacked_uselib(void)
{
	return native_load() < 0 ? 9 : uselib_enosys();
}

static int
stacked_clone3(void)
{
	return native_load() < 0 ? 9 : native_clone3();
}

/* ------------------------------------------------------------- tests */

static void
test_profiles_compile(void **state)
{
	struct sandbox_landlock ll;
	struct sandbox_bpf bpf;

	assert_int_equal(policy_seccomp(POLICY_API, &bpf), 0);
	assert_true(bpf.len > 0);
	free(bpf.insns);
	assert_int_equal(policy_seccomp(POLICY_CORE, &bpf), 0);
	assert_true(bpf.len > 0);
	free(bpf.insns);
	assert_int_equal(policy_seccomp(POLICY_LAUNCHER, &bpf), 0);
	assert_true(bpf.len > 0);
	free(bpf.insns);
	/* the launcher: no Landlock at all */
	policy_landlock(POLICY_LAUNCHER, 7, &ll);
	assert_int_equal(ll.handled_fs, 0);
	assert_int_equal(ll.handled_net, 0);
	assert_int_equal(ll.scoped, 0);
	assert_int_equal(ll.module_access, 0);
	/* the api: everything handled, no rule; the core: no exec, no nodes */
	policy_landlock(POLICY_API, 7, &ll);
	assert_int_equal(ll.module_access, 0);
	assert_int_equal(ll.handled_net, 3);
	assert_int_equal(ll.scoped, 3);
	policy_landlock(POLICY_CORE, 7, &ll);
	assert_int_equal(ll.module_access & 1, 0);	/* EXECUTE */
	assert_int_equal(ll.module_access & (1 << 6 | 1 << 9 | 1 << 10 |
	    1 << 11 | 1 << 12), 0);	/* char, sock, fifo, block, symlink */
	assert_int_equal(ll.module_access & ~ll.handled_fs, 0);
	assert_int_equal(ll.handled_net, 3);
	policy_landlock(POLICY_CORE, 1, &ll);
	assert_int_equal(ll.handled_net, 0);
	assert_int_equal(ll.module_access & ~ll.handled_fs, 0);
}

/* The job-side Landlock profiles: exactly their rules, nothing more. */
static void
test_job_landlock_rules(void **state)
{
	struct sandbox_landlock_rule rules[SANDBOX_COMPILER_RULES];
	struct sandbox_landlock ll;
	size_t i;

	assert_int_equal(sandbox_policy_compiler_landlock(7, "/s", &ll, rules),
	    SANDBOX_COMPILER_RULES);
	assert_int_equal(ll.handled_fs, (1 << 16) - 1);	/* ABI 5+: all */
	for (i = 0; i < 7; i++)			/* the toolchain: r-x */
		assert_int_equal(rules[i].access, 1 | 4 | 8);
	assert_string_equal(rules[7].path, "/s");
	assert_int_equal(rules[7].access, ll.handled_fs);
	assert_string_equal(rules[8].path, "/dev/null");
	assert_int_equal(rules[8].access, 2 | 4);

	assert_int_equal(sandbox_policy_native_landlock(7, &ll, rules), 3);
	assert_string_equal(rules[0].path, "/");
	assert_int_equal(rules[0].access, 1 | 4 | 8);	/* no write at all */
	assert_string_equal(rules[1].path, "/tmp");
	assert_int_equal(rules[1].access & (1 << 6 | 1 << 11), 0); /* nodes */
	assert_string_equal(rules[2].path, "/dev/null");
	assert_int_equal(rules[2].access, 2);
	assert_int_equal(ll.handled_net, 3);
	assert_int_equal(ll.scoped, 3);
}

static void
test_api_kills(void **state)
{
	assert_sigsys(run_confined(POLICY_API, NULL, NULL, do_socket));
	assert_sigsys(run_confined(POLICY_API, NULL, NULL, do_socketpair));
	assert_sigsys(run_confined(POLICY_API, NULL, NULL, do_open_passwd));
	assert_sigsys(run_confined(POLICY_API, NULL, NULL, do_execve));
	assert_sigsys(run_confined(POLICY_API, NULL, NULL, do_fork));
	assert_sigsys(run_confined(POLICY_API, NULL, setup_tcp, do_connect));
}

static void
test_api_allowed(void **state)
{
	assert_exit0(run_confined(POLICY_API, NULL, setup_listener,
	    do_api_allowed));
}

static void
test_core_kills(void **state)
{
	assert_sigsys(run_confined(POLICY_CORE, tmpdir, NULL, do_socket));
	assert_sigsys(run_confined(POLICY_CORE, tmpdir, NULL, do_socketpair));
	assert_sigsys(run_confined(POLICY_CORE, tmpdir, NULL, do_execve));
	assert_sigsys(run_confined(POLICY_CORE, tmpdir, NULL, do_fork));
	assert_sigsys(run_confined(POLICY_CORE, tmpdir, setup_tcp, do_connect));
}

static void
test_core_allowed(void **state)
{
	assert_exit0(run_confined(POLICY_CORE, tmpdir, NULL, do_core_allowed));
}

static void
test_core_landlock(void **state)
{
	if (landlock_abi() < 1)
		skip();
	/* exit 0: openat failed with EACCES */
	assert_exit0(run_confined(POLICY_CORE, tmpdir, NULL, do_open_passwd));
	assert_exit0(run_confined(POLICY_CORE, tmpdir, NULL, do_core_outside));
}

static void
test_native_enosys(void **state)
{
	assert_exit0(run_native(native_clone3));
	assert_exit0(run_native(native_unlisted));
	assert_exit0(run_native(native_netlink));
}

static void
test_native_allowed(void **state)
{
	assert_exit0(run_native(native_allowed));
}

static void
test_native_kills(void **state)
{
	assert_sigsys(run_native(native_unshare));
	assert_sigsys(run_native(native_clone_newuser));
	assert_sigsys(run_native(native_ptrace));
	assert_sigsys(run_native(native_mount));
	assert_sigsys(run_native(native_io_uring));
	assert_sigsys(run_native(native_bpf));
}

static void
test_launcher_kills(void **state)
{
	assert_sigsys(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    launcher_init_module));
	assert_sigsys(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    launcher_kexec_load));
	assert_sigsys(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    launcher_reboot));
	assert_sigsys(run_confined(POLICY_LAUNCHER, NULL, NULL, launcher_bpf));
#if !defined(__SANITIZE_ADDRESS__)
	assert_sigsys(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    launcher_ptrace));
#else
	/* spared in sanitizer builds: LeakSanitizer traces at exit */
	assert_false(WIFSIGNALED(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    launcher_ptrace)));
#endif
}

static void
test_launcher_allowed(void **state)
{
	pid_t pid;
	int st;

	/* the same without any filter first: a kernel without user
	 * namespaces (or forbidding them) is no failure of the profile */
	if ((pid = fork()) == 0)
		_exit(launcher_allowed());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		skip();
	assert_exit0(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    launcher_allowed));
}

static void
test_launcher_stacked(void **state)
{
	native_filter();
	assert_exit0(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    stacked_unlisted));
	assert_exit0(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    stacked_clone3));
	assert_exit0(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    stacked_allowed));
	/* the native profile alone says ENOSYS; under the launcher's, SIGSYS */
	assert_exit0(run_native(uselib_enosys));
	assert_sigsys(run_confined(POLICY_LAUNCHER, NULL, NULL,
	    stacked_uselib));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_enosys),
		cmocka_unit_test(test_native_allowed),
		cmocka_unit_test(test_native_kills),
		cmocka_unit_test(test_profiles_compile),
		cmocka_unit_test(test_job_landlock_rules),
		cmocka_unit_test(test_api_kills),
		cmocka_unit_test(test_api_allowed),
		cmocka_unit_test(test_core_kills),
		cmocka_unit_test(test_core_allowed),
		cmocka_unit_test(test_core_landlock),
		cmocka_unit_test(test_launcher_kills),
		cmocka_unit_test(test_launcher_allowed),
		cmocka_unit_test(test_launcher_stacked),
	};
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = cmocka_run_group_tests_name("policy", tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
