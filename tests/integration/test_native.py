#!/usr/bin/env python3
"""
Native jobs end to end: ELF executables registered as modules of kind
"native" by a tenant with `native = true` (and refused, 422
native_forbidden, for any other), run in the same sandbox as wasm jobs
with exact output, log, exit codes, arguments, environment and input;
static and dynamic builds; the CLI pushing one; the module still running
after a restart (the cache keeps the executable and its manifest).
"""
import json
import os
import subprocess
import tempfile

import kilnlib as K
from kilnlib import eq

NATIVE = {'n': {'native': 'true'}, 'w': {}}
LAYERS = ['rlimits', 'userns', 'pidns', 'netns', 'mntns', 'ipcns', 'utsns',
          'cgroupns', 'caps', 'nnp', 'landlock:7', 'seccomp', 'cgroup']


def sdk_native(name):
    path = os.path.join(K.BUILD_DIR, 'sdk', name)
    assert os.path.isfile(path), 'missing %s (run ninja -C build)' % path
    with open(path, 'rb') as f:
        return f.read()


def push_native(k, data, tenant='n', want=201):
    st, h, body = k.request('POST', '/v1/modules', body=data,
                            headers={'Content-Type':
                                     'application/octet-stream'},
                            tenant=tenant)
    eq(st, want, 'push status (%r)' % body[:300])
    d = K.digest_of(data)
    eq(json.loads(body), {'digest': d, 'size': len(data), 'kind': 'native'},
       'push body')
    eq(h.get('location'), '/v1/modules/' + d, 'Location')
    return d


def build(src, *flags):
    """Builds C source text with cc; returns the executable's bytes."""
    with tempfile.TemporaryDirectory() as d:
        c = os.path.join(d, 'prog.c')
        with open(c, 'w') as f:
            f.write(src)
        exe = os.path.join(d, 'prog')
        subprocess.run(['cc', '-O2', '-o', exe, c] + list(flags),
                       check=True)
        with open(exe, 'rb') as f:
            return f.read()


ECHO = r'''
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
	char buf[4096]; ssize_t n; size_t total = 0;
	while ((n = read(0, buf, sizeof buf)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout); total += (size_t)n;
	}
	fprintf(stderr, "read %zu bytes; GREETING=%s\n", total,
	    getenv("GREETING") ? getenv("GREETING") : "(none)");
	return argc > 1 ? atoi(argv[1]) : 0;
}
'''


def test_native_hello():
    with K.Kilnd(tenants=NATIVE) as k:
        k.start()
        for name in ('hello-native', 'hello-static'):
            data = sdk_native(name)
            d = push_native(k, data)
            push_native(k, data, want=200)
            j = k.wait_terminal(k.submit_ok(d, tenant='n',
                                            args=['x'])['id'], 'n')
            K.check_job(j, state='SUCCEEDED', reason='', exit_code=0,
                        attempts=0, output_bytes=25, log_bytes=0)
            eq(j['isolation'], {'level': 'L4', 'layers': LAYERS,
                                'degraded': []}, name + ' isolation')
            eq(k.output(j['id'], 'n'), b'hello from kiln\narg 1: x\n',
               name + ' output')
        # a tenant without `native` may neither register nor run them
        K.problem(k.request('POST', '/v1/modules', body=data,
                            headers={'Content-Type':
                                     'application/octet-stream'},
                            tenant='w'), 422, 'native_forbidden',
                  'tenant w may not register native executables')
        K.problem(k.submit(d, tenant='w'), 422, 'unknown_module')
        k.stop()


CLOSER = r'''
#include <stdio.h>
#include <unistd.h>
int main(void) {
	char c;
	if (read(0, &c, 1) != 1)
		return 2;
	close(0);
	printf("read one byte: %c\n", c);
	return 0;
}
'''


def test_native_io_exit_env():
    with K.Kilnd(tenants=NATIVE) as k:
        k.start()
        d = push_native(k, build(ECHO))
        data = bytes(range(256)) * 300
        j = k.wait_terminal(k.submit_ok(d, tenant='n', input=data,
                                        env={'GREETING': 'hi'})['id'], 'n')
        K.check_job(j, state='SUCCEEDED', exit_code=0,
                    output_bytes=len(data))
        eq(k.output(j['id'], 'n'), data, 'stdin copied to stdout')
        eq(k.output(j['id'], 'n', log=True),
           b'read 76800 bytes; GREETING=hi\n', 'log')
        j = k.wait_terminal(k.submit_ok(d, tenant='n', args=['7'])['id'],
                            'n')
        K.check_job(j, state='FAILED', reason='exit_code', exit_code=7,
                    output_bytes=0)
        eq(k.output(j['id'], 'n', log=True),
           b'read 0 bytes; GREETING=(none)\n', 'log without env')
        # a guest that closes stdin before the input is all fed: the init
        # stops feeding (EPIPE) and the job goes on
        c = push_native(k, build(CLOSER))
        j = k.wait_terminal(k.submit_ok(c, tenant='n',
                                        input=b'A' * (4 << 20))['id'], 'n')
        K.check_job(j, state='SUCCEEDED', exit_code=0)
        eq(k.output(j['id'], 'n'), b'read one byte: A\n', 'closer output')
        # the same computation natively and as WebAssembly
        m = push_native(k, sdk_native('matmul-native'))
        j = k.wait_terminal(k.submit_ok(m, tenant='n', args=['24'])['id'],
                            'n')
        eq(j['state'], 'SUCCEEDED', 'matmul')
        eq(k.output(j['id'], 'n'), K.native_matmul(24), 'matmul output')
        k.stop()


SPIN = r'''
#include <signal.h>
#include <string.h>
int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "ignore") == 0)
		signal(SIGXCPU, SIG_IGN);
	for (volatile unsigned long i = 0;; i++)
		;
}
'''


def test_native_cpu_limit():
    """
    cpu_ms: the guest's SIGXCPU, or the SIGKILL a second later when it
    ignores SIGXCPU, ends the job FAILED with reason cpu_limit (the second
    submitted with the CLI's --cpu).
    """
    with K.Kilnd(tenants=NATIVE) as k:
        k.start()
        d = push_native(k, build(SPIN))
        j = k.wait_terminal(k.submit_ok(d, tenant='n', timeout_ms=30000,
                                        cpu_ms=1000)['id'], 'n')
        K.check_job(j, state='FAILED', reason='cpu_limit', exit_code=None)
        r = k.kiln('submit', d, '--arg', 'ignore', '--cpu', '1000',
                   '--timeout', '30000', tenant='n')
        eq(r.returncode, 0, 'kiln submit --cpu: %r' % r.stderr)
        j = k.wait_terminal(r.stdout.decode().strip(), 'n')
        K.check_job(j, state='FAILED', reason='cpu_limit', exit_code=None)
        k.stop()


def test_native_cli_and_restart():
    with K.Kilnd(tenants=NATIVE) as k:
        k.start()
        path = os.path.join(K.BUILD_DIR, 'sdk', 'hello-native')
        r = k.kiln('module', 'push', path, tenant='n')
        eq(r.returncode, 0, 'kiln module push: %r' % r.stderr)
        d = K.digest_of(sdk_native('hello-native'))
        eq(r.stdout.decode(), d + '\n', 'kiln module push output')
        r = k.kiln('submit', path, '--arg', 'y', '--wait', tenant='n')
        eq(r.returncode, 0, 'kiln submit --wait: %r' % r.stderr)
        eq(r.stdout, b'hello from kiln\narg 1: y\n', 'kiln submit --wait')
        k.stop()
        # the executable and its manifest stay in the cache
        k.start()
        j = k.wait_terminal(k.submit_ok(d, tenant='n')['id'], 'n')
        K.check_job(j, state='SUCCEEDED', exit_code=0)
        eq(k.output(j['id'], 'n'), b'hello from kiln\n', 'after restart')
        k.stop()


if __name__ == '__main__':
    K.main(globals())
