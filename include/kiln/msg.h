/*
 * The typed messages Kiln's processes exchange over SOCK_SEQPACKET
 * socketpairs.  Every message is a struct msg_hdr followed by one fixed-size
 * payload struct from this file and, for the types that say so, a
 * variable-length tail; up to four descriptors ride along with SCM_RIGHTS.
 * Bulk bytes (modules, inputs, outputs) travel as memfds, never inline.
 *
 * msg_recv() and the msg_get_*() checkers in src/proc/msg.c are the only
 * place that decodes these bytes.  Every type is declared for one sender
 * and a set of receivers (the table in msg.c, docs/ARCHITECTURE.md): a type
 * from any other peer is malformed, as is one that fails a check.  A
 * malformed message came from a buggy or compromised peer: the receiver
 * applies the rule of its peer table (struct proc_peer, kiln/proc.h), it
 * never repairs the message.
 */
#ifndef KILN_MSG_H
#define KILN_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/config.h"
#include "kiln/job.h"
#include "kiln/native.h"

#define MSG_MAX		65536	/* largest message, header included */
_Static_assert(sizeof(struct config) + 16 <= 65536,
    "struct config must fit in one IMSG_CONF");
#define MSG_MAX_FDS	4

/* The processes at either end of a socket; a message type's direction. */
enum msg_peer {
	MSG_PEER_PARENT,
	MSG_PEER_API,
	MSG_PEER_CORE,
	MSG_PEER_LAUNCHER,
	MSG_PEER_WORKER,	/* a pooled worker (src/sandbox/pool.c) */
	MSG_PEER_COUNT
};
#define MSG_PEER_BIT(p)	(1u << (p))	/* a set of receivers */

enum msg_type {
	/* parent -> every child, first at its start, then after a reload */
	IMSG_CONF = 10,			/* struct config, whole */

	/* parent -> core */
	IMSG_CORE_PEER_API = 1,		/* fd: a new socket to a new api */
	IMSG_CORE_PEER_LAUNCHER,	/* fd: a new socket to a new launcher */
	IMSG_CORE_SHUTDOWN,		/* drain, then exit */

	/* api -> core; each is answered by one IMSG_API_REPLY, same id */
	IMSG_CORE_MODULE_PUT = 100,	/* msg_tenant; fd: the module bytes */
	IMSG_CORE_JOB_SUBMIT,		/* msg_submit + spec tail; fd: input */
	IMSG_CORE_JOB_GET,		/* msg_job_ref */
	IMSG_CORE_JOB_LIST,		/* msg_list */
	IMSG_CORE_JOB_CANCEL,		/* msg_job_ref */
	IMSG_CORE_JOB_OUTPUT,		/* msg_job_ref */
	IMSG_CORE_JOB_LOG,		/* msg_job_ref */
	IMSG_CORE_METRICS,		/* empty */
	IMSG_CORE_READY,		/* empty */
	IMSG_CORE_JOB_EVENTS,		/* msg_job_ref */

	/* core -> api */
	IMSG_API_REPLY = 200,		/* msg_reply + body tail, or a memfd */

	/* core -> launcher */
	IMSG_LAUNCHER_COMPILE = 300,	/* msg_compile + needed tail; fd: module */
	IMSG_LAUNCHER_JOB_START,	/* msg_start + argv/env tail; fd: input */
	IMSG_LAUNCHER_JOB_KILL,		/* msg_job_ref (tenant unused) */

	/* launcher -> core */
	IMSG_CORE_COMPILED = 400,	/* msg_compiled */
	IMSG_CORE_JOB_RUNNING,		/* msg_job_ref */
	IMSG_CORE_JOB_DONE,		/* msg_done; fds: output, log memfds */
	IMSG_CORE_LAUNCHER_HELLO,	/* msg_hello: what this node can do */

	/* launcher -> an idle worker of its pool (src/sandbox/pool.c) */
	IMSG_WORKER_JOB = 500,		/* msg_worker_job + tail; fds: result,
					   output, log and, if any, input */
};

struct msg_hdr {
	uint32_t type;		/* enum msg_type */
	uint32_t len;		/* bytes after the header */
	uint64_t id;		/* request id, echoed in the reply */
};

/* A received message: header, payload bytes, received descriptors. */
struct msg {
	struct msg_hdr hdr;
	uint8_t *data;		/* hdr.len bytes, points into buf */
	int fds[MSG_MAX_FDS];	/* -1 when absent; owned by the receiver */
	int nfds;
	_Alignas(16) uint8_t buf[MSG_MAX];
};

/*
 * conf_gen in the requests that the tenant's configuration judges: the
 * generation the api authenticated the request under; the core judges it
 * under the same one.
 */
struct msg_tenant {
	char tenant[JOB_TENANT_LEN];
	uint64_t conf_gen;
};

struct msg_job_ref {
	char tenant[JOB_TENANT_LEN];
	char id[JOB_ID_LEN];
};

struct msg_submit {
	char tenant[JOB_TENANT_LEN];
	char idem_key[JOB_IDEM_LEN];
	char module[JOB_DIGEST_LEN];
	char profile[JOB_PROFILE_LEN];
	uint32_t timeout_ms;
	uint32_t has_input;	/* 1: the fd carries the input bytes */
	uint64_t conf_gen;	/* as in struct msg_tenant */
	/* tail: canonical spec JSON ({"args":[..],"env":{..}}), no NUL */
};

struct msg_list {
	char tenant[JOB_TENANT_LEN];
	int32_t state;		/* -1: every state */
	uint32_t limit;		/* 1..500 */
	int64_t after_seq;	/* from the page token, 0: from the start */
};

/*
 * The core's answer to one api request: a result code and, on success,
 * typed data.  The core knows nothing of HTTP: the api alone maps rc to a
 * status and a problem type (one table, src/api/problem.c) and renders the
 * data as JSON (src/api/api_render.c).
 */
enum reply_body {
	REPLY_NONE,		/* no data (rc < 0: detail says why) */
	REPLY_READY,		/* no data: the core can run jobs */
	REPLY_JOB,		/* struct msg_job_rec */
	REPLY_JOB_PAGE,		/* struct msg_job_page, then its records */
	REPLY_EVENTS,		/* struct msg_job_events, then its events */
	REPLY_MODULE,		/* struct msg_module_rec */
	REPLY_OUTPUT,		/* a job's output bytes */
	REPLY_LOG,		/* a job's log text */
	REPLY_METRICS,		/* Prometheus text exposition */
	REPLY_BODY_COUNT
};

#define REPLY_DETAIL_LEN	512
#define REPLY_PAGE_MAX		500	/* jobs in one page: msg_list's limit */
#define REPLY_EVENTS_MAX	4096	/* events of one job in one reply */

/*
 * Payload of IMSG_API_REPLY.  Its body's bytes follow as the tail or, when
 * they do not fit in one message (and always for a stored blob), in the
 * memfd fds[0] with no tail; the receiver checks them either way with
 * msg_reply_body_ok().
 */
struct msg_reply {
	int32_t rc;		/* 0, or -KILN_E* (-errno: an internal error) */
	uint32_t body;		/* enum reply_body; REPLY_NONE when rc < 0 */
	uint32_t created;	/* rc 0: 1 when the request made a new job or
				   registered a new module, 0 when it found
				   the one an earlier request made */
	uint32_t pad;
	char detail[REPLY_DETAIL_LEN];	/* rc < 0: one human line, or "" */
};

/* A job as the API shows it: its journaled fields, struct job's meaning. */
struct msg_job_rec {
	int64_t exit_code;	/* -1: none */
	uint64_t output_bytes;
	uint64_t log_bytes;
	int64_t created_ns;	/* CLOCK_REALTIME, 0: not yet */
	int64_t started_ns;
	int64_t finished_ns;
	uint32_t state;		/* enum job_state */
	uint32_t timeout_ms;
	uint32_t attempts;
	uint32_t pad;
	char id[JOB_ID_LEN];
	char tenant[JOB_TENANT_LEN];
	char module[JOB_DIGEST_LEN];
	char profile[JOB_PROFILE_LEN];
	char reason[JOB_REASON_LEN];
	char slot[JOB_SLOT_LEN];
	char isolation[JOB_ISOLATION_LEN];	/* canonical compact JSON
						   object, "": none */
};

/* One page of a job list: n records follow, oldest first. */
struct msg_job_page {
	int64_t next_seq;	/* more: the next page's after_seq */
	uint32_t more;		/* 1: another page follows */
	uint32_t n;		/* records, at most REPLY_PAGE_MAX */
};

/* A job's lifecycle: n events follow, oldest first. */
struct msg_job_events {
	char id[JOB_ID_LEN];
	uint32_t n;		/* at most REPLY_EVENTS_MAX */
	uint32_t pad;
};

struct msg_job_event {
	int64_t at_ns;		/* CLOCK_REALTIME */
	uint32_t state;		/* enum job_state: the state entered */
	char reason[JOB_REASON_LEN];	/* "" when none */
};

/* A module registered for the tenant that pushed it. */
struct msg_module_rec {
	char digest[JOB_DIGEST_LEN];
	uint64_t size;
	uint32_t kind;		/* enum module_kind */
	uint32_t pad;
};

/*
 * Prepare a module for running: compile a wasm module into the cache, or
 * resolve a native executable's libraries and install both.  For a native
 * module the core, which admitted the bytes, tells what they need: the
 * interpreter and nneeded NUL-terminated sonames in the tail.
 */
struct msg_compile {
	char digest[JOB_DIGEST_LEN];
	char cache_key[65];
	uint32_t kind;		/* enum module_kind */
	char interp[NATIVE_PATH_MAX];	/* native: PT_INTERP, "" when static */
	uint32_t nneeded;	/* native: DT_NEEDED names in the tail */
};

struct msg_compiled {
	char digest[JOB_DIGEST_LEN];
	int32_t rc;		/* 0, -KILN_EINVAL_MODULE, -KILN_ECOMPILE... */
	char why[256];
};

struct msg_start {
	char id[JOB_ID_LEN];
	char cache_key[65];
	uint32_t kind;		/* enum module_kind */
	uint32_t tenant_slot;	/* 0..CONFIG_MAX_TENANTS: its host uid */
	uint32_t timeout_ms;
	uint32_t cpu_ms;	/* CPU time per process, 0: the deadline's */
	uint32_t max_pages;
	uint64_t output_max;
	uint64_t log_max;
	uint8_t seed[32];
	uint32_t has_input;
	uint32_t min_isolation;	/* 0..4: the worker refuses to run below */
	uint32_t argc;		/* tail: argc then envc NUL-terminated strings */
	uint32_t envc;
};

enum done_kind {
	DONE_EXITED,		/* the guest ran: exit_code and reason tell */
	DONE_TIMED_OUT,		/* killed at its deadline */
	DONE_KILLED,		/* killed on request (cancel) */
	DONE_SIGNALED,		/* died of a signal nobody sent on purpose */
	DONE_START_FAILED,	/* no worker could be started: infrastructure */
};

/* Sent once by a launcher when it starts, after probing the sandbox. */
struct msg_hello {
	uint32_t level;		/* 0..4: the isolation level workers get */
	char report[JOB_ISOLATION_LEN];	/* the probe's isolation report */
};

/*
 * A pooled worker's one job.  Tail: argc then envc NUL-terminated strings,
 * then, for a native job, nbinds pairs of them (a bind's host path, then
 * its path in the job's root).
 */
struct msg_worker_job {
	char so_path[96];	/* the module or executable, "": none */
	uint64_t output_max;
	uint64_t log_max;
	uint32_t max_pages;
	uint32_t cpu_limit_s;
	uint32_t argc;
	uint32_t envc;
	int32_t cgroup_state;	/* as struct worker_spec's */
	uint32_t min_isolation;
	uint32_t has_input;
	uint32_t native;	/* 1: a native job, with nbinds binds */
	uint32_t nbinds;
	uint8_t seed[32];
};

struct msg_done {
	char id[JOB_ID_LEN];
	uint32_t kind;		/* enum done_kind */
	int64_t exit_code;	/* the guest's u32 exit code, -1: none */
	int32_t signal;
	char reason[JOB_REASON_LEN];
	int64_t run_ns;		/* wall time the worker lived */
	char isolation[JOB_ISOLATION_LEN];	/* the worker's report, or "" */
};

/*
 * Sends one message with up to two descriptors (-1 for none); the caller
 * keeps its descriptors.  Retries EINTR and waits on EAGAIN.  Returns 0,
 * -EMSGSIZE when header + payload + tail exceed MSG_MAX, or -errno.
 */
int msg_send(int sock, uint32_t type, uint64_t id, const void *payload,
    size_t plen, const void *tail, size_t tlen, int fd0, int fd1);
/* msg_send with fds[0..nfds) (at most MSG_MAX_FDS) for descriptors. */
int msg_sendv(int sock, uint32_t type, uint64_t id, const void *payload,
    size_t plen, const void *tail, size_t tlen, const int *fds, int nfds);

/*
 * Receives one message into m on a socket between from (who sends on it)
 * and self (who receives).  Returns 1 when a message arrived, 0 when none
 * is ready on a non-blocking socket, -EPIPE when the peer closed, or
 * -KILN_EPROTO when the bytes are malformed (short, truncated, length
 * mismatch, too many descriptors) or the type is unknown or not declared
 * from `from` to `self` (msg_type_allowed); its descriptors are closed
 * then, and m->hdr holds the header when one arrived, for the log.
 * Release descriptors with msg_clear().
 */
int msg_recv(int sock, enum msg_peer from, enum msg_peer self,
    struct msg *m);
void msg_clear(struct msg *m);

/*
 * Decodes m's payload: checks that it is at least as long as the payload
 * struct of its type, that only types with a tail have more bytes, and that
 * every string field is NUL-terminated within its array.  Returns the
 * payload (pointing into m) or NULL when malformed; *tail and *tlen (may be
 * NULL) receive the tail.  Types with no payload return m->buf.
 */
const void *msg_get(const struct msg *m, const uint8_t **tail, size_t *tlen);

/*
 * Splits n NUL-terminated strings off buf[*off..len) into vec[0..n) and
 * sets vec[n] = NULL; *off moves past them.  The strings stay in buf.
 * 0, or -KILN_EPROTO when buf ends before n whole strings.
 */
int msg_strings_split(const void *buf, size_t len, size_t *off, char **vec,
    size_t n);

/*
 * Checks the body of a reply (the tail of an IMSG_API_REPLY, or the bytes
 * of its memfd): its length is the layout of body exactly, counts are
 * bounded by it, every string is NUL-terminated within its array and every
 * state is in range.  1 when well-formed, 0 otherwise.
 */
int msg_reply_body_ok(uint32_t body, const void *p, size_t len);

/* Name of a message type for logs ("IMSG_CORE_JOB_GET"), or "unknown". */
const char *msg_type_name(uint32_t type);

/*
 * Whether type is a known type declared from `from` to `to`: 1, else 0
 * (unknown types, peers out of range).
 */
int msg_type_allowed(uint32_t type, enum msg_peer from, enum msg_peer to);

/*
 * Size of type's payload struct: the fewest bytes msg_get() takes, and the
 * most for a type without a tail.  0 for a type without one, and for an
 * unknown type.
 */
size_t msg_type_size(uint32_t type);

/* Name of a peer for logs ("api"), or "unknown". */
const char *msg_peer_name(enum msg_peer p);

#endif
