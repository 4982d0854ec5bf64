"""
Shared pieces of the adversarial suite: kilnlib (imported from
../integration), the paths of the hostile guests built by meson, the
"controller unharmed" check run after every case, and a tiny WebAssembly
encoder for modules that no assembler would write (garbage names,
lying section lengths).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import kilnlib as K  # noqa: E402
from kilnlib import eq  # noqa: E402

WASM_DIR = os.environ.get('KILN_ADV_WASM_DIR') or os.path.join(
    K.BUILD_DIR, 'tests', 'adversarial')
HELLO_X = b'hello from kiln\narg 1: x\n'


def adv_bytes(name):
    """Bytes of a hostile guest built from guests/<name>.{wat,c}."""
    path = os.path.join(WASM_DIR, name + '.wasm')
    assert os.path.isfile(path), 'missing %s (run ninja -C build)' % path
    with open(path, 'rb') as f:
        return f.read()


def register_bytes(k, data, tenant=None):
    st, h, body = k.push(data, tenant)
    if st not in (200, 201):
        raise AssertionError('push: %d %r' % (st, body[:300]))
    d = K.digest_of(data)
    eq(json.loads(body), {'digest': d, 'size': len(data), 'kind': 'wasm'},
       'push body')
    return d


def register_adv(k, name, tenant=None):
    return register_bytes(k, adv_bytes(name), tenant)


class Unharmed:
    """
    Remembers kilnd's api, core and launcher pids and the tenant's hello
    digest; check() asserts that the same three processes still run, that
    /readyz answers, and that an ordinary hello job succeeds with its
    exact output: the controller survived whatever the case did.
    """

    def __init__(self, k, tenants=None):
        self.k = k
        self.kids = k.wait_kids()
        self.hello = {}
        for t in tenants or [None]:
            self.hello[t] = k.register('hello', tenant=t)

    def check(self, what, tenant=None):
        k = self.k
        eq(k.kids(), self.kids, '%s: kilnd processes unchanged' % what)
        eq(k.request('GET', '/readyz', token=None)[0], 200,
           '%s: /readyz' % what)
        j = k.wait_terminal(k.submit_ok(self.hello[tenant], tenant=tenant,
                                        args=['x'])['id'], tenant)
        K.check_job(j, state='SUCCEEDED', exit_code=0, reason='',
                    output_bytes=len(HELLO_X), log_bytes=0)
        eq(k.output(j['id'], tenant), HELLO_X, '%s: hello output' % what)


def run_job(k, digest, tenant=None, **kw):
    """Submits a job that must be accepted; its final job object."""
    return k.wait_terminal(k.submit_ok(digest, tenant=tenant, **kw)['id'],
                           tenant)


def expect_job(k, job, state, reason, exit_code, out=b'', log=b'',
               tenant=None, what=''):
    """Exact final state, reason, exit code, output and log bytes."""
    try:
        K.check_job(job, state=state, reason=reason, exit_code=exit_code,
                    output_bytes=len(out), log_bytes=len(log), attempts=0)
        eq(k.output(job['id'], tenant), out, 'output')
        eq(k.output(job['id'], tenant, log=True), log, 'log')
    except AssertionError as e:
        raise AssertionError('%s: %s (job %r)' % (what, e, {
            x: job.get(x) for x in ('state', 'reason', 'exit_code',
                                    'output_bytes', 'log_bytes')}))


# ------------------------------------------------------- wasm encoding

def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def name(b):
    if isinstance(b, str):
        b = b.encode()
    return leb(len(b)) + b


def vec(items):
    return leb(len(items)) + b''.join(items)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


HEADER = b'\0asm\1\0\0\0'
FT_VOID = b'\x60\x00\x00'                  # [] -> []


def module(imports=(), exports=None, types=(FT_VOID,), memory=b'\x00\x01',
           extra_funcs=0):
    """
    A module with the given types, imports (raw import entries), one
    memory (limits bytes), and one function of type 0 (empty body, plus
    extra_funcs more) exported as "run" with the memory as "memory",
    unless exports (raw export entries) is given.
    """
    nimp_funcs = len(imports)
    nfuncs = 1 + extra_funcs
    if exports is None:
        exports = [name('memory') + b'\x02\x00',
                   name('run') + b'\x00' + leb(nimp_funcs)]
    out = HEADER + section(1, vec(list(types)))
    if imports:
        out += section(2, vec(list(imports)))
    out += section(3, vec([b'\x00'] * nfuncs))
    out += section(5, vec([memory]))
    out += section(7, vec(list(exports)))
    out += section(10, vec([b'\x02\x00\x0b'] * nfuncs))
    return out


def func_import(mod, field, typeidx=0):
    return name(mod) + name(field) + b'\x00' + leb(typeidx)


# ---------------------------------------------------------------- cases

class Cases:
    """
    Runs named cases one after another.  A case whose name is in
    expected_fail (name -> reason) must fail its assertion: it is printed
    as XFAIL; if it passes, that is an error (remove it from the list).
    With ADV_KEEP_GOING=1 in the environment every failing case is
    printed and the run goes on (for exploring; the test still fails).
    """

    def __init__(self, expected_fail):
        self.expected_fail = expected_fail
        self.ok, self.xfail, self.failed = [], [], []

    def run(self, cname, fn):
        try:
            fn()
        except AssertionError as e:
            if cname in self.expected_fail:
                print('XFAIL %s: %s [%s]' % (cname, e,
                                             self.expected_fail[cname]))
                self.xfail.append(cname)
                return
            if os.environ.get('ADV_KEEP_GOING'):
                print('FAIL %s: %s' % (cname, e))
                self.failed.append(cname)
                return
            raise AssertionError('%s: %s' % (cname, e))
        if cname in self.expected_fail:
            raise AssertionError('%s passed but is listed in EXPECTED_FAIL'
                                 ' (remove it from the list)' % cname)
        print('ok %s' % cname)
        self.ok.append(cname)

    def done(self):
        print('cases: %d ok, %d xfail, %d failed' % (
            len(self.ok), len(self.xfail), len(self.failed)))
        assert not self.failed, 'failed cases: %s' % self.failed
