#!/usr/bin/env python3
"""
kilnd --check-config: a valid file is exit 0 with a one-line summary on
stdout; each broken file is exit 1 with its exact reason on stderr, and
nothing is started or created.
"""
import hashlib
import os
import subprocess
import tempfile

import kilnlib as K
from kilnlib import eq

HASH = hashlib.sha256(b'secret').hexdigest()


def check(path):
    return subprocess.run([K.KILND, '--check-config', path],
                          capture_output=True, timeout=30)


def test_check_config():
    with tempfile.TemporaryDirectory() as d:
        def conf(name, text):
            p = os.path.join(d, name)
            with open(p, 'w') as f:
                f.write(text)
            return p

        ok = conf('ok.conf', '[kilnd]\nlisten = 127.0.0.1:9999\n'
                  'state_dir = %s/never\nshutdown_grace_ms = 10\n\n'
                  '[tenant a]\ntoken_sha256 = %s\nqueue_limit = 2\n'
                  '[tenant b-2]\ntoken_sha256 = %s\n'
                  '[gpu g0]\nmodel = H100-80GB\n[gpu g1]\n'
                  'model = A100-40GB\n' % (d, HASH, HASH.upper()))
        r = check(ok)
        eq((r.returncode, r.stdout, r.stderr),
           (0, ('%s: ok (tenants: 2, GPUs: 2, listen 127.0.0.1:9999)\n' %
                ok).encode(), b''), 'valid file')
        eq(os.path.exists(os.path.join(d, 'never')), False,
           'check-config created the state dir')

        tenant = '[tenant a]\ntoken_sha256 = %s\n' % HASH
        broken = [
            ('unknown_key.conf', '[kilnd]\nfoo = 1\n' + tenant,
             "[kilnd]: unknown key 'foo' (line 2)"),
            # two errors: the first one is reported, with its own line
            ('two_errors.conf', '[kilnd]\nfoo = 1\nbar = 2\n' + tenant,
             "[kilnd]: unknown key 'foo' (line 2)"),
            ('bad_hash.conf', '[tenant a]\ntoken_sha256 = abc\n',
             "[tenant a]: bad value for 'token_sha256': 'abc' (line 2)"),
            ('bad_hex.conf', '[tenant a]\ntoken_sha256 = %s\n' %
             ('z' * 64), "[tenant a]: bad value for 'token_sha256': '%s' "
             "(line 2)" % ('z' * 64)),
            ('no_tenant.conf', '[kilnd]\nuser = nobody\n',
             'no [tenant NAME] section'),
            ('no_token.conf', '[tenant a]\nqueue_limit = 3\n',
             '[tenant a] has no token_sha256'),
            ('bad_limit.conf', tenant + 'queue_limit = 0\n',
             "[tenant a]: bad value for 'queue_limit': '0' (line 3)"),
            ('bad_name.conf', '[tenant A!]\ntoken_sha256 = %s\n' % HASH,
             'bad tenant section [tenant A!] (names: a-z 0-9 - _) '
             '(line 2)'),
            ('bad_section.conf', tenant + '[nope]\nx = 1\n',
             'unknown section [nope] (line 4)'),
            ('bad_listen.conf', '[kilnd]\nlisten = nowhere\n' + tenant,
             "[kilnd]: bad value for 'listen': 'nowhere' (line 2)"),
            ('relative_state.conf', '[kilnd]\nstate_dir = rel\n' + tenant,
             "[kilnd]: bad value for 'state_dir': 'rel' (line 2)"),
            ('timeouts.conf', '[kilnd]\ndefault_timeout_ms = 10\n'
             'max_timeout_ms = 5\n' + tenant,
             'default_timeout_ms exceeds max_timeout_ms'),
            ('syntax.conf', tenant + 'no equals sign\n',
             'syntax error', 3),
        ]
        for case in broken:
            name, text, why = case[:3]
            p = conf(name, text)
            r = check(p)
            want = 'kilnd: %s: %s\n' % (p, why)
            if len(case) == 4:
                want = 'kilnd: %s:%d: %s\n' % (p, case[3], why)
            eq((r.returncode, r.stdout, r.stderr.decode()), (1, b'', want),
               name)
        missing = os.path.join(d, 'missing.conf')
        r = check(missing)
        eq((r.returncode, r.stderr.decode()),
           (1, 'kilnd: %s: cannot open: No such file or directory\n' %
            missing), 'missing file')


def test_one_kilnd_per_state_dir():
    """A second kilnd on a state directory in use refuses to start (it
    would journal into the same database) and leaves the first serving."""
    with K.Kilnd() as k:
        k.start()
        r = subprocess.run([K.KILND, '--state-dir', k.state, '--listen',
                            '127.0.0.1:0'], capture_output=True, timeout=30)
        eq(r.returncode, 1, 'second kilnd exit status')
        eq(r.stderr.decode().split('] ', 1)[1],
           'fatal: another kilnd is running on %s\n' % k.state, 'message')
        with open(os.path.join(k.state, 'kilnd.pid')) as f:
            eq(f.read(), '%d\n' % k.proc.pid, 'pid file')
        eq(k.request('GET', '/readyz')[0], 200, 'first kilnd still ready')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
