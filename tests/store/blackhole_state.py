"""Overrides and rotation (store/state.py) against a PostgreSQL that stops answering, as the daemon runs it.

Run as a program (`python -m tests.store.blackhole_state URL`), patched first for the same
reason as tests/store/blackhole_writer.py. It prints one JSON line for the test to judge.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402

from store.database import Store  # noqa: E402
from store.state import StoreState  # noqa: E402
from tests.store.outage import FlakyPostgres  # noqa: E402

BOUND = 1.0


def main(url: str) -> dict:
    database = FlakyPostgres(url)
    view = StoreState(Store.open(database.url, connect_timeout=2), refresh_interval=0.05, retry_max=0.2,
                      gather=0.01, timeout=BOUND).start()
    other = Store.open(url)                    # another node, its own way to the database
    database.blackhole()
    gevent.sleep(0.5)                          # the refresher's next read is swallowed
    view.set_override("anna.smirnova", "dnd", True)      # a feature code dialled here meanwhile
    database.up()
    other.set_override("ivan.petrov", "dnd", True)       # and one on the other node

    started = time.monotonic()
    result: dict = {"seen_after": None, "written_after": None}
    while time.monotonic() < started + 10 and None in result.values():
        if result["seen_after"] is None and view.dnd("ivan.petrov"):
            result["seen_after"] = round(time.monotonic() - started, 2)
        if result["written_after"] is None:
            overrides = other.read_runtime().overrides
            if "anna.smirnova" in overrides and overrides["anna.smirnova"].dnd:
                result["written_after"] = round(time.monotonic() - started, 2)
        gevent.sleep(0.05)
    view.stop(timeout=1)
    database.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
