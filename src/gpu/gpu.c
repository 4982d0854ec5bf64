/*
 * The allocator-independent half of GPU placement: profile names and
 * shapes, the checks every allocator relies on (a valid profile, a lease
 * naming a real GPU), dispatch through struct gpu_alloc_ops, and the
 * display name of a lease.  Allocators live in alloc_*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kiln/gpu.h"

const struct gpu_profile gpu_profile_whole = {
	.compute_slices = GPU_COMPUTE_SLICES,
	.mem_slices = GPU_MEM_SLICES,
};

int
gpu_profile_parse(const char *name, struct gpu_profile *p)
{
	if (strcmp(name, "gpu") != 0 && name[0] != '\0')
		return -EINVAL;
	*p = gpu_profile_whole;
	return 0;
}

bool
gpu_profile_is_valid(const struct gpu_profile *p)
{
	return p->compute_slices >= 1 &&
	    p->compute_slices <= GPU_COMPUTE_SLICES &&
	    p->mem_slices >= 1 && p->mem_slices <= GPU_MEM_SLICES;
}

void
gpu_alloc_free(struct gpu_alloc *a)
{
	if (a != NULL)
		a->ops->free(a);
}

bool
gpu_alloc_fits_ever(const struct gpu_alloc *a, const struct gpu_profile *p)
{
	return gpu_profile_is_valid(p) && a->ops->fits_ever(a, p);
}

void
gpu_alloc_counts(const struct gpu_alloc *a, struct gpu_counts *gc)
{
	memset(gc, 0, sizeof(*gc));
	a->ops->counts(a, gc);
}

int
gpu_lease_reserve(struct gpu_alloc *a, const struct gpu_profile *p,
    struct gpu_lease *lease)
{
	memset(lease, 0, sizeof(*lease));
	if (!gpu_profile_is_valid(p))
		return -EINVAL;
	if (!a->ops->fits_ever(a, p))
		return -ENOSPC;
	return a->ops->reserve(a, p, lease);
}

/* Whether the lease could name a placement of a at all. */
static bool
lease_in_range(const struct gpu_alloc *a, const struct gpu_lease *l)
{
	struct gpu_counts gc;

	gpu_alloc_counts(a, &gc);
	return l->id != 0 && l->gpu < gc.gpus &&
	    l->mem_slices >= 1 && l->mem_start < GPU_MEM_SLICES &&
	    l->mem_slices <= GPU_MEM_SLICES - l->mem_start;
}

int
gpu_lease_release(struct gpu_alloc *a, const struct gpu_lease *lease)
{
	if (!lease_in_range(a, lease))
		return -ENOENT;
	return a->ops->release(a, lease);
}

int
gpu_lease_name(const struct gpu_alloc *a, const struct gpu_lease *lease,
    char *name, size_t len)
{
	const char *gpu;
	int n;

	if (!lease_in_range(a, lease)) {
		if (len > 0)
			name[0] = '\0';
		return -ENOENT;
	}
	gpu = a->ops->gpu_name(a, lease->gpu);
	if (lease->mem_start == 0 && lease->mem_slices == GPU_MEM_SLICES)
		n = snprintf(name, len, "%s", gpu);
	else
		n = snprintf(name, len, "%s/%ug@%u", gpu,
		    (unsigned)lease->compute_slices,
		    (unsigned)lease->mem_start);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
