/*
 * Journal throughput: jobs inserted per second with one job per
 * transaction (the baseline: an fsync per acknowledgement) and with the
 * core's group commit (up to 256 per transaction), in the same run on the
 * same disk.  usage: bench_store_commit [JOBS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/job.h"
#include "kiln/store.h"
#include "kiln/util.h"

static double
insert_jobs(const char *dir, int n, int batch)
{
	struct store *st;
	struct job j;
	int64_t t0;
	int i;

	if (store_open(dir, &st) < 0)
		log_fatalx("store_open %s", dir);
	t0 = now_mono_ns();
	for (i = 0; i < n; i++) {
		if (i % batch == 0 && store_begin(st) < 0)
			log_fatalx("begin");
		memset(&j, 0, sizeof(j));
		snprintf(j.id, sizeof(j.id), "job_%d_%d", batch, i);
		snprintf(j.tenant, sizeof(j.tenant), "bench");
		snprintf(j.module, sizeof(j.module), "sha256:%064d", 0);
		snprintf(j.profile, sizeof(j.profile), "gpu");
		j.spec_json = "{\"args\":[],\"env\":{}}";
		j.exit_code = -1;
		j.state = JOB_PENDING;
		j.created_ns = now_real_ns();
		if (store_job_insert(st, &j) < 0)
			log_fatalx("insert");
		if ((i % batch == batch - 1 || i == n - 1) &&
		    store_commit(st) < 0)
			log_fatalx("commit");
	}
	t0 = now_mono_ns() - t0;
	store_close(st);
	return n / (t0 / 1e9);
}

int
main(int argc, char *argv[])
{
	char dir[] = "/var/tmp/kiln-bench-store-XXXXXX", sub[64], cmd[96];
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	double one, group;

	if (mkdtemp(dir) == NULL)
		log_fatal("mkdtemp");
	snprintf(sub, sizeof(sub), "%s/one", dir);
	one = insert_jobs(sub, n / 4, 1);
	snprintf(sub, sizeof(sub), "%s/group", dir);
	group = insert_jobs(sub, n, 256);
	printf("journal inserts (WAL, synchronous=FULL), %d jobs\n", n);
	printf("  one job per commit (baseline): %.0f jobs/s\n", one);
	printf("  group commit, 256 per commit:  %.0f jobs/s\n", group);
	printf("  ratio group/one: %.1fx\n", group / one);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
