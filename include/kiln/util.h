/*
 * Small helpers every component uses: aborting allocators, logging, time,
 * hex, and whole-descriptor I/O.
 */
#ifndef KILN_UTIL_H
#define KILN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define KILN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocators that abort the process on exhaustion; never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a fresh string; aborts on exhaustion. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Logging: one line per event on stderr, prefixed with the process role set
 * by log_init().  log_fatal() and log_fatalx() exit(1); the "x" variants do
 * not append strerror(errno).
 */
void log_init(const char *role, int debug);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void log_fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
int64_t now_mono_ns(void);
int64_t now_real_ns(void);

/* Whether the user + system time in ru reaches seconds (RLIMIT_CPU's). */
struct rusage;
int rusage_cpu_reached(const struct rusage *ru, uint64_t seconds);

/*
 * The parsers' way to fail with a reason: formats a one-line reason into
 * why (nothing when why is NULL or whylen 0) and returns rc.
 */
int why_fail(char *why, size_t whylen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int why_vfail(char *why, size_t whylen, int rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Writes or reads exactly n bytes, retrying on EINTR; 0 or -errno. */
int fd_write_all(int fd, const void *buf, size_t n);
int fd_read_all(int fd, void *buf, size_t n);
/*
 * Reads a whole descriptor from offset 0 into a fresh buffer, refusing more
 * than max bytes (-EFBIG).  The buffer grows with what is read, so a large
 * max costs nothing.  *out owned by the caller (free).
 */
int fd_slurp(int fd, size_t max, uint8_t **out, size_t *len);
/* A sealed-size anonymous file holding the given bytes; fd or -errno. */
int memfd_from_bytes(const char *name, const void *buf, size_t n);

#endif
