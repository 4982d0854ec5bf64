/*
 * The whole-GPU allocator: each GPU of the inventory is one slot, lent
 * whole to one lease at a time, the lowest free index first (so placement
 * is deterministic).  A GPU remembers the id of the lease holding it, which
 * is how a stale or repeated release is told apart from a real one.  Sizes
 * are the config's (at most CONFIG_MAX_GPUS), so scans are linear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/error.h"
#include "kiln/gpu.h"
#include "kiln/util.h"

struct whole_gpu {
	char name[GPU_NAME_LEN];
	uint64_t lease_id;		/* the holder's grant, 0: free */
};

struct whole {
	struct gpu_alloc base;		/* first: a struct gpu_alloc * is us */
	uint64_t last_id;		/* the last grant */
	uint32_t ngpus;
	uint32_t nleases;
	struct whole_gpu *gpus;
};

static struct whole *
whole(struct gpu_alloc *a)
{
	return (struct whole *)a;
}

static const struct whole *
whole_const(const struct gpu_alloc *a)
{
	return (const struct whole *)a;
}

static int
whole_reserve(struct gpu_alloc *a, const struct gpu_profile *p,
    struct gpu_lease *lease)
{
	struct whole *w = whole(a);
	uint32_t i;

	for (i = 0; i < w->ngpus; i++) {
		if (w->gpus[i].lease_id != 0)
			continue;
		w->gpus[i].lease_id = ++w->last_id;
		w->nleases++;
		lease->id = w->gpus[i].lease_id;
		lease->gpu = i;
		lease->mem_start = 0;
		lease->mem_slices = GPU_MEM_SLICES;
		lease->compute_slices = GPU_COMPUTE_SLICES;
		return 0;
	}
	return -EBUSY;
}

static int
whole_release(struct gpu_alloc *a, const struct gpu_lease *lease)
{
	struct whole *w = whole(a);
	struct whole_gpu *g = &w->gpus[lease->gpu];

	if (g->lease_id == 0)
		return -ENOENT;
	if (g->lease_id != lease->id || lease->mem_start != 0 ||
	    lease->mem_slices != GPU_MEM_SLICES ||
	    lease->compute_slices != GPU_COMPUTE_SLICES)
		return -KILN_ECONFLICT;
	g->lease_id = 0;
	w->nleases--;
	return 0;
}

static bool
whole_fits_ever(const struct gpu_alloc *a, const struct gpu_profile *p)
{
	return whole_const(a)->ngpus > 0;
}

static void
whole_counts(const struct gpu_alloc *a, struct gpu_counts *gc)
{
	const struct whole *w = whole_const(a);
	uint32_t idle = w->ngpus - w->nleases;

	gc->gpus = w->ngpus;
	gc->leases = w->nleases;
	gc->slots_total = w->ngpus;
	gc->compute_total = w->ngpus * GPU_COMPUTE_SLICES;
	gc->compute_free = idle * GPU_COMPUTE_SLICES;
	gc->mem_total = w->ngpus * GPU_MEM_SLICES;
	gc->mem_free = idle * GPU_MEM_SLICES;
}

static const char *
whole_gpu_name(const struct gpu_alloc *a, uint32_t i)
{
	return whole_const(a)->gpus[i].name;
}

static void
whole_free(struct gpu_alloc *a)
{
	struct whole *w = whole(a);

	free(w->gpus);
	free(w);
}

static const struct gpu_alloc_ops whole_ops = {
	.name = "whole",
	.reserve = whole_reserve,
	.release = whole_release,
	.fits_ever = whole_fits_ever,
	.counts = whole_counts,
	.gpu_name = whole_gpu_name,
	.free = whole_free,
};

int
gpu_alloc_whole_new(const char *const *names, size_t n,
    struct gpu_alloc **out)
{
	struct whole *w;
	size_t i, k, len;

	*out = NULL;
	if (n > UINT32_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (len == 0 || len >= GPU_NAME_LEN)
			return -EINVAL;
		for (k = 0; k < i; k++)
			if (strcmp(names[k], names[i]) == 0)
				return -EINVAL;
	}
	w = xcalloc(1, sizeof(*w));
	w->base.ops = &whole_ops;
	w->ngpus = (uint32_t)n;
	w->gpus = xcalloc(n, sizeof(*w->gpus));
	for (i = 0; i < n; i++)
		memcpy(w->gpus[i].name, names[i], strlen(names[i]) + 1);
	*out = &w->base;
	return 0;
}
