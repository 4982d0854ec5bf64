/*
 * Spawning Kiln's children by re-executing kilnd with a fixed descriptor
 * layout, handing them their configuration, the privilege drop every
 * unprivileged process performs, and reading a peer's socket through a
 * row of the process's peer table (struct proc_peer): direction check,
 * dispatch, and the table's rule for a malformed message.
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
proc_config_recv(int sock, enum msg_peer self, struct config *c)
{
	static struct msg m;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	const struct config *got;
	int rc;

	while ((rc = msg_recv(sock, MSG_PEER_PARENT, self, &m)) == 0)
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

int
proc_peer_read(enum msg_peer self, const struct proc_peer *p,
    struct msg *m)
{
	int rc, n = 0;

	while (*p->fd >= 0 && (p->max == 0 || n < p->max)) {
		rc = msg_recv(*p->fd, p->peer, self, m);
		if (rc == 0)
			break;
		if (rc == 1 && p->dispatch == NULL)
			rc = -KILN_EPROTO;
		else if (rc == 1)
			rc = p->dispatch(m);
		if (rc == -KILN_EPROTO)
			log_warnx("malformed %s from the %s",
			    msg_type_name(m->hdr.type), msg_peer_name(p->peer));
		msg_clear(m);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

void
proc_peer_apply(const struct proc_peer *p, int rc)
{
	const char *name = msg_peer_name(p->peer);

	if (rc >= 0)
		return;
	if (rc == -KILN_EPROTO && p->malformed == PEER_FATAL)
		log_fatalx("the %s sent a malformed message: exiting", name);
	if (rc == -KILN_EPROTO)
		log_warnx("the %s sent a malformed message: dropping it", name);
	if (p->lost == NULL)
		log_fatalx("%s went away: %s", name, kiln_strerror(rc));
	p->lost(p, rc);
}

void
proc_peer_serve(enum msg_peer self, const struct proc_peer *p,
    struct msg *m)
{
	proc_peer_apply(p, proc_peer_read(self, p, m));
}
