"""
Harness for Kiln's integration tests: starts a real kilnd in a fresh
temporary state directory on an ephemeral loopback port, talks to it over
HTTP and through the kiln CLI, finds its processes in /proc, and always
cleans up (SIGKILL to whatever is left, then the directory is removed).

Python 3 standard library only.  Paths come from the environment that
meson sets (KILN_BUILD_DIR, KILN_SOURCE_DIR); run by hand, they default to
the source tree holding this file and its build/ directory.

Every wait here polls a condition until a deadline; nothing sleeps for a
fixed time hoping that something happened meanwhile.
"""
import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

SOURCE_DIR = os.environ.get('KILN_SOURCE_DIR') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD_DIR = os.environ.get('KILN_BUILD_DIR') or os.path.join(SOURCE_DIR,
                                                             'build')
KILND = os.path.join(BUILD_DIR, 'src', 'kilnd', 'kilnd')
KILN = os.path.join(BUILD_DIR, 'tools', 'kiln', 'kiln')

TERMINAL = ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'REJECTED',
            'DEAD_LETTER')
JOB_KEYS = {'id', 'tenant', 'state', 'module', 'profile', 'timeout_ms',
            'attempts', 'exit_code', 'reason', 'output_bytes', 'log_bytes',
            'slot', 'created_at', 'started_at', 'finished_at', 'isolation'}
POLL_S = 0.01
SKIP_EXIT = 77


class Skip(Exception):
    """Raised by a test that cannot run here; the reason is printed."""


def wasm(name):
    """Path of a built guest module: build/sdk/<name>.wasm."""
    path = os.path.join(BUILD_DIR, 'sdk', name + '.wasm')
    assert os.path.isfile(path), 'missing %s (run ninja -C build)' % path
    return path


def wasm_bytes(name):
    with open(wasm(name), 'rb') as f:
        return f.read()


def digest_of(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def b64(data):
    return base64.b64encode(data).decode()


_matmul = {}


def native_matmul(n):
    """What sdk/examples/matmul.c prints for N=n, built natively by cc."""
    if n not in _matmul:
        with tempfile.TemporaryDirectory() as d:
            exe = os.path.join(d, 'matmul')
            subprocess.run(['cc', '-O2', '-o', exe, os.path.join(
                SOURCE_DIR, 'sdk', 'examples', 'matmul.c')], check=True)
            _matmul[n] = subprocess.run([exe, str(n)], check=True,
                                        capture_output=True).stdout
    return _matmul[n]


# A matmul of this size runs about a second as wasm: still running when
# held_job's SIGSTOP comes.
HELD_MATMUL_N = 900


def held_job(k, matmul):
    """Submits a matmul of HELD_MATMUL_N, waits until it runs and stops its
    worker with SIGSTOP, so that "the job is running when the next step
    comes" does not depend on timing; returns (job, worker pid)."""
    job = k.submit_ok(matmul, args=[str(HELD_MATMUL_N)])
    k.wait_state(job['id'], 'RUNNING')
    workers = children(k.kids()['launcher'])
    eq(len(workers), 1, 'one worker')
    os.kill(workers[0], signal.SIGSTOP)
    return job, workers[0]


def require_root(why):
    if os.geteuid() != 0:
        raise Skip('needs root: ' + why)


def wait_for(pred, timeout, what):
    """Polls pred() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.1fs waiting for %s' %
                                 (timeout, what))
        time.sleep(POLL_S)


def eq(got, want, what=''):
    """assert got == want, saying what differs."""
    if got != want:
        raise AssertionError('%s: got %r, want %r' % (what or 'value', got,
                                                      want))


# ------------------------------------------------------------ processes

POOL_COMM = 'kiln-pool'


def comm(pid):
    """The process's comm ('' once it is gone)."""
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().rstrip('\n')
    except (FileNotFoundError, ProcessLookupError):
        return ''


def children(pid, pool=False):
    """Direct children of pid, from /proc/<pid>/task/*/children.  Idle
    workers of the launcher's warm pool (comm 'kiln-pool', a job-free
    process parked before anything job-specific, docs/SANDBOX.md) are
    left out unless pool is true: after jobs end the launcher has them
    by design."""
    kids = []
    try:
        tasks = os.listdir('/proc/%d/task' % pid)
    except FileNotFoundError:
        return kids
    for t in tasks:
        try:
            with open('/proc/%d/task/%s/children' % (pid, t)) as f:
                kids += [int(x) for x in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    if not pool:
        kids = [k for k in kids if comm(k) != POOL_COMM]
    return kids


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in children(p, pool=True):
            out.append(k)
            todo.append(k)
    return out


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return [a.decode() for a in f.read().split(b'\0') if a]
    except (FileNotFoundError, ProcessLookupError):
        return []


def role_of(pid):
    """'api', 'core', 'launcher' for `kilnd -P ROLE ...`, else None."""
    args = cmdline(pid)
    if len(args) >= 3 and args[1] == '-P':
        return args[2]
    return None


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (FileNotFoundError, ProcessLookupError):
        return False


def proc_uid(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('Uid:'):
                return int(line.split()[1])
    raise AssertionError('no Uid line for %d' % pid)


# ------------------------------------------------------------------ kilnd

class Kilnd:
    """
    One kilnd under test.  tenants=None runs it without a config file (the
    default tenant "demo", token from STATE/tokens/demo); otherwise a config
    is generated: tenants is a number (tenants t0..tN-1) or a dict name ->
    {queue_limit, concurrency, max_pages}, gpus the number of [gpu] sections
    (None: the defaults), kilnd extra [kilnd] keys.  Use it as a context
    manager so that cleanup() always runs.
    """

    def __init__(self, tenants=None, gpus=None, kilnd=None):
        self.root = tempfile.mkdtemp(prefix='kiln-it-')
        os.chmod(self.root, 0o755)	# the core (user nobody) enters it
        self.state = os.path.join(self.root, 'state')
        self.config = None
        self.tokens = {}
        self.proc = None
        self.addr = None
        self.known = set()	# every kilnd pid seen, for cleanup
        self.log_path = os.path.join(self.root, 'kilnd.log')
        if tenants is not None:
            self.config = os.path.join(self.root, 'kiln.conf')
            self.write_config(tenants, gpus, kilnd or {})

    def write_config(self, tenants, gpus, kilnd):
        if isinstance(tenants, int):
            tenants = {'t%d' % i: {} for i in range(tenants)}
        lines = ['[kilnd]', 'listen = 127.0.0.1:0',
                 'state_dir = ' + self.state]
        lines += ['%s = %s' % kv for kv in kilnd.items()]
        for name, opts in tenants.items():
            tok = secrets.token_hex(32)
            self.tokens[name] = tok
            lines += ['', '[tenant %s]' % name, 'token_sha256 = ' +
                      hashlib.sha256(tok.encode()).hexdigest()]
            lines += ['%s = %s' % kv for kv in opts.items()]
        for i in range(gpus or 0):
            lines += ['', '[gpu gpu%d]' % i, 'model = H100-80GB']
        with open(self.config, 'w') as f:
            f.write('\n'.join(lines) + '\n')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and exc[0] is not Skip:
            self.dump_log()
        self.cleanup()
        return False

    # ---------------------------------------------------- life cycle

    def start(self, timeout=30):
        """Starts kilnd and waits until it listens and /readyz is 200."""
        listen = os.path.join(self.state, 'listen')
        if os.path.exists(listen):
            os.unlink(listen)
        if self.config:
            args = [KILND, '--config', self.config]
        else:
            args = [KILND, '--state-dir', self.state, '--listen',
                    '127.0.0.1:0']
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log,
                                         start_new_session=True)
        self.known.add(self.proc.pid)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError('kilnd exited with %d while starting'
                                     % self.proc.returncode)
            try:
                with open(listen) as f:
                    s = f.read()
            except FileNotFoundError:
                return None
            return s if s.endswith('\n') else None
        line = wait_for(listening, timeout, 'STATE/listen')
        host, port = line.strip().rsplit(':', 1)
        eq(host, '127.0.0.1', 'listen host')
        self.addr = (host, int(port))
        if not self.config:
            with open(os.path.join(self.state, 'tokens', 'demo')) as f:
                self.tokens = {'demo': f.read().strip()}
        self.wait_ready(timeout)
        self.remember()
        return self

    def wait_ready(self, timeout=30):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError('kilnd exited with %d' %
                                     self.proc.returncode)
            try:
                return self.request('GET', '/readyz', token=None)[0] == 200
            except OSError:
                return False
        wait_for(ready, timeout, '/readyz 200')

    def remember(self):
        if self.proc is not None:
            self.known.update(descendants(self.proc.pid))

    def stop(self, timeout=30):
        """SIGTERM, wait, assert exit status 0 and no process left."""
        self.remember()
        tree = [self.proc.pid] + descendants(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError('kilnd did not exit within %ds of SIGTERM'
                                 % timeout)
        eq(rc, 0, 'kilnd exit status after SIGTERM')
        wait_for(lambda: not any(alive(p) for p in tree), 10,
                 'every kilnd process to be gone after the parent exited')
        wait_for(lambda: not self.ours(), 10, 'no worker left behind')
        self.proc = None

    def kill_all(self):
        """SIGKILL to every kilnd process at once (the process group)."""
        self.remember()
        tree = [self.proc.pid] + descendants(self.proc.pid)
        os.killpg(self.proc.pid, signal.SIGKILL)
        for p in tree:		# workers live in sessions of their own
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        wait_for(lambda: not any(alive(p) for p in tree), 10,
                 'every kilnd process to die')
        wait_for(lambda: not self.ours(), 10, 'no worker left behind')
        self.proc = None

    def cleanup(self):
        if self.proc is not None:
            self.remember()
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # workers are forked from the launcher without exec: they carry
        # its command line, which names our directory
        for p in self.known | set(self.ours()):
            try:
                if alive(p) and cmdline(p)[:1] == [KILND]:
                    os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if os.environ.get('KILN_IT_KEEP'):
            print('kept', self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def ours(self):
        """Every live process whose command line names our directory."""
        out = []
        for d in os.listdir('/proc'):
            if d.isdigit() and any(self.root in a for a in
                                   cmdline(int(d))):
                out.append(int(d))
        return out

    def dump_log(self, lines=60):
        try:
            with open(self.log_path, 'rb') as f:
                tail = f.read().decode(errors='replace').splitlines()
        except FileNotFoundError:
            return
        print('--- last %d lines of %s' % (lines, self.log_path))
        for line in tail[-lines:]:
            print('  ' + line)

    # --------------------------------------------------------- processes

    def kids(self):
        """{'api': pid, 'core': pid, 'launcher': pid} of the parent."""
        out = {}
        # pool=True: the launcher carries the pool's comm for an instant
        # while it clones an idle worker; the parent has no pool workers
        for k in children(self.proc.pid, pool=True):
            r = role_of(k)
            if r is not None:
                out[r] = k
        return out

    def wait_kids(self, timeout=30):
        """Waits until the three children run; returns kids()."""
        return wait_for(lambda: (lambda k: k if len(k) == 3 else None)(
            self.kids()), timeout, 'api, core and launcher to run')

    def workers(self):
        """Children of the launcher (workers and compilers)."""
        return children(self.kids()['launcher'])

    # -------------------------------------------------------------- http

    def token(self, tenant=None):
        if tenant is None:
            tenant = next(iter(self.tokens))
        return self.tokens[tenant]

    def request(self, method, path, body=None, headers=None, tenant=None,
                token=False, chunked=False):
        """
        One HTTP request on a fresh connection; (status, headers, body)
        with header names in lower case.  token=False uses the tenant's
        token, None sends no Authorization, a string sends that.
        """
        h = dict(headers or {})
        if token is False:
            token = self.token(tenant)
        if token is not None:
            h['Authorization'] = 'Bearer ' + token
        conn = http.client.HTTPConnection(self.addr[0], self.addr[1],
                                          timeout=60)
        try:
            if chunked:
                conn.putrequest(method, path)
                h['Transfer-Encoding'] = 'chunked'
                for k, v in h.items():
                    conn.putheader(k, v)
                conn.endheaders()
                for i in range(0, len(body), 4096):
                    part = body[i:i + 4096]
                    conn.send(b'%x\r\n%s\r\n' % (len(part), part))
                conn.send(b'0\r\n\r\n')
            else:
                conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def get_json(self, path, tenant=None, want=200):
        st, h, body = self.request('GET', path, tenant=tenant)
        eq(st, want, 'GET %s status (%r)' % (path, body[:300]))
        eq(h.get('content-type'), 'application/json', 'GET %s type' % path)
        return json.loads(body)

    def push(self, name_or_bytes, tenant=None):
        """POST /v1/modules; returns (status, headers, body)."""
        data = name_or_bytes if isinstance(name_or_bytes, bytes) else \
            wasm_bytes(name_or_bytes)
        return self.request('POST', '/v1/modules', body=data,
                            headers={'Content-Type': 'application/wasm'},
                            tenant=tenant)

    def register(self, name, tenant=None):
        """Pushes a module that must be admitted; returns its digest."""
        data = wasm_bytes(name)
        st, h, body = self.push(data, tenant)
        if st not in (200, 201):
            raise AssertionError('push %s: %d %r' % (name, st, body))
        d = digest_of(data)
        eq(json.loads(body), {'digest': d, 'size': len(data), 'kind': 'wasm'},
           'push body')
        return d

    def submit(self, module, tenant=None, input=None, args=None, env=None,
               timeout_ms=None, headers=None, raw=None, cpu_ms=None):
        """POST /v1/jobs; returns (status, headers, body bytes)."""
        if raw is None:
            spec = {'module': module}
            if input is not None:
                spec['input'] = b64(input)
            if args is not None:
                spec['args'] = args
            if env is not None:
                spec['env'] = env
            if timeout_ms is not None:
                spec['timeout_ms'] = timeout_ms
            if cpu_ms is not None:
                spec['cpu_ms'] = cpu_ms
            raw = json.dumps(spec).encode()
        h = {'Content-Type': 'application/json'}
        h.update(headers or {})
        return self.request('POST', '/v1/jobs', body=raw, headers=h,
                            tenant=tenant)

    def submit_ok(self, module, tenant=None, **kw):
        """Submits a job that must be accepted (202); returns its object."""
        st, h, body = self.submit(module, tenant=tenant, **kw)
        eq(st, 202, 'submit status (%r)' % body[:300])
        job = json.loads(body)
        eq(h.get('location'), '/v1/jobs/' + job['id'], 'Location')
        return job

    def job(self, jid, tenant=None):
        return self.get_json('/v1/jobs/' + jid, tenant)

    def wait_job(self, jid, pred, what, tenant=None, timeout=60):
        def check():
            j = self.job(jid, tenant)
            return j if pred(j) else None
        return wait_for(check, timeout, 'job %s %s' % (jid, what))

    def wait_terminal(self, jid, tenant=None, timeout=60):
        return self.wait_job(jid, lambda j: j['state'] in TERMINAL,
                             'to end', tenant, timeout)

    def wait_state(self, jid, state, tenant=None, timeout=60):
        return self.wait_job(jid, lambda j: j['state'] == state,
                             'to be ' + state, tenant, timeout)

    def output(self, jid, tenant=None, log=False):
        st, h, body = self.request('GET', '/v1/jobs/%s/%s' %
                                   (jid, 'log' if log else 'output'),
                                   tenant=tenant)
        eq(st, 200, 'output status (%r)' % body[:300])
        return body

    def list_all(self, tenant=None, state=None):
        jobs, token = [], None
        while True:
            q = '/v1/jobs?limit=500'
            if state:
                q += '&state=' + state
            if token:
                q += '&page_token=' + token
            page = self.get_json(q, tenant)
            jobs += page['jobs']
            token = page['next_page_token']
            if token is None:
                return jobs

    def metrics(self):
        st, h, body = self.request('GET', '/metrics', token=None)
        eq(st, 200, '/metrics status')
        return body

    # --------------------------------------------------------------- cli

    def kiln(self, *args, tenant=None, input=None, timeout=120):
        """Runs the kiln CLI with KILN_URL/KILN_TOKEN; CompletedProcess."""
        env = dict(os.environ)
        env['KILN_URL'] = 'http://%s:%d' % self.addr
        env['KILN_TOKEN'] = self.token(tenant)
        return subprocess.run([KILN] + list(args), input=input,
                              capture_output=True, env=env,
                              timeout=timeout)

    # ----------------------------------------------------------- journal

    def db(self):
        """The journal, read-only (call while kilnd runs or after stop)."""
        path = os.path.join(self.state, 'data', 'kiln.db')
        assert os.path.exists(path), path
        if self.proc is None:	# stopped: no -shm to share; read a copy
            copy = tempfile.mkdtemp(prefix='db-', dir=self.root)
            for suffix in ('', '-wal'):
                if os.path.exists(path + suffix):
                    shutil.copy(path + suffix, os.path.join(
                        copy, 'kiln.db' + suffix))
            path = os.path.join(copy, 'kiln.db')
            return sqlite3.connect(path)
        return sqlite3.connect('file:%s?mode=ro' % path, uri=True)

    def query(self, sql, params=()):
        """Rows of one SELECT on the journal, as tuples."""
        c = self.db()
        try:
            return [tuple(r) for r in c.execute(sql, params)]
        finally:
            c.close()

    def events(self, jid):
        """[(state, reason), ...] of the job, oldest first."""
        return self.query('SELECT state, reason FROM job_events WHERE '
                          'job_id = ? ORDER BY seq', (jid,))


# --------------------------------------------------------------- checks

def problem(resp, status, slug, detail=None):
    """Asserts an RFC 9457 answer of this status and type; its document."""
    st, h, body = resp
    eq(st, status, 'status (body %r)' % body[:300])
    eq(h.get('content-type'), 'application/problem+json', 'content type')
    doc = json.loads(body)
    eq(doc.get('type'), 'urn:kiln:problem:' + slug, 'problem type')
    eq(doc.get('status'), status, 'problem status')
    eq(sorted(doc), ['detail', 'status', 'title', 'type'], 'problem keys')
    if detail is not None:
        eq(doc['detail'], detail, 'problem detail')
    return doc


def check_job(job, **want):
    eq(set(job), JOB_KEYS, 'job object keys')
    for k, v in want.items():
        eq(job[k], v, 'job %s' % k)


def metric_values(text):
    """{'name{labels}': value} from Prometheus text (no HELP/TYPE)."""
    out = {}
    for line in text.decode().splitlines():
        if line and not line.startswith('#'):
            k, v = line.rsplit(' ', 1)
            out[k] = float(v)
    return out


# --------------------------------------------------------------- runner

def main(tests):
    """
    Runs the test_* functions of a module in order (or those named on the
    command line) and prints PASS / FAIL / SKIP for each.  Exit status: 1
    if any failed, 77 (meson's skip) if all were skipped, else 0.
    """
    names = [n for n in tests if n.startswith('test_') and
             callable(tests[n])]
    if len(sys.argv) > 1:
        names = [n for n in names if n in sys.argv[1:]]
    failed = skipped = 0
    for n in names:
        t0 = time.monotonic()
        print('=== %s' % n, flush=True)
        try:
            tests[n]()
        except Skip as e:
            skipped += 1
            print('SKIP %s: %s' % (n, e), flush=True)
            continue
        except Exception:
            failed += 1
            traceback.print_exc(file=sys.stdout)
            print('FAIL %s (%.1fs)' % (n, time.monotonic() - t0),
                  flush=True)
            continue
        print('PASS %s (%.1fs)' % (n, time.monotonic() - t0), flush=True)
    print('%d passed, %d failed, %d skipped' %
          (len(names) - failed - skipped, failed, skipped))
    if failed:
        sys.exit(1)
    sys.exit(SKIP_EXIT if skipped == len(names) and names else 0)
