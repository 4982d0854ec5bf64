#!/usr/bin/env python3
"""
Graceful shutdown.  With a small shutdown_grace_ms, SIGTERM while a job
runs makes kilnd exit 0 promptly, leaving the job RUNNING in the journal;
the next kilnd requeues it (attempts 1, reason controller_restart) and
runs it to SUCCEEDED.  With a long grace period, the running job drains to
its end before kilnd exits, and the node says it is unavailable meanwhile.

The running job is a matmul whose worker the test holds with SIGSTOP, so
"still running when the signal comes" does not depend on timing.
"""
import os
import signal

import kilnlib as K
from kilnlib import eq

N = K.HELD_MATMUL_N


def test_grace_expires():
    with K.Kilnd(tenants={'t0': {}}, gpus=1,
                 kilnd={'shutdown_grace_ms': 100}) as k:
        k.start()
        mm = k.register('matmul')
        job, worker = K.held_job(k, mm)
        waiting = k.submit_ok(mm, args=[str(N)])	# queued behind it
        k.stop(timeout=20)	# asserts exit 0 and every process gone
        eq(K.alive(worker), False, 'worker after the stop')
        eq(dict(k.query('SELECT id, state FROM jobs')),
           {job['id']: 'RUNNING', waiting['id']: 'QUEUED'},
           'journal after the stop')

        k.start()
        done = k.wait_terminal(job['id'])
        K.check_job(done, state='SUCCEEDED', attempts=1, exit_code=0,
                    reason='')
        eq(k.output(job['id']), K.native_matmul(N), 'requeued output')
        eq(k.events(job['id']),
           [('PENDING', ''), ('VERIFYING', ''), ('QUEUED', ''),
            ('SCHEDULED', ''), ('RUNNING', ''),
            ('QUEUED', 'controller_restart'), ('SCHEDULED', ''),
            ('RUNNING', ''), ('SUCCEEDED', '')], 'events')
        done = k.wait_terminal(waiting['id'])
        K.check_job(done, state='SUCCEEDED', attempts=0)
        eq(k.output(waiting['id']), K.native_matmul(N), 'queued output')
        k.stop()


def test_drain():
    with K.Kilnd(tenants={'t0': {}}, gpus=1,
                 kilnd={'shutdown_grace_ms': 60000}) as k:
        k.start()
        mm = k.register('matmul')
        job, worker = K.held_job(k, mm)
        k.proc.send_signal(signal.SIGTERM)
        # draining: not ready, and no new work is taken
        K.wait_for(lambda: k.request('GET', '/readyz', token=None)[0] ==
                   503, 30, '/readyz 503 while draining')
        K.problem(k.request('GET', '/readyz', token=None), 503,
                  'unavailable', 'kilnd is shutting down')
        K.problem(k.submit(mm, args=['1']), 503, 'unavailable',
                  'kilnd is shutting down')
        eq(k.job(job['id'])['state'], 'RUNNING', 'job while draining')
        os.kill(worker, signal.SIGCONT)
        try:
            rc = k.proc.wait(60)
        finally:
            k.remember()
        eq(rc, 0, 'kilnd exit status after draining')
        k.proc = None
        eq(k.query('SELECT state, attempts FROM jobs'), [('SUCCEEDED', 0)],
           'journal after the drain')
        k.start()
        eq(k.output(job['id']), K.native_matmul(N), 'drained output')
        eq(len(k.list_all()), 1, 'only the one job exists')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
