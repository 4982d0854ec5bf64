#!/usr/bin/env python3
"""Job lifecycle benchmark: submit -> result latency (p50/p99) and
throughput of trivial jobs at concurrency 1 and 32, against a real kilnd,
printed next to the spawn time of `bwrap --unshare-all true` measured in the
same run (the baseline: one sandboxed process start).

usage: bench/lifecycle.py BUILD_DIR [JOBS]
"""
import base64, hashlib, http.client, json, os, shutil, signal, statistics
import subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 200


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def bwrap_spawn(n=50):
    if shutil.which("bwrap") is None:
        return None
    args = ["bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
            "true"]
    subprocess.run(args, check=True)
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(args, check=True)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


class Kilnd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kiln-bench-")
        os.chmod(self.dir, 0o755)  # the core runs as nobody
        conf = os.path.join(self.dir, "kiln.conf")
        self.token = os.urandom(32).hex()
        with open(conf, "w") as f:
            f.write("[kilnd]\nlisten = 127.0.0.1:0\nstate_dir = %s/state\n"
                    "global_queue_limit = 100000\n"
                    "[tenant bench]\ntoken_sha256 = %s\nqueue_limit = 100000\n"
                    "concurrency = 64\n" % (self.dir, hashlib.sha256(
                        self.token.encode()).hexdigest()))
            for i in range(32):
                f.write("[gpu g%d]\nmodel = H100-80GB\n" % i)
        self.proc = subprocess.Popen(
            [build + "/src/kilnd/kilnd", "--config", conf],
            stderr=open(os.path.join(self.dir, "log"), "w"))
        listen = os.path.join(self.dir, "state", "listen")
        deadline = time.time() + 20
        while True:
            if os.path.exists(listen):
                addr = open(listen).read().strip()
                if addr:
                    try:
                        if self.get("/readyz")[0] == 200:
                            break
                    except OSError:
                        pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                shutil.rmtree(self.dir, ignore_errors=True)
                raise SystemExit("kilnd did not start")
            time.sleep(0.01)

    @property
    def addr(self):
        return open(os.path.join(self.dir, "state", "listen")).read().strip()

    def request(self, method, path, body=None, ctype=None):
        host, port = self.addr.rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=60)
        h = {"Authorization": "Bearer " + self.token}
        if ctype:
            h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def get(self, path):
        return self.request("GET", path)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


def one_job(k, digest):
    t = time.perf_counter()
    st, body = k.request("POST", "/v1/jobs",
                         json.dumps({"module": digest}), "application/json")
    assert st == 202, (st, body)
    jid = json.loads(body)["id"]
    while True:
        st, body = k.get("/v1/jobs/" + jid)
        state = json.loads(body)["state"]
        if state in ("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED",
                     "REJECTED", "DEAD_LETTER"):
            assert state == "SUCCEEDED", body
            return time.perf_counter() - t
        time.sleep(0.0005)


def run(k, digest, conc, n):
    t = time.perf_counter()
    with ThreadPoolExecutor(conc) as ex:
        lat = list(ex.map(lambda _: one_job(k, digest), range(n)))
    return lat, n / (time.perf_counter() - t)


def main():
    wasm = open(build + "/sdk/tiny.wasm", "rb").read()
    bw = bwrap_spawn()
    k = Kilnd()
    try:
        st, body = k.request("POST", "/v1/modules", wasm, "application/wasm")
        assert st in (200, 201), body
        digest = json.loads(body)["digest"]
        run(k, digest, 4, 20)  # warm up
        print("trivial job lifecycle (submit -> SUCCEEDED seen by polling)")
        if bw:
            print("  baseline bwrap --unshare-all true: %.2f ms (median of 50)"
                  % (bw * 1e3))
        for conc in (1, 32):
            n = jobs if conc > 1 else max(50, jobs // 4)
            lat, tput = run(k, digest, conc, n)
            p50, p99 = pct(lat, 50), pct(lat, 99)
            line = ("  concurrency %2d: %4d jobs, %7.1f jobs/s, p50 %.2f ms, "
                    "p99 %.2f ms" % (conc, n, tput, p50 * 1e3, p99 * 1e3))
            if bw:
                line += ", p50 = %.2fx bwrap spawn" % (p50 / bw)
            print(line)
    finally:
        k.stop()


main()
