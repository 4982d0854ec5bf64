/*
 * Native jobs: ELF executables uploaded as modules (kind "native") and run
 * by a worker with the same layers as a wasm job, exec'ing the binary
 * instead of loading a compiled module.  Two halves: the admission of the
 * untrusted bytes (a structural parse of the ELF headers, done in the
 * confined core, never in the launcher), and, on the launcher's side, the
 * resolution of the shared libraries a dynamic executable needs on this
 * host into the read-only binds of its sandbox, kept as a manifest next to
 * the executable in the cache.
 */
#ifndef KILN_NATIVE_H
#define KILN_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#define NATIVE_NEEDED_MAX	64	/* DT_NEEDED entries of one executable */
#define NATIVE_NAME_MAX		64	/* a soname, NUL included */
#define NATIVE_PATH_MAX		128	/* a host or sandbox path, NUL included */
#define NATIVE_LIBS_MAX		128	/* binds of one job: interpreter + libs */
/* Bumped whenever the manifest format or the cache layout changes. */
#define NATIVE_ABI_VERSION	1

/* What admission learned about an executable. */
struct native_elf_info {
	int is_dynamic;			/* 1: has PT_INTERP */
	int is_pie;			/* 1: ET_DYN */
	char interp[NATIVE_PATH_MAX];	/* PT_INTERP, "" when static */
	int nneeded;
	char needed[NATIVE_NEEDED_MAX][NATIVE_NAME_MAX];	/* DT_NEEDED */
};

/* Whether bytes start with the ELF magic (so the module is native). */
int native_elf_is(const uint8_t *bytes, size_t len);

/*
 * Parses an untrusted executable's headers without running anything: a
 * 64-bit little-endian ELF for this machine (EM_X86_64 or EM_AARCH64, as
 * built), ET_EXEC or ET_DYN with an entry point, every program header and
 * PT_LOAD inside the file, at most one PT_INTERP and it one of the
 * loaders this node has (x86-64: /lib64/ld-linux-x86-64.so.2), a
 * PT_DYNAMIC only with a PT_INTERP, its DT_NEEDED names found through
 * DT_STRTAB/DT_STRSZ mapped by the PT_LOADs, each a plain soname
 * ([A-Za-z0-9._+-], no "/", not "." or "..", shorter than
 * NATIVE_NAME_MAX), at most NATIVE_NEEDED_MAX of them.  Returns 0 with
 * *info filled, or -KILN_EINVAL_MODULE with a one-line reason in why.
 */
int native_elf_admit(const uint8_t *bytes, size_t len,
    struct native_elf_info *info, char *why, size_t whylen);

/*
 * Lists the DT_NEEDED names of a shared library of this host (trusted
 * bytes, same checks on the names).  0, or -KILN_EINVAL_MODULE with why.
 */
int native_elf_needed(const uint8_t *bytes, size_t len,
    char needed[][NATIVE_NAME_MAX], int max, int *n, char *why,
    size_t whylen);

/* One read-only bind of a worker's root: host file src appears at dst. */
struct native_bind {
	char src[NATIVE_PATH_MAX];	/* absolute, symlinks resolved */
	char dst[NATIVE_PATH_MAX];	/* absolute path inside the sandbox */
};

struct native_libs {
	int n;
	struct native_bind b[NATIVE_LIBS_MAX];
};

/*
 * Resolves what a dynamic executable needs on this host: its interpreter,
 * bound at its own path, and every library of needed[0..nneeded), then
 * theirs, transitively, each looked up by name in the system directories
 * (/lib/<triplet>, /usr/lib/<triplet>, /lib64, /lib, /usr/lib, the
 * first match winning; no RPATH, no LD_LIBRARY_PATH, no ld.so.cache,
 * breadth first, each name bound once) under root ("" or "/" for the host; a
 * test passes a directory).  A library must be a regular file, owned by
 * root and not writable by group or others; it appears in the sandbox at
 * the directory where it was found plus its name.  A static executable
 * (interp "" and no needed) resolves to no binds.  Returns 0 with *out
 * filled, -ENOENT with why naming the first library not found, or another
 * -errno / -KILN_EINVAL_MODULE with why.
 */
int native_libs_resolve(const char *root, const char *interp,
    char needed[][NATIVE_NAME_MAX], int nneeded, struct native_libs *out,
    char *why, size_t whylen);

/*
 * The manifest of a cached native module: one "src\tdst\n" line per bind.
 * native_libs_write writes it to fd; native_libs_read parses the file at
 * path and checks each path (absolute, no "..", no control characters,
 * shorter than NATIVE_PATH_MAX), at most NATIVE_LIBS_MAX lines.  0 or
 * -errno (-EINVAL for a malformed manifest).
 */
int native_libs_write(int fd, const struct native_libs *libs);
int native_libs_read(const char *path, struct native_libs *out);

/* The cache key of a native module: hex SHA-256 of "kiln-native",
 * NATIVE_ABI_VERSION and the module digest. */
void native_cache_key(const char *module_digest, char key[65]);

#endif
