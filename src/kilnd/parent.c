/*
 * The parent (`kilnd`), the only long-lived root process besides the
 * launcher.  It prepares the state directory, opens the listening socket,
 * starts the launcher first (while the parent is still small), then the
 * core and the api, wired by SOCK_SEQPACKET socketpairs, each with a
 * socket to the parent on which it first receives the configuration the
 * parent loaded (children read no file).  It restarts a
 * child that dies, with exponential backoff, handing the core a fresh
 * socket to the restarted peer; if the core itself dies every child is
 * restarted and the core recovers from its journal.  SIGHUP reloads the
 * configuration file: the parent reads and checks it and sends the
 * result to every child (the core first); a file that does not load is
 * refused with a log line and the running configuration stays.  SIGTERM
 * or SIGINT
 * starts a clean shutdown: the core drains running jobs for the grace
 * period, then everything stops.  The parent listens to no child: its
 * peer table declares the three with nothing they may send, and a child
 * that sends anything is killed (and restarted like any that dies).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/proc.h"
#include "kiln/util.h"

enum { CHILD_LAUNCHER, CHILD_CORE, CHILD_API, CHILD_COUNT };

static const char *const child_roles[CHILD_COUNT] = {
	"launcher", "core", "api"
};

#define BACKOFF_MIN_NS	(100 * 1000000LL)
#define BACKOFF_MAX_NS	(10 * 1000000000LL)
#define HEALTHY_NS	(10 * 1000000000LL)	/* lived this long: reset */

struct child {
	pid_t pid;		/* 0 when not running */
	int64_t started_ns;
	int64_t restart_at_ns;	/* 0: no restart pending */
	int64_t backoff_ns;
	int pending_fd;		/* its end of a fresh socket to the core */
	int fd;			/* our socket to it, -1 when not running */
};

struct parent {
	struct config *conf;
	const struct parent_opts *opts;
	int listen_fd;
	struct child kids[CHILD_COUNT];
	int restart_all;	/* the core died: restart every child */
	int shutting_down;
	int64_t kill_at_ns;	/* hard deadline during shutdown */
};

static struct parent parent;

static int
mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	if (chmod(path, mode) < 0)
		return -errno;
	if (geteuid() == 0 && chown(path, uid, gid) < 0)
		return -errno;
	return 0;
}

/*
 * state_dir/        root 0755
 *   data/           the core's (user): kiln.db, blobs/
 *   cache/          compiled modules, written by the launcher (root)
 *   tmp/            the compiler's scratch space (root 0700)
 *   tokens/         bearer tokens (root 0700)
 */
static void
state_dir_prepare(const struct config *c)
{
	static const char *const core_files[] = {
		"data/kiln.db", "data/kiln.db-wal", "data/kiln.db-shm"
	};
	uid_t uid = 0;
	gid_t gid = 0;
	char path[512];
	size_t i;

	if (geteuid() == 0 && proc_user_ids(c->user, &uid, &gid) < 0)
		log_fatalx("no such user '%s' (set user= in [kilnd])", c->user);
	if (mkdir_owned(c->state_dir, 0755, 0, 0) < 0)
		log_fatal("%s", c->state_dir);
	snprintf(path, sizeof(path), "%s/data", c->state_dir);
	if (mkdir_owned(path, 0700, uid, gid) < 0)
		log_fatal("%s", path);
	for (i = 0; i < KILN_ARRAY_LEN(core_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->state_dir,
		    core_files[i]);
		if (geteuid() == 0 && chown(path, uid, gid) < 0 &&
		    errno != ENOENT)
			log_fatal("%s", path);
	}
	snprintf(path, sizeof(path), "%s/cache", c->state_dir);
	if (mkdir_owned(path, 0755, 0, 0) < 0)
		log_fatal("%s", path);
	snprintf(path, sizeof(path), "%s/tmp", c->state_dir);
	if (mkdir_owned(path, 0700, 0, 0) < 0)
		log_fatal("%s", path);
}

/*
 * One kilnd per state directory: two would journal into the same database
 * and run the same jobs.  The lock lives as long as the parent.
 */
static void
state_dir_lock(const struct config *c)
{
	char path[512], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/kilnd.pid", c->state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		log_fatal("%s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_fatalx("another kilnd is running on %s",
			    c->state_dir);
		log_fatal("lock %s", path);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || fd_write_all(fd, pid, strlen(pid)) < 0)
		log_fatal("%s", path);
	/* fd stays open (and locked) until the parent exits */
}

/* Binds the API address and records the bound one in state_dir/listen. */
static int
listen_open(const struct config *c)
{
	struct addrinfo hints, *res;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8], host[64], serv[8], path[512], line[128];
	int fd, one = 1, rc, out;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", c->listen_port);
	if ((rc = getaddrinfo(c->listen_host, port, &hints, &res)) != 0)
		log_fatalx("listen %s:%s: %s", c->listen_host, port,
		    gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		log_fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
		log_fatal("bind %s:%s", c->listen_host, port);
	freeaddrinfo(res);
	if (listen(fd, 1024) < 0)
		log_fatal("listen");
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		log_fatal("getsockname");
	snprintf(line, sizeof(line), "%s:%s\n", host, serv);
	snprintf(path, sizeof(path), "%s/listen", c->state_dir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || fd_write_all(out, line, strlen(line)) < 0)
		log_fatal("%s", path);
	close(out);
	log_info("listening on http://%s:%s", host, serv);
	return fd;
}

static void
socketpair_or_die(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		log_fatal("socketpair");
}

/*
 * Starts child k with a fresh socket to us at PROC_FD_PARENT and fds[1..n)
 * after it, then sends it the configuration.
 */
static void
child_start(struct parent *p, int k, int *fds, int n)
{
	struct child *ch = &p->kids[k];
	int sv[2];
	pid_t pid;

	socketpair_or_die(sv);
	fds[0] = sv[1];
	if ((pid = proc_spawn(child_roles[k], p->opts->child_argv, fds, n)) < 0)
		log_fatalx("cannot start %s: %s", child_roles[k],
		    kiln_strerror((int)pid));
	close(sv[1]);
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = sv[0];
	ch->pid = pid;
	ch->started_ns = now_mono_ns();
	ch->restart_at_ns = 0;
	log_info("started %s (pid %d)", child_roles[k], (int)pid);
	if (proc_config_send(ch->fd, p->conf) < 0)
		log_warn("cannot send the configuration to %s",
		    child_roles[k]);
}

/* Starts the three children wired together; the launcher goes first. */
static void
children_start(struct parent *p)
{
	int cl[2], ca[2], fds[3];
	int k;

	socketpair_or_die(cl);
	socketpair_or_die(ca);
	fds[1] = cl[1];
	child_start(p, CHILD_LAUNCHER, fds, 2);
	fds[1] = ca[0];
	fds[2] = cl[0];
	child_start(p, CHILD_CORE, fds, 3);
	fds[1] = ca[1];
	fds[2] = p->listen_fd;
	child_start(p, CHILD_API, fds, 3);
	close(cl[0]);
	close(cl[1]);
	close(ca[0]);
	close(ca[1]);
	for (k = 0; k < CHILD_COUNT; k++) {
		if (p->kids[k].pending_fd >= 0)
			close(p->kids[k].pending_fd);
		p->kids[k].pending_fd = -1;
	}
	p->restart_all = 0;
}

/* A peer of the core died: give the core a fresh socket for its successor. */
static void
peer_rewire(struct parent *p, int k)
{
	uint32_t type = k == CHILD_API ? IMSG_CORE_PEER_API :
	    IMSG_CORE_PEER_LAUNCHER;
	int sv[2];

	socketpair_or_die(sv);
	if (msg_send(p->kids[CHILD_CORE].fd, type, 0, NULL, 0, NULL, 0, sv[0],
	    -1) < 0)
		log_warn("cannot hand the core a new %s socket",
		    child_roles[k]);
	close(sv[0]);
	p->kids[k].pending_fd = sv[1];
}

static void
child_restart(struct parent *p, int k)
{
	int fds[3];

	fds[1] = p->kids[k].pending_fd;
	fds[2] = p->listen_fd;
	child_start(p, k, fds, k == CHILD_API ? 3 : 2);
	close(p->kids[k].pending_fd);
	p->kids[k].pending_fd = -1;
}

static void
backoff_next(struct child *ch, int64_t now)
{
	if (now - ch->started_ns > HEALTHY_NS || ch->backoff_ns == 0)
		ch->backoff_ns = BACKOFF_MIN_NS;
	else if (ch->backoff_ns < BACKOFF_MAX_NS)
		ch->backoff_ns *= 2;
	ch->restart_at_ns = now + ch->backoff_ns;
}

static void
child_exited(struct parent *p, pid_t pid, int status)
{
	int64_t now = now_mono_ns();
	int k, j;

	for (k = 0; k < CHILD_COUNT; k++)
		if (p->kids[k].pid == pid)
			break;
	if (k == CHILD_COUNT)
		return;
	p->kids[k].pid = 0;
	if (k != CHILD_CORE) {	/* the core's stays: it may still drain */
		close(p->kids[k].fd);
		p->kids[k].fd = -1;
	}
	if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) died of signal %d", child_roles[k],
		    (int)pid, WTERMSIG(status));
	else if (!p->shutting_down)
		log_warnx("%s (pid %d) exited with status %d", child_roles[k],
		    (int)pid, WEXITSTATUS(status));
	else
		log_info("%s (pid %d) stopped", child_roles[k], (int)pid);
	if (p->shutting_down) {
		if (k == CHILD_CORE)	/* drained: stop the others */
			for (j = 0; j < CHILD_COUNT; j++)
				if (p->kids[j].pid > 0)
					kill(p->kids[j].pid, SIGTERM);
		return;
	}
	backoff_next(&p->kids[k], now);
	if (k == CHILD_CORE || p->restart_all) {
		p->restart_all = 1;
		for (j = 0; j < CHILD_COUNT; j++)
			if (p->kids[j].pid > 0)
				kill(p->kids[j].pid, SIGKILL);
		return;
	}
	peer_rewire(p, k);
}

static void
shutdown_start(struct parent *p)
{
	int k;

	if (p->shutting_down)
		return;
	p->shutting_down = 1;
	p->kill_at_ns = now_mono_ns() +
	    (int64_t)p->conf->shutdown_grace_ms * 1000000 + 5000000000LL;
	log_info("shutting down: draining running jobs for up to %u ms",
	    p->conf->shutdown_grace_ms);
	if (p->kids[CHILD_CORE].pid > 0 &&
	    msg_send(p->kids[CHILD_CORE].fd, IMSG_CORE_SHUTDOWN, 0, NULL, 0, NULL, 0, -1,
	    -1) == 0)
		return;
	for (k = 0; k < CHILD_COUNT; k++)
		if (p->kids[k].pid > 0)
			kill(p->kids[k].pid, SIGTERM);
}

/*
 * SIGHUP: the file again, under the reload rule of config_reload(), then
 * to the core (which judges jobs) before the api (which authenticates), so
 * the core always holds whatever configuration the api judged a request
 * under.  The launcher uses nothing reloadable.  Children restarted later
 * get the new configuration too.
 */
static void
parent_reload(struct parent *p)
{
	static struct config next;
	char why[512];
	int changed, k;
	static const int order[] = { CHILD_CORE, CHILD_API };

	if (p->opts->config_path == NULL) {
		log_warnx("reload: no configuration file (embedded defaults): "
		    "nothing to reload");
		return;
	}
	config_defaults(&next);
	if (config_load(&next, p->opts->config_path, why, sizeof(why)) < 0 ||
	    config_options_apply(&next, p->opts->state_dir, p->opts->listen,
	    why, sizeof(why)) < 0 ||
	    config_reload(p->conf, &next, &changed, why, sizeof(why)) < 0) {
		log_warnx("reload refused, configuration %llu stays: %s",
		    (unsigned long long)p->conf->generation, why);
		goto out;
	}
	*p->conf = next;
	if (changed)
		log_warnx("reload: only tenants are reloaded; the other "
		    "changes take effect at the next start");
	for (k = 0; k < (int)KILN_ARRAY_LEN(order); k++)
		if (p->kids[order[k]].pid > 0 && p->kids[order[k]].fd >= 0 &&
		    proc_config_send(p->kids[order[k]].fd, p->conf) < 0)
			log_warn("reload: cannot send it to %s",
			    child_roles[order[k]]);
	log_info("reloaded %s: configuration %llu", p->opts->config_path,
	    (unsigned long long)p->conf->generation);
out:
	sodium_memzero(&next, sizeof(next));
}

static int
children_alive(const struct parent *p)
{
	int k, n = 0;

	for (k = 0; k < CHILD_COUNT; k++)
		n += p->kids[k].pid > 0;
	return n;
}

/* Restarts whatever is due; returns the poll timeout in ms. */
static int
restarts_run(struct parent *p)
{
	int64_t now = now_mono_ns(), next = -1, at;
	int k;

	if (p->shutting_down)
		return p->kill_at_ns > now ?
		    (int)((p->kill_at_ns - now) / 1000000) + 1 : 0;
	if (p->restart_all) {
		if (children_alive(p) > 0)
			return -1;	/* wait until every child is reaped */
		at = p->kids[CHILD_CORE].restart_at_ns;
		if (at <= now) {
			children_start(p);
			return -1;
		}
		return (int)((at - now) / 1000000) + 1;
	}
	for (k = 0; k < CHILD_COUNT; k++) {
		at = p->kids[k].restart_at_ns;
		if (p->kids[k].pid > 0 || at == 0)
			continue;
		if (at <= now)
			child_restart(p, k);
		else if (next < 0 || at - now < next)
			next = at - now;
	}
	return next < 0 ? -1 : (int)(next / 1000000) + 1;
}

/*
 * A child's socket said something (nothing is declared from a child to
 * the parent) or closed: close our end; one that spoke is killed, and
 * restarted when reaped.  One that closed is exiting: its reaping tells.
 */
static void
parent_child_lost(const struct proc_peer *pp, int rc)
{
	struct parent *p = &parent;
	int k;

	for (k = 0; k < CHILD_COUNT; k++)
		if (pp->fd == &p->kids[k].fd)
			break;
	if (k == CHILD_COUNT || p->kids[k].fd < 0)
		return;
	close(p->kids[k].fd);
	p->kids[k].fd = -1;
	if (rc != -EPIPE && p->kids[k].pid > 0) {
		log_warnx("killing %s (pid %d): %s", child_roles[k],
		    (int)p->kids[k].pid, kiln_strerror(rc));
		kill(p->kids[k].pid, SIGKILL);
	}
}

/* The parent's peers: its children, in child_roles[] order. */
static const struct proc_peer peers[CHILD_COUNT] = {
	[CHILD_LAUNCHER] = { MSG_PEER_LAUNCHER, &parent.kids[CHILD_LAUNCHER].fd,
	    NULL, PEER_DROP, parent_child_lost, 0 },
	[CHILD_CORE] = { MSG_PEER_CORE, &parent.kids[CHILD_CORE].fd, NULL,
	    PEER_DROP, parent_child_lost, 0 },
	[CHILD_API] = { MSG_PEER_API, &parent.kids[CHILD_API].fd, NULL,
	    PEER_DROP, parent_child_lost, 0 },
};

const struct proc_peer *
parent_proc_peers(size_t *n)
{
	*n = KILN_ARRAY_LEN(peers);
	return peers;
}

int
parent_main(struct config *c, const struct parent_opts *o)
{
	static struct msg m;
	struct parent *p = &parent;
	struct signalfd_siginfo si;
	struct pollfd pfd[1 + CHILD_COUNT];
	sigset_t mask;
	pid_t pid;
	int sfd, status, timeout, k;

	memset(p, 0, sizeof(*p));
	p->conf = c;
	p->opts = o;
	for (k = 0; k < CHILD_COUNT; k++) {
		p->kids[k].pending_fd = -1;
		p->kids[k].fd = -1;
	}
	umask(022);
	state_dir_prepare(c);
	state_dir_lock(c);
	p->listen_fd = listen_open(c);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		log_fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);

	children_start(p);
	/* children inherit a blocked mask through exec: they reset it */
	for (;;) {
		timeout = restarts_run(p);
		if (p->shutting_down && children_alive(p) == 0)
			break;
		if (p->shutting_down && timeout == 0) {
			log_warnx("children did not stop in time: killing");
			for (k = 0; k < CHILD_COUNT; k++)
				if (p->kids[k].pid > 0)
					kill(p->kids[k].pid, SIGKILL);
			timeout = -1;
		}
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		for (k = 0; k < CHILD_COUNT; k++) {
			/* a dead child's socket would poll hung up forever */
			pfd[1 + k].fd = p->kids[k].pid > 0 ? *peers[k].fd : -1;
			pfd[1 + k].events = POLLIN;
		}
		if (poll(pfd, 1 + CHILD_COUNT, timeout) < 0 && errno != EINTR)
			log_fatal("poll");
		for (k = 0; k < CHILD_COUNT; k++)
			if (pfd[1 + k].fd >= 0 && pfd[1 + k].revents)
				proc_peer_serve(MSG_PEER_PARENT, &peers[k], &m);
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				shutdown_start(p);
			else if (si.ssi_signo == SIGHUP && !p->shutting_down)
				parent_reload(p);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			child_exited(p, pid, status);
	}
	log_info("stopped");
	return 0;
}
