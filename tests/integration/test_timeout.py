#!/usr/bin/env python3
"""
Deadlines: a guest that loops forever with timeout_ms 300 ends TIMED_OUT
with reason "timeout" and no exit code, and its worker process is gone
(the launcher has no child left) by the time the state is visible.
"""
import kilnlib as K
from kilnlib import eq


def test_timeout():
    with K.Kilnd(tenants={'t0': {}}, gpus=2) as k:
        k.start()
        loop = k.register('loop')
        launcher = k.kids()['launcher']
        jobs = [k.submit_ok(loop, timeout_ms=300) for _ in range(3)]
        for j in jobs:
            j = k.wait_terminal(j['id'])
            K.check_job(j, state='TIMED_OUT', reason='timeout',
                        exit_code=None, attempts=0, output_bytes=0,
                        log_bytes=0, timeout_ms=300)
            assert j['started_at'] is not None, j
        eq(K.children(launcher), [], 'launcher children after the timeouts')
        eq(k.kids()['launcher'], launcher, 'the launcher is the same')
        # a timed-out job's output is there (empty), and it cannot be
        # cancelled any more
        eq(k.output(jobs[0]['id']), b'', 'output of a timed-out job')
        K.problem(k.request('POST', '/v1/jobs/%s/cancel' % jobs[0]['id']),
                  409, 'job_terminal')
        # the events: one attempt, ended by the deadline
        eq([s for s, r in k.events(jobs[0]['id'])],
           ['PENDING', 'VERIFYING', 'QUEUED', 'SCHEDULED', 'RUNNING',
            'TIMED_OUT'], 'events')
        eq(k.events(jobs[0]['id'])[-1], ('TIMED_OUT', 'timeout'),
           'last event')
        # a guest that finishes in time is unaffected by a short deadline
        hello = k.register('hello')
        j = k.wait_terminal(k.submit_ok(hello, timeout_ms=20000)['id'])
        eq(j['state'], 'SUCCEEDED', 'hello with a deadline')
        k.stop()


def test_cpu_limit():
    """
    cpu_ms caps the guest's CPU time (whole seconds, RLIMIT_CPU): a guest
    that spins with a far deadline ends FAILED with reason cpu_limit, from
    a pooled worker and from a cold one alike; the same spec without
    cpu_ms only meets its deadline.
    """
    with K.Kilnd(tenants={'t0': {}}, gpus=1) as k:
        k.start()
        loop = k.register('loop')
        for _ in range(2):	# two in a row: the pool refilled between
            j = k.wait_terminal(k.submit_ok(loop, timeout_ms=30000,
                                            cpu_ms=1000)['id'])
            K.check_job(j, state='FAILED', reason='cpu_limit',
                        exit_code=None, attempts=0, output_bytes=0)
        j = k.wait_terminal(k.submit_ok(loop, timeout_ms=1500)['id'])
        K.check_job(j, state='TIMED_OUT', reason='timeout')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
