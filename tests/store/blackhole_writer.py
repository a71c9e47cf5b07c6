"""The record writer against a PostgreSQL that stops answering, as the daemon runs it.

Run as a program (`python -m tests.store.blackhole_writer URL SPOOL_DIR`): the daemon
monkey-patches the standard library before anything else, and only then does psycopg
wait cooperatively (psycopg.waiting picks its wait function at import), so this runs
in a process of its own, patched first. It prints one JSON line for the test to judge.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from sqlalchemy import select  # noqa: E402

from store.database import Store  # noqa: E402
from store.tables import calls  # noqa: E402
from store.writer import RecordWriter  # noqa: E402
from tests.store.builders import record  # noqa: E402
from tests.store.outage import FlakyPostgres  # noqa: E402

WRITE_TIMEOUT = 1.0


def main(url: str, spool_dir: str) -> dict:
    database = FlakyPostgres(url)
    store = Store.open(database.url, connect_timeout=2)
    spool = Path(spool_dir) / "records.spool"
    writer = RecordWriter(store, spool, batch_size=4, retry_initial=0.05, retry_max=0.2, gather=0.01,
                          write_timeout=WRITE_TIMEOUT).start()
    writer.submit(record("before", 0))
    result: dict = {"flushed_before": writer.flush(timeout=10)}

    database.blackhole()
    started = time.monotonic()
    for i in range(5):
        writer.submit(record(f"during-{i}", i + 1))
    result["held_after"] = None
    deadline = started + 15
    while time.monotonic() < deadline:
        if spool.exists() and spool.read_bytes().count(b"\n") >= 5:
            result["held_after"] = round(time.monotonic() - started, 2)
            break
        gevent.sleep(0.05)

    database.up()
    writer.submit(record("after", 9))
    result["flushed_after"] = writer.flush(timeout=15)
    writer.stop(timeout=5)
    rejected = Path(f"{spool}.rejected")
    result["rejected"] = rejected.read_text().count("\n") if rejected.exists() else 0
    with Store.open(url).engine.connect() as conn:
        result["written"] = list(conn.scalars(select(calls.c.uuid).order_by(calls.c.id)))
    database.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
