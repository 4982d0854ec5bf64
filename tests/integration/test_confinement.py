#!/usr/bin/env python3
"""
Confinement of the api and the core (docs/SANDBOX.md, "The api and the
core"): each runs under exactly one seccomp filter with no_new_privs, says
so in one start line naming the Landlock ABI the kernel has, and a whole
job lifecycle (push, submit, output, log, cancel, restart and recovery,
shutdown, a journal held busy by another process) still works under it:
neither ever dies of SIGSYS.  The launcher likewise runs under one filter,
its kill-list, which its workers inherit beneath their own (two filters).
And the workers: each tenant's jobs run as that tenant's own host uid and
gid (job_uid_base + slot * 65536), whoever they are inside their user
namespace.
"""
import ctypes
import json
import os
import sqlite3
import threading

import kilnlib as K
from kilnlib import eq

SYS_landlock_create_ruleset = 444	# x86_64 and aarch64 alike
HELLO_X = b'hello from kiln\narg 1: x\n'


def landlock_abi():
    """The kernel's Landlock ABI, or 0 when it has none."""
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(SYS_landlock_create_ruleset, None, ctypes.c_size_t(0),
                       ctypes.c_uint32(1))
    return abi if abi > 0 else 0


def status(pid):
    """The fields of /proc/<pid>/status, as strings."""
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            out[k] = v.strip()
    return out


def log_text(k):
    with open(k.log_path, 'rb') as f:
        return f.read().decode(errors='replace')


def check_confined(k, starts):
    """api and core: seccomp filter mode, one filter, NNP, unprivileged;
    the launcher: one filter (its kill-list), NNP."""
    kids = k.wait_kids()
    for role in ('api', 'core', 'launcher'):
        st = status(kids[role])
        eq(st['Seccomp'], '2', '%s Seccomp' % role)
        eq(st['Seccomp_filters'], '1', '%s Seccomp_filters' % role)
        eq(st['NoNewPrivs'], '1', '%s NoNewPrivs' % role)
        if os.geteuid() == 0 and role != 'launcher':
            assert st['Uid'].split()[0] != '0', '%s uid %r' % (role,
                                                            st['Uid'])
    lines = [l for l in log_text(k).splitlines()
             if 'launcher confined: ' in l]
    eq(len(lines), starts, 'launcher confined lines (%r)' % lines)
    for l in lines:
        assert l.endswith('launcher confined: seccomp kill-list'), l
    abi = landlock_abi()
    want = 'seccomp, landlock:%d' % abi if abi else 'seccomp, no landlock'
    text = log_text(k)
    for role in ('api', 'core'):
        lines = [l for l in text.splitlines()
                 if '%s confined: ' % role in l]
        eq(len(lines), starts, '%s confined lines (%r)' % (role, lines))
        for l in lines:
            assert l.split('%s confined: ' % role, 1)[1].startswith(want), \
                '%s: want %r in %r' % (role, want, l)


def no_sigsys(k):
    text = log_text(k)
    assert 'died of signal 31' not in text, text[-3000:]
    assert 'cannot confine' not in text, text[-3000:]


def test_lifecycle_confined():
    with K.Kilnd(tenants={'t0': {'concurrency': 1}}, gpus=1) as k:
        k.start()
        check_confined(k, 1)
        hello = k.register('hello')
        job = k.submit_ok(hello, args=['x'])
        done = k.wait_terminal(job['id'])
        K.check_job(done, state='SUCCEEDED', exit_code=0,
                    output_bytes=len(HELLO_X))
        eq(k.output(job['id']), HELLO_X, 'output')
        eq(k.output(job['id'], log=True), b'', 'log')
        st, h, body = k.request('GET', '/v1/jobs?state=SUCCEEDED')
        eq(st, 200, 'list (%r)' % body[:200])
        st, h, body = k.request('GET', '/metrics')
        eq(st, 200, 'metrics')

        # a running job cancelled, a queued one kept over a restart
        loop = k.register('loop')
        running = k.submit_ok(loop, timeout_ms=120000)
        k.wait_state(running['id'], 'RUNNING')
        queued = k.submit_ok(hello, args=['x'])
        st, h, body = k.request('POST', '/v1/jobs/%s/cancel' %
                                running['id'])
        eq(st, 200, 'cancel (%r)' % body)
        eq(json.loads(body)['state'], 'CANCELLED', 'cancelled')
        k.wait_state(queued['id'], 'SUCCEEDED')
        k.stop()

        k.start()
        check_confined(k, 2)
        eq(k.job(job['id'])['state'], 'SUCCEEDED', 'kept over a restart')
        eq(k.output(queued['id']), HELLO_X, 'output after a restart')
        again = k.submit_ok(hello, args=['x'])
        eq(k.wait_terminal(again['id'])['state'], 'SUCCEEDED', 'after')
        k.stop()
        no_sigsys(k)


def test_crash_recovery_confined():
    """SIGKILL to the whole tree, then recovery runs under the filter."""
    with K.Kilnd(tenants={'t0': {}}, gpus=1) as k:
        k.start()
        hello = k.register('hello')
        job = k.submit_ok(hello, args=['x'])
        k.wait_terminal(job['id'])
        k.kill_all()
        k.start()
        check_confined(k, 2)
        eq(k.output(job['id']), HELLO_X, 'output after a crash')
        again = k.submit_ok(hello, args=['x'])
        eq(k.wait_terminal(again['id'])['state'], 'SUCCEEDED', 'after')
        k.stop()
        no_sigsys(k)


def test_busy_journal_confined():
    """SQLite's busy handler sleeps (clock_nanosleep) under the filter."""
    with K.Kilnd(tenants={'t0': {}}, gpus=1) as k:
        k.start()
        core = k.kids()['core']
        hello = k.register('hello')
        path = os.path.join(k.state, 'data', 'kiln.db')
        db = sqlite3.connect(path, isolation_level=None,
                             check_same_thread=False)
        db.execute('BEGIN IMMEDIATE')	# the core's next commit waits
        t = threading.Timer(0.5, lambda: db.execute('ROLLBACK'))
        t.start()
        job = k.submit_ok(hello, args=['x'])
        t.join()
        db.close()
        eq(k.wait_terminal(job['id'])['state'], 'SUCCEEDED', 'job')
        eq(k.kids()['core'], core, 'the same core')
        k.stop()
        no_sigsys(k)


def host_ids(pid):
    """(uid, gid) of pid as the host sees them."""
    ids = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(('Uid:', 'Gid:')):
                ids[line[:3]] = [int(x) for x in line.split()[1:]]
    return ids['Uid'], ids['Gid']


def test_tenant_host_uids():
    """
    Two tenants' spinning jobs at once (workers of the warm pool, whose id
    maps are written when a job takes them): the host sees each worker as
    its tenant's uid and gid (all four ids), the slot being the tenant's
    place in the configuration (c is third).
    """
    base = 300000
    with K.Kilnd(tenants={'a': {}, 'b': {}, 'c': {}}, gpus=2,
                 kilnd={'job_uid_base': base}) as k:
        k.start()
        launcher = k.kids()['launcher']
        loop = {t: k.register('loop', tenant=t) for t in 'ac'}
        jobs = {t: k.submit_ok(loop[t], tenant=t, timeout_ms=60000)
                for t in 'ac'}
        for t, j in jobs.items():
            k.wait_state(j['id'], 'RUNNING', tenant=t)
        workers = K.children(launcher)
        eq(len(workers), 2, 'two workers')
        want = {base: 'a', base + 2 * 65536: 'c'}
        seen = {}
        for pid in workers:
            uid, gid = host_ids(pid)
            eq(len(set(uid)), 1, 'real, effective, saved, fs uid alike')
            eq(gid, uid, 'gids = uids')
            # the launcher's kill-list, then the worker's own
            eq(status(pid)['Seccomp_filters'], '2', 'worker filters')
            seen[uid[0]] = want.get(uid[0], 'unexpected uid %d' % uid[0])
        eq(sorted(seen.values()), ['a', 'c'], 'tenants of the workers')
        for t, j in jobs.items():
            k.request('POST', '/v1/jobs/%s/cancel' % j['id'], tenant=t)
            K.check_job(k.wait_terminal(j['id'], t), state='CANCELLED')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
