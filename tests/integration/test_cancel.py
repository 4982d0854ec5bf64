#!/usr/bin/env python3
"""
Cancellation: a QUEUED job and a RUNNING job both answer 200 with state
CANCELLED and reason "cancelled"; the running job's worker (a child of the
launcher, running as the unprivileged user) is gone when the answer comes;
cancelling again is 409 job_terminal.
"""
import json
import pwd

import kilnlib as K
from kilnlib import eq


def cancel(k, jid):
    return k.request('POST', '/v1/jobs/%s/cancel' % jid)


def test_cancel():
    with K.Kilnd(tenants={'t0': {'concurrency': 1}}, gpus=1) as k:
        k.start()
        loop = k.register('loop')
        launcher = k.kids()['launcher']
        running = k.submit_ok(loop, timeout_ms=120000)
        k.wait_state(running['id'], 'RUNNING')
        workers = K.wait_for(lambda: K.children(launcher), 30,
                             'the worker under the launcher')
        eq(len(workers), 1, 'one worker')
        worker = workers[0]

        queued = k.submit_ok(loop, timeout_ms=120000)
        eq(k.job(queued['id'])['state'], 'QUEUED', 'second job waits')
        st, h, body = cancel(k, queued['id'])
        eq(st, 200, 'cancel queued (%r)' % body)
        K.check_job(json.loads(body), id=queued['id'], state='CANCELLED',
                    reason='cancelled', exit_code=None, started_at=None,
                    slot='', attempts=0)
        assert json.loads(body)['finished_at'] is not None, body
        eq(K.alive(worker), True, 'the running job is untouched')

        st, h, body = cancel(k, running['id'])
        eq(st, 200, 'cancel running (%r)' % body)
        job = json.loads(body)
        K.check_job(job, id=running['id'], state='CANCELLED',
                    reason='cancelled', exit_code=None, attempts=0,
                    output_bytes=0)
        eq(job['slot'], 'gpu0', 'slot the job had')
        eq(K.alive(worker), False, 'worker gone when the cancel answers')
        eq(K.children(launcher), [], 'launcher children')
        eq(k.job(running['id']), job, 'GET after the cancel')

        for jid, was in ((queued['id'], 'CANCELLED'),
                         (running['id'], 'CANCELLED')):
            K.problem(cancel(k, jid), 409, 'job_terminal',
                      'job %s already ended %s' % (jid, was))
        eq([s for s, r in k.events(running['id'])],
           ['PENDING', 'VERIFYING', 'QUEUED', 'SCHEDULED', 'RUNNING',
            'CANCELLED'], 'events of the running job')
        eq([s for s, r in k.events(queued['id'])],
           ['PENDING', 'VERIFYING', 'QUEUED', 'CANCELLED'],
           'events of the queued job')

        # the slot is free again: the next job runs to its end
        hello = k.register('hello')
        j = k.wait_terminal(k.submit_ok(hello)['id'])
        eq((j['state'], j['slot']), ('SUCCEEDED', 'gpu0'), 'next job')
        K.problem(cancel(k, j['id']), 409, 'job_terminal')
        k.stop()


def test_privileges():
    """Who runs as whom (DESIGN §2): only the parent and launcher keep
    root; the api and the core run as the configured user, every worker
    as its tenant's own uid (job_uid_base 100000 + slot 0 * 65536)."""
    K.require_root('kilnd drops privileges only when started as root')
    nobody = pwd.getpwnam('nobody').pw_uid
    with K.Kilnd(tenants={'t0': {}}, gpus=1) as k:
        k.start()
        kids = k.kids()
        eq({r: K.proc_uid(p) for r, p in kids.items()},
           {'launcher': 0, 'core': nobody, 'api': nobody}, 'child uids')
        eq(K.proc_uid(k.proc.pid), 0, 'parent uid')
        job = k.submit_ok(k.register('loop'), timeout_ms=120000)
        k.wait_state(job['id'], 'RUNNING')
        workers = K.children(kids['launcher'])
        eq([K.proc_uid(w) for w in workers], [100000], 'worker uid')
        eq(cancel(k, job['id'])[0], 200, 'cancel')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
