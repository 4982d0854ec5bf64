#!/usr/bin/env python3
"""
Crash recovery (DESIGN §10).  While 200 short jobs are being submitted
from threads and run, every kilnd process gets SIGKILL at once.  A new
kilnd on the same state directory must have every job that was answered
202 and run each to SUCCEEDED with its exact output; a job that was
SUCCEEDED in a snapshot taken before the kill keeps its finished_at and
has exactly one RUNNING -> SUCCEEDED in its history (it did not run
again); no job in the journal has two results.
"""
import concurrent.futures as cf
import http.client
import json
import threading

import kilnlib as K
from kilnlib import eq

JOBS = 200
THREADS = 8
CLEAN = ['PENDING', 'VERIFYING', 'QUEUED', 'SCHEDULED', 'RUNNING',
         'SUCCEEDED']


def out(i):
    return b'hello from kiln\narg 1: %d\n' % i


def test_crash():
    with K.Kilnd(tenants={'t0': {'concurrency': 4}}, gpus=4) as k:
        k.start()
        hello = k.register('hello')
        lock = threading.Lock()
        acked = {}		# job id -> its argument
        errors = []
        todo = iter(range(JOBS))

        def submitter():
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                try:
                    st, h, body = k.submit(hello, args=[str(i)])
                except (OSError, http.client.HTTPException) as e:
                    errors.append(e)	# the kill: not acknowledged
                    return
                if st == 503:		# the api outlived the core
                    K.problem((st, h, body), 503, 'unavailable')
                    errors.append(body)
                    return
                eq(st, 202, 'submit %d (%r)' % (i, body[:200]))
                with lock:
                    acked[json.loads(body)['id']] = i

        pool = cf.ThreadPoolExecutor(max_workers=THREADS)
        futures = [pool.submit(submitter) for _ in range(THREADS)]

        def snapshot():
            with lock:
                n = len(acked)
            if n < JOBS // 3:
                return None
            done = k.list_all(state='SUCCEEDED')
            return done if len(done) >= 10 else None
        snap = {j['id']: j for j in K.wait_for(snapshot, 60,
                                               'a third of the jobs')}
        k.kill_all()
        with lock:
            n_acked = len(acked)
        for f in futures:
            f.result()
        pool.shutdown()
        print('acknowledged before the kill: %d of %d; SUCCEEDED in the '
              'snapshot: %d; refused by the dead server: %d' %
              (n_acked, JOBS, len(snap), len(errors)))

        k.start()
        eq(k.query('PRAGMA integrity_check'), [('ok',)], 'integrity')
        # (a job can succeed before its submitter has read the 202, so
        # the snapshot is checked on its own)
        for jid, j in snap.items():
            eq(k.job(jid), j, 'job %s SUCCEEDED before the kill' % jid)
            eq([s for s, r in k.events(jid)], CLEAN, 'history of %s' % jid)
        for jid, i in acked.items():
            j = k.wait_terminal(jid)
            K.check_job(j, state='SUCCEEDED', exit_code=0, reason='',
                        tenant='t0')
            eq(k.output(jid), out(i), 'output of %s' % jid)

        # every job in the journal, acknowledged or not, ended once
        jobs = k.list_all()
        eq(set(acked) - {j['id'] for j in jobs}, set(),
           'acknowledged jobs missing from the list')
        for j in jobs:
            j = k.wait_terminal(j['id'])
            eq(j['state'], 'SUCCEEDED', 'state of %s' % j['id'])
            ev = k.events(j['id'])
            states = [s for s, r in ev]
            eq(states.count('SUCCEEDED'), 1, 'results of %s' % j['id'])
            eq(states[-2:], ['RUNNING', 'SUCCEEDED'], 'end of %s' % j['id'])
            eq(j['attempts'], ev.count(('QUEUED', 'controller_restart')),
               'attempts of %s' % j['id'])
        print('after recovery: %d jobs in the journal (%d committed but '
              'never acknowledged), %d requeued by the restart' %
              (len(jobs), len(jobs) - len(acked),
               sum(1 for j in jobs if k.job(j['id'])['attempts'] > 0)))
        m = K.metric_values(k.metrics())
        eq(m['kiln_jobs{state="SUCCEEDED"}'], len(jobs), 'metrics')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
