"""Faults, counted (issue 13): calls through the simulator for a few minutes while faults
are injected, and what became of every call and of its record.

    .venv/bin/python bench/faults_bench.py [--minutes 3 | --seconds N] [--quick]
                                           [--rate 8] [--socket-mode sync|async]
                                           [--every S] [--outage S]

The daemon (bench/daemon_process.py: `callrouter run`'s App) serves a small generated
company with its store on PostgreSQL (127.0.0.1:5432, db `test`, a schema of its own,
dropped at the end) reached through tests/store/outage.py's proxy, its inbound ESL link
and its calls coming from the simulator (tests/fakeswitch) in this process.  Calls are
placed open loop at --rate per second; meanwhile, one after another, round robin:

- esl_cut         a few calls' outbound ESL connections closed mid-call;
- malformed_frame a frame with an unreadable Content-Length written on a few calls' sockets;
- db_down         the database refuses and cuts every connection for a few seconds;
- db_blackhole    the database swallows every packet (nothing refused, nothing answers);
- broken_reload   a broken config file written and SIGHUP sent, then the good file back
                  (on its own every --reload-every seconds, 5 by default; in the rotation with --quick);
- sigterm         SIGTERM with calls in progress, then the daemon started again on the same port;
- inbound_drop    the inbound ESL link cut (as a FreeSWITCH restart does).

Printed per fault: how often it was injected; the calls it exposed (the targeted ones for
esl_cut and malformed_frame, else every other call in progress or placed from the
injection until GRACE seconds after it was lifted: a call may count under two faults); of those, the calls affected (not routed to
their end: handed back to the dialplan, never connected…), the calls stranded (left
parked, in CS_RESET, or never ended), the call records lost (a call the daemon accepted
with no record in the store, compared by UUID) or duplicated (more than one row per UUID,
or a row for a call the simulator never placed), and the daemon's restarts (asked for, and
unasked: the process died).  A call that never reached the daemon (refused while it
restarted) is affected but has no record to lose: FreeSWITCH's dialplan takes it.

--quick: a few seconds (--seconds, default 3) with each fault once, outages of 0.5 s, and
the blackholed connections reset when the blackhole ends (a full run leaves them stuck,
as a proxy that swallowed their bytes would, for the daemon's own bounds to find).
The exit code is 1 when a call was stranded or a record lost or duplicated.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid as uuidlib  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Optional  # noqa: E402

import gevent  # noqa: E402
import gevent.lock  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from bench.company_gen import company_yaml  # noqa: E402
from bench.daemon_process import DEFAULT_AT  # noqa: E402
from bench.harness import BenchCompany, ServerProcess, table  # noqa: E402
from tests.fakeswitch import FakeSwitch  # noqa: E402
from tests.store.conftest import _libpq, postgres_base  # noqa: E402
from tests.store.outage import FlakyPostgres  # noqa: E402

FAULTS = ("esl_cut", "malformed_frame", "db_down", "db_blackhole", "broken_reload", "sigterm", "inbound_drop")
EMPLOYEES = 60
SCALE = 0.2                  # real seconds per sim second: a 1 s ring takes 0.2 s
TALK = 5.0                   # sim seconds each call talks once answered
GRACE = 2.0                  # real seconds after a fault is lifted during which calls still count as exposed
QUICK_GRACE = 0.3
TARGETED = 3                 # calls an esl_cut or malformed_frame hits
MALFORMED = b"Content-Type: text/event-plain\nContent-Length: 12x\n\n"
BROKEN_CONFIG = "company:\n  name: [unclosed\n"


@dataclass
class Injection:
    fault: str
    start: float                                  # time.monotonic()
    end: float                                    # when it was lifted (start for an instant fault)
    targets: Optional[set[str]] = None            # UUIDs hit, for faults aimed at calls

    def exposes(self, placed: float, ended: float, grace: float) -> bool:
        return placed <= self.end + grace and ended >= self.start


@dataclass
class Row:
    injected: int = 0
    exposed: set = field(default_factory=set)
    restarts: int = 0


class Daemon:
    """The daemon process, restarted on the same outbound port after a SIGTERM or a death."""

    def __init__(self, config: str, workdir: str, listen: str):
        self.config, self.workdir, self.listen = config, workdir, listen
        self.starts = 0
        self.unasked_restarts = 0
        self.process: Optional[ServerProcess] = None
        self.start()

    def start(self) -> None:
        self.starts += 1
        argv = harness.daemon_argv(self.config, os.path.join(self.workdir, f"samples-{self.starts}.json"),
                                   dt.datetime.fromisoformat(DEFAULT_AT)) + ["--listen", self.listen]
        self.process = ServerProcess("callrouter", argv, os.path.join(self.workdir, f"daemon-{self.starts}.log"))
        self.process.wait_ready()

    def alive(self) -> bool:
        return self.process.process.poll() is None

    def restart(self) -> None:
        self.process.stop()
        self.start()

    def revive(self) -> None:
        """Start it again after it died on its own (counted: the run fails)."""
        self.unasked_restarts += 1
        self.process.stop()
        self.start()


class Run:
    def __init__(self, args, workdir: str):
        self.args = args
        self.workdir = workdir
        self.rng = random.Random(13)
        self.injections: list[Injection] = []
        self.placed: list[tuple[object, float]] = []          # (SimCall, monotonic when placed)
        self.faults_done = False
        self.config_lock = gevent.lock.Semaphore()      # no restart while a broken file is in place
        self.db_schema = f"callrouter_faults_{uuidlib.uuid4().hex[:10]}"

    # -- setup -------------------------------------------------------------------------

    def setup(self) -> None:
        base, why = postgres_base()
        if base is None:
            raise SystemExit(f"the fault run needs PostgreSQL: {why}")
        self.libpq = _libpq(base)
        self._create_schema()
        self.pg = FlakyPostgres(base.update_query_dict({"options": f"-csearch_path={self.db_schema}"})
                                .render_as_string(hide_password=False))
        self.sim = FakeSwitch(password=harness.PASSWORD, scale=SCALE, keep_traffic=False,
                              socket_mode=self.args.socket_mode).start()
        self.config = os.path.join(self.workdir, "company.yaml")
        text = company_yaml(EMPLOYEES, max(1, EMPLOYEES // 20), numbers=EMPLOYEES // 10, seed=1)
        text += (f"daemon:\n  listen: 127.0.0.1:0\n  http: 127.0.0.1:0\n  drain_timeout: 15\n"
                 f"freeswitch:\n  host: {self.sim.inbound_address[0]}\n  port: {self.sim.inbound_address[1]}\n"
                 f"  password: {harness.PASSWORD}\n"
                 f"store:\n  url: \"{self.pg.url}\"\n  spool: {os.path.join(self.workdir, 'records.spool')}\n")
        with open(self.config, "w") as f:
            f.write(text)
        self.good_config = text
        company = BenchCompany._analyse(self.config, text, EMPLOYEES, max(1, EMPLOYEES // 20),
                                        dt.datetime.fromisoformat(DEFAULT_AT))
        harness.populate(self.sim, company.logins, company.mobiles)
        self.destinations = company.destinations(0.10)
        harness.timed("schema", self._upgrade)
        port = _free_port()
        self.address = ("127.0.0.1", port)
        self.daemon = harness.timed("daemon start", lambda: Daemon(self.config, self.workdir, f"127.0.0.1:{port}"))

    def _upgrade(self) -> None:
        from store.database import Store
        database = Store.open(self.pg.url, self.workdir)
        try:
            database.upgrade()
        finally:
            database.engine.dispose()

    def _create_schema(self) -> None:
        import psycopg
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.db_schema}"')

    def drop_schema(self) -> None:
        import psycopg
        if not hasattr(self, "libpq"):
            return
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.db_schema}" CASCADE')

    # -- traffic and faults --------------------------------------------------------------

    def traffic(self, until: float) -> None:
        i = 0
        start = time.monotonic()
        while True:
            due = start + i / self.args.rate
            if due >= until and self.faults_done:
                return
            gevent.sleep(max(0.0, due - time.monotonic()))
            call = self.sim.place_call(self.address, self.destinations[i % len(self.destinations)],
                                       caller=harness.EXTERNAL_CALLER.format(i), talk_time=TALK)
            self.placed.append((call, time.monotonic()))
            i += 1

    def faults(self, until: float) -> None:
        every = self.args.every
        rotation = [f for f in FAULTS if not (self.args.reload_every and f == "broken_reload")]
        n = 0
        while (n < len(rotation) if self.args.quick else time.monotonic() + every < until):
            gevent.sleep(every)
            with self.config_lock:
                if not self.daemon.alive():
                    self.daemon.revive()
            fault = rotation[n % len(rotation)]
            n += 1
            started = time.monotonic()
            targets = getattr(self, "_" + fault)()
            self.injections.append(Injection(fault, started, time.monotonic(), targets))
        self.faults_done = True

    def reloads(self, until: float) -> None:
        """A broken file and SIGHUP every --reload-every seconds, beside the other faults."""
        while time.monotonic() + self.args.reload_every < until:
            gevent.sleep(self.args.reload_every)
            started = time.monotonic()
            self._broken_reload()
            self.injections.append(Injection("broken_reload", started, time.monotonic()))

    def _hit(self, action) -> set[str]:
        """`action` on a few calls in progress: routed (a bridge sent), so the daemon knows each.

        A socket hit before its connect reply is read is a call the daemon never learned of:
        it has no record to write, and the count would call it lost."""
        sessions = [s for s in list(self.sim.sessions)
                    if not s.outbox.closed and not s.flow.call.done and s.flow.call.first_bridge_at is not None]
        chosen = self.rng.sample(sessions, min(TARGETED, len(sessions)))
        for session in chosen:
            action(session)
        return {session.flow.uuid for session in chosen}

    def _esl_cut(self) -> set[str]:
        return self._hit(lambda session: session.outbox.abort())

    def _malformed_frame(self) -> set[str]:
        return self._hit(lambda session: session.outbox.send(MALFORMED))

    def _db_down(self) -> None:
        self.pg.down()
        gevent.sleep(self.args.outage)
        self.pg.up()

    def _db_blackhole(self) -> None:
        self.pg.proxy.blackhole()
        gevent.sleep(self.args.outage)
        if self.args.quick:
            # Cheap: the link comes back by resetting what it swallowed, instead of leaving those
            # connections stuck until the daemon's own bounds (store/writer.py) give up on them.
            self.pg.proxy.down()
            for held in self.pg.proxy._held:
                held.close()
            self.pg.proxy._held.clear()
        self.pg.up()

    def _broken_reload(self) -> None:
        with self.config_lock:
            if not self.daemon.alive():
                return
            with open(self.config, "w") as f:
                f.write(BROKEN_CONFIG)
            self.daemon.process.signal(signal.SIGHUP)
            gevent.sleep(0.5)
            with open(self.config, "w") as f:
                f.write(self.good_config)
            self.daemon.process.signal(signal.SIGHUP)

    def _sigterm(self) -> None:
        with self.config_lock:
            self.daemon.restart()

    def _inbound_drop(self) -> None:
        self.sim.drop_inbound()

    # -- the count -------------------------------------------------------------------------

    def settle(self) -> None:
        """Every call ended (bounded), the database reachable, every record written, the daemon stopped."""
        harness.wait_all([call for call, _ in self.placed], 30 + (TALK + 30) * SCALE)
        self.pg.up()
        if not self.daemon.alive():
            self.daemon.revive()
        expected = {call.uuid for call, _ in self.placed if call.connected}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not expected <= set(self.stored()):
            gevent.sleep(0.5)
        self.daemon.process.stop()

    def stored(self) -> Counter:
        import psycopg
        with psycopg.connect(self.libpq) as conn:
            conn.execute(f'SET search_path TO "{self.db_schema}"')
            rows = conn.execute("SELECT uuid, count(*), max(outcome) FROM calls GROUP BY uuid").fetchall()
        self.outcomes = {uuid: outcome for uuid, _, outcome in rows}
        return Counter({uuid: count for uuid, count, _ in rows})

    def report(self, elapsed: float) -> int:
        stored = self.stored()
        placed_uuids = {call.uuid for call, _ in self.placed}
        strangers = sum(count for uuid, count in stored.items() if uuid not in placed_uuids)
        rows = {fault: Row() for fault in FAULTS}
        for injection in self.injections:
            row = rows[injection.fault]
            row.injected += 1
            if injection.fault == "sigterm":
                row.restarts += 1
        targeted = set().union(*(i.targets for i in self.injections if i.targets is not None))
        for call, placed in self.placed:
            ended = placed + self.sim.clock.real(call.ended_at - call.started_at) if call.ended_at else math.inf
            for injection in self.injections:
                if injection.targets is not None:
                    if call.uuid in injection.targets:
                        rows[injection.fault].exposed.add(call.uuid)
                elif call.uuid not in targeted and injection.exposes(placed, ended, self.args.grace):
                    rows[injection.fault].exposed.add(call.uuid)
        calls = {call.uuid: call for call, _ in self.placed}
        exposed_any = set().union(*(row.exposed for row in rows.values()))
        rows["(none)"] = Row(exposed=set(calls) - exposed_any)
        rows["all"] = Row(injected=len(self.injections), exposed=set(calls),
                          restarts=self.daemon.starts - 1)

        def counts(row: Row) -> list[str]:
            these = [calls[uuid] for uuid in row.exposed]
            affected = sum(1 for c in these if harness.lost(c) or not c.bridges
                           or self.outcomes.get(c.uuid) == "failed")
            unreached = sum(1 for c in these if not c.connected)
            stranded = sum(1 for c in these if c.parked or c.reset or not c.done)
            lost = sum(1 for c in these if c.connected and c.uuid not in stored)
            duplicated = sum(stored[c.uuid] - 1 for c in these if stored.get(c.uuid, 0) > 1)
            return [str(row.injected), str(len(these)), f"{affected} ({unreached})", str(stranded), str(lost),
                    str(duplicated), str(row.restarts)]

        body = [[name, *counts(row)] for name, row in rows.items()]
        print(table(["fault", "injected", "calls exposed", "affected (never reached)", "stranded",
                     "records lost", "duplicated", "restarts"], body))
        why = Counter(harness.lost(c) or ("no bridge" if not c.bridges else "routed") for c in calls.values())
        print(f"\n{len(calls)} calls in {elapsed:.0f} s ({self.args.socket_mode} socket), "
              f"{len(stored)} records; records for no placed call: {strangers}; "
              f"unasked daemon restarts: {self.daemon.unasked_restarts}; "
              f"B legs still up at the end: {len(self.sim.b_legs)}")
        print("outcomes: " + ", ".join(f"{k} {v}" for k, v in why.most_common()))
        wrong = Counter(next((name for name, row in rows.items() if c.uuid in row.exposed), "(none)")
                        for c in calls.values()
                        if c.answered_by and self.outcomes.get(c.uuid) not in (None, "answered"))
        print("answered in the simulator, recorded otherwise: "
              + (", ".join(f"{k} {v}" for k, v in wrong.most_common()) or "0"))
        total = rows["all"]
        these = [calls[uuid] for uuid in total.exposed]
        bad = (sum(1 for c in these if c.parked or c.reset or not c.done)
               + sum(1 for c in these if c.connected and c.uuid not in stored)
               + sum(count - 1 for count in stored.values()) + strangers + self.daemon.unasked_restarts + len(self.sim.b_legs))
        return 1 if bad else 0


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, help="the run's length in seconds (instead of --minutes)")
    parser.add_argument("--quick", action="store_true", help="a few seconds, each fault once")
    parser.add_argument("--rate", type=float, default=8.0, help="calls placed per second")
    parser.add_argument("--socket-mode", choices=("sync", "async"), default="sync")
    parser.add_argument("--reload-every", type=float, default=5.0,
                        help="seconds between broken reloads, beside the other faults (0: in their rotation)")
    parser.add_argument("--keep", help="a directory to keep the daemon's logs in")
    parser.add_argument("--every", type=float, help="seconds between two faults (default 0.7 with --quick, "
                                                    "else the run's length shared out, at most 6)")
    parser.add_argument("--outage", type=float, help="seconds a db_down or db_blackhole lasts "
                                                     "(default 0.5 with --quick, else 4)")
    args = parser.parse_args(argv)
    if args.quick:
        seconds = args.seconds or 3.0
        args.outage = args.outage or 0.5
        args.grace = QUICK_GRACE
        args.reload_every = 0.0
        args.every = args.every or 0.7
    else:
        seconds = args.seconds or args.minutes * 60
        args.outage = args.outage or 4.0
        args.grace = GRACE
        args.every = args.every or min(6.0, seconds / (len(FAULTS) + 1))
    with harness.workdir(args.keep) as workdir:
        run = Run(args, workdir)
        try:
            harness.timed("setup", run.setup)
            started = time.monotonic()
            until = started + seconds
            jobs = [gevent.spawn(run.traffic, until), gevent.spawn(run.faults, until)]
            if args.reload_every:
                jobs.append(gevent.spawn(run.reloads, until))
            gevent.joinall(jobs, raise_error=True)
            run.settle()
            return run.report(time.monotonic() - started)
        finally:
            if getattr(run, "daemon", None) is not None:
                run.daemon.process.stop()
            if getattr(run, "sim", None) is not None:
                run.sim.stop()
            if getattr(run, "pg", None) is not None:
                run.pg.close()
            run.drop_schema()


if __name__ == "__main__":
    sys.exit(main())
