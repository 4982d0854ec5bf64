#!/usr/bin/env python3
"""
Requests that must be refused, each with its exact status, problem type
and detail: malformed JSON, schema errors, oversized bodies (with
Content-Length and chunked), modules that admission refuses, unknown
routes and wrong methods.  Nothing refused leaves a job behind.
"""
import json
import os

import kilnlib as K
from kilnlib import eq

CONF = {'max_request_bytes': 1024, 'max_module_bytes': 2048}


def test_job_requests():
    with K.Kilnd(tenants={'t0': {}}, gpus=1, kilnd=CONF) as k:
        k.start()
        tiny = k.register('tiny')
        mod = '"module":"%s"' % tiny
        malformed = [
            (b'{"module":',
             'line 1, column 10: unexpected token near end of file'),
            (b'', "line 1, column 0: '[' or '{' expected near end of file"),
            (b'nul', "line 1, column 3: '[' or '{' expected near 'nul'"),
            (b'{"a":1,"a":2}',
             'line 1, column 10: duplicate object key near \'"a"\''),
            (b'{"module":"x"}x',
             "line 1, column 15: end of file expected near 'x'"),
        ]
        for raw, detail in malformed:
            K.problem(k.submit(None, raw=raw), 400, 'malformed_json', detail)
        invalid = [
            ('[]', 'the job spec must be a JSON object'),
            ('{%s,"bogus":1}' % mod, "unknown field 'bogus'"),
            ('{}', '\'module\' must be "sha256:<64 lower-case hex>"'),
            ('{"module":"%s"}' % tiny.upper(),
             '\'module\' must be "sha256:<64 lower-case hex>"'),
            ('{%s,"timeout_ms":0}' % mod,
             "'timeout_ms' must be an integer in 1..3600000"),
            ('{%s,"timeout_ms":3600001}' % mod,
             "'timeout_ms' must be an integer in 1..3600000"),
            ('{%s,"timeout_ms":"5"}' % mod,
             "'timeout_ms' must be an integer in 1..3600000"),
            ('{%s,"cpu_ms":0}' % mod,
             "'cpu_ms' must be an integer in 1..3600000"),
            ('{%s,"cpu_ms":1.5}' % mod,
             "'cpu_ms' must be an integer in 1..3600000"),
            ('{%s,"profile":"cpu"}' % mod,
             '\'profile\' must be "gpu" (the whole-GPU slot)'),
            ('{%s,"input":"!!!"}' % mod, "'input' is not valid base64"),
            ('{%s,"input":7}' % mod, "'input' must be a base64 string"),
            ('{%s,"args":"a"}' % mod,
             "'args' must be an array of at most 256 strings"),
            ('{%s,"args":[1]}' % mod,
             "'args' must hold strings of at most 4096 bytes"),
            ('{%s,"env":{"A=B":"c"}}' % mod,
             "'env' must map names (no '=') to strings"),
        ]
        for raw, detail in invalid:
            K.problem(k.submit(None, raw=raw.encode()), 422,
                      'invalid_request', detail)
        # too big for max_request_bytes, announced or streamed
        big = ('{%s,"input":"%s"}' % (mod, 'A' * 2000)).encode()
        K.problem(k.submit(None, raw=big), 413, 'body_too_large',
                  'the body exceeds 1024 bytes')
        K.problem(k.request('POST', '/v1/jobs', body=big, chunked=True,
                            headers={'Content-Type': 'application/json'}),
                  413, 'body_too_large', 'the body exceeds 1024 bytes')
        # the same body just under the limit is fine
        ok = ('{%s,"input":"%s"}' % (mod, 'A' * 900)).encode()
        assert len(ok) <= 1024, 'the test body must fit the limit'
        eq(k.submit(None, raw=ok)[0], 202, 'body under the limit')
        eq(k.request('POST', '/v1/jobs', body=ok, chunked=True,
                     headers={'Content-Type': 'application/json'})[0], 202,
           'chunked body under the limit')
        unknown = 'sha256:' + 'ab' * 32
        K.problem(k.submit(unknown), 422, 'unknown_module',
                  'module %s is not registered for tenant t0' % unknown)
        K.problem(k.request('POST', '/v1/jobs', body=b'{}', headers={
            'Content-Type': 'text/plain'}), 415, 'unsupported_media_type',
            'jobs are submitted as application/json')
        K.problem(k.submit(tiny, headers={'Idempotency-Key': 'k' * 129}),
                  422, 'invalid_request', 'Idempotency-Key must be 1-128 '
                  'printable ASCII characters')
        # only the two good submissions became jobs
        eq(len(k.list_all()), 2, 'jobs accepted')
        k.stop()


def test_modules():
    with K.Kilnd(tenants={'t0': {'max_pages': 16}}, gpus=1,
                 kilnd=CONF) as k:
        k.start()
        cases = [
            (b'not wasm', 'invalid_module',
             'not a WebAssembly module (bad magic)'),
            ('forbidden_import', 'forbidden_import',
             'import "env"."system" is not granted'),
            ('wrong_type_import', 'forbidden_import',
             'import "wasi_snapshot_preview1"."fd_write" has the wrong '
             'type'),
            ('simd', 'invalid_module',
             '0000032: error: unexpected opcode: 0xfd 0x11'),
            ('bigmem', 'memory_quota',
             'initial memory of 65535 pages exceeds the quota of 16 pages'),
            ('no_entry', 'invalid_module',
             'module exports neither "_start" nor "run"'),
            ('bad_entry_type', 'invalid_module',
             'export "run" is not a function of type [] -> []'),
        ]
        for mod, slug, detail in cases:
            K.problem(k.push(mod), 422, slug, detail)
            # refused modules are not registered
            data = mod if isinstance(mod, bytes) else K.wasm_bytes(mod)
            K.problem(k.submit(K.digest_of(data)), 422, 'unknown_module')
        K.problem(k.push(b'\0asm\1\0\0\0' + b'\0' * 2041), 413,
                  'body_too_large', 'the body exceeds 2048 bytes')
        K.problem(k.request('POST', '/v1/modules', body=b'\0asm', headers={
            'Content-Type': 'text/plain'}), 415, 'unsupported_media_type',
            'modules are uploaded as application/wasm')
        # a module within quota still registers after all that
        eq(k.push('tiny')[0], 201, 'tiny registers')
        k.stop()


def test_routes():
    with K.Kilnd(tenants={'t0': {}}, gpus=1, kilnd=CONF) as k:
        k.start()
        jid = 'job_0123456789abcdef01234567'
        for method, path in (('GET', '/'), ('GET', '/v1'),
                             ('GET', '/v1/nope'), ('GET', '/v1/jobs/'),
                             ('GET', '/v1/jobs/job_xyz'),
                             ('GET', '/v1/jobs/%s/nope' % jid),
                             ('POST', '/v1/jobs/%s/output/x' % jid),
                             ('GET', '/healthz/x')):
            K.problem(k.request(method, path), 404, 'not_found',
                      'no such route')
        for method, path, allow in (
                ('DELETE', '/v1/jobs', 'GET, HEAD, POST'),
                ('PUT', '/v1/jobs', 'GET, HEAD, POST'),
                ('GET', '/v1/modules', 'POST'),
                ('DELETE', '/v1/jobs/' + jid, 'GET, HEAD'),
                ('GET', '/v1/jobs/%s/cancel' % jid, 'POST'),
                ('POST', '/v1/jobs/%s/output' % jid, 'GET, HEAD'),
                ('POST', '/healthz', 'GET, HEAD'),
                ('DELETE', '/metrics', 'GET, HEAD')):
            resp = k.request(method, path)
            K.problem(resp, 405, 'method_not_allowed', 'allowed: ' + allow)
            eq(resp[1].get('allow'), allow, 'Allow header of %s %s' %
               (method, path))
        for query, detail in (('state=BOGUS', 'unknown state'),
                              ('limit=0', 'limit must be 1..500'),
                              ('limit=501', 'limit must be 1..500'),
                              ('limit=x', 'limit must be 1..500'),
                              ('page_token=x', 'bad page_token'),
                              ('page_token=-1', 'bad page_token')):
            K.problem(k.request('GET', '/v1/jobs?' + query), 422,
                      'invalid_request', detail)
        eq(json.loads(k.request('GET', '/v1/jobs?state=QUEUED&limit=500')
                      [2]), {'jobs': [], 'next_page_token': None},
           'empty list')
        k.stop()



def test_compiler_limits():
    """The compiler is confined with its own limits: a module whose
    compilation outlives compile_timeout_ms is refused (422), nothing of it
    reaches the cache, and the same module compiles once the limit allows;
    its compiled form is root's and read-only for everyone else."""
    K.require_root('the compiler drops to its user only when started as root')
    with K.Kilnd(tenants={'t0': {}}, gpus=1,
                 kilnd={'compile_timeout_ms': 1}) as k:
        k.start()
        K.problem(k.push(K.wasm_bytes('hello'), 't0'), 422, 'invalid_module',
                  'compilation exceeded its time limit')
        cache = os.path.join(k.state, 'cache')
        eq(os.listdir(cache), [], 'nothing cached')
        eq(os.listdir(os.path.join(k.state, 'tmp')), [], 'no scratch left')
    with K.Kilnd(tenants={'t0': {}}, gpus=1) as k:
        k.start()
        eq(k.push(K.wasm_bytes('hello'), 't0')[0], 201, 'push')
        cache = os.path.join(k.state, 'cache')
        (so,) = os.listdir(cache)
        st = os.stat(os.path.join(cache, so))
        eq((st.st_uid, st.st_mode & 0o777), (0, 0o644), 'cached module')
        eq(os.listdir(os.path.join(k.state, 'tmp')), [], 'no scratch left')
        k.stop()

if __name__ == '__main__':
    K.main(globals())
