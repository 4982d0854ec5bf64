#!/usr/bin/env python3
"""
Queue limits: with one GPU held by a looping job, a tenant's queue_limit
answers 429 queue_full and the node's global_queue_limit 429
global_queue_full, both with Retry-After; the refused jobs do not exist,
and room made by cancelling is usable at once.
"""
import json

import kilnlib as K
from kilnlib import eq

TENANTS = {'a': {'queue_limit': 2, 'concurrency': 1},
           'b': {'queue_limit': 10, 'concurrency': 1}}


def cancel(k, jid, tenant):
    st, h, body = k.request('POST', '/v1/jobs/%s/cancel' % jid,
                            tenant=tenant)
    eq(st, 200, 'cancel %s (%r)' % (jid, body))
    K.check_job(json.loads(body), state='CANCELLED', reason='cancelled')


def test_queue_full():
    with K.Kilnd(tenants=TENANTS, gpus=1,
                 kilnd={'global_queue_limit': 3}) as k:
        k.start()
        loop = {t: k.register('loop', tenant=t) for t in TENANTS}
        hog = k.submit_ok(loop['a'], tenant='a', timeout_ms=60000)
        k.wait_state(hog['id'], 'RUNNING', 'a')
        queued = [k.submit_ok(loop['a'], tenant='a', timeout_ms=60000)
                  for _ in range(2)]
        for j in queued:
            eq(j['state'], 'QUEUED', 'queued job state')
        resp = k.submit(loop['a'], tenant='a', timeout_ms=60000)
        K.problem(resp, 429, 'queue_full',
                  'tenant a has 2 jobs queued (limit 2)')
        eq(resp[1].get('retry-after'), '1', 'Retry-After')

        # b is under its own limit; the node holds 3 queued jobs at most
        queued_b = k.submit_ok(loop['b'], tenant='b', timeout_ms=60000)
        resp = k.submit(loop['b'], tenant='b', timeout_ms=60000)
        K.problem(resp, 429, 'global_queue_full',
                  '3 jobs queued on this node (limit 3)')
        eq(resp[1].get('retry-after'), '1', 'Retry-After')
        eq(len(k.list_all('a')) + len(k.list_all('b')), 4,
           'refused submissions left no job')
        m = K.metric_values(k.metrics())
        eq(m['kiln_queue_depth'], 3, 'kiln_queue_depth')
        eq(m['kiln_api_requests_total{route="jobs_post",code="429"}'], 2,
           '429s counted')

        # cancelling a queued job of a makes room for exactly one more
        cancel(k, queued[0]['id'], 'a')
        again = k.submit_ok(loop['a'], tenant='a', timeout_ms=60000)
        K.problem(k.submit(loop['b'], tenant='b', timeout_ms=60000), 429,
                  'global_queue_full')
        K.problem(k.submit(loop['a'], tenant='a', timeout_ms=60000), 429,
                  'queue_full')
        for jid, t in ((hog['id'], 'a'), (queued[1]['id'], 'a'),
                       (again['id'], 'a'), (queued_b['id'], 'b')):
            cancel(k, jid, t)
        eq(k.submit_ok(loop['b'], tenant='b', timeout_ms=1)['state'],
           'QUEUED', 'accepted once the queues emptied')
        k.stop()


def test_limit_lowered():
    """A limit lowered across a restart: the jobs already queued stay."""
    with K.Kilnd(tenants={'a': {'queue_limit': 3, 'concurrency': 1}},
                 gpus=1, kilnd={'shutdown_grace_ms': 100}) as k:
        k.start()
        loop = k.register('loop', tenant='a')
        hog = k.submit_ok(loop, tenant='a', timeout_ms=60000)
        k.wait_state(hog['id'], 'RUNNING', 'a')
        queued = [k.submit_ok(loop, tenant='a', timeout_ms=60000)
                  for _ in range(3)]
        K.problem(k.submit(loop, tenant='a', timeout_ms=60000), 429,
                  'queue_full', 'tenant a has 3 jobs queued (limit 3)')
        k.stop()
        with open(k.config) as f:
            text = f.read()
        with open(k.config, 'w') as f:
            f.write(text.replace('queue_limit = 3', 'queue_limit = 1'))
        k.start()
        # four live jobs, one of them running again: three wait
        K.problem(k.submit(loop, tenant='a', timeout_ms=60000), 429,
                  'queue_full', 'tenant a has 3 jobs queued (limit 1)')
        for j in [hog] + queued:
            cancel(k, j['id'], 'a')
        eq(k.submit_ok(loop, tenant='a', timeout_ms=1)['state'], 'QUEUED',
           'accepted once the queue emptied')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
