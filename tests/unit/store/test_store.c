/*
 * Unit tests of src/store: the SQLite journal (schema, round trips,
 * conflicts, events, paging, transactions, durability across SIGKILL) and
 * the content-addressed blob files.  Every test works in a fresh mkdtemp
 * directory that is removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kiln/error.h"
#include "kiln/job.h"
#include "kiln/store.h"
#include "kiln/util.h"

#define MODULE_A	"sha256:" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B	"sha256:" \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DIGEST_C	"sha256:" \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA256_ABC	"sha256:" \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY	"sha256:" \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CREATED_NS	INT64_C(1700000000000000000)

struct fixture {
	char		 dir[64];	/* the mkdtemp directory */
	struct store	*st;		/* opened on dir */
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
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/kiln-store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	if (store_open(fx->dir, &fx->st) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Closes and reopens the fixture's store. */
static void
reopen(struct fixture *fx)
{
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, &fx->st), 0);
}

/* A fresh PENDING job with every immutable field set. */
static void
job_make(struct job *j, const char *id, const char *tenant, const char *idem)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->tenant, sizeof(j->tenant), "%s", tenant);
	j->state = JOB_PENDING;
	snprintf(j->module, sizeof(j->module), "%s", MODULE_A);
	snprintf(j->profile, sizeof(j->profile), "cpu-small");
	j->timeout_ms = 30000;
	snprintf(j->idem_key, sizeof(j->idem_key), "%s", idem);
	j->spec_json = xstrdup("{\"args\":[\"a\"],\"env\":{}}");
	j->exit_code = -1;
	j->created_ns = CREATED_NS;
}

/* Inserts a fresh job and checks it was accepted. */
static int64_t
job_add(struct store *st, const char *id, const char *tenant,
    const char *idem)
{
	struct job j;
	int64_t seq;

	job_make(&j, id, tenant, idem);
	assert_int_equal(store_job_insert(st, &j), 0);
	seq = j.seq;
	job_clear(&j);
	return seq;
}

/* Opens DIR/kiln.db with plain SQLite, beside the store. */
static sqlite3 *
raw_open(const char *dir)
{
	sqlite3 *db;
	char *path = xasprintf("%s/kiln.db", dir);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	free(path);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* The first column of the first row of sql, as text, into buf. */
static void
raw_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
test_open_schema_reopen(void **state)
{
	struct fixture *fx = *state;
	char buf[256], *path;
	struct stat sb;
	struct job j;
	sqlite3 *db;

	path = xasprintf("%s/blobs", fx->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	free(path);

	db = raw_open(fx->dir);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), 0x4b494c4e);
	raw_text(db, "PRAGMA journal_mode", buf, sizeof(buf));
	assert_string_equal(buf, "wal");
	raw_text(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM"
	    " sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	    " ORDER BY name)", buf, sizeof(buf));
	assert_string_equal(buf, "job_events,jobs,modules,tenants");
	raw_text(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM"
	    " sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
	    " ORDER BY name)", buf, sizeof(buf));
	assert_string_equal(buf, "job_events_job,jobs_state_seq,"
	    "jobs_tenant_idem,jobs_tenant_seq");
	sqlite3_close(db);

	assert_int_equal(job_add(fx->st, "job_1", "t1", "k1"), 1);
	assert_int_equal(job_add(fx->st, "job_2", "t1", ""), 2);
	reopen(fx);
	assert_int_equal(store_job_get(fx->st, "job_2", &j), 0);
	assert_int_equal(j.seq, 2);
	assert_string_equal(j.tenant, "t1");
	job_clear(&j);
	/* seq goes on after a reopen. */
	assert_int_equal(job_add(fx->st, "job_3", "t1", ""), 3);

	/* The state is stored by name, so the file reads well. */
	db = raw_open(fx->dir);
	raw_text(db, "SELECT state FROM jobs WHERE id = 'job_1'", buf,
	    sizeof(buf));
	assert_string_equal(buf, "PENDING");
	sqlite3_close(db);
}

static void
test_job_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct job j, g;

	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "job_0123456789abcdef01234567");
	snprintf(j.tenant, sizeof(j.tenant), "acme-research");
	j.state = JOB_RUNNING;
	snprintf(j.module, sizeof(j.module), "%s", MODULE_A);
	snprintf(j.input, sizeof(j.input), "%s", DIGEST_B);
	snprintf(j.profile, sizeof(j.profile), "gpu-h100-1g");
	j.timeout_ms = 4000000000u;
	snprintf(j.idem_key, sizeof(j.idem_key), "idem-\xc3\xa9-42");
	j.spec_json = xstrdup("{\"args\":[\"--n\",\"3\",\"q\\\"x\"],"
	    "\"env\":{\"K\":\"\xe2\x82\xac\"}}");
	j.attempts = 3;
	j.exit_code = 4294967295;	/* the largest u32 guest code */
	snprintf(j.reason, sizeof(j.reason), "trap:unreachable");
	snprintf(j.output, sizeof(j.output), "%s", DIGEST_C);
	snprintf(j.log, sizeof(j.log), "%s", DIGEST_B);
	j.output_bytes = UINT64_C(1) << 40;
	j.log_bytes = 12345;
	snprintf(j.slot, sizeof(j.slot), "gpu0/mig3");
	j.created_ns = CREATED_NS;
	j.started_ns = CREATED_NS + 1000;
	j.finished_ns = CREATED_NS + 2000;
	j.seq = 99;	/* ignored: assigned by the store */

	assert_int_equal(store_job_insert(fx->st, &j), 0);
	assert_int_equal(j.seq, 1);
	reopen(fx);
	assert_int_equal(store_job_get(fx->st, j.id, &g), 0);
	assert_string_equal(g.id, "job_0123456789abcdef01234567");
	assert_string_equal(g.tenant, "acme-research");
	assert_int_equal(g.state, JOB_RUNNING);
	assert_string_equal(g.module, MODULE_A);
	assert_string_equal(g.input, DIGEST_B);
	assert_string_equal(g.profile, "gpu-h100-1g");
	assert_int_equal(g.timeout_ms, 4000000000u);
	assert_string_equal(g.idem_key, "idem-\xc3\xa9-42");
	assert_non_null(g.spec_json);
	assert_string_equal(g.spec_json, j.spec_json);
	assert_int_equal(g.attempts, 3);
	assert_true(g.exit_code == 4294967295);
	assert_string_equal(g.reason, "trap:unreachable");
	assert_string_equal(g.output, DIGEST_C);
	assert_string_equal(g.log, DIGEST_B);
	assert_true(g.output_bytes == UINT64_C(1) << 40);
	assert_int_equal(g.log_bytes, 12345);
	assert_string_equal(g.slot, "gpu0/mig3");
	assert_true(g.created_ns == CREATED_NS);
	assert_true(g.started_ns == CREATED_NS + 1000);
	assert_true(g.finished_ns == CREATED_NS + 2000);
	assert_int_equal(g.seq, 1);
	job_clear(&g);
	job_clear(&j);

	/* A job without spec_json reads back as NULL, not "". */
	job_make(&j, "job_nospec", "acme-research", "");
	free(j.spec_json);
	j.spec_json = NULL;
	assert_int_equal(store_job_insert(fx->st, &j), 0);
	assert_int_equal(store_job_get(fx->st, "job_nospec", &g), 0);
	assert_null(g.spec_json);
	assert_int_equal(g.exit_code, -1);
	job_clear(&g);
	job_clear(&j);

	assert_int_equal(store_job_get(fx->st, "job_missing", &g),
	    -KILN_ENOT_FOUND);
	assert_null(g.spec_json);
}

static void
test_job_insert_invalid(void **state)
{
	struct fixture *fx = *state;
	struct job j;

	job_make(&j, "job_x", "t1", "");
	j.state = JOB_STATE_COUNT;
	assert_int_equal(store_job_insert(fx->st, &j), -EINVAL);
	j.state = JOB_PENDING;
	j.log_bytes = UINT64_MAX;
	assert_int_equal(store_job_insert(fx->st, &j), -EINVAL);
	j.log_bytes = 0;
	memset(j.slot, 'x', sizeof(j.slot));	/* not NUL-terminated */
	assert_int_equal(store_job_insert(fx->st, &j), -EINVAL);
	j.slot[0] = '\0';
	j.tenant[0] = '\0';
	assert_int_equal(store_job_insert(fx->st, &j), -EINVAL);
	snprintf(j.tenant, sizeof(j.tenant), "t1");
	/* None of those left anything behind. */
	assert_int_equal(store_job_insert(fx->st, &j), 0);
	assert_int_equal(j.seq, 1);
	job_clear(&j);
}

static void
test_job_conflicts(void **state)
{
	struct fixture *fx = *state;
	uint64_t counts[JOB_STATE_COUNT];
	struct job j;

	assert_int_equal(job_add(fx->st, "job_1", "t1", "key"), 1);

	job_make(&j, "job_1", "t2", "");
	assert_int_equal(store_job_insert(fx->st, &j), -KILN_ECONFLICT);
	job_clear(&j);
	job_make(&j, "job_2", "t1", "key");
	assert_int_equal(store_job_insert(fx->st, &j), -KILN_ECONFLICT);
	job_clear(&j);

	/* The same key in another tenant, and empty keys, are fine. */
	assert_int_equal(job_add(fx->st, "job_3", "t2", "key"), 2);
	assert_int_equal(job_add(fx->st, "job_4", "t1", ""), 3);
	assert_int_equal(job_add(fx->st, "job_5", "t1", ""), 4);

	/* A conflict inside a transaction leaves the rest of it intact. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(job_add(fx->st, "job_6", "t1", ""), 5);
	job_make(&j, "job_6", "t1", "");
	assert_int_equal(store_job_insert(fx->st, &j), -KILN_ECONFLICT);
	job_clear(&j);
	assert_int_equal(job_add(fx->st, "job_7", "t1", ""), 6);
	assert_int_equal(store_commit(fx->st), 0);

	assert_int_equal(store_job_count_states(fx->st, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 6);
	/* A rejected insert wrote no event either. */
	assert_int_equal(store_job_events(fx->st, "job_2", NULL, NULL), 0);
}

static void
test_job_find_idem(void **state)
{
	struct fixture *fx = *state;
	struct job j;

	job_add(fx->st, "job_1", "t1", "key-1");
	job_add(fx->st, "job_2", "t1", "key-2");
	job_add(fx->st, "job_3", "t2", "key-1");
	job_add(fx->st, "job_4", "t1", "");

	assert_int_equal(store_job_find_idem(fx->st, "t1", "key-2", &j), 0);
	assert_string_equal(j.id, "job_2");
	assert_int_equal(j.seq, 2);
	job_clear(&j);
	assert_int_equal(store_job_find_idem(fx->st, "t2", "key-1", &j), 0);
	assert_string_equal(j.id, "job_3");
	job_clear(&j);
	assert_int_equal(store_job_find_idem(fx->st, "t2", "key-2", &j),
	    -KILN_ENOT_FOUND);
	assert_int_equal(store_job_find_idem(fx->st, "t1", "", &j),
	    -KILN_ENOT_FOUND);
	assert_int_equal(store_job_find_idem(fx->st, "t3", "key-1", &j),
	    -KILN_ENOT_FOUND);
}

struct event_log {
	int		 n;
	enum job_state	 state[16];
	char		 reason[16][JOB_REASON_LEN];
	int64_t		 at_ns[16];
};

static int
event_collect(enum job_state st, const char *reason, int64_t at_ns,
    void *arg)
{
	struct event_log *ev = arg;

	assert_true(ev->n < 16);
	ev->state[ev->n] = st;
	snprintf(ev->reason[ev->n], JOB_REASON_LEN, "%s", reason);
	ev->at_ns[ev->n] = at_ns;
	ev->n++;
	return 0;
}

static void
test_job_update_events(void **state)
{
	struct fixture *fx = *state;
	struct event_log ev;
	struct job j, g;
	int64_t before;
	int i;

	job_make(&j, "job_1", "t1", "");
	assert_int_equal(store_job_insert(fx->st, &j), 0);
	before = now_real_ns();

	j.state = JOB_VERIFYING;
	assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
	j.state = JOB_QUEUED;
	assert_int_equal(store_job_update(fx->st, &j, "verified", 0), 0);
	j.state = JOB_SCHEDULED;
	snprintf(j.slot, sizeof(j.slot), "cpu3");
	assert_int_equal(store_job_update(fx->st, &j, "", 0), 0);
	j.state = JOB_RUNNING;
	j.started_ns = CREATED_NS + 10;
	assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
	j.state = JOB_FAILED;
	j.attempts = 1;
	j.exit_code = 9;
	snprintf(j.reason, sizeof(j.reason), "oom");
	snprintf(j.output, sizeof(j.output), "%s", DIGEST_B);
	snprintf(j.log, sizeof(j.log), "%s", DIGEST_C);
	j.output_bytes = 7;
	j.log_bytes = 8;
	j.finished_ns = CREATED_NS + 20;
	snprintf(j.isolation, sizeof(j.isolation),
	    "{\"level\":\"L2\",\"degraded\":[\"userns: EPERM\"]}");
	/* Immutable columns are not written by an update. */
	snprintf(j.module, sizeof(j.module), "%s", DIGEST_C);
	snprintf(j.profile, sizeof(j.profile), "other");
	assert_int_equal(store_job_update(fx->st, &j, "guest:oom", 0), 0);

	assert_int_equal(store_job_get(fx->st, "job_1", &g), 0);
	assert_int_equal(g.state, JOB_FAILED);
	assert_int_equal(g.attempts, 1);
	assert_int_equal(g.exit_code, 9);
	assert_string_equal(g.reason, "oom");
	assert_string_equal(g.output, DIGEST_B);
	assert_string_equal(g.log, DIGEST_C);
	assert_int_equal(g.output_bytes, 7);
	assert_int_equal(g.log_bytes, 8);
	assert_string_equal(g.slot, "cpu3");
	assert_string_equal(g.isolation,
	    "{\"level\":\"L2\",\"degraded\":[\"userns: EPERM\"]}");
	assert_true(g.created_ns == CREATED_NS);
	assert_true(g.started_ns == CREATED_NS + 10);
	assert_true(g.finished_ns == CREATED_NS + 20);
	assert_string_equal(g.module, MODULE_A);
	assert_string_equal(g.profile, "cpu-small");
	assert_int_equal(g.seq, 1);
	job_clear(&g);

	memset(&ev, 0, sizeof(ev));
	assert_int_equal(store_job_events(fx->st, "job_1", event_collect, &ev),
	    6);
	assert_int_equal(ev.n, 6);
	assert_int_equal(ev.state[0], JOB_PENDING);
	assert_string_equal(ev.reason[0], "");
	assert_true(ev.at_ns[0] == CREATED_NS);
	assert_int_equal(ev.state[1], JOB_VERIFYING);
	assert_string_equal(ev.reason[1], "");
	assert_int_equal(ev.state[2], JOB_QUEUED);
	assert_string_equal(ev.reason[2], "verified");
	assert_int_equal(ev.state[3], JOB_SCHEDULED);
	assert_string_equal(ev.reason[3], "");
	assert_int_equal(ev.state[4], JOB_RUNNING);
	assert_string_equal(ev.reason[4], "");
	assert_int_equal(ev.state[5], JOB_FAILED);
	assert_string_equal(ev.reason[5], "guest:oom");
	assert_true(ev.at_ns[1] >= before);
	for (i = 2; i < 6; i++)
		assert_true(ev.at_ns[i] >= ev.at_ns[i - 1]);
	job_clear(&j);

	/* An unknown job: not found, and no event. */
	job_make(&j, "job_nope", "t1", "");
	assert_int_equal(store_job_update(fx->st, &j, "x", 0), -KILN_ENOT_FOUND);
	assert_int_equal(store_job_events(fx->st, "job_nope", event_collect,
	    &ev), 0);
	job_clear(&j);
}

struct seen {
	int	 n;
	int64_t	 seq[64];
	char	 id[64][JOB_ID_LEN];
	int	 stop_after;	/* stop once this many, 0 never */
};

static int
seen_collect(const struct job *j, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 64);
	s->seq[s->n] = j->seq;
	snprintf(s->id[s->n], JOB_ID_LEN, "%s", j->id);
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static void
test_job_list(void **state)
{
	static const char *const queued[] = { "job_03", "job_b2", "job_17" };
	struct fixture *fx = *state;
	struct seen s;
	struct job j;
	char id[JOB_ID_LEN];
	int i, page;
	int64_t after;

	for (i = 1; i <= 25; i++) {
		snprintf(id, sizeof(id), "job_%02d", i);
		assert_int_equal(job_add(fx->st, id, "t1", ""), i);
	}

	after = 0;
	for (page = 0; page < 4; page++) {
		static const int want[4] = { 10, 10, 5, 0 };

		memset(&s, 0, sizeof(s));
		assert_int_equal(store_job_list(fx->st, "t1", -1, after, 10,
		    seen_collect, &s), want[page]);
		assert_int_equal(s.n, want[page]);
		for (i = 0; i < s.n; i++) {
			snprintf(id, sizeof(id), "job_%02d",
			    page * 10 + i + 1);
			assert_int_equal(s.seq[i], page * 10 + i + 1);
			assert_string_equal(s.id[i], id);
		}
		if (s.n > 0)
			after = s.seq[s.n - 1];
	}

	/* Another tenant's jobs interleave in seq but not in its list. */
	assert_int_equal(job_add(fx->st, "job_b1", "t2", ""), 26);
	assert_int_equal(job_add(fx->st, "job_26", "t1", ""), 27);
	assert_int_equal(job_add(fx->st, "job_b2", "t2", ""), 28);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, "t2", -1, 0, 100,
	    seen_collect, &s), 2);
	assert_int_equal(s.seq[0], 26);
	assert_int_equal(s.seq[1], 28);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, "t1", -1, 25, 100,
	    seen_collect, &s), 1);
	assert_int_equal(s.seq[0], 27);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, NULL, -1, 24, 100,
	    seen_collect, &s), 4);
	assert_int_equal(s.seq[0], 25);
	assert_int_equal(s.seq[3], 28);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, "t3", -1, 0, 100,
	    seen_collect, &s), 0);

	/* State filters, alone and with a tenant. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_job_get(fx->st, queued[i], &j), 0);
		j.state = JOB_VERIFYING;
		assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
		j.state = JOB_QUEUED;
		assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
		job_clear(&j);
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, NULL, JOB_QUEUED, 0, 100,
	    seen_collect, &s), 3);
	assert_string_equal(s.id[0], "job_03");
	assert_string_equal(s.id[1], "job_17");
	assert_string_equal(s.id[2], "job_b2");
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, "t1", JOB_QUEUED, 3, 100,
	    seen_collect, &s), 1);
	assert_string_equal(s.id[0], "job_17");
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, "t2", JOB_QUEUED, 0, 100,
	    seen_collect, &s), 1);
	assert_string_equal(s.id[0], "job_b2");
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, NULL, JOB_PENDING, 0, 100,
	    seen_collect, &s), 25);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, NULL, JOB_RUNNING, 0, 100,
	    seen_collect, &s), 0);

	/* fn stops the walk; the stopping job counts as visited. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	assert_int_equal(store_job_list(fx->st, NULL, -1, 0, 100,
	    seen_collect, &s), 3);
	assert_int_equal(s.n, 3);

	/* Bad arguments. */
	assert_int_equal(store_job_list(fx->st, NULL, JOB_STATE_COUNT, 0, 10,
	    seen_collect, &s), -EINVAL);
	assert_int_equal(store_job_list(fx->st, NULL, -1, 0, 0,
	    seen_collect, &s), 0);
}

static int
list_nested(const struct job *j, void *arg)
{
	struct store *st = arg;
	struct job g;

	/* Other calls are fine inside fn; list and events are not. */
	assert_int_equal(store_job_get(st, j->id, &g), 0);
	job_clear(&g);
	assert_int_equal(store_job_list(st, NULL, -1, 0, 10, list_nested,
	    st), -EBUSY);
	assert_int_equal(store_job_events(st, j->id, NULL, NULL), -EBUSY);
	return 0;
}

static void
test_job_list_reentry(void **state)
{
	struct fixture *fx = *state;

	job_add(fx->st, "job_1", "t1", "");
	job_add(fx->st, "job_2", "t1", "");
	assert_int_equal(store_job_list(fx->st, NULL, -1, 0, 10, list_nested,
	    fx->st), 2);
	/* And the guard is cleared afterwards. */
	assert_int_equal(store_job_events(fx->st, "job_1", NULL, NULL), 1);
}

static void
test_job_count_states(void **state)
{
	struct fixture *fx = *state;
	uint64_t counts[JOB_STATE_COUNT];
	struct job j;
	int i;

	assert_int_equal(store_job_count_states(fx->st, counts), 0);
	for (i = 0; i < JOB_STATE_COUNT; i++)
		assert_int_equal(counts[i], 0);

	job_add(fx->st, "job_1", "t1", "");
	job_add(fx->st, "job_2", "t1", "");
	job_add(fx->st, "job_3", "t2", "");
	job_add(fx->st, "job_4", "t2", "");
	job_add(fx->st, "job_5", "t3", "");
	job_add(fx->st, "job_6", "t3", "");
	assert_int_equal(store_job_get(fx->st, "job_2", &j), 0);
	j.state = JOB_QUEUED;
	assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
	job_clear(&j);
	assert_int_equal(store_job_get(fx->st, "job_3", &j), 0);
	j.state = JOB_QUEUED;
	assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
	job_clear(&j);
	assert_int_equal(store_job_get(fx->st, "job_5", &j), 0);
	j.state = JOB_DEAD_LETTER;
	assert_int_equal(store_job_update(fx->st, &j, NULL, 0), 0);
	job_clear(&j);

	assert_int_equal(store_job_count_states(fx->st, counts), 0);
	for (i = 0; i < JOB_STATE_COUNT; i++) {
		uint64_t want = i == JOB_PENDING ? 3 : i == JOB_QUEUED ? 2 :
		    i == JOB_DEAD_LETTER ? 1 : 0;

		assert_int_equal(counts[i], want);
	}
}

static void
test_rollback(void **state)
{
	struct fixture *fx = *state;
	uint64_t counts[JOB_STATE_COUNT];
	struct job j;

	job_add(fx->st, "job_0", "t1", "");
	assert_int_equal(store_begin(fx->st), 0);
	job_add(fx->st, "job_1", "t1", "k");
	assert_int_equal(store_job_get(fx->st, "job_0", &j), 0);
	j.state = JOB_VERIFYING;
	assert_int_equal(store_job_update(fx->st, &j, "x", 0), 0);
	job_clear(&j);
	/* Visible inside the transaction... */
	assert_int_equal(store_job_get(fx->st, "job_1", &j), 0);
	job_clear(&j);
	assert_int_equal(store_module_put(fx->st, "t1", DIGEST_B, 10,
	    MODULE_WASM), 1);
	assert_int_equal(store_rollback(fx->st), 0);

	/* ...and gone after the rollback, with its events. */
	assert_int_equal(store_job_get(fx->st, "job_1", &j), -KILN_ENOT_FOUND);
	assert_int_equal(store_job_find_idem(fx->st, "t1", "k", &j),
	    -KILN_ENOT_FOUND);
	assert_int_equal(store_job_get(fx->st, "job_0", &j), 0);
	assert_int_equal(j.state, JOB_PENDING);
	job_clear(&j);
	assert_int_equal(store_job_events(fx->st, "job_0", NULL, NULL), 1);
	assert_int_equal(store_job_events(fx->st, "job_1", NULL, NULL), 0);
	assert_int_equal(store_module_kind(fx->st, "t1", DIGEST_B), 0);
	assert_int_equal(store_job_count_states(fx->st, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 1);

	/* Transactions do not nest, and there is nothing to end now. */
	assert_int_equal(store_rollback(fx->st), -EIO);
	assert_int_equal(store_commit(fx->st), -EIO);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_begin(fx->st), -EIO);
	assert_int_equal(store_rollback(fx->st), 0);
}

static void
test_txn_256(void **state)
{
	struct fixture *fx = *state;
	uint64_t counts[JOB_STATE_COUNT];
	char id[JOB_ID_LEN];
	struct seen s;
	int i, n;
	int64_t after;

	assert_int_equal(store_begin(fx->st), 0);
	for (i = 1; i <= 256; i++) {
		snprintf(id, sizeof(id), "job_%04d", i);
		assert_int_equal(job_add(fx->st, id, "t1", id), i);
	}
	assert_int_equal(store_commit(fx->st), 0);
	reopen(fx);

	assert_int_equal(store_job_count_states(fx->st, counts), 0);
	assert_int_equal(counts[JOB_PENDING], 256);
	after = 0;
	n = 0;
	for (;;) {
		memset(&s, 0, sizeof(s));
		if (store_job_list(fx->st, "t1", JOB_PENDING, after, 64,
		    seen_collect, &s) == 0)
			break;
		for (i = 0; i < s.n; i++)
			assert_int_equal(s.seq[i], ++n);
		after = s.seq[s.n - 1];
	}
	assert_int_equal(n, 256);
}

static void
test_tenant_module(void **state)
{
	struct fixture *fx = *state;
	char longname[JOB_TENANT_LEN + 8];
	sqlite3 *db;

	assert_int_equal(store_tenant_ensure(fx->st, "t1"), 0);
	assert_int_equal(store_tenant_ensure(fx->st, "t1"), 0);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(store_tenant_ensure(fx->st, longname), -EINVAL);
	assert_int_equal(store_tenant_ensure(fx->st, ""), -EINVAL);

	assert_int_equal(store_module_kind(fx->st, "t1", MODULE_A), 0);
	assert_int_equal(store_module_put(fx->st, "t1", MODULE_A, 1234,
	    MODULE_WASM), 1);
	assert_int_equal(store_module_put(fx->st, "t1", MODULE_A, 1234,
	    MODULE_WASM), 0);
	assert_int_equal(store_module_kind(fx->st, "t1", MODULE_A),
	    MODULE_WASM);
	assert_int_equal(store_module_kind(fx->st, "t2", MODULE_A), 0);
	/* The tenant is recorded with its first module. */
	assert_int_equal(store_module_put(fx->st, "t2", MODULE_A, 1234,
	    MODULE_NATIVE), 1);
	assert_int_equal(store_module_kind(fx->st, "t2", MODULE_A),
	    MODULE_NATIVE);
	assert_int_equal(store_module_put(fx->st, "t1", "sha256:abc", 1,
	    MODULE_WASM), -EINVAL);
	assert_int_equal(store_module_put(fx->st, "t1", MODULE_A, 1, 3),
	    -EINVAL);

	db = raw_open(fx->dir);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM tenants"), 2);
	assert_int_equal(raw_int(db, "SELECT size FROM modules WHERE"
	    " tenant = 't2'"), 1234);
	sqlite3_close(db);
}

/* A version 1 journal is migrated: its modules are WebAssembly. */
static void
test_schema_migrate_v1(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db;

	store_close(fx->st);
	fx->st = NULL;
	db = raw_open(fx->dir);
	raw_exec(db, "DROP TABLE modules;"
	    " CREATE TABLE modules (tenant TEXT NOT NULL REFERENCES"
	    " tenants(name), digest TEXT NOT NULL, size INTEGER NOT NULL,"
	    " created_ns INTEGER NOT NULL, PRIMARY KEY (tenant, digest));"
	    " INSERT INTO tenants VALUES ('t1', 1);"
	    " INSERT INTO modules VALUES ('t1', '" MODULE_A "', 7, 1);"
	    " PRAGMA user_version = 1");
	sqlite3_close(db);
	reopen(fx);
	assert_int_equal(store_module_kind(fx->st, "t1", MODULE_A),
	    MODULE_WASM);
	db = raw_open(fx->dir);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	sqlite3_close(db);
}

/* Values the store did not write are refused, never overflowed. */
static void
test_job_malformed_rows(void **state)
{
	struct fixture *fx = *state;
	uint64_t counts[JOB_STATE_COUNT];
	struct seen s;
	struct job j;
	sqlite3 *db;

	job_add(fx->st, "job_1", "t1", "");
	job_add(fx->st, "job_2", "t1", "");
	job_add(fx->st, "job_3", "t1", "");
	db = raw_open(fx->dir);
	raw_exec(db, "UPDATE jobs SET slot = 'abcdefghijklmnopqrstuvwxyz"
	    "0123456789' WHERE id = 'job_1'");
	raw_exec(db, "UPDATE jobs SET exit_code = 1099511627776"
	    " WHERE id = 'job_2'");
	raw_exec(db, "UPDATE jobs SET state = 'BOGUS' WHERE id = 'job_3'");
	sqlite3_close(db);

	assert_int_equal(store_job_get(fx->st, "job_1", &j), -EIO);
	assert_null(j.spec_json);
	assert_int_equal(store_job_get(fx->st, "job_2", &j), -EIO);
	assert_int_equal(store_job_get(fx->st, "job_3", &j), -EIO);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_job_list(fx->st, NULL, -1, 0, 10,
	    seen_collect, &s), -EIO);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_job_count_states(fx->st, counts), -EIO);
}

static void
test_schema_refused(void **state)
{
	struct fixture *fx = *state;
	struct store *st = NULL;
	char *path, junk[4096];
	sqlite3 *db;
	int fd;

	store_close(fx->st);
	fx->st = NULL;
	db = raw_open(fx->dir);
	raw_exec(db, "PRAGMA user_version = 3");
	sqlite3_close(db);
	assert_int_equal(store_open(fx->dir, &st), -KILN_ECONFIG);
	assert_null(st);
	db = raw_open(fx->dir);
	raw_exec(db, "PRAGMA user_version = 2");
	sqlite3_close(db);
	reopen(fx);
	store_close(fx->st);
	fx->st = NULL;

	/* A database that is someone else's. */
	path = xasprintf("%s/kiln.db", fx->dir);
	assert_int_equal(unlink(path), 0);
	db = raw_open(fx->dir);
	raw_exec(db, "CREATE TABLE foo (x)");
	sqlite3_close(db);
	assert_int_equal(store_open(fx->dir, &st), -KILN_ECONFIG);

	/* Not a database at all. */
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(fd_write_all(fd, junk, sizeof(junk)), 0);
	close(fd);
	assert_int_equal(store_open(fx->dir, &st), -KILN_ECONFIG);
	assert_null(st);
	free(path);

	/* A missing parent directory is an errno. */
	assert_int_equal(store_open("/nonexistent-kiln/x", &st), -ENOENT);
}

/*
 * The writer of test_durability_sigkill: inserts jobs in batches of 16,
 * and after each commit returns writes the committed ids to wfd.
 */
static void __attribute__((noreturn))
writer_child(const char *dir, int round, int wfd)
{
	char ids[16][JOB_ID_LEN];
	struct store *st;
	struct job j;
	int batch, i;

	if (store_open(dir, &st) != 0)
		_exit(2);
	for (batch = 0;; batch++) {
		if (store_begin(st) != 0)
			_exit(3);
		for (i = 0; i < 16; i++) {
			snprintf(ids[i], JOB_ID_LEN, "job_%d_%06d", round,
			    batch * 16 + i);
			job_make(&j, ids[i], i % 2 ? "t1" : "t2", ids[i]);
			if (store_job_insert(st, &j) != 0)
				_exit(4);
			job_clear(&j);
		}
		if (store_commit(st) != 0)
			_exit(5);
		if (fd_write_all(wfd, ids, sizeof(ids)) != 0)
			_exit(6);
	}
}

static void
test_durability_sigkill(void **state)
{
	static const int kill_after[] = { 64, 160, 333 };
	struct fixture *fx = *state;
	char (*acked)[JOB_ID_LEN] = NULL;
	char buf[64];
	size_t nacked = 0, cap = 0, k;
	int round, p[2], status, rc;
	struct job j;
	sqlite3 *db;
	pid_t pid;

	store_close(fx->st);
	fx->st = NULL;
	for (round = 0; round < 3; round++) {
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			writer_child(fx->dir, round, p[1]);
		}
		close(p[1]);
		for (k = 0;; k++) {
			if (nacked == cap) {
				cap = cap ? cap * 2 : 256;
				acked = xrealloc(acked, cap * JOB_ID_LEN);
			}
			rc = fd_read_all(p[0], acked[nacked], JOB_ID_LEN);
			if (rc == -EPIPE)
				break;
			assert_int_equal(rc, 0);
			nacked++;
			/* Kill it at a point unrelated to its batches. */
			if ((int)k + 1 == kill_after[round])
				assert_int_equal(kill(pid, SIGKILL), 0);
		}
		close(p[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
	}
	assert_true(nacked >= 64 + 160 + 333);

	db = raw_open(fx->dir);
	raw_text(db, "PRAGMA integrity_check", buf, sizeof(buf));
	assert_string_equal(buf, "ok");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM"
	    " pragma_foreign_key_check"), 0);
	sqlite3_close(db);

	reopen(fx);
	for (k = 0; k < nacked; k++) {
		if (store_job_get(fx->st, acked[k], &j) != 0)
			fail_msg("acknowledged job %s lost", acked[k]);
		assert_string_equal(j.idem_key, acked[k]);
		job_clear(&j);
		assert_int_equal(store_job_events(fx->st, acked[k], NULL, NULL),
		    1);
	}
	free(acked);
}

/* Every entry under DIR/blobs must be <2 hex>/<62 hex>, nothing else. */
static int blob_entries;

static int
blob_entry_check(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	const char *name = path + ftw->base;
	size_t i, want;

	(void)sb;
	if (ftw->level == 0)
		return 0;
	want = ftw->level == 1 ? 2 : 62;
	if (ftw->level > 2 || strlen(name) != want ||
	    (ftw->level == 1) != (flag == FTW_D))
		fail_msg("unexpected entry in blobs: %s", path);
	for (i = 0; i < want; i++)
		if (!strchr("0123456789abcdef", name[i]))
			fail_msg("unexpected entry in blobs: %s", path);
	if (ftw->level == 2)
		blob_entries++;
	return 0;
}

static void
blobs_clean(struct fixture *fx, int want_files)
{
	char *path = xasprintf("%s/blobs", fx->dir);

	blob_entries = 0;
	assert_int_equal(nftw(path, blob_entry_check, 16, FTW_PHYS), 0);
	assert_int_equal(blob_entries, want_files);
	free(path);
}

static void
test_blob_roundtrip(void **state)
{
	struct fixture *fx = *state;
	char digest[JOB_DIGEST_LEN], path[PATH_MAX], *want;
	struct stat sb1, sb2;
	uint8_t *data;
	size_t len;
	int fd;

	assert_int_equal(store_blob_put(fx->st, "abc", 3, digest), 0);
	assert_string_equal(digest, SHA256_ABC);
	assert_int_equal(store_blob_path(fx->st, digest, path, sizeof(path)),
	    0);
	want = xasprintf("%s/blobs/ba/7816bf8f01cfea414140de5dae2223b00361a3"
	    "96177a9cb410ff61f20015ad", fx->dir);
	/* fx->dir is already canonical under /tmp. */
	assert_string_equal(path, want);
	free(want);
	assert_int_equal(stat(path, &sb1), 0);
	assert_true(S_ISREG(sb1.st_mode));
	assert_int_equal(sb1.st_size, 3);
	assert_int_equal(sb1.st_mode & 07777, 0400);

	fd = store_blob_open(fx->st, SHA256_ABC);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(fd_slurp(fd, 1024, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	free(data);
	close(fd);

	/* Putting it again changes nothing. */
	assert_int_equal(store_blob_put(fx->st, "abc", 3, digest), 0);
	assert_string_equal(digest, SHA256_ABC);
	assert_int_equal(stat(path, &sb2), 0);
	assert_int_equal(sb1.st_ino, sb2.st_ino);
	assert_true(sb1.st_mtim.tv_sec == sb2.st_mtim.tv_sec &&
	    sb1.st_mtim.tv_nsec == sb2.st_mtim.tv_nsec);

	/* The empty blob is a blob too. */
	assert_int_equal(store_blob_put(fx->st, "", 0, digest), 0);
	assert_string_equal(digest, SHA256_EMPTY);
	fd = store_blob_open(fx->st, SHA256_EMPTY);
	assert_true(fd >= 0);
	assert_int_equal(fd_slurp(fd, 16, &data, &len), 0);
	assert_int_equal(len, 0);
	free(data);
	close(fd);

	blobs_clean(fx, 2);
	reopen(fx);
	fd = store_blob_open(fx->st, SHA256_ABC);
	assert_true(fd >= 0);
	close(fd);
}

static void
test_blob_large_and_damaged(void **state)
{
	struct fixture *fx = *state;
	char digest[JOB_DIGEST_LEN], again[JOB_DIGEST_LEN], path[PATH_MAX];
	size_t n = 3 * 1024 * 1024 + 17, i, len;
	uint8_t *big, *data;
	int fd;

	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(store_blob_put(fx->st, big, n, digest), 0);
	assert_int_equal(store_digest_check(digest), 0);

	/* Cut the file short: the next put replaces it whole. */
	assert_int_equal(store_blob_path(fx->st, digest, path, sizeof(path)),
	    0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(store_blob_put(fx->st, big, n, again), 0);
	assert_string_equal(again, digest);
	fd = store_blob_open(fx->st, digest);
	assert_true(fd >= 0);
	assert_int_equal(fd_slurp(fd, n, &data, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(data, big, n);
	free(data);
	close(fd);
	free(big);
	blobs_clean(fx, 1);
}

static void
test_blob_digests(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	assert_int_equal(store_digest_check(SHA256_ABC), 0);
	assert_int_equal(store_digest_check(DIGEST_C), 0);
	assert_int_equal(store_digest_check("sha256:"
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
	    -EINVAL);
	assert_int_equal(store_digest_check("sha256:"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"),
	    -EINVAL);
	assert_int_equal(store_digest_check("sha256:"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	    "0"),
	    -EINVAL);
	assert_int_equal(store_digest_check("sha512:"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    -EINVAL);
	assert_int_equal(store_digest_check("SHA256:"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    -EINVAL);
	assert_int_equal(store_digest_check("sha256:"
	    "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    -EINVAL);
	assert_int_equal(store_digest_check("sha256:../../../../etc/passwd"),
	    -EINVAL);
	assert_int_equal(store_digest_check(
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    -EINVAL);
	assert_int_equal(store_digest_check(""), -EINVAL);
	assert_int_equal(store_digest_check(NULL), -EINVAL);

	assert_int_equal(store_blob_open(fx->st, "sha256:abc"), -EINVAL);
	assert_int_equal(store_blob_open(fx->st, "sha256:../kiln.db"),
	    -EINVAL);
	assert_int_equal(store_blob_path(fx->st, "sha256:abc", path,
	    sizeof(path)), -EINVAL);
	assert_int_equal(store_blob_open(fx->st, SHA256_ABC), -ENOENT);
	assert_int_equal(store_blob_path(fx->st, SHA256_ABC, path, 40),
	    -ENAMETOOLONG);
	blobs_clean(fx, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_schema_reopen),
		T(test_job_roundtrip),
		T(test_job_insert_invalid),
		T(test_job_conflicts),
		T(test_job_find_idem),
		T(test_job_update_events),
		T(test_job_list),
		T(test_job_list_reentry),
		T(test_job_count_states),
		T(test_rollback),
		T(test_txn_256),
		T(test_tenant_module),
		T(test_job_malformed_rows),
		T(test_schema_refused),
		T(test_schema_migrate_v1),
		T(test_durability_sigkill),
		T(test_blob_roundtrip),
		T(test_blob_large_and_damaged),
		T(test_blob_digests),
	};

	log_init("test_store", 0);
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
