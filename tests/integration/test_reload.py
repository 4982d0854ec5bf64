#!/usr/bin/env python3
"""
SIGHUP reloads the configuration file without a restart: tenants added,
removed, given a new token and new limits take effect in the api (which
authenticates) and the core (which judges and schedules); a file that does
not load is refused with a log line and the running configuration stays.
No child restarts meanwhile.
"""
import hashlib
import json
import os
import secrets
import signal
import threading

import kilnlib as K
from kilnlib import eq


def conf_text(k, tenants):
    lines = ['[kilnd]', 'listen = 127.0.0.1:0', 'state_dir = ' + k.state,
             '', '[gpu gpu0]', 'model = H100-80GB',
             '', '[gpu gpu1]', 'model = H100-80GB']
    for name, (tok, opts) in tenants.items():
        lines += ['', '[tenant %s]' % name, 'token_sha256 = ' +
                  hashlib.sha256(tok.encode()).hexdigest()]
        lines += ['%s = %s' % kv for kv in opts.items()]
    return '\n'.join(lines) + '\n'


def write(k, text):
    tmp = k.config + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, k.config)


def log_text(k):
    with open(k.log_path, 'rb') as f:
        return f.read().decode(errors='replace')


def status(k, token):
    return k.request('GET', '/v1/jobs', token=token)[0]


def test_reload():
    with K.Kilnd(tenants={'a': {'queue_limit': 1, 'concurrency': 1},
                          'b': {}}, gpus=2) as k:
        k.start()
        kids = k.wait_kids()
        old_a, tok_b = k.tokens['a'], k.tokens['b']
        eq(status(k, old_a), 200, 'a before the reload')
        eq(status(k, tok_b), 200, 'b before the reload')
        loop = k.register('loop', tenant='a')
        hog = k.submit_ok(loop, tenant='a', timeout_ms=60000)
        k.wait_state(hog['id'], 'RUNNING', 'a')
        k.submit_ok(loop, tenant='a', timeout_ms=60000)
        K.problem(k.submit(loop, tenant='a', timeout_ms=60000), 429,
                  'queue_full', 'tenant a has 1 jobs queued (limit 1)')

        # a: new token and a larger queue; b removed; c added
        new_a, tok_c = secrets.token_hex(32), secrets.token_hex(32)
        write(k, conf_text(k, {
            'c': (tok_c, {'concurrency': 2}),
            'a': (new_a, {'queue_limit': 2, 'concurrency': 1})}))
        k.proc.send_signal(signal.SIGHUP)
        K.wait_for(lambda: status(k, tok_c) == 200, 30,
                   'the new tenant c to authenticate')
        eq('reloaded %s: configuration 2' % k.config in log_text(k), True,
           'reload logged')
        k.tokens.update({'a': new_a, 'c': tok_c})
        del k.tokens['b']
        eq(status(k, old_a), 401, "a's old token after the reload")
        eq(status(k, new_a), 200, "a's new token after the reload")
        eq(status(k, tok_b), 401, 'the removed tenant b')

        # a is judged under its new limit, c is scheduled like any tenant
        k.submit_ok(loop, tenant='a', timeout_ms=60000)
        K.problem(k.submit(loop, tenant='a', timeout_ms=60000), 429,
                  'queue_full', 'tenant a has 2 jobs queued (limit 2)')
        # a's concurrency (1) holds the second GPU for c
        hello = k.register('hello', tenant='c')
        job = k.submit_ok(hello, tenant='c', args=['reload'])
        K.check_job(k.wait_terminal(job['id'], 'c'), state='SUCCEEDED')
        eq(k.output(job['id'], 'c'), b'hello from kiln\narg 1: reload\n',
           "c's output")

        # a file that does not load changes nothing
        write(k, '[tenant a]\ntoken_sha256 = nope\n')
        k.proc.send_signal(signal.SIGHUP)
        K.wait_for(lambda: 'reload refused, configuration 2 stays: ' in
                   log_text(k), 30, 'the refusal in the log')
        eq(status(k, new_a), 200, 'a after a refused reload')
        eq(status(k, tok_c), 200, 'c after a refused reload')
        eq(status(k, tok_b), 401, 'b after a refused reload')
        # reloads under load: no request fails because of one, each is
        # judged under one generation (limit 3 or 4, never a mix or 5xx)
        answers, stop = [], threading.Event()

        def submitter():
            while not stop.is_set():
                st, h, body = k.submit(hello, tenant='c', args=['x'])
                answers.append((st, json.loads(body)))
        t = threading.Thread(target=submitter)
        t.start()
        try:
            for gen in range(3, 13):
                write(k, conf_text(k, {
                    'c': (tok_c, {'concurrency': 2,
                                  'queue_limit': 3 + gen % 2}),
                    'a': (new_a, {'queue_limit': 2, 'concurrency': 1})}))
                k.proc.send_signal(signal.SIGHUP)
                K.wait_for(lambda: 'reloaded %s: configuration %d\n' %
                           (k.config, gen) in log_text(k), 30,
                           'configuration %d' % gen)
        finally:
            stop.set()
            t.join()
        eq(len(answers) > 0, True, 'submissions during the reloads')
        for st, doc in answers:
            if st == 429:
                eq(doc['detail'] in ('tenant c has 3 jobs queued (limit 3)',
                                     'tenant c has 4 jobs queued (limit 4)'),
                   True, 'a 429 under one generation: %r' % doc)
            else:
                eq(st, 202, 'submission during reloads (%r)' % doc)
        eq(k.kids(), kids, 'children after the reloads (none restarted)')
        for j in k.list_all('a'):
            if j['state'] in ('QUEUED', 'RUNNING'):
                st, h, body = k.request(
                    'POST', '/v1/jobs/%s/cancel' % j['id'], tenant='a')
                eq(st, 200, 'cancel %s (%r)' % (j['id'], body))
        k.stop()


if __name__ == '__main__':
    K.main(globals())
