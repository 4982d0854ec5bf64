/*
 * Unit tests of the message layer (src/proc/msg.c): round trips with a
 * tail and descriptors, the core's typed replies, and every way a hostile
 * peer's bytes are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/proc.h"

static struct msg m;

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

/* msg_recv as the core reads its api's socket. */
static int
recv_in_core(int sock)
{
	return msg_recv(sock, MSG_PEER_API, MSG_PEER_CORE, &m);
}

/* msg_recv as the api reads the core's socket. */
static int
recv_in_api(int sock)
{
	return msg_recv(sock, MSG_PEER_CORE, MSG_PEER_API, &m);
}

static void
test_round_trip(void **state)
{
	struct msg_submit s, *got;
	const uint8_t *tail;
	size_t tlen;
	char buf[8];
	int sv[2], p[2];

	pair(sv);
	assert_int_equal(pipe(p), 0);
	memset(&s, 0, sizeof(s));
	strcpy(s.tenant, "demo");
	strcpy(s.module, "sha256:ab");
	s.timeout_ms = 1234;
	s.has_input = 1;
	assert_int_equal(msg_send(sv[0], IMSG_CORE_JOB_SUBMIT, 42, &s,
	    sizeof(s), "{\"a\":1}", 7, p[0], -1), 0);
	assert_int_equal(recv_in_core(sv[1]), 1);
	assert_int_equal(m.hdr.type, IMSG_CORE_JOB_SUBMIT);
	assert_int_equal(m.hdr.id, 42);
	assert_int_equal(m.nfds, 1);
	got = (struct msg_submit *)msg_get(&m, &tail, &tlen);
	assert_non_null(got);
	assert_string_equal(got->tenant, "demo");
	assert_int_equal(got->timeout_ms, 1234);
	assert_int_equal(tlen, 7);
	assert_memory_equal(tail, "{\"a\":1}", 7);
	/* the received descriptor is the pipe's read end */
	assert_int_equal(write(p[1], "hi", 2), 2);
	assert_int_equal(read(m.fds[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	msg_clear(&m);
	assert_int_equal(m.nfds, 0);
	/* nothing more: 0 on the non-blocking receive; EOF once closed */
	assert_int_equal(recv_in_core(sv[1]), 0);
	close(sv[0]);
	assert_int_equal(recv_in_core(sv[1]), -EPIPE);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

static void
test_refusals(void **state)
{
	struct msg_job_ref ref;
	struct msg_hdr h;
	uint8_t raw[sizeof(h) + sizeof(ref)];
	int sv[2];

	pair(sv);
	/* header claims more bytes than were sent */
	h.type = IMSG_CORE_JOB_GET;
	h.len = 500;
	h.id = 1;
	memset(&ref, 0, sizeof(ref));
	memcpy(raw, &h, sizeof(h));
	memcpy(raw + sizeof(h), &ref, sizeof(ref));
	assert_int_equal(write(sv[0], raw, sizeof(raw)), sizeof(raw));
	assert_int_equal(recv_in_core(sv[1]), -KILN_EPROTO);
	/* shorter than a header */
	assert_int_equal(write(sv[0], raw, 5), 5);
	assert_int_equal(recv_in_core(sv[1]), -KILN_EPROTO);
	/* right length, unterminated string */
	memset(&ref, 'x', sizeof(ref));
	assert_int_equal(msg_send(sv[0], IMSG_CORE_JOB_GET, 1, &ref,
	    sizeof(ref), NULL, 0, -1, -1), 0);
	assert_int_equal(recv_in_core(sv[1]), 1);
	assert_null(msg_get(&m, NULL, NULL));
	/* wrong payload size for the type, and a tail where none belongs */
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(msg_send(sv[0], IMSG_CORE_JOB_GET, 1, &ref,
	    sizeof(ref) - 1, NULL, 0, -1, -1), 0);
	assert_int_equal(recv_in_core(sv[1]), 1);
	assert_null(msg_get(&m, NULL, NULL));
	assert_int_equal(msg_send(sv[0], IMSG_CORE_JOB_GET, 1, &ref,
	    sizeof(ref), "x", 1, -1, -1), 0);
	assert_int_equal(recv_in_core(sv[1]), 1);
	assert_null(msg_get(&m, NULL, NULL));
	/* an unknown type: declared in no direction */
	assert_int_equal(msg_send(sv[0], 9999, 1, NULL, 0, NULL, 0, -1, -1), 0);
	assert_int_equal(recv_in_core(sv[1]), -KILN_EPROTO);
	assert_int_equal(m.hdr.type, 9999);
	assert_string_equal(msg_type_name(9999), "unknown");
	assert_string_equal(msg_type_name(IMSG_CORE_JOB_GET),
	    "IMSG_CORE_JOB_GET");
	/* too big to send */
	{
		static uint8_t big[MSG_MAX];

		assert_int_equal(msg_send(sv[0], IMSG_API_REPLY, 1, big,
		    sizeof(big), NULL, 0, -1, -1), -EMSGSIZE);
	}
	close(sv[0]);
	close(sv[1]);
}

static void
test_too_many_fds(void **state)
{
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	struct msg_hdr h = { IMSG_CORE_READY, 0, 7 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * (MSG_MAX_FDS + 1))];
		struct cmsghdr align;
	} cm;
	int sv[2], fds[MSG_MAX_FDS + 1], i;

	for (i = 0; i <= MSG_MAX_FDS; i++)
		fds[i] = i % 3;
	pair(sv);
	/* the most msg_sendv sends, and then one more: refused */
	assert_int_equal(msg_sendv(sv[0], IMSG_CORE_READY, 7, NULL, 0, NULL,
	    0, fds, MSG_MAX_FDS), 0);
	assert_int_equal(recv_in_core(sv[1]), 1);
	assert_int_equal(m.nfds, MSG_MAX_FDS);
	for (i = 0; i < MSG_MAX_FDS; i++)
		assert_true(m.fds[i] > 2);
	msg_clear(&m);
	assert_int_equal(msg_sendv(sv[0], IMSG_CORE_READY, 7, NULL, 0, NULL,
	    0, fds, MSG_MAX_FDS + 1), -EINVAL);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &mh, 0), sizeof(h));
	assert_int_equal(recv_in_core(sv[1]), -KILN_EPROTO);
	assert_int_equal(m.nfds, 0);
	close(sv[0]);
	close(sv[1]);
}

static void
test_strings_split(void **state)
{
	static const char buf[] = "ab\0\0c=d\0";	/* "ab", "", "c=d" */
	char *vec[4];
	size_t off = 0;

	assert_int_equal(msg_strings_split(buf, sizeof(buf) - 1, &off, vec,
	    2), 0);
	assert_string_equal(vec[0], "ab");
	assert_string_equal(vec[1], "");
	assert_null(vec[2]);
	assert_int_equal(off, 4);
	assert_int_equal(msg_strings_split(buf, sizeof(buf) - 1, &off, vec,
	    1), 0);
	assert_string_equal(vec[0], "c=d");
	assert_int_equal(off, 8);
	/* one more than there is, and a last string without its NUL */
	off = 4;
	assert_int_equal(msg_strings_split(buf, sizeof(buf) - 1, &off, vec,
	    2), -KILN_EPROTO);
	off = 4;
	assert_int_equal(msg_strings_split(buf, sizeof(buf) - 2, &off, vec,
	    1), -KILN_EPROTO);
}

/* What a child receives first: the parent's whole configuration. */
static void
test_config_handoff(void **state)
{
	static struct config sent, got;
	struct msg_job_ref r;
	int sv[2];

	pair(sv);
	config_defaults(&sent);
	sent.generation = 7;
	snprintf(sent.tenants[sent.ntenants++].id, JOB_TENANT_LEN, "acme");
	sent.tenants[0].queue_limit = 12;
	assert_int_equal(proc_config_send(sv[0], &sent), 0);
	assert_int_equal(proc_config_recv(sv[1], MSG_PEER_CORE, &got), 0);
	assert_memory_equal(&got, &sent, sizeof(sent));

	/* anything else first, or a malformed config, is refused */
	memset(&r, 0, sizeof(r));
	assert_int_equal(msg_send(sv[0], IMSG_CORE_JOB_GET, 1, &r, sizeof(r),
	    NULL, 0, -1, -1), 0);
	assert_int_equal(proc_config_recv(sv[1], MSG_PEER_CORE, &got),
	    -KILN_EPROTO);
	sent.ntenants = CONFIG_MAX_TENANTS + 1;
	assert_int_equal(proc_config_send(sv[0], &sent), 0);
	assert_int_equal(proc_config_recv(sv[1], MSG_PEER_CORE, &got),
	    -KILN_EPROTO);
	assert_int_equal(msg_send(sv[0], IMSG_CONF, 1, &sent, sizeof(sent) - 1,
	    NULL, 0, -1, -1), 0);
	assert_int_equal(proc_config_recv(sv[1], MSG_PEER_CORE, &got),
	    -KILN_EPROTO);
	close(sv[0]);
	assert_int_equal(proc_config_recv(sv[1], MSG_PEER_CORE, &got),
	    -EPIPE);
	close(sv[1]);
}

/* Sends a reply with body bytes as its tail; 1 when msg_get takes it. */
static int
reply_accepted(int sv[2], const struct msg_reply *r, const void *body,
    size_t len, int fd)
{
	const void *p;

	assert_int_equal(msg_send(sv[0], IMSG_API_REPLY, 9, r, sizeof(*r),
	    body, len, fd, -1), 0);
	assert_int_equal(recv_in_api(sv[1]), 1);
	p = msg_get(&m, NULL, NULL);
	msg_clear(&m);
	return p != NULL;
}

static void
job_rec_fill(struct msg_job_rec *j, const char *id)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id);
	strcpy(j->tenant, "demo");
	strcpy(j->module, "sha256:ab");
	strcpy(j->profile, "gpu");
	strcpy(j->isolation, "{\"level\":\"L4\"}");
	j->state = JOB_SUCCEEDED;
	j->exit_code = -1;
}

static void
test_reply_typed(void **state)
{
	struct {
		struct msg_job_page pg;
		struct msg_job_rec r[2];
	} page;
	struct {
		struct msg_job_events ev;
		struct msg_job_event e[3];
	} events;
	struct msg_module_rec mod;
	struct msg_job_rec job;
	const struct msg_job_rec *got;
	struct msg_reply r;
	const uint8_t *tail;
	size_t tlen;
	int sv[2];

	pair(sv);
	memset(&r, 0, sizeof(r));
	r.body = REPLY_JOB;
	r.created = 1;
	job_rec_fill(&job, "job_1");
	assert_int_equal(msg_send(sv[0], IMSG_API_REPLY, 5, &r, sizeof(r),
	    &job, sizeof(job), -1, -1), 0);
	assert_int_equal(recv_in_api(sv[1]), 1);
	assert_non_null(msg_get(&m, &tail, &tlen));
	assert_int_equal(tlen, sizeof(job));
	got = (const void *)tail;
	assert_string_equal(got->id, "job_1");
	assert_string_equal(got->isolation, "{\"level\":\"L4\"}");
	assert_int_equal(got->state, JOB_SUCCEEDED);
	msg_clear(&m);
	/* the record: short, long, unterminated, a state out of range */
	assert_false(reply_accepted(sv, &r, &job, sizeof(job) - 1, -1));
	assert_false(reply_accepted(sv, &r, &page, sizeof(job) + 8, -1));
	memset(job.isolation, 'x', sizeof(job.isolation));
	assert_false(reply_accepted(sv, &r, &job, sizeof(job), -1));
	job_rec_fill(&job, "job_1");
	job.state = JOB_STATE_COUNT;
	assert_false(reply_accepted(sv, &r, &job, sizeof(job), -1));

	/* a page: the count is bounded by the length, and by the limit */
	memset(&page, 0, sizeof(page));
	job_rec_fill(&page.r[0], "job_1");
	job_rec_fill(&page.r[1], "job_2");
	page.pg.n = 2;
	page.pg.more = 1;
	page.pg.next_seq = 7;
	r.body = REPLY_JOB_PAGE;
	r.created = 0;
	assert_true(reply_accepted(sv, &r, &page, sizeof(page), -1));
	assert_false(reply_accepted(sv, &r, &page, sizeof(page) -
	    sizeof(page.r[1]), -1));
	page.pg.n = 3;
	assert_false(reply_accepted(sv, &r, &page, sizeof(page), -1));
	page.pg.n = 0;
	assert_true(reply_accepted(sv, &r, &page, sizeof(page.pg), -1));
	page.pg.n = REPLY_PAGE_MAX + 1;
	assert_false(msg_reply_body_ok(REPLY_JOB_PAGE, &page,
	    sizeof(page.pg) + (REPLY_PAGE_MAX + 1) * sizeof(page.r[0])));
	page.pg.n = 2;
	page.pg.more = 2;
	assert_false(reply_accepted(sv, &r, &page, sizeof(page), -1));
	page.pg.more = 0;
	memset(page.r[1].slot, 'x', sizeof(page.r[1].slot));
	assert_false(reply_accepted(sv, &r, &page, sizeof(page), -1));

	/* events */
	memset(&events, 0, sizeof(events));
	strcpy(events.ev.id, "job_1");
	events.ev.n = 3;
	events.e[2].state = JOB_CANCELLED;
	strcpy(events.e[2].reason, "cancelled");
	r.body = REPLY_EVENTS;
	assert_true(reply_accepted(sv, &r, &events, sizeof(events), -1));
	events.ev.n = 4;
	assert_false(reply_accepted(sv, &r, &events, sizeof(events), -1));
	events.ev.n = 3;
	events.e[1].state = JOB_STATE_COUNT;
	assert_false(reply_accepted(sv, &r, &events, sizeof(events), -1));
	events.e[1].state = 0;
	memset(events.e[0].reason, 'x', sizeof(events.e[0].reason));
	assert_false(reply_accepted(sv, &r, &events, sizeof(events), -1));

	/* a module */
	memset(&mod, 0, sizeof(mod));
	strcpy(mod.digest, "sha256:ab");
	mod.kind = MODULE_NATIVE;
	r.body = REPLY_MODULE;
	assert_true(reply_accepted(sv, &r, &mod, sizeof(mod), -1));
	mod.kind = 7;
	assert_false(reply_accepted(sv, &r, &mod, sizeof(mod), -1));
	close(sv[0]);
	close(sv[1]);
}

static void
test_reply_results(void **state)
{
	struct msg_reply r;
	int sv[2], p[2];

	pair(sv);
	assert_int_equal(pipe(p), 0);
	/* a result code carries a detail and no data */
	memset(&r, 0, sizeof(r));
	r.rc = -KILN_EJOB_TERMINAL;
	strcpy(r.detail, "job job_1 already ended SUCCEEDED");
	assert_true(reply_accepted(sv, &r, NULL, 0, -1));
	assert_false(reply_accepted(sv, &r, "x", 1, -1));
	r.body = REPLY_JOB;
	assert_false(reply_accepted(sv, &r, NULL, 0, -1));
	r.body = REPLY_NONE;
	memset(r.detail, 'x', sizeof(r.detail));
	assert_false(reply_accepted(sv, &r, NULL, 0, -1));
	/* success has data of some kind; rc is never positive */
	memset(&r, 0, sizeof(r));
	assert_false(reply_accepted(sv, &r, NULL, 0, -1));
	r.rc = 1;
	r.body = REPLY_READY;
	assert_false(reply_accepted(sv, &r, NULL, 0, -1));
	r.rc = 0;
	assert_true(reply_accepted(sv, &r, NULL, 0, -1));
	assert_false(reply_accepted(sv, &r, "x", 1, -1));
	r.created = 2;
	assert_false(reply_accepted(sv, &r, NULL, 0, -1));
	r.created = 0;
	r.body = REPLY_BODY_COUNT;
	assert_false(reply_accepted(sv, &r, NULL, 0, -1));
	/* bytes: any tail, or a memfd and no tail */
	r.body = REPLY_OUTPUT;
	assert_true(reply_accepted(sv, &r, "\0\1", 2, -1));
	assert_true(reply_accepted(sv, &r, NULL, 0, p[0]));
	assert_false(reply_accepted(sv, &r, "x", 1, p[0]));
	r.body = REPLY_JOB_PAGE;
	assert_true(reply_accepted(sv, &r, NULL, 0, p[0]));
	r.body = REPLY_READY;
	assert_false(reply_accepted(sv, &r, NULL, 0, p[0]));
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

/* Each type's declared sender and receivers, and msg_recv's check. */
static void
test_directions(void **state)
{
	static const struct {
		uint32_t type;
		enum msg_peer from;
		unsigned to;
	} decl[] = {
		{ IMSG_CONF, MSG_PEER_PARENT, MSG_PEER_BIT(MSG_PEER_API) |
		    MSG_PEER_BIT(MSG_PEER_CORE) |
		    MSG_PEER_BIT(MSG_PEER_LAUNCHER) },
		{ IMSG_CORE_PEER_API, MSG_PEER_PARENT,
		    MSG_PEER_BIT(MSG_PEER_CORE) },
		{ IMSG_CORE_SHUTDOWN, MSG_PEER_PARENT,
		    MSG_PEER_BIT(MSG_PEER_CORE) },
		{ IMSG_CORE_JOB_SUBMIT, MSG_PEER_API,
		    MSG_PEER_BIT(MSG_PEER_CORE) },
		{ IMSG_CORE_READY, MSG_PEER_API, MSG_PEER_BIT(MSG_PEER_CORE) },
		{ IMSG_API_REPLY, MSG_PEER_CORE, MSG_PEER_BIT(MSG_PEER_API) },
		{ IMSG_LAUNCHER_JOB_START, MSG_PEER_CORE,
		    MSG_PEER_BIT(MSG_PEER_LAUNCHER) },
		{ IMSG_CORE_JOB_DONE, MSG_PEER_LAUNCHER,
		    MSG_PEER_BIT(MSG_PEER_CORE) },
		{ IMSG_WORKER_JOB, MSG_PEER_LAUNCHER,
		    MSG_PEER_BIT(MSG_PEER_WORKER) },
	};
	enum msg_peer from, to;
	uint32_t type;
	size_t i;
	char c = 'x';
	int sv[2], p[2], n;

	for (i = 0; i < sizeof(decl) / sizeof(decl[0]); i++)
		for (from = 0; from < MSG_PEER_COUNT; from++)
			for (to = 0; to < MSG_PEER_COUNT; to++)
				assert_int_equal(msg_type_allowed(decl[i].type,
				    from, to), from == decl[i].from &&
				    (decl[i].to & MSG_PEER_BIT(to)) != 0);
	/* every known type has one sender; nothing is sent to the parent */
	for (type = 0; type < 1000; type++) {
		n = 0;
		for (from = 0; from < MSG_PEER_COUNT; from++)
			for (to = 0; to < MSG_PEER_COUNT; to++)
				n += msg_type_allowed(type, from, to);
		assert_int_equal(n > 0,
		    strcmp(msg_type_name(type), "unknown") != 0);
		for (from = 0; from < MSG_PEER_COUNT; from++)
			assert_false(msg_type_allowed(type, from,
			    MSG_PEER_PARENT));
	}
	/* peers out of range, an unknown type */
	assert_false(msg_type_allowed(IMSG_CONF, MSG_PEER_COUNT,
	    MSG_PEER_CORE));
	assert_false(msg_type_allowed(IMSG_CONF, MSG_PEER_PARENT,
	    MSG_PEER_COUNT));
	assert_false(msg_type_allowed(9999, MSG_PEER_API, MSG_PEER_CORE));
	assert_string_equal(msg_peer_name(MSG_PEER_LAUNCHER), "launcher");
	assert_string_equal(msg_peer_name(MSG_PEER_COUNT), "unknown");
	assert_int_equal(msg_type_size(IMSG_CORE_JOB_GET),
	    sizeof(struct msg_job_ref));
	assert_int_equal(msg_type_size(IMSG_CORE_READY), 0);
	assert_int_equal(msg_type_size(9999), 0);

	/*
	 * An api request read as if from the launcher, and a reply read by
	 * the core: refused, the header kept for the log, the descriptor
	 * closed (the pipe has no reader left).
	 */
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(msg_send(sv[0], IMSG_CORE_READY, 3, NULL, 0, NULL, 0,
	    p[0], -1), 0);
	close(p[0]);
	assert_int_equal(msg_recv(sv[1], MSG_PEER_LAUNCHER, MSG_PEER_CORE, &m),
	    -KILN_EPROTO);
	assert_int_equal(m.hdr.type, IMSG_CORE_READY);
	assert_int_equal(m.hdr.id, 3);
	assert_int_equal(m.nfds, 0);
	assert_int_equal(write(p[1], &c, 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	assert_int_equal(msg_send(sv[0], IMSG_CORE_READY, 4, NULL, 0, NULL, 0,
	    -1, -1), 0);
	assert_int_equal(recv_in_core(sv[1]), 1);
	msg_clear(&m);
	assert_int_equal(msg_send(sv[0], IMSG_API_REPLY, 5, NULL, 0, NULL, 0,
	    -1, -1), 0);
	assert_int_equal(recv_in_core(sv[1]), -KILN_EPROTO);
	/* a configuration from anyone but the parent */
	assert_int_equal(msg_send(sv[0], IMSG_CONF, 6, NULL, 0, NULL, 0, -1,
	    -1), 0);
	assert_int_equal(recv_in_core(sv[1]), -KILN_EPROTO);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_too_many_fds),
		cmocka_unit_test(test_strings_split),
		cmocka_unit_test(test_config_handoff),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_reply_typed),
		cmocka_unit_test(test_reply_results),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
