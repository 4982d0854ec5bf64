/*
 * Fuzz target for the inter-process message decoder (src/proc/msg.c):
 * the bytes are sent as one SOCK_SEQPACKET datagram, received with
 * msg_recv() and decoded with msg_get(), exactly as a peer's would be.
 * They are received twice: once on a socket of a direction their type is
 * declared for (any, when it is declared for none), so the payload checks
 * run, and once on one it is not, which must refuse them.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kiln/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sends data as one datagram and receives it from `from` as self. */
static void
fuzz_one(const uint8_t *data, size_t size, enum msg_peer from,
    enum msg_peer self, int allowed)
{
	static struct msg m;
	const uint8_t *tail;
	const void *p;
	size_t tlen;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return;
	if (write(sv[0], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	rc = msg_recv(sv[1], from, self, &m);
	assert(rc != 1 || allowed);
	if (rc == 1) {
		assert(m.hdr.len == size - sizeof(struct msg_hdr));
		p = msg_get(&m, &tail, &tlen);
		if (p != NULL)
			assert(tail + tlen == m.data + m.hdr.len);
		(void)msg_type_name(m.hdr.type);
		msg_clear(&m);
	}
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum msg_peer from, to, good_from = MSG_PEER_PARENT;
	enum msg_peer good_to = MSG_PEER_CORE, bad_from = MSG_PEER_PARENT;
	enum msg_peer bad_to = MSG_PEER_PARENT;
	uint32_t type = 0;
	int allowed = 0;

	if (size > MSG_MAX + 16)
		return 0;
	if (size >= sizeof(type))
		memcpy(&type, data, sizeof(type));
	for (from = 0; from < MSG_PEER_COUNT; from++)
		for (to = 0; to < MSG_PEER_COUNT; to++) {
			if (msg_type_allowed(type, from, to) && !allowed) {
				good_from = from;
				good_to = to;
				allowed = 1;
			} else if (!msg_type_allowed(type, from, to)) {
				bad_from = from;
				bad_to = to;
			}
		}
	fuzz_one(data, size, good_from, good_to, allowed);
	fuzz_one(data, size, bad_from, bad_to, 0);
	return 0;
}
