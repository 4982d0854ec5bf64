/*
 * Fuzz target for the configuration loader (src/kilnd/config.c): the
 * bytes are an INI file handed to config_load() through a memfd.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kiln/config.h"
#include "kiln/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	char path[64], why[512];
	int fd, rc;

	if ((fd = memfd_from_bytes("fuzz.conf", data, size)) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_defaults(&c);
	rc = config_load(&c, path, why, sizeof(why));
	if (rc == 0) {
		assert(c.ntenants >= 1 && c.ntenants <= CONFIG_MAX_TENANTS);
		assert(c.ngpus >= 1 && c.ngpus <= CONFIG_MAX_GPUS);
		assert(c.default_timeout_ms <= c.max_timeout_ms);
	} else {
		assert(why[0] != '\0');
	}
	close(fd);
	return 0;
}
