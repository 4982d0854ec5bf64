/*
 * Kiln's configuration: an INI file read with libinih, or the embedded
 * defaults when there is none.  Every process loads it the same way at
 * start, before it drops privileges.
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

/* The tenant with this id, or NULL. */
const struct config_tenant *config_tenant_find(const struct config *c,
    const char *id);

#endif
