/*
 * Unit tests of the journal backend seam in src/store (store_int.h): the
 * SQLite ops table is complete, store.c passes every call, argument and
 * result through to the backend unchanged, and the blob files work the
 * same with a backend that is not SQLite.  A fake backend records what it
 * was called with.  Every test works in a fresh mkdtemp directory that is
 * removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/job.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "../../../src/store/store_int.h"

#define MODULE_A	"sha256:" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA256_ABC	"sha256:" \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* The function pointers in struct store_ops; ops_complete checks each. */
#define STORE_OPS_FUNCTIONS	15

/* The fake backend's operations, in struct store_ops order. */
enum op {
	OP_OPEN, OP_CLOSE, OP_BEGIN, OP_COMMIT, OP_ROLLBACK, OP_TENANT_ENSURE,
	OP_MODULE_PUT, OP_MODULE_KIND, OP_JOB_INSERT, OP_JOB_UPDATE,
	OP_JOB_GET, OP_JOB_FIND_IDEM, OP_JOB_LIST, OP_JOB_EVENTS,
	OP_JOB_COUNT_STATES, OP_COUNT
};

/* What the fake backend was last called with. */
static struct fake {
	int		 open_rc;	/* what open returns; 0 opens */
	int		 calls[OP_COUNT];
	enum op		 last;
	const void	*p[3];		/* pointer arguments, in order */
	int64_t		 n[3];		/* integer arguments, in order */
} fake;

/* Records a call; every operation but open and close returns 100 + op. */
static int
fake_call(void *be, enum op op)
{
	assert_ptr_equal(be, &fake);
	fake.calls[op]++;
	fake.last = op;
	return 100 + op;
}

static int
fake_open(const char *dir, void **be)
{
	fake.calls[OP_OPEN]++;
	fake.last = OP_OPEN;
	fake.p[0] = dir;
	if (fake.open_rc != 0)
		return fake.open_rc;
	*be = &fake;
	return 0;
}

static void
fake_close(void *be)
{
	(void)fake_call(be, OP_CLOSE);
}

static int
fake_begin(void *be)
{
	return fake_call(be, OP_BEGIN);
}

static int
fake_commit(void *be)
{
	return fake_call(be, OP_COMMIT);
}

static int
fake_rollback(void *be)
{
	return fake_call(be, OP_ROLLBACK);
}

static int
fake_tenant_ensure(void *be, const char *tenant)
{
	fake.p[0] = tenant;
	return fake_call(be, OP_TENANT_ENSURE);
}

static int
fake_module_put(void *be, const char *tenant, const char *digest,
    uint64_t size, enum module_kind kind)
{
	fake.p[0] = tenant;
	fake.p[1] = digest;
	fake.n[0] = (int64_t)size;
	fake.n[1] = kind;
	return fake_call(be, OP_MODULE_PUT);
}

static int
fake_module_kind(void *be, const char *tenant, const char *digest)
{
	fake.p[0] = tenant;
	fake.p[1] = digest;
	return fake_call(be, OP_MODULE_KIND);
}

static int
fake_job_insert(void *be, struct job *j)
{
	fake.p[0] = j;
	return fake_call(be, OP_JOB_INSERT);
}

static int
fake_job_update(void *be, const struct job *j, const char *event_reason,
    int64_t at_ns)
{
	fake.p[0] = j;
	fake.p[1] = event_reason;
	fake.n[0] = at_ns;
	return fake_call(be, OP_JOB_UPDATE);
}

static int
fake_job_get(void *be, const char *id, struct job *out)
{
	fake.p[0] = id;
	fake.p[1] = out;
	return fake_call(be, OP_JOB_GET);
}

static int
fake_job_find_idem(void *be, const char *tenant, const char *idem_key,
    struct job *out)
{
	fake.p[0] = tenant;
	fake.p[1] = idem_key;
	fake.p[2] = out;
	return fake_call(be, OP_JOB_FIND_IDEM);
}

/* Calls fn once, with a job whose seq is after_seq + 1. */
static int
fake_job_list(void *be, const char *tenant, int state, int64_t after_seq,
    int limit, int (*fn)(const struct job *j, void *arg), void *arg)
{
	struct job j;

	memset(&j, 0, sizeof(j));
	j.seq = after_seq + 1;
	fake.p[0] = tenant;
	fake.p[1] = arg;
	fake.n[0] = state;
	fake.n[1] = after_seq;
	fake.n[2] = limit;
	assert_int_equal(fn(&j, arg), 0);
	return fake_call(be, OP_JOB_LIST);
}

/* Calls fn once, with (JOB_RUNNING, "started", 42). */
static int
fake_job_events(void *be, const char *id,
    int (*fn)(enum job_state state, const char *reason, int64_t at_ns,
        void *arg), void *arg)
{
	fake.p[0] = id;
	fake.p[1] = arg;
	assert_int_equal(fn(JOB_RUNNING, "started", 42, arg), 0);
	return fake_call(be, OP_JOB_EVENTS);
}

static int
fake_job_count_states(void *be, uint64_t counts[JOB_STATE_COUNT])
{
	fake.p[0] = counts;
	counts[JOB_QUEUED] = 7;
	return fake_call(be, OP_JOB_COUNT_STATES);
}

static const struct store_ops fake_ops = {
	.name = "fake",
	.open = fake_open,
	.close = fake_close,
	.begin = fake_begin,
	.commit = fake_commit,
	.rollback = fake_rollback,
	.tenant_ensure = fake_tenant_ensure,
	.module_put = fake_module_put,
	.module_kind = fake_module_kind,
	.job_insert = fake_job_insert,
	.job_update = fake_job_update,
	.job_get = fake_job_get,
	.job_find_idem = fake_job_find_idem,
	.job_list = fake_job_list,
	.job_events = fake_job_events,
	.job_count_states = fake_job_count_states,
};

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	char *dir = xstrdup("/tmp/kiln-store-ops-XXXXXX");

	if (mkdtemp(dir) == NULL)
		return -1;
	memset(&fake, 0, sizeof(fake));
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	char *dir = *state;

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return 0;
}

/* Whether path exists under dir. */
static int
exists_in(const char *dir, const char *path)
{
	char *p = xasprintf("%s/%s", dir, path);
	struct stat sb;
	int rc;

	rc = stat(p, &sb) == 0;
	free(p);
	return rc;
}

/* Checks that every entry of a backend's table is set. */
static void
ops_complete(const struct store_ops *ops)
{
	/* A new entry must be added to the checks below and to the count. */
	assert_int_equal(sizeof(struct store_ops), sizeof(const char *) +
	    STORE_OPS_FUNCTIONS * sizeof(void (*)(void)));
	assert_non_null(ops->name);
	assert_non_null(ops->open);
	assert_non_null(ops->close);
	assert_non_null(ops->begin);
	assert_non_null(ops->commit);
	assert_non_null(ops->rollback);
	assert_non_null(ops->tenant_ensure);
	assert_non_null(ops->module_put);
	assert_non_null(ops->module_kind);
	assert_non_null(ops->job_insert);
	assert_non_null(ops->job_update);
	assert_non_null(ops->job_get);
	assert_non_null(ops->job_find_idem);
	assert_non_null(ops->job_list);
	assert_non_null(ops->job_events);
	assert_non_null(ops->job_count_states);
}

/* Every entry of the SQLite backend's table (and the fake's) is set. */
static void
test_sqlite_ops(void **state)
{
	(void)state;
	ops_complete(&store_sqlite_ops);
	assert_string_equal(store_sqlite_ops.name, "sqlite");
	ops_complete(&fake_ops);
}

/* store_open is store_open_ops with the SQLite table: same journal. */
static void
test_sqlite_ops_open(void **state)
{
	const char *dir = *state;
	struct store *st;
	struct job j;

	assert_int_equal(store_open_ops(&store_sqlite_ops, dir, &st), 0);
	assert_true(exists_in(dir, "kiln.db"));
	assert_true(exists_in(dir, "blobs"));
	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "job-1");
	snprintf(j.tenant, sizeof(j.tenant), "acme");
	snprintf(j.module, sizeof(j.module), "%s", MODULE_A);
	j.state = JOB_QUEUED;
	j.exit_code = -1;
	assert_int_equal(store_job_insert(st, &j), 0);
	assert_int_equal(j.seq, 1);
	store_close(st);

	assert_int_equal(store_open(dir, &st), 0);
	assert_int_equal(store_job_get(st, "job-1", &j), 0);
	assert_string_equal(j.tenant, "acme");
	assert_int_equal(j.state, JOB_QUEUED);
	job_clear(&j);
	store_close(st);
}

static int
list_fn(const struct job *j, void *arg)
{
	*(int64_t *)arg = j->seq;
	return 0;
}

static int
events_fn(enum job_state state, const char *reason, int64_t at_ns,
    void *arg)
{
	int64_t *got = arg;

	assert_string_equal(reason, "started");
	got[0] = state;
	got[1] = at_ns;
	return 0;
}

/* Each store_* reaches its op with its arguments and returns its result. */
static void
test_dispatch(void **state)
{
	const char *dir = *state;
	uint64_t counts[JOB_STATE_COUNT];
	int64_t got[2] = { 0, 0 };
	struct store *st;
	struct job j;
	int op;

	memset(&j, 0, sizeof(j));
	assert_int_equal(store_open_ops(&fake_ops, dir, &st), 0);
	assert_int_equal(fake.last, OP_OPEN);
	assert_ptr_equal(fake.p[0], dir);

	assert_int_equal(store_begin(st), 100 + OP_BEGIN);
	assert_int_equal(store_commit(st), 100 + OP_COMMIT);
	assert_int_equal(store_rollback(st), 100 + OP_ROLLBACK);

	assert_int_equal(store_tenant_ensure(st, "acme"),
	    100 + OP_TENANT_ENSURE);
	assert_string_equal(fake.p[0], "acme");

	assert_int_equal(store_module_put(st, "acme", MODULE_A, 1234,
	    MODULE_NATIVE), 100 + OP_MODULE_PUT);
	assert_string_equal(fake.p[0], "acme");
	assert_string_equal(fake.p[1], MODULE_A);
	assert_int_equal(fake.n[0], 1234);
	assert_int_equal(fake.n[1], MODULE_NATIVE);

	assert_int_equal(store_module_kind(st, "acme", MODULE_A),
	    100 + OP_MODULE_KIND);
	assert_string_equal(fake.p[0], "acme");
	assert_string_equal(fake.p[1], MODULE_A);

	assert_int_equal(store_job_insert(st, &j), 100 + OP_JOB_INSERT);
	assert_ptr_equal(fake.p[0], &j);

	assert_int_equal(store_job_update(st, &j, "why", 99),
	    100 + OP_JOB_UPDATE);
	assert_ptr_equal(fake.p[0], &j);
	assert_string_equal(fake.p[1], "why");
	assert_int_equal(fake.n[0], 99);
	assert_int_equal(store_job_update(st, &j, NULL, 0),
	    100 + OP_JOB_UPDATE);
	assert_null(fake.p[1]);
	assert_int_equal(fake.n[0], 0);

	assert_int_equal(store_job_get(st, "job-1", &j), 100 + OP_JOB_GET);
	assert_string_equal(fake.p[0], "job-1");
	assert_ptr_equal(fake.p[1], &j);

	assert_int_equal(store_job_find_idem(st, "acme", "key", &j),
	    100 + OP_JOB_FIND_IDEM);
	assert_string_equal(fake.p[0], "acme");
	assert_string_equal(fake.p[1], "key");
	assert_ptr_equal(fake.p[2], &j);

	assert_int_equal(store_job_list(st, NULL, JOB_RUNNING, 41, 5,
	    list_fn, &got[0]), 100 + OP_JOB_LIST);
	assert_null(fake.p[0]);
	assert_ptr_equal(fake.p[1], &got[0]);
	assert_int_equal(fake.n[0], JOB_RUNNING);
	assert_int_equal(fake.n[1], 41);
	assert_int_equal(fake.n[2], 5);
	assert_int_equal(got[0], 42);

	assert_int_equal(store_job_events(st, "job-1", events_fn, got),
	    100 + OP_JOB_EVENTS);
	assert_string_equal(fake.p[0], "job-1");
	assert_ptr_equal(fake.p[1], got);
	assert_int_equal(got[0], JOB_RUNNING);
	assert_int_equal(got[1], 42);

	memset(counts, 0, sizeof(counts));
	assert_int_equal(store_job_count_states(st, counts),
	    100 + OP_JOB_COUNT_STATES);
	assert_ptr_equal(fake.p[0], counts);
	assert_int_equal(counts[JOB_QUEUED], 7);

	store_close(st);
	assert_int_equal(fake.last, OP_CLOSE);
	/* Each operation exactly once, but job_update twice. */
	for (op = 0; op < OP_COUNT; op++)
		assert_int_equal(fake.calls[op], op == OP_JOB_UPDATE ? 2 : 1);
}

/* The blob files do not depend on the journal backend. */
static void
test_blobs_any_backend(void **state)
{
	const char *dir = *state;
	char digest[JOB_DIGEST_LEN], path[PATH_MAX], buf[8];
	struct store *st;
	int fd;

	assert_int_equal(store_open_ops(&fake_ops, dir, &st), 0);
	assert_int_equal(store_blob_put(st, "abc", 3, digest), 0);
	assert_string_equal(digest, SHA256_ABC);
	assert_true((fd = store_blob_open(st, digest)) >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	close(fd);
	assert_int_equal(store_blob_path(st, digest, path, sizeof(path)), 0);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(store_blob_open(st, "sha256:abc"), -EINVAL);
	store_close(st);
	/* No journal call was made and SQLite never ran. */
	assert_int_equal(fake.calls[OP_OPEN], 1);
	assert_int_equal(fake.calls[OP_CLOSE], 1);
	assert_int_equal(fake.calls[OP_JOB_INSERT], 0);
	assert_false(exists_in(dir, "kiln.db"));
}

/* A failed open returns the first error and leaves nothing open. */
static void
test_open_fails(void **state)
{
	const char *dir = *state;
	struct store *st = NULL;
	char *sub;

	fake.open_rc = -KILN_ECONFIG;
	assert_int_equal(store_open_ops(&fake_ops, dir, &st), -KILN_ECONFIG);
	assert_null(st);
	assert_int_equal(fake.calls[OP_OPEN], 1);
	assert_int_equal(fake.calls[OP_CLOSE], 0);
	/* The blob directory comes first, as with SQLite. */
	assert_true(exists_in(dir, "blobs"));

	/* DIR cannot be made: the backend is never asked. */
	fake.open_rc = 0;
	sub = xasprintf("%s/no/such", dir);
	assert_int_equal(store_open_ops(&fake_ops, sub, &st), -ENOENT);
	assert_null(st);
	assert_int_equal(fake.calls[OP_OPEN], 1);
	free(sub);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sqlite_ops),
		T(test_sqlite_ops_open),
		T(test_dispatch),
		T(test_blobs_any_backend),
		T(test_open_fails),
	};

	log_init("test_store_ops", 0);
	return cmocka_run_group_tests_name("store_ops", tests, NULL, NULL);
}
