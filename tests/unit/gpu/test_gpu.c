/*
 * Unit tests of GPU placement (src/gpu): profile names and shapes, the
 * whole-GPU allocator (lowest free GPU first, full, counts, the inventory's
 * names), and leases: each grant a new id, a repeated or stale release
 * refused without changing anything, and their display names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/gpu.h"

static const char *const four[] = { "gpu0", "gpu1", "gpu2", "gpu3" };

static void
test_profile(void **state)
{
	struct gpu_profile p = { 0 };
	const struct gpu_profile bad[] = { { 0, 1 }, { 1, 0 }, { 8, 8 },
	    { 7, 9 } };
	size_t i;

	assert_int_equal(gpu_profile_parse("gpu", &p), 0);
	assert_int_equal(p.compute_slices, GPU_COMPUTE_SLICES);
	assert_int_equal(p.mem_slices, GPU_MEM_SLICES);
	memset(&p, 0, sizeof(p));
	assert_int_equal(gpu_profile_parse("", &p), 0);
	assert_int_equal(p.compute_slices, GPU_COMPUTE_SLICES);
	/* MIG profile names arrive with the MIG allocator */
	assert_int_equal(gpu_profile_parse("1g.10gb", &p), -EINVAL);
	assert_int_equal(gpu_profile_parse("GPU", &p), -EINVAL);
	assert_true(gpu_profile_is_valid(&gpu_profile_whole));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(gpu_profile_is_valid(&bad[i]));
}

static void
test_whole_inventory(void **state)
{
	const char *const empty[] = { "gpu0", "" };
	const char *const dup[] = { "gpu0", "gpu1", "gpu0" };
	const char *const long_name[] = {
		"gpu-with-a-name-of-thirty-two-ch" };
	struct gpu_alloc *a = (struct gpu_alloc *)1;

	assert_int_equal(gpu_alloc_whole_new(empty, 2, &a), -EINVAL);
	assert_null(a);
	assert_int_equal(gpu_alloc_whole_new(dup, 3, &a), -EINVAL);
	assert_int_equal(gpu_alloc_whole_new(long_name, 1, &a), -EINVAL);
	assert_int_equal(gpu_alloc_whole_new(four, 4, &a), 0);
	assert_non_null(a);
	assert_string_equal(a->ops->name, "whole");
	gpu_alloc_free(a);
	gpu_alloc_free(NULL);
}

static void
test_whole_reserve(void **state)
{
	const struct gpu_profile small = { 1, 1 };
	struct gpu_lease l[4], extra;
	struct gpu_counts gc;
	struct gpu_alloc *a;
	char name[GPU_NAME_LEN];
	int i;

	assert_int_equal(gpu_alloc_whole_new(four, 3, &a), 0);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.gpus, 3);
	assert_int_equal(gc.leases, 0);
	assert_int_equal(gc.slots_total, 3);
	assert_int_equal(gc.compute_total, 21);
	assert_int_equal(gc.compute_free, 21);
	assert_int_equal(gc.mem_total, 24);
	assert_int_equal(gc.mem_free, 24);
	assert_true(gpu_alloc_fits_ever(a, &gpu_profile_whole));
	assert_true(gpu_alloc_fits_ever(a, &small));
	for (i = 0; i < 3; i++) {
		assert_int_equal(gpu_lease_reserve(a, &gpu_profile_whole,
		    &l[i]), 0);
		assert_int_equal(l[i].gpu, i);
		assert_int_equal(l[i].mem_start, 0);
		assert_int_equal(l[i].mem_slices, GPU_MEM_SLICES);
		assert_int_equal(l[i].compute_slices, GPU_COMPUTE_SLICES);
		assert_int_not_equal(l[i].id, 0);
		if (i > 0)
			assert_true(l[i].id > l[i - 1].id);
		assert_int_equal(gpu_lease_name(a, &l[i], name, sizeof(name)),
		    0);
		assert_string_equal(name, four[i]);
	}
	assert_int_equal(gpu_lease_reserve(a, &gpu_profile_whole, &extra),
	    -EBUSY);
	assert_int_equal(extra.id, 0);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.leases, 3);
	assert_int_equal(gc.compute_free, 0);
	assert_int_equal(gc.mem_free, 0);

	/* the lowest free GPU goes first; a small profile gets it whole */
	assert_int_equal(gpu_lease_release(a, &l[1]), 0);
	assert_int_equal(gpu_lease_release(a, &l[0]), 0);
	assert_int_equal(gpu_lease_reserve(a, &small, &l[3]), 0);
	assert_int_equal(l[3].gpu, 0);
	assert_int_equal(l[3].mem_slices, GPU_MEM_SLICES);
	assert_int_equal(l[3].compute_slices, GPU_COMPUTE_SLICES);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.leases, 2);
	assert_int_equal(gc.compute_free, 7);
	assert_int_equal(gc.mem_free, 8);

	assert_int_equal(gpu_lease_reserve(a, &(struct gpu_profile){ 0, 1 },
	    &extra), -EINVAL);
	gpu_alloc_free(a);
}

static void
test_lease_release(void **state)
{
	struct gpu_lease l0, l0b, forged, none = { 0 };
	struct gpu_counts gc;
	struct gpu_alloc *a;

	assert_int_equal(gpu_alloc_whole_new(four, 2, &a), 0);
	assert_int_equal(gpu_lease_reserve(a, &gpu_profile_whole, &l0), 0);
	assert_int_equal(gpu_lease_release(a, &l0), 0);
	/* released twice: nothing is held there any more */
	assert_int_equal(gpu_lease_release(a, &l0), -ENOENT);
	/* the same GPU again, under a new grant */
	assert_int_equal(gpu_lease_reserve(a, &gpu_profile_whole, &l0b), 0);
	assert_int_equal(l0b.gpu, l0.gpu);
	assert_true(l0b.id > l0.id);
	/* the stale copy cannot free the new holder's GPU */
	assert_int_equal(gpu_lease_release(a, &l0), -KILN_ECONFLICT);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.leases, 1);
	/* a lease for a GPU that does not exist, or none at all */
	forged = l0b;
	forged.gpu = 2;
	assert_int_equal(gpu_lease_release(a, &forged), -ENOENT);
	assert_int_equal(gpu_lease_release(a, &none), -ENOENT);
	/* the right id with another placement is not this lease */
	forged = l0b;
	forged.mem_slices = 4;
	assert_int_equal(gpu_lease_release(a, &forged), -KILN_ECONFLICT);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.leases, 1);
	assert_int_equal(gpu_lease_release(a, &l0b), 0);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.leases, 0);
	gpu_alloc_free(a);
}

static void
test_lease_name(void **state)
{
	struct gpu_lease l = { .id = 1, .gpu = 1, .mem_start = 4,
	    .mem_slices = 4, .compute_slices = 3 };
	struct gpu_alloc *a;
	char name[GPU_NAME_LEN], tiny[4];

	assert_int_equal(gpu_alloc_whole_new(four, 2, &a), 0);
	assert_int_equal(gpu_lease_name(a, &l, name, sizeof(name)), 0);
	assert_string_equal(name, "gpu1/3g@4");
	l.mem_start = 0;
	l.mem_slices = GPU_MEM_SLICES;
	assert_int_equal(gpu_lease_name(a, &l, name, sizeof(name)), 0);
	assert_string_equal(name, "gpu1");
	assert_int_equal(gpu_lease_name(a, &l, tiny, sizeof(tiny)),
	    -ENAMETOOLONG);
	assert_string_equal(tiny, "gpu");
	l.gpu = 2;
	assert_int_equal(gpu_lease_name(a, &l, name, sizeof(name)), -ENOENT);
	assert_string_equal(name, "");
	gpu_alloc_free(a);
}

static void
test_whole_empty(void **state)
{
	struct gpu_lease l;
	struct gpu_counts gc;
	struct gpu_alloc *a;

	assert_int_equal(gpu_alloc_whole_new(NULL, 0, &a), 0);
	assert_false(gpu_alloc_fits_ever(a, &gpu_profile_whole));
	assert_int_equal(gpu_lease_reserve(a, &gpu_profile_whole, &l),
	    -ENOSPC);
	gpu_alloc_counts(a, &gc);
	assert_int_equal(gc.gpus, 0);
	assert_int_equal(gc.slots_total, 0);
	gpu_alloc_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_whole_inventory),
		cmocka_unit_test(test_whole_reserve),
		cmocka_unit_test(test_lease_release),
		cmocka_unit_test(test_lease_name),
		cmocka_unit_test(test_whole_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
