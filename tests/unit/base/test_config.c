/*
 * Unit tests of the configuration (src/base/config.c): defaults, a full
 * file, the exact message for each kind of mistake, the default tenant's
 * token file, the reload rule and the well-formedness check children
 * apply to what the parent sends.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sodium.h>

#include "kiln/config.h"
#include "kiln/error.h"

#define HASH "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

static struct config c;
static char dir[64], path[128], why[512];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/kiln-config-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/kiln.conf", dir);
	config_defaults(&c);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
load(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	config_defaults(&c);
	return config_load(&c, path, why, sizeof(why));
}

static void
test_defaults(void **state)
{
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 7878);
	assert_int_equal(c.ngpus, 4);
	assert_string_equal(c.gpus[3].name, "gpu3");
	assert_int_equal(c.ntenants, 0);
}

static void
test_full_file(void **state)
{
	uint8_t want[32];
	size_t n;

	assert_int_equal(load("[kilnd]\nlisten = 0.0.0.0:9000\n"
	    "state_dir = /srv/kiln\nshutdown_grace_ms = 250\n"
	    "[tenant acme]\ntoken_sha256 = " HASH "\nqueue_limit = 7\n"
	    "concurrency = 2\nmax_pages = 16\nmin_isolation = L3\n"
	    "[gpu g0]\nmodel = A100-40GB\n"), 0);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 9000);
	assert_string_equal(c.state_dir, "/srv/kiln");
	assert_int_equal(c.shutdown_grace_ms, 250);
	assert_int_equal(c.ntenants, 1);
	assert_string_equal(c.tenants[0].id, "acme");
	assert_int_equal(c.tenants[0].queue_limit, 7);
	assert_int_equal(c.tenants[0].concurrency, 2);
	assert_int_equal(c.tenants[0].max_pages, 16);
	assert_int_equal(c.tenants[0].min_isolation, 3);
	sodium_hex2bin(want, 32, HASH, 64, NULL, &n, NULL);
	assert_memory_equal(c.tenants[0].token_hash, want, 32);
	/* [gpu] sections replace the four defaults */
	assert_int_equal(c.ngpus, 1);
	assert_string_equal(c.gpus[0].model, "A100-40GB");
	assert_non_null(config_tenant_find(&c, "acme"));
	assert_null(config_tenant_find(&c, "other"));
}

static void
test_errors(void **state)
{
	char want[600];

	assert_int_equal(load("[kilnd]\nfoo = 1\n"), -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: [kilnd]: unknown key 'foo' "
	    "(line 2)", path);
	assert_string_equal(why, want);

	assert_int_equal(load("[tenant a]\ntoken_sha256 = abc\n"),
	    -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: [tenant a]: bad value for "
	    "'token_sha256': 'abc' (line 2)", path);
	assert_string_equal(why, want);

	assert_int_equal(load("[kilnd]\nlisten = 127.0.0.1:7878\n"),
	    -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: no [tenant NAME] section", path);
	assert_string_equal(why, want);

	assert_int_equal(load("[tenant a]\nqueue_limit = 3\n"), -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: [tenant a] has no token_sha256",
	    path);
	assert_string_equal(why, want);

	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"
	    "concurrency = -1\n"), -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: [tenant a]: bad value for "
	    "'concurrency': '-1' (line 3)", path);
	assert_string_equal(why, want);

	assert_int_equal(load("[tenant Bad]\ntoken_sha256 = " HASH "\n"),
	    -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: bad tenant section [tenant Bad] "
	    "(names: a-z 0-9 - _) (line 2)", path);
	assert_string_equal(why, want);

	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"
	    "min_isolation = L0\n"), -KILN_ECONFIG);
	snprintf(want, sizeof(want), "%s: [tenant a]: min_isolation = L0 "
	    "(rlimits only) needs insecure = true", path);
	assert_string_equal(why, want);
	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"
	    "min_isolation = L0\ninsecure = true\n"), 0);
	assert_int_equal(c.tenants[0].min_isolation, 0);
	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"
	    "min_isolation = L5\n"), -KILN_ECONFIG);
	/* the default: seccomp at least */
	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"), 0);
	assert_int_equal(c.tenants[0].min_isolation, 1);
	assert_int_equal(c.tenants[0].native, 0);
	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"
	    "native = true\n"), 0);
	assert_int_equal(c.tenants[0].native, 1);
	assert_int_equal(c.tenants[0].insecure, 0);
	assert_int_equal(load("[tenant a]\ntoken_sha256 = " HASH "\n"
	    "native = yes\n"), -KILN_ECONFIG);
	/* job uids: 100000 by default, never among the login uids */
	assert_int_equal(load("[kilnd]\njob_uid_base = 1000\n"
	    "[tenant a]\ntoken_sha256 = " HASH "\n"), -KILN_ECONFIG);
	assert_int_equal(load("[kilnd]\njob_uid_base = 65536\n"
	    "[tenant a]\ntoken_sha256 = " HASH "\n"), 0);
	assert_int_equal(c.job_uid_base, 65536);

	assert_int_equal(load("[kilnd]\nlisten = 127.0.0.1\n"), -KILN_ECONFIG);
	assert_int_equal(load("[nope]\n"), -KILN_ECONFIG);
	assert_int_equal(config_load(&c, "/nonexistent/kiln.conf", why,
	    sizeof(why)), -KILN_ECONFIG);
	assert_string_equal(why, "/nonexistent/kiln.conf: cannot open: "
	    "No such file or directory");
}

static void
test_default_tenant(void **state)
{
	char token_path[160], first[65], again[65];
	struct stat st;
	uint8_t hash[32];
	int fd;

	snprintf(c.state_dir, sizeof(c.state_dir), "%s/state", dir);
	assert_int_equal(config_default_tenant(&c, why, sizeof(why)), 0);
	snprintf(token_path, sizeof(token_path), "%s/state/tokens/demo", dir);
	assert_int_equal(stat(token_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = open(token_path, O_RDONLY);
	assert_int_equal(read(fd, first, 64), 64);
	close(fd);
	first[64] = '\0';
	crypto_hash_sha256(hash, (uint8_t *)first, 64);
	assert_int_equal(c.ntenants, 1);
	assert_string_equal(c.tenants[0].id, "demo");
	assert_memory_equal(c.tenants[0].token_hash, hash, 32);
	/* a second start reuses the token */
	config_defaults(&c);
	snprintf(c.state_dir, sizeof(c.state_dir), "%s/state", dir);
	assert_int_equal(config_default_tenant(&c, why, sizeof(why)), 0);
	fd = open(token_path, O_RDONLY);
	assert_int_equal(read(fd, again, 64), 64);
	close(fd);
	again[64] = '\0';
	assert_string_equal(first, again);
	assert_memory_equal(c.tenants[0].token_hash, hash, 32);
}

static void
test_set_listen(void **state)
{
	assert_int_equal(config_set_listen(&c, "[::1]:80"), 0);
	assert_string_equal(c.listen_host, "[::1]");
	assert_int_equal(config_set_listen(&c, "127.0.0.1:0"), 0);
	assert_int_equal(c.listen_port, 0);
	assert_int_equal(config_set_listen(&c, "127.0.0.1:65536"),
	    -KILN_ECONFIG);
	assert_int_equal(config_set_listen(&c, ":80"), -KILN_ECONFIG);
}

#define TENANT(name, hash, limit) \
	"[tenant " name "]\ntoken_sha256 = " hash "\nqueue_limit = " limit "\n"
#define HASH2 "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"

static void
test_reload(void **state)
{
	static struct config cur, next;
	int changed = -1;

	assert_int_equal(load("[kilnd]\nuser = nobody\n" TENANT("a", HASH, "5")
	    TENANT("b", HASH, "6") TENANT("c", HASH, "7")), 0);
	cur = c;
	assert_int_equal(cur.generation, 1);

	/* b removed, a's token and limit changed, d added */
	assert_int_equal(load("[kilnd]\nuser = nobody\n" TENANT("c", HASH, "7")
	    TENANT("d", HASH, "8") TENANT("a", HASH2, "50")), 0);
	next = c;
	assert_int_equal(config_reload(&cur, &next, &changed, why,
	    sizeof(why)), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(next.generation, 2);
	assert_int_equal(next.ntenants, 4);
	assert_string_equal(next.tenants[0].id, "a");	/* same places */
	assert_int_equal(next.tenants[0].queue_limit, 50);
	assert_int_equal(next.tenants[0].removed, 0);
	assert_string_equal(next.tenants[1].id, "b");
	assert_int_equal(next.tenants[1].removed, 1);
	assert_string_equal(next.tenants[2].id, "c");
	assert_string_equal(next.tenants[3].id, "d");	/* appended */
	assert_null(config_tenant_find(&next, "b"));
	assert_ptr_equal(config_tenant_find(&next, "d"), &next.tenants[3]);
	{
		uint8_t zero[32] = { 0 }, h2[32];
		size_t n;

		assert_memory_equal(next.tenants[1].token_hash, zero, 32);
		sodium_hex2bin(h2, 32, HASH2, 64, NULL, &n, NULL);
		assert_memory_equal(next.tenants[0].token_hash, h2, 32);
	}

	/* b comes back to its place; a daemon-wide change is only noted */
	cur = next;
	assert_int_equal(load("[kilnd]\nuser = root\n" TENANT("b", HASH, "9")),
	    0);
	next = c;
	assert_int_equal(config_reload(&cur, &next, &changed, why,
	    sizeof(why)), 0);
	assert_int_equal(changed, 1);
	assert_string_equal(next.user, "nobody");	/* kept until restart */
	assert_int_equal(next.generation, 3);
	assert_int_equal(next.ntenants, 4);
	assert_int_equal(next.tenants[1].removed, 0);
	assert_int_equal(next.tenants[1].queue_limit, 9);
	assert_int_equal(next.tenants[0].removed, 1);
	assert_null(config_tenant_find(&next, "a"));
}

static void
test_reload_full(void **state)
{
	static struct config cur, next;
	int i, changed;

	config_defaults(&cur);
	for (i = 0; i < CONFIG_MAX_TENANTS; i++)
		snprintf(cur.tenants[cur.ntenants++].id, JOB_TENANT_LEN,
		    "t%d", i);
	config_defaults(&next);
	snprintf(next.tenants[next.ntenants++].id, JOB_TENANT_LEN, "new");
	assert_int_equal(config_reload(&cur, &next, &changed, why,
	    sizeof(why)), -KILN_ECONFIG);
	assert_string_equal(why, "more than 256 tenants with the removed "
	    "ones (a restart forgets those)");
}

static void
test_wellformed(void **state)
{
	static struct config w;

	config_defaults(&w);
	assert_true(config_wellformed(&w));
	memset(w.user, 'x', sizeof(w.user));
	assert_false(config_wellformed(&w));
	config_defaults(&w);
	w.ntenants = CONFIG_MAX_TENANTS + 1;
	assert_false(config_wellformed(&w));
	w.ntenants = -1;
	assert_false(config_wellformed(&w));
	config_defaults(&w);
	w.ntenants = 1;
	memset(w.tenants[0].id, 'a', sizeof(w.tenants[0].id));
	assert_false(config_wellformed(&w));
	w.tenants[0].id[1] = '\0';
	assert_true(config_wellformed(&w));
	w.tenants[0].min_isolation = 5;
	assert_false(config_wellformed(&w));
	config_defaults(&w);
	memset(w.gpus[0].model, 'm', sizeof(w.gpus[0].model));
	assert_false(config_wellformed(&w));
}

static void
test_options_apply(void **state)
{
	assert_int_equal(config_options_apply(&c, "/srv/kiln", "[::1]:99",
	    why, sizeof(why)), 0);
	assert_string_equal(c.state_dir, "/srv/kiln");
	assert_int_equal(c.listen_port, 99);
	assert_int_equal(config_options_apply(&c, "relative", NULL, why,
	    sizeof(why)), -KILN_ECONFIG);
	assert_string_equal(why, "--state-dir must be an absolute path "
	    "shorter than 256 bytes");
	assert_int_equal(config_options_apply(&c, NULL, "nope", why,
	    sizeof(why)), -KILN_ECONFIG);
	assert_string_equal(why, "--listen wants HOST:PORT, not nope");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_tenant, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_listen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wellformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_options_apply, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
