"""The inbound socket's hooks for tests and what it tells a presence listener."""
from __future__ import annotations

import json

import gevent
import pytest
from gevent import socket

from tests.fakeswitch import FakeSwitch
from tests.fakeswitch.clock import SimClock

from .rawpeer import RawPeer
from .scripted import ScriptedDaemon

DOMAIN = "pbx.romashka.local"


@pytest.fixture
def sim():
    switch = FakeSwitch(domain=DOMAIN, password="s3cret").start()
    yield switch
    switch.stop()


def login(sim, events: str | None = None, password: str = "s3cret") -> RawPeer:
    peer = RawPeer.connect(sim.inbound_address)
    assert peer.read().content_type == "auth/request"
    peer.command(f"auth {password}")
    assert peer.read().get("Reply-Text") == "+OK accepted"
    if events:
        peer.command(f"event {events}")
        assert peer.read().get("Reply-Text").startswith("+OK event listener enabled")
    return peer


def test_the_configured_password_is_required(sim):
    peer = RawPeer.connect(sim.inbound_address)
    peer.read()
    peer.command("auth ClueCon")
    assert peer.read().get("Reply-Text") == "-ERR invalid"
    assert peer.read().content_type == "text/disconnect-notice"
    assert peer.read(0.5) is None and peer.closed
    assert [entry.line for entry in sim.log] == ["auth ClueCon"]


def test_register_and_unregister_fire_sofia_events(sim):
    peer = login(sim, "plain CUSTOM sofia::register sofia::unregister sofia::expire")
    sim.employee("ivan.petrov", contacts=2)
    sim.unregister("ivan.petrov")
    sim.register("ivan.petrov")
    sim.unregister("ivan.petrov", expired=True)
    events = peer.drain(0.2)
    subclasses = [m.event_value("Event-Subclass") for m in events]
    assert subclasses == ["sofia::register"] * 2 + ["sofia::unregister"] * 2 + ["sofia::register"] * 2 \
        + ["sofia::expire"] * 2
    register = events[0]
    names = [name for name, _ in register.event]
    assert names[:2] == ["Event-Subclass", "Event-Name"]
    assert names[14:31] == ["profile-name", "from-user", "from-host", "presence-hosts", "contact", "call-id",
                            "rpid", "status", "expires", "to-user", "to-host", "network-ip", "network-port",
                            "username", "realm", "user-agent", "sip_number_alias"]
    assert register.event_value("from-user") == "ivan.petrov" and register.event_value("from-host") == DOMAIN
    assert register.event_value("contact") == '"ivan.petrov" <sip:ivan.petrov@127.0.0.1:5080>'
    assert b"Event-Subclass: sofia%3A%3Aregister\n" in register.body
    assert events[2].event_value("expires") == "0"
    assert events[6].event_value("user") == "ivan.petrov"


def test_custom_without_a_subclass_and_all(sim):
    bare = login(sim, "plain CUSTOM")
    everything = login(sim, "json ALL")
    sim.employee("ivan.petrov")
    assert bare.drain(0.2) == []
    (event,) = everything.drain(0.2)
    body = json.loads(event.body)
    assert body["Event-Subclass"] == "sofia::register" and body["Event-Name"] == "CUSTOM"


def test_sofia_contact_and_show_registrations(sim):
    sim.employee("ivan.petrov", contacts=2)
    sim.employee("anna", registered=False)
    peer = login(sim)
    peer.command(f"api sofia_contact */ivan.petrov@{DOMAIN}")
    assert peer.read().body == (b"sofia/internal/sip:ivan.petrov@127.0.0.1:5080,"
                                b"sofia/internal/sip:ivan.petrov@127.0.0.1:5081")
    peer.command(f"api sofia_contact anna@{DOMAIN}")
    assert peer.read().body == b"error/user_not_registered"
    peer.command("api show registrations")
    rows = peer.read().body.decode().split("\n")
    assert rows[1].startswith(f"ivan.petrov,{DOMAIN},") and rows[-2] == "1 total."
    peer.command("api show registrations as json")
    assert json.loads(peer.read().body)["row_count"] == 1


def test_drop_inbound_closes_without_goodbye(sim):
    peer = login(sim, "plain ALL")
    sim.drop_inbound()
    assert peer.read(1) is None and peer.closed
    assert login(sim)  # new connections are still accepted


def test_unavailable_inbound_refuses_connections_until_available_again(sim):
    address = sim.inbound_address
    sim.set_inbound_available(False)
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=1)
    sim.set_inbound_available(True)
    assert sim.inbound_address == address
    assert login(sim)


def test_a_client_that_never_reads_does_not_hold_calls_back(sim):
    """Events queue per listener: 100 calls complete while a subscriber reads nothing."""
    stalled = login(sim, "plain ALL")
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sim.employee("ivan.petrov", answer_after=0.5)
    daemon = ScriptedDaemon()
    calls = [sim.place_call(daemon.address, "201", talk_time=0.5) for _ in range(100)]

    def drive():
        session = daemon.accept()
        session.start()
        session.execute("set", "hangup_after_bridge=true")
        session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")

    drivers = [gevent.spawn(drive) for _ in calls]
    assert sim.wait_calls(10)
    gevent.joinall(drivers, timeout=1)
    assert all(call.answered_by == "ivan.petrov" for call in calls)
    daemon.stop()


def test_show_channels_lags_and_uuid_kill_ends_the_call():
    """The core database is written asynchronously: a new call shows up a little later."""
    now = [0.0]
    sim = FakeSwitch(domain=DOMAIN, password="s3cret", clock=SimClock(0.01, monotonic=lambda: now[0])).start()
    daemon = ScriptedDaemon()
    call = sim.place_call(daemon.address, "201", talk_time=None)
    daemon.accept().start()
    peer = login(sim)
    peer.command("api show channels")
    assert peer.read().body == b"\n0 total.\n"
    now[0] += 0.01  # one sim second
    peer.command("api show channels as json")
    (row,) = json.loads(peer.read().body)["rows"]
    assert row["uuid"] == call.uuid and row["application"] == "socket"
    peer.command(f"api uuid_exists {call.uuid}")
    assert peer.read().body == b"true"
    peer.command(f"api uuid_kill {call.uuid} CALL_REJECTED")
    assert peer.read().body == b"+OK\n"
    assert call.wait(1) and call.hangup_cause == "CALL_REJECTED"
    peer.command(f"api uuid_exists {call.uuid}")
    assert peer.read().body == b"false"
    daemon.stop()
    sim.stop()


def test_json_events_keep_freeswitchs_quirks(sim):
    """One line, string values, real arrays for ARRAY:: variables, Hangup-Cause twice."""
    peer = login(sim, "json CHANNEL_HANGUP_COMPLETE")
    daemon = ScriptedDaemon()
    call = sim.place_call(daemon.address, "201", caller_hangs_up_after=1)
    daemon.accept().start()
    assert call.wait(2)
    (event,) = [m for m in peer.drain(0.3) if m.event_name == "CHANNEL_HANGUP_COMPLETE"]
    assert b"\n" not in event.body
    pairs = json.loads(event.body, object_pairs_hook=lambda p: p)
    assert [key for key, _ in pairs].count("Hangup-Cause") == 2
    values = dict(pairs)
    assert values["variable_DP_MATCH"] == ["201", "201"]
    assert all(isinstance(value, str) for key, value in pairs if key != "variable_DP_MATCH")
    daemon.stop()


def test_event_sequence_numbers_increase_per_listener_except_the_b_legs_late_completion(sim):
    from tests.fakeswitch import Quirks

    reordering = FakeSwitch(domain=DOMAIN, quirks=Quirks(late_b_hangup_complete=True)).start()
    try:
        reordering.employee("ivan.petrov", answer_after=0.5)
        peer = login(reordering, "plain CHANNEL_HANGUP_COMPLETE", password="ClueCon")
        daemon = ScriptedDaemon()
        call = reordering.place_call(daemon.address, "201", talk_time=None)
        session = daemon.accept()
        session.start()
        session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
        session.wait_event("CHANNEL_BRIDGE")
        call.hangup()
        assert call.wait(2)
        a_complete, b_complete = peer.drain(0.3)
        assert a_complete.event_value("Unique-ID") == call.uuid
        assert int(b_complete.event_value("Event-Sequence")) < int(a_complete.event_value("Event-Sequence"))
        daemon.stop()
    finally:
        reordering.stop()


def test_sendmsg_on_the_inbound_socket_acts_on_a_call(sim):
    daemon = ScriptedDaemon()
    call = sim.place_call(daemon.address, "201", talk_time=None)
    daemon.accept().start()
    peer = login(sim)
    peer.command(f"sendmsg {call.uuid}\ncall-command: hangup\nhangup-cause: USER_BUSY")
    assert peer.read().get("Reply-Text") == "+OK"
    assert call.wait(1) and call.hangup_cause == "USER_BUSY"
    peer.command("sendmsg 00000000-0000-0000-0000-000000000000\ncall-command: hangup")
    assert peer.read().get("Reply-Text").startswith("-ERR invalid session id")
    daemon.stop()


def test_stopping_the_switch_closes_lingering_sessions():
    switch = FakeSwitch(domain=DOMAIN).start()
    daemon = ScriptedDaemon()
    call = switch.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start(linger="")
    call.hangup()
    session.wait_notice("linger")
    assert call.wait(1) and not session.peer.closed
    switch.stop()
    session.rest(0.3)
    assert session.peer.closed
    daemon.stop()
