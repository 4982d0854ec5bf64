/*
 * Native admission: a structural parse of an untrusted ELF executable's
 * headers, before anything of it runs.  It reads the ELF header, every
 * program header and the dynamic array, and the DT_NEEDED names through
 * DT_STRTAB/DT_STRSZ, which it maps to file offsets through the PT_LOAD
 * segments.  Every offset and size comes from the bytes, so each one is
 * checked against the end of the input with arithmetic that cannot wrap,
 * and every field is copied out with memcpy (the input has no alignment).
 * It does not look at sections, relocations or code: the kernel and the
 * interpreter load the file inside the sandbox, and admission only makes
 * sure the file is one they will load the way we expect (our machine, an
 * interpreter of this node, plain sonames we can resolve).  The same parse,
 * without the executable's requirements, lists a host library's
 * DT_NEEDED for libs.c.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/native.h"
#include "kiln/util.h"

#if defined(__x86_64__)
#define ELF_MACHINE		EM_X86_64
#define ELF_MACHINE_NAME	"x86-64"
#define ELF_INTERP		"/lib64/ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define ELF_MACHINE		EM_AARCH64
#define ELF_MACHINE_NAME	"aarch64"
#define ELF_INTERP		"/lib/ld-linux-aarch64.so.1"
#else
#error "native jobs: no ELF machine and interpreter known for this build"
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "native jobs: ELF fields are read in host order, little-endian only"
#endif

#define SHOWN_MAX	48	/* bytes of an untrusted string quoted in why */

struct elf {
	const uint8_t *b;
	size_t len;
	char *why;
	size_t whylen;
	int exec;		/* 1: an executable under admission */
	Elf64_Ehdr eh;
	int have_interp;
	int have_dyn;
	Elf64_Phdr interp;
	Elf64_Phdr dyn;
};

static int __attribute__((format(printf, 2, 3)))
elf_fail(struct elf *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = why_vfail(e->why, e->whylen, -KILN_EINVAL_MODULE, fmt, ap);
	va_end(ap);
	return rc;
}

/* Whether [off, off + size) lies inside the input. */
static int
in_file(const struct elf *e, uint64_t off, uint64_t size)
{
	return off <= e->len && size <= e->len - off;
}

/* Untrusted bytes quoted for why: printable ASCII kept, the rest '?'. */
static void
quote(const uint8_t *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < outlen; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void
phdr_get(const struct elf *e, unsigned i, Elf64_Phdr *ph)
{
	memcpy(ph, e->b + e->eh.e_phoff + (uint64_t)i * sizeof(*ph),
	    sizeof(*ph));
}

static int
parse_ehdr(struct elf *e)
{
	Elf64_Ehdr *h = &e->eh;

	if (e->len < SELFMAG || memcmp(e->b, ELFMAG, SELFMAG) != 0)
		return elf_fail(e, "not an ELF file");
	if (e->len > EI_CLASS && e->b[EI_CLASS] != ELFCLASS64)
		return elf_fail(e, "not a 64-bit ELF");
	if (e->len > EI_DATA && e->b[EI_DATA] != ELFDATA2LSB)
		return elf_fail(e, "not a little-endian ELF");
	if (e->len < sizeof(*h))
		return elf_fail(e, "truncated ELF header (%zu bytes)", e->len);
	memcpy(h, e->b, sizeof(*h));
	if (h->e_ident[EI_VERSION] != EV_CURRENT || h->e_version != EV_CURRENT)
		return elf_fail(e, "unknown ELF version");
	if (h->e_ident[EI_OSABI] != ELFOSABI_SYSV &&
	    h->e_ident[EI_OSABI] != ELFOSABI_GNU)
		return elf_fail(e, "ELF OS ABI %u not supported",
		    h->e_ident[EI_OSABI]);
	if (h->e_machine != ELF_MACHINE)
		return elf_fail(e, "ELF for machine %u, this node runs "
		    ELF_MACHINE_NAME, h->e_machine);
	if (e->exec) {
		if (h->e_type == ET_REL)
			return elf_fail(e, "relocatable object, not an "
			    "executable");
		if (h->e_type == ET_CORE)
			return elf_fail(e, "core file, not an executable");
		if (h->e_type != ET_EXEC && h->e_type != ET_DYN)
			return elf_fail(e, "ELF type %u, not an executable",
			    h->e_type);
	} else if (h->e_type != ET_DYN)
		return elf_fail(e, "ELF type %u, not a shared library",
		    h->e_type);
	if (h->e_phnum == 0)
		return elf_fail(e, "no program headers");
	if (h->e_phnum == PN_XNUM)
		return elf_fail(e, "too many program headers");
	if (h->e_phentsize != sizeof(Elf64_Phdr))
		return elf_fail(e, "program header size %u, expected %zu",
		    h->e_phentsize, sizeof(Elf64_Phdr));
	if (!in_file(e, h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr)))
		return elf_fail(e, "program header table outside the file");
	return 0;
}

static int
parse_phdrs(struct elf *e)
{
	Elf64_Phdr ph;
	int nload = 0;
	unsigned i;

	for (i = 0; i < e->eh.e_phnum; i++) {
		phdr_get(e, i, &ph);
		if (!in_file(e, ph.p_offset, ph.p_filesz))
			return elf_fail(e, "program header %u outside the file",
			    i);
		switch (ph.p_type) {
		case PT_LOAD:
			if (ph.p_filesz > ph.p_memsz)
				return elf_fail(e, "PT_LOAD %u larger in the "
				    "file than in memory", i);
			if (ph.p_vaddr > UINT64_MAX - ph.p_memsz)
				return elf_fail(e, "PT_LOAD %u wraps the "
				    "address space", i);
			nload++;
			break;
		case PT_INTERP:
			if (e->have_interp)
				return elf_fail(e, "more than one PT_INTERP");
			e->have_interp = 1;
			e->interp = ph;
			break;
		case PT_DYNAMIC:
			if (e->have_dyn)
				return elf_fail(e, "more than one PT_DYNAMIC");
			e->have_dyn = 1;
			e->dyn = ph;
			break;
		}
	}
	if (nload == 0)
		return elf_fail(e, "no loadable segment");
	return 0;
}

/* The executable's requirements: entry point, interpreter, dynamic. */
static int
check_exec(struct elf *e, struct native_elf_info *info)
{
	const uint8_t *s;
	char shown[SHOWN_MAX + 4];
	Elf64_Phdr ph;
	size_t n;
	unsigned i;
	int inside = 0;

	if (e->eh.e_entry == 0) {
		if (e->eh.e_type == ET_DYN && !e->have_interp)
			return elf_fail(e, "shared library, not an executable");
		return elf_fail(e, "no entry point");
	}
	for (i = 0; i < e->eh.e_phnum && !inside; i++) {
		phdr_get(e, i, &ph);
		inside = ph.p_type == PT_LOAD &&
		    e->eh.e_entry >= ph.p_vaddr &&
		    e->eh.e_entry - ph.p_vaddr < ph.p_memsz;
	}
	if (!inside)
		return elf_fail(e, "entry point outside the loaded segments");
	if (e->have_dyn && !e->have_interp)
		return elf_fail(e, "dynamic section without an interpreter");
	if (!e->have_interp)
		return 0;
	/* As the kernel reads it: p_filesz bytes, the last one a NUL. */
	s = e->b + e->interp.p_offset;
	n = e->interp.p_filesz;
	if (n == 0 || s[n - 1] != '\0')
		return elf_fail(e, "interpreter not NUL-terminated");
	n = strlen((const char *)s);
	if (n >= NATIVE_PATH_MAX || strcmp((const char *)s, ELF_INTERP) != 0) {
		quote(s, n, shown, sizeof(shown));
		return elf_fail(e, "interpreter %s not allowed", shown);
	}
	memcpy(info->interp, s, n + 1);
	info->is_dynamic = 1;
	return 0;
}

/* A soname we can look up in a directory: [A-Za-z0-9._+-], not . or .. */
static int
plain_soname(const uint8_t *s, size_t n)
{
	size_t i;

	if (n == 0 || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '+' || s[i] == '-'))
			return 0;
	return 1;
}

/*
 * The dynamic array: one pass for DT_NULL, DT_STRTAB and DT_STRSZ (they
 * may follow the DT_NEEDED entries), one for the names.
 */
static int
parse_dynamic(struct elf *e, char needed[][NATIVE_NAME_MAX], int max,
    int *nout)
{
	const uint8_t *dyn = e->b + e->dyn.p_offset, *s, *nul;
	char shown[SHOWN_MAX + 4];
	uint64_t strtab = 0, strsz = 0, stroff = 0, avail = 0, rel;
	size_t i, count = e->dyn.p_filesz / sizeof(Elf64_Dyn), end = count;
	int have_strtab = 0, have_strsz = 0, nneeded = 0, mapped = 0;
	Elf64_Phdr ph;
	Elf64_Dyn d;
	unsigned j;

	for (i = 0; i < count; i++) {
		memcpy(&d, dyn + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL) {
			end = i;
			break;
		}
		if (d.d_tag == DT_NEEDED) {
			if (nneeded == max)
				return elf_fail(e, "more than %d DT_NEEDED "
				    "entries", max);
			nneeded++;
		} else if (d.d_tag == DT_STRTAB) {
			if (have_strtab++)
				return elf_fail(e, "more than one DT_STRTAB");
			strtab = d.d_un.d_ptr;
		} else if (d.d_tag == DT_STRSZ) {
			if (have_strsz++)
				return elf_fail(e, "more than one DT_STRSZ");
			strsz = d.d_un.d_val;
		}
	}
	if (end == count)
		return elf_fail(e, "dynamic section without DT_NULL");
	*nout = 0;
	if (nneeded == 0)
		return 0;
	if (!have_strtab || !have_strsz)
		return elf_fail(e, "DT_NEEDED without DT_STRTAB and DT_STRSZ");
	for (j = 0; j < e->eh.e_phnum && !mapped; j++) {
		phdr_get(e, j, &ph);
		if (ph.p_type != PT_LOAD || strtab < ph.p_vaddr ||
		    strtab - ph.p_vaddr >= ph.p_filesz)
			continue;
		rel = strtab - ph.p_vaddr;
		stroff = ph.p_offset + rel;	/* inside the file: checked */
		avail = ph.p_filesz - rel;
		mapped = 1;
	}
	if (!mapped)
		return elf_fail(e, "DT_STRTAB 0x%llx not mapped by a PT_LOAD",
		    (unsigned long long)strtab);
	if (strsz > avail)
		return elf_fail(e, "DT_STRSZ %llu runs past its segment",
		    (unsigned long long)strsz);
	for (i = 0; i < end; i++) {
		memcpy(&d, dyn + i * sizeof(d), sizeof(d));
		if (d.d_tag != DT_NEEDED)
			continue;
		if (d.d_un.d_val >= strsz)
			return elf_fail(e, "DT_NEEDED offset %llu past DT_STRSZ "
			    "%llu", (unsigned long long)d.d_un.d_val,
			    (unsigned long long)strsz);
		s = e->b + stroff + d.d_un.d_val;
		nul = memchr(s, '\0', strsz - d.d_un.d_val);
		if (nul == NULL)
			return elf_fail(e, "DT_NEEDED name not NUL-terminated "
			    "in the string table");
		quote(s, (size_t)(nul - s), shown, sizeof(shown));
		if (nul - s >= NATIVE_NAME_MAX)
			return elf_fail(e, "DT_NEEDED name '%s' too long",
			    shown);
		if (!plain_soname(s, (size_t)(nul - s)))
			return elf_fail(e, "DT_NEEDED name '%s' is not a plain "
			    "soname", shown);
		memcpy(needed[*nout], s, (size_t)(nul - s) + 1);
		(*nout)++;
	}
	return 0;
}

int
native_elf_is(const uint8_t *bytes, size_t len)
{
	return bytes != NULL && len >= SELFMAG &&
	    memcmp(bytes, ELFMAG, SELFMAG) == 0;
}

/* A parse of bytes, reasons into why (cleared: "" on success). */
static void
elf_init(struct elf *e, const uint8_t *bytes, size_t len, char *why,
    size_t whylen)
{
	memset(e, 0, sizeof(*e));
	e->b = bytes;
	e->len = bytes == NULL ? 0 : len;
	e->why = why;
	e->whylen = whylen;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
}

int
native_elf_admit(const uint8_t *bytes, size_t len,
    struct native_elf_info *info, char *why, size_t whylen)
{
	struct elf e;
	int rc;

	elf_init(&e, bytes, len, why, whylen);
	e.exec = 1;
	memset(info, 0, sizeof(*info));
	if ((rc = parse_ehdr(&e)) != 0 || (rc = parse_phdrs(&e)) != 0 ||
	    (rc = check_exec(&e, info)) != 0)
		goto fail;
	info->is_pie = e.eh.e_type == ET_DYN;
	if (e.have_dyn && (rc = parse_dynamic(&e, info->needed,
	    NATIVE_NEEDED_MAX, &info->nneeded)) != 0)
		goto fail;
	return 0;
fail:
	memset(info, 0, sizeof(*info));
	return rc;
}

int
native_elf_needed(const uint8_t *bytes, size_t len,
    char needed[][NATIVE_NAME_MAX], int max, int *n, char *why,
    size_t whylen)
{
	struct elf e;
	int rc;

	elf_init(&e, bytes, len, why, whylen);
	*n = 0;
	if (max < 0)
		max = 0;
	if ((rc = parse_ehdr(&e)) != 0 || (rc = parse_phdrs(&e)) != 0)
		return rc;
	if (e.have_dyn && (rc = parse_dynamic(&e, needed, max, n)) != 0) {
		*n = 0;
		return rc;
	}
	return 0;
}
