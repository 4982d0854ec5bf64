/*
 * Unit tests of the shared helpers (src/util) and the Prometheus text
 * rendering (src/obs): descriptor slurping with its cap, hex, memfds,
 * error strings, and the exact exposition of a histogram.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/obs.h"
#include "kiln/util.h"

static void
test_fd_slurp(void **state)
{
	static uint8_t big[200000];
	uint8_t *out;
	size_t len, i;
	int fd, p[2];

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	fd = memfd_from_bytes("t", big, sizeof(big));
	assert_true(fd >= 0);
	assert_int_equal(fd_slurp(fd, sizeof(big), &out, &len), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(out, big, sizeof(big));
	free(out);
	assert_int_equal(fd_slurp(fd, sizeof(big) - 1, &out, &len), -EFBIG);
	/* a huge cap costs nothing: the buffer follows the data */
	assert_int_equal(fd_slurp(fd, SIZE_MAX / 2, &out, &len), 0);
	assert_int_equal(len, sizeof(big));
	free(out);
	close(fd);

	/* a pipe has no size: the cap is found while reading */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abcdef", 6), 6);
	close(p[1]);
	assert_int_equal(fd_slurp(p[0], 5, &out, &len), -ESPIPE);
	close(p[0]);

	fd = memfd_from_bytes("empty", "", 0);
	assert_int_equal(fd_slurp(fd, 10, &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
	close(fd);
}

static void
test_hex_and_errors(void **state)
{
	const uint8_t in[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];
	int i;

	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "000fa5ff");
	assert_string_equal(kiln_strerror(-KILN_EQUEUE_FULL), "queue full");
	assert_string_equal(kiln_strerror(-KILN_EPROTO), "malformed message");
	assert_string_equal(kiln_strerror(-KILN_EJOB_TERMINAL),
	    "job already ended");
	/* every code has its text */
	for (i = KILN_EBASE + 1; i < KILN_ELAST; i++)
		assert_non_null(kiln_strerror(-i));
	assert_string_equal(kiln_strerror(-ENOENT),
	    "No such file or directory");
}

static void
test_histogram(void **state)
{
	struct obs_hist h = { 0 };
	struct obs_buf b = { 0 };
	const char *want =
	    "# HELP kiln_x_seconds Test.\n"
	    "# TYPE kiln_x_seconds histogram\n"
	    "kiln_x_seconds_bucket{le=\"0.001\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.0025\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.005\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.01\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.025\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.05\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.1\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.25\"} 1\n"
	    "kiln_x_seconds_bucket{le=\"0.5\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"1\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"2.5\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"5\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"10\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"30\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"60\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"300\"} 2\n"
	    "kiln_x_seconds_bucket{le=\"+Inf\"} 3\n"
	    "kiln_x_seconds_sum 1000.500500000\n"
	    "kiln_x_seconds_count 3\n";

	obs_hist_observe(&h, 0.0005);	/* on no bound: first bucket */
	obs_hist_observe(&h, 0.5);	/* exactly on a bound: that bucket */
	obs_hist_observe(&h, 1000);	/* above every bound: +Inf only */
	obs_hist_render(&b, "kiln_x_seconds", "Test.", &h);
	assert_string_equal(b.p, want);
	assert_int_equal(b.len, strlen(want));
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_slurp),
		cmocka_unit_test(test_hex_and_errors),
		cmocka_unit_test(test_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
