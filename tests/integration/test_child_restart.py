#!/usr/bin/env python3
"""
The parent restarts a child that dies.  kill -9 of the api: a new api
serves (readyz 200) and jobs keep working, the core and launcher are
untouched.  kill -9 of the launcher while a job runs: the job is requeued
with reason launcher_lost and then succeeds, and its old worker is gone.
kill -9 of the core: every child is restarted, the core recovers from the
journal (the running job is requeued with controller_restart), and new
jobs succeed.

Running jobs are matmuls whose worker is held with SIGSTOP, so that "the
job is running when the kill comes" does not depend on timing.
"""
import os
import signal

import kilnlib as K
from kilnlib import eq

N = K.HELD_MATMUL_N
HELLO = b'hello from kiln\narg 1: again\n'


def replaced(k, old, roles):
    """Waits until the children in roles run with new pids."""
    def check():
        now = k.kids()
        if len(now) == 3 and all(now[r] != old[r] and K.alive(now[r])
                                 for r in roles):
            return now
        return None
    return K.wait_for(check, 30, 'new ' + ', '.join(roles))


def job_cgroups(pid, launcher):
    """Names in the job cgroup directories of pid's cgroups (v1: one per
    controller hierarchy) made by the launcher with that pid."""
    names = []
    with open('/proc/%d/cgroup' % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip('\n').split(':', 2)
            for ctrl in ctrls.split(','):
                d = '/sys/fs/cgroup/%s%s/kiln-jobs' % (ctrl, path)
                if os.path.isdir(d):
                    names += [n for n in os.listdir(d)
                              if n.startswith('k%d-' % launcher)]
    return names


def hello_works(k, hello):
    j = k.wait_terminal(k.submit_ok(hello, args=['again'])['id'])
    K.check_job(j, state='SUCCEEDED', exit_code=0, attempts=0)
    eq(k.output(j['id']), HELLO, 'hello output')


def test_restarts():
    with K.Kilnd(tenants={'t0': {}}, gpus=2) as k:
        k.start()
        hello = k.register('hello')
        mm = k.register('matmul')
        hello_works(k, hello)
        old = k.wait_kids()

        # the api
        os.kill(old['api'], signal.SIGKILL)
        now = replaced(k, old, ['api'])
        eq((now['core'], now['launcher']), (old['core'], old['launcher']),
           'core and launcher after an api restart')
        k.wait_ready()
        hello_works(k, hello)

        # the launcher, with a job running
        old = now
        job, worker = K.held_job(k, mm)
        os.kill(old['launcher'], signal.SIGKILL)
        now = replaced(k, old, ['launcher'])
        eq((now['core'], now['api']), (old['core'], old['api']),
           'core and api after a launcher restart')
        K.wait_for(lambda: not K.alive(worker), 30,
                   'the old worker to die with its launcher')
        done = k.wait_terminal(job['id'])
        K.check_job(done, state='SUCCEEDED', attempts=1, exit_code=0)
        eq(k.output(job['id']), K.native_matmul(N), 'requeued output')
        # the rerun has its own cgroup (a new launcher, new names), and
        # the new launcher removed what the killed one left behind
        eq(('cgroup' in done['isolation']['layers'],
            done['isolation']['degraded']), (True, []), 'rerun isolation')
        eq(job_cgroups(now['launcher'], old['launcher']), [],
           'cgroups of the killed launcher')
        eq(k.events(job['id']),
           [('PENDING', ''), ('VERIFYING', ''), ('QUEUED', ''),
            ('SCHEDULED', ''), ('RUNNING', ''),
            ('QUEUED', 'launcher_lost'), ('SCHEDULED', ''),
            ('RUNNING', ''), ('SUCCEEDED', '')], 'events')
        hello_works(k, hello)

        # the core: everything restarts and recovers from the journal
        old = now
        job, worker = K.held_job(k, mm)
        before = {j['id']: j for j in k.list_all()}
        os.kill(old['core'], signal.SIGKILL)
        replaced(k, old, ['api', 'core', 'launcher'])
        k.wait_ready()
        K.wait_for(lambda: not K.alive(worker), 30,
                   'the old worker to die with its launcher')
        done = k.wait_terminal(job['id'])
        K.check_job(done, state='SUCCEEDED', attempts=1, exit_code=0)
        eq(k.output(job['id']), K.native_matmul(N), 'recovered output')
        eq(k.events(job['id'])[5], ('QUEUED', 'controller_restart'),
           'requeue event')
        after = {j['id']: j for j in k.list_all()}
        for jid, j in before.items():
            if jid != job['id']:
                eq(after[jid], j, 'finished job %s after recovery' % jid)
        hello_works(k, hello)
        eq(k.proc.poll(), None, 'the parent is still running')
        k.stop()


def test_dead_letter():
    """With max_attempts 1, a job whose worker is lost is not retried: it
    is dead-lettered with the infrastructure reason."""
    with K.Kilnd(tenants={'t0': {}}, gpus=1, kilnd={'max_attempts': 1}) as k:
        k.start()
        loop = k.register('loop')
        hello = k.register('hello')
        for victim, reason in (('launcher', 'launcher_lost'),
                               ('core', 'controller_restart')):
            old = k.wait_kids()
            job = k.submit_ok(loop, timeout_ms=120000)
            k.wait_state(job['id'], 'RUNNING')
            os.kill(old[victim], signal.SIGKILL)
            replaced(k, old, [victim])
            k.wait_ready()
            done = k.wait_terminal(job['id'])
            K.check_job(done, state='DEAD_LETTER', reason=reason,
                        attempts=1, exit_code=None)
            eq(k.events(job['id'])[-1], ('DEAD_LETTER', reason), 'event')
            eq(K.children(k.kids()['launcher']), [], 'no worker left')
            hello_works(k, hello)
        k.stop()


if __name__ == '__main__':
    K.main(globals())
