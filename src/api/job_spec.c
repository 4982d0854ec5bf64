/*
 * The job spec of POST /v1/jobs: strict JSON (jansson, duplicate keys
 * refused), only the documented fields, each type- and range-checked,
 * base64 input decoded, and args/env turned into the canonical JSON the
 * core journals.  Pure and allocation-bounded, so it is fuzzed on its own
 * (fuzz/fuzz_job_spec.c).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "api_int.h"

#define MAX_ARGS	256
#define MAX_ENV		256
#define MAX_STRING	4096
#define MAX_ENV_NAME	256

static int
digest_valid(const char *s)
{
	size_t i;

	if (strlen(s) != 71 || strncmp(s, "sha256:", 7) != 0)
		return 0;
	for (i = 7; i < 71; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/* Writes the detail line and returns rc, a -KILN_E* code. */
static int
bad(char *detail, size_t dlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, dlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* Checks every field of the parsed document; fills m and *input. */
static int
fields_check(json_t *doc, const struct config *conf, struct msg_submit *m,
    uint8_t **input, size_t *inlen, char *detail, size_t dlen)
{
	json_t *v, *args, *env;
	const char *key;
	size_t i, n;

#define BAD(...) bad(detail, dlen, -KILN_EINVAL_REQUEST, __VA_ARGS__)
	if (!json_is_object(doc))
		return BAD("the job spec must be a JSON object");
	json_object_foreach(doc, key, v)
		if (strcmp(key, "module") && strcmp(key, "input") &&
		    strcmp(key, "profile") && strcmp(key, "timeout_ms") &&
		    strcmp(key, "cpu_ms") && strcmp(key, "args") &&
		    strcmp(key, "env"))
			return BAD("unknown field '%.64s'", key);
	v = json_object_get(doc, "module");
	if (!json_is_string(v) || !digest_valid(json_string_value(v)))
		return BAD("'module' must be \"sha256:<64 lower-case hex>\"");
	snprintf(m->module, sizeof(m->module), "%s", json_string_value(v));
	v = json_object_get(doc, "profile");
	if (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "gpu") != 0))
		return BAD("'profile' must be \"gpu\" (the whole-GPU slot)");
	snprintf(m->profile, sizeof(m->profile), "gpu");
	v = json_object_get(doc, "timeout_ms");
	m->timeout_ms = conf->default_timeout_ms;
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > conf->max_timeout_ms)
			return BAD("'timeout_ms' must be an integer in 1..%u",
			    conf->max_timeout_ms);
		m->timeout_ms = (uint32_t)json_integer_value(v);
	}
	v = json_object_get(doc, "cpu_ms");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > conf->max_timeout_ms))
		return BAD("'cpu_ms' must be an integer in 1..%u",
		    conf->max_timeout_ms);
	args = json_object_get(doc, "args");
	if (args != NULL && (!json_is_array(args) ||
	    json_array_size(args) > MAX_ARGS))
		return BAD("'args' must be an array of at most %d strings",
		    MAX_ARGS);
	json_array_foreach(args, i, v)
		if (!json_is_string(v) || json_string_length(v) > MAX_STRING)
			return BAD("'args' must hold strings of at most %d "
			    "bytes", MAX_STRING);
	env = json_object_get(doc, "env");
	if (env != NULL && (!json_is_object(env) ||
	    json_object_size(env) > MAX_ENV))
		return BAD("'env' must be an object of at most %d strings",
		    MAX_ENV);
	json_object_foreach(env, key, v)
		if (!json_is_string(v) || key[0] == '\0' ||
		    strchr(key, '=') != NULL || strlen(key) > MAX_ENV_NAME ||
		    json_string_length(v) > MAX_STRING)
			return BAD("'env' must map names (no '=') to strings");
	v = json_object_get(doc, "input");
	if (v != NULL) {
		if (!json_is_string(v))
			return BAD("'input' must be a base64 string");
		n = json_string_length(v) / 4 * 3 + 3;
		*input = xmalloc(n);
		if (sodium_base642bin(*input, n, json_string_value(v),
		    json_string_length(v), NULL, inlen, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0) {
			free(*input);
			*input = NULL;
			return BAD("'input' is not valid base64");
		}
	}
#undef BAD
	return 0;
}

int
api_job_spec_parse(const uint8_t *body, size_t len, const struct config *conf,
    struct msg_submit *m, char **spec, uint8_t **input, size_t *inlen,
    char *detail, size_t dlen)
{
	json_t *doc, *canon, *args, *env, *cpu;
	json_error_t err;
	int rc;

	*spec = NULL;
	*input = NULL;
	*inlen = 0;
	/* jansson refuses a NULL buffer as "wrong arguments", not as JSON */
	doc = json_loadb(body ? (const char *)body : "", len,
	    JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		return bad(detail, dlen, -KILN_EJSON, "line %d, column %d: %s",
		    err.line, err.column, err.text);
	rc = fields_check(doc, conf, m, input, inlen, detail, dlen);
	if (rc != 0)
		goto out;
	args = json_object_get(doc, "args");
	env = json_object_get(doc, "env");
	canon = json_pack("{s:o, s:o}",
	    "args", args ? json_incref(args) : json_array(),
	    "env", env ? json_incref(env) : json_object());
	if ((cpu = json_object_get(doc, "cpu_ms")) != NULL)
		json_object_set(canon, "cpu_ms", cpu);
	*spec = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(canon);
	if (*spec == NULL)
		log_fatalx("json_dumps spec");
	if (strlen(*spec) + sizeof(*m) + sizeof(struct msg_hdr) > MSG_MAX) {
		free(*spec);
		*spec = NULL;
		free(*input);
		*input = NULL;
		rc = bad(detail, dlen, -KILN_EINVAL_REQUEST,
		    "'args' and 'env' together are too large");
	}
out:
	json_decref(doc);
	return rc;
}
