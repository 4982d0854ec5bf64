#!/usr/bin/env python3
"""
Tenant isolation and authentication: another tenant's job answers 404 on
every route as if it did not exist, modules are registered per tenant, and
a missing or wrong token is 401 with WWW-Authenticate.
"""
import json

import kilnlib as K
from kilnlib import eq

MISSING = 'job_000000000000000000000000'


def test_cross_tenant():
    with K.Kilnd(tenants={'alice': {}, 'bob': {}}, gpus=2) as k:
        k.start()
        hello = k.register('hello', tenant='alice')
        done = k.wait_terminal(k.submit_ok(hello, tenant='alice',
                                           args=['x'])['id'], 'alice')
        eq(done['state'], 'SUCCEEDED', 'alice job')
        loop = k.register('loop', tenant='alice')
        live = k.submit_ok(loop, tenant='alice', timeout_ms=60000)
        for jid in (done['id'], live['id']):
            for method, suffix in (('GET', ''), ('POST', '/cancel'),
                                   ('GET', '/output'), ('GET', '/log')):
                path = '/v1/jobs/' + jid + suffix
                K.problem(k.request(method, path, tenant='bob'), 404,
                          'not_found', 'no job ' + jid)
                # the answer is the same as for a job that does not exist
                K.problem(k.request(method, '/v1/jobs/' + MISSING + suffix,
                                    tenant='bob'), 404, 'not_found',
                          'no job ' + MISSING)
        eq(k.list_all(tenant='bob'), [], "bob's list")
        eq([j['id'] for j in k.list_all(tenant='alice')],
           [done['id'], live['id']], "alice's list")
        # bob's failed cancel did not touch alice's running job
        assert k.job(live['id'], 'alice')['state'] in (
            'QUEUED', 'SCHEDULED', 'RUNNING'), 'alice job still live'
        eq(k.output(done['id'], 'alice'), b'hello from kiln\narg 1: x\n',
           'alice output')
        # modules are per tenant: bob must push hello himself
        K.problem(k.submit(hello, tenant='bob'), 422, 'unknown_module',
                  'module %s is not registered for tenant bob' % hello)
        st, h, b = k.push('hello', tenant='bob')
        eq(st, 201, 'bob registers hello (new for bob)')
        eq(k.wait_terminal(k.submit_ok(hello, tenant='bob')['id'],
                           'bob')['state'], 'SUCCEEDED', 'bob job')
        eq(k.request('POST', '/v1/jobs/%s/cancel' % live['id'],
                     tenant='alice')[0], 200, 'alice cancels her job')
        k.stop()


def test_unauthorized():
    with K.Kilnd(tenants={'alice': {}}, gpus=1) as k:
        k.start()
        hello = k.register('hello')
        jid = k.submit_ok(hello)['id']
        bad_tokens = [None, '', 'x' * 64, k.token('alice') + 'x',
                      k.token('alice')[:-1]]
        routes = [('GET', '/v1/jobs'), ('POST', '/v1/jobs'),
                  ('GET', '/v1/jobs/' + jid), ('POST', '/v1/modules'),
                  ('POST', '/v1/jobs/%s/cancel' % jid),
                  ('GET', '/v1/jobs/%s/output' % jid),
                  ('GET', '/v1/jobs/%s/log' % jid)]
        for tok in bad_tokens:
            for method, path in routes:
                resp = k.request(method, path, token=tok, body=b'{}'
                                 if method == 'POST' else None)
                K.problem(resp, 401, 'unauthorized',
                          'a valid bearer token is required')
                eq(resp[1].get('www-authenticate'), 'Bearer realm="kiln"',
                   'WWW-Authenticate')
        for auth in ('Basic ' + k.token('alice'), k.token('alice'),
                     'bearer ' + k.token('alice'), 'Bearer  ' +
                     k.token('alice')):
            resp = k.request('GET', '/v1/jobs', token=None,
                             headers={'Authorization': auth})
            K.problem(resp, 401, 'unauthorized')
        # the service endpoints need no token
        for path, body in (('/healthz', b'ok\n'), ('/readyz', b'ready\n')):
            st, h, b = k.request('GET', path, token=None)
            eq((st, b), (200, body), path)
        eq(k.request('GET', '/metrics', token=None)[0], 200, '/metrics')
        # nothing the rejected requests asked for happened
        eq(len(k.list_all()), 1, 'jobs after the 401s')
        eq(k.wait_terminal(jid)['state'], 'SUCCEEDED', 'the job')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
