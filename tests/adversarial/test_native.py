#!/usr/bin/env python3
"""
Hostile native guests: one ELF program (native/hostile.c, built by meson
twice, dynamic and -static; argv[1] picks the attack) run as native jobs
of a tenant with `native = true` against one real kilnd.  Every case
asserts the exact final state, reason, exit code, output and log bytes
(the guest prints errno names, sorted listings, no pids or paths that
vary), that no process of the guest is left on the host, and that the
controller is unharmed (same kilnd processes, a hello job succeeds).
Then admission: what may not become a native module (a shared library,
an ELF for another machine, an executable needing a library the node
lacks, any ELF from a tenant without `native`) is refused with the exact
problem type and detail.
"""
import json
import os
import re
import subprocess
import tempfile

import advlib as A
from advlib import K, eq

# Cases whose assertion states the right behaviour but the current daemon
# does not meet it yet: {case name: reason}.
EXPECTED_FAIL = {
    'hostile/proc_self_paths': '/proc/self/mountinfo shows the host path '
    'of every bind (STATE/cache/<key>.exe, /usr/lib/...): a known limit '
    '(docs/SANDBOX.md)',
}

OUT_MAX = 1000
LOG_MAX = 777
CONF = {'max_output_bytes': OUT_MAX, 'max_log_bytes': LOG_MAX}
NATIVE = {'native': 'true', 'max_pages': 64}	# memory 4 MiB + 64 MiB
TENANTS = {'n': NATIVE, 'm': {'native': 'true'}, 'w': {}}
HOST = '<host pid>'	# replaced by the launcher's host pid
PORT = '<port>'		# replaced by kilnd's TCP port


def hostile_bytes(variant):
    """Bytes of build/tests/adversarial/<variant> (hostile, hostile_static)."""
    path = os.path.join(A.WASM_DIR, variant)
    assert os.path.isfile(path), 'missing %s (run ninja -C build)' % path
    with open(path, 'rb') as f:
        return f.read()


def push_native(k, data, tenant):
    """POST /v1/modules as application/octet-stream."""
    return k.request('POST', '/v1/modules', body=data,
                     headers={'Content-Type': 'application/octet-stream'},
                     tenant=tenant)


def register_native(k, data, tenant):
    st, h, body = push_native(k, data, tenant)
    if st not in (200, 201):
        raise AssertionError('push: %d %r' % (st, body[:300]))
    d = K.digest_of(data)
    eq(json.loads(body), {'digest': d, 'size': len(data), 'kind': 'native'},
       'push body')
    return d


def pattern(n):
    return bytes(i % 251 for i in range(n))


def in_cgroup(pid, jid):
    """Whether the process is in the job's cgroup (/.../<job id>, in any
    hierarchy), seen from the host."""
    try:
        with open('/proc/%d/cgroup' % pid) as f:
            return any(line.rstrip('\n').split(':', 2)[2].split('/')
                       .count(jid) for line in f)
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def guests(k, jid=None):
    """Host pids of the processes of native jobs: {pid: argv}.  Every
    descendant of the launcher but its idle pool workers (a job's
    worker, its init and the guest's processes) and, given a job id,
    any process on the host still in that job's cgroup, wherever it was
    reparented to."""
    out = {}
    for p in K.descendants(k.kids()['launcher']):
        if K.comm(p) != K.POOL_COMM and K.alive(p):
            out[p] = K.cmdline(p)
    if jid is not None:
        for d in os.listdir('/proc'):
            if d.isdigit() and in_cgroup(int(d), jid) and K.alive(int(d)):
                out[int(d)] = K.cmdline(int(d))
    return out


def no_guest_left(k, what, jid=None):
    K.wait_for(lambda: not guests(k, jid), 10,
               '%s: no process of the job left' % what)


def parent_of(pid):
    with open('/proc/%d/stat' % pid) as f:
        return int(f.read().rsplit(')', 1)[1].split()[1])


# --------------------------------------------------------------- cases

SIGSYS_CASES = ['ptrace', 'mount', 'unshare', 'setns', 'bpf', 'keyctl',
                'io_uring_setup', 'perf_event_open', 'chroot',
                'clone_newuser']

IDENTITY = (
    b'Uid:\t65534\t65534\t65534\t65534\n'
    b'Gid:\t65534\t65534\t65534\t65534\n'
    b'Groups:\t65534 \n'
    b'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n'
    b'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n'
    b'CapAmb:\t0000000000000000\n'
    b'NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t2\n'
    b'ls /proc/self/fd: 0 1 2 3\n'
    b'cwd: /\n')

PROC_SNOOP = (
    b'ls /proc: 2 self thread-self\n'
    b'open /proc/1/cmdline: ENOENT\n'
    b'open /proc/1/environ: ENOENT\n'
    b'ls /proc/1/fd: ENOENT\n'
    b'open /proc/1/mem: ENOENT\n'
    b'open /proc/sys/kernel/hostname: ENOENT\n'
    b'open /proc/kcore: ENOENT\n'
    b'open /proc/mounts: ENOENT\n'
    b'open /proc/self/status: ok, readable\n'
    b'open /proc/2/status: ok, readable\n'
    b'open /proc/<host pid>/cmdline: ENOENT\n')

DEV = (
    b'open /dev/nvidia0 O_RDWR: ENOENT\n'
    b'open /dev/nvidiactl O_RDWR: ENOENT\n'
    b'open /dev/nvidia-uvm O_RDWR: ENOENT\n'
    b'open /dev/dri/card0 O_RDWR: ENOENT\n'
    b'open /dev/mem O_RDONLY: ENOENT\n'
    b'open /dev/kmsg O_RDONLY: ENOENT\n'
    b'open /dev/tty O_RDWR: ENOENT\n'
    b'ls /dev: null random urandom zero\n')


def host_files(static):
    return (
        b'open /etc/passwd: ENOENT\n'
        b'open /etc/shadow: ENOENT\n'
        b'ls /root: ENOENT\n'
        b'ls /home: ENOENT\n'
        b'ls /var/lib: ENOENT\n'
        b'open /proc/self/root/etc/passwd: ENOENT\n' +
        (b'ls /: <exe> dev proc tmp\n'
         b'ls /lib: ENOENT\n'
         b'ls /lib64: ENOENT\n' if static else
         b'ls /: <exe> dev lib lib64 proc tmp\n'
         b'ls /lib: x86_64-linux-gnu\n'
         b'ls /lib64: ld-linux-x86-64.so.2\n') +
        b'ls /tmp:\n')


def write_outside_tmp(static):
    return (
        b'open /x O_CREAT|O_WRONLY: EROFS\n' +
        (b'open /lib64/x O_CREAT|O_WRONLY: ENOENT\n' if static else
         b'open /lib64/x O_CREAT|O_WRONLY: EROFS\n') +
        b'open /dev/x O_CREAT|O_WRONLY: EROFS\n'
        b'open /proc/x O_CREAT|O_WRONLY: ENOENT\n'
        b'open <exe> O_WRONLY: EACCES\n'
        b'open <exe> O_RDWR: EACCES\n' +
        (b'open /lib/x86_64-linux-gnu/libc.so.6 O_WRONLY: ENOENT\n'
         if static else
         b'open /lib/x86_64-linux-gnu/libc.so.6 O_WRONLY: EACCES\n') +
        b'open /dev/null O_WRONLY: ok\n'
        b'mkdir /d: EROFS\n'
        b'unlink <exe>: EROFS\n'
        b'rename <exe> /tmp/moved: EXDEV\n'
        b'chmod <exe> 0777: EROFS\n'
        b'create /tmp/f: ok\n'
        b'write /tmp/f: ok\n'
        b'read back /tmp/f: 5 kiln\n'
        b'copy <exe> to /tmp/x: ok\n'
        b'chmod /tmp/x 0755: ok\n'
        b'execve /tmp/x: EACCES\n')


def symlinks(static):
    return (
        b'symlink /tmp/abs -> /etc/passwd: ok\n'
        b'open /tmp/abs: ENOENT\n'
        b'symlink /tmp/rel -> ../../../../etc/passwd: ok\n'
        b'open /tmp/rel: ENOENT\n'
        b'open /tmp/../../etc/passwd: ENOENT\n'
        b'symlink /tmp/root -> /proc/1/root: ok\n'
        b'open /tmp/root/etc/passwd: ENOENT\n'
        b'ls /tmp/root: ENOENT\n'
        b'symlink /tmp/exe -> <exe>: ok\n'
        b'open /tmp/exe: ok, readable\n'
        b'link <exe> /tmp/hard: EXDEV\n' +
        (b'link libc /tmp/libc: ENOENT\n' if static else
         b'link libc /tmp/libc: EXDEV\n'))


NET = (
    b'socket tcp: ok\n'
    b'connect tcp 127.0.0.1:<port>: EACCES\n'
    b'bind tcp 0.0.0.0:8080: EACCES\n'
    b'socket udp: ok\n'
    b'connect udp 127.0.0.1:53: ENETUNREACH\n'
    b'connect udp 8.8.8.8:53: ENETUNREACH\n'
    b'sendto udp 8.8.8.8:53: ENETUNREACH\n'
    b'socket AF_NETLINK: ENOSYS\n'
    b'socket AF_PACKET: ENOSYS\n'
    b'socket AF_INET SOCK_RAW: EPERM\n'
    b'socket AF_VSOCK: ENOSYS\n')

# kill(2) on the namespace's init answers 0 (the kernel drops signals
# that its init has no handler for, SIGKILL and SIGSTOP from inside
# always): what matters is that the init survives, so the guest prints
# "alive" and the job ends normally.
KILL_PARENT = (
    b'getpid: 2\n'
    b'getppid: 1\n'
    b'kill(getppid(), SIGKILL): ok\n'
    b'kill(1, SIGKILL): ok\n'
    b'kill(1, SIGTERM): ok\n'
    b'kill(1, SIGSTOP): ok\n'
    b'kill(-1, SIGKILL): ESRCH\n'
    b'kill(host pid, SIGKILL): ESRCH\n'
    b'alive\n')

STORM = (
    b'kill(1, SIGTERM): ok\n'
    b'kill(1, SIGSTOP): ok\n'
    b'kill(1, SIGUSR1): ok\n'
    b'children failed: 0\n'
    b'storm over\n')


def no_host_paths(out):
    """/proc/self/mountinfo readable, naming no path of the host (the
    state directory)."""
    return (b'/ /proc\n' in out and b'/kiln-it-' not in out and
            b'/state/' not in out)


def cgroup_roots(out):
    """/proc/self/cgroup: every hierarchy's path is the job's own "/"."""
    lines = out.split(b'\n')
    return (lines[0] == b'== /proc/self/cgroup' and lines[-1] == b'' and
            len(lines) > 2 and all(re.fullmatch(rb'\d+:[\w,=]*:/', x)
                                   for x in lines[1:-1]))


def expect(k, j, state, reason, code, out, log, what):
    """A.expect_job, where out may be a predicate on the output."""
    if not callable(out):
        return A.expect_job(k, j, state, reason, code, out, log,
                            tenant='n', what=what)
    got = k.output(j['id'], 'n')
    try:
        K.check_job(j, state=state, reason=reason, exit_code=code,
                    log_bytes=len(log), attempts=0)
        eq(k.output(j['id'], 'n', log=True), log, 'log')
        if not out(got):
            raise AssertionError('output %r: not %s' % (got, out.__name__))
    except AssertionError as e:
        raise AssertionError('%s: %s (job %r)' % (what, e, {
            x: j.get(x) for x in ('state', 'reason', 'exit_code',
                                  'output_bytes', 'log_bytes')}))


def cases(static):
    """(case, what it attacks, argv[1:], input, timeout_ms, state, reason,
    exit code, output, log)"""
    c = [
        ('exit_0', 'a plain exit 0', ['exit', '0'], None, None,
         'SUCCEEDED', '', 0, b'exiting\n', b''),
        ('exit_7', 'exit 7: FAILED exit_code 7', ['exit', '7'], None,
         None, 'FAILED', 'exit_code', 7, b'exiting\n', b''),
        ('cat', 'stdin copied to stdout', ['cat'], b'abc\0def\n' * 100,
         None, 'SUCCEEDED', '', 0, b'abc\0def\n' * 100, b''),
        ('identity',
         'nobody, no capabilities at all (effective and bounding), '
         'no_new_privs, seccomp filter mode with two filters (the '
         'launcher\'s kill-list, then the native profile), only fds '
         '0 1 2 (3 is the listing\'s own), cwd /',
         ['identity'], None, None, 'SUCCEEDED', '', 0, IDENTITY, b''),
        ('fork_bomb',
         'fork children that pause() until fork fails: EAGAIN at '
         'pids.max, exit 3; the job is FAILED pids_limit and nothing of '
         'it survives',
         ['fork_bomb'], None, None, 'FAILED', 'pids_limit', None,
         b'fork: EAGAIN\n', b''),
    ]
    for s in SIGSYS_CASES:
        c.append((s, '%s is killed by seccomp (SIGSYS)' % s, [s], None,
                  None, 'FAILED', 'signal:SIGSYS', None,
                  b'calling %s\n' % s.encode(), b''))
    c += [
        ('clone3', 'raw clone3: ENOSYS (its flags cannot be filtered)',
         ['clone3'], None, None, 'SUCCEEDED', '', 0, b'clone3: ENOSYS\n',
         b''),
        ('kill_parent',
         'SIGKILL/SIGTERM/SIGSTOP to the init (pid 1, its parent), '
         'kill(-1), kill of a host pid: the init survives, ESRCH outside',
         ['kill_parent', HOST], None, None, 'SUCCEEDED', '', 0,
         KILL_PARENT, b''),
        ('proc_snoop',
         '/proc shows only the guest (not even the init), no /proc/sys, '
         'no kcore, no mounts, no host pid',
         ['proc_snoop', HOST], None, None, 'SUCCEEDED', '', 0, PROC_SNOOP,
         b''),
        ('dev_nvidia', 'no GPU or other device node but null, zero, '
         'random, urandom', ['dev_nvidia'], None, None, 'SUCCEEDED', '',
         0, DEV, b''),
        ('host_files', 'no host file: /etc, /root, /home, /var/lib absent; '
         'the root holds only the exe, dev, proc, tmp (and the libraries)',
         ['host_files'], None, None, 'SUCCEEDED', '', 0,
         host_files(static), b''),
        ('write_outside_tmp',
         'no write outside /tmp (EROFS/EACCES), the exe and libc '
         'unwritable, /tmp works but is noexec (execve EACCES)',
         ['write_outside_tmp'], None, None, 'SUCCEEDED', '', 0,
         write_outside_tmp(static), b''),
        ('symlinks', 'symlinks and .. out of /tmp lead nowhere, no '
         '/proc/1/root, no hard link of the exe or libc (EXDEV)',
         ['symlinks'], None, None, 'SUCCEEDED', '', 0, symlinks(static),
         b''),
        ('net', 'TCP connect and bind EACCES (Landlock), no route (empty '
         'network namespace), netlink/packet/vsock ENOSYS, raw EPERM',
         ['net', PORT], None, None, 'SUCCEEDED', '', 0, NET, b''),
        ('signal_storm',
         '8 children signalling each other, themselves and pid 1 with '
         'SIGUSR1/SIGTERM/SIGSTOP/SIGCONT for 0.5 s',
         ['signal_storm'], None, None, 'SUCCEEDED', '', 0, STORM, b''),
        ('tmp_fill', '1 MiB writes to /tmp until it is full: ENOSPC at '
         'its 64 MiB, within the job\'s memory', ['tmp_fill'], None, None,
         'SUCCEEDED', '', 0, b'create /tmp/fill: ok\n'
         b'write /tmp/fill: ENOSPC after 64 MiB\nunlink /tmp/fill: ok\n',
         b''),
        ('fd_exhaust', 'open files until the limit: EMFILE after 253 '
         '(RLIMIT_NOFILE 256 less stdin, stdout, stderr), and the hard '
         'limit cannot be raised', ['fd_exhaust'], None, None, 'SUCCEEDED',
         '', 0, b'open: EMFILE after 253\nsetrlimit NOFILE 4096: EPERM\n',
         b''),
        ('daemon', 'a double-forked child leaves the session and closes '
         'its stdio, the guest exits 0: the job ends and the daemon is '
         'killed', ['daemon'], None, None, 'SUCCEEDED', '', 0,
         b'parent exits\n', b''),
        ('hostname', 'the UTS namespace shows "kiln", never the host\'s '
         'name', ['hostname'], None, None, 'SUCCEEDED', '', 0,
         b'hostname: kiln\n', b''),
        ('proc_self_paths', '/proc/self/mountinfo must not name host '
         'paths (the state directory holding the executable)',
         ['mounts'], None, None,
         'SUCCEEDED', '', 0, no_host_paths, b''),
        ('proc_self_cgroup', 'the cgroup namespace is rooted at the '
         'job\'s own cgroup: every path in /proc/self/cgroup is "/"',
         ['dump', '/proc/self/cgroup'], None, None, 'SUCCEEDED', '', 0,
         cgroup_roots, b''),
        ('memfd_exec', 'a copy of the exe in a memfd run by fexecve and '
         'execveat: refused like an exec from the noexec /tmp (the job\'s '
         'vm.memfd_noexec = 1)', ['memfd_exec'], None, None, 'SUCCEEDED',
         '', 0, b'memfd_create: ok\nfexecve memfd: EACCES\n'
         b'execveat memfd: EACCES\n', b''),
        ('mem_bomb', '1 MiB chunks forever: memory_limit',
         ['mem_bomb'], None, None, 'FAILED', 'memory_limit', None, b'',
         b''),
        ('out_flood', 'stdout forever: exactly the first %d bytes kept, '
         'output_limit' % OUT_MAX, ['out_flood'], None, None, 'FAILED',
         'output_limit', None, pattern(OUT_MAX), b''),
        ('log_flood', 'stderr forever: exactly the first %d bytes kept, '
         'log_limit' % LOG_MAX, ['log_flood'], None, None, 'FAILED',
         'log_limit', None, b'', pattern(LOG_MAX)),
        ('spin', 'an endless loop with timeout_ms 2000: TIMED_OUT, output '
         'kept', ['spin'], None, 2000, 'TIMED_OUT', 'timeout', None,
         b'spinning\n', b''),
        ('segv', 'a null write: signal:SIGSEGV', ['segv'], None, None,
         'FAILED', 'signal:SIGSEGV', None, b'about to segv\n', b''),
    ]
    return c


STATIC_CASES = ('exit_7', 'identity', 'ptrace', 'clone_newuser', 'clone3',
                'kill_parent', 'proc_snoop', 'host_files',
                'write_outside_tmp', 'symlinks', 'net', 'fork_bomb',
                'hostname', 'memfd_exec', 'daemon', 'segv')


def run_cases(variant, static, only=None):
    K.require_root('native jobs run in namespaces and cgroups')
    with K.Kilnd(tenants=TENANTS, kilnd=CONF) as k:
        k.start()
        C = A.Cases(EXPECTED_FAIL)
        u = A.Unharmed(k, tenants=['n'])
        d = register_native(k, hostile_bytes(variant), 'n')
        host = str(k.kids()['launcher'])
        port = str(k.addr[1])
        for (cname, doc, args, inp, tmo, state, reason, code, out,
             log) in cases(static):
            if only is not None and cname not in only:
                continue
            args = [host if a == HOST else port if a == PORT else a
                    for a in args]

            def one():
                j = A.run_job(k, d, tenant='n', args=args, input=inp,
                              timeout_ms=tmo or 20000)
                expect(k, j, state, reason, code, out, log, doc)
                no_guest_left(k, cname, j['id'])
                u.check(cname, tenant='n')
            C.run('%s/%s' % (variant, cname), one)

        def kill_other():
            """A spinning job of tenant m; a job of tenant n kills its
            guest's and its init's host pids: ESRCH (signal 0 too), the
            spinning job still runs, then is cancelled."""
            dm = register_native(k, hostile_bytes(variant), 'm')
            jid = k.submit_ok(dm, tenant='m', args=['spin'],
                              timeout_ms=60000)['id']
            k.wait_state(jid, 'RUNNING', 'm')
            gp = K.wait_for(lambda: [p for p, a in guests(k).items()
                                     if a == ['main', 'spin']], 20,
                            'the other guest to run')
            eq(len(gp), 1, 'spinning guests')
            victim = gp[0]
            victims = [str(victim), str(parent_of(victim))]
            j = A.run_job(k, d, tenant='n', args=['kill_other'] + victims,
                          timeout_ms=20000)
            A.expect_job(k, j, 'SUCCEEDED', '', 0,
                         b'kill(other job, 0): ESRCH\n'
                         b'kill(other job, SIGKILL): ESRCH\n' * 2 +
                         b'alive\n', tenant='n', what='kill_other')
            eq(K.alive(victim), True, 'the other guest alive')
            eq(k.job(jid, 'm')['state'], 'RUNNING', 'the other job')
            st, h, body = k.request('POST', '/v1/jobs/%s/cancel' % jid,
                                    tenant='m')
            eq(st, 200, 'cancel status (%r)' % body[:200])
            A.expect_job(k, k.wait_terminal(jid, 'm'), 'CANCELLED',
                         'cancelled', None, b'spinning\n', tenant='m',
                         what='cancelled spinner')
            no_guest_left(k, 'kill_other', jid)
            u.check('kill_other', tenant='n')
        C.run('%s/kill_other' % variant, kill_other)
        k.stop()
    C.done()


def test_hostile_dynamic():
    run_cases('hostile', False)


def test_hostile_static():
    run_cases('hostile_static', True, STATIC_CASES)


# ------------------------------------------------------------ admission

def cc(d, out, src, *args):
    with open(os.path.join(d, out + '.c'), 'w') as f:
        f.write(src)
    subprocess.run(['cc', '-o', os.path.join(d, out),
                    os.path.join(d, out + '.c')] + list(args), check=True,
                   cwd=d)
    with open(os.path.join(d, out), 'rb') as f:
        return f.read()


def admission_cases(d):
    exe = hostile_bytes('hostile')

    def machine(m):
        b = bytearray(exe)
        b[18:20] = m.to_bytes(2, 'little')
        return bytes(b)
    shared = cc(d, 'libshared.so', 'int f(void) { return 1; }\n',
                '-shared', '-fPIC')
    cc(d, 'libkilnthrowaway.so', 'int kiln_throwaway(void) '
       '{ return 0; }\n', '-shared', '-fPIC')
    needs = cc(d, 'needs', 'int kiln_throwaway(void);\nint main(void) '
               '{ return kiln_throwaway(); }\n', '-L' + d,
               '-lkilnthrowaway')
    return [
        ('shared_library', 'a -shared library', shared, 'n',
         'invalid_module', 'shared library, not an executable'),
        ('machine_arm', 'e_machine patched to EM_ARM', machine(40), 'n',
         'invalid_module', 'ELF for machine 40, this node runs x86-64'),
        ('machine_aarch64', 'e_machine patched to EM_AARCH64',
         machine(183), 'n', 'invalid_module',
         'ELF for machine 183, this node runs x86-64'),
        ('missing_library', 'linked against a library the node lacks',
         needs, 'n', 'invalid_module',
         'library libkilnthrowaway.so not found'),
        ('truncated', 'the first 64 bytes of the executable', exe[:64],
         'n', 'invalid_module', 'program header table outside the file'),
        ('magic_only', 'just the ELF magic', b'\x7fELF', 'n',
         'invalid_module', 'truncated ELF header (4 bytes)'),
        ('tenant_not_native', 'a good executable from a tenant without '
         'native', exe, 'w', 'native_forbidden',
         'tenant w may not register native executables'),
    ]


def test_admission():
    K.require_root('kilnd with native tenants')
    with K.Kilnd(tenants=TENANTS, kilnd=CONF) as k, \
            tempfile.TemporaryDirectory() as d:
        k.start()
        C = A.Cases(EXPECTED_FAIL)
        u = A.Unharmed(k, tenants=['n', 'w'])
        for cname, doc, data, tenant, slug, detail in admission_cases(d):
            def one():
                K.problem(push_native(k, data, tenant), 422, slug, detail)
                K.problem(k.submit(K.digest_of(data), tenant=tenant), 422,
                          'unknown_module')
                u.check(cname, tenant='n')
            C.run('admission/' + cname, one)

        def wasm_type_for_elf():
            """kilnlib's push (Content-Type application/wasm) of an ELF:
            the kind follows from the bytes, native; refused for w."""
            exe = hostile_bytes('hostile_static')
            st, h, body = k.push(exe, 'n')
            eq(st, 201, 'push status (%r)' % body[:200])
            eq(json.loads(body), {'digest': K.digest_of(exe),
                                  'size': len(exe), 'kind': 'native'},
               'push body')
            K.problem(k.push(exe, 'w'), 422, 'native_forbidden',
                      'tenant w may not register native executables')
            K.problem(k.submit(K.digest_of(exe), tenant='w'), 422,
                      'unknown_module')
            u.check('wasm_type_for_elf', tenant='w')
        C.run('admission/wasm_type_for_elf', wasm_type_for_elf)
        k.stop()
    C.done()


if __name__ == '__main__':
    K.main(globals())
