/*
 * Unit tests of src/native: admission of real executables built here with
 * cc (static, dynamic, PIE with libm, a shared library, an object file)
 * with their exact info, every truncation of one, malformed variants
 * patched from it or crafted byte by byte, each with its exact reason;
 * library resolution against this host and against fake roots laid out in
 * a temporary directory; the manifest round trip and its malformed forms;
 * the cache key.  Needs cc and, for the fake roots (files owned by root),
 * to run as root: those tests are skipped otherwise.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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
#include "kiln/native.h"
#include "kiln/wasm.h"

#if defined(__x86_64__)
#define INTERP		"/lib64/ld-linux-x86-64.so.2"
#define INTERP_NAME	"ld-linux-x86-64.so.2"
#define TRIPLET		"x86_64-linux-gnu"
#define MACHINE		EM_X86_64
#define OTHER_MACHINE_WHY "ELF for machine 3, this node runs x86-64"
#elif defined(__aarch64__)
#define INTERP		"/lib/ld-linux-aarch64.so.1"
#define INTERP_NAME	"ld-linux-aarch64.so.1"
#define TRIPLET		"aarch64-linux-gnu"
#define MACHINE		EM_AARCH64
#define OTHER_MACHINE_WHY "ELF for machine 3, this node runs aarch64"
#endif

static char tmp[PATH_MAX];

/* ---- helpers ---- */

/* snprintf that fails the test rather than truncate. */
static void __attribute__((format(printf, 3, 4)))
xsnprintf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	assert_true(r >= 0 && (size_t)r < n);
}

static void __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void
write_file(const char *path, const void *buf, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* A file built by cc under tmp, read into a buffer of its exact size. */
static uint8_t *
built(const char *name, size_t *len)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", tmp, name);
	return slurp(path, len);
}

/* Index of the first program header of type (trusted: our own builds). */
static int
phdr_find(const uint8_t *b, uint32_t type, Elf64_Phdr *out)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	memcpy(&eh, b, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, b + eh.e_phoff + (size_t)i * sizeof(ph),
		    sizeof(ph));
		if (ph.p_type == type) {
			if (out != NULL)
				*out = ph;
			return i;
		}
	}
	return -1;
}

static size_t
phdr_off(const uint8_t *b, int i)
{
	Elf64_Ehdr eh;

	memcpy(&eh, b, sizeof(eh));
	return eh.e_phoff + (size_t)i * sizeof(Elf64_Phdr);
}

/* File offset of the first dynamic entry with tag. */
static size_t
dyn_find(const uint8_t *b, int64_t tag)
{
	Elf64_Phdr ph;
	Elf64_Dyn d;
	size_t off;

	assert_true(phdr_find(b, PT_DYNAMIC, &ph) >= 0);
	for (off = ph.p_offset; off < ph.p_offset + ph.p_filesz;
	    off += sizeof(d)) {
		memcpy(&d, b + off, sizeof(d));
		if (d.d_tag == tag)
			return off;
	}
	fail_msg("no dynamic tag %lld", (long long)tag);
	return 0;
}

/* File offset of what a vaddr maps to. */
static size_t
vaddr_off(const uint8_t *b, uint64_t v)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	memcpy(&eh, b, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, b + phdr_off(b, i), sizeof(ph));
		if (ph.p_type == PT_LOAD && v >= ph.p_vaddr &&
		    v < ph.p_vaddr + ph.p_filesz)
			return ph.p_offset + (v - ph.p_vaddr);
	}
	fail_msg("vaddr %llx not mapped", (unsigned long long)v);
	return 0;
}

static uint64_t
dyn_val(const uint8_t *b, int64_t tag)
{
	Elf64_Dyn d;

	memcpy(&d, b + dyn_find(b, tag), sizeof(d));
	return d.d_un.d_val;
}

static void
dyn_set(uint8_t *b, size_t off, uint64_t val)
{
	memcpy(b + off + offsetof(Elf64_Dyn, d_un), &val, sizeof(val));
}

#define EH_SET(b, field, v) do {					\
	Elf64_Ehdr eh_;							\
	memcpy(&eh_, (b), sizeof(eh_));					\
	eh_.field = (v);						\
	memcpy((b), &eh_, sizeof(eh_));					\
} while (0)

#define PH_SET(b, i, field, v) do {					\
	Elf64_Phdr ph_;							\
	memcpy(&ph_, (b) + phdr_off((b), (i)), sizeof(ph_));		\
	ph_.field = (v);						\
	memcpy((b) + phdr_off((b), (i)), &ph_, sizeof(ph_));		\
} while (0)

/* Admits a copy of b (exact size, so ASan sees overreads); the rc. */
static int
admit(const uint8_t *b, size_t len, struct native_elf_info *info,
    char *why, size_t whylen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, b, len);
	rc = native_elf_admit(copy, len, info, why, whylen);
	free(copy);
	return rc;
}

static void
expect_reject(const uint8_t *b, size_t len, const char *reason)
{
	struct native_elf_info info;
	char why[256];

	assert_int_equal(admit(b, len, &info, why, sizeof(why)),
	    -KILN_EINVAL_MODULE);
	if (strstr(why, reason) == NULL)
		fail_msg("why '%s', expected '%s'", why, reason);
	assert_int_equal(info.nneeded, 0);
	assert_int_equal(info.is_dynamic, 0);
}

/*
 * An ELF crafted byte by byte: header, three program headers (one PT_LOAD
 * over the whole file, PT_INTERP, PT_DYNAMIC), the interpreter at 0x100,
 * the dynamic array at 0x200, the string table at 0x1000.
 */
struct craft {
	uint16_t type;
	uint64_t entry;
	const char *interp;	/* NULL: no PT_INTERP */
	int dynamic;
	const char *names[80];
	int nnames;
	int no_null;		/* leave DT_NULL out */
	int64_t strsz_delta;	/* added to DT_STRSZ */
};

#define CRAFT_INTERP	0x100
#define CRAFT_DYN	0x200
#define CRAFT_STR	0x1000
#define CRAFT_MAX	0x3000

static size_t
craft(uint8_t *b, const struct craft *c)
{
	uint64_t base = c->type == ET_EXEC ? 0x400000 : 0;
	size_t nstr = 1, ndyn = 0, len;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	Elf64_Dyn d;
	int i, nph = 0;

	memset(b, 0, CRAFT_MAX);
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = c->type;
	eh.e_machine = MACHINE;
	eh.e_version = EV_CURRENT;
	eh.e_entry = c->entry ? base + c->entry : 0;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	for (i = 0; i < c->nnames; i++) {
		d.d_tag = DT_NEEDED;
		d.d_un.d_val = nstr;
		memcpy(b + CRAFT_DYN + ndyn++ * sizeof(d), &d, sizeof(d));
		memcpy(b + CRAFT_STR + nstr, c->names[i],
		    strlen(c->names[i]) + 1);
		nstr += strlen(c->names[i]) + 1;
	}
	d.d_tag = DT_STRTAB;
	d.d_un.d_ptr = base + CRAFT_STR;
	memcpy(b + CRAFT_DYN + ndyn++ * sizeof(d), &d, sizeof(d));
	d.d_tag = DT_STRSZ;
	d.d_un.d_val = (uint64_t)((int64_t)nstr + c->strsz_delta);
	memcpy(b + CRAFT_DYN + ndyn++ * sizeof(d), &d, sizeof(d));
	if (!c->no_null) {
		d.d_tag = DT_NULL;
		d.d_un.d_val = 0;
		memcpy(b + CRAFT_DYN + ndyn++ * sizeof(d), &d, sizeof(d));
	}
	assert_true(CRAFT_DYN + ndyn * sizeof(d) <= CRAFT_STR);
	len = CRAFT_STR + nstr;
	assert_true(len <= CRAFT_MAX);

	memset(ph, 0, sizeof(ph));
	ph[nph].p_type = PT_LOAD;
	ph[nph].p_flags = PF_R | PF_X;
	ph[nph].p_vaddr = ph[nph].p_paddr = base;
	ph[nph].p_filesz = ph[nph].p_memsz = len;
	ph[nph].p_align = 0x1000;
	nph++;
	if (c->interp != NULL) {
		memcpy(b + CRAFT_INTERP, c->interp, strlen(c->interp) + 1);
		ph[nph].p_type = PT_INTERP;
		ph[nph].p_flags = PF_R;
		ph[nph].p_offset = CRAFT_INTERP;
		ph[nph].p_vaddr = ph[nph].p_paddr = base + CRAFT_INTERP;
		ph[nph].p_filesz = ph[nph].p_memsz = strlen(c->interp) + 1;
		ph[nph].p_align = 1;
		nph++;
	}
	if (c->dynamic) {
		ph[nph].p_type = PT_DYNAMIC;
		ph[nph].p_flags = PF_R | PF_W;
		ph[nph].p_offset = CRAFT_DYN;
		ph[nph].p_vaddr = ph[nph].p_paddr = base + CRAFT_DYN;
		ph[nph].p_filesz = ph[nph].p_memsz = ndyn * sizeof(d);
		ph[nph].p_align = 8;
		nph++;
	}
	eh.e_phnum = (uint16_t)nph;
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), ph, (size_t)nph * sizeof(ph[0]));
	return len;
}

/* A crafted executable needing names (PIE, our interpreter). */
static size_t
craft_exec(uint8_t *b, const char *const *names, int n)
{
	struct craft c;
	int i;

	memset(&c, 0, sizeof(c));
	c.type = ET_DYN;
	c.entry = 0x40;
	c.interp = INTERP;
	c.dynamic = 1;
	for (i = 0; i < n; i++)
		c.names[i] = names[i];
	c.nnames = n;
	return craft(b, &c);
}

/* A crafted shared library needing names. */
static size_t
craft_lib(uint8_t *b, const char *const *names, int n)
{
	struct craft c;
	int i;

	memset(&c, 0, sizeof(c));
	c.type = ET_DYN;
	c.dynamic = 1;
	for (i = 0; i < n; i++)
		c.names[i] = names[i];
	c.nnames = n;
	return craft(b, &c);
}

/* ---- setup: the real executables ---- */

static int
setup(void **state)
{
	xsnprintf(tmp, sizeof(tmp), "/tmp/kiln-native-test-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	{
		char cmd[4096];

		xsnprintf(cmd, sizeof(cmd),
		    "cd %s && "
		    "printf '#include <stdio.h>\\nint main(void) "
		    "{ puts(\"hi\"); return 0; }\\n' > hello.c && "
		    "printf '#include <math.h>\\n#include <stdio.h>\\n"
		    "volatile double x = 2;\\nint main(void) "
		    "{ printf(\"%%%%f\\\\n\", cos(x)); return 0; }\\n' "
		    "> cos.c && "
		    "printf '#include <stdio.h>\\nvoid f(void) "
		    "{ puts(\"f\"); }\\n' > lib.c && "
		    "cc -static -o static hello.c && "
		    "cc -no-pie -o dynamic hello.c && "
		    "cc -fPIE -pie -o pie cos.c -lm && "
		    "cc -shared -fPIC -o lib.so lib.c && "
		    "cc -c -o hello.o hello.c", tmp);
		if (system(cmd) != 0) {
			fprintf(stderr, "building the test executables "
			    "failed\n");
			return -1;
		}
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	if (tmp[0] != '\0') {
		xsnprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* ---- admission of real executables ---- */

static void
test_elf_is(void **state)
{
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F' };
	static const uint8_t wasm[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

	assert_int_equal(native_elf_is(elf, sizeof(elf)), 1);
	assert_int_equal(native_elf_is(elf, 3), 0);
	assert_int_equal(native_elf_is(wasm, sizeof(wasm)), 0);
	assert_int_equal(native_elf_is(NULL, 0), 0);
}

static void
test_static(void **state)
{
	struct native_elf_info info;
	char why[256];
	uint8_t *b;
	size_t len;

	b = built("static", &len);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(info.is_dynamic, 0);
	assert_int_equal(info.is_pie, 0);
	assert_string_equal(info.interp, "");
	assert_int_equal(info.nneeded, 0);
	free(b);
}

static void
test_dynamic(void **state)
{
	struct native_elf_info info;
	char why[256];
	uint8_t *b;
	size_t len;

	b = built("dynamic", &len);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(info.is_dynamic, 1);
	assert_int_equal(info.is_pie, 0);
	assert_string_equal(info.interp, INTERP);
	assert_int_equal(info.nneeded, 1);
	assert_string_equal(info.needed[0], "libc.so.6");
	free(b);
}

/* readelf -d pie: NEEDED libm.so.6, then libc.so.6. */
static void
test_pie_libm(void **state)
{
	struct native_elf_info info;
	char why[256];
	uint8_t *b;
	size_t len;

	b = built("pie", &len);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_int_equal(info.is_dynamic, 1);
	assert_int_equal(info.is_pie, 1);
	assert_string_equal(info.interp, INTERP);
	assert_int_equal(info.nneeded, 2);
	assert_string_equal(info.needed[0], "libm.so.6");
	assert_string_equal(info.needed[1], "libc.so.6");
	free(b);
}

static void
test_shared_and_object(void **state)
{
	char needed[4][NATIVE_NAME_MAX], why[256];
	uint8_t *b;
	size_t len;
	int n = -1;

	b = built("lib.so", &len);
	expect_reject(b, len, "shared library, not an executable");
	assert_int_equal(native_elf_needed(b, len, needed, 4, &n, why,
	    sizeof(why)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(needed[0], "libc.so.6");
	assert_string_equal(why, "");
	assert_int_equal(native_elf_needed(b, len, needed, 0, &n, why,
	    sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "more than 0 DT_NEEDED entries");
	assert_int_equal(n, 0);
	free(b);

	b = built("dynamic", &len);
	assert_int_equal(native_elf_needed(b, len, needed, 4, &n, why,
	    sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "ELF type 2, not a shared library");
	free(b);

	b = built("hello.o", &len);
	expect_reject(b, len, "relocatable object, not an executable");
	free(b);
}

/* Every truncation of the dynamic executable inside its segments fails. */
static void
test_truncations(void **state)
{
	struct native_elf_info info;
	Elf64_Phdr ph;
	Elf64_Ehdr eh;
	char why[256], expect[64];
	size_t len, cut, need = 0;
	uint8_t *b;
	int i, interp_idx;

	b = built("dynamic", &len);
	memcpy(&eh, b, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, b + phdr_off(b, i), sizeof(ph));
		if (ph.p_offset + ph.p_filesz > need)
			need = ph.p_offset + ph.p_filesz;
	}
	assert_true(need <= len);
	expect_reject(b, 0, "not an ELF file");
	expect_reject(b, 3, "not an ELF file");
	expect_reject(b, 4, "truncated ELF header (4 bytes)");
	expect_reject(b, 63, "truncated ELF header (63 bytes)");
	expect_reject(b, 64, "program header table outside the file");
	expect_reject(b, 64 + eh.e_phnum * sizeof(Elf64_Phdr) - 1,
	    "program header table outside the file");
	interp_idx = phdr_find(b, PT_INTERP, &ph);
	xsnprintf(expect, sizeof(expect), "program header %d outside the file",
	    interp_idx);
	expect_reject(b, ph.p_offset + 5, expect);
	for (cut = 0; cut < need; cut++) {
		why[0] = '\0';
		assert_int_equal(admit(b, cut, &info, why, sizeof(why)),
		    -KILN_EINVAL_MODULE);
		assert_true(why[0] != '\0');
		assert_true(strlen(why) < 100);
	}
	for (cut = need; cut <= len; cut++)
		assert_int_equal(admit(b, cut, &info, why, sizeof(why)), 0);
	free(b);
}

static void
test_bad_header(void **state)
{
	uint8_t *b, *m;
	size_t len;

	b = built("dynamic", &len);
	m = malloc(len);
	assert_non_null(m);

#define FRESH()	memcpy(m, b, len)
	FRESH();
	m[EI_CLASS] = ELFCLASS32;
	expect_reject(m, len, "not a 64-bit ELF");
	expect_reject(m, 5, "not a 64-bit ELF");
	FRESH();
	m[EI_DATA] = ELFDATA2MSB;
	expect_reject(m, len, "not a little-endian ELF");
	FRESH();
	m[EI_VERSION] = 2;
	expect_reject(m, len, "unknown ELF version");
	FRESH();
	m[EI_OSABI] = ELFOSABI_FREEBSD;
	expect_reject(m, len, "ELF OS ABI 9 not supported");
	FRESH();
	EH_SET(m, e_machine, EM_386);
	expect_reject(m, len, OTHER_MACHINE_WHY);
	FRESH();
	EH_SET(m, e_type, ET_REL);
	expect_reject(m, len, "relocatable object, not an executable");
	FRESH();
	EH_SET(m, e_type, ET_CORE);
	expect_reject(m, len, "core file, not an executable");
	FRESH();
	EH_SET(m, e_type, 0xfe00);
	expect_reject(m, len, "ELF type 65024, not an executable");
	FRESH();
	EH_SET(m, e_phentsize, 32);
	expect_reject(m, len, "program header size 32, expected 56");
	FRESH();
	EH_SET(m, e_phnum, 0);
	expect_reject(m, len, "no program headers");
	FRESH();
	EH_SET(m, e_phnum, PN_XNUM);
	expect_reject(m, len, "too many program headers");
	FRESH();
	EH_SET(m, e_phoff, len);
	expect_reject(m, len, "program header table outside the file");
	FRESH();
	EH_SET(m, e_phoff, UINT64_MAX - 8);
	expect_reject(m, len, "program header table outside the file");
	FRESH();
	EH_SET(m, e_phnum, 60000);
	expect_reject(m, len, "program header table outside the file");
	FRESH();
	EH_SET(m, e_entry, 0);
	expect_reject(m, len, "no entry point");
	FRESH();
	EH_SET(m, e_entry, 0x10);
	expect_reject(m, len, "entry point outside the loaded segments");
	FRESH();
	EH_SET(m, e_entry, UINT64_MAX);
	expect_reject(m, len, "entry point outside the loaded segments");
	free(m);
	free(b);
}

static void
test_bad_phdrs(void **state)
{
	char expect[NATIVE_PATH_MAX + 64];
	Elf64_Phdr ph;
	uint8_t *b, *m;
	size_t len;
	int load, interp, dyn, note;

	b = built("dynamic", &len);
	m = malloc(len);
	assert_non_null(m);
	load = phdr_find(b, PT_LOAD, NULL);
	interp = phdr_find(b, PT_INTERP, &ph);
	dyn = phdr_find(b, PT_DYNAMIC, NULL);
	note = phdr_find(b, PT_NOTE, NULL);
	assert_true(load >= 0 && interp >= 0 && dyn >= 0 && note >= 0);

	FRESH();
	PH_SET(m, load, p_offset, len);
	PH_SET(m, load, p_filesz, 1);
	xsnprintf(expect, sizeof(expect), "program header %d outside the file",
	    load);
	expect_reject(m, len, expect);
	FRESH();
	PH_SET(m, load, p_offset, 8);
	PH_SET(m, load, p_filesz, UINT64_MAX - 4);
	expect_reject(m, len, expect);
	FRESH();
	PH_SET(m, dyn, p_offset, len - 8);
	PH_SET(m, dyn, p_filesz, 16);
	xsnprintf(expect, sizeof(expect), "program header %d outside the file",
	    dyn);
	expect_reject(m, len, expect);
	FRESH();
	PH_SET(m, load, p_memsz, 0);
	PH_SET(m, load, p_filesz, 1);
	xsnprintf(expect, sizeof(expect), "PT_LOAD %d larger in the file than "
	    "in memory", load);
	expect_reject(m, len, expect);
	FRESH();
	PH_SET(m, load, p_vaddr, UINT64_MAX - 8);
	xsnprintf(expect, sizeof(expect), "PT_LOAD %d wraps the address space",
	    load);
	expect_reject(m, len, expect);
	FRESH();
	PH_SET(m, note, p_type, PT_INTERP);
	expect_reject(m, len, "more than one PT_INTERP");
	FRESH();
	PH_SET(m, note, p_type, PT_DYNAMIC);
	expect_reject(m, len, "more than one PT_DYNAMIC");
	FRESH();
	PH_SET(m, interp, p_type, PT_NULL);
	expect_reject(m, len, "dynamic section without an interpreter");

	/* the interpreter */
	FRESH();
	memcpy(m + ph.p_offset, "/tmp/evil", 10);
	expect_reject(m, len, "interpreter /tmp/evil not allowed");
	FRESH();
	m[ph.p_offset + ph.p_filesz - 1] = 'x';
	expect_reject(m, len, "interpreter not NUL-terminated");
	FRESH();
	PH_SET(m, interp, p_filesz, 0);
	expect_reject(m, len, "interpreter not NUL-terminated");
	FRESH();
	m[ph.p_offset + 1] = '\n';
	xsnprintf(expect, sizeof(expect), "interpreter /?%s not allowed",
	    INTERP + 2);
	expect_reject(m, len, expect);
	free(m);
	free(b);
}

static void
test_bad_dynamic(void **state)
{
	char expect[128];
	uint8_t *b, *m;
	size_t len, strtab, needed_off;
	uint64_t strsz;

	b = built("dynamic", &len);
	m = malloc(len);
	assert_non_null(m);
	strtab = vaddr_off(b, dyn_val(b, DT_STRTAB));
	strsz = dyn_val(b, DT_STRSZ);
	needed_off = dyn_val(b, DT_NEEDED);
	assert_string_equal((const char *)b + strtab + needed_off,
	    "libc.so.6");

	FRESH();
	dyn_set(m, dyn_find(m, DT_STRTAB), 0xdead0000);
	expect_reject(m, len, "DT_STRTAB 0xdead0000 not mapped by a PT_LOAD");
	FRESH();
	dyn_set(m, dyn_find(m, DT_NEEDED), strsz);
	xsnprintf(expect, sizeof(expect), "DT_NEEDED offset %llu past DT_STRSZ "
	    "%llu", (unsigned long long)strsz, (unsigned long long)strsz);
	expect_reject(m, len, expect);
	FRESH();
	dyn_set(m, dyn_find(m, DT_NEEDED), UINT64_MAX);
	expect_reject(m, len, "past DT_STRSZ");
	FRESH();
	dyn_set(m, dyn_find(m, DT_STRSZ), UINT64_MAX);
	expect_reject(m, len, "DT_STRSZ 18446744073709551615 runs past its "
	    "segment");
	FRESH();
	dyn_set(m, dyn_find(m, DT_STRSZ), needed_off + 4);
	expect_reject(m, len, "DT_NEEDED name not NUL-terminated in the "
	    "string table");
	FRESH();
	memcpy(m + strtab + needed_off, "a/b", 3);
	expect_reject(m, len, "DT_NEEDED name 'a/bc.so.6' is not a plain "
	    "soname");
	FRESH();
	memcpy(m + strtab + needed_off, "..", 3);
	expect_reject(m, len, "DT_NEEDED name '..' is not a plain soname");
	FRESH();
	m[strtab + needed_off] = '\0';
	expect_reject(m, len, "DT_NEEDED name '' is not a plain soname");
	free(m);
	free(b);
}

static void
test_crafted(void **state)
{
	static uint8_t b[CRAFT_MAX];
	static char names[80][NATIVE_NAME_MAX + 8];
	const char *list[80];
	struct native_elf_info info;
	struct craft c;
	char why[256], expect[128];
	size_t len;
	int i;

	for (i = 0; i < 80; i++) {
		xsnprintf(names[i], sizeof(names[i]), "libn%d.so.%d", i, i % 3);
		list[i] = names[i];
	}
	/* exactly NATIVE_NEEDED_MAX, in order */
	len = craft_exec(b, list, NATIVE_NEEDED_MAX);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_int_equal(info.is_dynamic, 1);
	assert_int_equal(info.is_pie, 1);
	assert_int_equal(info.nneeded, NATIVE_NEEDED_MAX);
	for (i = 0; i < NATIVE_NEEDED_MAX; i++)
		assert_string_equal(info.needed[i], names[i]);
	len = craft_exec(b, list, NATIVE_NEEDED_MAX + 1);
	expect_reject(b, len, "more than 64 DT_NEEDED entries");
	len = craft_exec(b, list, 0);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_int_equal(info.nneeded, 0);

	/* name lengths: 63 bytes is the longest */
	memset(names[0], 'a', NATIVE_NAME_MAX - 1);
	names[0][NATIVE_NAME_MAX - 1] = '\0';
	len = craft_exec(b, list, 1);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_string_equal(info.needed[0], names[0]);
	memset(names[0], 'a', NATIVE_NAME_MAX);
	names[0][NATIVE_NAME_MAX] = '\0';
	len = craft_exec(b, list, 1);
	expect_reject(b, len, "too long");
	strcpy(names[0], "libc.so.6 ");
	len = craft_exec(b, list, 1);
	expect_reject(b, len, "DT_NEEDED name 'libc.so.6 ' is not a plain "
	    "soname");
	strcpy(names[0], ".");
	len = craft_exec(b, list, 1);
	expect_reject(b, len, "DT_NEEDED name '.' is not a plain soname");
	strcpy(names[0], "lib\x01+x_-Y.so");
	len = craft_exec(b, list, 1);
	expect_reject(b, len, "DT_NEEDED name 'lib?+x_-Y.so' is not a plain "
	    "soname");
	strcpy(names[0], "libstdc++.so.6");
	len = craft_exec(b, list, 1);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);

	/* no DT_NULL; string table short of the last name's NUL */
	memset(&c, 0, sizeof(c));
	c.type = ET_EXEC;
	c.entry = 0x40;
	c.interp = INTERP;
	c.dynamic = 1;
	c.names[0] = "libc.so.6";
	c.nnames = 1;
	c.no_null = 1;
	len = craft(b, &c);
	expect_reject(b, len, "dynamic section without DT_NULL");
	c.no_null = 0;
	c.strsz_delta = -1;
	len = craft(b, &c);
	expect_reject(b, len, "DT_NEEDED name not NUL-terminated in the "
	    "string table");
	c.strsz_delta = 1;	/* past the end of the file and segment */
	len = craft(b, &c);
	xsnprintf(expect, sizeof(expect), "DT_STRSZ %zu runs past its segment",
	    (size_t)12);
	expect_reject(b, len, expect);
	c.strsz_delta = 0;
	len = craft(b, &c);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_int_equal(info.is_pie, 0);
	assert_int_equal(info.nneeded, 1);

	/* an interpreter and no dynamic section: dynamic, nothing needed */
	c.dynamic = 0;
	len = craft(b, &c);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	assert_int_equal(info.is_dynamic, 1);
	assert_int_equal(info.nneeded, 0);

	/* an ET_DYN with no entry and no interpreter is a library */
	len = craft_lib(b, list, 0);
	expect_reject(b, len, "shared library, not an executable");
	/* a static PIE has PT_DYNAMIC and no interpreter */
	c.interp = NULL;
	c.dynamic = 1;
	c.type = ET_DYN;
	len = craft(b, &c);
	expect_reject(b, len, "dynamic section without an interpreter");
	/* needed without a string table */
	memset(&c, 0, sizeof(c));
	c.type = ET_DYN;
	c.entry = 0x40;
	c.interp = INTERP;
	c.dynamic = 1;
	c.names[0] = "libc.so.6";
	c.nnames = 1;
	len = craft(b, &c);
	/* DT_STRTAB is the entry after the one DT_NEEDED: make it DT_DEBUG */
	{
		int64_t tag = DT_DEBUG;

		memcpy(b + CRAFT_DYN + sizeof(Elf64_Dyn), &tag, sizeof(tag));
	}
	expect_reject(b, len, "DT_NEEDED without DT_STRTAB and DT_STRSZ");
	{
		int64_t tag = DT_STRSZ;

		memcpy(b + CRAFT_DYN + sizeof(Elf64_Dyn), &tag, sizeof(tag));
	}
	expect_reject(b, len, "more than one DT_STRSZ");

	/* a short why buffer stays NUL-terminated */
	len = craft_exec(b, list, NATIVE_NEEDED_MAX + 1);
	memset(why, 'x', sizeof(why));
	assert_int_equal(native_elf_admit(b, len, &info, why, 8),
	    -KILN_EINVAL_MODULE);
	assert_string_equal(why, "more th");
	assert_int_equal(native_elf_admit(b, len, &info, NULL, 0),
	    -KILN_EINVAL_MODULE);
}

/* ---- resolution ---- */

static void
expect_bind(const struct native_bind *b, const char *src_path,
    const char *dst)
{
	char real[PATH_MAX];

	assert_non_null(realpath(src_path, real));
	assert_string_equal(b->src, real);
	assert_string_equal(b->dst, dst);
	assert_int_equal(access(b->src, R_OK), 0);
}

static void
test_resolve_host(void **state)
{
	static struct native_libs libs;
	struct native_elf_info info;
	char why[256];
	uint8_t *b;
	size_t len;

	b = built("dynamic", &len);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	free(b);
	assert_int_equal(native_libs_resolve("/", info.interp, info.needed,
	    info.nneeded, &libs, why, sizeof(why)), 0);
	/* libc.so.6 needs only the interpreter, which is bound already */
	assert_int_equal(libs.n, 2);
	expect_bind(&libs.b[0], INTERP, INTERP);
	expect_bind(&libs.b[1], "/lib/" TRIPLET "/libc.so.6",
	    "/lib/" TRIPLET "/libc.so.6");
	assert_string_equal(why, "");
	assert_int_equal(native_libs_resolve("", info.interp, info.needed,
	    info.nneeded, &libs, why, sizeof(why)), 0);
	assert_int_equal(libs.n, 2);
	assert_int_equal(native_libs_resolve(NULL, info.interp, info.needed,
	    info.nneeded, &libs, why, sizeof(why)), 0);
	assert_int_equal(libs.n, 2);

	b = built("pie", &len);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	free(b);
	assert_int_equal(native_libs_resolve("/", info.interp, info.needed,
	    info.nneeded, &libs, why, sizeof(why)), 0);
	assert_int_equal(libs.n, 3);
	expect_bind(&libs.b[0], INTERP, INTERP);
	expect_bind(&libs.b[1], "/lib/" TRIPLET "/libm.so.6",
	    "/lib/" TRIPLET "/libm.so.6");
	expect_bind(&libs.b[2], "/lib/" TRIPLET "/libc.so.6",
	    "/lib/" TRIPLET "/libc.so.6");

	b = built("static", &len);
	assert_int_equal(admit(b, len, &info, why, sizeof(why)), 0);
	free(b);
	libs.n = 99;
	assert_int_equal(native_libs_resolve("/", info.interp, info.needed,
	    info.nneeded, &libs, why, sizeof(why)), 0);
	assert_int_equal(libs.n, 0);
}

/* A fake root: a library crafted with its needs, at root/dir/name. */
static void
put_lib(const char *root, const char *dir, const char *name, mode_t mode,
    const char *const *needs, int n)
{
	static uint8_t b[CRAFT_MAX];
	char path[PATH_MAX];
	size_t len;

	sh("mkdir -p %s%s", root, dir);
	len = craft_lib(b, needs, n);
	xsnprintf(path, sizeof(path), "%s%s/%s", root, dir, name);
	write_file(path, b, len, mode);
}

/* A fresh fake root (its real path) holding an interpreter file. */
static void
fake_root(char *root, const char *name)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", tmp, name);
	sh("rm -rf %s && mkdir -p %s/lib64 %s/lib", path, path, path);
	assert_non_null(realpath(path, root));
	xsnprintf(path, sizeof(path), "%s" INTERP, root);
	write_file(path, "interp", 6, 0755);
}

static void
test_resolve_fake_root(void **state)
{
	static struct native_libs libs;
	static const char *const exe_needs[] = { "liba.so.1", "libc.so.6",
	    "liba.so.1" };
	static const char *const a_needs[] = { "libb.so.1", "libc.so.6" };
	static const char *const b_needs[] = { "libc.so.6", INTERP_NAME };
	static const char *const c_needs[] = { INTERP_NAME };
	char needed[4][NATIVE_NAME_MAX], root[PATH_MAX], path[PATH_MAX],
	    why[256], link[PATH_MAX];
	int i;

	if (geteuid() != 0)
		skip();
	fake_root(root, "root1");
	for (i = 0; i < 3; i++)
		xsnprintf(needed[i], sizeof(needed[i]), "%s", exe_needs[i]);
	/* liba.so.1 is a link to liba.so.1.2.3 */
	put_lib(root, "/lib/" TRIPLET, "liba.so.1.2.3", 0644, a_needs, 2);
	xsnprintf(link, sizeof(link), "%s/lib/" TRIPLET "/liba.so.1", root);
	assert_int_equal(symlink("liba.so.1.2.3", link), 0);
	put_lib(root, "/usr/lib", "libb.so.1", 0644, b_needs, 2);
	/* libc.so.6 in two directories: the earlier one wins */
	put_lib(root, "/usr/lib/" TRIPLET, "libc.so.6", 0644, c_needs, 1);
	put_lib(root, "/lib", "libc.so.6", 0644, c_needs, 1);
	/* the interpreter's name elsewhere is never bound */
	put_lib(root, "/lib", INTERP_NAME, 0644, NULL, 0);

	assert_int_equal(native_libs_resolve(root, INTERP, needed, 3, &libs,
	    why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(libs.n, 4);
	xsnprintf(path, sizeof(path), "%s%s", root, INTERP);
	expect_bind(&libs.b[0], path, INTERP);
	xsnprintf(path, sizeof(path), "%s/lib/" TRIPLET "/liba.so.1.2.3", root);
	expect_bind(&libs.b[1], path, "/lib/" TRIPLET "/liba.so.1");
	xsnprintf(path, sizeof(path), "%s/usr/lib/" TRIPLET "/libc.so.6", root);
	expect_bind(&libs.b[2], path, "/usr/lib/" TRIPLET "/libc.so.6");
	xsnprintf(path, sizeof(path), "%s/usr/lib/libb.so.1", root);
	expect_bind(&libs.b[3], path, "/usr/lib/libb.so.1");

	/* a trailing slash on the root changes nothing */
	xsnprintf(path, sizeof(path), "%s/", root);
	assert_int_equal(native_libs_resolve(path, INTERP, needed, 3, &libs,
	    why, sizeof(why)), 0);
	assert_int_equal(libs.n, 4);
	assert_string_equal(libs.b[3].dst, "/usr/lib/libb.so.1");

	/* the interpreter alone */
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 0, &libs,
	    why, sizeof(why)), 0);
	assert_int_equal(libs.n, 1);
	assert_string_equal(libs.b[0].dst, INTERP);
}

static void
test_resolve_errors(void **state)
{
	static struct native_libs libs;
	static const char *const a_needs[] = { "libmissing.so.1" };
	static const char *const b_needs[] = { "libw.so.1" };
	char needed[NATIVE_NEEDED_MAX][NATIVE_NAME_MAX], root[PATH_MAX],
	    path[PATH_MAX], why[256], expect[PATH_MAX + 64];
	static char names[NATIVE_NEEDED_MAX][NATIVE_NAME_MAX];
	const char *list[NATIVE_NEEDED_MAX];
	int i;

	if (geteuid() != 0)
		skip();
	fake_root(root, "root2");
	put_lib(root, "/lib", "liba.so.1", 0644, a_needs, 1);
	put_lib(root, "/lib", "libb.so.1", 0644, b_needs, 1);
	put_lib(root, "/lib", "libw.so.1", 0664, NULL, 0);
	xsnprintf(path, sizeof(path), "%s/lib/libjunk.so.1", root);
	write_file(path, "junk", 4, 0644);
	xsnprintf(path, sizeof(path), "%s/lib/libempty.so.1", root);
	write_file(path, "", 0, 0644);
	put_lib(root, "/lib", "libu.so.1", 0644, NULL, 0);
	xsnprintf(path, sizeof(path), "%s/lib/libu.so.1", root);
	assert_int_equal(chown(path, 1000, 1000), 0);
	sh("mkdir -p %s/lib/libdir.so.1", root);

	/* a transitive need missing: -ENOENT naming it */
	xsnprintf(needed[0], sizeof(needed[0]), "liba.so.1");
	libs.n = 5;
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "library libmissing.so.1 not found");
	assert_int_equal(libs.n, 0);
	/* group-writable, through another library */
	xsnprintf(needed[0], sizeof(needed[0]), "libb.so.1");
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -EPERM);
	xsnprintf(expect, sizeof(expect), "%s/lib/libw.so.1 is writable by "
	    "group or others", root);
	assert_string_equal(why, expect);
	/* not owned by root */
	xsnprintf(needed[0], sizeof(needed[0]), "libu.so.1");
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -EPERM);
	xsnprintf(expect, sizeof(expect), "%s/lib/libu.so.1 is not owned by "
	    "root", root);
	assert_string_equal(why, expect);
	/* a directory */
	xsnprintf(needed[0], sizeof(needed[0]), "libdir.so.1");
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -EPERM);
	xsnprintf(expect, sizeof(expect), "%s/lib/libdir.so.1 is not a regular "
	    "file", root);
	assert_string_equal(why, expect);
	/* not an ELF library */
	xsnprintf(needed[0], sizeof(needed[0]), "libjunk.so.1");
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "library libjunk.so.1: not an ELF file");
	xsnprintf(needed[0], sizeof(needed[0]), "libempty.so.1");
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "library libempty.so.1: empty file");
	/* a bad name given to us */
	xsnprintf(needed[0], sizeof(needed[0]), "../lib/liba.so.1");
	assert_int_equal(native_libs_resolve(root, INTERP, needed, 1, &libs,
	    why, sizeof(why)), -KILN_EINVAL_MODULE);
	/* libraries and no interpreter; an interpreter path not canonical */
	xsnprintf(needed[0], sizeof(needed[0]), "liba.so.1");
	assert_int_equal(native_libs_resolve(root, "", needed, 1, &libs,
	    why, sizeof(why)), -KILN_EINVAL_MODULE);
	assert_string_equal(why, "libraries needed without an interpreter");
	assert_int_equal(native_libs_resolve(root, "/lib64/../lib64/x", needed,
	    1, &libs, why, sizeof(why)), -KILN_EINVAL_MODULE);
	/* the interpreter missing under this root */
	assert_int_equal(native_libs_resolve(root, "/lib/ld-none.so.1", needed,
	    1, &libs, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/lib/ld-none.so.1"));

	/* binds: the interpreter, 64 needed, libfirst.so's 63 or 64 more */
	for (i = 0; i < NATIVE_NEEDED_MAX; i++) {
		xsnprintf(names[i], sizeof(names[i]), "libm%d.so", i);
		list[i] = names[i];
		put_lib(root, "/usr/lib", names[i], 0644, NULL, 0);
	}
	xsnprintf(needed[0], sizeof(needed[0]), "libfirst.so");
	for (i = 1; i < NATIVE_NEEDED_MAX; i++) {
		xsnprintf(needed[i], sizeof(needed[i]), "libn%d.so", i);
		put_lib(root, "/usr/lib", needed[i], 0644, NULL, 0);
	}
	put_lib(root, "/usr/lib", "libfirst.so", 0644, list,
	    NATIVE_NEEDED_MAX - 1);
	assert_int_equal(native_libs_resolve(root, INTERP, needed,
	    NATIVE_NEEDED_MAX, &libs, why, sizeof(why)), 0);
	assert_int_equal(libs.n, NATIVE_LIBS_MAX);
	assert_string_equal(libs.b[NATIVE_LIBS_MAX - 1].dst,
	    "/usr/lib/libm62.so");
	put_lib(root, "/usr/lib", "libfirst.so", 0644, list,
	    NATIVE_NEEDED_MAX);
	assert_int_equal(native_libs_resolve(root, INTERP, needed,
	    NATIVE_NEEDED_MAX, &libs, why, sizeof(why)), -E2BIG);
	assert_string_equal(why, "more than 128 libraries needed");
	assert_int_equal(libs.n, 0);
}

/* ---- the manifest ---- */

static void
write_text(const char *path, const char *s, size_t n)
{
	write_file(path, s, n, 0644);
}

static void
test_manifest(void **state)
{
	static struct native_libs libs, back;
	static char big[65536 * 4];
	char path[PATH_MAX], *text;
	uint8_t *got;
	size_t len, i;
	int fd;
	static const char *const bad[] = {
		"/a\t/b",			/* no final newline */
		"/a /b\n",			/* no tab */
		"/a\t/b\t/c\n",			/* two tabs */
		"a\t/b\n",			/* relative */
		"/a\tb\n",
		"/a/../b\t/b\n",		/* .. */
		"/a\t/b/..\n",
		"/a/./b\t/b\n",			/* . */
		"/a//b\t/b\n",			/* empty component */
		"/a/\t/b\n",			/* trailing slash */
		"/\t/b\n",
		"\t/b\n",			/* empty */
		"/a\t\n",
		"/a\x01\t/b\n",			/* control character */
		"/a\t/b\r\n",
		"/a\x7f\t/b\n",
		"/a\t/b\n\n",			/* empty line */
		"/a\t/b\n/c\t/b\n",		/* dst twice */
	};

	xsnprintf(path, sizeof(path), "%s/manifest", tmp);
	memset(&libs, 0, sizeof(libs));
	libs.n = 3;
	strcpy(libs.b[0].src, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	strcpy(libs.b[0].dst, "/lib64/ld-linux-x86-64.so.2");
	strcpy(libs.b[1].src, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	strcpy(libs.b[1].dst, "/lib/x86_64-linux-gnu/libc.so.6");
	strcpy(libs.b[2].src, "/opt/a b/lib-x.so");
	strcpy(libs.b[2].dst, "/usr/lib/lib-x.so");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(native_libs_write(fd, &libs), 0);
	close(fd);
	got = slurp(path, &len);
	text = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\t"
	    "/lib64/ld-linux-x86-64.so.2\n"
	    "/usr/lib/x86_64-linux-gnu/libc.so.6\t"
	    "/lib/x86_64-linux-gnu/libc.so.6\n"
	    "/opt/a b/lib-x.so\t/usr/lib/lib-x.so\n";
	assert_int_equal(len, strlen(text));
	assert_memory_equal(got, text, len);
	free(got);
	assert_int_equal(native_libs_read(path, &back), 0);
	assert_int_equal(back.n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(back.b[i].src, libs.b[i].src);
		assert_string_equal(back.b[i].dst, libs.b[i].dst);
	}

	/* an empty manifest: a static executable */
	write_text(path, "", 0);
	back.n = 7;
	assert_int_equal(native_libs_read(path, &back), 0);
	assert_int_equal(back.n, 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	libs.n = 0;
	assert_int_equal(native_libs_write(fd, &libs), 0);
	close(fd);
	got = slurp(path, &len);
	assert_int_equal(len, 0);
	free(got);

	/* writing refuses what reading would refuse */
	libs.n = 1;
	strcpy(libs.b[0].src, "/a\tb");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(native_libs_write(fd, &libs), -EINVAL);
	libs.n = NATIVE_LIBS_MAX + 1;
	assert_int_equal(native_libs_write(fd, &libs), -EINVAL);
	close(fd);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(path, bad[i], strlen(bad[i]));
		back.n = 7;
		if (native_libs_read(path, &back) != -EINVAL)
			fail_msg("manifest %zu accepted", i);
		assert_int_equal(back.n, 0);
	}
	write_text(path, "/a\0\t/b\n", 7);
	assert_int_equal(native_libs_read(path, &back), -EINVAL);

	/* path lengths: 127 bytes fit, 128 do not */
	big[0] = '/';
	memset(big + 1, 'p', NATIVE_PATH_MAX - 2);
	strcpy(big + NATIVE_PATH_MAX - 1, "\t/b\n");
	write_text(path, big, strlen(big));
	assert_int_equal(native_libs_read(path, &back), 0);
	assert_int_equal(strlen(back.b[0].src), NATIVE_PATH_MAX - 1);
	memset(big + 1, 'p', NATIVE_PATH_MAX - 1);
	strcpy(big + NATIVE_PATH_MAX, "\t/b\n");
	write_text(path, big, strlen(big));
	assert_int_equal(native_libs_read(path, &back), -EINVAL);

	/* line counts: NATIVE_LIBS_MAX fit, one more does not */
	for (len = 0, i = 0; i < NATIVE_LIBS_MAX; i++)
		len += (size_t)sprintf(big + len, "/s\t/d%zu\n", i);
	write_text(path, big, len);
	assert_int_equal(native_libs_read(path, &back), 0);
	assert_int_equal(back.n, NATIVE_LIBS_MAX);
	assert_string_equal(back.b[NATIVE_LIBS_MAX - 1].dst, "/d127");
	len += (size_t)sprintf(big + len, "/s\t/d%d\n", NATIVE_LIBS_MAX);
	write_text(path, big, len);
	assert_int_equal(native_libs_read(path, &back), -EINVAL);

	/* an oversized file is refused without parsing it */
	memset(big, '/', 65536 * 4);
	write_text(path, big, 65536 * 4);
	assert_int_equal(native_libs_read(path, &back), -EINVAL);

	/* not there; not a regular file */
	xsnprintf(path, sizeof(path), "%s/none", tmp);
	assert_int_equal(native_libs_read(path, &back), -ENOENT);
	assert_int_equal(native_libs_read(tmp, &back), -EINVAL);
}

/* ---- the cache key ---- */

static void
test_cache_key(void **state)
{
	static const char *digest = "sha256:e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855";
	char key[65], again[65], other[65], wasm[65];

	/* printf 'kiln-native:1:sha256:e3b0...b855' | sha256sum */
	native_cache_key(digest, key);
	assert_string_equal(key, "045144f5e6b62f3beb72965e322b8018f09cca3ede01"
	    "3dfbfb8f8362ed30341a");
	native_cache_key(digest, again);
	assert_string_equal(key, again);
	/* printf 'kiln-native:1:' | sha256sum */
	native_cache_key("", other);
	assert_string_equal(other, "179ebe39105b93661c82231023af64c78b8811c7"
	    "7f4037d21fe262ae0238cacd");
	wasm_cache_key(digest, wasm);
	assert_int_equal(strlen(wasm), 64);
	assert_string_not_equal(key, wasm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_is),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_pie_libm),
		cmocka_unit_test(test_shared_and_object),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_phdrs),
		cmocka_unit_test(test_bad_dynamic),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_resolve_host),
		cmocka_unit_test(test_resolve_fake_root),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_cache_key),
	};

	return cmocka_run_group_tests_name("native", tests, setup, teardown);
}
