/*
 * The launcher process (root): started before the parent grows, it spawns
 * one sandboxed worker per job (sandbox_worker_spawn: clone3 into new
 * namespaces, with the seccomp filters, wasm and native, compiled here
 * once at start), or takes one from its warm pool (src/sandbox/pool.c,
 * refilled from the poll loop); it forks one compiler per new wasm module
 * and resolves a new native module's libraries itself, and is the only
 * process that kills its children.  Wall-clock deadlines are enforced
 * here through pidfds; CPU time by RLIMIT_CPU in the worker.  It serves
 * only the core; when the core goes away it kills and reaps its
 * children, removes their cgroups and exits.  From the parent it accepts
 * a configuration, which it only logs: nothing it uses is reloadable.
 * Anything malformed from either peer ends the launcher (the parent
 * restarts it).
 *
 * This file is the process's entry point (its set-up, its own seccomp
 * filter and the hello to the core), the event loop (deadlines, the
 * pool's refill, the poll of its peers, the children and the idle
 * workers) and the dispatch of its peers' messages; jobs are started in
 * launcher_job.c, modules made ready in launcher_compile.c, and children
 * reaped and reported on in launcher_child.c (launcher_int.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "kiln/cgroup.h"
#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/policy.h"
#include "kiln/proc.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#include "launcher_int.h"

void
launcher_send(struct launcher *l, uint32_t type, const void *p, size_t n,
    int fd0, int fd1)
{
	if (msg_send(l->core_fd, type, 0, p, n, NULL, 0, fd0, fd1) < 0)
		log_fatal("send %s to core", msg_type_name(type));
}

/*
 * Finds where job cgroups can go (v2 when delegated, else v1 under our
 * own cgroup); without any, every job's report says why.
 */
static void
launcher_cgroups_probe(struct launcher *l)
{
	char why[256];
	int rc;

	if ((rc = cgroup_env_probe(&l->cg, why, sizeof(why))) < 0 ||
	    l->cg.mode == CGROUP_MODE_NONE) {
		l->cg_err = rc < 0 ? rc : -EOPNOTSUPP;
		log_warnx("no job cgroups: %s", rc < 0 ? kiln_strerror(rc) : why);
		return;
	}
	log_info("job cgroups: %s", l->cg.desc);
	/* what a launcher killed with SIGKILL left behind */
	if ((rc = cgroup_env_reap_stale(&l->cg)) > 0)
		log_info("removed %d stale job cgroups", rc);
}

/*
 * Tells the core what isolation its jobs will get here: one worker is
 * spawned exactly as for a job, and its report is the node's.
 */
static void
launcher_hello(struct launcher *l)
{
	struct msg_hello h;
	int level;

	memset(&h, 0, sizeof(h));
	level = sandbox_probe_worker(l->uid, l->gid, l->cg_err ? NULL : &l->cg,
	    h.report, sizeof(h.report));
	if (level < 0)
		log_fatalx("cannot start a probe worker: %s", kiln_strerror(level));
	h.level = (uint32_t)level;
	log_info("workers here get isolation L%d: %s", level, h.report);
	launcher_send(l, IMSG_CORE_LAUNCHER_HELLO, &h, sizeof(h), -1, -1);
}

/*
 * The launcher's own filter (policy.c: a kill-list, as it is root and
 * builds the sandboxes), loaded once its set-up is done and before it
 * starts any worker, the probe's included, or serves the core: every
 * child inherits it.  no_new_privs first, as the api and the core have
 * it: a launcher that is not root could not load a filter without it,
 * and it changes nothing for a root one (it executes nothing itself;
 * every child sets no_new_privs before it executes anything).  Like the
 * api and the core, a launcher that cannot be confined does not run.
 */
static void
launcher_confine(void)
{
	char what[64];
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		log_fatal("cannot confine the launcher: no_new_privs");
	if ((rc = policy_confine(POLICY_LAUNCHER, what, sizeof(what))) < 0)
		log_fatalx("cannot confine the launcher: %s",
		    kiln_strerror(rc));
	log_info("launcher confined: %s", what);
}

static struct launcher l;
static int parent_fd = PROC_FD_PARENT;

/* One message from the core; -KILN_EPROTO ends the launcher. */
static int
core_dispatch(struct msg *m)
{
	const uint8_t *tail;
	const void *p;
	size_t tlen;

	if ((p = msg_get(m, &tail, &tlen)) == NULL)
		return -KILN_EPROTO;
	switch (m->hdr.type) {
	case IMSG_LAUNCHER_COMPILE: {
		const struct msg_compile *mc = p;

		if (m->nfds != 1 ||
		    strspn(mc->cache_key, "0123456789abcdef") != 64 ||
		    (mc->kind != MODULE_NATIVE && tlen != 0))
			return -KILN_EPROTO;
		if (mc->kind == MODULE_NATIVE)
			launcher_native_prepare(&l, mc, tail, tlen, m->fds[0]);
		else
			launcher_compile_start(&l, mc, m->fds[0]);
		break;
	}
	case IMSG_LAUNCHER_JOB_START: {
		const struct msg_start *s = p;

		if ((s->has_input != 0) != (m->nfds == 1) ||
		    strspn(s->cache_key, "0123456789abcdef") != 64)
			return -KILN_EPROTO;
		launcher_job_start(&l, s, tail, tlen,
		    m->nfds ? m->fds[0] : -1);
		break;
	}
	case IMSG_LAUNCHER_JOB_KILL:
		if (m->nfds != 0)
			return -KILN_EPROTO;
		launcher_job_kill(&l, ((const struct msg_job_ref *)p)->id);
		break;
	default:
		return -KILN_EPROTO;
	}
	return 0;
}

/* The core went away: nothing left to serve. */
static void
core_lost(const struct proc_peer *p, int rc)
{
	log_info("core went away: exiting");
	launcher_child_stop_all(&l);
	exit(0);
}

/* A configuration after the first: logged, nothing here reloads. */
static int
parent_dispatch(struct msg *m)
{
	const struct config *next;

	if (m->hdr.type != IMSG_CONF || m->nfds != 0 ||
	    (next = msg_get(m, NULL, NULL)) == NULL)
		return -KILN_EPROTO;
	log_info("configuration %llu: nothing the launcher uses reloads",
	    (unsigned long long)next->generation);
	return 0;
}

/* The launcher's peers, read in this order after each poll. */
static const struct proc_peer peers[] = {
	{ MSG_PEER_PARENT, &parent_fd, parent_dispatch, PEER_FATAL, NULL, 0 },
	{ MSG_PEER_CORE, &l.core_fd, core_dispatch, PEER_FATAL, core_lost,
	    0 },
};
#define NPEERS	((int)KILN_ARRAY_LEN(peers))

const struct proc_peer *
launcher_proc_peers(size_t *n)
{
	*n = KILN_ARRAY_LEN(peers);
	return peers;
}

int
launcher_proc_main(struct config *conf)
{
	static struct msg m;
	struct pollfd pfds[NPEERS + 2 * MAX_CHILDREN + SANDBOX_POOL_MAX];
	struct worker_spec tmpl;
	int64_t now, next;
	int i, n, np, rc, timeout, wait, refill;

	l.conf = conf;
	l.core_fd = PROC_FD_LAUNCHER_CORE;
	if (proc_user_ids(conf->user, &l.uid, &l.gid) < 0)
		log_fatalx("no such user '%s'", conf->user);
	wasm_runtime_init();
	if ((rc = sandbox_policy_worker_wasm(&l.worker_filter)) < 0 ||
	    (rc = sandbox_policy_worker_native(&l.native_filter)) < 0)
		log_fatalx("worker seccomp policy: %s", kiln_strerror(rc));
	launcher_cgroups_probe(&l);
	if (!(l.compile_as_user = compiler_user_can_compile(l.uid, l.gid)))
		log_warnx("user '%s' cannot reach the toolchain (is / "
		    "searchable?): compilers run as uid 0 without capabilities",
		    conf->user);
	launcher_confine();
	launcher_hello(&l);
	snprintf(l.cache, sizeof(l.cache), "%s/cache", conf->state_dir);
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.uid = l.uid;
	tmpl.gid = l.gid;
	tmpl.workdir = l.cache;
	tmpl.filter = &l.worker_filter;
	tmpl.native_filter = &l.native_filter;
	/* one idle worker per slot (a GPU runs one job), at most 4 */
	sandbox_pool_init(&l.pool, &tmpl, conf->ngpus < SANDBOX_POOL_MAX ?
	    conf->ngpus : SANDBOX_POOL_MAX);
	l.pool.cg = l.cg_err == 0 ? &l.cg : NULL;
	for (;;) {
		now = now_mono_ns();
		next = -1;
		/*
		 * Refill the pool one worker per turn, and only once every
		 * job's worker has its sandbox in place (its result pipe
		 * wakes us), so a refill never competes with a start; the
		 * core waits at most one spawn.  After a failure, retry in
		 * a second.
		 */
		refill = l.pool.n < l.pool.target &&
		    !launcher_child_starting(&l);
		if (refill && now >= l.pool_retry_ns) {
			if ((rc = sandbox_pool_fill(&l.pool)) < 0) {
				log_warnx("warm pool: %s", kiln_strerror(rc));
				l.pool_retry_ns = now + 1000000000LL;
			}
			now = now_mono_ns();
		}
		for (i = 0; i < l.nkids; i++) {
			struct lchild *c = l.kids[i];

			if (c->deadline_ns && !c->timed_out &&
			    c->deadline_ns <= now) {
				c->timed_out = 1;
				launcher_pidfd_kill(c->pidfd);
			} else if (c->deadline_ns && !c->timed_out &&
			    (next < 0 || c->deadline_ns - now < next))
				next = c->deadline_ns - now;
		}
		timeout = next < 0 ? -1 : (int)(next / 1000000) + 1;
		if (refill && l.pool.n < l.pool.target) {
			wait = now >= l.pool_retry_ns ? 0 :
			    (int)((l.pool_retry_ns - now) / 1000000) + 1;
			if (timeout < 0 || wait < timeout)
				timeout = wait;
		}
		/* the peers, then per child: its pidfd, and a worker's
		 * result pipe until it reports that it started */
		for (i = 0; i < NPEERS; i++) {
			pfds[i].fd = *peers[i].fd;
			pfds[i].events = POLLIN;
		}
		for (i = 0; i < l.nkids; i++) {
			struct lchild *c = l.kids[i];

			pfds[NPEERS + 2 * i].fd = c->pidfd;
			pfds[NPEERS + 2 * i].events = POLLIN;
			pfds[NPEERS + 2 * i + 1].fd = c->kind == KIND_WORKER &&
			    !c->result_done ? c->result_fd : -1;
			pfds[NPEERS + 2 * i + 1].events = POLLIN;
		}
		n = l.nkids;
		/* then the idle workers' pidfds: one that exits is reaped */
		np = l.pool.n;
		for (i = 0; i < np; i++) {
			pfds[NPEERS + 2 * n + i].fd = l.pool.w[i].pidfd;
			pfds[NPEERS + 2 * n + i].events = POLLIN;
		}
		if (poll(pfds, (nfds_t)(NPEERS + 2 * n + np), timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_fatal("poll");
		}
		/* downwards: a reaped child's slot takes the last child */
		for (i = n - 1; i >= 0; i--) {
			if (pfds[NPEERS + 2 * i + 1].revents)
				launcher_child_result_poll(&l, l.kids[i]);
			if (pfds[NPEERS + 2 * i].revents)
				launcher_child_reap(&l, i);
		}
		for (i = np - 1; i >= 0; i--)
			if (pfds[NPEERS + 2 * n + i].revents)
				sandbox_pool_reap(&l.pool, i);
		for (i = 0; i < NPEERS; i++)
			if (pfds[i].revents)
				proc_peer_serve(MSG_PEER_LAUNCHER, &peers[i],
				    &m);
	}
}
