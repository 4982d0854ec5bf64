#!/usr/bin/env python3
"""
/metrics: the body passes `promtool check metrics` (before and after
work), and after N successful jobs the job and request counters say
exactly N.
"""
import shutil
import subprocess

import kilnlib as K
from kilnlib import eq

N = 5


def promtool_check(body):
    r = subprocess.run(['promtool', 'check', 'metrics'], input=body,
                       capture_output=True, timeout=60)
    eq((r.returncode, r.stdout, r.stderr), (0, b'', b''),
       'promtool check metrics')


def run_jobs(k):
    hello = k.register('hello')
    for i in range(N):
        j = k.wait_terminal(k.submit_ok(hello, args=[str(i)])['id'])
        eq(j['state'], 'SUCCEEDED', 'job %d' % i)


def test_promtool():
    if shutil.which('promtool') is None:
        raise K.Skip('promtool is not installed (apt-get install '
                     'prometheus); /metrics was not checked by it')
    with K.Kilnd(tenants={'t0': {}}, gpus=2) as k:
        k.start()
        promtool_check(k.metrics())
        run_jobs(k)
        K.problem(k.request('GET', '/v1/nope'), 404, 'not_found')
        promtool_check(k.metrics())
        k.stop()


def test_values():
    with K.Kilnd(tenants={'t0': {}}, gpus=2) as k:
        k.start()
        st, h, body = k.request('GET', '/metrics', token=None)
        eq((st, h.get('content-type')),
           (200, 'text/plain; version=0.0.4; charset=utf-8'), '/metrics')
        m = K.metric_values(body)
        eq(m['kiln_jobs{state="SUCCEEDED"}'], 0, 'no job yet')
        run_jobs(k)
        K.problem(k.submit('sha256:' + '0' * 64), 422, 'unknown_module')
        m = K.metric_values(k.metrics())
        for state in ('PENDING', 'VERIFYING', 'QUEUED', 'SCHEDULED',
                      'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT',
                      'CANCELLED', 'REJECTED', 'DEAD_LETTER'):
            eq(m['kiln_jobs{state="%s"}' % state],
               N if state == 'SUCCEEDED' else 0, 'kiln_jobs ' + state)
        want = {
            'kiln_api_requests_total{route="jobs_post",code="202"}': N,
            'kiln_api_requests_total{route="jobs_post",code="422"}': 1,
            'kiln_api_requests_total{route="modules_post",code="201"}': 1,
            'kiln_jobs_submitted_total': N,
            'kiln_jobs_requeued_total': 0,
            'kiln_queue_depth': 0,
            'kiln_slots{state="busy"}': 0,
            'kiln_slots{state="free"}': 2,
            'kiln_job_wait_seconds_count': N,
            'kiln_job_run_seconds_count': N,
            'kiln_job_run_seconds_bucket{le="+Inf"}': N,
        }
        for key, v in want.items():
            eq(m.get(key), v, key)
        # a job that fails counts under its own state
        k.wait_terminal(k.submit_ok(k.register('exit3'))['id'])
        m = K.metric_values(k.metrics())
        eq((m['kiln_jobs{state="SUCCEEDED"}'],
            m['kiln_jobs{state="FAILED"}']), (N, 1), 'after a failure')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
