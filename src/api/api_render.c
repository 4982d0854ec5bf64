/*
 * The JSON the API answers with, from the core's typed records: the job
 * object, a page of jobs, a job's events and a registered module.  The
 * bytes are part of the API (docs/API.md): field order, compact form and
 * nulls stay exactly as they are.  The records were checked by
 * msg_reply_body_ok() when they arrived.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/job.h"
#include "kiln/util.h"
#include "api_int.h"

/* "2024-05-01T12:00:00.123456Z", or null for 0 (not yet). */
static json_t *
time_json(int64_t ns)
{
	char buf[96];
	struct tm tm;
	time_t s;

	if (ns == 0)
		return json_null();
	s = (time_t)(ns / 1000000000);
	gmtime_r(&s, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(ns % 1000000000) / 1000);
	return json_string(buf);
}

static json_t *
job_json(const struct msg_job_rec *j)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:I, "
	    "s:I, s:s, s:o, s:o, s:o}",
	    "id", j->id, "tenant", j->tenant, "state", job_state_name(j->state),
	    "module", j->module, "profile", j->profile,
	    "timeout_ms", (json_int_t)j->timeout_ms,
	    "attempts", (json_int_t)j->attempts,
	    "exit_code", j->exit_code < 0 ? json_null() :
	    json_integer(j->exit_code),
	    "reason", j->reason,
	    "output_bytes", (json_int_t)j->output_bytes,
	    "log_bytes", (json_int_t)j->log_bytes,
	    "slot", j->slot,
	    "created_at", time_json(j->created_ns),
	    "started_at", time_json(j->started_ns),
	    "finished_at", time_json(j->finished_ns));
	if (o == NULL)
		log_fatalx("json_pack job");
	return o;
}

/*
 * The job object as text, into b: job_json() plus "isolation", spliced in
 * as journaled.  The core made that text canonical when it arrived from
 * the worker (compact JSON written by jansson, or ""), so it is not parsed
 * again on every read.
 */
static void
job_text(const struct msg_job_rec *j, struct obs_buf *b)
{
	json_t *o = job_json(j);
	char *s = json_dumps(o, JSON_COMPACT);
	size_t n;

	json_decref(o);
	if (s == NULL || (n = strlen(s)) < 2 || s[n - 1] != '}')
		log_fatalx("json_dumps job");
	s[n - 1] = '\0';
	obs_buf_printf(b, "%s,\"isolation\":%s}", s,
	    j->isolation[0] ? j->isolation : "null");
	free(s);
}

static void
page_text(const struct msg_job_page *pg, struct obs_buf *b)
{
	const struct msg_job_rec *recs = (const void *)(pg + 1);
	uint32_t i;

	obs_buf_printf(b, "{\"jobs\":[");
	for (i = 0; i < pg->n; i++) {
		if (i > 0)
			obs_buf_printf(b, ",");
		job_text(&recs[i], b);
	}
	if (pg->more)	/* the token is the last seq: digits, no escaping */
		obs_buf_printf(b, "],\"next_page_token\":\"%lld\"}",
		    (long long)pg->next_seq);
	else
		obs_buf_printf(b, "],\"next_page_token\":null}");
}

/* The job's lifecycle, oldest first: every transition with its reason. */
static void
events_text(const struct msg_job_events *ev, struct obs_buf *b)
{
	const struct msg_job_event *e = (const void *)(ev + 1);
	json_t *events = json_array(), *doc;
	uint32_t i;
	char *s;

	for (i = 0; i < ev->n; i++)
		json_array_append_new(events, json_pack("{s:s, s:s, s:o}",
		    "state", job_state_name(e[i].state), "reason",
		    e[i].reason, "at", time_json(e[i].at_ns)));
	doc = json_pack("{s:s, s:o}", "id", ev->id, "events", events);
	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT)) == NULL)
		log_fatalx("json_dumps");
	obs_buf_printf(b, "%s", s);
	free(s);
	json_decref(doc);
}

const char *
api_render(uint32_t body, const void *data, struct obs_buf *b)
{
	const struct msg_module_rec *mr;

	switch (body) {
	case REPLY_JOB:
		job_text(data, b);
		return ((const struct msg_job_rec *)data)->id;
	case REPLY_JOB_PAGE:
		page_text(data, b);
		return NULL;
	case REPLY_EVENTS:
		events_text(data, b);
		return NULL;
	case REPLY_MODULE:
		mr = data;
		obs_buf_printf(b, "{\"digest\":\"%s\",\"size\":%llu,"
		    "\"kind\":\"%s\"}", mr->digest,
		    (unsigned long long)mr->size,
		    mr->kind == MODULE_NATIVE ? "native" : "wasm");
		return mr->digest;
	default:
		log_fatalx("no JSON for reply body %u", body);
	}
}
