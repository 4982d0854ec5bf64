/*
 * Private declarations shared by the files of src/wasm: the runtime's trap
 * point and quota hooks (wasm_rt.c), the WASI context and the import
 * allow-list (wasi.c), and the loaded shared object of a compiled module
 * (run.c).  Nothing outside src/wasm and its unit tests includes this.
 */
#ifndef KILN_WASM_INT_H
#define KILN_WASM_INT_H

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <wasm-rt.h>

#include "kiln/wasm.h"

/*
 * Address space reserved per linear memory: 8 GiB covers every address a
 * 32-bit index plus a 32-bit offset can form; the extra 64 KiB covers the
 * width of the access at the very top.
 */
#define WASM_RT_RESERVE_BYTES	((size_t)8 * 1024 * 1024 * 1024 + 65536)
/* Largest memory the runtime gives out: size must fit wasm_rt_memory_t. */
#define WASM_RT_PAGES_MAX	65535u
/* Largest funcref/externref table, and all live tables together. */
#define WASM_RT_TABLE_MAX	(1u << 20)
#define WASM_RT_TABLE_TOTAL_MAX	(1u << 22)

/*
 * Private unwind codes, above the wasm_rt_trap_t range: the guest did not
 * trap but is being ended by the host.
 */
enum wasm_unwind {
	WASM_UNWIND_EXIT = 100,	/* proc_exit; the code is in the context */
	WASM_UNWIND_LIMIT,	/* output/log cap; the reason is there too */
	WASM_UNWIND_QUOTA	/* memory or table over the job's quota */
};

/*
 * The one try point: armed by run.c around instantiate and the entry with
 *	wasm_rt_armed = 1;
 *	if (wasm_rt_try(wasm_rt_jmpbuf) == 0) { ... }
 *	wasm_rt_armed = 0;
 * A trap or unwind while it is not armed aborts the process, and a fault
 * while it is not armed kills it with the signal.
 */
extern sigjmp_buf wasm_rt_jmpbuf;
extern volatile sig_atomic_t wasm_rt_armed;

/* Jumps to the try point with one of wasm_rt_trap_t or enum wasm_unwind. */
void wasm_rt_unwind(int code) __attribute__((noreturn));
/* The code of the last jump to the try point, 0 after wasm_rt_code_reset. */
int wasm_rt_code_get(void);
void wasm_rt_code_reset(void);

/*
 * The process-global memory quota in pages: wasm_rt_allocate_memory clamps
 * every maximum to it and unwinds with WASM_UNWIND_QUOTA when the initial
 * size exceeds it.  Values above WASM_RT_PAGES_MAX are clamped to it.
 */
void wasm_rt_quota_set(uint32_t max_pages);
uint32_t wasm_rt_quota_get(void);
/* Number of linear memories currently reserved (for tests). */
size_t wasm_rt_memory_live(void);

/*
 * The WASI context: the per-job state behind the imports.  wasm2c passes
 * it as the first argument of every import from wasi_snapshot_preview1, so
 * its tag is the one the generated code names.
 */
#define WASI_MODULE "wasi_snapshot_preview1"

struct Z_wasi_snapshot_preview1_instance_t {
	wasm_rt_memory_t *mem;		/* the guest's memory 0 */
	const struct wasm_job *job;	/* args, env, fds, caps, seed */
	uint64_t out_bytes;		/* bytes kept from stdout */
	uint64_t log_bytes;		/* bytes kept from stderr */
	uint64_t clock_ticks;		/* clock_time_get calls so far */
	uint64_t rnd_block;		/* next ChaCha20 block */
	uint8_t rnd_buf[64];		/* current keystream block */
	size_t rnd_used;		/* bytes of rnd_buf handed out */
	int closed[3];			/* fd_close called on 0, 1, 2 */
	uint32_t exit_code;		/* proc_exit argument */
	const char *end_reason;		/* output_limit, log_limit, NULL */
};
#define wasi_ctx Z_wasi_snapshot_preview1_instance_t

/* Virtual clock: each clock_time_get advances it by this many ns. */
#define WASI_CLOCK_STEP_NS	1000000ull
/* CLOCK_REALTIME at tick 0: 2024-01-01T00:00:00Z. */
#define WASI_CLOCK_EPOCH_NS	(1704067200ull * 1000000000ull)

/* Prepares ctx for job; mem may still be empty (it is read on each call). */
void wasi_ctx_init(struct wasi_ctx *ctx, const struct wasm_job *job,
    wasm_rt_memory_t *mem);
/* Wipes the random stream state. */
void wasi_ctx_clear(struct wasi_ctx *ctx);

/*
 * The allow-list: every import a module may name, with its signature (one
 * letter per value: i = i32, I = i64, f = f32, F = f64) and the host
 * function that implements it.  Admission and the runtime use this table
 * and nothing else.
 */
struct wasi_import {
	const char *name;	/* field name within WASI_MODULE */
	const char *params;	/* parameter types */
	const char *results;	/* result types */
	void (*fn)(void);	/* the implementation (for tests) */
};
extern const struct wasi_import wasi_imports[];
extern const size_t wasi_imports_len;

/* The entry for module.name, or NULL when it is not granted. */
const struct wasi_import *wasi_import_find(const uint8_t *module,
    size_t modlen, const uint8_t *name, size_t namelen);

/* The implementations, under the names wasm2c gives the imports. */
#define WASI_FN(name) Z_wasi_snapshot_preview1Z_##name
uint32_t WASI_FN(args_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(args_sizes_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(environ_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(environ_sizes_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(clock_res_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(clock_time_get)(struct wasi_ctx *, uint32_t, uint64_t,
    uint32_t);
uint32_t WASI_FN(fd_close)(struct wasi_ctx *, uint32_t);
uint32_t WASI_FN(fd_fdstat_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(fd_fdstat_set_flags)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(fd_filestat_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(fd_prestat_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(fd_prestat_dir_name)(struct wasi_ctx *, uint32_t, uint32_t,
    uint32_t);
uint32_t WASI_FN(fd_read)(struct wasi_ctx *, uint32_t, uint32_t, uint32_t,
    uint32_t);
uint32_t WASI_FN(fd_readdir)(struct wasi_ctx *, uint32_t, uint32_t, uint32_t,
    uint64_t, uint32_t);
uint32_t WASI_FN(fd_seek)(struct wasi_ctx *, uint32_t, uint64_t, uint32_t,
    uint32_t);
uint32_t WASI_FN(fd_sync)(struct wasi_ctx *, uint32_t);
uint32_t WASI_FN(fd_tell)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(fd_write)(struct wasi_ctx *, uint32_t, uint32_t, uint32_t,
    uint32_t);
uint32_t WASI_FN(path_filestat_get)(struct wasi_ctx *, uint32_t, uint32_t,
    uint32_t, uint32_t, uint32_t);
uint32_t WASI_FN(path_open)(struct wasi_ctx *, uint32_t, uint32_t, uint32_t,
    uint32_t, uint32_t, uint64_t, uint64_t, uint32_t, uint32_t);
uint32_t WASI_FN(poll_oneoff)(struct wasi_ctx *, uint32_t, uint32_t, uint32_t,
    uint32_t);
void WASI_FN(proc_exit)(struct wasi_ctx *, uint32_t);
uint32_t WASI_FN(proc_raise)(struct wasi_ctx *, uint32_t);
uint32_t WASI_FN(random_get)(struct wasi_ctx *, uint32_t, uint32_t);
uint32_t WASI_FN(sched_yield)(struct wasi_ctx *);

/*
 * A compiled module loaded with dlopen: the shim ABI (compile.c generates
 * it, docs/WASM.md describes it).
 */
#define WASM_SHIM_PREFIX "wasm_shim_"

struct wasm_so {
	void *handle;				/* dlopen handle */
	size_t (*instance_size)(void);		/* sizeof the instance */
	void (*init_module)(void);		/* registers func types */
	void (*instantiate)(void *, struct wasi_ctx *);
	void (*entry)(void *);			/* _start or run */
	wasm_rt_memory_t *(*memory)(void *);	/* exported "memory" */
	void (*free)(void *);			/* memories and tables */
};

/*
 * Loads so_path and checks its ABI version and memory-check mode.  Returns
 * 0 or -ENOEXEC with reason set to "load:<what>".
 */
int wasm_so_open(const char *so_path, struct wasm_so *so, char *reason,
    size_t reasonlen);
void wasm_so_close(struct wasm_so *so);
/*
 * Instantiates the module into inst (zeroed, instance_size bytes) under the
 * try point and, when call_entry is set, calls its entry.  Returns 0 or the
 * trap / unwind code that ended it.  The caller still frees inst.
 */
int wasm_so_call(struct wasm_so *so, void *inst, struct wasi_ctx *ctx,
    int call_entry);

/*
 * wasm_module_compile with extra cc arguments (NULL-terminated, may be
 * NULL), e.g. to build a module in the other memory-check mode for tests.
 */
int wasm_module_compile_flags(const char *wasm_path, const char *so_path,
    const char *scratch_dir, const char *const *extra_cflags, char *why,
    size_t whylen);

#endif
