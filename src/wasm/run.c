/*
 * Running one compiled module as one job, inside a worker process that
 * exits right after: dlopen the shared object (RTLD_NOW | RTLD_LOCAL),
 * check its shim ABI version and memory-check mode, instantiate it and call
 * its entry under the runtime's one try point with the job's memory quota
 * in force, and turn how it ended (return, proc_exit, a trap, a cap) into
 * a wasm_result.  Compiled modules resolve wasm_rt_* and the WASI imports
 * from the host executable, so any program that links wasm_dep and runs
 * modules must be linked with `export_dynamic : true` (-rdynamic);
 * otherwise dlopen fails with an undefined symbol and the job is refused
 * as "load:dlopen".  wasm_job_run also sets SIGPIPE to SIG_IGN in the
 * worker, so a closed output pipe is an I/O error for the guest.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kiln/util.h"
#include "wasm_int.h"

static void
reason_set(char *reason, size_t len, const char *s)
{
	if (reason != NULL && len > 0)
		snprintf(reason, len, "%s", s);
}

static int
so_sym(struct wasm_so *so, const char *name, void **out)
{
	char sym[64];

	snprintf(sym, sizeof(sym), "%s%s", WASM_SHIM_PREFIX, name);
	*out = dlsym(so->handle, sym);
	return *out == NULL ? -1 : 0;
}


int
wasm_so_open(const char *so_path, struct wasm_so *so, char *reason,
    size_t reasonlen)
{
	const uint32_t *abi;
	const int *mode;
	void *tmp;

	memset(so, 0, sizeof(*so));
	so->handle = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
	if (so->handle == NULL) {
		log_warnx("wasm: dlopen %s: %s", so_path, dlerror());
		reason_set(reason, reasonlen, "load:dlopen");
		return -ENOEXEC;
	}
	if (so_sym(so, "abi_version", &tmp) == -1 ||
	    (abi = tmp, *abi != WASM_ABI_VERSION)) {
		reason_set(reason, reasonlen, "load:abi_version");
		goto fail;
	}
	/* A module in the other check mode would run unchecked: refuse. */
	if (so_sym(so, "memcheck_mode", &tmp) == -1 ||
	    (mode = tmp, *mode != WASM_RT_MEMCHECK_SIGNAL_HANDLER)) {
		reason_set(reason, reasonlen, "load:memcheck_mode");
		goto fail;
	}
	/* dlsym returns data pointers; POSIX makes the conversion valid. */
	if (so_sym(so, "instance_size", &tmp) == -1)
		goto fail_sym;
	so->instance_size = (size_t (*)(void))tmp;
	if (so_sym(so, "init_module", &tmp) == -1)
		goto fail_sym;
	so->init_module = (void (*)(void))tmp;
	if (so_sym(so, "instantiate", &tmp) == -1)
		goto fail_sym;
	so->instantiate = (void (*)(void *, struct wasi_ctx *))tmp;
	if (so_sym(so, "entry", &tmp) == -1)
		goto fail_sym;
	so->entry = (void (*)(void *))tmp;
	if (so_sym(so, "memory", &tmp) == -1)
		goto fail_sym;
	so->memory = (wasm_rt_memory_t *(*)(void *))tmp;
	if (so_sym(so, "free", &tmp) == -1)
		goto fail_sym;
	so->free = (void (*)(void *))tmp;
	return 0;
 fail_sym:
	reason_set(reason, reasonlen, "load:symbol");
 fail:
	dlclose(so->handle);
	memset(so, 0, sizeof(*so));
	return -ENOEXEC;
}

void
wasm_so_close(struct wasm_so *so)
{
	if (so->handle != NULL)
		dlclose(so->handle);
	memset(so, 0, sizeof(*so));
}

int
wasm_so_call(struct wasm_so *so, void *inst, struct wasi_ctx *ctx,
    int call_entry)
{
	wasm_rt_code_reset();
	wasm_rt_armed = 1;
	if (wasm_rt_try(wasm_rt_jmpbuf) == 0) {
		so->instantiate(inst, ctx);
		if (call_entry)
			so->entry(inst);
	}
	wasm_rt_armed = 0;
	return wasm_rt_code_get();
}

static const char *
run_reason(int code, const struct wasi_ctx *ctx)
{
	switch (code) {
	case WASM_RT_TRAP_NONE:
	case WASM_UNWIND_EXIT:
		return "";
	case WASM_UNWIND_LIMIT:
		return ctx->end_reason != NULL ? ctx->end_reason : "trap:other";
	case WASM_UNWIND_QUOTA:
		return "memory_limit";
	case WASM_RT_TRAP_OOB:
		return "trap:oob";
	case WASM_RT_TRAP_EXHAUSTION:
		return "trap:stack";
	case WASM_RT_TRAP_DIV_BY_ZERO:
		return "trap:div0";
	case WASM_RT_TRAP_INT_OVERFLOW:
		return "trap:int_overflow";
	case WASM_RT_TRAP_INVALID_CONVERSION:
		return "trap:invalid_conversion";
	case WASM_RT_TRAP_UNREACHABLE:
		return "trap:unreachable";
	case WASM_RT_TRAP_CALL_INDIRECT:
		return "trap:call_indirect";
	default:
		return "trap:other";
	}
}

void
wasm_runtime_init(void)
{
	if (sodium_init() < 0)
		log_fatalx("wasm: sodium_init failed");
	wasm_rt_init();
}

int
wasm_job_run(const struct wasm_job *job, struct wasm_result *res)
{
	struct wasi_ctx ctx;
	struct wasm_so so;
	void *inst;
	int rc, code;

	memset(res, 0, sizeof(*res));
	wasm_runtime_init();
	/* A closed output pipe fails the guest's write, not the worker. */
	signal(SIGPIPE, SIG_IGN);
	if ((rc = wasm_so_open(job->so_path, &so, res->reason,
	    sizeof(res->reason))) < 0)
		return rc;

	so.init_module();
	inst = xcalloc(1, so.instance_size());
	/* The memory's address is fixed before it is allocated. */
	wasi_ctx_init(&ctx, job, so.memory(inst));
	wasm_rt_quota_set(job->max_pages);

	code = wasm_so_call(&so, inst, &ctx, 1);

	if (code == WASM_UNWIND_EXIT)
		res->exit_code = ctx.exit_code;
	reason_set(res->reason, sizeof(res->reason), run_reason(code, &ctx));

	so.free(inst);
	free(inst);
	wasi_ctx_clear(&ctx);
	wasm_so_close(&so);
	return 0;
}
