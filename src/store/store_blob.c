/*
 * Content-addressed blob files under DIR/blobs/ (modules, inputs, outputs),
 * each named by the SHA-256 of its bytes: blobs/<first 2 hex>/<other 62>.
 * A blob is written whole to a temporary file in its final directory,
 * fsynced, linked or renamed into place, and the directory is fsynced, so a
 * name that exists always holds all of its bytes, also after a crash.
 * Nothing here modifies or deletes a blob; garbage collection is not done.
 * This file knows nothing of the journal: store.c hands it the store's
 * struct blobdir, whichever journal backend the store uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kiln/store.h"
#include "kiln/util.h"
#include "store_int.h"

#define DIGEST_PREFIX		"sha256:"
#define DIGEST_PREFIX_LEN	7
#define DIGEST_HEX_LEN		64
#define BLOB_MODE		0400

struct blobdir {
	char	*dir;		/* DIR as given to blobdir_open */
	int	 dirfd;		/* DIR/blobs, O_DIRECTORY */
};

/* Opens a directory relative to dirfd (or absolute); fd or -errno. */
static int
dir_open(int dirfd, const char *path)
{
	int fd;

	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/*
 * Creates directory name under parent if missing, fsyncing parent when it
 * did, so that the new entry survives a crash.  0 or -errno.
 */
static int
dir_ensure(int parent, const char *name)
{
	if (mkdirat(parent, name, 0700) == 0)
		return fsync(parent) < 0 ? -errno : 0;
	return errno == EEXIST ? 0 : -errno;
}

int
blobdir_open(const char *dir, struct blobdir **out)
{
	struct blobdir *bd;
	int dirfd, fd, rc;

	if (sodium_init() < 0)
		return -EIO;
	if ((dirfd = dir_open(AT_FDCWD, dir)) < 0)
		return dirfd;
	if ((rc = dir_ensure(dirfd, "blobs")) < 0)
		goto out_close;
	if ((fd = dir_open(dirfd, "blobs")) < 0) {
		rc = fd;
		goto out_close;
	}
	bd = xcalloc(1, sizeof(*bd));
	bd->dir = xstrdup(dir);
	bd->dirfd = fd;
	*out = bd;
	rc = 0;
 out_close:
	close(dirfd);
	return rc;
}

void
blobdir_close(struct blobdir *bd)
{
	if (bd == NULL)
		return;
	close(bd->dirfd);
	free(bd->dir);
	free(bd);
}

int
store_digest_check(const char *digest)
{
	const char *hex;
	size_t i;

	if (digest == NULL ||
	    strnlen(digest, JOB_DIGEST_LEN) != JOB_DIGEST_LEN - 1 ||
	    strncmp(digest, DIGEST_PREFIX, DIGEST_PREFIX_LEN) != 0)
		return -EINVAL;
	hex = digest + DIGEST_PREFIX_LEN;
	for (i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return -EINVAL;
	return 0;
}

/* Writes all bytes to fd and flushes them to the device; 0 or -errno. */
static int
blob_write_sync(int fd, const void *buf, size_t n)
{
	int rc;

	if ((rc = fd_write_all(fd, buf, n)) < 0)
		return rc;
	return fsync(fd) < 0 ? -errno : 0;
}

/*
 * The preferred way: an unnamed O_TMPFILE in dirfd, linked as name once
 * its bytes are on disk, so a crash leaves no temporary file behind.
 * Returns 0, -errno, or -EOPNOTSUPP when the file system or the process
 * (no CAP_DAC_READ_SEARCH and no /proc) cannot do it.
 */
static int
blob_link_tmpfile(int dirfd, const char *name, const void *buf, size_t n)
{
	char proc[64];
	int err, fd, rc;

	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, BLOB_MODE);
	if (fd < 0)
		return errno == EOPNOTSUPP || errno == EISDIR ||
		    errno == EINVAL ? -EOPNOTSUPP : -errno;
	if ((rc = blob_write_sync(fd, buf, n)) < 0)
		goto out_close;
	err = 0;
	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) < 0)
		err = errno;
	/* Without CAP_DAC_READ_SEARCH that was ENOENT; /proc may do it. */
	if (err == ENOENT) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		err = 0;
		if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
			err = errno;
	}
	/* EEXIST: someone linked the same bytes first. */
	if (err == 0 || err == EEXIST)
		rc = 0;
	else if (err == ENOENT || err == EPERM || err == EACCES)
		rc = -EOPNOTSUPP;
	else
		rc = -err;
 out_close:
	close(fd);
	return rc;
}

/*
 * The fallback: a named temporary file in dirfd, renamed over name.  Also
 * used to replace a damaged blob, which linkat cannot.  A crash between
 * create and rename leaves a ".tmp-" file, which is safe to delete.
 */
static int
blob_rename_tmp(int dirfd, const char *name, const void *buf, size_t n)
{
	unsigned char rnd[8];
	char tmp[32], hex[2 * sizeof(rnd) + 1];
	int fd, rc;

	randombytes_buf(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), hex);
	snprintf(tmp, sizeof(tmp), ".tmp-%s", hex);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, BLOB_MODE);
	if (fd < 0)
		return -errno;
	rc = blob_write_sync(fd, buf, n);
	close(fd);
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

int
blobdir_put(struct blobdir *bd, const void *buf, size_t n,
    char digest[JOB_DIGEST_LEN])
{
	unsigned char md[crypto_hash_sha256_BYTES];
	char hex[DIGEST_HEX_LEN + 1], sub[3];
	const char *name = hex + 2;
	struct stat sb;
	int dirfd, rc;

	crypto_hash_sha256(md, buf, n);
	hex_encode(md, sizeof(md), hex);
	memcpy(sub, hex, 2);
	sub[2] = '\0';
	if ((rc = dir_ensure(bd->dirfd, sub)) < 0)
		return rc;
	if ((dirfd = dir_open(bd->dirfd, sub)) < 0)
		return dirfd;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Present and whole: nothing to do. */
		if (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == n) {
			rc = 0;
			goto out_digest;
		}
		log_warnx("store: blob sha256:%s damaged, rewriting", hex);
		rc = blob_rename_tmp(dirfd, name, buf, n);
	} else if (errno != ENOENT) {
		rc = -errno;
		goto out_close;
	} else if ((rc = blob_link_tmpfile(dirfd, name, buf, n)) ==
	    -EOPNOTSUPP)
		rc = blob_rename_tmp(dirfd, name, buf, n);
	if (rc < 0)
		goto out_close;
	if (fsync(dirfd) < 0) {
		rc = -errno;
		goto out_close;
	}
 out_digest:
	snprintf(digest, JOB_DIGEST_LEN, DIGEST_PREFIX "%s", hex);
 out_close:
	close(dirfd);
	return rc;
}

/* The path of a blob relative to DIR/blobs, into rel[JOB_DIGEST_LEN]. */
static int
blob_relpath(const char *digest, char rel[JOB_DIGEST_LEN])
{
	const char *hex = digest + DIGEST_PREFIX_LEN;

	if (store_digest_check(digest) < 0)
		return -EINVAL;
	snprintf(rel, JOB_DIGEST_LEN, "%.2s/%s", hex, hex + 2);
	return 0;
}

int
blobdir_get(struct blobdir *bd, const char *digest)
{
	char rel[JOB_DIGEST_LEN];
	int fd;

	if (blob_relpath(digest, rel) < 0)
		return -EINVAL;
	fd = openat(bd->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int
blobdir_path(struct blobdir *bd, const char *digest, char *buf, size_t len)
{
	char rel[JOB_DIGEST_LEN];
	int n;

	if (blob_relpath(digest, rel) < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s/blobs/%s", bd->dir, rel);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}
