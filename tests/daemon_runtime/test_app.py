"""The whole process in-process: wiring, readiness, reload, stop."""
from __future__ import annotations

import socket

import logging

import gevent
import gevent.socket
import pytest
from prometheus_client import CollectorRegistry

from daemon.app import App, parse_address
from tests.daemon_runtime.scripted_esl import ScriptedSwitch
from tests.httpclient import get
from tests.waiting import wait_until

CONFIG = """\
company:
  name: Example
  domain: example.com
employees:
  - name: Anna Smirnova
    extension: 201
{more}
daemon:
  listen: 127.0.0.1:0
  http: 127.0.0.1:0
  drain_timeout: {drain}
freeswitch:
  host: 127.0.0.1
  port: {port}
  password: {password}
"""
BORIS = "  - name: Boris Ivanov\n    extension: 202\n"


@pytest.fixture
def switch():
    with ScriptedSwitch(registrations=[("anna.smirnova@example.com", "<sip:anna@10.0.0.5>", "r1")]) as fake:
        yield fake


@pytest.fixture
def write_config(tmp_path, switch):
    path = tmp_path / "company.yaml"

    def write(more: str = "", password: str = "ClueCon", drain: int = 1) -> str:
        path.write_text(CONFIG.format(more=more, port=switch.port, password=password, drain=drain))
        return str(path)
    return write


@pytest.fixture
def app(write_config):
    app = App(write_config(), registry=CollectorRegistry(), watch_interval=3600)
    app.start()
    yield app
    app.stop()


def connect(address) -> socket.socket:
    return socket.create_connection(address[:2], timeout=1)


def test_ready_when_freeswitch_is_connected(app):
    wait_until(lambda: app.presence.connected)
    assert get(app.http.address, "/readyz")[::2] == (200, b"ready\n")
    assert app.presence.is_registered("anna.smirnova") and not app.presence.is_registered("boris.ivanov")


def test_not_ready_while_freeswitch_is_away(app, switch):
    wait_until(lambda: app.presence.connected)
    switch.drop()
    wait_until(lambda: not app.presence.connected)
    status, _, body = get(app.http.address, "/readyz")
    assert (status, body) == (503, b"inbound ESL to FreeSWITCH not connected\n")


def test_metrics_are_served(app):
    wait_until(lambda: app.presence.connected)
    body = get(app.http.address, "/metrics")[2]
    assert b"callrouter_esl_connected 1.0" in body


def test_the_outbound_port_accepts_connections(app):
    connect(app.outbound.address).close()


def test_reload_serves_new_calls_from_the_new_file(app, write_config):
    write_config(more=BORIS)
    assert app.reload() is True
    assert "boris.ivanov" in app.snapshot.by_login


def test_a_new_freeswitch_password_reconnects_the_inbound_link(app, write_config, switch):
    wait_until(lambda: app.presence.connected)
    switch.password = "N3w-secret"
    write_config(password="N3w-secret")
    assert app.reload() is True
    wait_until(lambda: switch.connections == 2 and app.presence.connected)
    assert switch.commands.count("auth N3w-secret") == 1


def test_serve_forever_returns_0_when_asked_to_stop(write_config):
    app = App(write_config(), registry=CollectorRegistry(), watch_interval=3600)
    runner = gevent.spawn(app.serve_forever)
    wait_until(lambda: app.presence.connected)
    http, outbound = app.http.address, app.outbound.address
    app.request_stop()
    assert runner.get(timeout=5) == 0
    for address in (http, outbound):
        with pytest.raises(OSError):
            connect(address)


def test_parse_address():
    assert parse_address("127.0.0.1:8084") == ("127.0.0.1", 8084)
    assert parse_address("[::1]:9464") == ("::1", 9464)
    with pytest.raises(ValueError):
        parse_address("localhost")


def call_in_progress(app: App) -> gevent.socket.socket:
    """FreeSWITCH's socket app connected for a call that has not ended yet."""
    peer = gevent.socket.create_connection(app.outbound.address[:2])
    wait_until(lambda: app.outbound.active == 1)
    return peer


def test_stop_waits_for_calls_in_progress(write_config):
    app = App(write_config(drain=30), registry=CollectorRegistry(), watch_interval=3600)
    app.start()
    peer = call_in_progress(app)
    stopping = gevent.spawn(app.stop)
    wait_until(lambda: get(app.http.address, "/readyz")[::2] == (503, b"draining: not taking new calls\n"))
    assert not stopping.ready()                                  # still waiting for the call
    with pytest.raises(OSError):
        connect(app.outbound.address)                            # new calls go to the dialplan fallback
    peer.close()                                                 # the call ends
    assert stopping.get(timeout=2) == 0


def test_calls_still_up_after_drain_timeout_are_cut_and_counted(write_config, caplog):
    app = App(write_config(drain=0), registry=CollectorRegistry(), watch_interval=3600)
    app.start()
    peer = call_in_progress(app)
    with caplog.at_level(logging.INFO, logger="daemon.app"):
        assert app.stop() == 1
    assert "stopped: 1 call(s) still in progress were cut" in caplog.text
    peer.close()


def test_asking_twice_to_stop_cuts_the_drain_short(write_config):
    app = App(write_config(drain=30), registry=CollectorRegistry(), watch_interval=3600)
    runner = gevent.spawn(app.serve_forever)
    wait_until(lambda: app.presence.connected)
    peer = call_in_progress(app)
    app.request_stop()
    wait_until(lambda: app.readiness()[1].startswith("draining"))
    app.request_stop()                                           # a second Ctrl-C
    assert runner.get(timeout=2) == 0
    assert app.outbound.active == 0
    peer.close()
