"""A PostgreSQL that stops answering (packets dropped, not refused) must not hang the daemon.

Nothing is refused, so nothing fails on its own: the bounds are the libpq settings
(statement_timeout on the server, keepalives and tcp_user_timeout on the client side
of a real network), and the writer's own bound on a write.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from store.engine import KEEPALIVES, STATEMENT_TIMEOUT_MS, TCP_USER_TIMEOUT_MS
from tests.store.conftest import open_store

ROOT = Path(__file__).resolve().parents[2]


def test_postgres_connections_bound_statements_and_probe_the_link(request):
    url = request.getfixturevalue("migrated_postgres")
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == f"{STATEMENT_TIMEOUT_MS // 1000}s"
            assert "callrouter_test_" in conn.exec_driver_sql("SHOW search_path").scalar()   # the URL's options kept
            parameters = conn.connection.driver_connection.info.get_parameters()
        assert parameters["keepalives"] == "1"
        for name, value in KEEPALIVES.items():
            assert parameters[name] == str(value)
        assert parameters["tcp_user_timeout"] == str(TCP_USER_TIMEOUT_MS)
        assert parameters["connect_timeout"] == "2"
    finally:
        store.close()


def test_a_blackholed_database_delays_records_but_never_hangs_the_writer(request, tmp_path):
    url = request.getfixturevalue("migrated_postgres")
    with open_store(url).engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE calls RESTART IDENTITY CASCADE")
    run = subprocess.run([sys.executable, "-m", "tests.store.blackhole_writer", url, str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])

    assert result["flushed_before"]
    assert result["held_after"] is not None and result["held_after"] < 8, result     # spooled, not hung
    assert result["flushed_after"]
    assert result["written"] == ["before"] + [f"during-{i}" for i in range(5)] + ["after"]
    assert result["rejected"] == 0          # silence is an outage, never a reason to set a record aside
