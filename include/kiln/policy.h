/*
 * Confinement of Kiln's long-lived processes (DESIGN §2): the api and the
 * core, unprivileged, get a seccomp allow-list whose default is to kill
 * the process, and Landlock by ABI; the launcher, root, which builds every
 * sandbox and forks workers and compilers that inherit its filter, gets a
 * seccomp kill-list (default allow) and no Landlock.  The policies
 * themselves live with the worker's in src/sandbox/policy.c, one function
 * per process.
 */
#ifndef KILN_POLICY_H
#define KILN_POLICY_H

#include <stddef.h>

#include "kiln/sandbox.h"

enum policy_profile {
	POLICY_API,	/* no filesystem, no new sockets, no TCP connect */
	POLICY_CORE,	/* files under its chroot only, no sockets at all */
	POLICY_LAUNCHER, /* root: all but a kill-list of kernel-admin calls */
};

/*
 * Compiles profile's seccomp filter into *out: the api's and the core's
 * allow-list (default action KILL_PROCESS), or the launcher's kill-list
 * (default ALLOW; KILL_PROCESS for what it lists).  The caller owns
 * out->insns (free()).  0 or -errno.
 */
int policy_seccomp(enum policy_profile profile, struct sandbox_bpf *out);

/*
 * profile's Landlock masks for ABI abi (>= 1); module_access is what the
 * core's one rule allows beneath its root (0 for the api: no rule).  The
 * launcher's are all 0: it handles nothing (it has no Landlock).
 */
void policy_landlock(enum policy_profile profile, int abi,
    struct sandbox_landlock *out);

/*
 * Confines the calling process with profile: Landlock (skipped, and
 * said, where the kernel has none; never for the launcher), then
 * seccomp, which must succeed.  Needs no_new_privs (proc_drop_privileges
 * sets it; the launcher sets it itself).  Writes what is in place to
 * what, e.g. "seccomp, landlock:7" or the launcher's "seccomp kill-list",
 * for the start log line.  0, or -errno when seccomp could not be loaded
 * (the caller must stop).
 */
int policy_confine(enum policy_profile profile, char *what, size_t len);

#endif
