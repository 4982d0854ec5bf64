/*
 * The SQLite journal backend (store_sqlite_ops, see store_int.h): one
 * database, DIR/kiln.db, in WAL mode with synchronous=FULL, holding
 * tenants, modules, jobs and every job state transition.  This file owns
 * the schema, its version (PRAGMA user_version) and every SQL statement,
 * each prepared once at open and reset after use.  It is used by one
 * thread; the caller batches writes between store_begin() and
 * store_commit() (group commit) and acknowledges nothing before the commit
 * returns.  Only the ops table is exported; blob files are store_blob.c's
 * business and struct store is store.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kiln/error.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "store_int.h"

#define STORE_SCHEMA_VERSION	2
#define STORE_APPLICATION_ID	0x4b494c4e	/* "KILN" */
#define STORE_BUSY_TIMEOUT_MS	5000

/* The backend's state: what store_sqlite_ops' open returns. */
struct sqlite_journal {
	sqlite3		 *db;		/* DIR/kiln.db, WAL, synchronous=FULL */
	sqlite3_stmt	**stmt;		/* every statement, prepared at open */
	char		 *dir;		/* DIR as given */
	int		  iterating;	/* inside a list or events callback */
	int		  txn_wanted;	/* begin called, not yet ended */
	int		  txn_open;	/* ... and BEGIN IMMEDIATE has run */
};

static const char schema_v1[] =
	"CREATE TABLE tenants ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" created_ns INTEGER NOT NULL);"
	"CREATE TABLE modules ("
	" tenant TEXT NOT NULL REFERENCES tenants(name),"
	" digest TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" created_ns INTEGER NOT NULL,"
	" PRIMARY KEY (tenant, digest));"
	"CREATE TABLE jobs ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" tenant TEXT NOT NULL REFERENCES tenants(name),"
	" state TEXT NOT NULL,"
	" module TEXT NOT NULL,"
	" input TEXT NOT NULL,"
	" profile TEXT NOT NULL,"
	" timeout_ms INTEGER NOT NULL,"
	" idem_key TEXT NOT NULL,"
	" spec_json TEXT,"
	" attempts INTEGER NOT NULL,"
	" exit_code INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" output TEXT NOT NULL,"
	" log TEXT NOT NULL,"
	" output_bytes INTEGER NOT NULL,"
	" log_bytes INTEGER NOT NULL,"
	" slot TEXT NOT NULL,"
	" created_ns INTEGER NOT NULL,"
	" started_ns INTEGER NOT NULL,"
	" finished_ns INTEGER NOT NULL,"
	" isolation TEXT NOT NULL);"
	"CREATE UNIQUE INDEX jobs_tenant_idem ON jobs(tenant, idem_key)"
	" WHERE idem_key != '';"
	"CREATE INDEX jobs_tenant_seq ON jobs(tenant, seq);"
	"CREATE INDEX jobs_state_seq ON jobs(state, seq);"
	"CREATE TABLE job_events ("
	" seq INTEGER PRIMARY KEY,"
	" job_id TEXT NOT NULL REFERENCES jobs(id),"
	" state TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" at_ns INTEGER NOT NULL);"
	"CREATE INDEX job_events_job ON job_events(job_id, seq);";

/* Version 2: native modules; every module of version 1 was WebAssembly. */
static const char schema_v2[] =
	"ALTER TABLE modules ADD COLUMN kind INTEGER NOT NULL DEFAULT 1;";

/*
 * The columns of a job, in the order job_read() expects them.  Statements
 * that write a job number their parameters after the same fields, so that
 * job_bind() serves both INSERT and UPDATE: ?1 id, ?2 tenant, ?3 state,
 * ?4 module, ?5 input, ?6 profile, ?7 timeout_ms, ?8 idem_key, ?9 spec_json,
 * ?10 attempts, ?11 exit_code, ?12 reason, ?13 output, ?14 log,
 * ?15 output_bytes, ?16 log_bytes, ?17 slot, ?18 created_ns, ?19 started_ns,
 * ?20 finished_ns, ?21 isolation.
 */
#define JOB_COLS							\
	"seq, id, tenant, state, module, input, profile, timeout_ms,"	\
	" idem_key, spec_json, attempts, exit_code, reason, output, log," \
	" output_bytes, log_bytes, slot, created_ns, started_ns, finished_ns," \
	" isolation"

enum job_col {
	COL_SEQ, COL_ID, COL_TENANT, COL_STATE, COL_MODULE, COL_INPUT,
	COL_PROFILE, COL_TIMEOUT_MS, COL_IDEM_KEY, COL_SPEC_JSON, COL_ATTEMPTS,
	COL_EXIT_CODE, COL_REASON, COL_OUTPUT, COL_LOG, COL_OUTPUT_BYTES,
	COL_LOG_BYTES, COL_SLOT, COL_CREATED_NS, COL_STARTED_NS,
	COL_FINISHED_NS, COL_ISOLATION
};

/* The list statements are ST_JOB_LIST + (tenant ? 1 : 0) + (state ? 2 : 0). */
enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_TENANT_ENSURE,
	ST_MODULE_PUT,
	ST_MODULE_KIND,
	ST_JOB_INSERT,
	ST_JOB_UPDATE,
	ST_JOB_GET,
	ST_JOB_FIND_IDEM,
	ST_JOB_LIST,
	ST_JOB_LIST_TENANT,
	ST_JOB_LIST_STATE,
	ST_JOB_LIST_TENANT_STATE,
	ST_JOB_COUNT_STATES,
	ST_EVENT_INSERT,
	ST_EVENT_LIST,
	ST_COUNT
};

/* List statements bind ?1 tenant, ?2 state, ?3 after_seq, ?4 limit. */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT store_write",
	[ST_RELEASE] = "RELEASE store_write",
	[ST_ROLLBACK_TO] = "ROLLBACK TO store_write",
	[ST_TENANT_ENSURE] = "INSERT INTO tenants (name, created_ns)"
	    " VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
	[ST_MODULE_PUT] = "INSERT INTO modules (tenant, digest, size,"
	    " created_ns, kind) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (tenant, digest) DO NOTHING",
	[ST_MODULE_KIND] = "SELECT kind FROM modules"
	    " WHERE tenant = ?1 AND digest = ?2",
	[ST_JOB_INSERT] = "INSERT INTO jobs (id, tenant, state, module, input,"
	    " profile, timeout_ms, idem_key, spec_json, attempts, exit_code,"
	    " reason, output, log, output_bytes, log_bytes, slot, created_ns,"
	    " started_ns, finished_ns, isolation) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	    " ?20, ?21)",
	[ST_JOB_UPDATE] = "UPDATE jobs SET state = ?3, attempts = ?10,"
	    " exit_code = ?11, reason = ?12, output = ?13, log = ?14,"
	    " output_bytes = ?15, log_bytes = ?16, slot = ?17,"
	    " created_ns = ?18, started_ns = ?19, finished_ns = ?20,"
	    " isolation = ?21 WHERE id = ?1",
	[ST_JOB_GET] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	[ST_JOB_FIND_IDEM] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE tenant = ?1 AND idem_key = ?2 AND idem_key != ''",
	[ST_JOB_LIST] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE seq > ?3 ORDER BY seq LIMIT ?4",
	[ST_JOB_LIST_TENANT] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE tenant = ?1 AND seq > ?3 ORDER BY seq LIMIT ?4",
	[ST_JOB_LIST_STATE] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE state = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
	[ST_JOB_LIST_TENANT_STATE] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE tenant = ?1 AND state = ?2 AND seq > ?3"
	    " ORDER BY seq LIMIT ?4",
	[ST_JOB_COUNT_STATES] = "SELECT state, count(*) FROM jobs"
	    " GROUP BY state",
	[ST_EVENT_INSERT] = "INSERT INTO job_events (job_id, state, reason,"
	    " at_ns) VALUES (?1, ?2, ?3, ?4)",
	[ST_EVENT_LIST] = "SELECT state, reason, at_ns FROM job_events"
	    " WHERE job_id = ?1 ORDER BY seq",
};

/* Logs what SQLite said about a failure and returns -EIO. */
static int
db_fail(struct sqlite_journal *jr, const char *what)
{
	log_warnx("store: %s: %s (%d)", what, sqlite3_errmsg(jr->db),
	    sqlite3_extended_errcode(jr->db));
	return -EIO;
}

/*
 * Steps a statement that returns no rows, then resets it.  Returns the
 * extended SQLite code of the step (SQLITE_DONE on success).
 */
static int
stmt_exec(struct sqlite_journal *jr, enum stmt i)
{
	sqlite3_stmt *s = jr->stmt[i];
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		rc = sqlite3_extended_errcode(jr->db);
	sqlite3_reset(s);
	return rc;
}

/* stmt_exec() for statements whose only failure is -EIO. */
static int
stmt_exec_io(struct sqlite_journal *jr, enum stmt i, const char *what)
{
	if (stmt_exec(jr, i) != SQLITE_DONE)
		return db_fail(jr, what);
	return 0;
}

/* Binds a NUL-terminated field of at most len bytes; -EINVAL if longer. */
static int
bind_field(sqlite3_stmt *s, int idx, const char *v, size_t len)
{
	size_t n = strnlen(v, len);

	if (n == len)
		return -EINVAL;
	if (sqlite3_bind_text(s, idx, v, (int)n, SQLITE_STATIC) != SQLITE_OK)
		return -EIO;
	return 0;
}

static int
bind_int64(sqlite3_stmt *s, int idx, int64_t v)
{
	if (sqlite3_bind_int64(s, idx, v) != SQLITE_OK)
		return -EIO;
	return 0;
}

/* Copies a TEXT column into dst[len]; a NULL or too long value is -EIO. */
static int
col_field(sqlite3_stmt *s, int col, char *dst, size_t len)
{
	const unsigned char *p;
	int n;

	if (sqlite3_column_type(s, col) != SQLITE_TEXT)
		return -EIO;
	p = sqlite3_column_text(s, col);
	n = sqlite3_column_bytes(s, col);
	if (p == NULL || n < 0 || (size_t)n >= len)
		return -EIO;
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return 0;
}

/* An INTEGER column within [min, max] into *out; anything else is -EIO. */
static int
col_int(sqlite3_stmt *s, int col, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(s, col) != SQLITE_INTEGER)
		return -EIO;
	v = sqlite3_column_int64(s, col);
	if (v < min || v > max)
		return -EIO;
	*out = v;
	return 0;
}

/* A state name column, parsed; -EIO for a name job.c does not know. */
static int
col_state(sqlite3_stmt *s, int col, enum job_state *out)
{
	char name[32];
	int state;

	if (col_field(s, col, name, sizeof(name)) < 0)
		return -EIO;
	if ((state = job_state_parse(name)) < 0)
		return -EIO;
	*out = (enum job_state)state;
	return 0;
}

/* Binds every field of j after the numbering described at JOB_COLS. */
static int
job_bind(sqlite3_stmt *s, const struct job *j)
{
	const char *state;
	int rc;

	if ((state = job_state_name(j->state)) == NULL ||
	    j->exit_code < -1 || j->exit_code > UINT32_MAX ||
	    j->output_bytes > INT64_MAX || j->log_bytes > INT64_MAX)
		return -EINVAL;
	if ((rc = bind_field(s, 1, j->id, sizeof(j->id))) < 0 ||
	    (rc = bind_field(s, 2, j->tenant, sizeof(j->tenant))) < 0 ||
	    (rc = bind_field(s, 3, state, strlen(state) + 1)) < 0 ||
	    (rc = bind_field(s, 4, j->module, sizeof(j->module))) < 0 ||
	    (rc = bind_field(s, 5, j->input, sizeof(j->input))) < 0 ||
	    (rc = bind_field(s, 6, j->profile, sizeof(j->profile))) < 0 ||
	    (rc = bind_int64(s, 7, j->timeout_ms)) < 0 ||
	    (rc = bind_field(s, 8, j->idem_key, sizeof(j->idem_key))) < 0 ||
	    (rc = bind_int64(s, 10, j->attempts)) < 0 ||
	    (rc = bind_int64(s, 11, j->exit_code)) < 0 ||
	    (rc = bind_field(s, 12, j->reason, sizeof(j->reason))) < 0 ||
	    (rc = bind_field(s, 13, j->output, sizeof(j->output))) < 0 ||
	    (rc = bind_field(s, 14, j->log, sizeof(j->log))) < 0 ||
	    (rc = bind_int64(s, 15, (int64_t)j->output_bytes)) < 0 ||
	    (rc = bind_int64(s, 16, (int64_t)j->log_bytes)) < 0 ||
	    (rc = bind_field(s, 17, j->slot, sizeof(j->slot))) < 0 ||
	    (rc = bind_int64(s, 18, j->created_ns)) < 0 ||
	    (rc = bind_int64(s, 19, j->started_ns)) < 0 ||
	    (rc = bind_int64(s, 20, j->finished_ns)) < 0 ||
	    (rc = bind_field(s, 21, j->isolation, sizeof(j->isolation))) < 0)
		return rc;
	if (j->spec_json == NULL)
		rc = sqlite3_bind_null(s, 9);
	else
		rc = sqlite3_bind_text(s, 9, j->spec_json, -1, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : -EIO;
}

/*
 * Reads the current row (columns JOB_COLS) into *j, which the caller has
 * zeroed.  On failure j owns nothing.  0 or -EIO.
 */
static int
job_read(sqlite3_stmt *s, struct job *j)
{
	const unsigned char *spec;
	int64_t v;
	int n;

	if (col_int(s, COL_SEQ, 1, INT64_MAX, &j->seq) < 0 ||
	    col_field(s, COL_ID, j->id, sizeof(j->id)) < 0 ||
	    col_field(s, COL_TENANT, j->tenant, sizeof(j->tenant)) < 0 ||
	    col_state(s, COL_STATE, &j->state) < 0 ||
	    col_field(s, COL_MODULE, j->module, sizeof(j->module)) < 0 ||
	    col_field(s, COL_INPUT, j->input, sizeof(j->input)) < 0 ||
	    col_field(s, COL_PROFILE, j->profile, sizeof(j->profile)) < 0 ||
	    col_field(s, COL_IDEM_KEY, j->idem_key, sizeof(j->idem_key)) < 0 ||
	    col_field(s, COL_REASON, j->reason, sizeof(j->reason)) < 0 ||
	    col_field(s, COL_OUTPUT, j->output, sizeof(j->output)) < 0 ||
	    col_field(s, COL_LOG, j->log, sizeof(j->log)) < 0 ||
	    col_field(s, COL_SLOT, j->slot, sizeof(j->slot)) < 0 ||
	    col_field(s, COL_ISOLATION, j->isolation,
	    sizeof(j->isolation)) < 0 ||
	    col_int(s, COL_CREATED_NS, INT64_MIN, INT64_MAX,
	    &j->created_ns) < 0 ||
	    col_int(s, COL_STARTED_NS, INT64_MIN, INT64_MAX,
	    &j->started_ns) < 0 ||
	    col_int(s, COL_FINISHED_NS, INT64_MIN, INT64_MAX,
	    &j->finished_ns) < 0)
		return -EIO;
	if (col_int(s, COL_TIMEOUT_MS, 0, UINT32_MAX, &v) < 0)
		return -EIO;
	j->timeout_ms = (uint32_t)v;
	if (col_int(s, COL_ATTEMPTS, 0, UINT32_MAX, &v) < 0)
		return -EIO;
	j->attempts = (uint32_t)v;
	if (col_int(s, COL_EXIT_CODE, -1, UINT32_MAX, &v) < 0)
		return -EIO;
	j->exit_code = v;
	if (col_int(s, COL_OUTPUT_BYTES, 0, INT64_MAX, &v) < 0)
		return -EIO;
	j->output_bytes = (uint64_t)v;
	if (col_int(s, COL_LOG_BYTES, 0, INT64_MAX, &v) < 0)
		return -EIO;
	j->log_bytes = (uint64_t)v;

	switch (sqlite3_column_type(s, COL_SPEC_JSON)) {
	case SQLITE_NULL:
		j->spec_json = NULL;
		break;
	case SQLITE_TEXT:
		spec = sqlite3_column_text(s, COL_SPEC_JSON);
		n = sqlite3_column_bytes(s, COL_SPEC_JSON);
		if (spec == NULL || n < 0)
			return -EIO;
		j->spec_json = xmalloc((size_t)n + 1);
		memcpy(j->spec_json, spec, (size_t)n);
		j->spec_json[n] = '\0';
		break;
	default:
		return -EIO;
	}
	return 0;
}

/*
 * The transaction store_begin asked for, begun at the first write: a loop
 * turn that only reads takes no write lock and commits nothing.
 */
static int
txn_touch(struct sqlite_journal *jr)
{
	int rc;

	if (!jr->txn_wanted || jr->txn_open)
		return 0;
	if ((rc = stmt_exec_io(jr, ST_BEGIN, "begin")) == 0)
		jr->txn_open = 1;
	return rc;
}

/*
 * Makes a multi-statement write atomic on its own: outside a transaction
 * the savepoint is one (committed by sp_end), inside store_begin it nests.
 */
static int
sp_begin(struct sqlite_journal *jr)
{
	int rc;

	if ((rc = txn_touch(jr)) < 0)
		return rc;
	return stmt_exec_io(jr, ST_SAVEPOINT, "savepoint");
}

/* Releases the savepoint when rc >= 0, undoes it otherwise; returns rc. */
static int
sp_end(struct sqlite_journal *jr, int rc)
{
	if (rc >= 0 && stmt_exec(jr, ST_RELEASE) == SQLITE_DONE)
		return rc;
	if (rc >= 0)
		rc = db_fail(jr, "release");
	/* Both are no-ops when a failed RELEASE already ended everything. */
	(void)stmt_exec(jr, ST_ROLLBACK_TO);
	(void)stmt_exec(jr, ST_RELEASE);
	return rc;
}

/* Reads one integer from a pragma such as "PRAGMA user_version". */
static int
pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	} else
		rc = sqlite3_extended_errcode(db);
	sqlite3_finalize(s);
	return rc;
}

/*
 * Decides whether the database is ours: an empty one (nothing in the
 * schema, user_version 0) is to be created, one with our application id
 * and a version we know is to be used.  Returns 0 with *version set,
 * -KILN_ECONFIG for a foreign, newer or corrupt-headed file, or -EIO.
 */
static int
schema_check(struct sqlite_journal *jr, int64_t *version)
{
	int64_t app_id = 0, objects = 0;
	int rc;

	rc = pragma_int(jr->db, "PRAGMA user_version", version);
	if (rc == SQLITE_OK)
		rc = pragma_int(jr->db, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = pragma_int(jr->db, "SELECT count(*) FROM sqlite_master",
		    &objects);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		log_warnx("store: %s/kiln.db is not a database", jr->dir);
		return -KILN_ECONFIG;
	}
	if (rc != SQLITE_OK)
		return db_fail(jr, "schema check");
	if (*version == 0 && objects == 0)
		return 0;
	if (*version == 0 || app_id != STORE_APPLICATION_ID) {
		log_warnx("store: %s/kiln.db is not a kiln journal", jr->dir);
		return -KILN_ECONFIG;
	}
	if (*version > STORE_SCHEMA_VERSION) {
		log_warnx("store: %s/kiln.db has schema version %lld, newer "
		    "than %d", jr->dir, (long long)*version,
		    STORE_SCHEMA_VERSION);
		return -KILN_ECONFIG;
	}
	return 0;
}

/* Sets the connection up and creates or checks the schema. */
static int
journal_init(struct sqlite_journal *jr)
{
	char sql[128];
	int64_t version;
	char *mode = NULL;
	sqlite3_stmt *s;
	int rc;

	sqlite3_extended_result_codes(jr->db, 1);
	if (sqlite3_busy_timeout(jr->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(jr->db, "PRAGMA foreign_keys = ON", NULL, NULL,
	    NULL) != SQLITE_OK)
		return db_fail(jr, "configure");
	/* Refuse a foreign file before changing anything in it. */
	if ((rc = schema_check(jr, &version)) < 0)
		return rc;

	if (sqlite3_prepare_v2(jr->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK)
		return db_fail(jr, "journal_mode");
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		mode = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		log_warnx("store: %s/kiln.db: journal_mode is %s, not wal",
		    jr->dir, mode ? mode : "unknown");
		free(mode);
		return -EIO;
	}
	free(mode);
	/* Checkpoints run every 1000 pages; this trims the WAL after them. */
	if (sqlite3_exec(jr->db, "PRAGMA synchronous = FULL;"
	    " PRAGMA journal_size_limit = 67108864", NULL, NULL,
	    NULL) != SQLITE_OK)
		return db_fail(jr, "synchronous");

	if (sqlite3_exec(jr->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_fail(jr, "begin schema");
	/* Again under the write lock: another opener may have been first. */
	if ((rc = schema_check(jr, &version)) < 0)
		goto out_rollback;
	/* create (from 0) or migrate, one version after the other */
	if (version < STORE_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d;"
		    " PRAGMA user_version = %d;", STORE_APPLICATION_ID,
		    STORE_SCHEMA_VERSION);
		if ((version < 1 && sqlite3_exec(jr->db, schema_v1, NULL, NULL,
		    NULL) != SQLITE_OK) ||
		    (version < 2 && sqlite3_exec(jr->db, schema_v2, NULL, NULL,
		    NULL) != SQLITE_OK) ||
		    sqlite3_exec(jr->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			rc = db_fail(jr, "create schema");
			goto out_rollback;
		}
		if (version > 0)
			log_info("store: %s/kiln.db migrated from schema "
			    "version %lld to %d", jr->dir, (long long)version,
			    STORE_SCHEMA_VERSION);
	}
	if (sqlite3_exec(jr->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(jr, "commit schema");
		goto out_rollback;
	}
	return 0;

 out_rollback:
	if (!sqlite3_get_autocommit(jr->db))
		sqlite3_exec(jr->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Frees jr, also one sqlite_open made only part of; closing the database
 * rolls back a transaction left open.
 */
static void
sqlite_close(void *be)
{
	struct sqlite_journal *jr = be;
	int i;

	if (jr == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(jr->stmt[i]);
	if (jr->db != NULL && sqlite3_close(jr->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(jr->db));
	free(jr->stmt);
	free(jr->dir);
	free(jr);
}

static int
sqlite_open(const char *dir, void **be)
{
	struct sqlite_journal *jr;
	char *path;
	int i, rc;

	jr = xcalloc(1, sizeof(*jr));
	jr->stmt = xcalloc(ST_COUNT, sizeof(*jr->stmt));
	/*
	 * Kept as given: the core passes "." after entering the directory,
	 * so that no directory above it needs to be searchable.
	 */
	jr->dir = xstrdup(dir);

	path = xasprintf("%s/kiln.db", jr->dir);
	rc = sqlite3_open_v2(path, &jr->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	free(path);
	if (rc != SQLITE_OK) {
		rc = jr->db ? db_fail(jr, "open") : -ENOMEM;
		goto out_close;
	}
	if ((rc = journal_init(jr)) < 0)
		goto out_close;
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(jr->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &jr->stmt[i], NULL) !=
		    SQLITE_OK) {
			rc = db_fail(jr, stmt_sql[i]);
			goto out_close;
		}
	}
	*be = jr;
	return 0;

 out_close:
	sqlite_close(jr);
	return rc;
}

static int
sqlite_begin(void *be)
{
	struct sqlite_journal *jr = be;

	if (jr->txn_wanted) {
		log_warnx("store: begin inside a transaction");
		return -EIO;
	}
	jr->txn_wanted = 1;
	return 0;
}

static int
sqlite_commit(void *be)
{
	struct sqlite_journal *jr = be;
	int open = jr->txn_open;

	if (!jr->txn_wanted) {
		log_warnx("store: commit without a transaction");
		return -EIO;
	}
	jr->txn_wanted = jr->txn_open = 0;
	if (!open || stmt_exec(jr, ST_COMMIT) == SQLITE_DONE)
		return 0;
	db_fail(jr, "commit");
	/*
	 * A COMMIT that failed may leave the transaction open (SQLITE_BUSY);
	 * end it so that a failed commit always means nothing was written.
	 */
	if (!sqlite3_get_autocommit(jr->db))
		(void)stmt_exec(jr, ST_ROLLBACK);
	return -EIO;
}

static int
sqlite_rollback(void *be)
{
	struct sqlite_journal *jr = be;
	int open = jr->txn_open;

	if (!jr->txn_wanted) {
		log_warnx("store: rollback without a transaction");
		return -EIO;
	}
	jr->txn_wanted = jr->txn_open = 0;
	return open ? stmt_exec_io(jr, ST_ROLLBACK, "rollback") : 0;
}

/* Inserts the tenant unless present; part of the caller's savepoint. */
static int
tenant_put(struct sqlite_journal *jr, const char *tenant)
{
	sqlite3_stmt *s = jr->stmt[ST_TENANT_ENSURE];
	int rc;

	if ((rc = bind_field(s, 1, tenant, JOB_TENANT_LEN)) < 0)
		return rc;
	if (tenant[0] == '\0')
		return -EINVAL;
	if ((rc = bind_int64(s, 2, now_real_ns())) < 0)
		return rc;
	return stmt_exec_io(jr, ST_TENANT_ENSURE, "tenant insert");
}

static int
sqlite_tenant_ensure(void *be, const char *tenant)
{
	struct sqlite_journal *jr = be;
	int rc;

	if ((rc = txn_touch(jr)) < 0)
		return rc;
	return tenant_put(jr, tenant);
}

static int
sqlite_module_put(void *be, const char *tenant, const char *digest,
    uint64_t size, enum module_kind kind)
{
	struct sqlite_journal *jr = be;
	sqlite3_stmt *s = jr->stmt[ST_MODULE_PUT];
	int rc;

	if (store_digest_check(digest) < 0 || size > INT64_MAX ||
	    (kind != MODULE_WASM && kind != MODULE_NATIVE))
		return -EINVAL;
	if ((rc = sp_begin(jr)) < 0)
		return rc;
	if ((rc = tenant_put(jr, tenant)) < 0)
		goto out;
	if ((rc = bind_field(s, 1, tenant, JOB_TENANT_LEN)) < 0 ||
	    (rc = bind_field(s, 2, digest, JOB_DIGEST_LEN)) < 0 ||
	    (rc = bind_int64(s, 3, (int64_t)size)) < 0 ||
	    (rc = bind_int64(s, 4, now_real_ns())) < 0 ||
	    (rc = bind_int64(s, 5, kind)) < 0)
		goto out;
	if ((rc = stmt_exec_io(jr, ST_MODULE_PUT, "module insert")) < 0)
		goto out;
	rc = sqlite3_changes(jr->db) > 0 ? 1 : 0;
 out:
	return sp_end(jr, rc);
}

static int
sqlite_module_kind(void *be, const char *tenant, const char *digest)
{
	struct sqlite_journal *jr = be;
	sqlite3_stmt *s = jr->stmt[ST_MODULE_KIND];
	int rc;

	if ((rc = bind_field(s, 1, tenant, JOB_TENANT_LEN)) < 0 ||
	    (rc = bind_field(s, 2, digest, JOB_DIGEST_LEN)) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = sqlite3_column_int(s, 0);
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = -1;
	sqlite3_reset(s);
	if (rc < 0 || (rc != 0 && rc != MODULE_WASM && rc != MODULE_NATIVE))
		return db_fail(jr, "module lookup");
	return rc;
}

/* Appends the event (j->id, j->state, reason, at_ns). */
static int
event_put(struct sqlite_journal *jr, const struct job *j, const char *reason,
    int64_t at_ns)
{
	sqlite3_stmt *s = jr->stmt[ST_EVENT_INSERT];
	const char *state = job_state_name(j->state);
	int rc;

	if ((rc = bind_field(s, 1, j->id, sizeof(j->id))) < 0 ||
	    (rc = bind_field(s, 2, state, strlen(state) + 1)) < 0 ||
	    (rc = bind_field(s, 3, reason, JOB_REASON_LEN)) < 0 ||
	    (rc = bind_int64(s, 4, at_ns)) < 0)
		return rc;
	return stmt_exec_io(jr, ST_EVENT_INSERT, "event insert");
}

static int
sqlite_job_insert(void *be, struct job *j)
{
	struct sqlite_journal *jr = be;
	int64_t seq;
	int rc, sqlrc;

	if (j->id[0] == '\0')
		return -EINVAL;
	if ((rc = sp_begin(jr)) < 0)
		return rc;
	if ((rc = tenant_put(jr, j->tenant)) < 0)
		goto out;
	if ((rc = job_bind(jr->stmt[ST_JOB_INSERT], j)) < 0)
		goto out;
	sqlrc = stmt_exec(jr, ST_JOB_INSERT);
	if (sqlrc == SQLITE_CONSTRAINT_UNIQUE ||
	    sqlrc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		rc = -KILN_ECONFLICT;
		goto out;
	}
	if (sqlrc != SQLITE_DONE) {
		rc = db_fail(jr, "job insert");
		goto out;
	}
	seq = sqlite3_last_insert_rowid(jr->db);
	if ((rc = event_put(jr, j, j->reason,
	    j->created_ns ? j->created_ns : now_real_ns())) < 0)
		goto out;
	if ((rc = sp_end(jr, 0)) == 0)
		j->seq = seq;
	return rc;
 out:
	return sp_end(jr, rc);
}

static int
sqlite_job_update(void *be, const struct job *j,
    const char *event_reason, int64_t at_ns)
{
	struct sqlite_journal *jr = be;
	int rc;

	if ((rc = sp_begin(jr)) < 0)
		return rc;
	if ((rc = job_bind(jr->stmt[ST_JOB_UPDATE], j)) < 0)
		goto out;
	if ((rc = stmt_exec_io(jr, ST_JOB_UPDATE, "job update")) < 0)
		goto out;
	if (sqlite3_changes(jr->db) == 0) {
		rc = -KILN_ENOT_FOUND;
		goto out;
	}
	rc = event_put(jr, j, event_reason ? event_reason : "",
	    at_ns ? at_ns : now_real_ns());
 out:
	return sp_end(jr, rc);
}

/* Runs a statement expected to return at most one job row into *out. */
static int
job_fetch(struct sqlite_journal *jr, enum stmt i, struct job *out)
{
	sqlite3_stmt *s = jr->stmt[i];
	int rc;

	memset(out, 0, sizeof(*out));
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if ((rc = job_read(s, out)) < 0) {
			log_warnx("store: malformed job row");
			job_clear(out);
		}
		break;
	case SQLITE_DONE:
		rc = -KILN_ENOT_FOUND;
		break;
	default:
		rc = db_fail(jr, "job select");
		break;
	}
	sqlite3_reset(s);
	return rc;
}

static int
sqlite_job_get(void *be, const char *id, struct job *out)
{
	struct sqlite_journal *jr = be;
	int rc;

	if ((rc = bind_field(jr->stmt[ST_JOB_GET], 1, id, JOB_ID_LEN)) < 0) {
		memset(out, 0, sizeof(*out));
		return rc == -EINVAL ? -KILN_ENOT_FOUND : rc;
	}
	return job_fetch(jr, ST_JOB_GET, out);
}

static int
sqlite_job_find_idem(void *be, const char *tenant,
    const char *idem_key, struct job *out)
{
	struct sqlite_journal *jr = be;
	sqlite3_stmt *s = jr->stmt[ST_JOB_FIND_IDEM];
	int rc;

	if ((rc = bind_field(s, 1, tenant, JOB_TENANT_LEN)) < 0 ||
	    (rc = bind_field(s, 2, idem_key, JOB_IDEM_LEN)) < 0) {
		memset(out, 0, sizeof(*out));
		return rc == -EINVAL ? -KILN_ENOT_FOUND : rc;
	}
	return job_fetch(jr, ST_JOB_FIND_IDEM, out);
}

static int
sqlite_job_list(void *be, const char *tenant, int state,
    int64_t after_seq, int limit,
    int (*fn)(const struct job *j, void *arg), void *arg)
{
	struct sqlite_journal *jr = be;
	const char *name = NULL;
	sqlite3_stmt *s;
	struct job j;
	int rc, step, visited = 0;

	if (state >= JOB_STATE_COUNT || (state >= 0 &&
	    (name = job_state_name((enum job_state)state)) == NULL))
		return -EINVAL;
	if (jr->iterating)
		return -EBUSY;
	if (limit <= 0)
		return 0;
	s = jr->stmt[ST_JOB_LIST + (tenant ? 1 : 0) + (state >= 0 ? 2 : 0)];
	if (tenant != NULL &&
	    (rc = bind_field(s, 1, tenant, JOB_TENANT_LEN)) < 0)
		return rc == -EINVAL ? 0 : rc;
	if ((name != NULL &&
	    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC) != SQLITE_OK) ||
	    sqlite3_bind_int64(s, 3, after_seq) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, limit) != SQLITE_OK)
		return db_fail(jr, "job list bind");

	jr->iterating = 1;
	rc = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&j, 0, sizeof(j));
		if (job_read(s, &j) < 0) {
			log_warnx("store: malformed job row");
			job_clear(&j);
			rc = -EIO;
			goto out;
		}
		visited++;
		rc = fn != NULL ? fn(&j, arg) : 0;
		job_clear(&j);
		if (rc != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_fail(jr, "job list");
	else
		rc = visited;
 out:
	sqlite3_reset(s);
	jr->iterating = 0;
	return rc;
}

static int
sqlite_job_events(void *be, const char *id,
    int (*fn)(enum job_state state, const char *reason, int64_t at_ns,
        void *arg), void *arg)
{
	struct sqlite_journal *jr = be;
	sqlite3_stmt *s = jr->stmt[ST_EVENT_LIST];
	char reason[JOB_REASON_LEN];
	enum job_state state;
	int64_t at_ns;
	int rc, step, count = 0;

	if (jr->iterating)
		return -EBUSY;
	if ((rc = bind_field(s, 1, id, JOB_ID_LEN)) < 0)
		return rc == -EINVAL ? 0 : rc;

	jr->iterating = 1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (col_state(s, 0, &state) < 0 ||
		    col_field(s, 1, reason, sizeof(reason)) < 0 ||
		    col_int(s, 2, INT64_MIN, INT64_MAX, &at_ns) < 0) {
			log_warnx("store: malformed event row for %s", id);
			rc = -EIO;
			goto out;
		}
		count++;
		if (fn != NULL && fn(state, reason, at_ns, arg) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_fail(jr, "event list");
	else
		rc = count;
 out:
	sqlite3_reset(s);
	jr->iterating = 0;
	return rc;
}

static int
sqlite_job_count_states(void *be, uint64_t counts[JOB_STATE_COUNT])
{
	struct sqlite_journal *jr = be;
	sqlite3_stmt *s = jr->stmt[ST_JOB_COUNT_STATES];
	enum job_state state;
	int64_t n;
	int rc = 0, step;

	memset(counts, 0, sizeof(uint64_t) * JOB_STATE_COUNT);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (col_state(s, 0, &state) < 0 ||
		    col_int(s, 1, 0, INT64_MAX, &n) < 0) {
			log_warnx("store: unknown job state in journal");
			rc = -EIO;
			goto out;
		}
		counts[state] = (uint64_t)n;
	}
	if (step != SQLITE_DONE)
		rc = db_fail(jr, "count states");
 out:
	sqlite3_reset(s);
	if (rc < 0)
		memset(counts, 0, sizeof(uint64_t) * JOB_STATE_COUNT);
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.tenant_ensure = sqlite_tenant_ensure,
	.module_put = sqlite_module_put,
	.module_kind = sqlite_module_kind,
	.job_insert = sqlite_job_insert,
	.job_update = sqlite_job_update,
	.job_get = sqlite_job_get,
	.job_find_idem = sqlite_job_find_idem,
	.job_list = sqlite_job_list,
	.job_events = sqlite_job_events,
	.job_count_states = sqlite_job_count_states,
};
