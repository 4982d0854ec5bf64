/*
 * WebAssembly: module admission (a structural parse of untrusted bytes
 * against the capability policy), ahead-of-time compilation with wasm2c and
 * cc into a shared object exporting a fixed ABI, and running one compiled
 * module as one job inside a worker process with the WASI preview1 subset of
 * DESIGN §5.  The runtime behind wasm-rt.h is our own (src/wasm/wasm_rt.c).
 */
#ifndef KILN_WASM_H
#define KILN_WASM_H

#include <stddef.h>
#include <stdint.h>

#define WASM_PAGE_SIZE 65536u
/* Bumped whenever the shim ABI between kilnd and compiled modules changes. */
#define WASM_ABI_VERSION 1

struct wasm_module_info {
	uint32_t initial_pages;	/* of memory 0, 0 when none */
	uint32_t max_pages;	/* declared maximum, 65536 when none */
	uint32_t import_count;
	int entry_is_start;	/* 1: exports _start; 0: exports run */
};

/*
 * Parses the module's sections (magic, version, import, function, memory,
 * export) without executing anything.  Every import must be one of the WASI
 * preview1 functions the runtime implements (DESIGN §5); the module must
 * export a memory and `_start` or `run`; initial memory must not exceed
 * max_initial_pages.  On failure *why receives a one-line reason naming the
 * offending import or section.  Returns 0, -KILN_EINVAL_MODULE (malformed,
 * missing export), -KILN_EIMPORT (an import not granted) or -KILN_EQUOTA
 * (initial memory over the quota).
 */
int wasm_module_admit(const uint8_t *bytes, size_t len,
    uint32_t max_initial_pages, struct wasm_module_info *info,
    char *why, size_t whylen);

/*
 * The cache key of a compiled module: hex SHA-256 over the module digest,
 * the toolchain (wasm2c and cc versions), the flags and WASM_ABI_VERSION.
 */
void wasm_cache_key(const char *module_digest, char key[65]);

/*
 * Compiles wasm_path into so_path: `wasm-validate --disable-simd`, then
 * `wasm2c -n guest --no-debug-names`, a generated shim, and
 * `cc -O2 -fPIC -shared`, working in scratch_dir (which must exist and be
 * writable).  so_path is written atomically (temp + rename).  Returns 0,
 * -KILN_EINVAL_MODULE when validation fails (*why holds the validator's
 * first error line), -KILN_ECOMPILE when a tool fails, or -errno.
 */
int wasm_module_compile(const char *wasm_path, const char *so_path,
    const char *scratch_dir, char *why, size_t whylen);

/* Called once in the launcher before it forks workers (signal handlers). */
void wasm_runtime_init(void);

struct wasm_job {
	const char *so_path;	/* compiled module */
	int input_fd;		/* read by the guest as stdin, -1: empty */
	int stdout_fd;		/* guest stdout: the job's output */
	int stderr_fd;		/* guest stderr: the job's log */
	uint64_t output_max;	/* bytes kept from stdout */
	uint64_t log_max;	/* bytes kept from stderr */
	uint32_t max_pages;	/* memory quota in 64 KiB pages */
	int argc;		/* argv[0] is the program name */
	char **argv;
	int envc;		/* "KEY=VALUE" strings */
	char **envp;
	uint8_t seed[32];	/* random_get stream seed */
};

struct wasm_result {
	uint32_t exit_code;	/* proc_exit code, 0 when the entry returns */
	/*
	 * "" on success or a non-zero exit; otherwise one of "trap:oob",
	 * "trap:stack", "trap:div0", "trap:int_overflow",
	 * "trap:invalid_conversion", "trap:unreachable",
	 * "trap:call_indirect", "trap:other", "memory_limit" (initial memory
	 * over max_pages), "output_limit", "log_limit", "load:<what>".
	 */
	char reason[64];
};

/*
 * Runs the module's entry once in this process (a worker: call it once and
 * then exit).  Writing past output_max or log_max keeps the first bytes and
 * ends the guest with reason output_limit / log_limit.  Returns 0 when the
 * guest ran (see res for how it ended) or -errno when the module could not
 * be loaded (res->reason says why).
 */
int wasm_job_run(const struct wasm_job *job, struct wasm_result *res);

#endif
