/*
 * Module registration in the core: admission of the untrusted bytes
 * (wasm_module_admit, or native_elf_admit for an ELF executable, which
 * only tenants with `native = true` may register), storage as a
 * content-addressed blob, preparation by the launcher (the sandboxed
 * compiler for wasm; library resolution for native), once per module
 * however many tenants push the same bytes meanwhile, and the answer to
 * each pusher.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln/error.h"
#include "kiln/native.h"
#include "kiln/store.h"
#include "kiln/util.h"
#include "kiln/wasm.h"
#include "core_int.h"

static void
module_answer(struct core *c, uint64_t req, const char *tenant,
    const char *digest, uint64_t size, enum module_kind kind)
{
	struct msg_module_rec mr;
	int rc;

	if ((rc = store_module_put(c->st, tenant, digest, size, kind)) < 0)
		log_fatalx("store: module put: %s", kiln_strerror(rc));
	memset(&mr, 0, sizeof(mr));
	snprintf(mr.digest, sizeof(mr.digest), "%s", digest);
	mr.size = size;
	mr.kind = kind;
	/* created: new for this tenant; else it was registered already */
	core_reply(c, req, REPLY_MODULE, rc == 1, &mr, sizeof(mr));
	if (rc == 1)
		log_info("module %s registered by tenant %s", digest, tenant);
}

static struct compile_wait *
compile_find(struct core *c, const char *digest)
{
	size_t i;

	for (i = 0; i < c->ncompiles; i++)
		if (strcmp(c->compiles[i].digest, digest) == 0)
			return &c->compiles[i];
	return NULL;
}

/*
 * Admits bytes as a module of tenant ct: fills mc (kind, cache key and,
 * for a native executable, what it needs) and *names (the needed sonames,
 * NUL-separated, *nlen bytes).  0, or answers req with why not and
 * returns -1.
 */
static int
module_admit(struct core *c, uint64_t req, const struct config_tenant *ct,
    const uint8_t *bytes, size_t len, struct msg_compile *mc, char *names,
    size_t *nlen)
{
	struct wasm_module_info info;
	struct native_elf_info elf;
	char why[256];
	int i, rc;

	*nlen = 0;
	if (native_elf_is(bytes, len)) {
		if (!ct->native) {
			core_reply_error(c, req, -KILN_ENATIVE,
			    "tenant %s may not register native executables",
			    ct->id);
			return -1;
		}
		if (native_elf_admit(bytes, len, &elf, why, sizeof(why)) < 0) {
			core_reply_error(c, req, -KILN_EINVAL_MODULE, "%s",
			    why);
			return -1;
		}
		mc->kind = MODULE_NATIVE;
		snprintf(mc->interp, sizeof(mc->interp), "%s", elf.interp);
		mc->nneeded = (uint32_t)elf.nneeded;
		for (i = 0; i < elf.nneeded; i++)
			*nlen += (size_t)sprintf(names + *nlen, "%s%c",
			    elf.needed[i], '\0');
		return 0;
	}
	rc = wasm_module_admit(bytes, len, ct->max_pages, &info, why,
	    sizeof(why));
	if (rc < 0) {
		core_reply_error(c, req, rc == -KILN_EIMPORT ||
		    rc == -KILN_EQUOTA ? rc : -KILN_EINVAL_MODULE, "%s", why);
		return -1;
	}
	mc->kind = MODULE_WASM;
	return 0;
}

void
core_module_put(struct core *c, uint64_t req, const struct msg_tenant *t,
    int fd)
{
	const struct config_tenant *ct = config_tenant_find(c->conf, t->tenant);
	static char names[NATIVE_NEEDED_MAX * NATIVE_NAME_MAX];
	struct compile_wait *cw;
	struct msg_compile mc;
	char digest[JOB_DIGEST_LEN];
	uint8_t *bytes = NULL;
	size_t len, nlen;
	int rc, wfd;

	if (ct == NULL) {
		core_reply_error(c, req, -KILN_EUNAUTHORIZED,
		    "unknown tenant");
		return;
	}
	rc = fd_slurp(fd, c->conf->max_module_bytes, &bytes, &len);
	if (rc == -EFBIG) {
		core_reply_error(c, req, -KILN_ETOO_LARGE,
		    "modules are limited to %llu bytes",
		    (unsigned long long)c->conf->max_module_bytes);
		return;
	}
	if (rc < 0)
		log_fatalx("reading a module: %s", kiln_strerror(rc));
	memset(&mc, 0, sizeof(mc));
	if (module_admit(c, req, ct, bytes, len, &mc, names, &nlen) < 0)
		goto out;
	if ((rc = store_blob_put(c->st, bytes, len, digest)) < 0)
		log_fatalx("store: blob: %s", kiln_strerror(rc));
	if (mc.kind == MODULE_NATIVE)
		native_cache_key(digest, mc.cache_key);
	else
		wasm_cache_key(digest, mc.cache_key);
	/* the launcher answers at once when the cache already has it */
	if (c->launcher_fd < 0) {
		core_reply_error(c, req, -KILN_EUNAVAILABLE,
		    "the launcher is restarting; try again");
		goto out;
	}
	if ((cw = compile_find(c, digest)) == NULL) {
		if ((wfd = store_blob_open(c->st, digest)) < 0)
			log_fatalx("store: blob open: %s", kiln_strerror(wfd));
		snprintf(mc.digest, sizeof(mc.digest), "%s", digest);
		core_launcher_send(c, IMSG_LAUNCHER_COMPILE, &mc, sizeof(mc),
		    names, nlen, wfd);
		c->compiles = xrealloc(c->compiles, (c->ncompiles + 1) *
		    sizeof(*c->compiles));
		cw = &c->compiles[c->ncompiles++];
		memset(cw, 0, sizeof(*cw));
		snprintf(cw->digest, sizeof(cw->digest), "%s", digest);
		cw->kind = mc.kind;
	}
	cw->w = xrealloc(cw->w, (cw->nw + 1) * sizeof(*cw->w));
	cw->w[cw->nw].req = req;
	snprintf(cw->w[cw->nw].tenant, sizeof(cw->w[0].tenant), "%s",
	    t->tenant);
	cw->w[cw->nw].size = len;
	cw->nw++;
out:
	if (bytes != NULL)
		sodium_memzero(bytes, len);
	free(bytes);
}

static void
compile_drop(struct core *c, struct compile_wait *cw)
{
	free(cw->w);
	*cw = c->compiles[--c->ncompiles];
}

void
core_module_compiled(struct core *c, const struct msg_compiled *r)
{
	struct compile_wait *cw = compile_find(c, r->digest);
	size_t i;

	if (cw == NULL)
		return;		/* its pushers left with a dead api */
	for (i = 0; i < cw->nw; i++) {
		if (r->rc == 0)
			module_answer(c, cw->w[i].req, cw->w[i].tenant,
			    r->digest, cw->w[i].size, cw->kind);
		else
			core_reply_error(c, cw->w[i].req,
			    -KILN_EINVAL_MODULE, "%s", r->why);
	}
	if (r->rc != 0)
		log_info("module %s rejected: %s", r->digest, r->why);
	compile_drop(c, cw);
}

void
core_compiles_forget(struct core *c)
{
	size_t i;

	for (i = 0; i < c->ncompiles; i++)
		c->compiles[i].nw = 0;
}

void
core_compiles_fail(struct core *c, const char *why)
{
	size_t i;

	while (c->ncompiles > 0) {
		struct compile_wait *cw = &c->compiles[c->ncompiles - 1];

		for (i = 0; i < cw->nw; i++)
			core_reply_error(c, cw->w[i].req,
			    -KILN_EUNAVAILABLE, "%s", why);
		compile_drop(c, cw);
	}
}
