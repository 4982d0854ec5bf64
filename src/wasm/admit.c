/*
 * Module admission: a structural parse of untrusted WebAssembly bytes
 * against the capability policy, before anything is compiled.  It reads
 * the header, the type, import, function, memory and export sections and
 * the code section's count, and skips the others by their length; it
 * checks section order, every LEB128 and every length against the end of
 * the input, so truncated or malformed bytes fail cleanly and nothing is
 * read out of bounds.  It does not
 * validate code: wasm-validate does that at compile time.  The allow-list
 * is wasi.c's table of implemented imports; nothing else is granted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "wasm_int.h"

#define ADMIT_NAME_SHOWN	64	/* bytes of a name quoted in *why */

enum {
	SEC_CUSTOM = 0,
	SEC_TYPE,
	SEC_IMPORT,
	SEC_FUNCTION,
	SEC_TABLE,
	SEC_MEMORY,
	SEC_GLOBAL,
	SEC_EXPORT,
	SEC_START,
	SEC_ELEMENT,
	SEC_CODE,
	SEC_DATA,
	SEC_DATACOUNT,
	SEC_LAST = SEC_DATACOUNT
};

/* Position of each known section id in the required order. */
static const int sec_rank[SEC_LAST + 1] = {
	[SEC_TYPE] = 1, [SEC_IMPORT] = 2, [SEC_FUNCTION] = 3,
	[SEC_TABLE] = 4, [SEC_MEMORY] = 5, [SEC_GLOBAL] = 6,
	[SEC_EXPORT] = 7, [SEC_START] = 8, [SEC_ELEMENT] = 9,
	[SEC_DATACOUNT] = 10, [SEC_CODE] = 11, [SEC_DATA] = 12,
};

static const char *const sec_name[SEC_LAST + 1] = {
	"custom", "type", "import", "function", "table", "memory", "global",
	"export", "start", "element", "code", "data", "datacount",
};

struct rd {
	const uint8_t *base;	/* start of the module (for offsets) */
	const uint8_t *p;	/* next byte */
	const uint8_t *end;	/* one past the last readable byte */
};

struct functype {
	const uint8_t *params;	/* valtype bytes inside the module */
	const uint8_t *results;
	uint32_t nparams;
	uint32_t nresults;
};

struct admit {
	struct rd r;
	char *why;
	size_t whylen;
	uint32_t max_initial_pages;
	struct functype *types;
	uint32_t ntypes;
	uint32_t *func_types;	/* type of each function, imports first */
	uint32_t nfuncs;	/* imported + defined */
	uint32_t nfunc_imports;
	int has_code;		/* a code section was seen */
	uint32_t nmemories;
	uint32_t initial_pages;
	uint32_t max_pages;
	uint32_t import_count;
	int has_memory_export;
	int has_start;
	int has_run;
};

static int __attribute__((format(printf, 3, 4)))
admit_fail(struct admit *a, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = why_vfail(a->why, a->whylen, rc, fmt, ap);
	va_end(ap);
	return rc;
}

static int
admit_malformed(struct admit *a, const char *what)
{
	return admit_fail(a, -KILN_EINVAL_MODULE,
	    "malformed module: %s at offset %zu", what,
	    (size_t)(a->r.p - a->r.base));
}

static int
rd_u8(struct rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return -1;
	*v = *r->p++;
	return 0;
}

/* Unsigned LEB128, at most 5 bytes, no bits beyond the 32nd. */
static int
rd_u32(struct rd *r, uint32_t *v)
{
	uint32_t x = 0;
	unsigned shift;
	uint8_t b;

	for (shift = 0; shift < 35; shift += 7) {
		if (rd_u8(r, &b) == -1)
			return -1;
		if (shift == 28 && (b & 0xf0) != 0)
			return -1;
		x |= (uint32_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static int
rd_bytes(struct rd *r, uint32_t n, const uint8_t **out)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	*out = r->p;
	r->p += n;
	return 0;
}

static int
utf8_valid(const uint8_t *s, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t need, cp, j;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i - 1 < need)
			return 0;
		for (j = 1; j <= need; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static int
rd_name(struct rd *r, const uint8_t **s, uint32_t *n)
{
	if (rd_u32(r, n) == -1 || rd_bytes(r, *n, s) == -1 ||
	    !utf8_valid(*s, *n))
		return -1;
	return 0;
}

/* A name quoted for *why: printable ASCII kept, the rest as \xNN. */
static void
name_quote(const uint8_t *s, uint32_t n, char *out, size_t outlen)
{
	size_t o = 0;
	uint32_t i;

	for (i = 0; i < n && o + 8 < outlen; i++) {
		if (i == ADMIT_NAME_SHOWN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\')
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    s[i]);
	}
	out[o] = '\0';
}

static int
valtype_ok(uint8_t t)
{
	return t == 0x7f || t == 0x7e || t == 0x7d || t == 0x7c ||
	    t == 0x7b || t == 0x70 || t == 0x6f;
}

/* Our signature letters for a valtype (0 for types no import uses). */
static char
valtype_letter(uint8_t t)
{
	switch (t) {
	case 0x7f:
		return 'i';
	case 0x7e:
		return 'I';
	case 0x7d:
		return 'f';
	case 0x7c:
		return 'F';
	}
	return 0;
}

static int
functype_matches(const struct functype *ft, const char *params,
    const char *results)
{
	uint32_t i;

	if (ft->nparams != strlen(params) || ft->nresults != strlen(results))
		return 0;
	for (i = 0; i < ft->nparams; i++)
		if (valtype_letter(ft->params[i]) != params[i])
			return 0;
	for (i = 0; i < ft->nresults; i++)
		if (valtype_letter(ft->results[i]) != results[i])
			return 0;
	return 1;
}

static int
parse_types(struct admit *a)
{
	struct rd *r = &a->r;
	uint32_t n, i, j;
	uint8_t b;

	if (rd_u32(r, &n) == -1)
		return admit_malformed(a, "truncated type count");
	/* Each type takes at least 3 bytes: bound the allocation. */
	if (n > (size_t)(r->end - r->p) / 3)
		return admit_malformed(a, "type count past end of section");
	a->types = xcalloc(n, sizeof(*a->types));
	a->ntypes = n;
	for (i = 0; i < n; i++) {
		struct functype *ft = &a->types[i];

		if (rd_u8(r, &b) == -1 || b != 0x60)
			return admit_malformed(a, "bad function type form");
		if (rd_u32(r, &ft->nparams) == -1 ||
		    rd_bytes(r, ft->nparams, &ft->params) == -1)
			return admit_malformed(a, "truncated parameter types");
		if (rd_u32(r, &ft->nresults) == -1 ||
		    rd_bytes(r, ft->nresults, &ft->results) == -1)
			return admit_malformed(a, "truncated result types");
		for (j = 0; j < ft->nparams; j++)
			if (!valtype_ok(ft->params[j]))
				return admit_malformed(a, "bad value type");
		for (j = 0; j < ft->nresults; j++)
			if (!valtype_ok(ft->results[j]))
				return admit_malformed(a, "bad value type");
	}
	return 0;
}

static int
import_refuse(struct admit *a, const uint8_t *mod, uint32_t modlen,
    const uint8_t *name, uint32_t namelen, const char *what)
{
	char qm[ADMIT_NAME_SHOWN * 4 + 8], qn[ADMIT_NAME_SHOWN * 4 + 8];

	name_quote(mod, modlen, qm, sizeof(qm));
	name_quote(name, namelen, qn, sizeof(qn));
	return admit_fail(a, -KILN_EIMPORT, "import \"%s\".\"%s\" %s", qm, qn,
	    what);
}

static int
parse_imports(struct admit *a)
{
	const struct wasi_import *wi;
	struct rd *r = &a->r;
	const uint8_t *mod, *name;
	uint32_t n, i, modlen, namelen, idx;
	uint8_t kind;

	if (rd_u32(r, &n) == -1)
		return admit_malformed(a, "truncated import count");
	/* Each import takes at least 4 bytes. */
	if (n > (size_t)(r->end - r->p) / 4)
		return admit_malformed(a, "import count past end of section");
	a->func_types = xcalloc(n, sizeof(*a->func_types));
	a->import_count = n;
	for (i = 0; i < n; i++) {
		if (rd_name(r, &mod, &modlen) == -1 ||
		    rd_name(r, &name, &namelen) == -1)
			return admit_malformed(a, "bad import name");
		if (rd_u8(r, &kind) == -1)
			return admit_malformed(a, "truncated import");
		/* Only functions are ever granted: refuse the rest by name. */
		if (kind != 0x00)
			return import_refuse(a, mod, modlen, name, namelen,
			    "is not granted");
		if (rd_u32(r, &idx) == -1)
			return admit_malformed(a, "truncated import");
		if (idx >= a->ntypes)
			return admit_malformed(a, "import type out of range");
		wi = wasi_import_find(mod, modlen, name, namelen);
		if (wi == NULL)
			return import_refuse(a, mod, modlen, name, namelen,
			    "is not granted");
		if (!functype_matches(&a->types[idx], wi->params,
		    wi->results))
			return import_refuse(a, mod, modlen, name, namelen,
			    "has the wrong type");
		a->func_types[a->nfunc_imports++] = idx;
	}
	a->nfuncs = a->nfunc_imports;
	return 0;
}

static int
parse_functions(struct admit *a)
{
	struct rd *r = &a->r;
	uint32_t n, i, idx;

	if (rd_u32(r, &n) == -1)
		return admit_malformed(a, "truncated function count");
	if (n > (size_t)(r->end - r->p))
		return admit_malformed(a, "function count past end of section");
	a->func_types = xrealloc(a->func_types,
	    ((size_t)a->nfunc_imports + n + 1) * sizeof(*a->func_types));
	for (i = 0; i < n; i++) {
		if (rd_u32(r, &idx) == -1)
			return admit_malformed(a, "truncated function");
		if (idx >= a->ntypes)
			return admit_malformed(a, "function type out of range");
		a->func_types[a->nfuncs++] = idx;
	}
	return 0;
}

static int
parse_memories(struct admit *a)
{
	struct rd *r = &a->r;
	uint32_t n, min, max = 65536;
	uint8_t flags;

	if (rd_u32(r, &n) == -1)
		return admit_malformed(a, "truncated memory count");
	if (n == 0)
		return 0;
	if (n > 1)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "more than one memory");
	if (rd_u8(r, &flags) == -1)
		return admit_malformed(a, "truncated memory limits");
	if (flags > 0x01)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "unsupported memory limits flags 0x%02x", flags);
	if (rd_u32(r, &min) == -1 || (flags == 0x01 && rd_u32(r, &max) == -1))
		return admit_malformed(a, "truncated memory limits");
	if (min > 65536 || max > 65536 || max < min)
		return admit_malformed(a, "bad memory limits");
	a->nmemories = 1;
	a->initial_pages = min;
	a->max_pages = max;
	if (min > a->max_initial_pages)
		return admit_fail(a, -KILN_EQUOTA,
		    "initial memory of %u pages exceeds the quota of %u pages",
		    min, a->max_initial_pages);
	/* the runtime maps at most WASM_RT_PAGES_MAX: never admit what
	 * could never run */
	if (min > WASM_RT_PAGES_MAX)
		return admit_fail(a, -KILN_EQUOTA,
		    "initial memory of %u pages exceeds the runtime's limit "
		    "of %u pages", min, WASM_RT_PAGES_MAX);
	return 0;
}

static int
entry_type_ok(const struct admit *a, uint32_t func)
{
	const struct functype *ft = &a->types[a->func_types[func]];

	return ft->nparams == 0 && ft->nresults == 0;
}

static int
parse_exports(struct admit *a)
{
	struct rd *r = &a->r;
	const uint8_t *name;
	uint32_t n, i, namelen, idx;
	uint8_t kind;

	if (rd_u32(r, &n) == -1)
		return admit_malformed(a, "truncated export count");
	for (i = 0; i < n; i++) {
		if (rd_name(r, &name, &namelen) == -1)
			return admit_malformed(a, "bad export name");
		if (rd_u8(r, &kind) == -1 || rd_u32(r, &idx) == -1)
			return admit_malformed(a, "truncated export");
		if (kind > 0x03)
			return admit_malformed(a, "bad export kind");
		if (kind == 0x00 && idx >= a->nfuncs)
			return admit_malformed(a,
			    "export function out of range");
		if (kind == 0x02 && idx >= a->nmemories)
			return admit_malformed(a, "export memory out of range");
		if (kind == 0x02 && namelen == 6 &&
		    memcmp(name, "memory", 6) == 0)
			a->has_memory_export = 1;
		if (kind == 0x00 && namelen == 6 &&
		    memcmp(name, "_start", 6) == 0) {
			if (!entry_type_ok(a, idx))
				return admit_fail(a, -KILN_EINVAL_MODULE,
				    "export \"_start\" is not a function of "
				    "type [] -> []");
			a->has_start = 1;
		}
		if (kind == 0x00 && namelen == 3 &&
		    memcmp(name, "run", 3) == 0) {
			if (!entry_type_ok(a, idx))
				return admit_fail(a, -KILN_EINVAL_MODULE,
				    "export \"run\" is not a function of "
				    "type [] -> []");
			a->has_run = 1;
		}
	}
	return 0;
}

/* Only the count: function bodies are wasm-validate's business. */
static int
parse_code(struct admit *a)
{
	uint32_t n;

	if (rd_u32(&a->r, &n) == -1)
		return admit_malformed(a, "truncated code count");
	if (n != a->nfuncs - a->nfunc_imports)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "malformed module: %u function bodies for %u functions",
		    n, a->nfuncs - a->nfunc_imports);
	a->has_code = 1;
	a->r.p = a->r.end;
	return 0;
}

static int
parse_custom(struct admit *a)
{
	const uint8_t *name;
	uint32_t namelen;

	if (rd_name(&a->r, &name, &namelen) == -1)
		return admit_malformed(a, "bad custom section name");
	a->r.p = a->r.end;
	return 0;
}

static int
parse_section(struct admit *a, uint8_t id)
{
	switch (id) {
	case SEC_CUSTOM:
		return parse_custom(a);
	case SEC_TYPE:
		return parse_types(a);
	case SEC_IMPORT:
		return parse_imports(a);
	case SEC_FUNCTION:
		return parse_functions(a);
	case SEC_MEMORY:
		return parse_memories(a);
	case SEC_EXPORT:
		return parse_exports(a);
	case SEC_CODE:
		return parse_code(a);
	default:
		/* Not needed for policy: wasm-validate checks it later. */
		a->r.p = a->r.end;
		return 0;
	}
}

static int
admit_parse(struct admit *a, const uint8_t *bytes, size_t len)
{
	static const uint8_t magic[4] = { 0x00, 0x61, 0x73, 0x6d };
	const uint8_t *end = bytes + len;
	uint32_t version, size;
	int rank = 0, rc;
	uint8_t id;

	a->r.base = a->r.p = bytes;
	a->r.end = end;
	if (len < 4 || memcmp(bytes, magic, 4) != 0)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "not a WebAssembly module (bad magic)");
	if (len < 8)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "malformed module: truncated header");
	version = (uint32_t)bytes[4] | (uint32_t)bytes[5] << 8 |
	    (uint32_t)bytes[6] << 16 | (uint32_t)bytes[7] << 24;
	if (version != 1)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "unsupported WebAssembly version %u", version);
	a->r.p += 8;

	while (a->r.p < end) {
		const uint8_t *body;

		a->r.end = end;
		if (rd_u8(&a->r, &id) == -1 || rd_u32(&a->r, &size) == -1)
			return admit_malformed(a, "truncated section header");
		if (id > SEC_LAST)
			return admit_fail(a, -KILN_EINVAL_MODULE,
			    "unknown section id %u", id);
		if (id != SEC_CUSTOM) {
			if (sec_rank[id] <= rank)
				return admit_fail(a, -KILN_EINVAL_MODULE,
				    "%s section out of order or repeated",
				    sec_name[id]);
			rank = sec_rank[id];
		}
		if (rd_bytes(&a->r, size, &body) == -1)
			return admit_fail(a, -KILN_EINVAL_MODULE,
			    "malformed module: %s section extends past the "
			    "end", sec_name[id]);
		a->r.p = body;
		a->r.end = body + size;
		if ((rc = parse_section(a, id)) < 0)
			return rc;
		if (a->r.p != a->r.end)
			return admit_fail(a, -KILN_EINVAL_MODULE,
			    "malformed module: %s section size mismatch",
			    sec_name[id]);
	}

	if (!a->has_code && a->nfuncs > a->nfunc_imports)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "malformed module: %u functions but no code section",
		    a->nfuncs - a->nfunc_imports);
	if (!a->has_memory_export)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "module does not export a memory named \"memory\"");
	if (!a->has_start && !a->has_run)
		return admit_fail(a, -KILN_EINVAL_MODULE,
		    "module exports neither \"_start\" nor \"run\"");
	return 0;
}

int
wasm_module_admit(const uint8_t *bytes, size_t len,
    uint32_t max_initial_pages, struct wasm_module_info *info,
    char *why, size_t whylen)
{
	struct admit a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.why = why;
	a.whylen = whylen;
	a.max_initial_pages = max_initial_pages;
	a.max_pages = 65536;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (bytes == NULL && len > 0)
		return admit_fail(&a, -KILN_EINVAL_MODULE, "no module bytes");
	if (bytes == NULL)
		bytes = (const uint8_t *)"";

	rc = admit_parse(&a, bytes, len);
	if (rc == 0 && info != NULL) {
		info->initial_pages = a.initial_pages;
		info->max_pages = a.max_pages;
		info->import_count = a.import_count;
		info->entry_is_start = a.has_start;
	}
	free(a.types);
	free(a.func_types);
	return rc;
}
