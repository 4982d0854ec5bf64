/*
 * The store's front: owns struct store, which joins one journal backend (a
 * struct store_ops and the state its open returned) to the blob directory,
 * and implements include/kiln/store.h by dispatching every journal call to
 * the backend and every blob call to store_blob.c.  It adds nothing of its
 * own but creating DIR, so each backend keeps the whole contract of
 * store.h.  store_open() is the SQLite journal; store_open_ops() takes any
 * backend (see store_int.h and docs/STORE.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kiln/store.h"
#include "kiln/util.h"
#include "store_int.h"

struct store {
	const struct store_ops	*ops;		/* the journal backend */
	void			*be;		/* its state, from ops->open */
	struct blobdir		*blobs;		/* DIR/blobs */
};

int
store_open_ops(const struct store_ops *ops, const char *dir,
    struct store **out)
{
	struct store *st;
	int rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	st = xcalloc(1, sizeof(*st));
	st->ops = ops;
	if ((rc = blobdir_open(dir, &st->blobs)) < 0)
		goto out_free;
	if ((rc = ops->open(dir, &st->be)) < 0)
		goto out_blobs;
	*out = st;
	return 0;

 out_blobs:
	blobdir_close(st->blobs);
 out_free:
	free(st);
	return rc;
}

int
store_open(const char *dir, struct store **out)
{
	return store_open_ops(&store_sqlite_ops, dir, out);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->be);
	blobdir_close(st->blobs);
	free(st);
}

int
store_begin(struct store *st)
{
	return st->ops->begin(st->be);
}

int
store_commit(struct store *st)
{
	return st->ops->commit(st->be);
}

int
store_rollback(struct store *st)
{
	return st->ops->rollback(st->be);
}

int
store_tenant_ensure(struct store *st, const char *tenant)
{
	return st->ops->tenant_ensure(st->be, tenant);
}

int
store_module_put(struct store *st, const char *tenant, const char *digest,
    uint64_t size, enum module_kind kind)
{
	return st->ops->module_put(st->be, tenant, digest, size, kind);
}

int
store_module_kind(struct store *st, const char *tenant, const char *digest)
{
	return st->ops->module_kind(st->be, tenant, digest);
}

int
store_job_insert(struct store *st, struct job *j)
{
	return st->ops->job_insert(st->be, j);
}

int
store_job_update(struct store *st, const struct job *j,
    const char *event_reason, int64_t at_ns)
{
	return st->ops->job_update(st->be, j, event_reason, at_ns);
}

int
store_job_get(struct store *st, const char *id, struct job *out)
{
	return st->ops->job_get(st->be, id, out);
}

int
store_job_find_idem(struct store *st, const char *tenant,
    const char *idem_key, struct job *out)
{
	return st->ops->job_find_idem(st->be, tenant, idem_key, out);
}

int
store_job_list(struct store *st, const char *tenant, int state,
    int64_t after_seq, int limit,
    int (*fn)(const struct job *j, void *arg), void *arg)
{
	return st->ops->job_list(st->be, tenant, state, after_seq, limit, fn,
	    arg);
}

int
store_job_events(struct store *st, const char *id,
    int (*fn)(enum job_state state, const char *reason, int64_t at_ns,
        void *arg), void *arg)
{
	return st->ops->job_events(st->be, id, fn, arg);
}

int
store_job_count_states(struct store *st, uint64_t counts[JOB_STATE_COUNT])
{
	return st->ops->job_count_states(st->be, counts);
}

int
store_blob_put(struct store *st, const void *buf, size_t n,
    char digest[JOB_DIGEST_LEN])
{
	return blobdir_put(st->blobs, buf, n, digest);
}

int
store_blob_open(struct store *st, const char *digest)
{
	return blobdir_get(st->blobs, digest);
}

int
store_blob_path(struct store *st, const char *digest, char *buf,
    size_t len)
{
	return blobdir_path(st->blobs, digest, buf, len);
}
