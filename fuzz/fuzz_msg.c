/*
 * Fuzz target for the inter-process message decoder (src/proc/msg.c):
 * the bytes are sent as one SOCK_SEQPACKET datagram, received with
 * msg_recv() and decoded with msg_get(), exactly as a peer's would be.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kiln/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg m;
	const uint8_t *tail;
	const void *p;
	size_t tlen;
	int sv[2], rc;

	if (size > MSG_MAX + 16)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 0;
	if (write(sv[0], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	rc = msg_recv(sv[1], &m);
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
	return 0;
}
