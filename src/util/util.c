/*
 * Aborting allocators, clocks, hex and descriptor I/O shared by every Kiln
 * process.  Nothing here knows about jobs or tenants.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kiln/util.h"

static void
oom(void)
{
	static const char msg[] = "kiln: out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		oom();
	return s;
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t
now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int
rusage_cpu_reached(const struct rusage *ru, uint64_t seconds)
{
	uint64_t us = (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) *
	    1000000 + (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);

	return us >= seconds * 1000000;
}

int
why_vfail(char *why, size_t whylen, int rc, const char *fmt, va_list ap)
{
	if (why != NULL && whylen > 0)
		vsnprintf(why, whylen, fmt, ap);
	return rc;
}

int
why_fail(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = why_vfail(why, whylen, rc, fmt, ap);
	va_end(ap);
	return rc;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fd_read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EPIPE;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
fd_slurp(int fd, size_t max, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0, cap;
	ssize_t r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return -EFBIG;
	/* sized by the file; grown (never past max + 1) if it grows */
	cap = (S_ISREG(st.st_mode) ? (size_t)st.st_size : 65536) + 1;
	if (cap > max + 1)
		cap = max + 1;
	buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			return -EFBIG;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

int
memfd_from_bytes(const char *name, const void *buf, size_t n)
{
	int fd, rc;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if ((rc = fd_write_all(fd, buf, n)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}
