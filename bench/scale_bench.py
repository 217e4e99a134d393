"""Scale-out benchmark (issue 14 "Measure"): one app server against two sharing
one PostgreSQL and one Redis, and what each request costs those two.

Setup: a registry of ``--households`` generated households imported into a
database of its own on the shared PostgreSQL, a private ``redis-server`` on a
free port (so its CPU and ``INFO commandstats`` are this run's alone), and
1 or 2 gunicorn servers (gthread, 2 workers x 4 threads each, same instance
directory = same keys, different ports), unpinned.

Per configuration and load, during the run, from ``/proc/<pid>/stat``:
CPU of the gunicorn processes, of this database's PostgreSQL backends and
of the redis-server, divided by the requests served; and Redis commands per
request from ``INFO commandstats`` deltas. Loads:

* lookups: wrk (32 connections per server, one wrk per server at once), the
  lookup POST rotating over 2,000 real (NIK, name) pairs (the POST only, as
  in bench/lookup_bench.py: wrk does not follow the redirect);
* submissions: ``--clients`` Python threads per server, each walking whole
  proposal journeys over HTTP (14 requests: the questions, one photo upload,
  the check page, the send, the confirmation).

On 2 shared cores a second server cannot add capacity: the figure that
carries over to a bigger machine is the CPU per request of each tier.

    .venv/bin/python bench/scale_bench.py --households 20000 --seconds 10
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.lookup_bench import free_port, lua_script, sample_people, wrk  # noqa: E402

OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")
UNLIMITED = {
    "PORTAL_LOOKUP_LIMIT_PER_IP": "1000000000 per hour",
    "PORTAL_LOOKUP_LIMIT_PER_NIK": "1000000000 per day",
    "PORTAL_LOOKUP_CEILING_PER_NIK": "1000000000 per day",
    "PORTAL_SUBMIT_LIMIT_PER_IP": "1000000000 per hour",
    "PORTAL_SUBMIT_PAGE_LIMIT_PER_IP": "1000000000 per hour",
    "PORTAL_UPLOAD_LIMIT_PER_IP": "1000000000 per hour",
    "PORTAL_UPLOAD_MB_PER_IP_PER_DAY": "1000000",
    "HCAPTCHA_FREE_SENDS": "1000000000",
    "HCAPTCHA_FREE_LOOKUPS": "1000000000",
}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


# -- CPU accounting ----------------------------------------------------------------
def ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def tree(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [pid, *(int(p) for p in out.stdout.split())]


def pg_backends(db: str) -> list[int]:
    out = subprocess.run(
        [
            "psql",
            "-Atq",
            PG_ADMIN,
            "-c",
            f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(p) for p in out.stdout.split()]


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True
    ).stdout


def redis_calls(port: int) -> int:
    return sum(int(n) for n in re.findall(r"calls=(\d+)", redis_cli(port, "INFO", "commandstats")))


class Meter:
    """CPU seconds of the app servers, the database's backends and Redis over a run."""

    def __init__(self, servers, db: str, redis: subprocess.Popen, redis_port: int) -> None:
        self.servers, self.db, self.redis, self.redis_port = servers, db, redis, redis_port

    def sample(self) -> dict:
        app = sum(ticks(p) for s in self.servers for p in tree(s.pid))
        pg = {p: ticks(p) for p in pg_backends(self.db)}
        return {
            "app": app,
            "pg": pg,
            "redis": ticks(self.redis.pid),
            "calls": redis_calls(self.redis_port),
        }

    @staticmethod
    def delta(a: dict, b: dict, requests: int) -> dict:
        pg = sum(t - a["pg"].get(p, 0) for p, t in b["pg"].items())
        per = 1000 / TICK / max(requests, 1)  # ms of CPU per request
        return {
            "app_ms": (b["app"] - a["app"]) * per,
            "pg_ms": pg * per,
            "redis_ms": (b["redis"] - a["redis"]) * per,
            "redis_cmds": (b["calls"] - a["calls"]) / max(requests, 1),
        }


# -- setup ---------------------------------------------------------------------------
def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True)


def prepare(households: int, db: str, instance: Path) -> tuple[dict, Path]:
    from bench.import_bench import generated_csv

    csv_path, _ = generated_csv(households, 7)
    psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {db}")
    psql(PG_ADMIN, f"CREATE DATABASE {db}")
    env = {
        **os.environ,
        **UNLIMITED,
        "PORTAL_ENV": "development",
        "PORTAL_INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{db}",
    }
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    for cmd in (
        ["db", "upgrade"],
        ["regions", "load"],
        ["dtsen", "import", str(csv_path), "--quiet"],
    ):
        subprocess.run([*flask, *cmd], env=env, check=True, cwd=ROOT, capture_output=True)
    return env, csv_path


def start_redis() -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            redis_cli(port, "PING")
            return proc, port
        except subprocess.CalledProcessError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_servers(env: dict, n: int, redis_port: int) -> list[tuple[subprocess.Popen, int]]:
    import urllib.request

    servers = []
    for _ in range(n):
        port = free_port()
        proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"), "app:app", "--bind", f"127.0.0.1:{port}",
                "--worker-class", "gthread", "--workers", "2", "--threads", "4",
                "--no-control-socket", "--log-level", "warning",
            ],
            env={**env, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"},
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        servers.append((proc, port))
    for _, port in servers:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
    return servers


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- loads -----------------------------------------------------------------------------
def lookups(servers, people, seconds: int) -> int:
    import urllib.request

    results, threads = [], []
    for _, port in servers:
        resp = urllib.request.urlopen(f"http://127.0.0.1:{port}/lookup")
        cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
        token = CSRF.search(resp.read().decode()).group(1)
        script = lua_script(people, cookie, token, None)
        script = script.rename(script.with_name(f"scale-{port}.lua"))

        def run(port=port, script=script):
            results.append(wrk(f"http://127.0.0.1:{port}/lookup", seconds, 32, script))

        threads.append(threading.Thread(target=run))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(sum(int(v) for v in r["status"].values()) for r in results), results


def photo(camera: bool) -> bytes:
    from PIL import Image

    size = (2000, 1500) if camera else (40, 30)
    img = Image.effect_noise(size, 40).convert("RGB") if camera else Image.new("RGB", size)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


class Http:
    """requests.Session with the test client's calling convention used below."""

    def __init__(self, base: str) -> None:
        import requests

        self.base, self.s = base, requests.Session()

    def get(self, path):
        return self.s.get(self.base + path)

    def post(self, path, form, files=None):
        return self.s.post(self.base + path, data=form, files=files, allow_redirects=False)


class InProcess:
    """Flask's test client with the same convention (for the per-request counts)."""

    def __init__(self, app) -> None:
        self.c = app.test_client()

    def get(self, path):
        return self.c.get(path)

    def post(self, path, form, files=None):
        if files:
            name, data, _ = files["file"]
            form = {**form, "file": (io.BytesIO(data), name)}
            return self.c.post(path, data=form, content_type="multipart/form-data")
        return self.c.post(path, data=form)


def journey(base, data: bytes) -> bool:
    """One proposal, as a browser without JavaScript sends it: over HTTP
    (``base`` a URL) or through a test client (``base`` an InProcess)."""
    s = Http(base) if isinstance(base, str) else base
    token = CSRF.search(s.get("/submit/proposal").text).group(1)

    def post(path, form, **kw):
        r = s.post(path, {"csrf_token": token, **form}, **kw)
        assert r.status_code in (302, 303), (path, r.status_code)
        return r

    post("/submit/proposal", {"subkind": "other_household"})
    post(
        "/submit/proposal/subject",
        {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5, RT 001/RW 002"},
    )
    village = os.environ["SCALE_VILLAGE"]
    levels = [village[:2], village[:5], village[:8], village]
    names = ("province", "regency", "district", "village")
    for depth in range(1, 5):
        post("/submit/proposal/village", dict(zip(names, levels[:depth], strict=False)))
    post("/submit/proposal/reasons", {"reason_codes": ["no_income"], "details": "Suami sakit."})
    post(
        "/submit/proposal/evidence",
        {"action": "upload", "doc_type": "house_front"},
        files={"file": ("photo.jpg", data, "image/jpeg")},
    )
    post("/submit/proposal/evidence", {"action": "continue"})
    post("/submit/proposal/contact", {"contact": ""})
    post("/submit/proposal/consent", {"consent": "y"})
    key = IDEMPOTENCY.search(s.get("/submit/proposal/check").text).group(1)
    r = post("/submit/proposal/check", {"idempotency_key": key})
    return s.get(r.headers["Location"]).status_code == 200


def submissions(servers, seconds: int, clients: int, data: bytes) -> tuple[int, int]:
    done, failed = [0], [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def run(base):
        while time.monotonic() < stop:
            try:
                ok = journey(base, data)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                ok = False
            with lock:
                (done if ok else failed)[0] += 1

    threads = [
        threading.Thread(target=run, args=(f"http://127.0.0.1:{port}",))
        for _, port in servers
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0], failed[0]


def in_process_counts(env: dict, redis_port: int, people, data: bytes, n: int = 200) -> None:
    """Database statements, Redis commands and CPU per whole lookup (POST and
    the result page it redirects to) and per submission, in this process."""
    os.environ.update({**env, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"})
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app()
    logging.disable(logging.INFO)  # the per-request log lines, not wanted on the terminal
    statements = [0]
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *a: statements.__setitem__(0, statements[0] + 1),
        )
    client = InProcess(app)
    token = CSRF.search(client.get("/lookup").text).group(1)

    def lookup(i, follow=True):
        nik, name = people[i % len(people)]
        r = client.c.post(
            "/lookup", data={"csrf_token": token, "nik": nik, "name": name}, follow_redirects=follow
        )
        assert r.status_code == (200 if follow else 303), r.status_code

    for what, step, count in (
        ("lookup POST alone (what wrk sends)", lambda i: lookup(i, follow=False), n),
        ("lookup (POST + result page)", lookup, n),
        ("submission (14 requests, one photo)", lambda i: journey(InProcess(app), data), n // 10),
    ):
        step(0)  # warm-up
        q0, r0, c0 = statements[0], redis_calls(redis_port), time.process_time()
        for i in range(1, count + 1):
            step(i)
        cpu = (time.process_time() - c0) / count * 1000
        print(
            f"in process, per {what}: {(statements[0] - q0) / count:.1f} SQL statements, "
            f"{(redis_calls(redis_port) - r0) / count:.1f} Redis commands, {cpu:.2f} ms CPU "
            f"(this process: the app and the test client; mean of {count})",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4, help="submission threads per server")
    ap.add_argument("--camera-photo", action="store_true", help="a 2000x1500 photo, not 40x30")
    ap.add_argument("--db", default="test_import_scale")
    args = ap.parse_args()
    from lokal import wilayah

    os.environ["SCALE_VILLAGE"] = sorted(wilayah._desa())[0]
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        env, csv_path = prepare(args.households, args.db, Path(tmp))
        people = sample_people(csv_path, 2000)
        data = photo(args.camera_photo)
        redis, redis_port = start_redis()
        try:
            in_process_counts(env, redis_port, people, data)
            for n in (1, 2):
                servers = start_servers(env, n, redis_port)
                meter = Meter([s for s, _ in servers], args.db, redis, redis_port)
                try:
                    lookups(servers, people, 2)  # warm-up: connections, caches
                    if n == 1:  # the same-run reference: the bare route's cost
                        a = meter.sample()
                        bare = wrk(f"http://127.0.0.1:{servers[0][1]}/healthz", args.seconds, 32)
                        served = int(bare["rps"] * args.seconds)
                        d = Meter.delta(a, meter.sample(), served)
                        print(
                            f"1 server bare /healthz: {bare['rps']:,.0f} req/s | CPU per request: "
                            f"app {d['app_ms']:.2f} ms",
                            flush=True,
                        )
                    a = meter.sample()
                    count, runs = lookups(servers, people, args.seconds)
                    d = Meter.delta(a, meter.sample(), count)
                    status = [r["status"] for r in runs]
                    p99 = max(r["p99_ms"] for r in runs)
                    print(
                        f"{n} server(s) lookups: {count / args.seconds:,.0f} req/s | CPU per "
                        f"lookup: app {d['app_ms']:.2f} ms, PostgreSQL {d['pg_ms']:.3f} ms, "
                        f"Redis {d['redis_ms']:.3f} ms | Redis commands/lookup "
                        f"{d['redis_cmds']:.2f} | p99 {p99:.0f} ms | status {status}",
                        flush=True,
                    )
                    a = meter.sample()
                    ok, failed = submissions(servers, args.seconds, args.clients, data)
                    d = Meter.delta(a, meter.sample(), ok)
                    print(
                        f"{n} server(s) submissions: {ok / args.seconds:,.1f}/s ({ok} sent, "
                        f"{failed} failed) | CPU per submission: app {d['app_ms']:.1f} ms, "
                        f"PostgreSQL {d['pg_ms']:.2f} ms, Redis {d['redis_ms']:.2f} ms | "
                        f"Redis commands/submission {d['redis_cmds']:.1f}",
                        flush=True,
                    )
                finally:
                    for proc, _ in servers:
                        stop(proc)
        finally:
            stop(redis)
            psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")


if __name__ == "__main__":
    main()
