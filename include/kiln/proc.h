/*
 * Process plumbing: re-executing kilnd as one of its children, the
 * descriptor layout each child finds after exec, the configuration the
 * parent sends every child, dropping privileges, and the peer tables
 * every process reads its sockets through.  Every child is
 * `kilnd -P <role> [--debug]`: it reads no file, its configuration comes
 * from the parent (proc_config_recv) and it gets a fresh address space.
 */
#ifndef KILN_PROC_H
#define KILN_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "kiln/config.h"
#include "kiln/msg.h"

/*
 * Descriptors each child finds after exec (see docs/ARCHITECTURE.md).
 * Every child finds its socket to the parent at PROC_FD_PARENT.
 */
#define PROC_FD_PARENT		3	/* every child: socket to the parent */
#define PROC_FD_CORE_PARENT	PROC_FD_PARENT
#define PROC_FD_CORE_API	4	/* core: socket to the api */
#define PROC_FD_CORE_LAUNCHER	5	/* core: socket to the launcher */
#define PROC_FD_API_CORE	4	/* api: socket to the core */
#define PROC_FD_API_LISTEN	5	/* api: the listening TCP socket */
#define PROC_FD_LAUNCHER_CORE	4	/* launcher: socket to the core */

/*
 * Forks and re-executes /proc/self/exe as `argv[0] -P role argv[1..]` with
 * fds[i] moved to descriptor 3 + i and every other descriptor but 0-2
 * closed.  The child gets PR_SET_PDEATHSIG(SIGKILL).  Returns the child's
 * pid or -errno.
 */
pid_t proc_spawn(const char *role, char *const argv[], const int *fds,
    int nfds);

/*
 * Looks up user; 0 with *uid and *gid, or -KILN_ECONFIG.  Call it before
 * a chroot hides /etc/passwd.
 */
int proc_user_ids(const char *user, uid_t *uid, gid_t *gid);

/*
 * Switches to uid/gid (supplementary groups too), sets no_new_privs and
 * makes the process non-dumpable.  A parent-death signal set before stays
 * set (-ESRCH if the parent died meanwhile).  When not root it only sets
 * no_new_privs.  0 or -errno.
 */
int proc_drop_privileges(uid_t uid, gid_t gid);

/*
 * Sends c as one IMSG_CONF on the socket to a child.  0 or -errno.
 */
int proc_config_send(int sock, const struct config *c);

/*
 * Waits for the IMSG_CONF a child's parent sends first on sock and copies
 * it into c; self is the child (MSG_PEER_API, _CORE or _LAUNCHER).  0,
 * -EPIPE when the parent left, or -KILN_EPROTO for anything but one
 * well-formed IMSG_CONF.
 */
int proc_config_recv(int sock, enum msg_peer self, struct config *c);

/*
 * What a process does with a malformed message from a peer (DESIGN §2):
 * a message of a type not declared from that peer to the process, one
 * that fails its framing or payload checks, or one its dispatcher refuses.
 */
enum proc_peer_rule {
	PEER_FATAL,	/* log and exit (the parent restarts us): the peer
			   is the more privileged, or the one we serve */
	PEER_DROP,	/* drop the peer (its lost()): it is restarted */
};

/*
 * One peer of a process: a row of the process's one peers[] table, which
 * its loop polls and reads in table order.
 */
struct proc_peer {
	enum msg_peer peer;	/* who is at the other end */
	int *fd;		/* our socket to it; -1 while there is none */
	/*
	 * Handles one message whose type msg_recv() found declared from
	 * peer to this process.  Returns 0, or -KILN_EPROTO for a message it
	 * refuses (msg_get() fails, wrong descriptors...), refused before
	 * it touches any process state.  A descriptor it keeps it sets to
	 * -1 in m->fds.  NULL: the peer may send nothing.
	 */
	int (*dispatch)(struct msg *m);
	enum proc_peer_rule malformed;
	/*
	 * The peer is gone (rc -EPIPE, or another -errno from its socket)
	 * or, under PEER_DROP, sent something malformed (-KILN_EPROTO):
	 * closes *fd, sets it to -1 and forgets the peer.  NULL: the process
	 * cannot live without this peer and exits.
	 */
	void (*lost)(const struct proc_peer *p, int rc);
	int max;		/* messages per proc_peer_read, 0: all ready */
};

/*
 * Reads the messages ready on *p->fd (at most p->max), checks each one's
 * direction (from p->peer to self) and hands it to p->dispatch, then
 * releases its descriptors.  Returns how many it handled (0 too when *p->fd
 * is -1) once none is ready or p->max were, -EPIPE when the peer closed,
 * -KILN_EPROTO for a malformed message (logged; the dispatcher never sees
 * one of the wrong direction), or another -errno.  m is the caller's
 * buffer.
 */
int proc_peer_read(enum msg_peer self, const struct proc_peer *p,
    struct msg *m);

/*
 * Applies p's rule to rc from proc_peer_read: nothing for rc >= 0; for
 * -KILN_EPROTO, PEER_FATAL exits (log_fatalx) and PEER_DROP calls
 * p->lost; for any other error p->lost, or exits when it is NULL.
 */
void proc_peer_apply(const struct proc_peer *p, int rc);

/* proc_peer_read, then proc_peer_apply to what it returned. */
void proc_peer_serve(enum msg_peer self, const struct proc_peer *p,
    struct msg *m);

/*
 * Each process's peer table, for tests: *n receives its length.  The
 * rows' descriptors point into the process's state (zeroed until its
 * *_main runs); tests read through copies with a descriptor of their own.
 */
const struct proc_peer *parent_proc_peers(size_t *n);
const struct proc_peer *api_proc_peers(size_t *n);
const struct proc_peer *core_proc_peers(size_t *n);
const struct proc_peer *launcher_proc_peers(size_t *n);

/* What the parent needs besides its configuration. */
struct parent_opts {
	const char *config_path;	/* NULL: embedded defaults */
	const char *state_dir;		/* --state-dir, or NULL */
	const char *listen;		/* --listen, or NULL */
	char *const *child_argv;	/* argv[0] and the children's options */
};

/* The process entry points; each returns the process's exit status. */
int parent_main(struct config *c, const struct parent_opts *o);
int api_proc_main(struct config *c);
int core_proc_main(struct config *c);
int launcher_proc_main(struct config *c);

#endif
