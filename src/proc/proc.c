/*
 * Spawning Kiln's children by re-executing kilnd with a fixed descriptor
 * layout, handing them their configuration, and the privilege drop every
 * unprivileged process performs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/proc.h"
#include "kiln/util.h"

pid_t
proc_spawn(const char *role, char *const argv[], const int *fds, int nfds)
{
	char **args;
	sigset_t mask;
	pid_t pid;
	int i, n, tmp[8];

	if (nfds > 8)
		return -EINVAL;
	for (n = 0; argv[n] != NULL; n++)
		;
	args = xcalloc((size_t)n + 3, sizeof(*args));
	args[0] = argv[0];
	args[1] = "-P";
	args[2] = (char *)role;
	for (i = 1; i < n; i++)
		args[i + 2] = argv[i];
	pid = fork();
	if (pid < 0) {
		free(args);
		return -errno;
	}
	if (pid > 0) {
		free(args);
		return pid;
	}
	/* child: move fds above the target range first, then into place */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	for (i = 0; i < nfds; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, 64)) < 0)
			_exit(127);
	for (i = 0; i < nfds; i++)
		if (dup2(tmp[i], 3 + i) < 0)
			_exit(127);
	syscall(SYS_close_range, 3 + nfds, ~0u, 0);
	execv("/proc/self/exe", args);
	_exit(127);
}

int
proc_user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		return -KILN_ECONFIG;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
proc_drop_privileges(uid_t uid, gid_t gid)
{
	pid_t parent = getppid();
	int pdeathsig = 0;

	if (geteuid() != 0)
		goto nnp;
	if (prctl(PR_GET_PDEATHSIG, &pdeathsig) < 0)
		return -errno;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	/*
	 * Changing credentials cleared the parent-death signal (prctl(2)):
	 * set it again, then make sure the parent did not die meanwhile.
	 */
	if (pdeathsig != 0) {
		if (prctl(PR_SET_PDEATHSIG, pdeathsig) < 0)
			return -errno;
		if (getppid() != parent)
			return -ESRCH;
	}
nnp:
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int
proc_config_send(int sock, const struct config *c)
{
	return msg_send(sock, IMSG_CONF, c->generation, c, sizeof(*c), NULL, 0,
	    -1, -1);
}

int
proc_config_recv(int sock, struct config *c)
{
	static struct msg m;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	const struct config *got;
	int rc;

	while ((rc = msg_recv(sock, &m)) == 0)
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	if (rc < 0)
		return rc;
	if (m.hdr.type != IMSG_CONF || m.nfds != 0 ||
	    (got = msg_get(&m, NULL, NULL)) == NULL) {
		msg_clear(&m);
		return -KILN_EPROTO;
	}
	memcpy(c, got, sizeof(*c));
	explicit_bzero(m.buf, sizeof(m.buf));
	return 0;
}
