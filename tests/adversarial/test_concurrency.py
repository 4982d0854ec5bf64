#!/usr/bin/env python3
"""
Twenty hostile jobs of mixed kinds (endless loops, traps, floods, stack
and memory exhaustion, odd exit codes) from two tenants at once, submitted
from parallel threads, against one kilnd with 4 slots: every job ends with
its exact outcome and output, no worker is left behind, both tenants'
ordinary jobs still succeed, and no tenant can see the other's jobs,
outputs, logs or modules (404 / 422 unknown_module).
"""
import threading

import advlib as A
from advlib import K, eq

EXPECTED_FAIL = {}

OUT_MAX = 1000
LOG_MAX = 777
CONF = {'max_output_bytes': OUT_MAX, 'max_log_bytes': LOG_MAX}
GO = b'go\n'


def pattern(n):
    return bytes(i % 251 for i in range(n))


# module, job spec, state, reason, exit code, output, log
KINDS = [
    ('spin', {'timeout_ms': 300}, 'TIMED_OUT', 'timeout', None, b'', b''),
    ('traps', {'input': b'r'}, 'FAILED', 'trap:stack', None, GO, b''),
    ('traps', {'input': b's'}, 'FAILED', 'trap:stack', None, GO, b''),
    ('traps', {'input': b'a'}, 'FAILED', 'trap:oob', None, GO, b''),
    ('traps', {'input': b'i'}, 'FAILED', 'trap:div0', None, GO, b''),
    ('traps', {'input': b'g'}, 'FAILED', 'trap:call_indirect', None, GO,
     b''),
    ('wasi_probe', {'args': ['flood', '1', '0', '300', '-']}, 'FAILED',
     'output_limit', None, pattern(OUT_MAX), b''),
    ('wasi_probe', {'args': ['flood', '2', '0', '100', 's']}, 'FAILED',
     'log_limit', None, b'', pattern(LOG_MAX)),
    ('wasi_probe', {'args': ['exit', '255']}, 'FAILED', 'exit_code', 255,
     b'exiting\n', b''),
    ('wasi_probe', {'args': ['nwritten_oob']}, 'FAILED', 'trap:oob', None,
     b'before\n', b''),
    ('grow_oob', {}, 'FAILED', 'trap:oob', None,
     (64).to_bytes(4, 'little') + b'\xff' * 8, b''),
    ('table_bomb', {}, 'FAILED', 'memory_limit', None, b'', b''),
    ('start_trap', {}, 'FAILED', 'trap:unreachable', None, b'start\n',
     b''),
    ('data_oob', {}, 'FAILED', 'trap:oob', None, b'', b''),
]
TENANTS = ('ta', 'tb')


def test_concurrency():
    with K.Kilnd(tenants={t: {'max_pages': 64} for t in TENANTS}, gpus=4,
                 kilnd=CONF) as k:
        k.start()
        C = A.Cases(EXPECTED_FAIL)
        u = A.Unharmed(k, list(TENANTS))
        launcher = k.kids()['launcher']
        digests = {}
        for t in TENANTS:
            for name in {kind[0] for kind in KINDS}:
                digests[t, name] = A.register_adv(k, name, t)
        # 20 jobs: 10 per tenant, kinds interleaved so that both
        # tenants run every sort of attack at the same time
        plan = []
        for i in range(20):
            t = TENANTS[i % 2]
            plan.append((t, KINDS[(i // 2 + 7 * (i % 2)) % len(KINDS)]))
        ids = [None] * len(plan)
        errors = []

        def submit(i):
            try:
                t, (name, spec, *_rest) = plan[i]
                ids[i] = k.submit_ok(digests[t, name], tenant=t,
                                     **spec)['id']
            except Exception as e:  # reported below
                errors.append('submit %d: %r' % (i, e))
        threads = [threading.Thread(target=submit, args=(i,))
                   for i in range(len(plan))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        eq(errors, [], 'submission errors')

        def outcomes():
            """All 20 end exactly as their kind says."""
            for i, (t, (name, spec, state, reason, code, out,
                        log)) in enumerate(plan):
                j = k.wait_terminal(ids[i], t)
                A.expect_job(k, j, state, reason, code, out, log, tenant=t,
                             what='%s job %d (%s %r)' % (t, i, name, spec))
            K.wait_for(lambda: K.children(launcher) == [], 10,
                       'no worker left after the 20 jobs')
        C.run('twenty_hostile_jobs', outcomes)

        def ordinary_jobs():
            """Both tenants' hello jobs succeed afterwards."""
            for t in TENANTS:
                u.check('after the storm', t)
        C.run('both_tenants_unharmed', ordinary_jobs)

        def isolation():
            """Neither tenant sees the other's jobs, outputs, logs or
            cancel (404 not_found), nor uses its module: a digest only the
            other tenant registered is 422 unknown_module."""
            for i, (t, _kind) in enumerate(plan):
                other = TENANTS[1 - TENANTS.index(t)]
                for path in ('', '/output', '/log'):
                    K.problem(k.request('GET', '/v1/jobs/%s%s' % (
                        ids[i], path), tenant=other), 404, 'not_found')
                K.problem(k.request('POST', '/v1/jobs/%s/cancel' % ids[i],
                                    tenant=other), 404, 'not_found')
            for t in TENANTS:
                mine = {ids[i] for i, (tt, _k) in enumerate(plan)
                        if tt == t}
                listed = {j['id'] for j in k.list_all(t)}
                eq(mine <= listed, True, '%s lists its own jobs' % t)
                eq(listed & (set(ids) - mine), set(),
                   '%s lists none of the other tenant\'s jobs' % t)
            only_a = bytes(A.module(extra_funcs=1))
            d = A.register_bytes(k, only_a, 'ta')
            K.problem(k.submit(d, tenant='tb'), 422, 'unknown_module')
        C.run('tenants_isolated', isolation)
        k.stop()
    C.done()


if __name__ == '__main__':
    K.main(globals())
