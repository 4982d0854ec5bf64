/*
 * The isolation report: which sandbox layers a worker has in place, which
 * it could not get and why, the level of DESIGN §6 that follows, and the
 * compact JSON form the worker hands back in struct worker_result.  A
 * missing layer always lowers the level; nothing is reported stronger than
 * it is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kiln/sandbox.h"

static const char *const layer_names[SANDBOX_NLAYERS] = {
	"rlimits", "userns", "pidns", "netns", "mntns", "ipcns", "utsns",
	"cgroupns", "caps", "nnp", "landlock", "seccomp", "cgroup",
};

#define LAYERS_L2	(SANDBOX_RLIMITS | SANDBOX_NNP | SANDBOX_LANDLOCK | \
			 SANDBOX_SECCOMP)
#define LAYERS_L3	(LAYERS_L2 | SANDBOX_PIDNS | SANDBOX_NETNS | \
			 SANDBOX_MNTNS | SANDBOX_IPCNS | SANDBOX_UTSNS | \
			 SANDBOX_CGROUPNS | SANDBOX_CAPS)
#define LAYERS_L4	(LAYERS_L3 | SANDBOX_USERNS | SANDBOX_CGROUP)

void
sandbox_report_degrade(struct sandbox_report *rep, const char *name,
    int err)
{
	const char *e;

	if (rep->ndegraded == SANDBOX_MAX_DEGRADED)
		return;
	if (err < 0)
		err = -err;
	if ((e = strerrorname_np(err)) == NULL)
		e = "unknown";
	snprintf(rep->degraded[rep->ndegraded++], sizeof(rep->degraded[0]),
	    "%s: %s", name, e);
}

int
sandbox_report_level(const struct sandbox_report *rep)
{
	uint32_t l = rep->layers;

	if ((l & LAYERS_L4) == LAYERS_L4)
		return 4;
	if ((l & LAYERS_L3) == LAYERS_L3)
		return 3;
	if ((l & LAYERS_L2) == LAYERS_L2)
		return 2;
	if ((l & (SANDBOX_RLIMITS | SANDBOX_SECCOMP)) ==
	    (SANDBOX_RLIMITS | SANDBOX_SECCOMP))
		return 1;
	return 0;
}

void
sandbox_report_json(const struct sandbox_report *rep, char *buf, size_t len)
{
	size_t off;
	int i, n = 0;

#define PUT(...) do {							\
	if (off < len)							\
		off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__); \
} while (0)
	off = 0;
	PUT("{\"level\":\"L%d\",\"layers\":[", sandbox_report_level(rep));
	for (i = 0; i < SANDBOX_NLAYERS; i++) {
		if (!(rep->layers & (1u << i)))
			continue;
		if ((1u << i) == SANDBOX_LANDLOCK)
			PUT("%s\"landlock:%d\"", n++ ? "," : "",
			    rep->landlock_abi);
		else
			PUT("%s\"%s\"", n++ ? "," : "", layer_names[i]);
	}
	PUT("],\"degraded\":[");
	/* reasons are "layer: ERRNONAME": nothing to escape */
	for (i = 0; i < rep->ndegraded; i++)
		PUT("%s\"%s\"", i ? "," : "", rep->degraded[i]);
	PUT("]}");
#undef PUT
	if (off >= len && len > 0)
		buf[0] = '\0';	/* never hand back truncated JSON */
}
