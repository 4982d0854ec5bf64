/*
 * Ahead-of-time compilation of an admitted module into a shared object:
 * `wasm-validate --disable-simd`, `wasm2c -n guest --no-debug-names`, a
 * shim generated for this module that exports the fixed ABI run.c loads
 * (wasm_shim_*), then `cc -O2 -fPIC -shared` with the wasm2c conformance
 * flags.  Tools run with fork/execvp and argv arrays, never a shell; the
 * first line of a failing tool's stderr becomes *why.  The result is
 * written to a temporary name beside so_path and renamed into place.  Also
 * the cache key, which covers everything that changes the output.  This
 * runs in the sandboxed compiler process, one module at a time; it is slow
 * (about a second per 25 KB of generated code) and is never run per job.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "kiln/error.h"
#include "kiln/util.h"
#include "wasm_int.h"

#define COMPILE_WASM_MAX	((size_t)64 * 1024 * 1024)
#define COMPILE_HEADER_MAX	((size_t)16 * 1024 * 1024)
#define COMPILE_KEEP		4096	/* bytes kept of a tool's output */
#define COMPILE_VERSION_LEN	128

static const char *const validate_args[] = {
	"wasm-validate", "--disable-simd", NULL
};
static const char *const wasm2c_args[] = {
	"wasm2c", "-n", "guest", "--no-debug-names", NULL
};
/* cc flags: the wasm2c README's conformance flags, PIC, eager binding. */
static const char *const cc_args[] = {
	"cc", "-O2", "-fno-optimize-sibling-calls", "-frounding-math",
	"-fsignaling-nans", "-fPIC", "-shared", "-w", "-Wl,-z,now",
	"-Wl,-z,relro", NULL
};

struct tool_out {
	char buf[COMPILE_KEEP + 1];
	size_t len;
};

static void
tool_keep(struct tool_out *o, const char *p, size_t n)
{
	if (n > COMPILE_KEEP - o->len)
		n = COMPILE_KEEP - o->len;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/*
 * The line of a tool's output worth reporting: the first one mentioning
 * "error", else the first non-empty one.
 */
static void
tool_line(const struct tool_out *o, char *out, size_t outlen)
{
	const char *s = o->buf, *e;
	const char *pick = NULL;
	size_t n;

	if (out == NULL || outlen == 0)
		return;
	for (s = o->buf; *s != '\0'; s = *e ? e + 1 : e) {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		if (e == s)
			continue;
		if (pick == NULL)
			pick = s;
		if (memmem(s, (size_t)(e - s), "error", 5) != NULL) {
			pick = s;
			break;
		}
	}
	if (pick == NULL) {
		out[0] = '\0';
		return;
	}
	e = strchr(pick, '\n');
	n = e != NULL ? (size_t)(e - pick) : strlen(pick);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, pick, n);
	out[n] = '\0';
}

/*
 * Runs argv (searched in PATH) with stdin on /dev/null, keeping the first
 * COMPILE_KEEP bytes of stdout and stderr.  Returns the exit status, 128 +
 * the signal when killed, 127 when it could not be executed, or -errno.
 */
static int
tool_run(char *const argv[], struct tool_out *out, struct tool_out *err)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 };
	struct pollfd pfd[2];
	char chunk[1024];
	int status, rc, devnull, open_fds;
	pid_t pid;

	out->len = err->len = 0;
	out->buf[0] = err->buf[0] = '\0';
	if (pipe2(opipe, O_CLOEXEC) == -1)
		return -errno;
	if (pipe2(epipe, O_CLOEXEC) == -1) {
		rc = -errno;
		goto out_close;
	}
	if ((pid = fork()) == -1) {
		rc = -errno;
		goto out_close;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(opipe[1], 1) == -1 || dup2(epipe[1], 2) == -1)
			_exit(127);
		execvp(argv[0], argv);
		/* Only async-signal-safe calls between fork and exec. */
		(void)!write(2, argv[0], strlen(argv[0]));
		(void)!write(2, ": cannot execute\n", 17);
		_exit(127);
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;

	pfd[0].fd = opipe[0];
	pfd[1].fd = epipe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	open_fds = 2;
	while (open_fds > 0) {
		int i;

		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			tool_keep(i == 0 ? out : err, chunk, (size_t)n);
		}
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			rc = -errno;
			goto out_close;
		}
	}
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = 127;
 out_close:
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	return rc;
}

/* The first line of `argv` on stdout, or "unknown". */
static void
tool_version(char *const argv[], char *ver, size_t verlen)
{
	static struct tool_out out, err;

	if (tool_run(argv, &out, &err) != 0) {
		snprintf(ver, verlen, "unknown");
		return;
	}
	tool_line(&out, ver, verlen);
	if (ver[0] == '\0')
		snprintf(ver, verlen, "unknown");
}

static void
compile_versions(const char **wasm2c_ver, const char **cc_ver)
{
	static char w2c[COMPILE_VERSION_LEN], cc[COMPILE_VERSION_LEN];
	static int done;
	char *v1[] = { "wasm2c", "--version", NULL };
	char *v2[] = { "cc", "-dumpfullversion", NULL };
	char *v3[] = { "cc", "-dumpversion", NULL };

	if (!done) {
		tool_version(v1, w2c, sizeof(w2c));
		tool_version(v2, cc, sizeof(cc));
		if (strcmp(cc, "unknown") == 0)
			tool_version(v3, cc, sizeof(cc));
		done = 1;
	}
	*wasm2c_ver = w2c;
	*cc_ver = cc;
}

static void
key_add(crypto_hash_sha256_state *st, const char *label, const char *s)
{
	crypto_hash_sha256_update(st, (const uint8_t *)label, strlen(label));
	crypto_hash_sha256_update(st, (const uint8_t *)"=", 1);
	crypto_hash_sha256_update(st, (const uint8_t *)s, strlen(s));
	crypto_hash_sha256_update(st, (const uint8_t *)"\n", 1);
}

static void
key_add_argv(crypto_hash_sha256_state *st, const char *label,
    const char *const *argv)
{
	crypto_hash_sha256_update(st, (const uint8_t *)label, strlen(label));
	for (; *argv != NULL; argv++) {
		crypto_hash_sha256_update(st, (const uint8_t *)" ", 1);
		crypto_hash_sha256_update(st, (const uint8_t *)*argv,
		    strlen(*argv));
	}
	crypto_hash_sha256_update(st, (const uint8_t *)"\n", 1);
}

void
wasm_cache_key(const char *module_digest, char key[65])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	const char *w2c, *cc;
	char abi[16];

	compile_versions(&w2c, &cc);
	snprintf(abi, sizeof(abi), "%d", WASM_ABI_VERSION);
	crypto_hash_sha256_init(&st);
	key_add(&st, "kiln-wasm-cache", "1");
	key_add(&st, "module", module_digest);
	key_add(&st, "wasm2c", w2c);
	key_add(&st, "cc", cc);
	key_add_argv(&st, "validate", validate_args);
	key_add_argv(&st, "translate", wasm2c_args);
	key_add_argv(&st, "cflags", cc_args);
	key_add(&st, "memcheck", WASM_RT_MEMCHECK_SIGNAL_HANDLER ? "1" : "0");
	key_add(&st, "abi", abi);
	crypto_hash_sha256_final(&st, h);
	hex_encode(h, sizeof(h), key);
}

/*
 * The number of import-module parameters of Z_guest_instantiate in the
 * generated header: one per imported module, in wasm2c's order.
 */
static int
compile_arity(const char *header_path)
{
	static const char proto[] =
	    "void Z_guest_instantiate(Z_guest_instance_t*";
	uint8_t *text = NULL;
	const char *s, *e;
	size_t len;
	int fd, rc, n = 0;

	if ((fd = open(header_path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	rc = fd_slurp(fd, COMPILE_HEADER_MAX, &text, &len);
	close(fd);
	if (rc < 0)
		return rc;
	text = xrealloc(text, len + 1);
	text[len] = '\0';
	s = strstr((const char *)text, proto);
	if (s == NULL || (e = strstr(s, ");")) == NULL) {
		free(text);
		return -KILN_ECOMPILE;
	}
	for (s += sizeof(proto) - 1; s < e; s++) {
		if (*s == ',')
			n++;
		else if (*s != ' ' && *s != '*' && *s != '_' &&
		    !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9')) {
			free(text);
			return -KILN_ECOMPILE;
		}
	}
	free(text);
	return n;
}

static int
compile_write_shim(const char *path, int arity, int entry_is_start)
{
	FILE *f;
	int i, rc = 0;

	if ((f = fopen(path, "we")) == NULL)
		return -errno;
	fprintf(f,
	    "/* Generated by kiln (src/wasm/compile.c): the shim ABI. */\n"
	    "#include <stddef.h>\n"
	    "#include <stdint.h>\n"
	    "#include \"m.h\"\n\n"
	    "const uint32_t wasm_shim_abi_version = %d;\n"
	    "const int wasm_shim_memcheck_mode = "
	    "WASM_RT_MEMCHECK_SIGNAL_HANDLER;\n\n"
	    "size_t wasm_shim_instance_size(void)\n"
	    "{ return sizeof(Z_guest_instance_t); }\n"
	    "void wasm_shim_init_module(void)\n"
	    "{ Z_guest_init_module(); }\n"
	    "void wasm_shim_instantiate(void *inst, void *env)\n"
	    "{ (void)env; Z_guest_instantiate(inst", WASM_ABI_VERSION);
	for (i = 0; i < arity; i++)
		fprintf(f, ", env");
	fprintf(f,
	    "); }\n"
	    "void wasm_shim_entry(void *inst)\n"
	    "{ Z_guestZ_%s(inst); }\n"
	    "wasm_rt_memory_t *wasm_shim_memory(void *inst)\n"
	    "{ return Z_guestZ_memory(inst); }\n"
	    "void wasm_shim_free(void *inst)\n"
	    "{ Z_guest_free(inst); }\n",
	    entry_is_start ? "_start" : "run");
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) == EOF && rc == 0)
		rc = -errno;
	return rc;
}

/* argv for cc: the fixed flags, extra ones, -o out, the sources. */
static char **
compile_cc_argv(const char *const *extra, const char *out, const char *m_c,
    const char *shim_c)
{
	size_t n = 0, i = 0, j;
	char **argv;

	for (j = 0; cc_args[j] != NULL; j++)
		n++;
	for (j = 0; extra != NULL && extra[j] != NULL; j++)
		n++;
	argv = xcalloc(n + 5, sizeof(*argv));
	for (j = 0; cc_args[j] != NULL; j++)
		argv[i++] = (char *)cc_args[j];
	for (j = 0; extra != NULL && extra[j] != NULL; j++)
		argv[i++] = (char *)extra[j];
	argv[i++] = "-o";
	argv[i++] = (char *)out;
	argv[i++] = (char *)m_c;
	argv[i++] = (char *)shim_c;
	argv[i] = NULL;
	return argv;
}

static int
compile_fsync(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	if (fsync(fd) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

int
wasm_module_compile_flags(const char *wasm_path, const char *so_path,
    const char *scratch_dir, const char *const *extra_cflags, char *why,
    size_t whylen)
{
	static struct tool_out out, err;
	struct wasm_module_info info;
	char line[512];
	char *dir = NULL, *m_c = NULL, *m_h = NULL, *shim_c = NULL;
	char *tmp_so = NULL, **argv = NULL;
	uint8_t *bytes = NULL;
	size_t len, n;
	int fd, rc, arity;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((fd = open(wasm_path, O_RDONLY | O_CLOEXEC)) == -1)
		return why_fail(why, whylen, -errno, "open %s: %s",
		    wasm_path, strerror(errno));
	rc = fd_slurp(fd, COMPILE_WASM_MAX, &bytes, &len);
	close(fd);
	if (rc < 0)
		return why_fail(why, whylen, rc, "read %s: %s", wasm_path,
		    kiln_strerror(rc));
	/* Defence in depth, and the entry name the shim calls. */
	rc = wasm_module_admit(bytes, len, UINT32_MAX, &info, why, whylen);
	free(bytes);
	if (rc < 0)
		return rc;

	{
		char *argv_v[] = { (char *)validate_args[0],
		    (char *)validate_args[1], (char *)wasm_path, NULL };

		rc = tool_run(argv_v, &out, &err);
	}
	if (rc < 0)
		return why_fail(why, whylen, rc, "wasm-validate: %s",
		    kiln_strerror(rc));
	if (rc != 0) {
		tool_line(&err, line, sizeof(line));
		/* "<path>:<offset>: error: ..." names our scratch directory;
		 * a tenant sees only "<offset>: error: ..." */
		n = strlen(wasm_path);
		return why_fail(why, whylen, rc == 1 ? -KILN_EINVAL_MODULE :
		    -KILN_ECOMPILE, "%s",
		    strncmp(line, wasm_path, n) == 0 && line[n] == ':' ?
		    line + n + 1 : line);
	}

	dir = xasprintf("%s/kiln-wasm-XXXXXX", scratch_dir);
	if (mkdtemp(dir) == NULL) {
		rc = why_fail(why, whylen, -errno, "mkdtemp in %s: %s",
		    scratch_dir, strerror(errno));
		free(dir);
		return rc;
	}
	m_c = xasprintf("%s/m.c", dir);
	m_h = xasprintf("%s/m.h", dir);
	shim_c = xasprintf("%s/shim.c", dir);

	{
		char *argv_w[] = { (char *)wasm2c_args[0],
		    (char *)wasm2c_args[1], (char *)wasm2c_args[2],
		    (char *)wasm2c_args[3], (char *)wasm_path, "-o", m_c,
		    NULL };

		rc = tool_run(argv_w, &out, &err);
	}
	if (rc != 0) {
		tool_line(&err, line, sizeof(line));
		rc = why_fail(why, whylen, -KILN_ECOMPILE, "wasm2c: %s",
		    rc < 0 ? kiln_strerror(rc) : line);
		goto out_clean;
	}
	if ((arity = compile_arity(m_h)) < 0) {
		rc = why_fail(why, whylen, -KILN_ECOMPILE,
		    "wasm2c: unexpected header");
		goto out_clean;
	}
	if ((rc = compile_write_shim(shim_c, arity, info.entry_is_start)) < 0) {
		why_fail(why, whylen, rc, "write shim: %s",
		    kiln_strerror(rc));
		goto out_clean;
	}

	tmp_so = xasprintf("%s.tmp-XXXXXX", so_path);
	if ((fd = mkostemp(tmp_so, O_CLOEXEC)) == -1) {
		rc = why_fail(why, whylen, -errno, "create %s: %s", tmp_so,
		    strerror(errno));
		free(tmp_so);
		tmp_so = NULL;
		goto out_clean;
	}
	close(fd);
	argv = compile_cc_argv(extra_cflags, tmp_so, m_c, shim_c);
	rc = tool_run(argv, &out, &err);
	if (rc != 0) {
		tool_line(&err, line, sizeof(line));
		rc = why_fail(why, whylen, -KILN_ECOMPILE, "cc: %s",
		    rc < 0 ? kiln_strerror(rc) : line);
		goto out_unlink;
	}
	/* The linker recreates the file: set a mode workers can read. */
	if (chmod(tmp_so, 0644) == -1)
		rc = -errno;
	else if ((rc = compile_fsync(tmp_so)) == 0 &&
	    rename(tmp_so, so_path) == -1)
		rc = -errno;
	if (rc < 0) {
		why_fail(why, whylen, rc, "install %s: %s", so_path,
		    kiln_strerror(rc));
		goto out_unlink;
	}
	goto out_clean;

 out_unlink:
	unlink(tmp_so);
 out_clean:
	unlink(m_c);
	unlink(m_h);
	unlink(shim_c);
	rmdir(dir);
	free(argv);
	free(tmp_so);
	free(shim_c);
	free(m_h);
	free(m_c);
	free(dir);
	return rc;
}

int
wasm_module_compile(const char *wasm_path, const char *so_path,
    const char *scratch_dir, char *why, size_t whylen)
{
	return wasm_module_compile_flags(wasm_path, so_path, scratch_dir,
	    NULL, why, whylen);
}
