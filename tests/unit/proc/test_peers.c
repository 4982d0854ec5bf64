/*
 * Unit tests of the processes' peer tables (struct proc_peer, one per
 * process): each has the peers and the malformed rule DESIGN §2 asks for,
 * and every dispatcher is driven, through proc_peer_read() on a socket of
 * the test's, with every message type not declared from that peer to that
 * process (refused by the direction check: the dispatcher never sees it)
 * and every type that is, one byte short (or one too many for an empty
 * payload): refused by the dispatcher before it touches the process's
 * state, which stays zeroed here (no *_main ran).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/error.h"
#include "kiln/msg.h"
#include "kiln/proc.h"

#define TYPE_MAX	600	/* above every declared type */

static struct msg m;

/* The dispatcher under test, and how often proc_peer_read reached it. */
static int (*real_dispatch)(struct msg *);
static int reached;

static int
spy_dispatch(struct msg *msg)
{
	reached++;
	return real_dispatch != NULL ? real_dispatch(msg) : -KILN_EPROTO;
}

/* Which process owns a table, and the rule each of its peers must have. */
struct want {
	const char *name;
	enum msg_peer self;
	const struct proc_peer *(*table)(size_t *);
	size_t n;
	struct {
		enum msg_peer peer;
		enum proc_peer_rule rule;
		int accepts;	/* 0: no dispatcher, it may send nothing */
	} peers[3];
};

static const struct want wants[] = {
	{ "parent", MSG_PEER_PARENT, parent_proc_peers, 3, {
		{ MSG_PEER_LAUNCHER, PEER_DROP, 0 },
		{ MSG_PEER_CORE, PEER_DROP, 0 },
		{ MSG_PEER_API, PEER_DROP, 0 } } },
	{ "api", MSG_PEER_API, api_proc_peers, 2, {
		{ MSG_PEER_PARENT, PEER_FATAL, 1 },
		{ MSG_PEER_CORE, PEER_FATAL, 1 } } },
	{ "core", MSG_PEER_CORE, core_proc_peers, 3, {
		{ MSG_PEER_PARENT, PEER_FATAL, 1 },
		{ MSG_PEER_LAUNCHER, PEER_FATAL, 1 },
		{ MSG_PEER_API, PEER_DROP, 1 } } },
	{ "launcher", MSG_PEER_LAUNCHER, launcher_proc_peers, 2, {
		{ MSG_PEER_PARENT, PEER_FATAL, 1 },
		{ MSG_PEER_CORE, PEER_FATAL, 1 } } },
};

/*
 * Sends type with len zero bytes of payload on sv[0] and reads it through
 * a copy of row p reading sv[1], its dispatcher spied on.  Returns what
 * proc_peer_read returned; *hit how often the dispatcher was reached.
 */
static int
read_one(enum msg_peer self, const struct proc_peer *p, int sv[2],
    uint32_t type, size_t len, int *hit)
{
	static uint8_t zero[MSG_MAX];
	struct proc_peer t = *p;
	int rc;

	t.fd = &sv[1];
	real_dispatch = p->dispatch;
	t.dispatch = spy_dispatch;
	reached = 0;
	assert_int_equal(msg_send(sv[0], type, 1, zero, len, NULL, 0, -1, -1),
	    0);
	rc = proc_peer_read(self, &t, &m);
	*hit = reached;
	/* nothing is left behind: the next read finds none */
	assert_int_equal(msg_recv(sv[1], p->peer, self, &m), 0);
	return rc;
}

static void
test_tables(void **state)
{
	const struct proc_peer *t;
	size_t i, j, n;

	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		t = wants[i].table(&n);
		assert_non_null(t);
		assert_int_equal(n, wants[i].n);
		for (j = 0; j < n; j++) {
			assert_int_equal(t[j].peer, wants[i].peers[j].peer);
			assert_int_equal(t[j].malformed,
			    wants[i].peers[j].rule);
			assert_int_equal(t[j].dispatch != NULL,
			    wants[i].peers[j].accepts);
			assert_non_null(t[j].fd);
			/* a peer whose loss is survivable is dropped */
			if (t[j].malformed == PEER_DROP)
				assert_non_null(t[j].lost);
		}
	}
}

/* (a): every type not declared from the peer: refused before dispatch. */
static void
test_wrong_peer(void **state)
{
	const struct proc_peer *t;
	size_t i, j, n, sent = 0;
	uint32_t type;
	int sv[2], hit;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		t = wants[i].table(&n);
		for (j = 0; j < n; j++)
			for (type = 0; type < TYPE_MAX; type++) {
				if (msg_type_allowed(type, t[j].peer,
				    wants[i].self))
					continue;
				assert_int_equal(read_one(wants[i].self, &t[j],
				    sv, type, msg_type_size(type), &hit),
				    -KILN_EPROTO);
				if (hit != 0)
					fail_msg("%s: %s from the %s reached "
					    "the dispatcher", wants[i].name,
					    msg_type_name(type),
					    msg_peer_name(t[j].peer));
				sent++;
			}
	}
	/* ten peers in all, each refused nearly every type */
	assert_true(sent > 9 * TYPE_MAX);
	close(sv[0]);
	close(sv[1]);
}

/* (b): every declared type, one byte off: the dispatcher refuses it. */
static void
test_truncated(void **state)
{
	const struct proc_peer *t;
	size_t i, j, n, size, declared;
	uint32_t type;
	int sv[2], hit;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		t = wants[i].table(&n);
		for (j = 0; j < n; j++) {
			declared = 0;
			for (type = 0; type < TYPE_MAX; type++) {
				if (!msg_type_allowed(type, t[j].peer,
				    wants[i].self))
					continue;
				size = msg_type_size(type);
				assert_int_equal(read_one(wants[i].self, &t[j],
				    sv, type, size > 0 ? size - 1 : 1, &hit),
				    -KILN_EPROTO);
				if (hit != 1)
					fail_msg("%s: a malformed %s from the "
					    "%s missed the dispatcher",
					    wants[i].name, msg_type_name(type),
					    msg_peer_name(t[j].peer));
				declared++;
			}
			/* a peer with a dispatcher has something to say */
			assert_int_equal(declared > 0, t[j].dispatch != NULL);
		}
	}
	close(sv[0]);
	close(sv[1]);
}

static int lost_rc;

static void
lost_note(const struct proc_peer *p, int rc)
{
	lost_rc = rc;
}

static int
ok_dispatch(struct msg *msg)
{
	reached++;
	return 0;
}

/* Reading: a batch bound, a closed peer, and the rule applied. */
static void
test_read_apply(void **state)
{
	int sv[2], fd;
	struct proc_peer p = { MSG_PEER_API, &fd, ok_dispatch, PEER_DROP,
	    lost_note, 2 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fd = sv[1];
	reached = 0;
	/* three well-formed messages, two per read */
	assert_int_equal(msg_send(sv[0], IMSG_CORE_READY, 1, NULL, 0, NULL, 0,
	    -1, -1), 0);
	assert_int_equal(msg_send(sv[0], IMSG_CORE_METRICS, 2, NULL, 0, NULL,
	    0, -1, -1), 0);
	assert_int_equal(msg_send(sv[0], IMSG_CORE_READY, 3, NULL, 0, NULL, 0,
	    -1, -1), 0);
	assert_int_equal(proc_peer_read(MSG_PEER_CORE, &p, &m), 2);
	assert_int_equal(reached, 2);
	assert_int_equal(proc_peer_read(MSG_PEER_CORE, &p, &m), 1);
	assert_int_equal(reached, 3);
	assert_int_equal(proc_peer_read(MSG_PEER_CORE, &p, &m), 0);
	/* a type the api may not send, then the rule: dropped */
	assert_int_equal(msg_send(sv[0], IMSG_CORE_SHUTDOWN, 4, NULL, 0, NULL,
	    0, -1, -1), 0);
	lost_rc = 0;
	proc_peer_serve(MSG_PEER_CORE, &p, &m);
	assert_int_equal(lost_rc, -KILN_EPROTO);
	assert_int_equal(reached, 3);
	/* nothing ready: nothing lost; then the peer leaves */
	lost_rc = 0;
	proc_peer_serve(MSG_PEER_CORE, &p, &m);
	assert_int_equal(lost_rc, 0);
	close(sv[0]);
	assert_int_equal(proc_peer_read(MSG_PEER_CORE, &p, &m), -EPIPE);
	proc_peer_apply(&p, -EPIPE);
	assert_int_equal(lost_rc, -EPIPE);
	/* no socket: nothing to read */
	close(sv[1]);
	fd = -1;
	assert_int_equal(proc_peer_read(MSG_PEER_CORE, &p, &m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_wrong_peer),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_read_apply),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
