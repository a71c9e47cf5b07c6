"""The inbound ESL supervisor against a scripted event socket over loopback.

Backoff sleeps are recorded and scaled down 1000 times, so a 30 s wait lasts 30 ms.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import gevent
import pytest
from gevent.event import Event

from config.models import FreeswitchSettings
from daemon.inbound import InboundSupervisor
from daemon.inbound_events import SUBSCRIPTION
from daemon.metrics import Metrics
from daemon.presence import PresenceView
from tests.daemon_runtime.scripted_esl import ScriptedSwitch
from tests.ports import refused_port
from tests.waiting import wait_until

DOMAIN = "example.com"
ANNA_DESK = ("anna@example.com", '"" <sip:anna@10.0.0.5:5060>', "reg-anna-1")
ANNA_SOFT = ("anna@example.com", '"" <sip:anna@10.0.0.6:5060;transport=tcp>', "reg-anna-2")
BORIS = ("boris@example.com", '"" <sip:boris@10.0.0.7:5060>', "reg-boris")
STRANGER = ("carl@other.example", '"" <sip:carl@10.0.0.8:5060>', "reg-carl")


@dataclass
class Harness:
    port: int
    password: str = "ClueCon"
    presence: PresenceView = field(default_factory=PresenceView)
    metrics: Metrics = field(default_factory=Metrics)
    delays: list = field(default_factory=list)
    handshake_timeout: float = 2.0
    time_scale: float = 1000.0
    backoff_open: Event = field(default_factory=lambda: _opened(Event()))

    def __post_init__(self):
        self.supervisor = InboundSupervisor(
            lambda: FreeswitchSettings(host="127.0.0.1", port=self.port, password=self.password),
            lambda: DOMAIN, self.presence, self.metrics, sleep=self._sleep, random=lambda: 0.5,
            handshake_timeout=self.handshake_timeout)

    def _sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.backoff_open.wait()      # a test that closed it looks at the state between two links
        gevent.sleep(seconds / self.time_scale)

    def metric(self, name: str) -> float:
        return self.metrics.registry.get_sample_value(name)


def _opened(event: Event) -> Event:
    event.set()
    return event


@pytest.fixture
def switch():
    with ScriptedSwitch(registrations=[ANNA_DESK, ANNA_SOFT, BORIS, STRANGER]) as fake:
        yield fake


@pytest.fixture
def linked(switch):
    harness = Harness(switch.port)
    harness.supervisor.start()
    wait_until(lambda: harness.presence.connected)
    yield harness
    harness.supervisor.stop()


def test_connect_authenticates_subscribes_and_loads_registrations(switch, linked):
    assert switch.commands == ["auth ClueCon", SUBSCRIPTION, "api sofia status",
                               "api sofia xmlstatus profile internal reg"]
    assert SUBSCRIPTION.split()[:3] == ["event", "json", "CHANNEL_CREATE"]     # one json.loads per event
    presence = linked.presence
    assert presence.is_registered("anna") and presence.contacts("anna") == 2
    assert presence.is_registered("boris")
    assert not presence.is_registered("ivan")
    assert not presence.is_registered("carl")                  # another domain
    assert linked.metric("callrouter_esl_connected") == 1
    assert linked.metric("callrouter_esl_reconnects_total") == 0


def test_register_and_unregister_events_update_presence(switch, linked):
    presence = linked.presence
    switch.send_event(**{"Event-Name": "CUSTOM", "Event-Subclass": "sofia::register",
                         "from-user": "ivan", "from-host": DOMAIN, "contact": '"" <sip:ivan@10.0.0.9>',
                         "call-id": "reg-ivan", "expires": "3600"})
    wait_until(lambda: presence.is_registered("ivan"))
    switch.send_event(**{"Event-Name": "CUSTOM", "Event-Subclass": "sofia::unregister",
                         "from-user": "anna", "from-host": DOMAIN, "contact": ANNA_DESK[1],
                         "call-id": ANNA_DESK[2], "expires": "0"})
    wait_until(lambda: presence.contacts("anna") == 1)
    assert presence.is_registered("anna")                      # the softphone is still there
    switch.send_event(**{"Event-Name": "CUSTOM", "Event-Subclass": "sofia::expire",
                         "user": "anna", "host": DOMAIN, "realm": DOMAIN, "contact": ANNA_SOFT[1],
                         "call-id": ANNA_SOFT[2], "expires": "1795733115"})
    wait_until(lambda: not presence.is_registered("anna"))


def test_answer_makes_a_login_busy_and_hangup_idle(switch, linked):
    presence = linked.presence
    b_leg = {"Unique-ID": "b-leg-1", "Call-Direction": "outbound",
             "variable_dialed_user": "boris", "variable_dialed_domain": DOMAIN}
    switch.send_event(**{"Event-Name": "CHANNEL_CREATE", **b_leg})
    switch.send_event(**{"Event-Name": "CHANNEL_ANSWER", **b_leg})
    wait_until(lambda: presence.is_busy("boris"))
    switch.send_event(**{"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Hangup-Cause": "NORMAL_CLEARING", **b_leg})
    wait_until(lambda: not presence.is_busy("boris"))


def test_events_that_arrive_while_registrations_load_are_not_lost():
    with ScriptedSwitch(registrations=[BORIS]) as switch:
        switch.events_before_listing = [
            {"Event-Name": "CUSTOM", "Event-Subclass": "sofia::register", "from-user": "ivan",
             "from-host": DOMAIN, "contact": "<sip:ivan@10.0.0.9>", "call-id": "reg-ivan"}]
        harness = Harness(switch.port)
        harness.supervisor.start()
        try:
            wait_until(lambda: harness.presence.connected)
            assert harness.presence.is_registered("ivan") and harness.presence.is_registered("boris")
        finally:
            harness.supervisor.stop()


def test_a_dropped_link_falls_back_to_available_and_reconnects(switch, linked, caplog):
    presence = linked.presence
    switch.send_event(**{"Event-Name": "CHANNEL_ANSWER", "Unique-ID": "b1", "Call-Direction": "outbound",
                         "variable_dialed_user": "boris", "variable_dialed_domain": DOMAIN})
    wait_until(lambda: presence.is_busy("boris"))
    switch.registrations = [BORIS]                             # anna went away meanwhile
    linked.backoff_open.clear()         # else the scaled backoff may reconnect between two looks
    with caplog.at_level(logging.WARNING, logger="daemon.inbound"):
        switch.drop()
        wait_until(lambda: linked.delays, what="the backoff after the drop")
        assert not presence.connected
        assert presence.is_registered("ivan") and not presence.is_busy("boris")
        assert linked.metric("callrouter_esl_connected") == 0
        linked.backoff_open.set()
        wait_until(lambda: presence.connected)
    assert switch.connections == 2
    assert not presence.is_registered("anna") and presence.is_registered("boris")
    assert linked.metric("callrouter_esl_connected") == 1
    assert linked.metric("callrouter_esl_reconnects_total") == 1
    assert linked.delays == [0.375]                            # first step of the backoff, jittered
    assert "link to 127.0.0.1:%d lost (connection closed by FreeSWITCH)" % switch.port in caplog.text


def test_a_wrong_password_is_an_error_retried_at_the_longest_delay(caplog):
    with ScriptedSwitch(password="s3cret") as switch:
        harness = Harness(switch.port, password="Wr0ng-Pa55")
        with caplog.at_level(logging.WARNING, logger="daemon.inbound"):
            harness.supervisor.start()
            wait_until(lambda: len(harness.delays) >= 3)
            harness.supervisor.stop()
    assert harness.delays[:3] == [22.5, 22.5, 22.5]             # the 30 s cap, jittered
    assert harness.metric("callrouter_esl_reconnects_total") >= 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) >= 3
    assert "wrong password: -ERR invalid" in errors[0].getMessage()
    assert "Wr0ng-Pa55" not in caplog.text
    assert harness.presence.is_registered("anyone")           # routing keeps ringing everyone


def test_a_corrected_password_connects_without_waiting_out_the_backoff():
    with ScriptedSwitch(password="s3cret") as switch:
        harness = Harness(switch.port, password="Wr0ng-Pa55", time_scale=1.0)    # real 22.5 s waits
        harness.supervisor.start()
        try:
            wait_until(lambda: harness.delays == [22.5])
            harness.password = "s3cret"                         # what a config reload brings
            harness.supervisor.reconnect()
            wait_until(lambda: harness.presence.connected, timeout=2.0)
        finally:
            harness.supervisor.stop()


def test_an_unreachable_switch_is_retried_with_growing_delays(caplog):
    with refused_port() as port, caplog.at_level(logging.WARNING, logger="daemon.inbound"):
        harness = Harness(port)
        harness.supervisor.start()
        wait_until(lambda: len(harness.delays) >= 8)
        harness.supervisor.stop()
    assert harness.delays[:8] == [0.375, 0.75, 1.5, 3.0, 6.0, 12.0, 22.5, 22.5]
    assert (f"FreeSWITCH ESL at 127.0.0.1:{port} unreachable (connection refused); retrying in 0.4 s"
            in caplog.text)
    assert harness.metric("callrouter_esl_connected") == 0


@pytest.mark.parametrize("greeting, reason, handshake_timeout", [
    # a bound far above what the answer takes: a loaded machine must not turn it into "timed out"
    (b"HTTP/1.1 400 Bad Request\nContent-Length: 0\n\n", "not an event socket (it sent no Content-Type)", 2.0),
    (b"", "timed out", 0.05),                                  # accepts, then says nothing
])
def test_a_peer_that_is_not_an_event_socket_is_reported(greeting, reason, handshake_timeout, caplog):
    with ScriptedSwitch(greeting=greeting) as peer:               # holds the connection open until closed
        harness = Harness(peer.port, handshake_timeout=handshake_timeout)
        try:
            with caplog.at_level(logging.WARNING, logger="daemon.inbound"):
                harness.supervisor.start()
                wait_until(lambda: len(harness.delays) >= 1)
        finally:
            harness.supervisor.stop()
    assert f"FreeSWITCH ESL at 127.0.0.1:{peer.port} unreachable ({reason})" in caplog.text


def test_reconnect_applies_new_settings_at_once(switch, linked):
    linked.supervisor.reconnect()
    wait_until(lambda: switch.connections == 2 and linked.presence.connected)
    assert linked.delays == []                                  # no backoff for a requested reconnect
