/*
 * Loads Kiln's configuration: the embedded defaults, then an INI file read
 * by libinih, then (with no file) the default tenant "demo" whose random
 * token lives in state_dir/tokens/demo.  Every value is range-checked here
 * so the rest of the daemon can trust struct config.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln/config.h"
#include "kiln/error.h"
#include "kiln/util.h"

void
config_defaults(struct config *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 7878;
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/kiln");
	snprintf(c->user, sizeof(c->user), "nobody");
	c->global_queue_limit = 10000;
	c->max_module_bytes = 16u << 20;
	c->max_request_bytes = 8u << 20;
	c->max_output_bytes = 1u << 20;
	c->max_log_bytes = 1u << 20;
	c->default_timeout_ms = 30000;
	c->max_timeout_ms = 3600000;
	c->shutdown_grace_ms = 10000;
	c->max_attempts = 3;
	c->compile_timeout_ms = 120000;
	c->compile_memory_mb = 2048;
	c->job_uid_base = 100000;
	c->http_connection_limit = 1024;
	c->http_timeout_s = 30;
	c->generation = 1;
	c->ngpus = 4;
	for (i = 0; i < c->ngpus; i++) {
		snprintf(c->gpus[i].name, sizeof(c->gpus[i].name), "gpu%d", i);
		snprintf(c->gpus[i].model, sizeof(c->gpus[i].model),
		    "H100-80GB");
	}
}

struct load_ctx {
	struct config *c;
	const char *path;
	char *why;
	size_t whylen;
	int gpus_seen;
};

static int
parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (*v == '-' || *v == '\0')
		return -1;
	n = strtoull(v, &end, 10);
	if (errno || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

static int
copy_str(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n || *v == '\0')
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
parse_listen(struct config *c, const char *v)
{
	const char *colon = strrchr(v, ':');
	uint64_t port;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(c->listen_host) ||
	    colon == v)
		return -1;
	if (parse_u64(colon + 1, 0, 65535, &port) < 0)
		return -1;
	memcpy(c->listen_host, v, (size_t)(colon - v));
	c->listen_host[colon - v] = '\0';
	c->listen_port = (uint16_t)port;
	return 0;
}

static int
valid_name(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static struct config_tenant *
tenant_get(struct config *c, const char *id)
{
	struct config_tenant *t;
	int i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i].id, id) == 0)
			return &c->tenants[i];
	if (c->ntenants == CONFIG_MAX_TENANTS || !valid_name(id, JOB_TENANT_LEN))
		return NULL;
	t = &c->tenants[c->ntenants++];
	memset(t, 0, sizeof(*t));
	memcpy(t->id, id, strlen(id) + 1);
	t->queue_limit = 1000;
	t->concurrency = 4;
	t->max_pages = 4096;	/* 256 MiB */
	t->min_isolation = 1;	/* seccomp at least: DESIGN §6 */
	return t;
}

static struct config_gpu *
gpu_get(struct load_ctx *lc, const char *name)
{
	struct config *c = lc->c;
	int i;

	if (!lc->gpus_seen) {	/* a file's [gpu] sections replace defaults */
		c->ngpus = 0;
		lc->gpus_seen = 1;
	}
	for (i = 0; i < c->ngpus; i++)
		if (strcmp(c->gpus[i].name, name) == 0)
			return &c->gpus[i];
	if (c->ngpus == CONFIG_MAX_GPUS || !valid_name(name, JOB_SLOT_LEN))
		return NULL;
	memcpy(c->gpus[c->ngpus].name, name, strlen(name) + 1);
	snprintf(c->gpus[c->ngpus].model, sizeof(c->gpus[0].model),
	    "H100-80GB");
	return &c->gpus[c->ngpus++];
}

static int
set_kilnd(struct config *c, const char *k, const char *v)
{
	uint64_t n;

	if (strcmp(k, "listen") == 0)
		return parse_listen(c, v);
	if (strcmp(k, "state_dir") == 0)
		return v[0] == '/' ? copy_str(c->state_dir,
		    sizeof(c->state_dir), v) : -1;
	if (strcmp(k, "user") == 0)
		return copy_str(c->user, sizeof(c->user), v);
#define U(key, field, lo, hi)						\
	if (strcmp(k, key) == 0) {					\
		if (parse_u64(v, lo, hi, &n) < 0)			\
			return -1;					\
		c->field = n;						\
		return 0;						\
	}
	U("global_queue_limit", global_queue_limit, 1, 1000000)
	U("max_module_bytes", max_module_bytes, 1024, 1ull << 30)
	U("max_request_bytes", max_request_bytes, 1024, 1ull << 30)
	U("max_output_bytes", max_output_bytes, 0, 1ull << 30)
	U("max_log_bytes", max_log_bytes, 0, 1ull << 30)
	U("default_timeout_ms", default_timeout_ms, 1, 86400000)
	U("max_timeout_ms", max_timeout_ms, 1, 86400000)
	U("shutdown_grace_ms", shutdown_grace_ms, 0, 3600000)
	U("max_attempts", max_attempts, 1, 100)
	U("compile_timeout_ms", compile_timeout_ms, 1, 3600000)
	U("compile_memory_mb", compile_memory_mb, 64, 65536)
	/* above every system and login uid, like the subuid ranges */
	U("job_uid_base", job_uid_base, 65536, CONFIG_JOB_UID_BASE_MAX)
	U("http_connection_limit", http_connection_limit, 1, 65536)
	U("http_timeout_s", http_timeout_s, 1, 3600)
#undef U
	return -2;
}

static int
set_tenant(struct config_tenant *t, const char *k, const char *v)
{
	uint64_t n;
	size_t len;

	if (strcmp(k, "min_isolation") == 0) {
		if (strlen(v) != 2 || v[0] != 'L' || v[1] < '0' || v[1] > '4')
			return -1;
		t->min_isolation = (uint8_t)(v[1] - '0');
		return 0;
	}
	if (strcmp(k, "insecure") == 0 || strcmp(k, "native") == 0) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return -1;
		*(k[0] == 'i' ? &t->insecure : &t->native) = v[0] == 't';
		return 0;
	}
	if (strcmp(k, "token_sha256") == 0) {
		if (strlen(v) != 64 || sodium_hex2bin(t->token_hash, 32, v, 64,
		    NULL, &len, NULL) != 0 || len != 32)
			return -1;
		return 0;
	}
#define U(key, field, lo, hi)						\
	if (strcmp(k, key) == 0) {					\
		if (parse_u64(v, lo, hi, &n) < 0)			\
			return -1;					\
		t->field = (uint32_t)n;					\
		return 0;						\
	}
	U("queue_limit", queue_limit, 1, 1000000)
	U("concurrency", concurrency, 1, 100000)
	U("max_pages", max_pages, 1, 65536)
#undef U
	return -2;
}

static int
on_entry(void *arg, const char *section, const char *k, const char *v)
{
	struct load_ctx *lc = arg;
	struct config_tenant *t;
	struct config_gpu *g;
	int rc = -2;

	/* ini_parse() reports the first bad line: keep its reason too */
	if (lc->why[0] != '\0')
		return 0;
	if (strcmp(section, "kilnd") == 0) {
		rc = set_kilnd(lc->c, k, v);
	} else if (strncmp(section, "tenant ", 7) == 0) {
		if ((t = tenant_get(lc->c, section + 7)) == NULL) {
			snprintf(lc->why, lc->whylen, "%s: bad tenant section "
			    "[%s] (names: a-z 0-9 - _)", lc->path, section);
			return 0;
		}
		rc = set_tenant(t, k, v);
	} else if (strncmp(section, "gpu ", 4) == 0) {
		if ((g = gpu_get(lc, section + 4)) == NULL) {
			snprintf(lc->why, lc->whylen, "%s: bad gpu section "
			    "[%s]", lc->path, section);
			return 0;
		}
		if (strcmp(k, "model") == 0)
			rc = copy_str(g->model, sizeof(g->model), v);
	} else {
		snprintf(lc->why, lc->whylen, "%s: unknown section [%s]",
		    lc->path, section);
		return 0;
	}
	if (rc == -2)
		snprintf(lc->why, lc->whylen, "%s: [%s]: unknown key '%s'",
		    lc->path, section, k);
	else if (rc < 0)
		snprintf(lc->why, lc->whylen, "%s: [%s]: bad value for '%s': "
		    "'%s'", lc->path, section, k, v);
	return rc == 0;
}

int
config_load(struct config *c, const char *path, char *why, size_t whylen)
{
	struct load_ctx lc = { c, path, why, whylen, 0 };
	uint8_t zero[32] = { 0 };
	int rc, i;

	why[0] = '\0';
	rc = ini_parse(path, on_entry, &lc);
	if (rc < 0) {
		snprintf(why, whylen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -KILN_ECONFIG;
	}
	if (rc > 0) {
		if (why[0] == '\0')
			snprintf(why, whylen, "%s:%d: syntax error", path, rc);
		else {
			char first[256];

			snprintf(first, sizeof(first), "%s", why);
			snprintf(why, whylen, "%s (line %d)", first, rc);
		}
		return -KILN_ECONFIG;
	}
	for (i = 0; i < c->ntenants; i++) {
		if (memcmp(c->tenants[i].token_hash, zero, 32) == 0) {
			snprintf(why, whylen, "%s: [tenant %s] has no "
			    "token_sha256", path, c->tenants[i].id);
			return -KILN_ECONFIG;
		}
		if (c->tenants[i].min_isolation == 0 &&
		    !c->tenants[i].insecure) {
			snprintf(why, whylen, "%s: [tenant %s]: min_isolation "
			    "= L0 (rlimits only) needs insecure = true", path,
			    c->tenants[i].id);
			return -KILN_ECONFIG;
		}
	}
	if (c->ntenants == 0) {
		snprintf(why, whylen, "%s: no [tenant NAME] section", path);
		return -KILN_ECONFIG;
	}
	if (c->ngpus == 0) {
		snprintf(why, whylen, "%s: no GPU (add a [gpu NAME] section)",
		    path);
		return -KILN_ECONFIG;
	}
	if (c->default_timeout_ms > c->max_timeout_ms) {
		snprintf(why, whylen, "%s: default_timeout_ms exceeds "
		    "max_timeout_ms", path);
		return -KILN_ECONFIG;
	}
	return 0;
}

int
config_default_tenant(struct config *c, char *why, size_t whylen)
{
	char dir[300], path[320], token[65];
	uint8_t raw[32];
	struct config_tenant *t;
	ssize_t n;
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%s/tokens", c->state_dir);
	snprintf(path, sizeof(path), "%s/demo", dir);
	if ((mkdir(c->state_dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		rc = -errno;
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return rc;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, token, 64);
		close(fd);
		if (n != 64) {
			snprintf(why, whylen, "%s: not a Kiln token", path);
			return -KILN_ECONFIG;
		}
	} else if (errno == ENOENT) {
		randombytes_buf(raw, sizeof(raw));
		hex_encode(raw, sizeof(raw), token);
		sodium_memzero(raw, sizeof(raw));
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || fd_write_all(fd, token, 64) < 0 ||
		    fd_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
			rc = -errno;
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		close(fd);
	} else {
		rc = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return rc;
	}
	token[64] = '\0';
	t = tenant_get(c, "demo");
	crypto_hash_sha256(t->token_hash, (const uint8_t *)token, 64);
	sodium_memzero(token, sizeof(token));
	return 0;
}

const struct config_tenant *
config_tenant_find(const struct config *c, const char *id)
{
	int i;

	for (i = 0; i < c->ntenants; i++)
		if (!c->tenants[i].removed && strcmp(c->tenants[i].id, id) == 0)
			return &c->tenants[i];
	return NULL;
}

/* The place of the tenant with this id, removed or not, or -1. */
static int
tenant_index(const struct config *c, const char *id)
{
	int i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i].id, id) == 0)
			return i;
	return -1;
}

int
config_reload(const struct config *cur, struct config *next, int *changed,
    char *why, size_t whylen)
{
	static struct config merged;
	const size_t daemon_part = offsetof(struct config, ntenants);
	int i, k;

	*changed = memcmp(cur, next, daemon_part) != 0 ||
	    cur->ngpus != next->ngpus ||
	    memcmp(cur->gpus, next->gpus, sizeof(cur->gpus)) != 0;
	merged = *cur;
	for (i = 0; i < merged.ntenants; i++) {
		merged.tenants[i].removed = 1;
		sodium_memzero(merged.tenants[i].token_hash,
		    sizeof(merged.tenants[i].token_hash));
	}
	for (i = 0; i < next->ntenants; i++) {
		if ((k = tenant_index(&merged, next->tenants[i].id)) < 0) {
			if (merged.ntenants == CONFIG_MAX_TENANTS) {
				snprintf(why, whylen, "more than %d tenants "
				    "with the removed ones (a restart forgets "
				    "those)", CONFIG_MAX_TENANTS);
				sodium_memzero(&merged, sizeof(merged));
				return -KILN_ECONFIG;
			}
			k = merged.ntenants++;
		}
		merged.tenants[k] = next->tenants[i];
	}
	merged.generation = cur->generation + 1;
	*next = merged;
	sodium_memzero(&merged, sizeof(merged));
	return 0;
}

#define STR_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

int
config_wellformed(const struct config *c)
{
	int i;

	if (!STR_OK(c->listen_host) || !STR_OK(c->state_dir) ||
	    !STR_OK(c->user) || c->ntenants < 0 ||
	    c->ntenants > CONFIG_MAX_TENANTS || c->ngpus < 0 ||
	    c->ngpus > CONFIG_MAX_GPUS)
		return 0;
	for (i = 0; i < c->ntenants; i++)
		if (!STR_OK(c->tenants[i].id) ||
		    c->tenants[i].min_isolation > 4)
			return 0;
	for (i = 0; i < c->ngpus; i++)
		if (!STR_OK(c->gpus[i].name) || !STR_OK(c->gpus[i].model))
			return 0;
	return 1;
}

int
config_set_listen(struct config *c, const char *hostport)
{
	return parse_listen(c, hostport) < 0 ? -KILN_ECONFIG : 0;
}

int
config_options_apply(struct config *c, const char *state_dir,
    const char *listen, char *why, size_t whylen)
{
	if (state_dir != NULL && (state_dir[0] != '/' ||
	    copy_str(c->state_dir, sizeof(c->state_dir), state_dir) < 0)) {
		snprintf(why, whylen, "--state-dir must be an absolute path "
		    "shorter than %zu bytes", sizeof(c->state_dir));
		return -KILN_ECONFIG;
	}
	if (listen != NULL && config_set_listen(c, listen) < 0) {
		snprintf(why, whylen, "--listen wants HOST:PORT, not %s",
		    listen);
		return -KILN_ECONFIG;
	}
	return 0;
}
