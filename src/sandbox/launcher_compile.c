/*
 * Modules, as the launcher makes them ready in the cache.  A new wasm
 * module gets one compiler (compiler.c), forked into a scratch directory
 * of its own that its bytes are written to first and that goes when the
 * compiler is reaped; the compiler is a child like a worker (its
 * deadline, compile_timeout_ms, through its pidfd), and only once it has
 * reported success does the launcher, outside its sandbox, install the
 * result.  A new native module needs no compiler: its libraries are
 * resolved on this host and the executable and its manifest installed at
 * once, without running any of the tenant's bytes.  Either way the core
 * hears one IMSG_CORE_COMPILED per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/sandbox.h"
#include "kiln/util.h"

#include "launcher_int.h"

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

void
launcher_compile_reply(struct launcher *l, const char *digest, int rc,
    const char *why)
{
	struct msg_compiled r;

	memset(&r, 0, sizeof(r));
	snprintf(r.digest, sizeof(r.digest), "%s", digest);
	r.rc = rc;
	snprintf(r.why, sizeof(r.why), "%s", why);
	launcher_send(l, IMSG_CORE_COMPILED, &r, sizeof(r), -1, -1);
}

void
launcher_native_prepare(struct launcher *l, const struct msg_compile *req,
    const uint8_t *tail, size_t tlen, int exe_fd)
{
	static char needed[NATIVE_NEEDED_MAX][NATIVE_NAME_MAX];
	static struct native_libs libs;
	char *names[NATIVE_NEEDED_MAX + 1], path[600], why[256];
	struct stat st;
	size_t used = 0;
	uint32_t i;
	int rc;

	if (msg_strings_split(tail, tlen, &used, names, req->nneeded) < 0 ||
	    used != tlen)
		log_fatalx("core sent a malformed list of libraries");
	for (i = 0; i < req->nneeded; i++) {
		if (strlen(names[i]) >= NATIVE_NAME_MAX ||
		    strchr(names[i], '/') != NULL)
			log_fatalx("core sent a malformed library name");
		snprintf(needed[i], sizeof(needed[i]), "%s", names[i]);
	}
	snprintf(path, sizeof(path), "%s/%s.exe", l->cache, req->cache_key);
	if (stat(path, &st) == 0) {
		launcher_compile_reply(l, req->digest, 0, "");
		return;
	}
	if ((rc = native_libs_resolve("/", req->interp, needed,
	    (int)req->nneeded, &libs, why, sizeof(why))) < 0) {
		launcher_compile_reply(l, req->digest, -KILN_EINVAL_MODULE,
		    why);
		return;
	}
	if ((rc = native_install(l->cache, req->cache_key, exe_fd,
	    l->conf->max_module_bytes, &libs)) < 0) {
		log_warnx("native module %s: install: %s", req->digest,
		    kiln_strerror(rc));
		launcher_compile_reply(l, req->digest, rc,
		    "cannot install the executable");
		return;
	}
	launcher_compile_reply(l, req->digest, 0, "");
}

void
launcher_compile_start(struct launcher *l, const struct msg_compile *req,
    int wasm_fd)
{
	struct compiler_spec spec;
	struct lchild *c;
	struct stat st;
	char so[600], scratch[600];
	int pfd[2], rc;
	pid_t pid;

	snprintf(so, sizeof(so), "%s/cache/%s.so", l->conf->state_dir,
	    req->cache_key);
	if (stat(so, &st) == 0) {
		launcher_compile_reply(l, req->digest, 0, "");
		return;
	}
	snprintf(scratch, sizeof(scratch), "%s/tmp/%s.%llu",
	    l->conf->state_dir, req->cache_key,
	    (unsigned long long)++l->compiles);
	/* the scratch dir belongs to whoever compiles in it */
	if ((rc = compiler_scratch_prepare(scratch, wasm_fd,
	    l->conf->max_module_bytes, l->compile_as_user ? l->uid : 0,
	    l->compile_as_user ? l->gid : 0)) < 0) {
		log_warnx("compiler scratch %s: %s", scratch, kiln_strerror(rc));
		compiler_scratch_remove(scratch);
		launcher_compile_reply(l, req->digest, rc, "compiler scratch");
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		compiler_scratch_remove(scratch);
		launcher_compile_reply(l, req->digest, -errno, "pipe");
		return;
	}
	spec.digest = req->digest;
	spec.scratch = scratch;
	spec.as_user = l->compile_as_user;
	spec.uid = l->uid;
	spec.gid = l->gid;
	spec.cpu_s = l->conf->compile_timeout_ms / 1000 + 1;
	spec.mem_bytes = (uint64_t)l->conf->compile_memory_mb << 20;
	spec.result_fd = pfd[1];
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		compiler_run(&spec);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		compiler_scratch_remove(scratch);
		launcher_compile_reply(l, req->digest, -errno, "fork");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->kind = KIND_COMPILER;
	snprintf(c->key, sizeof(c->key), "%s", req->digest);
	c->scratch = xstrdup(scratch);
	c->so_path = xstrdup(so);
	c->pid = pid;
	c->pidfd = pidfd_open_(pid);
	c->result_fd = pfd[0];
	c->out_fd = c->log_fd = -1;
	c->started_ns = now_mono_ns();
	c->deadline_ns = c->started_ns +
	    (int64_t)l->conf->compile_timeout_ms * 1000000;
	if (c->pidfd < 0)
		log_fatal("pidfd_open");
	launcher_child_add(l, c);
}

void
launcher_compile_reaped(struct launcher *l, int i, int status)
{
	struct lchild *c = l->kids[i];
	struct msg_compiled cr;
	char buf[JOB_REASON_LEN], digest[JOB_DIGEST_LEN], built[700];
	const char *why;
	int got, rc;

	got = read(c->result_fd, &cr, sizeof(cr)) == sizeof(cr) &&
	    memchr(cr.why, 0, sizeof(cr.why)) != NULL;
	rc = -KILN_ECOMPILE;
	if (c->timed_out)
		why = "compilation exceeded its time limit";
	else if (!got && WIFSIGNALED(status))
		why = launcher_signal_reason(WTERMSIG(status), buf,
		    sizeof(buf));
	else if (!got)
		why = "compiler crashed";
	else if (cr.rc == 0) {
		/* only now, outside the sandbox, into the cache */
		snprintf(built, sizeof(built), "%s/module.so", c->scratch);
		rc = compiler_install(built, c->so_path);
		why = rc < 0 ? "cannot install the compiled module" : "";
	} else {
		rc = cr.rc;
		why = cr.why;
	}
	/* scratch gone before anyone hears the answer */
	snprintf(digest, sizeof(digest), "%s", c->key);
	snprintf(built, sizeof(built), "%s", why);
	launcher_child_free(l, i);
	launcher_compile_reply(l, digest, rc, built);
}
