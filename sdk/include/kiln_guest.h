/*
 * kiln_guest.h: helpers for Kiln guests written in C and built with
 *
 *	clang --target=wasm32-wasi -O2 -Wl,--stack-first \
 *	    -Wl,-z,stack-size=1048576 -Isdk/include -o job.wasm job.c
 *
 * A guest reads its input on stdin, writes its result to stdout (the job's
 * output) and diagnostics to stderr (the job's log); both are capped by the
 * job and a write past a cap ends the guest.  Randomness comes from a
 * per-job seeded stream and the clocks are virtual, so a job's output is a
 * function of its module, input, arguments, environment and seed.  See
 * docs/WASM.md for the full guest ABI.  Header-only; every helper is
 * static inline.
 */
#ifndef KILN_GUEST_H
#define KILN_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wasi/api.h>

/* Marks a function as the module's `run` export (freestanding guests). */
#define KILN_EXPORT(name) __attribute__((export_name(#name)))

/*
 * Reads all of stdin into a fresh malloc'd buffer (NUL-terminated for
 * convenience, the NUL not counted).  Returns the length and sets *out, or
 * -1 on failure (*out is then NULL).  The caller frees *out.
 */
static inline long
kiln_input_read_all(unsigned char **out)
{
	size_t cap = 4096, len = 0;
	unsigned char *buf = malloc(cap + 1), *nbuf;
	ssize_t n;

	*out = NULL;
	if (buf == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			cap *= 2;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nbuf;
		}
		n = read(0, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return (long)len;
}

/* Writes all of buf to fd; 0 or -1. */
static inline int
kiln_write_fd(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends to the job's output (stdout, unbuffered). */
static inline int
kiln_output_write(const void *buf, size_t len)
{
	return kiln_write_fd(1, buf, len);
}

static inline int
kiln_output_puts(const char *s)
{
	return kiln_write_fd(1, s, strlen(s));
}

/* Appends to the job's log (stderr, unbuffered). */
static inline int
kiln_log_write(const void *buf, size_t len)
{
	return kiln_write_fd(2, buf, len);
}

/* Fills buf from the job's deterministic random stream; 0 or -1. */
static inline int
kiln_random(void *buf, size_t len)
{
	return __wasi_random_get(buf, len) == 0 ? 0 : -1;
}

/* The virtual monotonic clock in nanoseconds (advances on every read). */
static inline uint64_t
kiln_clock_ns(void)
{
	__wasi_timestamp_t t = 0;

	(void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
	return t;
}

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
static inline void
kiln_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Ends the job at once with code (stdio buffers are not flushed). */
static inline _Noreturn void
kiln_exit(int code)
{
	__wasi_proc_exit((__wasi_exitcode_t)code);
}

#endif
