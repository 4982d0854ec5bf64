/*
 * Kiln's configuration: an INI file read with libinih, or the embedded
 * defaults when there is none.  Only the parent reads it; it sends the
 * whole struct to each child (IMSG_CONF, include/kiln/msg.h) when the
 * child starts and again after a reload (SIGHUP), each time with the next
 * generation.
 *
 *	[kilnd]
 *	listen = 127.0.0.1:7878
 *	state_dir = /var/lib/kiln
 *	user = nobody
 *	...
 *	[tenant demo]
 *	token_sha256 = <64 hex>
 *	queue_limit = 1000
 *	concurrency = 4
 *	min_isolation = L3
 *	[gpu gpu0]
 *	model = H100-80GB
 */
#ifndef KILN_CONFIG_H
#define KILN_CONFIG_H

#include <stdint.h>

#include "kiln/job.h"

#define CONFIG_MAX_TENANTS	256
#define CONFIG_MAX_GPUS		64
/*
 * Each tenant's jobs run as their own host uid and gid: job_uid_base +
 * slot * CONFIG_JOB_UID_RANGE, slot being the tenant's place in the
 * configuration (CONFIG_MAX_TENANTS for a tenant no longer configured).
 */
#define CONFIG_JOB_UID_RANGE	65536u
#define CONFIG_JOB_UID_BASE_MAX	(4000000000u - (CONFIG_MAX_TENANTS + 1) * \
				 CONFIG_JOB_UID_RANGE)

struct config_tenant {
	char id[JOB_TENANT_LEN];
	uint8_t token_hash[32];		/* SHA-256 of the bearer token */
	uint32_t queue_limit;		/* jobs waiting (PENDING..QUEUED) */
	uint32_t concurrency;		/* jobs SCHEDULED or RUNNING */
	uint32_t max_pages;		/* guest memory quota, 64 KiB pages */
	uint8_t min_isolation;		/* 0..4: refuse running below L<n> */
	uint8_t insecure;		/* allows min_isolation = L0 */
	uint8_t native;			/* may register native executables */
	/*
	 * Removed by a reload: kept in its place only so that every tenant
	 * after it keeps its slot (its host uid); it authenticates nothing
	 * and config_tenant_find() does not see it.  Added again by a later
	 * reload, it gets its place back.
	 */
	uint8_t removed;
};

struct config_gpu {
	char name[JOB_SLOT_LEN];
	char model[32];
};

struct config {
	char listen_host[64];
	uint16_t listen_port;
	char state_dir[256];
	char user[32];			/* api, core and workers run as it */
	uint32_t global_queue_limit;
	uint64_t max_module_bytes;
	uint64_t max_request_bytes;
	uint64_t max_output_bytes;
	uint64_t max_log_bytes;
	uint32_t default_timeout_ms;
	uint32_t max_timeout_ms;
	uint32_t shutdown_grace_ms;
	uint32_t max_attempts;		/* infrastructure retries before DLQ */
	uint32_t compile_timeout_ms;	/* one module's compilation */
	uint32_t compile_memory_mb;	/* the compiler's address space */
	uint32_t job_uid_base;		/* tenant i's jobs: base + i * 65536 */
	uint32_t http_connection_limit;
	uint32_t http_timeout_s;
	int ntenants;
	struct config_tenant tenants[CONFIG_MAX_TENANTS];
	int ngpus;
	struct config_gpu gpus[CONFIG_MAX_GPUS];
	uint64_t generation;		/* 1 at start, +1 for every reload */
};

/* Fills c with the embedded defaults (no tenants, four simulated GPUs). */
void config_defaults(struct config *c);

/*
 * Reads an INI file over the defaults.  Returns 0 or -KILN_ECONFIG with a
 * one-line reason ("kiln.conf:12: unknown key 'foo'") in why.
 */
int config_load(struct config *c, const char *path, char *why, size_t whylen);

/*
 * With no config file: creates state_dir/tokens/, and when the tenant
 * "demo" has no token file yet writes a fresh random one (mode 0600); adds
 * the tenant "demo" with that token's hash.  0 or -errno.
 */
int config_default_tenant(struct config *c, char *why, size_t whylen);

/* Sets listen_host/port from "HOST:PORT"; 0 or -KILN_ECONFIG. */
int config_set_listen(struct config *c, const char *hostport);

/*
 * Applies kilnd's --state-dir (an absolute path) and --listen (HOST:PORT)
 * over the file's values; NULL leaves a value alone.  0 or -KILN_ECONFIG
 * with the reason in why.
 */
int config_options_apply(struct config *c, const char *state_dir,
    const char *listen, char *why, size_t whylen);

/* The tenant with this id (never a removed one), or NULL. */
const struct config_tenant *config_tenant_find(const struct config *c,
    const char *id);

/*
 * The reload rule: turns next, freshly loaded from the file, into the
 * configuration that follows cur.  Only tenants are reloadable (added,
 * removed, tokens, limits); everything else keeps cur's value, and when
 * the file changed any of it *changed is set (it takes effect at the next
 * start).  Tenants keep their slots: one still configured stays at its
 * index, a removed one stays there marked removed, a new one takes its old
 * place if it had one, else the first place after all others.  next's
 * generation becomes cur's + 1.  0, or -KILN_ECONFIG with the reason in
 * why when the tenants no longer fit in CONFIG_MAX_TENANTS places.
 */
int config_reload(const struct config *cur, struct config *next,
    int *changed, char *why, size_t whylen);

/*
 * Whether c is well formed as bytes: every string NUL-terminated within
 * its array, counts within their arrays, levels within L0..L4.  What a
 * child checks on the struct the parent sends (the values themselves were
 * checked by config_load in the parent).
 */
int config_wellformed(const struct config *c);

#endif
