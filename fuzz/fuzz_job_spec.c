/*
 * Fuzz target for the job spec parser of POST /v1/jobs
 * (src/api/job_spec.c): any bytes as a request body, against the embedded
 * defaults.  Checks the contract: success fills a canonical spec that is
 * itself valid JSON; failure allocates nothing and says why.
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/config.h"
#include "kiln/error.h"
#include "../src/api/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config conf;
	struct msg_submit m;
	char detail[256] = "", *spec;
	uint8_t *input;
	size_t inlen;
	json_t *doc;
	int rc;

	if (conf.max_timeout_ms == 0)
		config_defaults(&conf);
	memset(&m, 0, sizeof(m));
	rc = api_job_spec_parse(data, size, &conf, &m, &spec, &input,
	    &inlen, detail, sizeof(detail));
	if (rc == 0) {
		assert(spec != NULL);
		assert(strncmp(m.module, "sha256:", 7) == 0);
		assert(m.timeout_ms >= 1 && m.timeout_ms <= conf.max_timeout_ms);
		doc = json_loads(spec, JSON_REJECT_DUPLICATES, NULL);
		assert(doc != NULL && json_object_size(doc) == 2);
		json_decref(doc);
		assert((input == NULL) == (inlen == 0) || input != NULL);
		free(spec);
		free(input);
	} else {
		assert(rc == -KILN_EJSON || rc == -KILN_EINVAL_REQUEST);
		assert(spec == NULL && input == NULL);
		assert(detail[0] != '\0');
	}
	return 0;
}
