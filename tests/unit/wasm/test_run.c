/*
 * Compile-and-run tests of src/wasm: every test module is compiled once
 * per run into a temporary directory (in parallel child processes), then
 * each job runs in its own fork()ed child, as in a worker, so traps, the
 * signal handler and the runtime's process-global state never touch this
 * process.  The child reports its wasm_result through a pipe; stdout and
 * stderr are memfds read back here.  Exact bytes are compared everywhere;
 * nothing sleeps and nothing is timed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "kiln/wasm.h"
#include "../../../src/wasm/wasm_int.h"

#define KILN_MATMUL_NO_MAIN
#include "matmul.c"

struct module {
	const char *name;
	const char *dir_env;	/* where the .wasm is */
	int expect;		/* wasm_module_compile's result */
};

static const struct module modules[] = {
	{ "hello", "KILN_TEST_SDK_DIR", 0 },
	{ "sha256", "KILN_TEST_SDK_DIR", 0 },
	{ "matmul", "KILN_TEST_SDK_DIR", 0 },
	{ "trap", "KILN_TEST_SDK_DIR", 0 },
	{ "oob", "KILN_TEST_WASM_DIR", 0 },
	{ "loop", "KILN_TEST_WASM_DIR", 0 },
	{ "stack", "KILN_TEST_WASM_DIR", 0 },
	{ "grow", "KILN_TEST_WASM_DIR", 0 },
	{ "bigmem", "KILN_TEST_WASM_DIR", 0 },
	{ "exit3", "KILN_TEST_WASM_DIR", 0 },
	{ "flood", "KILN_TEST_WASM_DIR", 0 },
	{ "logflood", "KILN_TEST_WASM_DIR", 0 },
	{ "wasi_oob", "KILN_TEST_WASM_DIR", 0 },
	{ "env", "KILN_TEST_WASM_DIR", 0 },
	{ "det", "KILN_TEST_WASM_DIR", 0 },
	{ "start_write", "KILN_TEST_WASM_DIR", 0 },
	{ "tiny", "KILN_TEST_WASM_DIR", 0 },
	{ "read_overlap", "KILN_TEST_WASM_DIR", 0 },
};

static char tmpdir[] = "/tmp/kiln-wasm-test-XXXXXX";

static char *
wasm_path(const struct module *m)
{
	const char *dir = getenv(m->dir_env);

	assert_non_null(dir);
	return xasprintf("%s/%s.wasm", dir, m->name);
}

static char *
so_path(const char *name)
{
	return xasprintf("%s/%s.so", tmpdir, name);
}

/* Compiles every module, at most ncpu at a time, each in a child. */
static int
setup_compile(void **state)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t next = 0, running = 0;
	int status, failed = 0;
	pid_t pid;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (ncpu < 1)
		ncpu = 1;
	while (next < KILN_ARRAY_LEN(modules) || running > 0) {
		if (next < KILN_ARRAY_LEN(modules) && running < (size_t)ncpu) {
			const struct module *m = &modules[next++];

			if ((pid = fork()) == -1)
				return -1;
			if (pid == 0) {
				char why[256], *in, *out;
				int rc;

				in = wasm_path(m);
				out = so_path(m->name);
				rc = wasm_module_compile(in, out, tmpdir, why,
				    sizeof(why));
				if (rc != m->expect)
					fprintf(stderr, "compile %s: %d %s\n",
					    m->name, rc, why);
				_exit(rc == m->expect ? 0 : 1);
			}
			running++;
			continue;
		}
		if (wait(&status) == -1)
			return -1;
		running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed ? -1 : 0;
}

static int
teardown_compile(void **state)
{
	char *cmd[] = { "rm", "-rf", tmpdir, NULL };
	pid_t pid;
	int status;

	(void)state;
	if ((pid = fork()) == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return 0;
}

struct run {
	const char *name;	/* module */
	const char *input;	/* NULL: input_fd = -1 */
	size_t input_len;
	uint32_t max_pages;
	uint64_t output_max;
	uint64_t log_max;
	int argc;
	char **argv;
	int envc;
	char **envp;
	uint8_t seed[32];
	const char *so;		/* overrides name */
	int rlimit_cpu;		/* seconds, 0: none */

	/* results */
	int rc;
	struct wasm_result res;
	uint8_t *out;
	size_t out_len;
	uint8_t *log;
	size_t log_len;
	int status;		/* of the child */
};

static void
run_init(struct run *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->max_pages = 1024;
	r->output_max = 1 << 20;
	r->log_max = 1 << 20;
}

static void
run_clear(struct run *r)
{
	free(r->out);
	free(r->log);
}

/* Runs r in a child, as a worker would, and collects what it left. */
static void
run_job(struct run *r)
{
	struct wasm_job job;
	struct {
		int rc;
		struct wasm_result res;
	} msg;
	char *so;
	int pfd[2], out, log, in = -1;
	pid_t pid;

	so = r->so != NULL ? xstrdup(r->so) : so_path(r->name);
	out = memfd_create("out", MFD_CLOEXEC);
	log = memfd_create("log", MFD_CLOEXEC);
	assert_true(out >= 0 && log >= 0);
	if (r->input != NULL) {
		in = memfd_from_bytes("in", r->input, r->input_len);
		assert_true(in >= 0);
		assert_int_equal(lseek(in, 0, SEEK_SET), 0);
	}
	assert_int_equal(pipe(pfd), 0);

	memset(&job, 0, sizeof(job));
	job.so_path = so;
	job.input_fd = in;
	job.stdout_fd = out;
	job.stderr_fd = log;
	job.output_max = r->output_max;
	job.log_max = r->log_max;
	job.max_pages = r->max_pages;
	job.argc = r->argc;
	job.argv = r->argv;
	job.envc = r->envc;
	job.envp = r->envp;
	memcpy(job.seed, r->seed, sizeof(job.seed));

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		if (r->rlimit_cpu > 0) {
			struct rlimit rl = { (rlim_t)r->rlimit_cpu,
			    (rlim_t)r->rlimit_cpu + 1 };

			setrlimit(RLIMIT_CPU, &rl);
		}
		wasm_runtime_init();
		memset(&msg, 0, sizeof(msg));
		msg.rc = wasm_job_run(&job, &msg.res);
		if (fd_write_all(pfd[1], &msg, sizeof(msg)) < 0)
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	memset(&msg, 0, sizeof(msg));
	if (fd_read_all(pfd[0], &msg, sizeof(msg)) < 0)
		msg.rc = -EPIPE;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	r->rc = msg.rc;
	r->res = msg.res;
	assert_int_equal(fd_slurp(out, 64 << 20, &r->out, &r->out_len), 0);
	assert_int_equal(fd_slurp(log, 64 << 20, &r->log, &r->log_len), 0);
	close(out);
	close(log);
	if (in >= 0)
		close(in);
	free(so);
}

static void
expect_out(const struct run *r, const void *bytes, size_t len)
{
	assert_int_equal(r->out_len, len);
	assert_memory_equal(r->out, bytes, len);
}

/* A job that ran to completion in its child with the given outcome. */
static void
expect_end(const struct run *r, int exit_code, const char *reason)
{
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->res.exit_code, exit_code);
	assert_string_equal(r->res.reason, reason);
}

static void
test_hello(void **state)
{
	static const char want[] = "hello from kiln\n";
	struct run r;

	(void)state;
	run_init(&r, "hello");
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, strlen(want));
	assert_int_equal(r.log_len, 0);
	run_clear(&r);
}

static void
test_hello_args(void **state)
{
	static const char want[] =
	    "hello from kiln\narg 1: one two\narg 2: \xc3\xa9t\xc3\xa9\n";
	char *argv[] = { "hello", "one two", "\xc3\xa9t\xc3\xa9", NULL };
	struct run r;

	(void)state;
	run_init(&r, "hello");
	r.argc = 3;
	r.argv = argv;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, strlen(want));
	run_clear(&r);
}

static void
test_env(void **state)
{
	static const char want[] = "A=1\0KEY=some value\0EMPTY=";
	char *envp[] = { "A=1", "KEY=some value", "EMPTY=", NULL };
	struct run r;

	(void)state;
	run_init(&r, "env");
	r.envc = 3;
	r.envp = envp;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, sizeof(want));
	run_clear(&r);

	run_init(&r, "env");
	run_job(&r);
	expect_end(&r, 0, "");
	assert_int_equal(r.out_len, 0);
	run_clear(&r);
}

static void
test_sha256(void **state)
{
	/* printf abc | sha256sum */
	static const char abc[] =
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad\n";
	/* sha256sum < /dev/null */
	static const char empty[] =
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855\n";
	uint8_t digest[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(digest) + 2];
	char *big;
	size_t i, n = 3 * 1000 * 1000 + 7;
	struct run r;

	(void)state;
	run_init(&r, "sha256");
	r.input = "abc";
	r.input_len = 3;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, abc, strlen(abc));
	run_clear(&r);

	run_init(&r, "sha256");
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, empty, strlen(empty));
	run_clear(&r);

	/* Megabytes of input, against libsodium. */
	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7 + (i >> 9));
	crypto_hash_sha256(digest, (const uint8_t *)big, n);
	hex_encode(digest, sizeof(digest), hex);
	strcat(hex, "\n");
	run_init(&r, "sha256");
	r.input = big;
	r.input_len = n;
	r.max_pages = 256;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, hex, strlen(hex));
	run_clear(&r);
	free(big);
}

static void
test_matmul(void **state)
{
	char *argv[] = { "matmul", "100", NULL };
	char want[64];
	struct run r;

	(void)state;
	snprintf(want, sizeof(want), "matmul 64 %u\n", matmul_checksum(64));
	run_init(&r, "matmul");
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, strlen(want));
	run_clear(&r);

	snprintf(want, sizeof(want), "matmul 100 %u\n", matmul_checksum(100));
	run_init(&r, "matmul");
	r.argc = 2;
	r.argv = argv;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, strlen(want));
	run_clear(&r);
}

static void
test_traps(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "trap");
	run_job(&r);
	expect_end(&r, 0, "trap:div0");
	assert_int_equal(r.out_len, 0);
	run_clear(&r);

	run_init(&r, "oob");
	run_job(&r);
	expect_end(&r, 0, "trap:oob");
	run_clear(&r);

	/* The host's own bounds check on a WASI argument. */
	run_init(&r, "wasi_oob");
	run_job(&r);
	expect_end(&r, 0, "trap:oob");
	assert_int_equal(r.out_len, 0);
	run_clear(&r);

	run_init(&r, "stack");
	run_job(&r);
	expect_end(&r, 0, "trap:stack");
	run_clear(&r);

	/*
	 * The input rewrites iov[1] to { 65534, 65536 } before it is used;
	 * 8 more input bytes would land past the end of memory.
	 */
	run_init(&r, "read_overlap");
	r.input = "\0\0\0\0\x10\0\0\0\xfe\xff\0\0\0\0\x01\0abcdefgh";
	r.input_len = 24;
	run_job(&r);
	expect_end(&r, 0, "trap:oob");
	run_clear(&r);
}

static void
test_grow_capped(void **state)
{
	uint8_t want[4] = { 37, 0, 0, 0 };
	struct run r;

	(void)state;
	run_init(&r, "grow");
	r.max_pages = 37;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, sizeof(want));
	run_clear(&r);

	/* A cap at the initial size: every grow fails. */
	run_init(&r, "grow");
	r.max_pages = 1;
	want[0] = 1;
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, want, sizeof(want));
	run_clear(&r);
}

static void
test_memory_limit(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "bigmem");
	r.max_pages = 16;
	run_job(&r);
	expect_end(&r, 0, "memory_limit");
	run_clear(&r);

	/* hello needs 17 pages to start. */
	run_init(&r, "hello");
	r.max_pages = 16;
	run_job(&r);
	expect_end(&r, 0, "memory_limit");
	assert_int_equal(r.out_len, 0);
	run_clear(&r);
}

static void
test_output_limit(void **state)
{
	struct run r;
	size_t i;

	(void)state;
	run_init(&r, "flood");
	r.output_max = 2500;
	run_job(&r);
	expect_end(&r, 0, "output_limit");
	assert_int_equal(r.out_len, 2500);
	for (i = 0; i < r.out_len; i++)
		assert_int_equal(r.out[i], 'x');
	run_clear(&r);

	/* A cap on a chunk boundary: the write after it ends the guest. */
	run_init(&r, "flood");
	r.output_max = 3000;
	run_job(&r);
	expect_end(&r, 0, "output_limit");
	assert_int_equal(r.out_len, 3000);
	run_clear(&r);

	run_init(&r, "flood");
	r.output_max = 0;
	run_job(&r);
	expect_end(&r, 0, "output_limit");
	assert_int_equal(r.out_len, 0);
	run_clear(&r);

	run_init(&r, "logflood");
	r.log_max = 1234;
	run_job(&r);
	expect_end(&r, 0, "log_limit");
	assert_int_equal(r.log_len, 1234);
	for (i = 0; i < r.log_len; i++)
		assert_int_equal(r.log[i], 'y');
	assert_int_equal(r.out_len, 0);
	run_clear(&r);

	/* printf's output cut at a cap inside a line. */
	run_init(&r, "hello");
	r.output_max = 5;
	run_job(&r);
	expect_end(&r, 0, "output_limit");
	expect_out(&r, "hello", 5);
	run_clear(&r);
}

static void
test_exit_code(void **state)
{
	char *argv[] = { "matmul", "0", NULL };
	static const char err[] = "matmul: N must be 1..1024\n";
	struct run r;

	(void)state;
	run_init(&r, "exit3");
	run_job(&r);
	expect_end(&r, 3, "");
	run_clear(&r);

	/* main's return value goes through wasi-libc's exit(). */
	run_init(&r, "matmul");
	r.argc = 2;
	r.argv = argv;
	run_job(&r);
	expect_end(&r, 2, "");
	assert_int_equal(r.log_len, strlen(err));
	assert_memory_equal(r.log, err, strlen(err));
	run_clear(&r);
}

static void
test_deterministic(void **state)
{
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
	uint8_t stream[64], clocks[16];
	struct run a, b, c;
	int i;

	(void)state;
	run_init(&a, "det");
	for (i = 0; i < 32; i++)
		a.seed[i] = (uint8_t)(i + 1);
	run_job(&a);
	expect_end(&a, 0, "");
	assert_int_equal(a.out_len, 80);

	/* Two calls (16 + 48 bytes) read one keystream in order. */
	crypto_stream_chacha20(stream, sizeof(stream), nonce, a.seed);
	assert_memory_equal(a.out, stream, 64);
	/* Realtime at tick 0, then monotonic at tick 1. */
	for (i = 0; i < 8; i++) {
		clocks[i] = (uint8_t)(WASI_CLOCK_EPOCH_NS >> (8 * i));
		clocks[8 + i] = (uint8_t)(WASI_CLOCK_STEP_NS >> (8 * i));
	}
	assert_memory_equal(a.out + 64, clocks, 16);

	run_init(&b, "det");
	memcpy(b.seed, a.seed, sizeof(b.seed));
	run_job(&b);
	expect_end(&b, 0, "");
	expect_out(&b, a.out, a.out_len);

	run_init(&c, "det");
	memcpy(c.seed, a.seed, sizeof(c.seed));
	c.seed[31] ^= 1;
	run_job(&c);
	expect_end(&c, 0, "");
	assert_int_equal(c.out_len, 80);
	assert_memory_not_equal(c.out, a.out, 64);
	assert_memory_equal(c.out + 64, a.out + 64, 16);
	run_clear(&a);
	run_clear(&b);
	run_clear(&c);
}

static void
test_start_function(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "start_write");
	run_job(&r);
	expect_end(&r, 0, "");
	expect_out(&r, "start\nrun\n", 10);
	run_clear(&r);
}

/* No fuel in wasm2c: an endless guest is stopped from outside. */
static void
test_loop_rlimit(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "loop");
	r.rlimit_cpu = 1;
	run_job(&r);
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGXCPU);
	assert_int_equal(r.rc, -EPIPE);
	run_clear(&r);
}

static void
test_load_failures(void **state)
{
	char *so = xasprintf("%s/missing.so", tmpdir);
	struct run r;

	(void)state;
	run_init(&r, "tiny");
	r.so = so;
	run_job(&r);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(r.rc, -ENOEXEC);
	assert_string_equal(r.res.reason, "load:dlopen");
	run_clear(&r);
	free(so);
}

/* A module built in bounds-check mode must be refused, not run. */
static void
test_mode_mismatch(void **state)
{
	static const char *const flags[] = {
		"-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0", NULL
	};
	const struct module tiny = { "tiny", "KILN_TEST_WASM_DIR", 0 };
	char why[256], *in, *so;
	struct run r;

	(void)state;
	in = wasm_path(&tiny);
	so = xasprintf("%s/tiny-bounds.so", tmpdir);
	assert_int_equal(wasm_module_compile_flags(in, so, tmpdir, flags, why,
	    sizeof(why)), 0);
	run_init(&r, "tiny");
	r.so = so;
	run_job(&r);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(r.rc, -ENOEXEC);
	assert_string_equal(r.res.reason, "load:memcheck_mode");
	run_clear(&r);
	free(so);
	free(in);
}

/* A shared object from another shim ABI version is refused. */
static void
test_abi_mismatch(void **state)
{
	char *src = xasprintf("%s/abi.c", tmpdir);
	char *so = xasprintf("%s/abi.so", tmpdir);
	char *cc[] = { "cc", "-shared", "-fPIC", "-o", so, src, NULL };
	FILE *f;
	struct run r;
	int status;
	pid_t pid;

	(void)state;
	f = fopen(src, "w");
	assert_non_null(f);
	fprintf(f, "const unsigned wasm_shim_abi_version = %d;\n"
	    "const int wasm_shim_memcheck_mode = 1;\n", WASM_ABI_VERSION + 1);
	fclose(f);
	if ((pid = fork()) == 0) {
		execvp(cc[0], cc);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	run_init(&r, "tiny");
	r.so = so;
	run_job(&r);
	assert_int_equal(r.rc, -ENOEXEC);
	assert_string_equal(r.res.reason, "load:abi_version");
	run_clear(&r);
	free(src);
	free(so);
}

/*
 * 20000 instantiations in one process: 160 TiB of reservations if any
 * were leaked, more than x86-64 user space holds.
 */
static void
test_reservation_released(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if ((pid = fork()) == 0) {
		struct wasm_job job;
		struct wasi_ctx ctx;
		struct wasm_so so;
		char reason[64], *path = so_path("tiny");
		int i;

		memset(&job, 0, sizeof(job));
		job.input_fd = job.stdout_fd = job.stderr_fd = -1;
		wasm_runtime_init();
		wasm_rt_quota_set(1);
		if (wasm_so_open(path, &so, reason, sizeof(reason)) < 0)
			_exit(10);
		so.init_module();
		for (i = 0; i < 20000; i++) {
			void *inst = xcalloc(1, so.instance_size());

			wasi_ctx_init(&ctx, &job, so.memory(inst));
			if (wasm_so_call(&so, inst, &ctx, 1) != 0)
				_exit(11);
			if (wasm_rt_memory_live() != 1)
				_exit(12);
			so.free(inst);
			free(inst);
			if (wasm_rt_memory_live() != 0)
				_exit(13);
		}
		wasm_so_close(&so);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_compile_errors(void **state)
{
	const struct module simd = { "simd", "KILN_TEST_WASM_DIR", 0 };
	const struct module forbidden = { "forbidden_import",
	    "KILN_TEST_WASM_DIR", 0 };
	char why[256], *in, *so;

	(void)state;
	so = xasprintf("%s/err.so", tmpdir);
	in = wasm_path(&simd);
	assert_int_equal(wasm_module_compile(in, so, tmpdir, why, sizeof(why)),
	    -KILN_EINVAL_MODULE);
	assert_string_equal(why,
	    "0000032: error: unexpected opcode: 0xfd 0x11");
	free(in);

	in = wasm_path(&forbidden);
	assert_int_equal(wasm_module_compile(in, so, tmpdir, why, sizeof(why)),
	    -KILN_EIMPORT);
	assert_string_equal(why, "import \"env\".\"system\" is not granted");
	free(in);

	in = xasprintf("%s/nonexistent.wasm", tmpdir);
	assert_int_equal(wasm_module_compile(in, so, tmpdir, why, sizeof(why)),
	    -ENOENT);
	free(in);

	/* Nothing was installed and no scratch files were left behind. */
	assert_int_equal(access(so, F_OK), -1);
	free(so);
	in = xasprintf("%s/nonexistent-dir/x.so", tmpdir);
	{
		const struct module tiny = { "tiny", "KILN_TEST_WASM_DIR", 0 };
		char *w = wasm_path(&tiny);

		assert_true(wasm_module_compile(w, in, tmpdir, why,
		    sizeof(why)) < 0);
		free(w);
	}
	free(in);
}

static void
test_scratch_clean(void **state)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	(void)state;
	/* Only installed .so files (and abi.c) may remain in tmpdir. */
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (strncmp(de->d_name, "kiln-wasm-", 10) == 0 ||
		    strstr(de->d_name, ".tmp-") != NULL)
			fail_msg("left behind: %s", de->d_name);
		n++;
	}
	closedir(d);
	assert_true(n >= (int)KILN_ARRAY_LEN(modules));
}

static void
test_cache_key(void **state)
{
	char k1[65], k2[65], k3[65];
	size_t i;

	(void)state;
	wasm_cache_key("aa", k1);
	wasm_cache_key("aa", k2);
	wasm_cache_key("ab", k3);
	assert_int_equal(strlen(k1), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", k1[i]));
	assert_string_equal(k1, k2);
	assert_string_not_equal(k1, k3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_args),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_matmul),
		cmocka_unit_test(test_traps),
		cmocka_unit_test(test_grow_capped),
		cmocka_unit_test(test_memory_limit),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_start_function),
		cmocka_unit_test(test_loop_rlimit),
		cmocka_unit_test(test_load_failures),
		cmocka_unit_test(test_mode_mismatch),
		cmocka_unit_test(test_abi_mismatch),
		cmocka_unit_test(test_reservation_released),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_scratch_clean),
		cmocka_unit_test(test_cache_key),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("wasm_run", tests, setup_compile,
	    teardown_compile);
}
