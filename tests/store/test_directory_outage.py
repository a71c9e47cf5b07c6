"""The SIP directory in front of a real store: an outage is a 503, never "user not found".

mod_xml_curl takes a 200 "not found" as the answer (the phone's registration is
refused and it drops it); a non-200 makes FreeSWITCH try its other bindings and
log an error, the documented way to say "ask again later".
"""
from __future__ import annotations

import threading

import pytest

from daemon.directory import DIRECTORY_PATH, make_directory_handler
from daemon.http import HttpServer
from daemon.metrics import Metrics
from daemon.storage import DaemonStore
from store.database import Store
from tests.httpclient import request
from tests.store.builders import snapshot
from tests.store.conftest import FAST_HASHER, open_store

DOMAIN = "pbx.example.com"
COMPANY = snapshot([("ivan.petrov", "Иван Петров", "201")], domain=DOMAIN)


def sip_auth(user: str) -> bytes:
    return (f"hostname=fs1&section=directory&tag_name=domain&key_name=name&key_value={DOMAIN}"
            f"&action=sip_auth&sip_profile=internal&key=id&user={user}&domain={DOMAIN}&ip=192.0.2.10").encode()


@pytest.fixture
def directory(tmp_path):
    started = []

    def serve(store: Store):
        daemon_store = DaemonStore(COMPANY, Metrics(), open_store=lambda _snapshot: store)
        handler = make_directory_handler(lambda: COMPANY, lambda login: daemon_store.a1_for(login, DOMAIN))
        server = HttpServer(("127.0.0.1", 0), Metrics(), lambda: (True, ""), routes={DIRECTORY_PATH: handler})
        server.start()
        started.append((server, store))
        return server.address

    yield serve
    for server, store in started:
        server.stop()
        store.close()


def ask(address, user: str = "ivan.petrov"):
    return request(address, "POST", DIRECTORY_PATH, sip_auth(user),
                   {"Content-Type": "application/x-www-form-urlencoded"})


def broken_store(backend: str, tmp_path, unused_port: int) -> Store:
    """A store whose database really fails: a file that is not a database, a server not listening."""
    if backend == "sqlite":
        path = tmp_path / "store.sqlite3"
        path.write_bytes(b"this is not a SQLite database\n" * 200)
        return open_store(f"sqlite:///{path}")
    return open_store(f"postgresql+psycopg://callrouter@127.0.0.1:{unused_port}/test")


def test_registration_during_a_store_outage_is_a_503_not_an_unknown_user(directory, backend, tmp_path, unused_port):
    address = directory(broken_store(backend, tmp_path, unused_port))
    response = ask(address)
    assert response.status == 503
    assert b"a1-hash" not in response.body and b"not found" not in response.body


def test_a_working_store_still_serves_the_hash(directory, store):
    store.sync_directory(COMPANY)
    store.set_password("ivan.petrov", "Kq7vTz3mWp9xRb2n", DOMAIN)
    response = ask(directory(store))
    assert response.status == 200 and b"a1-hash" in response.body


class ThreadNoting(Store):
    """The real store, noting which thread each credential lookup ran in."""
    threads: list[int]

    def a1_for(self, login, domain):
        self.threads.append(threading.get_ident())
        return super().a1_for(login, domain)


def test_a_sqlite_lookup_runs_off_the_event_loop(directory, tmp_path, migrated_sqlite):
    import shutil
    shutil.copy(migrated_sqlite, tmp_path / "store.sqlite3")
    store = ThreadNoting(open_store(f"sqlite:///{tmp_path}/store.sqlite3").engine, hasher=FAST_HASHER)
    store.threads = []
    response = ask(directory(store))
    assert response.status == 200
    assert store.threads and threading.get_ident() not in store.threads
