/*
 * GPU placement: the inventory of GPUs and the leases on them.  A job asks
 * for a profile (a shape in MIG slices); an allocator grants a lease, a
 * typed placement on one GPU, and takes it back.  The scheduler talks to
 * an allocator only through struct gpu_alloc_ops, so the whole-GPU
 * allocator of today and a MIG-shaped one can be swapped.  Nothing here
 * reads a clock or does I/O: a simulator drives the same code.
 */
#ifndef KILN_GPU_H
#define KILN_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPU_NAME_LEN		32	/* a GPU's or a lease's name, NUL */
#define GPU_COMPUTE_SLICES	7	/* MIG: SM slices per GPU */
#define GPU_MEM_SLICES		8	/* MIG: memory slices per GPU */

/*
 * What a job asks for, in MIG slices: 1g.10gb on an H100-80GB is { 1, 1 },
 * the whole GPU is { GPU_COMPUTE_SLICES, GPU_MEM_SLICES }.  A shape, not a
 * name: names per GPU model are the MIG allocator's business.
 */
struct gpu_profile {
	uint8_t compute_slices;		/* 1..GPU_COMPUTE_SLICES */
	uint8_t mem_slices;		/* 1..GPU_MEM_SLICES */
};

/*
 * A placement granted by an allocator.  A value the holder keeps and hands
 * back to release it; id identifies the grant, so a copy kept after its
 * release (a stale lease) is refused rather than freeing someone else's
 * placement.  All zero is "no lease".
 */
struct gpu_lease {
	uint64_t id;			/* the grant, never 0; never reused */
	uint32_t gpu;			/* index into the allocator's GPUs */
	uint8_t mem_start;		/* first memory slice, 0..7 */
	uint8_t mem_slices;		/* memory slices, mem_start.. */
	uint8_t compute_slices;		/* SM slices */
};

/* Capacity and use, for metrics and for a policy's shares. */
struct gpu_counts {
	uint32_t gpus;			/* GPUs in the inventory */
	uint32_t leases;		/* leases held now */
	uint32_t slots_total;		/* most leases held at once */
	uint32_t compute_total;		/* SM slices, all GPUs */
	uint32_t compute_free;
	uint32_t mem_total;		/* memory slices, all GPUs */
	uint32_t mem_free;
};

struct gpu_alloc;

/*
 * An allocator's implementation.  Callers use the gpu_* functions below,
 * which check their arguments and then call these.
 */
struct gpu_alloc_ops {
	const char *name;		/* "whole" */
	/* A lease for p (valid, fits_ever), or -EBUSY: no room now. */
	int (*reserve)(struct gpu_alloc *a, const struct gpu_profile *p,
	    struct gpu_lease *lease);
	/* 0, -ENOENT (nothing held there) or -KILN_ECONFLICT (stale). */
	int (*release)(struct gpu_alloc *a, const struct gpu_lease *lease);
	/* Whether p fits some GPU when all of it is free. */
	bool (*fits_ever)(const struct gpu_alloc *a,
	    const struct gpu_profile *p);
	void (*counts)(const struct gpu_alloc *a, struct gpu_counts *gc);
	/* The name of GPU i (i below counts' gpus), never NULL. */
	const char *(*gpu_name)(const struct gpu_alloc *a, uint32_t i);
	void (*free)(struct gpu_alloc *a);
};

/* Every allocator starts with this; its own state follows. */
struct gpu_alloc {
	const struct gpu_alloc_ops *ops;
};

/* The profile of today's only slot, the whole GPU. */
extern const struct gpu_profile gpu_profile_whole;

/*
 * Parses a job's profile name.  Today "gpu" (and "", the journal's value
 * for jobs that named none) is the whole GPU.  0 or -EINVAL.
 */
int gpu_profile_parse(const char *name, struct gpu_profile *p);

/* Whether p is a shape some GPU could have (1..7 SM, 1..8 memory slices). */
bool gpu_profile_is_valid(const struct gpu_profile *p);

/*
 * The whole-GPU allocator: GPU i is named names[i] ("gpu0"; the config's
 * [gpu NAME] sections), each lent whole to one lease at a time, the lowest
 * free index first.  Any valid profile is granted a whole GPU: the lease
 * says what was granted, which may be more than was asked.  n may be 0
 * (nothing ever fits).  0 with *out set, or -EINVAL for an empty, too long
 * or repeated name.
 */
int gpu_alloc_whole_new(const char *const *names, size_t n,
    struct gpu_alloc **out);
/* Frees an allocator; NULL is a no-op.  Outstanding leases die with it. */
void gpu_alloc_free(struct gpu_alloc *a);

/*
 * Reserves a placement for p and fills *lease.  0, -EINVAL (p is not a
 * valid shape), -ENOSPC (p can never fit) or -EBUSY (no room now).
 */
int gpu_lease_reserve(struct gpu_alloc *a, const struct gpu_profile *p,
    struct gpu_lease *lease);

/*
 * Gives a lease back.  0; -ENOENT when no lease is held at that placement
 * (never granted, or released already); -KILN_ECONFLICT when the placement
 * is held under another grant (a stale copy of a lease).  Nothing changes
 * on error.
 */
int gpu_lease_release(struct gpu_alloc *a, const struct gpu_lease *lease);

/*
 * Renders the lease's display name into name (len bytes): the GPU's name
 * for a whole GPU ("gpu0"), "gpu0/3g@4" for slices (SM slices, first
 * memory slice).  This is the journal's and the API's "slot".  0,
 * -ENOENT (no such GPU) or -ENAMETOOLONG (truncated).
 */
int gpu_lease_name(const struct gpu_alloc *a, const struct gpu_lease *lease,
    char *name, size_t len);

/* Whether p fits some GPU of a when that GPU is entirely free. */
bool gpu_alloc_fits_ever(const struct gpu_alloc *a,
    const struct gpu_profile *p);

/* Fills *gc with a's capacity and use. */
void gpu_alloc_counts(const struct gpu_alloc *a, struct gpu_counts *gc);

#endif
