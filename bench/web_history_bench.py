"""Benchmark of «Личный кабинет»'s history queries on 1,000,000 call records (issue 10).

    .venv/bin/python bench/web_history_bench.py [--calls 1000000] [--backend sqlite|postgresql|both]
                                               [--runs 3] [--reps 30] [--months 12] [--fresh]

A company from bench/company_gen.py (10,000 employees, 500 departments; --employees,
--departments) and --calls call records spread over --months months before
2026-12-01 (80 % in office hours): 45 % external calls to a department (a quarter of
the unanswered ones forwarded to a second department), 25 % external calls to an
employee, 25 % internal calls, 5 % calls out; 20,000 external numbers. The records
go through the store's own derivation (store/history_facts.py, store/rollups.py:
what the writer uses) and are bulk-loaded (executemany on SQLite, COPY on PostgreSQL); the database
is kept (/tmp on SQLite, a schema on PostgreSQL) and reused by the next invocation
with the same --calls unless --fresh. SQLite is measured without ANALYZE, as a
daemon's store would be; PostgreSQL after VACUUM ANALYZE, as autovacuum leaves it.

Timed, --reps times per run, each query through the store's functions (the web's
path), for three viewers: the admin (the whole company, internal calls included),
a department head (a different department each time) and a restricted user
(«Мои звонки»):
- the first history page (50 rows, no filter);
- a number search (a number that called, spelled `8 (916) 123-45-67`);
- a month's statistics (November 2026 in Moscow time).
Printed: p50 / p95 / max per run, and the p95s min / median / max over the runs.
Targets (admin): first page ≤ 100 ms p95, number search ≤ 200 ms, statistics ≤ 500 ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

from sqlalchemy import func, select, text  # noqa: E402

from company_gen import company_yaml  # noqa: E402
from config.loader import load_text  # noqa: E402
from config.snapshot import Snapshot  # noqa: E402
from config.access import scope_for  # noqa: E402
from store import callbacks, history_facts, rollups  # noqa: E402
from store.database import Store  # noqa: E402
from store.engine import without_statement_timeout  # noqa: E402
from store.history import CallFilter, list_calls  # noqa: E402
from store.records import CallRecord, LegRecord, StepRecord  # noqa: E402
from store.stats import call_stats  # noqa: E402
from store.tables import call_legs, call_parties, call_rollups, call_steps, calls  # noqa: E402

MOSCOW = ZoneInfo("Europe/Moscow")
END = dt.datetime(2026, 12, 1, tzinfo=MOSCOW)
MONTH = (dt.datetime(2026, 11, 1, tzinfo=MOSCOW), END)
PG_BASE = os.environ.get("CALLROUTER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NUMBERS = 20_000           # distinct external numbers (repeat callers)
CHUNK = 20_000
TARGETS = {"first page": 100, "number search": 200, "month's statistics": 500}


# --------------------------------------------------------------------------- the company

def build_company(employees: int, departments: int) -> Snapshot:
    snapshot = load_text(company_yaml(employees, departments, numbers=min(1000, employees)), "<bench>")
    people = list(snapshot.file.employees)
    people[0] = people[0].model_copy(update={"role": "admin"})          # the generator makes no admin
    return Snapshot.build(snapshot.file.model_copy(update={"employees": tuple(people)}), "<bench>")


class People:
    def __init__(self, snapshot: Snapshot):
        self.logins = [e.login for e in snapshot.file.employees]
        self.extension = {e.login: e.extension for e in snapshot.file.employees}
        self.department = {e.login: e.department for e in snapshot.file.employees}
        self.departments = [d.name for d in snapshot.file.departments if d.members]
        self.members = {d.name: list(d.members) for d in snapshot.file.departments}


def spelled(digits: str, rng: random.Random) -> str:
    """An external caller ID as trunks send it: mostly +7…, some 8… or 7…."""
    x = rng.random()
    return "+" + digits if x < 0.7 else ("8" + digits[1:] if x < 0.9 else digits)


# --------------------------------------------------------------------------- the calls

def moments(n: int, months: int, rng: random.Random) -> list[dt.datetime]:
    start = END - dt.timedelta(days=30.5 * months)
    days = (END - start).days
    out = []
    for _ in range(n):
        day = start + dt.timedelta(days=rng.randrange(days))
        if rng.random() < 0.8:
            seconds = rng.uniform(9 * 3600, 18 * 3600)
        else:
            seconds = rng.uniform(0, 24 * 3600)
        out.append((day + dt.timedelta(seconds=seconds)).astimezone(dt.timezone.utc))
    out.sort()
    return out


def ring(target: str, logins, at: dt.datetime, answered_by: str, seconds: int) -> StepRecord:
    legs = [LegRecord("office", login, f"[leg_timeout=20]user/{login}@romashka.ru", 0, 20) for login in logins]
    return StepRecord("ring", target, "department" if target.startswith("department:") else "direct", at,
                      at + dt.timedelta(seconds=seconds), [*legs], "SUCCESS" if answered_by else "NO_ANSWER",
                      answered_by)


def make_call(i: int, started: dt.datetime, people: People, numbers: list[str], rng: random.Random) -> CallRecord:
    x = rng.random()
    external = "7916" + numbers[rng.randrange(len(numbers))]
    direction, caller, called = "inbound", spelled(external, rng), "+74951230000"
    steps: list[StepRecord] = []
    at = started
    if x < 0.95:
        if x < 0.45:
            department = rng.choice(people.departments)
            queue = [("department:" + department, rng.sample(people.members[department],
                                                             min(3, len(people.members[department]))))]
            if rng.random() < 0.25:
                other = rng.choice(people.departments)
                queue.append(("department:" + other, people.members[other][:3]))
        else:
            login = rng.choice(people.logins)
            queue = [("employee:" + login, [login])]
            if x >= 0.70:
                direction, caller = "internal", people.extension[rng.choice(people.logins)]
                called = people.extension[login]
        for target, rung in queue:
            seconds = rng.randint(3, 30)
            answered_by = rng.choice(rung) if rung and rng.random() < 0.7 else ""
            steps.append(ring(target, rung, at, answered_by, seconds))
            at += dt.timedelta(seconds=seconds)
            if answered_by:
                break
    else:
        direction, caller = "outbound", people.extension[rng.choice(people.logins)]
        called = spelled(external, rng)
    answered_by = next((s.answered_by for s in steps if s.answered_by), "")
    if direction == "outbound" and rng.random() < 0.6:
        answered_by = "+" + external
    answered = at if answered_by else None
    ended = (answered + dt.timedelta(seconds=rng.randint(10, 600))) if answered else at + dt.timedelta(seconds=1)
    outcome = "answered" if answered_by else rng.choice(("voicemail", "abandoned", "busy"))
    return CallRecord(f"bench-{i:08d}", started, caller, "Клиент" if direction == "inbound" else "", called,
                      direction, steps[0].target if steps else "", "working", outcome, answered, ended,
                      answered_by if direction != "outbound" else "", "NORMAL_CLEARING", None, "node-a", steps)


def rows_for(records: list[CallRecord], first_id: int, step_id: int, leg_id: int, people: People):
    call_rows, step_rows, leg_rows, party_rows = [], [], [], []
    by_extension = {ext: login for login, ext in people.extension.items()}
    for n, r in enumerate(records):
        id_ = first_id + n
        caller_login = by_extension.get(r.caller, "") if r.direction != "inbound" else ""
        call_rows.append({"id": id_, "uuid": r.uuid, "started": r.started, "answered": r.answered, "ended": r.ended,
                          "caller": r.caller, "caller_name": r.caller_name, "called": r.called,
                          "direction": r.direction, "target": r.target, "reason": r.reason, "outcome": r.outcome,
                          "answered_by": r.answered_by, "hangup_cause": r.hangup_cause, "recording": r.recording,
                          "node": r.node, **history_facts.call_columns(r, caller_login)})
        for seq, s in enumerate(r.steps):
            step_rows.append({"id": step_id, "call_id": id_, "seq": seq, "action": s.action, "target": s.target,
                              "reason": s.reason, "started": s.started, "ended": s.ended,
                              "disposition": s.disposition, "answered_by": s.answered_by})
            for k, leg in enumerate(s.legs):
                leg_rows.append({"id": leg_id, "step_id": step_id, "seq": k, "device": leg.device, "login": leg.login,
                                 "dial": leg.dial, "delay": leg.delay, "timeout": leg.timeout})
                leg_id += 1
            step_id += 1
        party_rows += history_facts.party_rows(id_, r, caller_login)
    return (call_rows, step_rows, leg_rows, party_rows), step_id, leg_id


class Rollups:
    """The writer's rollups (store.rollups.rows_for) of the calls so far, written once a
    period is over: calls come in time order, so nothing is upserted twice."""
    STEP = {"h": lambda p: p + dt.timedelta(hours=1), "d": lambda p: p + dt.timedelta(days=1),
            "m": rollups.next_month}

    def __init__(self):
        self.pending: dict[tuple, rollups.Agg] = {}

    def add(self, calls_rows, party_rows) -> None:
        for key, agg in rollups.rows_for(calls_rows, party_rows).items():
            if key in self.pending:
                self.pending[key].add(agg)
            else:
                self.pending[key] = agg

    def done(self, before=None) -> list[dict]:
        """Rows of the periods over by `before` (all of them without it), taken out."""
        keys = [k for k in self.pending if before is None or self.STEP[k[0]](k[1]) <= before]
        out = []
        for key in keys:
            agg = self.pending.pop(key)
            level, period, party, external = key
            out.append({"level": level, "period": period, "party": party, "external": external,
                        "received": agg.received, "answered": agg.answered, "missed": agg.missed,
                        "wait_sum": agg.wait_sum, "talk_sum": agg.talk_sum,
                        **{f"w{i}": n for i, n in enumerate(agg.hist)}})
        return out


def load(store: Store, people: People, n: int, months: int, seed: int) -> float:
    rng = random.Random(seed)
    numbers = [f"{rng.randrange(10 ** 7):07d}" for _ in range(NUMBERS)]
    times = moments(n, months, rng)
    began = time.perf_counter()
    step_id = leg_id = 1
    tables = (calls, call_steps, call_legs, call_parties, call_rollups)
    pending = Rollups()
    for start in range(0, n, CHUNK):
        records = [make_call(start + k, t, people, numbers, rng) for k, t in enumerate(times[start:start + CHUNK])]
        batches, step_id, leg_id = rows_for(records, start + 1, step_id, leg_id, people)
        pending.add(batches[0], batches[3])
        last = start + len(records) >= n
        batches += (pending.done(None if last else records[-1].started),)
        if store.is_sqlite:
            sqlite_rows(store, tables, batches)
        else:
            copy_rows(store, tables, batches)
        print(f"\r  {start + len(records):,} calls loaded ({time.perf_counter() - began:.0f} s)", end="",
              file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with store.engine.begin() as conn:
        without_statement_timeout(conn)
        callbacks.mark_all(conn)
    if not store.is_sqlite:
        with store.engine.begin() as conn:
            for table in ("calls", "call_steps", "call_legs"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))      # what autovacuum leaves: visibility map, statistics
    return time.perf_counter() - began


def _sqlite_text(t: dt.datetime) -> str:
    """What SQLAlchemy's SQLite dialect stores for store.tables.UTCDateTime: naive UTC text
    with microseconds (the bench's times are UTC already)."""
    s = str(t)
    return s[:19] + (s[19:26] if t.microsecond else ".000000")


def _converters(table, columns):
    out = []
    for name in columns:
        kind = type(table.c[name].type).__name__
        out.append(_sqlite_text if kind == "UTCDateTime" else int if kind == "Boolean" else None)
    return out


def sqlite_rows(store: Store, tables, batches) -> None:
    """executemany on the driver: SQLAlchemy's per-value processing would double the load time."""
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        for table, rows in zip(tables, batches):
            if rows:
                columns = list(rows[0])
                convert = _converters(table, columns)
                values = [[v if f is None or v is None else f(v) for f, v in zip(convert, row.values())]
                          for row in rows]
                cur.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                                f"({', '.join('?' for _ in columns)})", values)
        cur.execute("COMMIT")
    finally:
        raw.close()


def copy_rows(store: Store, tables, batches) -> None:
    raw = store.engine.raw_connection()
    try:
        with raw.cursor() as cur:
            for table, rows in zip(tables, batches):
                if not rows:
                    continue
                columns = list(rows[0])
                with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def open_database(backend: str, n: int, fresh: bool, directory: str = "") -> tuple[Store, bool]:
    """The benchmark's store and whether it already holds the n calls."""
    if backend == "sqlite":
        path = Path(directory or tempfile.gettempdir()) / f"callrouter-history-bench-{n}.sqlite3"
        if fresh and path.exists():
            path.unlink()
        store = Store.open(f"sqlite:///{path}", busy_timeout=30)
    else:
        import psycopg
        from sqlalchemy.engine import make_url
        base = make_url(PG_BASE)
        schema = f"callrouter_history_bench_{n}"
        with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as conn:
            if fresh:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        store = Store.open(url)
    store.upgrade()
    with store.engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(calls)).scalar_one()
    if have not in (0, n):
        raise SystemExit(f"the {backend} benchmark database holds {have} calls, not {n}: run with --fresh")
    return store, have == n


# --------------------------------------------------------------------------- the queries

def viewers(snapshot: Snapshot, rng: random.Random):
    heads = [e.login for e in snapshot.file.employees if e.role == "department_head" and e.scope == "department"
             and e.department]
    restricted = [e.login for e in snapshot.file.employees if e.role == "restricted_user"]
    admin = snapshot.file.employees[0].login
    return {"admin": lambda: admin, "department head": lambda: rng.choice(heads),
            "restricted user": lambda: rng.choice(restricted)}


def search_number(store: Store, scope, rng: random.Random) -> str:
    """A number that called someone the viewer can see (from their first page), else any caller's."""
    rows, _ = list_calls(store, scope, CallFilter(direction="inbound"), limit=50)
    if rows:
        number = rng.choice(rows).caller
    else:
        with store.engine.connect() as conn:
            number = conn.execute(select(calls.c.caller).where(calls.c.direction == "inbound",
                                                               calls.c.id >= rng.randrange(1000))
                                  .order_by(calls.c.id).limit(1)).scalar_one()
    d = history_facts.number_digits(number)
    return f"8 ({d[1:4]}) {d[4:7]}-{d[7:9]}-{d[9:]}"


QUERIES = {
    "first page": lambda store, scope, number: list_calls(store, scope, CallFilter(), limit=50),
    "number search": lambda store, scope, number: list_calls(store, scope, CallFilter(number=number), limit=50),
    "month's statistics": lambda store, scope, number: call_stats(store, scope, *MONTH, MOSCOW),
}


def measure(store: Store, snapshot: Snapshot, query: str, viewer: str, reps: int, rng: random.Random) -> list[float]:
    who = viewers(snapshot, rng)[viewer]
    run = QUERIES[query]
    times = []
    for _ in range(reps):
        scope = scope_for(who(), snapshot)
        number = search_number(store, scope, rng) if query == "number search" else None
        began = time.perf_counter()
        run(store, scope, number)
        times.append((time.perf_counter() - began) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def bench(backend: str, snapshot: Snapshot, args) -> None:
    store, ready = open_database(backend, args.calls, args.fresh, args.dir)
    try:
        if not ready:
            print(f"{backend}: generating {args.calls:,} calls over {args.months} months …", file=sys.stderr)
            seconds = load(store, People(snapshot), args.calls, args.months, args.seed)
            print(f"{backend}: loaded {args.calls:,} calls in {seconds:.1f} s")
        with store.engine.connect() as conn:
            in_month = conn.execute(select(func.count()).select_from(calls).where(
                calls.c.started >= MONTH[0], calls.c.started < MONTH[1])).scalar_one()
        print(f"{backend}: {args.calls:,} calls, {in_month:,} of them in November 2026")
        rng = random.Random(args.seed)
        for query in QUERIES:
            for viewer in ("admin", "department head", "restricted user"):
                p95s = []
                line = f"{backend:10} {query:19} {viewer:16}"
                measure(store, snapshot, query, viewer, 2, rng)        # warm the caches and the pool
                for _ in range(args.runs):
                    times = measure(store, snapshot, query, viewer, args.reps, rng)
                    p95s.append(p95(times))
                    line += f"  {statistics.median(times):6.1f}/{p95(times):6.1f}/{max(times):6.1f}"
                target = TARGETS[query] if viewer == "admin" else None
                verdict = "" if target is None else (" ok" if statistics.median(p95s) <= target else " OVER")
                print(f"{line}   p95 min/med/max {min(p95s):.1f}/{statistics.median(p95s):.1f}/{max(p95s):.1f} ms"
                      f"{'' if target is None else f' (target {target})'}{verdict}", flush=True)
    finally:
        store.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=500)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="generate the calls again")
    parser.add_argument("--dir", default="", help="where the SQLite database is kept [the temporary directory]")
    args = parser.parse_args(argv)
    snapshot = build_company(args.employees, args.departments)
    gc.collect()
    gc.freeze()             # as the daemon does after a load (daemon/heap.py): the company is not garbage
    print("per run: p50/p95/max ms")
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        bench(backend, snapshot, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
