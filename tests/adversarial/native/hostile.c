/*
 * A hostile native guest for the adversarial suite (test_native.py):
 * `hostile <case> [args...]` does one hostile thing from inside a native
 * job's sandbox and prints what happened, deterministically (errno names
 * through strerrorname_np, sorted directory listings, no pids or
 * addresses), so that the test can assert the exact output bytes.
 * Cases that must be killed by seccomp print "calling X" first and, if
 * they survive, what the call returned.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER	0x10000000
#endif

static const char *
en(int e)
{
	const char *s = strerrorname_np(e);

	return s != NULL ? s : "E?";
}

/* "what: ok" or "what: ENAME" for a call that returned rc (errno set). */
static void
res(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: ok\n", what);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "path: a b c" (sorted, without . and ..) or "path: ENAME". */
static void
ls(const char *path, const char *hide)
{
	char *names[512];
	struct dirent *d;
	size_t n = 0, i;
	DIR *dir;

	if ((dir = opendir(path)) == NULL) {
		printf("ls %s: %s\n", path, en(errno));
		return;
	}
	while ((d = readdir(dir)) != NULL && n < 512) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (hide != NULL && strcmp(d->d_name, hide) == 0)
			names[n++] = strdup("<exe>");
		else
			names[n++] = strdup(d->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), cmp);
	printf("ls %s:", path);
	for (i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

/* Opens path read-only and reads it: "open path: ok N bytes" or errno. */
static void
try_read(const char *path)
{
	char buf[4096];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0) {
		printf("open %s: %s\n", path, en(errno));
		return;
	}
	r = read(fd, buf, sizeof(buf));
	if (r < 0)
		printf("open %s: ok, read %s\n", path, en(errno));
	else
		printf("open %s: ok, %s\n", path, r > 0 ? "readable" : "empty");
	close(fd);
}

static void
try_open_as(const char *path, const char *label, int flags)
{
	char what[256];

	snprintf(what, sizeof(what), "open %s %s", label,
	    (flags & O_CREAT) ? "O_CREAT|O_WRONLY" :
	    (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY" :
	    (flags & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_RDONLY");
	int fd = open(path, flags, 0644);
	res(what, fd);
	if (fd >= 0)
		close(fd);
}

static void
try_open(const char *path, int flags)
{
	try_open_as(path, path, flags);
}

/* The executable's own path, from /proc/self/exe. */
static const char *
self_exe(void)
{
	static char path[256];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n < 0) {
		printf("readlink /proc/self/exe: %s\n", en(errno));
		exit(1);
	}
	path[n] = '\0';
	return path;
}

/* --------------------------------------------------------------- cases */

static int
c_fork_bomb(void)
{
	for (;;) {
		pid_t p = fork();

		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			printf("fork: %s\n", en(errno));
			fflush(stdout);
			return 3;
		}
	}
}

/* The syscalls seccomp must answer with SIGSYS. */
static int
c_killed(const char *name)
{
	long rc = -2;

	printf("calling %s\n", name);
	fflush(stdout);
	errno = 0;
	if (strcmp(name, "ptrace") == 0)
		rc = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcmp(name, "mount") == 0)
		rc = mount("none", "/tmp", "tmpfs", 0, NULL);
	else if (strcmp(name, "unshare") == 0)
		rc = unshare(CLONE_NEWUSER);
	else if (strcmp(name, "setns") == 0)
		rc = setns(0, 0);
	else if (strcmp(name, "bpf") == 0)
		rc = syscall(SYS_bpf, 0, NULL, 0);
	else if (strcmp(name, "keyctl") == 0)
		rc = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	else if (strcmp(name, "io_uring_setup") == 0) {
		char params[120] = { 0 };
		rc = syscall(SYS_io_uring_setup, 8, params);
	} else if (strcmp(name, "perf_event_open") == 0) {
		char attr[128] = { 0 };
		rc = syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
	} else if (strcmp(name, "chroot") == 0)
		rc = chroot("/tmp");
	else if (strcmp(name, "clone_newuser") == 0) {
		rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		if (rc == 0)
			_exit(0);
	}
	printf("survived %s: rc %ld %s\n", name, rc, errno ? en(errno) : "-");
	return 0;
}

static int
c_clone3(void)
{
	uint64_t args[11] = { 0 };	/* struct clone_args, version 2 */
	long rc;

	args[4] = SIGCHLD;		/* exit_signal */
	rc = syscall(SYS_clone3, args, sizeof(args));
	if (rc == 0)
		_exit(0);
	if (rc > 0) {
		waitpid((pid_t)rc, NULL, 0);
		printf("clone3: created a child\n");
		return 0;
	}
	printf("clone3: %s\n", en(errno));
	return 0;
}

static int
c_kill_parent(int argc, char **argv)
{
	char what[64];
	int i;

	printf("getpid: %d\n", (int)getpid());
	printf("getppid: %d\n", (int)getppid());
	res("kill(getppid(), SIGKILL)", kill(getppid(), SIGKILL));
	res("kill(1, SIGKILL)", kill(1, SIGKILL));
	res("kill(1, SIGTERM)", kill(1, SIGTERM));
	res("kill(1, SIGSTOP)", kill(1, SIGSTOP));
	res("kill(-1, SIGKILL)", kill(-1, SIGKILL));
	for (i = 2; i < argc; i++) {
		snprintf(what, sizeof(what), "kill(host pid, SIGKILL)");
		res(what, kill(atoi(argv[i]), SIGKILL));
	}
	printf("alive\n");
	return 0;
}

static int
c_kill_other(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		res("kill(other job, 0)", kill(atoi(argv[i]), 0));
		res("kill(other job, SIGKILL)", kill(atoi(argv[i]), SIGKILL));
	}
	printf("alive\n");
	return 0;
}

static int
c_proc_snoop(int argc, char **argv)
{
	char path[64];
	int i;

	ls("/proc", NULL);
	try_read("/proc/1/cmdline");
	try_read("/proc/1/environ");
	ls("/proc/1/fd", NULL);
	try_read("/proc/1/mem");
	try_read("/proc/sys/kernel/hostname");
	try_read("/proc/kcore");
	try_read("/proc/mounts");
	try_read("/proc/self/status");
	try_read("/proc/2/status");
	for (i = 2; i < argc; i++) {
		snprintf(path, sizeof(path), "/proc/%s/cmdline", argv[i]);
		/* named generically: the output stays the same */
		int fd = open(path, O_RDONLY);
		res("open /proc/<host pid>/cmdline", fd);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int
c_dev_nvidia(void)
{
	try_open("/dev/nvidia0", O_RDWR);
	try_open("/dev/nvidiactl", O_RDWR);
	try_open("/dev/nvidia-uvm", O_RDWR);
	try_open("/dev/dri/card0", O_RDWR);
	try_open("/dev/mem", O_RDONLY);
	try_open("/dev/kmsg", O_RDONLY);
	try_open("/dev/tty", O_RDWR);
	ls("/dev", NULL);
	return 0;
}

static int
c_host_files(void)
{
	const char *exe = self_exe();

	try_read("/etc/passwd");
	try_read("/etc/shadow");
	ls("/root", NULL);
	ls("/home", NULL);
	ls("/var/lib", NULL);
	try_read("/proc/self/root/etc/passwd");
	ls("/", exe + 1);
	ls("/lib", NULL);
	ls("/lib64", NULL);
	ls("/tmp", NULL);
	return 0;
}

static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t r;
	int in, out;

	if ((in = open(from, O_RDONLY)) < 0)
		return -1;
	if ((out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0600)) < 0) {
		close(in);
		return -1;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r) {
			r = -1;
			break;
		}
	close(in);
	close(out);
	return r < 0 ? -1 : 0;
}

static int
c_write_outside_tmp(char **argv)
{
	const char *exe = self_exe();
	char buf[32];
	int fd;

	try_open("/x", O_CREAT | O_WRONLY);
	try_open("/lib64/x", O_CREAT | O_WRONLY);
	try_open("/dev/x", O_CREAT | O_WRONLY);
	try_open("/proc/x", O_CREAT | O_WRONLY);
	try_open_as(exe, "<exe>", O_WRONLY);
	try_open_as(exe, "<exe>", O_RDWR);
	try_open("/lib/x86_64-linux-gnu/libc.so.6", O_WRONLY);
	try_open("/dev/null", O_WRONLY);
	res("mkdir /d", mkdir("/d", 0755));
	res("unlink <exe>", unlink(exe));
	res("rename <exe> /tmp/moved", rename(exe, "/tmp/moved"));
	res("chmod <exe> 0777", chmod(exe, 0777));

	fd = open("/tmp/f", O_CREAT | O_RDWR, 0644);
	res("create /tmp/f", fd);
	if (fd >= 0) {
		res("write /tmp/f", write(fd, "kiln\n", 5));
		lseek(fd, 0, SEEK_SET);
		memset(buf, 0, sizeof(buf));
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		printf("read back /tmp/f: %zd %s", r, buf);
		close(fd);
	}
	res("copy <exe> to /tmp/x", copy_file(exe, "/tmp/x"));
	res("chmod /tmp/x 0755", chmod("/tmp/x", 0755));
	fflush(stdout);
	char *args[] = { "/tmp/x", "identity", NULL };
	(void)argv;
	execve("/tmp/x", args, (char *[]){ NULL });
	printf("execve /tmp/x: %s\n", en(errno));
	return 0;
}

static int
c_symlinks(void)
{
	const char *exe = self_exe();

	res("symlink /tmp/abs -> /etc/passwd", symlink("/etc/passwd",
	    "/tmp/abs"));
	try_read("/tmp/abs");
	res("symlink /tmp/rel -> ../../../../etc/passwd",
	    symlink("../../../../etc/passwd", "/tmp/rel"));
	try_read("/tmp/rel");
	try_read("/tmp/../../etc/passwd");
	res("symlink /tmp/root -> /proc/1/root", symlink("/proc/1/root",
	    "/tmp/root"));
	try_read("/tmp/root/etc/passwd");
	ls("/tmp/root", NULL);
	res("symlink /tmp/exe -> <exe>", symlink(exe, "/tmp/exe"));
	try_read("/tmp/exe");
	res("link <exe> /tmp/hard", link(exe, "/tmp/hard"));
	res("link libc /tmp/libc", link("/lib/x86_64-linux-gnu/libc.so.6",
	    "/tmp/libc"));
	return 0;
}

static int
c_net(int argc, char **argv)
{
	struct sockaddr_in a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(argc > 2 ? atoi(argv[2]) : 80);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("socket tcp", fd);
	res("connect tcp 127.0.0.1:<port>", connect(fd, (void *)&a,
	    sizeof(a)));
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	a.sin_port = htons(8080);
	res("bind tcp 0.0.0.0:8080", bind(fd, (void *)&a, sizeof(a)));
	close(fd);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("socket udp", fd);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(53);
	res("connect udp 127.0.0.1:53", connect(fd, (void *)&a, sizeof(a)));
	a.sin_addr.s_addr = inet_addr("8.8.8.8");
	res("connect udp 8.8.8.8:53", connect(fd, (void *)&a, sizeof(a)));
	res("sendto udp 8.8.8.8:53", sendto(fd, "x", 1, 0, (void *)&a,
	    sizeof(a)));
	close(fd);

	res("socket AF_NETLINK", socket(AF_NETLINK, SOCK_RAW, 0));
	res("socket AF_PACKET", socket(AF_PACKET, SOCK_RAW, 0));
	res("socket AF_INET SOCK_RAW", socket(AF_INET, SOCK_RAW,
	    IPPROTO_ICMP));
	res("socket AF_VSOCK", socket(40, SOCK_STREAM, 0));
	return 0;
}

static volatile sig_atomic_t got;

static void
on_sig(int s)
{
	(void)s;
	got++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
c_signal_storm(void)
{
	static const int sigs[] = { SIGUSR1, SIGTERM, SIGSTOP, SIGCONT };
	pid_t kids[8];
	struct sigaction sa;
	int p[2], i, j, live, bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	res("kill(1, SIGTERM)", kill(1, SIGTERM));
	res("kill(1, SIGSTOP)", kill(1, SIGSTOP));
	res("kill(1, SIGUSR1)", kill(1, SIGUSR1));
	fflush(stdout);
	if (pipe(p) < 0)
		return 1;
	for (i = 0; i < 8; i++) {
		if ((kids[i] = fork()) == 0) {
			pid_t sib[8];
			double end;
			close(p[1]);
			if (read(p[0], sib, sizeof(sib)) != sizeof(sib))
				_exit(1);
			end = now() + 0.5;
			for (j = 0; now() < end; j++) {
				int s = sigs[j % 4];
				kill(sib[(j / 4) % 8], s);
				if (s == SIGSTOP)
					kill(sib[(j / 4) % 8], SIGCONT);
				kill(getpid(), SIGUSR1);
				kill(1, sigs[j % 4]);
			}
			_exit(0);
		}
		if (kids[i] < 0) {
			printf("fork: %s\n", en(errno));
			return 1;
		}
	}
	for (i = 0; i < 8; i++)
		if (write(p[1], kids, sizeof(kids)) != sizeof(kids))
			return 1;
	/* a child may be left stopped by a sibling that then exited: keep
	 * continuing them until every one has exited */
	for (live = 8; live > 0;) {
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);

		if (w > 0) {
			live--;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
			continue;
		}
		for (i = 0; i < 8; i++)
			kill(kids[i], SIGCONT);
		usleep(5000);
	}
	printf("children failed: %d\n", bad);
	printf("storm over\n");
	return 0;
}

static int
c_identity(void)
{
	static const char *const keys[] = { "Uid:", "Gid:", "Groups:",
	    "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:",
	    "NoNewPrivs:", "Seccomp:", "Seccomp_filters:", NULL };
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");
	int i;

	if (f == NULL) {
		printf("/proc/self/status: %s\n", en(errno));
	} else {
		while (fgets(line, sizeof(line), f) != NULL)
			for (i = 0; keys[i] != NULL; i++)
				if (strncmp(line, keys[i],
				    strlen(keys[i])) == 0)
					fputs(line, stdout);
		fclose(f);
	}
	ls("/proc/self/fd", NULL);
	printf("cwd: %s\n", getcwd(line, sizeof(line)) ? line : en(errno));
	return 0;
}

static int
c_hostname(void)
{
	char name[256];

	if (gethostname(name, sizeof(name)) < 0)
		printf("gethostname: %s\n", en(errno));
	else
		printf("hostname: %s\n", name);
	return 0;
}

/* A copy of the exe in a memfd, executed through fexecve/execveat. */
static int
c_memfd_exec(void)
{
	const char *exe = self_exe();
	char buf[65536];
	ssize_t r;
	int in, fd;

	fd = memfd_create("x", MFD_CLOEXEC);
	res("memfd_create", fd);
	if (fd < 0)
		return 0;
	if ((in = open(exe, O_RDONLY)) < 0)
		return 1;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)r) != r)
			return 1;
	close(in);
	fflush(stdout);
	char *args[] = { "main", "exit", "0", NULL };
	fexecve(fd, args, (char *[]){ NULL });
	printf("fexecve memfd: %s\n", en(errno));
	syscall(SYS_execveat, fd, "", args, (char *[]){ NULL }, AT_EMPTY_PATH);
	printf("execveat memfd: %s\n", en(errno));
	return 0;
}

/* Prints files whole: "== path" then the bytes, or "path: ENAME". */
static int
c_dump(int argc, char **argv)
{
	char buf[4096];
	ssize_t r;
	int i, fd;

	for (i = 2; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY)) < 0) {
			printf("%s: %s\n", argv[i], en(errno));
			continue;
		}
		printf("== %s\n", argv[i]);
		fflush(stdout);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			if (write(1, buf, (size_t)r) != r)
				return 1;
		close(fd);
	}
	return 0;
}

/* Prints "<root> <mount point>" of each line of /proc/self/mountinfo
 * (the exe's name as <exe>), then /proc/self/cgroup. */
static int
c_mounts(void)
{
	const char *exe = self_exe() + 1;
	char line[1024], root[512], mp[512];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (f == NULL) {
		printf("/proc/self/mountinfo: %s\n", en(errno));
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *at;

			if (sscanf(line, "%*s %*s %*s %511s %511s", root, mp) != 2)
				continue;
			if ((at = strstr(root, exe)) != NULL)
				strcpy(at, "<exe>");
			if ((at = strstr(mp, exe)) != NULL)
				strcpy(at, "<exe>");
			printf("%s %s\n", root, mp);
		}
		fclose(f);
	}
	return c_dump(3, (char *[]){ "", "", "/proc/self/cgroup", NULL });
}

/* Fills /tmp: where the writes stop, in MiB. */
static int
c_tmp_fill(void)
{
	static char buf[1 << 20];
	long mib = 0;
	int fd = open("/tmp/fill", O_CREAT | O_WRONLY, 0600);

	res("create /tmp/fill", fd);
	memset(buf, 0x5a, sizeof(buf));
	for (;;) {
		ssize_t w = write(fd, buf, sizeof(buf));
		if (w < 0) {
			printf("write /tmp/fill: %s after %ld MiB\n", en(errno),
			    mib);
			break;
		}
		if (w < (ssize_t)sizeof(buf)) {
			printf("write /tmp/fill: short after %ld MiB\n", mib);
			break;
		}
		mib++;
	}
	res("unlink /tmp/fill", unlink("/tmp/fill"));
	return 0;
}

/* Opens /dev/null until the descriptor limit refuses, then raises it. */
static int
c_fd_exhaust(void)
{
	struct rlimit rl = { 4096, 4096 };
	int n = 0;

	while (open("/dev/null", O_RDONLY) >= 0)
		n++;
	printf("open: %s after %d\n", en(errno), n);
	res("setrlimit NOFILE 4096", setrlimit(RLIMIT_NOFILE, &rl));
	return 0;
}

/* A double-forked daemon that leaves the session and closes its stdio,
 * then the guest exits: the init must kill it. */
static int
c_daemon(void)
{
	pid_t p = fork();

	if (p == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		close(0);
		close(1);
		close(2);
		for (;;)
			pause();
	}
	waitpid(p, NULL, 0);
	printf("parent exits\n");
	return 0;
}

static int
c_mem_bomb(void)
{
	for (;;) {
		char *p = malloc(1 << 20);

		if (p == NULL) {
			printf("malloc: NULL\n");
			return 4;
		}
		memset(p, 0x5a, 1 << 20);
	}
}

/* Writes the pattern i % 251 to fd in chunks of 300 bytes, forever. */
static int
c_flood(int fd)
{
	unsigned char buf[300];
	uint64_t off = 0;
	size_t i;

	for (;;) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)((off + i) % 251);
		ssize_t w = write(fd, buf, sizeof(buf));
		if (w <= 0)
			return 5;
		off += (uint64_t)w;
	}
}

static int
c_cat(void)
{
	char buf[4096];
	ssize_t r;

	while ((r = read(0, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)r) != r)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(c, "fork_bomb") == 0)
		return c_fork_bomb();
	if (strcmp(c, "ptrace") == 0 || strcmp(c, "mount") == 0 ||
	    strcmp(c, "unshare") == 0 || strcmp(c, "setns") == 0 ||
	    strcmp(c, "bpf") == 0 || strcmp(c, "keyctl") == 0 ||
	    strcmp(c, "io_uring_setup") == 0 ||
	    strcmp(c, "perf_event_open") == 0 || strcmp(c, "chroot") == 0 ||
	    strcmp(c, "clone_newuser") == 0)
		return c_killed(c);
	if (strcmp(c, "clone3") == 0)
		return c_clone3();
	if (strcmp(c, "kill_parent") == 0)
		return c_kill_parent(argc, argv);
	if (strcmp(c, "kill_other") == 0)
		return c_kill_other(argc, argv);
	if (strcmp(c, "proc_snoop") == 0)
		return c_proc_snoop(argc, argv);
	if (strcmp(c, "dev_nvidia") == 0)
		return c_dev_nvidia();
	if (strcmp(c, "host_files") == 0)
		return c_host_files();
	if (strcmp(c, "write_outside_tmp") == 0)
		return c_write_outside_tmp(argv);
	if (strcmp(c, "symlinks") == 0)
		return c_symlinks();
	if (strcmp(c, "net") == 0)
		return c_net(argc, argv);
	if (strcmp(c, "signal_storm") == 0)
		return c_signal_storm();
	if (strcmp(c, "identity") == 0)
		return c_identity();
	if (strcmp(c, "hostname") == 0)
		return c_hostname();
	if (strcmp(c, "memfd_exec") == 0)
		return c_memfd_exec();
	if (strcmp(c, "tmp_fill") == 0)
		return c_tmp_fill();
	if (strcmp(c, "fd_exhaust") == 0)
		return c_fd_exhaust();
	if (strcmp(c, "dump") == 0)
		return c_dump(argc, argv);
	if (strcmp(c, "mounts") == 0)
		return c_mounts();
	if (strcmp(c, "daemon") == 0)
		return c_daemon();
	if (strcmp(c, "mem_bomb") == 0)
		return c_mem_bomb();
	if (strcmp(c, "out_flood") == 0)
		return c_flood(1);
	if (strcmp(c, "log_flood") == 0)
		return c_flood(2);
	if (strcmp(c, "spin") == 0) {
		printf("spinning\n");
		fflush(stdout);
		for (;;)
			__asm__ volatile("" ::: "memory");
	}
	if (strcmp(c, "segv") == 0) {
		printf("about to segv\n");
		fflush(stdout);
		*(volatile int *)0 = 1;
		return 0;
	}
	if (strcmp(c, "cat") == 0)
		return c_cat();
	if (strcmp(c, "exit") == 0) {
		printf("exiting\n");
		return argc > 2 ? atoi(argv[2]) : 0;
	}
	fprintf(stderr, "hostile: unknown case '%s'\n", c);
	return 2;
}
