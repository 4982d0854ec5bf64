/*
 * Process plumbing: re-executing kilnd as one of its children, the
 * descriptor layout each child finds after exec, the configuration the
 * parent sends every child, and dropping privileges.  Every child is
 * `kilnd -P <role> [--debug]`: it reads no file, its configuration comes
 * from the parent (proc_config_recv) and it gets a fresh address space.
 */
#ifndef KILN_PROC_H
#define KILN_PROC_H

#include <sys/types.h>

#include "kiln/config.h"

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
 * it into c.  0, -EPIPE when the parent left, or -KILN_EPROTO for anything
 * but one well-formed IMSG_CONF.
 */
int proc_config_recv(int sock, struct config *c);

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
