/*
 * Unit tests of wasm_module_admit (src/wasm/admit.c): every reject case
 * with its exact error code and *why text, valid modules with their exact
 * info, every truncation of a real module, and the allow-list table
 * against the symbols this (export_dynamic) executable exports.  Modules
 * come from the build (sdk/ examples and testdata) through
 * KILN_TEST_SDK_DIR and KILN_TEST_WASM_DIR, or are built byte by byte here.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "kiln/wasm.h"
#include "../../../src/wasm/wasm_int.h"

/* A module assembled section by section. */
struct mb {
	uint8_t b[8192];
	size_t n;
};

static void
mb_raw(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
mb_leb(struct mb *m, uint32_t v)
{
	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		if (v != 0)
			c |= 0x80;
		mb_raw(m, &c, 1);
	} while (v != 0);
}

static void
mb_init(struct mb *m)
{
	static const uint8_t hdr[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

	m->n = 0;
	mb_raw(m, hdr, sizeof(hdr));
}

static void
mb_section(struct mb *m, uint8_t id, const uint8_t *body, size_t n)
{
	mb_raw(m, &id, 1);
	mb_leb(m, (uint32_t)n);
	mb_raw(m, body, n);
}

#define SEC(m, id, ...) do {						\
	static const uint8_t body_[] = { __VA_ARGS__ };			\
	mb_section((m), (id), body_, sizeof(body_));			\
} while (0)

/* type 0: [] -> [], type 1: [i32] -> [] */
#define TYPES(m) SEC(m, 1, 2, 0x60, 0, 0, 0x60, 1, 0x7f, 0)
#define FUNCS(m) SEC(m, 3, 1, 0)
#define MEMORY(m) SEC(m, 5, 1, 0x01, 2, 5)
#define EXPORTS(m) SEC(m, 7, 2, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, \
	3, 'r', 'u', 'n', 0, 0)
#define CODE(m) SEC(m, 10, 1, 2, 0, 0x0b)

static int
admit(const struct mb *m, uint32_t quota, struct wasm_module_info *info,
    char *why, size_t whylen)
{
	return wasm_module_admit(m->b, m->n, quota, info, why, whylen);
}

static uint8_t *
load(const char *env, const char *name, size_t *len)
{
	const char *dir = getenv(env);
	uint8_t *buf;
	char *path;
	int fd;

	assert_non_null(dir);
	path = xasprintf("%s/%s.wasm", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(fd_slurp(fd, 64 << 20, &buf, len), 0);
	close(fd);
	free(path);
	return buf;
}

static void
expect_file(const char *env, const char *name, uint32_t quota, int code,
    const char *why_expected)
{
	struct wasm_module_info info;
	char why[256];
	uint8_t *buf;
	size_t len;

	buf = load(env, name, &len);
	assert_int_equal(wasm_module_admit(buf, len, quota, &info, why,
	    sizeof(why)), code);
	assert_string_equal(why, why_expected);
	free(buf);
}

static void
expect_bytes(const struct mb *m, int code, const char *why_expected)
{
	char why[256];

	assert_int_equal(admit(m, 1024, NULL, why, sizeof(why)), code);
	assert_string_equal(why, why_expected);
}

static void
test_valid_built(void **state)
{
	struct wasm_module_info info;
	struct mb m;
	char why[256] = "stale";

	(void)state;
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 2, 1, 22, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's',
	    'h', 'o', 't', '_', 'p', 'r', 'e', 'v', 'i', 'e', 'w', '1', 9,
	    'p', 'r', 'o', 'c', '_', 'e', 'x', 'i', 't', 0x00, 1);
	FUNCS(&m);
	MEMORY(&m);
	/* run is function 1: function 0 is the import. */
	SEC(&m, 7, 2, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0,
	    3, 'r', 'u', 'n', 0, 1);
	CODE(&m);
	SEC(&m, 0, 4, 'n', 'o', 't', 'e', 1, 2, 3);
	if (admit(&m, 2, &info, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	assert_string_equal(why, "");
	assert_int_equal(info.initial_pages, 2);
	assert_int_equal(info.max_pages, 5);
	assert_int_equal(info.import_count, 1);
	assert_int_equal(info.entry_is_start, 0);
	/* Same module, one page of quota short. */
	assert_int_equal(admit(&m, 1, &info, why, sizeof(why)),
	    -KILN_EQUOTA);
	assert_string_equal(why,
	    "initial memory of 2 pages exceeds the quota of 1 pages");
}

static void
test_valid_files(void **state)
{
	struct wasm_module_info info;
	char why[256];
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = load("KILN_TEST_WASM_DIR", "grow", &len);
	assert_int_equal(wasm_module_admit(buf, len, 1, &info, why,
	    sizeof(why)), 0);
	assert_int_equal(info.initial_pages, 1);
	assert_int_equal(info.max_pages, 65536);
	assert_int_equal(info.import_count, 1);
	assert_int_equal(info.entry_is_start, 0);
	free(buf);

	/* wasi-libc's crt1: _start, 7 imports, a 1 MiB stack first. */
	buf = load("KILN_TEST_SDK_DIR", "hello", &len);
	assert_int_equal(wasm_module_admit(buf, len, 1024, &info, why,
	    sizeof(why)), 0);
	assert_int_equal(info.entry_is_start, 1);
	assert_int_equal(info.import_count, 7);
	assert_int_equal(info.initial_pages, 17);
	assert_int_equal(info.max_pages, 65536);
	assert_int_equal(wasm_module_admit(buf, len, 16, &info, why,
	    sizeof(why)), -KILN_EQUOTA);
	assert_string_equal(why,
	    "initial memory of 17 pages exceeds the quota of 16 pages");
	free(buf);

	/* 65536 pages pass any quota but never the runtime: refused */
	{
		struct mb m;

		mb_init(&m);
		TYPES(&m);
		FUNCS(&m);
		/* memory: no maximum, 65536 initial pages (LEB 0x80 0x80 4) */
		SEC(&m, 5, 1, 0x00, 0x80, 0x80, 0x04);
		EXPORTS(&m);
		CODE(&m);
		assert_int_equal(admit(&m, UINT32_MAX, &info, why,
		    sizeof(why)), -KILN_EQUOTA);
		assert_string_equal(why, "initial memory of 65536 pages "
		    "exceeds the runtime's limit of 65535 pages");
	}

	buf = load("KILN_TEST_SDK_DIR", "sha256", &len);
	assert_int_equal(wasm_module_admit(buf, len, 1024, &info, why,
	    sizeof(why)), 0);
	free(buf);
	buf = load("KILN_TEST_SDK_DIR", "matmul", &len);
	assert_int_equal(wasm_module_admit(buf, len, 1024, &info, why,
	    sizeof(why)), 0);
	free(buf);
	/* Admission does not decode code: SIMD is refused at compile time. */
	buf = load("KILN_TEST_WASM_DIR", "simd", &len);
	assert_int_equal(wasm_module_admit(buf, len, 1024, &info, why,
	    sizeof(why)), 0);
	free(buf);
}

static void
test_reject_files(void **state)
{
	(void)state;
	expect_file("KILN_TEST_WASM_DIR", "forbidden_import", 1024,
	    -KILN_EIMPORT, "import \"env\".\"system\" is not granted");
	expect_file("KILN_TEST_WASM_DIR", "wrong_type_import", 1024,
	    -KILN_EIMPORT, "import \"wasi_snapshot_preview1\".\"fd_write\" "
	    "has the wrong type");
	expect_file("KILN_TEST_WASM_DIR", "bigmem", 1024, -KILN_EQUOTA,
	    "initial memory of 65535 pages exceeds the quota of 1024 pages");
	expect_file("KILN_TEST_WASM_DIR", "no_entry", 1024,
	    -KILN_EINVAL_MODULE,
	    "module exports neither \"_start\" nor \"run\"");
	expect_file("KILN_TEST_WASM_DIR", "bad_entry_type", 1024,
	    -KILN_EINVAL_MODULE,
	    "export \"run\" is not a function of type [] -> []");
}

static void
test_reject_header(void **state)
{
	static const uint8_t v2[] = { 0, 'a', 's', 'm', 2, 0, 0, 0 };
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
	char why[256];

	(void)state;
	assert_int_equal(wasm_module_admit(NULL, 0, 1, NULL, why,
	    sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "not a WebAssembly module (bad magic)");
	assert_int_equal(wasm_module_admit(elf, sizeof(elf), 1, NULL, why,
	    sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "not a WebAssembly module (bad magic)");
	assert_int_equal(wasm_module_admit(v2, 6, 1, NULL, why,
	    sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "malformed module: truncated header");
	assert_int_equal(wasm_module_admit(v2, sizeof(v2), 1, NULL, why,
	    sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "unsupported WebAssembly version 2");
}

static void
test_reject_structure(void **state)
{
	static const uint8_t overlong[] = { 1, 0x80, 0x80, 0x80, 0x80, 0x80,
	    0x00 };
	static const uint8_t big5[] = { 1, 0x80, 0x80, 0x80, 0x80, 0x10 };
	struct mb m;

	(void)state;
	mb_init(&m);
	SEC(&m, 1, 1, 0x60, 0, 0);
	m.n -= 1;	/* the body is one byte short */
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: type section extends past the end");

	mb_init(&m);
	mb_raw(&m, overlong, sizeof(overlong));
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: truncated section header at offset 14");
	mb_init(&m);
	mb_raw(&m, big5, sizeof(big5));
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: truncated section header at offset 14");

	mb_init(&m);
	SEC(&m, 13, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE, "unknown section id 13");

	mb_init(&m);
	SEC(&m, 2, 0);
	SEC(&m, 1, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "type section out of order or repeated");

	mb_init(&m);
	SEC(&m, 1, 0);
	SEC(&m, 1, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "type section out of order or repeated");

	/* A section longer than its contents. */
	mb_init(&m);
	SEC(&m, 1, 1, 0x60, 0, 0, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: type section size mismatch");

	/* Type count larger than the section could hold. */
	mb_init(&m);
	SEC(&m, 1, 0xff, 0xff, 0xff, 0xff, 0x0f);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: type count past end of section at offset 15");

	mb_init(&m);
	SEC(&m, 1, 1, 0x61, 0, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: bad function type form at offset 12");

	mb_init(&m);
	SEC(&m, 1, 1, 0x60, 1, 0x42, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: bad value type at offset 15");

	/* Function whose type index does not exist. */
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 3, 1, 7);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: function type out of range at offset 22");

	/* Export of a function that does not exist. */
	mb_init(&m);
	TYPES(&m);
	MEMORY(&m);
	SEC(&m, 7, 1, 3, 'r', 'u', 'n', 0, 4);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: export function out of range at offset 33");

	/* Import names must be UTF-8. */
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 2, 1, 1, 0xff, 1, 'x', 0, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: bad import name at offset 23");
}

static void
test_reject_policy(void **state)
{
	struct mb m;

	(void)state;
	/* A memory import is never granted, whatever its name. */
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 2, 1, 3, 'e', 'n', 'v', 6, 'm', 'e', 'm', 'o', 'r', 'y',
	    0x02, 0x00, 1);
	expect_bytes(&m, -KILN_EIMPORT,
	    "import \"env\".\"memory\" is not granted");

	/* Odd bytes in names are escaped in *why. */
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 2, 1, 3, 'e', 0x01, 'v', 3, 'a', '"', 'b', 0x00, 0);
	expect_bytes(&m, -KILN_EIMPORT,
	    "import \"e\\x01v\".\"a\\x22b\" is not granted");

	/* A granted name under another module is not granted. */
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 2, 1, 3, 'e', 'n', 'v', 8, 'f', 'd', '_', 'w', 'r', 'i', 't',
	    'e', 0x00, 0);
	expect_bytes(&m, -KILN_EIMPORT,
	    "import \"env\".\"fd_write\" is not granted");

	/* No memory at all. */
	mb_init(&m);
	TYPES(&m);
	FUNCS(&m);
	SEC(&m, 7, 1, 3, 'r', 'u', 'n', 0, 0);
	CODE(&m);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "module does not export a memory named \"memory\"");

	/* A memory exported under another name. */
	mb_init(&m);
	TYPES(&m);
	FUNCS(&m);
	MEMORY(&m);
	SEC(&m, 7, 2, 3, 'm', 'e', 'm', 2, 0, 3, 'r', 'u', 'n', 0, 0);
	CODE(&m);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "module does not export a memory named \"memory\"");

	/* Two memories, shared memory. */
	mb_init(&m);
	SEC(&m, 5, 2, 0, 1, 0, 1);
	expect_bytes(&m, -KILN_EINVAL_MODULE, "more than one memory");
	mb_init(&m);
	SEC(&m, 5, 1, 0x03, 1, 2);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "unsupported memory limits flags 0x03");
	mb_init(&m);
	SEC(&m, 5, 1, 0x01, 3, 2);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "malformed module: bad memory limits at offset 14");

	/* _start of the wrong type. */
	mb_init(&m);
	TYPES(&m);
	SEC(&m, 3, 1, 1);
	MEMORY(&m);
	SEC(&m, 7, 2, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, 6, '_', 's',
	    't', 'a', 'r', 't', 0, 0);
	expect_bytes(&m, -KILN_EINVAL_MODULE,
	    "export \"_start\" is not a function of type [] -> []");
}

/*
 * Every prefix of a real module: refused unless it ends on a section
 * boundary at or after the code section (dropping trailing data and custom
 * sections leaves a well-formed module), and nothing is read out of bounds.
 */
static void
test_truncations(void **state)
{
	struct wasm_module_info info;
	char why[256];
	uint8_t *buf, *copy;
	size_t len, i, off, nb = 0, code_end = 0, bounds[64];
	int rc;

	(void)state;
	buf = load("KILN_TEST_SDK_DIR", "hello", &len);
	/* The section boundaries, read independently of admit.c. */
	for (off = 8; off < len;) {
		uint8_t id = buf[off++];
		uint32_t size = 0;
		unsigned shift = 0;

		do {
			size |= (uint32_t)(buf[off] & 0x7f) << shift;
			shift += 7;
		} while (buf[off++] & 0x80);
		off += size;
		assert_true(nb < KILN_ARRAY_LEN(bounds));
		bounds[nb++] = off;
		if (id == 10)
			code_end = off;
	}
	assert_int_equal(off, len);
	assert_true(code_end > 0);

	for (i = 0; i <= len; i++) {
		int boundary = 0;
		size_t j;

		for (j = 0; j < nb; j++)
			boundary |= bounds[j] == i;
		/* An exact-size heap copy, so ASan sees any overread. */
		copy = xmalloc(i);
		memcpy(copy, buf, i);
		rc = wasm_module_admit(copy, i, 1024, &info, why, sizeof(why));
		if (boundary && i >= code_end) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -KILN_EINVAL_MODULE);
			assert_true(why[0] != '\0');
		}
		free(copy);
	}
	free(buf);
}

static void
test_why_small(void **state)
{
	char why[8];
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = load("KILN_TEST_WASM_DIR", "forbidden_import", &len);
	memset(why, 'Z', sizeof(why));
	assert_int_equal(wasm_module_admit(buf, len, 1024, NULL, why,
	    sizeof(why)), -KILN_EIMPORT);
	assert_string_equal(why, "import ");
	assert_int_equal(wasm_module_admit(buf, len, 1024, NULL, NULL, 0),
	    -KILN_EIMPORT);
	free(buf);
}

/* The allow-list and the host's exported implementations are one set. */
static void
test_allow_list_exported(void **state)
{
	void *self = dlopen(NULL, RTLD_NOW);
	char sym[128];
	size_t i, j;

	(void)state;
	assert_non_null(self);
	assert_true(wasi_imports_len >= 20);
	for (i = 0; i < wasi_imports_len; i++) {
		const struct wasi_import *wi = &wasi_imports[i];
		const struct wasi_import *found;

		snprintf(sym, sizeof(sym), "Z_wasi_snapshot_preview1Z_%s",
		    wi->name);
		assert_ptr_equal(dlsym(self, sym), (void *)wi->fn);
		found = wasi_import_find((const uint8_t *)WASI_MODULE,
		    strlen(WASI_MODULE), (const uint8_t *)wi->name,
		    strlen(wi->name));
		assert_ptr_equal(found, wi);
		for (j = i + 1; j < wasi_imports_len; j++)
			assert_string_not_equal(wi->name, wasi_imports[j].name);
	}
	assert_null(wasi_import_find((const uint8_t *)WASI_MODULE,
	    strlen(WASI_MODULE), (const uint8_t *)"sock_accept", 11));
	/* The runtime is exported too, for compiled modules to bind to. */
	assert_non_null(dlsym(self, "wasm_rt_trap"));
	assert_non_null(dlsym(self, "wasm_rt_allocate_memory"));
	assert_non_null(dlsym(self, "wasm_rt_register_func_type"));
	dlclose(self);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_built),
		cmocka_unit_test(test_valid_files),
		cmocka_unit_test(test_reject_files),
		cmocka_unit_test(test_reject_header),
		cmocka_unit_test(test_reject_structure),
		cmocka_unit_test(test_reject_policy),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_why_small),
		cmocka_unit_test(test_allow_list_exported),
	};

	return cmocka_run_group_tests_name("wasm_admit", tests, NULL, NULL);
}
