"""The SQLite file holds every employee's SIP hash: owner-only, like the spool."""
from __future__ import annotations

import logging
import os
import stat

import pytest

from tests.store.conftest import open_store


@pytest.fixture(autouse=True)
def usual_umask():
    old = os.umask(0o022)           # what `callrouter employee add` runs under on a stock system
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_and_its_wal_files_are_owner_only(tmp_path):
    path = tmp_path / "var" / "callrouter.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.upgrade()
    with store.engine.connect():         # a connection open: the -wal and -shm files exist
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600
    store.close()


def test_an_existing_world_readable_store_is_tightened_with_a_warning(tmp_path, caplog):
    path = tmp_path / "callrouter.sqlite3"
    store = open_store(f"sqlite:///{path}")
    store.upgrade()
    store.close()
    for file in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(file):
            os.chmod(file, 0o644)

    with caplog.at_level(logging.WARNING):
        store = open_store(f"sqlite:///{path}")
        with store.engine.connect():
            assert mode(path) == 0o600
            for suffix in ("-wal", "-shm"):
                assert mode(f"{path}{suffix}") == 0o600
        store.close()
    assert any(str(path) in r.getMessage() and "0644" in r.getMessage() for r in caplog.records)
