/*
 * Prometheus text exposition: a growing buffer and cumulative-bucket
 * histograms.  The core and the api each render their own series; the api
 * serves both on /metrics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kiln/obs.h"
#include "kiln/util.h"

const double obs_hist_bounds[OBS_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10, 30, 60, 300
};

void
obs_buf_printf(struct obs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
		    b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
		if (b->len == 0)
			b->p[0] = '\0';
	}
}

void
obs_hist_observe(struct obs_hist *h, double seconds)
{
	int i;

	for (i = 0; i < OBS_HIST_BUCKETS; i++)
		if (seconds <= obs_hist_bounds[i])
			break;
	h->counts[i]++;
	h->n++;
	h->sum += seconds;
}

void
obs_hist_render(struct obs_buf *b, const char *name, const char *help,
    const struct obs_hist *h)
{
	uint64_t cum = 0;
	int i;

	obs_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
	    name);
	for (i = 0; i < OBS_HIST_BUCKETS; i++) {
		cum += h->counts[i];
		obs_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    obs_hist_bounds[i], (unsigned long long)cum);
	}
	cum += h->counts[OBS_HIST_BUCKETS];
	obs_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)cum);
	obs_buf_printf(b, "%s_sum %.9f\n%s_count %llu\n", name, h->sum, name,
	    (unsigned long long)h->n);
}
