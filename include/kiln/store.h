/*
 * The durable store: a SQLite journal (WAL, synchronous=FULL) of tenants,
 * modules, jobs and every job state transition, plus content-addressed blob
 * files.  One struct store is used by one thread (the core's loop); the
 * caller groups many writes in one transaction with store_begin/commit
 * (group commit) and acknowledges nothing before store_commit() returns 0.
 * The journal is one backend behind an ops table private to src/store
 * (src/store/store_int.h, docs/STORE.md); every backend keeps the contracts
 * below, and the blobs are the same files whichever it is.
 */
#ifndef KILN_STORE_H
#define KILN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/job.h"

struct store;

/*
 * Opens (creating when missing) DIR/kiln.db and DIR/blobs/.  Sets WAL and
 * synchronous=FULL and creates the schema.  *out owned by the caller
 * (store_close).  Returns 0, -errno, or -KILN_ECONFIG for a database that is
 * not ours or of a newer schema.  The journal is always the SQLite backend;
 * inside src/store, store_open_ops() opens DIR with another.
 */
int store_open(const char *dir, struct store **out);
void store_close(struct store *st);

/*
 * One transaction: BEGIN IMMEDIATE runs lazily, before the first write
 * after store_begin, so a batch that only reads takes no write lock and
 * commits nothing.  0 or -EIO (also for a begin inside, or a commit or
 * rollback outside, a transaction).  Transactions do not nest.  A commit
 * that fails has ended the transaction and nothing of it may be
 * acknowledged.  Outside a transaction every write below is its own
 * (atomic, durable) transaction.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/*
 * Records the tenant if missing (idempotent).  0, -EINVAL (empty or longer
 * than JOB_TENANT_LEN - 1) or -EIO.
 */
int store_tenant_ensure(struct store *st, const char *tenant);

/*
 * Records that tenant registered the module with this digest, size and
 * kind (enum module_kind; idempotent), recording the tenant too if
 * missing.  Returns 1 when newly recorded, 0 when it already was, -EINVAL
 * (malformed digest, tenant or kind), or -EIO.
 */
int store_module_put(struct store *st, const char *tenant, const char *digest,
    uint64_t size, enum module_kind kind);
/* The kind (enum module_kind, > 0) of the module tenant registered with
 * digest, 0 when there is none, -EIO on error. */
int store_module_kind(struct store *st, const char *tenant,
    const char *digest);

/*
 * Inserts a new job (j->seq is assigned) and its first event (j->state,
 * j->reason, at j->created_ns or now when 0), recording the tenant too if
 * missing.  -KILN_ECONFLICT when the id, or the (tenant, idem_key) pair
 * with a non-empty key, already exists; -EINVAL for an empty id or tenant,
 * a state out of range, a size above INT64_MAX or a field without its NUL;
 * -EIO otherwise.  A failed insert writes nothing and leaves the caller's
 * transaction usable.
 */
int store_job_insert(struct store *st, struct job *j);

/*
 * Writes every mutable column of j (state, attempts, exit_code, reason,
 * output, log, sizes, slot, timestamps) and appends an event row
 * (job id, state, event_reason or "" when NULL, at_ns: CLOCK_REALTIME, 0
 * for now).  The other columns (tenant, module, input, profile, timeout,
 * idem_key, spec_json) are never rewritten.  -KILN_ENOT_FOUND, -EINVAL (as
 * for insert) or -EIO.
 */
int store_job_update(struct store *st, const struct job *j,
    const char *event_reason, int64_t at_ns);

/*
 * Fills *out (caller frees with job_clear; zeroed on error).
 * -KILN_ENOT_FOUND or -EIO (also for a row whose values do not fit).
 */
int store_job_get(struct store *st, const char *id, struct job *out);
/* Finds the tenant's job created with this Idempotency-Key. Same errors. */
int store_job_find_idem(struct store *st, const char *tenant,
    const char *idem_key, struct job *out);

/*
 * Calls fn for the tenant's jobs in increasing seq after after_seq, at most
 * limit of them, only those in state when state >= 0.  tenant NULL means
 * every tenant.  The job passed to fn is freed after fn returns; fn returns
 * 0 to go on or non-zero to stop (that job counts as visited); fn NULL only
 * counts.  fn may call the other store functions but not store_job_list or
 * store_job_events (-EBUSY).  Returns the number visited (0 when
 * limit <= 0), -EINVAL for a state >= JOB_STATE_COUNT, or -EIO.
 */
int store_job_list(struct store *st, const char *tenant, int state,
    int64_t after_seq, int limit,
    int (*fn)(const struct job *j, void *arg), void *arg);

/*
 * Calls fn for each event of a job, oldest first: state, reason ("" when
 * none) and the CLOCK_REALTIME time in ns.  fn returns non-zero to stop;
 * fn NULL only counts; same re-entry rule as store_job_list.  Returns the
 * count (0 for an unknown job), -EBUSY or -EIO.
 */
int store_job_events(struct store *st, const char *id,
    int (*fn)(enum job_state state, const char *reason, int64_t at_ns,
        void *arg), void *arg);

/*
 * Number of jobs in each state, over all tenants, into counts[].  0 or
 * -EIO (counts[] zeroed).
 */
int store_job_count_states(struct store *st,
    uint64_t counts[JOB_STATE_COUNT]);

/*
 * Content-addressed blobs under DIR/blobs/: the name is the SHA-256 of the
 * bytes, written to a temporary file, fsynced, renamed into place and the
 * directory fsynced.  digest receives "sha256:<64 hex>".  Putting bytes that
 * are already present is a no-op.  0 or -errno.
 */
int store_blob_put(struct store *st, const void *buf, size_t n,
    char digest[JOB_DIGEST_LEN]);
/* Opens a blob read-only; fd or -ENOENT / -EINVAL (malformed digest). */
int store_blob_open(struct store *st, const char *digest);
/* Path of the blob file into buf; 0, -EINVAL or -ENAMETOOLONG. */
int store_blob_path(struct store *st, const char *digest, char *buf,
    size_t len);

/* Parses "sha256:<64 lower hex>"; 0 or -EINVAL. */
int store_digest_check(const char *digest);

#endif
