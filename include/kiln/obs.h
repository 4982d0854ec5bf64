/*
 * Observability helpers: a growing text buffer and fixed-bucket latency
 * histograms rendered in the Prometheus text exposition format (0.0.4).
 * Metric names are kiln_* with base units (seconds, bytes).
 */
#ifndef KILN_OBS_H
#define KILN_OBS_H

#include <stddef.h>
#include <stdint.h>

struct obs_buf {
	char *p;		/* NUL-terminated, owned; free() when done */
	size_t len;
	size_t cap;
};

/* Appends formatted text; aborts on exhaustion. */
void obs_buf_printf(struct obs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define OBS_HIST_BUCKETS 16

/* Upper bounds in seconds, 1 ms .. 300 s; +Inf is implicit. */
extern const double obs_hist_bounds[OBS_HIST_BUCKETS];

struct obs_hist {
	uint64_t counts[OBS_HIST_BUCKETS + 1];	/* last: above every bound */
	uint64_t n;
	double sum;
};

void obs_hist_observe(struct obs_hist *h, double seconds);

/* Writes HELP, TYPE and the _bucket/_sum/_count series of one histogram. */
void obs_hist_render(struct obs_buf *b, const char *name, const char *help,
    const struct obs_hist *h);

#endif
