/*
 * The libraries of a native job, on the launcher's side: which host files
 * a dynamic executable needs and where they appear in its sandbox.  The
 * interpreter is bound at its own path; every DT_NEEDED name, then the
 * names those libraries need, breadth first, is looked up in a fixed list
 * of system directories (no RPATH, no LD_LIBRARY_PATH, no ld.so.cache, so
 * nothing the job controls can steer the lookup) and bound at the
 * directory where it was found.  Each file bound must be a regular file
 * owned by root that only root can write.  The binds are kept as a
 * manifest next to the cached executable; reading it back checks every
 * line, since the cache is a directory like any other.  The cache key of
 * a native module is here too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kiln/error.h"
#include "kiln/native.h"
#include "kiln/util.h"

#if defined(__x86_64__)
#define LIB_TRIPLET	"x86_64-linux-gnu"
#elif defined(__aarch64__)
#define LIB_TRIPLET	"aarch64-linux-gnu"
#else
#error "native jobs: no library triplet known for this build"
#endif

/* Where libraries are looked up, in order, under the root. */
static const char *const lib_dirs[] = {
	"/lib/" LIB_TRIPLET,
	"/usr/lib/" LIB_TRIPLET,
	"/lib64",
	"/lib",
	"/usr/lib",
};
#define NLIB_DIRS	(sizeof(lib_dirs) / sizeof(lib_dirs[0]))

/* A manifest is at most this long: NATIVE_LIBS_MAX lines of two paths. */
#define MANIFEST_MAX	((size_t)NATIVE_LIBS_MAX * 2 * NATIVE_PATH_MAX)

/*
 * An absolute, canonical path: every component non-empty and neither "."
 * nor "..", no trailing slash, no control character, shorter than
 * NATIVE_PATH_MAX.
 */
static int
path_ok(const char *p, size_t n)
{
	size_t i, start;

	if (n < 2 || n >= NATIVE_PATH_MAX || p[0] != '/' || p[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	for (start = 1; start <= n; start = i + 1) {
		for (i = start; i < n && p[i] != '/'; i++)
			;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
	}
	return 1;
}

/*
 * Resolves root + path to a host file we are willing to bind: realpath
 * into src, then opened and checked (regular, owned by root, not writable
 * by group or others) on the descriptor, which is returned (or -errno).
 */
static int
lib_open(const char *root, const char *path, char src[NATIVE_PATH_MAX],
    char *why, size_t whylen)
{
	char full[PATH_MAX], real[PATH_MAX];
	struct stat st;
	int fd, rc;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >=
	    sizeof(full))
		return why_fail(why, whylen, -ENAMETOOLONG,
		    "path of %s too long", path);
	if (realpath(full, real) == NULL) {
		rc = -errno;
		return why_fail(why, whylen, rc, "%s: %s", full,
		    kiln_strerror(rc));
	}
	if (strlen(real) >= NATIVE_PATH_MAX)
		return why_fail(why, whylen, -ENAMETOOLONG,
		    "%s: resolved path too long", full);
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0) {
		rc = -errno;
		return why_fail(why, whylen, rc, "%s: %s", real,
		    kiln_strerror(rc));
	}
	if (fstat(fd, &st) < 0) {
		rc = why_fail(why, whylen, -errno, "%s: %s", real,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = why_fail(why, whylen, -EPERM, "%s is not a regular file",
		    real);
		goto out;
	}
	if (st.st_uid != 0) {
		rc = why_fail(why, whylen, -EPERM, "%s is not owned by root",
		    real);
		goto out;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		rc = why_fail(why, whylen, -EPERM,
		    "%s is writable by group or others", real);
		goto out;
	}
	memcpy(src, real, strlen(real) + 1);
	return fd;
out:
	close(fd);
	return rc;
}

/* The DT_NEEDED names of the library open at fd. */
static int
lib_needed(int fd, const char *name, char needed[][NATIVE_NAME_MAX],
    int *n, char *why, size_t whylen)
{
	char reason[160];
	struct stat st;
	void *map;
	int rc;

	*n = 0;
	if (fstat(fd, &st) < 0)
		return why_fail(why, whylen, -errno, "library %s: %s", name,
		    strerror(errno));
	if (st.st_size <= 0)
		return why_fail(why, whylen, -KILN_EINVAL_MODULE,
		    "library %s: empty file", name);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return why_fail(why, whylen, -errno, "library %s: mmap: %s",
		    name, strerror(errno));
	rc = native_elf_needed(map, (size_t)st.st_size, needed,
	    NATIVE_NEEDED_MAX, n, reason, sizeof(reason));
	munmap(map, (size_t)st.st_size);
	if (rc != 0)
		return why_fail(why, whylen, rc, "library %s: %s", name,
		    reason);
	return 0;
}

static int
bind_add(struct native_libs *out, const char *src, const char *dst,
    char *why, size_t whylen)
{
	struct native_bind *b;

	if (out->n == NATIVE_LIBS_MAX)
		return why_fail(why, whylen, -E2BIG,
		    "more than %d libraries needed", NATIVE_LIBS_MAX);
	b = &out->b[out->n];
	if ((size_t)snprintf(b->src, sizeof(b->src), "%s", src) >=
	    sizeof(b->src) ||
	    (size_t)snprintf(b->dst, sizeof(b->dst), "%s", dst) >=
	    sizeof(b->dst))
		return why_fail(why, whylen, -ENAMETOOLONG,
		    "path of %s too long", dst);
	out->n++;
	return 0;
}

/* Whether name is queued already, or provided by the interpreter's bind. */
static int
name_seen(char (*queue)[NATIVE_NAME_MAX], int nqueue, const char *interp_name,
    const char *name)
{
	int i;

	if (interp_name != NULL && strcmp(interp_name, name) == 0)
		return 1;
	for (i = 0; i < nqueue; i++)
		if (strcmp(queue[i], name) == 0)
			return 1;
	return 0;
}

/* Appends the names not seen yet; a library beyond the cap is -E2BIG. */
static int
queue_add(char (*queue)[NATIVE_NAME_MAX], int *nqueue, int cap,
    const char *interp_name, char names[][NATIVE_NAME_MAX], int n,
    char *why, size_t whylen)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strnlen(names[i], NATIVE_NAME_MAX) == NATIVE_NAME_MAX ||
		    names[i][0] == '\0' || strchr(names[i], '/') != NULL ||
		    strcmp(names[i], ".") == 0 || strcmp(names[i], "..") == 0)
			return why_fail(why, whylen, -KILN_EINVAL_MODULE,
			    "needed name is not a plain soname");
		if (name_seen(queue, *nqueue, interp_name, names[i]))
			continue;
		if (*nqueue == cap)
			return why_fail(why, whylen, -E2BIG,
			    "more than %d libraries needed", NATIVE_LIBS_MAX);
		memcpy(queue[*nqueue], names[i], strlen(names[i]) + 1);
		(*nqueue)++;
	}
	return 0;
}

int
native_libs_resolve(const char *root, const char *interp,
    char needed[][NATIVE_NAME_MAX], int nneeded, struct native_libs *out,
    char *why, size_t whylen)
{
	char (*queue)[NATIVE_NAME_MAX] = NULL;
	char (*deps)[NATIVE_NAME_MAX] = NULL;
	char prefix[PATH_MAX], src[NATIVE_PATH_MAX], dst[NATIVE_PATH_MAX];
	const char *interp_name = NULL;
	int nqueue = 0, ndeps, cap, i, fd = -1, rc;
	size_t d, rootlen;

	out->n = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (interp == NULL)
		interp = "";
	if (interp[0] == '\0' && nneeded == 0)
		return 0;
	if (interp[0] == '\0')
		return why_fail(why, whylen, -KILN_EINVAL_MODULE,
		    "libraries needed without an interpreter");
	if (!path_ok(interp, strlen(interp)))
		return why_fail(why, whylen, -KILN_EINVAL_MODULE,
		    "interpreter path not canonical");
	if (nneeded < 0 || nneeded > NATIVE_NEEDED_MAX)
		return why_fail(why, whylen, -EINVAL, "bad needed count %d",
		    nneeded);
	/* the root as a prefix: "" for the host, no trailing slash */
	if (root == NULL)
		root = "";
	rootlen = strlen(root);
	while (rootlen > 0 && root[rootlen - 1] == '/')
		rootlen--;
	if (rootlen >= sizeof(prefix))
		return why_fail(why, whylen, -ENAMETOOLONG, "root too long");
	memcpy(prefix, root, rootlen);
	prefix[rootlen] = '\0';

	/* the interpreter, at its own path; its name needs no other bind */
	if ((fd = lib_open(prefix, interp, src, why, whylen)) < 0)
		return fd;
	close(fd);
	fd = -1;
	if ((rc = bind_add(out, src, interp, why, whylen)) != 0)
		goto fail;
	interp_name = strrchr(interp, '/') + 1;

	/* breadth first: queue[i] is bound as out->b[i + 1] */
	cap = NATIVE_LIBS_MAX - 1;
	queue = xcalloc((size_t)cap, sizeof(*queue));
	deps = xcalloc(NATIVE_NEEDED_MAX, sizeof(*deps));
	if ((rc = queue_add(queue, &nqueue, cap, interp_name, needed, nneeded,
	    why, whylen)) != 0)
		goto fail;
	for (i = 0; i < nqueue; i++) {
		for (d = 0; d < NLIB_DIRS; d++) {
			char probe[PATH_MAX];
			struct stat st;

			if ((size_t)snprintf(probe, sizeof(probe), "%s%s/%s",
			    prefix, lib_dirs[d], queue[i]) >= sizeof(probe)) {
				rc = why_fail(why, whylen, -ENAMETOOLONG,
				    "path of %s too long", queue[i]);
				goto fail;
			}
			if (stat(probe, &st) == 0)
				break;
			if (errno != ENOENT && errno != ENOTDIR) {
				rc = why_fail(why, whylen, -errno, "%s: %s",
				    probe, strerror(errno));
				goto fail;
			}
		}
		if (d == NLIB_DIRS) {
			rc = why_fail(why, whylen, -ENOENT,
			    "library %s not found", queue[i]);
			goto fail;
		}
		snprintf(dst, sizeof(dst), "%s/%s", lib_dirs[d], queue[i]);
		if ((fd = lib_open(prefix, dst, src, why, whylen)) < 0) {
			rc = fd;
			goto fail;
		}
		if ((rc = lib_needed(fd, queue[i], deps, &ndeps, why,
		    whylen)) != 0)
			goto fail;
		close(fd);
		fd = -1;
		if ((rc = bind_add(out, src, dst, why, whylen)) != 0 ||
		    (rc = queue_add(queue, &nqueue, cap, interp_name, deps,
		    ndeps, why, whylen)) != 0)
			goto fail;
	}
	free(queue);
	free(deps);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(queue);
	free(deps);
	out->n = 0;
	return rc;
}

int
native_libs_write(int fd, const struct native_libs *libs)
{
	char *buf, *p;
	size_t ls, ld;
	int i, rc;

	if (libs->n < 0 || libs->n > NATIVE_LIBS_MAX)
		return -EINVAL;
	p = buf = xmalloc(MANIFEST_MAX + 1);
	for (i = 0; i < libs->n; i++) {
		ls = strnlen(libs->b[i].src, NATIVE_PATH_MAX);
		ld = strnlen(libs->b[i].dst, NATIVE_PATH_MAX);
		if (!path_ok(libs->b[i].src, ls) ||
		    !path_ok(libs->b[i].dst, ld)) {
			rc = -EINVAL;
			goto out;
		}
		memcpy(p, libs->b[i].src, ls);
		p += ls;
		*p++ = '\t';
		memcpy(p, libs->b[i].dst, ld);
		p += ld;
		*p++ = '\n';
	}
	rc = fd_write_all(fd, buf, (size_t)(p - buf));
out:
	free(buf);
	return rc;
}

int
native_libs_read(const char *path, struct native_libs *out)
{
	uint8_t *buf = NULL;
	const char *p, *end, *nl, *tab;
	struct stat st;
	size_t len = 0;
	int fd, rc, i;

	out->n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else
		rc = fd_slurp(fd, MANIFEST_MAX, &buf, &len);
	close(fd);
	if (rc == -EFBIG)
		return -EINVAL;		/* no manifest of ours is that long */
	if (rc != 0)
		return rc;
	rc = -EINVAL;
	if (memchr(buf, '\0', len) != NULL)
		goto out;
	p = (const char *)buf;
	end = p + len;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (tab = memchr(p, '\t', (size_t)(nl - p))) == NULL ||
		    memchr(tab + 1, '\t', (size_t)(nl - tab - 1)) != NULL ||
		    out->n == NATIVE_LIBS_MAX ||
		    !path_ok(p, (size_t)(tab - p)) ||
		    !path_ok(tab + 1, (size_t)(nl - tab - 1)))
			goto out;
		memcpy(out->b[out->n].src, p, (size_t)(tab - p));
		out->b[out->n].src[tab - p] = '\0';
		memcpy(out->b[out->n].dst, tab + 1, (size_t)(nl - tab - 1));
		out->b[out->n].dst[nl - tab - 1] = '\0';
		for (i = 0; i < out->n; i++)
			if (strcmp(out->b[i].dst, out->b[out->n].dst) == 0)
				goto out;
		out->n++;
		p = nl + 1;
	}
	rc = 0;
out:
	if (rc != 0)
		out->n = 0;
	free(buf);
	return rc;
}

void
native_cache_key(const char *module_digest, char key[65])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char *s;

	s = xasprintf("kiln-native:%d:%s", NATIVE_ABI_VERSION, module_digest);
	crypto_hash_sha256(h, (const uint8_t *)s, strlen(s));
	hex_encode(h, sizeof(h), key);
	free(s);
}
