#!/usr/bin/env python3
"""
10 tenants x 50 jobs submitted all at once from a thread pool onto 4 GPUs:
every job is accepted, every one SUCCEEDS, and each output is the SHA-256
of that job's own input.
"""
import concurrent.futures as cf
import hashlib
import json

import kilnlib as K
from kilnlib import eq

TENANTS = 10
PER_TENANT = 50


def test_500_jobs():
    with K.Kilnd(tenants=TENANTS, gpus=4) as k:
        k.start()
        tenants = sorted(k.tokens)
        digest = K.digest_of(K.wasm_bytes('sha256'))
        for t in tenants:	# each tenant registers the module itself
            eq(k.register('sha256', tenant=t), digest, 'digest for ' + t)
        inputs = {(t, i): ('%s job %d ' % (t, i)).encode() * (i + 1)
                  for t in tenants for i in range(PER_TENANT)}

        def submit(key):
            st, h, body = k.submit(digest, tenant=key[0], input=inputs[key])
            return key, st, body

        ids = {}
        with cf.ThreadPoolExecutor(max_workers=32) as pool:
            for key, st, body in pool.map(submit, list(inputs)):
                eq(st, 202, 'submit %r (%r)' % (key, body[:200]))
                job = json.loads(body)
                eq(job['tenant'], key[0], 'tenant of the job')
                ids[key] = job['id']
        eq(len(set(ids.values())), TENANTS * PER_TENANT, 'distinct ids')

        def all_done(t):
            jobs = k.list_all(tenant=t)
            if all(j['state'] in K.TERMINAL for j in jobs):
                return jobs
            return None
        for t in tenants:
            jobs = K.wait_for(lambda: all_done(t), 120,
                              'every job of %s to end' % t)
            eq(sorted(j['id'] for j in jobs),
               sorted(ids[(t, i)] for i in range(PER_TENANT)),
               'the jobs %s lists' % t)
            for j in jobs:
                K.check_job(j, state='SUCCEEDED', exit_code=0, reason='',
                            attempts=0, output_bytes=65, tenant=t)

        def check(key):
            want = (hashlib.sha256(inputs[key]).hexdigest() + '\n').encode()
            return key, k.output(ids[key], tenant=key[0]) == want
        with cf.ThreadPoolExecutor(max_workers=16) as pool:
            bad = [key for key, ok in pool.map(check, list(inputs)) if not ok]
        eq(bad, [], 'jobs whose output is not the digest of their input')
        m = K.metric_values(k.metrics())
        eq(m['kiln_jobs{state="SUCCEEDED"}'], TENANTS * PER_TENANT,
           'SUCCEEDED in /metrics')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
