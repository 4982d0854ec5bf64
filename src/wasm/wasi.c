/*
 * The guest ABI: the subset of WASI preview1 a job may import, and the one
 * table (wasi_imports) that is both what the host implements and what
 * admission grants.  Output goes to the job's stdout (capped at output_max)
 * and stderr (capped at log_max); stdin is the job's input; args and
 * environment come from the job; random_get is a ChaCha20 stream keyed by
 * the job's seed; clock_time_get reads a virtual clock that advances by
 * WASI_CLOCK_STEP_NS per call.  Everything else in the table answers ENOSYS
 * or EBADF: there are no preopened directories and no other descriptors.
 * Every guest pointer and length is checked against the guest's memory
 * before use; a bad one ends the guest with an OOB trap.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "kiln/util.h"
#include "wasm_int.h"

/* WASI errno values (preview1 numbering). */
#define WASI_ESUCCESS	0
#define WASI_EBADF	8
#define WASI_EINVAL	28
#define WASI_EIO	29
#define WASI_ENOSYS	52
#define WASI_ESPIPE	70

#define WASI_FILETYPE_CHARACTER_DEVICE	2
#define WASI_RIGHT_FD_READ		(1ull << 1)
#define WASI_RIGHT_FD_WRITE		(1ull << 6)

/* Clock ids 0-3: realtime, monotonic, process and thread CPU time. */
#define WASI_CLOCK_ID_MAX	3

#define FN(f) ((void (*)(void))(f))

const struct wasi_import wasi_imports[] = {
	{ "args_get", "ii", "i", FN(WASI_FN(args_get)) },
	{ "args_sizes_get", "ii", "i", FN(WASI_FN(args_sizes_get)) },
	{ "clock_res_get", "ii", "i", FN(WASI_FN(clock_res_get)) },
	{ "clock_time_get", "iIi", "i", FN(WASI_FN(clock_time_get)) },
	{ "environ_get", "ii", "i", FN(WASI_FN(environ_get)) },
	{ "environ_sizes_get", "ii", "i", FN(WASI_FN(environ_sizes_get)) },
	{ "fd_close", "i", "i", FN(WASI_FN(fd_close)) },
	{ "fd_fdstat_get", "ii", "i", FN(WASI_FN(fd_fdstat_get)) },
	{ "fd_fdstat_set_flags", "ii", "i", FN(WASI_FN(fd_fdstat_set_flags)) },
	{ "fd_filestat_get", "ii", "i", FN(WASI_FN(fd_filestat_get)) },
	{ "fd_prestat_dir_name", "iii", "i", FN(WASI_FN(fd_prestat_dir_name)) },
	{ "fd_prestat_get", "ii", "i", FN(WASI_FN(fd_prestat_get)) },
	{ "fd_read", "iiii", "i", FN(WASI_FN(fd_read)) },
	{ "fd_readdir", "iiiIi", "i", FN(WASI_FN(fd_readdir)) },
	{ "fd_seek", "iIii", "i", FN(WASI_FN(fd_seek)) },
	{ "fd_sync", "i", "i", FN(WASI_FN(fd_sync)) },
	{ "fd_tell", "ii", "i", FN(WASI_FN(fd_tell)) },
	{ "fd_write", "iiii", "i", FN(WASI_FN(fd_write)) },
	{ "path_filestat_get", "iiiii", "i", FN(WASI_FN(path_filestat_get)) },
	{ "path_open", "iiiiiIIii", "i", FN(WASI_FN(path_open)) },
	{ "poll_oneoff", "iiii", "i", FN(WASI_FN(poll_oneoff)) },
	{ "proc_exit", "i", "", FN(WASI_FN(proc_exit)) },
	{ "proc_raise", "i", "i", FN(WASI_FN(proc_raise)) },
	{ "random_get", "ii", "i", FN(WASI_FN(random_get)) },
	{ "sched_yield", "", "i", FN(WASI_FN(sched_yield)) },
};
const size_t wasi_imports_len = KILN_ARRAY_LEN(wasi_imports);

const struct wasi_import *
wasi_import_find(const uint8_t *module, size_t modlen, const uint8_t *name,
    size_t namelen)
{
	size_t i;

	if (modlen != strlen(WASI_MODULE) ||
	    memcmp(module, WASI_MODULE, modlen) != 0)
		return NULL;
	for (i = 0; i < wasi_imports_len; i++) {
		if (strlen(wasi_imports[i].name) == namelen &&
		    memcmp(wasi_imports[i].name, name, namelen) == 0)
			return &wasi_imports[i];
	}
	return NULL;
}

void
wasi_ctx_init(struct wasi_ctx *ctx, const struct wasm_job *job,
    wasm_rt_memory_t *mem)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->mem = mem;
	ctx->job = job;
	ctx->rnd_used = sizeof(ctx->rnd_buf);
}

void
wasi_ctx_clear(struct wasi_ctx *ctx)
{
	sodium_memzero(ctx->rnd_buf, sizeof(ctx->rnd_buf));
	ctx->rnd_used = sizeof(ctx->rnd_buf);
}

/*
 * The guest bytes [ptr, ptr + len), or an OOB trap.  The range is checked
 * against the memory's current size, so a later memory.grow cannot make a
 * checked pointer stale within one call (imports never grow memory).
 */
static uint8_t *
wasi_mem(struct wasi_ctx *ctx, uint32_t ptr, uint64_t len)
{
	wasm_rt_memory_t *m = ctx->mem;

	if (m == NULL || m->data == NULL || (uint64_t)ptr + len > m->size)
		wasm_rt_trap(WASM_RT_TRAP_OOB);
	return m->data + ptr;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static int
wasi_fd_open(const struct wasi_ctx *ctx, uint32_t fd)
{
	return fd <= 2 && !ctx->closed[fd];
}

/* Shared by args_* and environ_*: a vector of NUL-terminated strings. */
static uint32_t
wasi_strings_sizes(struct wasi_ctx *ctx, int n, char *const *v,
    uint32_t count_ptr, uint32_t size_ptr)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	if (total > UINT32_MAX)
		return WASI_EINVAL;
	put_u32(wasi_mem(ctx, count_ptr, 4), (uint32_t)n);
	put_u32(wasi_mem(ctx, size_ptr, 4), (uint32_t)total);
	return WASI_ESUCCESS;
}

static uint32_t
wasi_strings_get(struct wasi_ctx *ctx, int n, char *const *v,
    uint32_t vec_ptr, uint32_t buf_ptr)
{
	uint64_t total = 0, off;
	uint8_t *vec, *buf;
	int i;

	for (i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	if (total > UINT32_MAX)
		return WASI_EINVAL;
	vec = wasi_mem(ctx, vec_ptr, (uint64_t)n * 4);
	buf = wasi_mem(ctx, buf_ptr, total);
	for (i = 0, off = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1;

		put_u32(vec + (size_t)i * 4, (uint32_t)(buf_ptr + off));
		memcpy(buf + off, v[i], len);
		off += len;
	}
	return WASI_ESUCCESS;
}

uint32_t
WASI_FN(args_sizes_get)(struct wasi_ctx *ctx, uint32_t argc_ptr,
    uint32_t size_ptr)
{
	return wasi_strings_sizes(ctx, ctx->job->argc, ctx->job->argv,
	    argc_ptr, size_ptr);
}

uint32_t
WASI_FN(args_get)(struct wasi_ctx *ctx, uint32_t argv_ptr, uint32_t buf_ptr)
{
	return wasi_strings_get(ctx, ctx->job->argc, ctx->job->argv,
	    argv_ptr, buf_ptr);
}

uint32_t
WASI_FN(environ_sizes_get)(struct wasi_ctx *ctx, uint32_t count_ptr,
    uint32_t size_ptr)
{
	return wasi_strings_sizes(ctx, ctx->job->envc, ctx->job->envp,
	    count_ptr, size_ptr);
}

uint32_t
WASI_FN(environ_get)(struct wasi_ctx *ctx, uint32_t env_ptr,
    uint32_t buf_ptr)
{
	return wasi_strings_get(ctx, ctx->job->envc, ctx->job->envp,
	    env_ptr, buf_ptr);
}

uint32_t
WASI_FN(clock_res_get)(struct wasi_ctx *ctx, uint32_t id, uint32_t res_ptr)
{
	if (id > WASI_CLOCK_ID_MAX)
		return WASI_EINVAL;
	put_u64(wasi_mem(ctx, res_ptr, 8), WASI_CLOCK_STEP_NS);
	return WASI_ESUCCESS;
}

/*
 * All four clocks read one counter of calls: the n-th call (from 0)
 * returns n * WASI_CLOCK_STEP_NS, plus WASI_CLOCK_EPOCH_NS for the
 * realtime clock.  The precision argument is ignored.
 */
uint32_t
WASI_FN(clock_time_get)(struct wasi_ctx *ctx, uint32_t id, uint64_t precision,
    uint32_t time_ptr)
{
	uint64_t t;
	uint8_t *p;

	(void)precision;
	if (id > WASI_CLOCK_ID_MAX)
		return WASI_EINVAL;
	p = wasi_mem(ctx, time_ptr, 8);
	t = ctx->clock_ticks * WASI_CLOCK_STEP_NS;
	if (id == 0)
		t += WASI_CLOCK_EPOCH_NS;
	ctx->clock_ticks++;
	put_u64(p, t);
	return WASI_ESUCCESS;
}

uint32_t
WASI_FN(fd_close)(struct wasi_ctx *ctx, uint32_t fd)
{
	if (!wasi_fd_open(ctx, fd))
		return WASI_EBADF;
	ctx->closed[fd] = 1;
	return WASI_ESUCCESS;
}

uint32_t
WASI_FN(fd_fdstat_get)(struct wasi_ctx *ctx, uint32_t fd, uint32_t stat_ptr)
{
	uint8_t *p;

	if (!wasi_fd_open(ctx, fd))
		return WASI_EBADF;
	/* struct fdstat: filetype u8, flags u16 @2, rights u64 @8, @16. */
	p = wasi_mem(ctx, stat_ptr, 24);
	memset(p, 0, 24);
	p[0] = WASI_FILETYPE_CHARACTER_DEVICE;
	put_u64(p + 8, fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE);
	return WASI_ESUCCESS;
}

uint32_t
WASI_FN(fd_fdstat_set_flags)(struct wasi_ctx *ctx, uint32_t fd,
    uint32_t flags)
{
	(void)flags;
	return wasi_fd_open(ctx, fd) ? WASI_ENOSYS : WASI_EBADF;
}

uint32_t
WASI_FN(fd_filestat_get)(struct wasi_ctx *ctx, uint32_t fd, uint32_t buf_ptr)
{
	(void)buf_ptr;
	return wasi_fd_open(ctx, fd) ? WASI_ENOSYS : WASI_EBADF;
}

/* No preopened directories: every descriptor answers EBADF. */
uint32_t
WASI_FN(fd_prestat_get)(struct wasi_ctx *ctx, uint32_t fd, uint32_t buf_ptr)
{
	(void)ctx;
	(void)fd;
	(void)buf_ptr;
	return WASI_EBADF;
}

uint32_t
WASI_FN(fd_prestat_dir_name)(struct wasi_ctx *ctx, uint32_t fd,
    uint32_t path_ptr, uint32_t path_len)
{
	(void)ctx;
	(void)fd;
	(void)path_ptr;
	(void)path_len;
	return WASI_EBADF;
}

/*
 * Reads fill each buffer completely unless the input ends, so what the
 * guest sees does not depend on how the input descriptor delivers data.
 */
uint32_t
WASI_FN(fd_read)(struct wasi_ctx *ctx, uint32_t fd, uint32_t iovs,
    uint32_t iovs_len, uint32_t nread_ptr)
{
	const uint8_t *iov;
	uint64_t total = 0;
	uint8_t *out;
	uint32_t i;
	int in = ctx->job->input_fd, eof = 0;

	if (fd != 0 || !wasi_fd_open(ctx, fd))
		return WASI_EBADF;
	iov = wasi_mem(ctx, iovs, (uint64_t)iovs_len * 8);
	for (i = 0; i < iovs_len; i++)
		(void)wasi_mem(ctx, get_u32(iov + i * 8),
		    get_u32(iov + i * 8 + 4));
	out = wasi_mem(ctx, nread_ptr, 4);

	for (i = 0; i < iovs_len && !eof && in >= 0; i++) {
		/*
		 * Checked again as used: a buffer may overlap the iovec
		 * array, so the data just read can rewrite later entries.
		 */
		uint32_t len = get_u32(iov + i * 8 + 4), got = 0;
		uint8_t *buf = wasi_mem(ctx, get_u32(iov + i * 8), len);

		while (got < len) {
			ssize_t n = read(in, buf + got, len - got);

			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				return WASI_EIO;
			if (n == 0) {
				eof = 1;
				break;
			}
			got += (uint32_t)n;
		}
		total += got;
	}
	if (total > UINT32_MAX)
		return WASI_EINVAL;
	put_u32(out, (uint32_t)total);
	return WASI_ESUCCESS;
}

uint32_t
WASI_FN(fd_readdir)(struct wasi_ctx *ctx, uint32_t fd, uint32_t buf_ptr,
    uint32_t buf_len, uint64_t cookie, uint32_t used_ptr)
{
	(void)ctx;
	(void)fd;
	(void)buf_ptr;
	(void)buf_len;
	(void)cookie;
	(void)used_ptr;
	return WASI_EBADF;
}

uint32_t
WASI_FN(fd_seek)(struct wasi_ctx *ctx, uint32_t fd, uint64_t offset,
    uint32_t whence, uint32_t newoff_ptr)
{
	(void)offset;
	(void)whence;
	(void)newoff_ptr;
	return wasi_fd_open(ctx, fd) ? WASI_ESPIPE : WASI_EBADF;
}

uint32_t
WASI_FN(fd_sync)(struct wasi_ctx *ctx, uint32_t fd)
{
	return wasi_fd_open(ctx, fd) ? WASI_ENOSYS : WASI_EBADF;
}

uint32_t
WASI_FN(fd_tell)(struct wasi_ctx *ctx, uint32_t fd, uint32_t off_ptr)
{
	(void)off_ptr;
	return wasi_fd_open(ctx, fd) ? WASI_ESPIPE : WASI_EBADF;
}

/*
 * Keeps at most output_max (stdout) or log_max (stderr) bytes; the write
 * that would pass the cap keeps what fits and ends the guest.
 */
uint32_t
WASI_FN(fd_write)(struct wasi_ctx *ctx, uint32_t fd, uint32_t iovs,
    uint32_t iovs_len, uint32_t nwritten_ptr)
{
	const uint8_t *iov;
	uint64_t total = 0, max, *kept;
	uint8_t *out;
	uint32_t i;
	int host, err = 0;

	if (fd == 0 || !wasi_fd_open(ctx, fd))
		return WASI_EBADF;
	iov = wasi_mem(ctx, iovs, (uint64_t)iovs_len * 8);
	for (i = 0; i < iovs_len; i++) {
		uint32_t len = get_u32(iov + i * 8 + 4);

		(void)wasi_mem(ctx, get_u32(iov + i * 8), len);
		total += len;
	}
	if (total > UINT32_MAX)
		return WASI_EINVAL;
	out = wasi_mem(ctx, nwritten_ptr, 4);

	if (fd == 1) {
		host = ctx->job->stdout_fd;
		max = ctx->job->output_max;
		kept = &ctx->out_bytes;
	} else {
		host = ctx->job->stderr_fd;
		max = ctx->job->log_max;
		kept = &ctx->log_bytes;
	}
	for (i = 0; i < iovs_len; i++) {
		uint64_t len = get_u32(iov + i * 8 + 4);
		const uint8_t *buf = wasi_mem(ctx, get_u32(iov + i * 8), len);
		uint64_t n = len < max - *kept ? len : max - *kept;

		if (n > 0 && host >= 0 && !err &&
		    fd_write_all(host, buf, (size_t)n) < 0)
			err = 1;
		*kept += n;
		if (n < len) {
			ctx->end_reason = fd == 1 ? "output_limit" :
			    "log_limit";
			wasm_rt_unwind(WASM_UNWIND_LIMIT);
		}
	}
	if (err)
		return WASI_EIO;
	put_u32(out, (uint32_t)total);
	return WASI_ESUCCESS;
}

uint32_t
WASI_FN(path_filestat_get)(struct wasi_ctx *ctx, uint32_t fd, uint32_t flags,
    uint32_t path_ptr, uint32_t path_len, uint32_t buf_ptr)
{
	(void)ctx;
	(void)fd;
	(void)flags;
	(void)path_ptr;
	(void)path_len;
	(void)buf_ptr;
	return WASI_EBADF;
}

uint32_t
WASI_FN(path_open)(struct wasi_ctx *ctx, uint32_t fd, uint32_t dirflags,
    uint32_t path_ptr, uint32_t path_len, uint32_t oflags, uint64_t rights,
    uint64_t rights_inh, uint32_t fdflags, uint32_t fd_ptr)
{
	(void)ctx;
	(void)fd;
	(void)dirflags;
	(void)path_ptr;
	(void)path_len;
	(void)oflags;
	(void)rights;
	(void)rights_inh;
	(void)fdflags;
	(void)fd_ptr;
	return WASI_EBADF;
}

uint32_t
WASI_FN(poll_oneoff)(struct wasi_ctx *ctx, uint32_t in_ptr, uint32_t out_ptr,
    uint32_t nsubs, uint32_t nevents_ptr)
{
	(void)ctx;
	(void)in_ptr;
	(void)out_ptr;
	(void)nsubs;
	(void)nevents_ptr;
	return WASI_ENOSYS;
}

void
WASI_FN(proc_exit)(struct wasi_ctx *ctx, uint32_t code)
{
	ctx->exit_code = code;
	wasm_rt_unwind(WASM_UNWIND_EXIT);
}

uint32_t
WASI_FN(proc_raise)(struct wasi_ctx *ctx, uint32_t sig)
{
	(void)ctx;
	(void)sig;
	return WASI_ENOSYS;
}

/*
 * The stream is ChaCha20 (64-bit nonce of zeros, 64-bit block counter)
 * keyed by job->seed, consumed in order across calls: the n-th byte any
 * call returns is byte n of the keystream.
 */
uint32_t
WASI_FN(random_get)(struct wasi_ctx *ctx, uint32_t buf_ptr, uint32_t len)
{
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
	static const uint8_t zero[64];
	uint8_t *buf = wasi_mem(ctx, buf_ptr, len);

	while (len > 0) {
		size_t n;

		if (ctx->rnd_used == sizeof(ctx->rnd_buf)) {
			crypto_stream_chacha20_xor_ic(ctx->rnd_buf, zero,
			    sizeof(zero), nonce, ctx->rnd_block++,
			    ctx->job->seed);
			ctx->rnd_used = 0;
		}
		n = sizeof(ctx->rnd_buf) - ctx->rnd_used;
		if (n > len)
			n = len;
		memcpy(buf, ctx->rnd_buf + ctx->rnd_used, n);
		ctx->rnd_used += n;
		buf += n;
		len -= (uint32_t)n;
	}
	return WASI_ESUCCESS;
}

/* One single-threaded guest: yielding is a no-op that succeeds. */
uint32_t
WASI_FN(sched_yield)(struct wasi_ctx *ctx)
{
	(void)ctx;
	return WASI_ESUCCESS;
}
