/*
 * Private to src/store: the seam between store.c, which owns struct store
 * and implements include/kiln/store.h, and the parts it is made of: one
 * journal backend (struct store_ops; store_sqlite.c is the only one so
 * far) and the blob directory (store_blob.c), which every backend shares.
 */
#ifndef KILN_STORE_INT_H
#define KILN_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/job.h"
#include "kiln/store.h"

/*
 * A journal backend: where tenants, modules, jobs and job events are kept.
 * Each operation takes the state its open returned (be) and has the
 * contract of the store_* function of the same name in kiln/store.h: the
 * same arguments, argument checks, errors, transaction semantics (begin,
 * commit and rollback; a failed write undoes only itself), re-entry rule
 * (-EBUSY) and ownership of what it fills in.  store.c only dispatches, so
 * a backend checks everything itself.  Every entry must be set.  Used by
 * one thread at a time.
 */
struct store_ops {
	const char	*name;		/* "sqlite": names the backend */

	/*
	 * Opens (creating when missing) the journal of the store in dir,
	 * which exists, into *be (freed by close).  0, -errno, -EIO, or
	 * -KILN_ECONFIG for a journal that is not ours or of a newer schema.
	 * A failed open leaves nothing to close.
	 */
	int	(*open)(const char *dir, void **be);
	/* Ends a transaction left open (nothing of it is kept); frees be. */
	void	(*close)(void *be);

	int	(*begin)(void *be);
	int	(*commit)(void *be);
	int	(*rollback)(void *be);

	int	(*tenant_ensure)(void *be, const char *tenant);
	int	(*module_put)(void *be, const char *tenant,
		    const char *digest, uint64_t size, enum module_kind kind);
	int	(*module_kind)(void *be, const char *tenant,
		    const char *digest);

	int	(*job_insert)(void *be, struct job *j);
	int	(*job_update)(void *be, const struct job *j,
		    const char *event_reason, int64_t at_ns);
	int	(*job_get)(void *be, const char *id, struct job *out);
	int	(*job_find_idem)(void *be, const char *tenant,
		    const char *idem_key, struct job *out);
	int	(*job_list)(void *be, const char *tenant, int state,
		    int64_t after_seq, int limit,
		    int (*fn)(const struct job *j, void *arg), void *arg);
	int	(*job_events)(void *be, const char *id,
		    int (*fn)(enum job_state state, const char *reason,
		    int64_t at_ns, void *arg), void *arg);
	int	(*job_count_states)(void *be,
		    uint64_t counts[JOB_STATE_COUNT]);
};

/* The SQLite journal, DIR/kiln.db (store_sqlite.c). */
extern const struct store_ops store_sqlite_ops;

/*
 * store_open() with the journal backend ops instead of SQLite: creates dir
 * when missing, opens DIR/blobs/, then ops->open(dir).  *out is set only on
 * success.  0, or the first error: -errno, or what ops->open returned.
 */
int store_open_ops(const struct store_ops *ops, const char *dir,
    struct store **out);

/*
 * The content-addressed blob files under DIR/blobs/ (store_blob.c), the
 * same whatever the journal backend.  The functions below have the
 * contracts of store_blob_put, store_blob_open and store_blob_path.
 */
struct blobdir;

/*
 * Creates DIR/blobs when missing (dir must exist) and opens it into *out
 * (freed by blobdir_close).  dir is kept as given, relative or not.  0 or
 * -errno (-EIO when libsodium cannot be initialised).
 */
int blobdir_open(const char *dir, struct blobdir **out);
/* Closes DIR/blobs and frees bd; bd may be NULL. */
void blobdir_close(struct blobdir *bd);
int blobdir_put(struct blobdir *bd, const void *buf, size_t n,
    char digest[JOB_DIGEST_LEN]);
int blobdir_get(struct blobdir *bd, const char *digest);
int blobdir_path(struct blobdir *bd, const char *digest, char *buf,
    size_t len);

#endif
