"""Fixtures: the web app over a real store (SQLite and PostgreSQL), driven by Flask's test client.

Time is injected (a clock the test moves), argon2 runs with cheap settings, and the
"off the event loop" runner calls in place: these tests check behaviour, not timing.
"""
from __future__ import annotations

import datetime as dt

import pytest

from config.loader import load
from daemon.web.app import WebContext, create_app
from tests.store.conftest import (backend, metrics, migrated_postgres, migrated_sqlite, store,  # noqa: F401
                                  store_url)
from tests.web.company import COMPANY_YAML, PASSWORDS

NOW = dt.datetime(2024, 3, 4, 9, 30, tzinfo=dt.timezone.utc)       # a Monday, 12:30 in Moscow


class Clock:
    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Config:
    """The snapshot the app serves; `replace()` stands for a reload."""

    def __init__(self, snapshot):
        self.snapshot = snapshot

    def __call__(self):
        return self.snapshot


def run_here(fn, *args):
    return fn(*args)


@pytest.fixture
def company_file(tmp_path):
    path = tmp_path / "company.yaml"
    path.write_text(COMPANY_YAML, encoding="utf-8")
    return path


@pytest.fixture
def config(company_file):
    return Config(load(str(company_file)))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def web_store(store, config):          # noqa: F811
    for login, password in PASSWORDS.items():
        store.set_password(login, password, config.snapshot.company.domain)
    return store


@pytest.fixture
def ctx(web_store, config, clock):
    return WebContext(config=config, store=web_store, clock=clock, run_cpu=run_here)


@pytest.fixture
def app(ctx):
    app = create_app(ctx)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_client(app):
    return app.test_client


def api_sign_in(client, login: str, password: str | None = None, address: str = "10.0.0.1"):
    return client.post("/api/v1/session", json={"login": login, "password": password or PASSWORDS[login]},
                       environ_base={"REMOTE_ADDR": address})


def signed_in(client, login: str) -> str:
    """Sign `client` in as `login`; returns the CSRF token."""
    response = api_sign_in(client, login)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]
