#!/usr/bin/env python3
"""
Idempotency-Key: the same key with the same body returns the original job
(200, same id and Location) however often, after the job ended and after a
restart; the same key with a different body is 409 idempotency_conflict;
keys are per tenant.
"""
import json

import kilnlib as K
from kilnlib import eq


def post(k, raw, key, tenant='a'):
    return k.submit(None, raw=raw.encode(), tenant=tenant,
                    headers={'Idempotency-Key': key})


def test_idempotency():
    with K.Kilnd(tenants={'a': {}, 'b': {}}, gpus=2) as k:
        k.start()
        hello = k.register('hello', 'a')
        k.register('hello', 'b')
        body = '{"module":"%s","args":["one"],"env":{"K":"V"}}' % hello
        st, h, b = post(k, body, 'key-1')
        eq(st, 202, 'first submit')
        job = json.loads(b)
        loc = '/v1/jobs/' + job['id']
        eq(h.get('location'), loc, 'Location')

        def same(raw, key='key-1', tenant='a'):
            st, h, b = post(k, raw, key, tenant)
            eq(st, 200, 'repeat with %r (%r)' % (raw, b[:200]))
            eq(h.get('location'), loc, 'Location of the repeat')
            K.check_job(json.loads(b), id=job['id'], tenant='a')
        same(body)
        # the same spec written differently is the same body
        same('{"env":{"K":"V"},"args":["one"],"module":"%s"}' % hello)
        done = k.wait_terminal(job['id'], 'a')
        eq(done['state'], 'SUCCEEDED', 'the job')
        same(body)

        for other in ('{"module":"%s","args":["two"],"env":{"K":"V"}}',
                      '{"module":"%s","args":["one"]}',
                      '{"module":"%s","args":["one"],"env":{"K":"V"},'
                      '"timeout_ms":5}',
                      '{"module":"%s","args":["one"],"env":{"K":"V"},'
                      '"input":"AA=="}'):
            K.problem(post(k, other % hello, 'key-1'), 409,
                      'idempotency_conflict', 'Idempotency-Key key-1 was '
                      'used for a different job (%s)' % job['id'])
        # a key is the tenant's own: b gets a new job with the same key
        st, h, b = post(k, body, 'key-1', tenant='b')
        eq(st, 202, 'same key, other tenant')
        assert json.loads(b)['id'] != job['id'], 'b got a different job'
        # the longest key allowed, printable ASCII with spaces
        for key in ('k' * 128, 'a b ~!'):
            st, h, b = post(k, body, key)
            eq(st, 202, 'key %r (%r)' % (key, b[:200]))
            eq(post(k, body, key)[0], 200, 'repeat key %r' % key)
        K.problem(post(k, body, 'k' * 129), 422, 'invalid_request',
                  'Idempotency-Key must be 1-128 printable ASCII '
                  'characters')
        eq(len(k.list_all('a')), 3, "a's jobs")

        # idempotency survives a restart: it lives in the journal
        k.stop()
        k.start()
        same(body)
        K.problem(post(k, '{"module":"%s"}' % hello, 'key-1'), 409,
                  'idempotency_conflict')
        eq(len(k.list_all('a')), 3, "a's jobs after the restart")
        k.stop()


if __name__ == '__main__':
    K.main(globals())
