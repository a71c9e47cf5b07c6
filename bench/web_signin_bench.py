"""Benchmark: other requests' latency while 10 sign-ins run at once (issue 10).

    .venv/bin/python bench/web_signin_bench.py [--backend sqlite|postgresql|both] [--seconds 20] [--signins 10]

Starts the real `callrouter web` process (its own config file and store, argon2 with
its production settings: 64 MiB, 3 passes), signs a viewer in, then measures
`GET /api/v1/me` and `GET /profile` back to back for --seconds: first alone (the
baseline), then while --signins clients sign in over and over, each as soon as its
previous attempt answered (right passwords, so nothing is throttled). The load and
the measuring client run in processes of their own, so the client's GIL is not in
the figures. Printed: p50 / p95 / p99 / max of the measured requests in both phases,
and sign-ins per second under load.

Target: p99 ≤ 50 ms under load.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PASSWORD = "Bench-Password-2026"
EMPLOYEES = 40


def company_yaml(store_url: str) -> str:
    people = "\n".join(f"  - {{name: Сотрудник {n}, login: user{n}, extension: {300 + n}}}" for n in range(EMPLOYEES))
    return (f"company: {{name: Bench, domain: pbx.bench.local}}\nemployees:\n{people}\n"
            f"store: {{url: '{store_url}', spool: records.spool}}\n"
            "web: {throttle: {login_free_failures: 1000, address_free_failures: 10000}}\n")


def prepare(home: Path, store_url: str) -> Path:
    from config.loader import load
    from store.database import Store
    config = home / "company.yaml"
    config.write_text(company_yaml(store_url), encoding="utf-8")
    snapshot = load(str(config))
    store = Store.for_snapshot(snapshot)                 # the production argon2 settings
    store.upgrade()
    for login in snapshot.by_login:
        store.set_password(login, PASSWORD, snapshot.company.domain)
    store.close()
    return config


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    return response.status, response.getheader("Set-Cookie"), data


def sign_in(conn, login) -> str:
    status, cookie, _ = request(conn, "POST", "/api/v1/session", {"login": login, "password": PASSWORD})
    assert status == 200, status
    return cookie.split(";", 1)[0]


def measure(port: int, seconds: float, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cookie = sign_in(conn, "user0")
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/api/v1/me", "/profile"):
            t0 = time.perf_counter()
            status, _, _ = request(conn, "GET", path, headers={"Cookie": cookie})
            samples.append(time.perf_counter() - t0)
            assert status == 200, (path, status)
        time.sleep(0.01)
    out.put(samples)


def load(port: int, clients: int, stop, counter) -> None:
    def one(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not stop.is_set():
            sign_in(conn, f"user{1 + (n % (EMPLOYEES - 1))}")
            with counter.get_lock():
                counter.value += 1
    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def percentiles(samples) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100)
    return f"n={len(ms)} p50={q[49]:.1f} p95={q[94]:.1f} p99={q[98]:.1f} max={ms[-1]:.1f} ms"


def run(backend: str, seconds: float, clients: int) -> None:
    from tests.web.browser import WebProcess
    home = Path(tempfile.mkdtemp(prefix="web-signin-bench-"))
    if backend == "sqlite":
        url, cleanup = "sqlite:///store.sqlite3", lambda: None
    else:
        from tests.store.conftest import _create_schema, _drop_schema, postgres_base
        base, reason = postgres_base()
        if base is None:
            print(f"postgresql: skipped ({reason})")
            return
        schema, url = _create_schema(base)
        cleanup = lambda: _drop_schema(base, schema)      # noqa: E731
    try:
        config = prepare(home, url)
        process = WebProcess(config, home / "web.log")
        try:
            process.wait_ready()
            ctx = multiprocessing.get_context("spawn")
            results = ctx.Queue()
            base_proc = ctx.Process(target=measure, args=(process.port, seconds, results))
            base_proc.start()
            baseline = results.get()
            base_proc.join()
            stop, counter = ctx.Event(), ctx.Value("i", 0)
            loader = ctx.Process(target=load, args=(process.port, clients, stop, counter))
            loader.start()
            time.sleep(2)                                  # let the sign-ins get going
            start_count, t0 = counter.value, time.monotonic()
            probe = ctx.Process(target=measure, args=(process.port, seconds, results))
            probe.start()
            loaded = results.get()
            probe.join()
            rate = (counter.value - start_count) / (time.monotonic() - t0)
            stop.set()
            loader.join()
        finally:
            process.stop()
        print(f"{backend}: alone            {percentiles(baseline)}")
        print(f"{backend}: {clients} sign-ins at once {percentiles(loaded)}; {rate:.1f} sign-ins/s")
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--signins", type=int, default=10)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        run(backend, args.seconds, args.signins)


if __name__ == "__main__":
    main()
