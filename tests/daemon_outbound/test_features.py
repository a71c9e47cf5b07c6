"""Feature codes on the call path: the daemon answers, confirms, hangs up, and the override is kept."""
from __future__ import annotations

import pytest

from config.models import DaemonSettings
from daemon.executor import CallBounds
from daemon.features import TONE_OFF, TONE_ON
from daemon.metrics import Metrics
from daemon.outbound import OutboundServer
from routing import plan
from routing.types import Call as RoutingCall
from store.state import StoreState
from tests.daemon_outbound.conftest import NOW, Clock, Planner, Records
from tests.daemon_outbound.switch import UUID, Call, connect_with
from tests.daemon_outbound.test_feature_codes import COMPANY, company
from tests.store.conftest import open_store


class Overrides:
    """An overrides writer that remembers what it was asked to keep."""
    def __init__(self) -> None:
        self.kept: list[tuple[str, str, bool]] = []

    def set_override(self, login: str, kind: str, on: bool) -> None:
        self.kept.append((login, kind, on))


class FeatureDaemon:
    """The outbound server over the test company; routing is a table with nothing in it."""
    def __init__(self, writer, snapshot=COMPANY) -> None:
        self.metrics = Metrics()
        self.records = Records()
        self.planner = Planner()
        self.server = OutboundServer(
            ("127.0.0.1", 0), snapshot=lambda: snapshot, now=Clock(), metrics=self.metrics,
            records=self.records, planner=self.planner, overrides_writer=writer,
            settings=DaemonSettings(command_timeout=0.5, linger=1),
            bounds=CallBounds(ring_margin=0.5, linger_margin=0.5))

    def dial(self, caller: str, dialled: str) -> Call:
        """FreeSWITCH connects a call from `caller` to `dialled` (URL-encoded as in its events)."""
        return Call.place(self.server.address, connect_with(Caller_Caller_ID_Number=caller,
                                                            Caller_Destination_Number=dialled))

    def value(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def overrides() -> Overrides:
    return Overrides()


@pytest.fixture
def daemon(overrides):
    d = FeatureDaemon(overrides)
    d.server.start()
    yield d
    d.server.close()


def confirm(call: Call) -> str:
    """Play FreeSWITCH's part of a confirmation: answer, playback, hangup; the tone played."""
    call.app("answer")
    playback = call.app("playback")
    assert call.app("hangup")["execute-app-arg"] == "NORMAL_CLEARING"
    call.complete(playback)
    call.hang_up("NORMAL_CLEARING")
    return playback["execute-app-arg"]


def test_an_employee_dialling_dnd_on_is_answered_confirmed_and_the_override_kept(daemon, overrides, caplog):
    caplog.set_level("INFO")
    call = daemon.dial("201", "*78")
    assert confirm(call) == TONE_ON

    record = daemon.records.next()
    assert call.closed_by_daemon()
    assert overrides.kept == [("ivan.petrov", "dnd", True)]
    assert (record.called, record.outcome, record.reason, record.target, record.direction) == (
        "*78", "feature", "dnd_on", "employee:ivan.petrov", "internal")
    assert [(s.action, s.reason) for s in record.steps] == [("confirm", "dnd_on")]
    assert daemon.planner.calls == []                       # not routed as a call to someone
    assert daemon.server.drain(5) == 0
    assert daemon.value("callrouter_calls_total", kind="feature", outcome="feature") == 1
    applied = [r for r in caplog.records if r.getMessage() == "feature code applied"]
    assert [(r.uuid, r.login, r.feature) for r in applied] == [(UUID, "ivan.petrov", "dnd_on")]


def test_cancelling_a_forward_dialled_as_freeswitch_encodes_the_hash_plays_the_off_tone(daemon, overrides):
    call = daemon.dial("ivan.petrov", "%2321")
    assert confirm(call) == TONE_OFF
    assert daemon.records.next().outcome == "feature"
    assert overrides.kept == [("ivan.petrov", "forward_to_mobile", False)]


def test_an_external_caller_dialling_a_code_is_rejected_unanswered_and_nothing_is_kept(daemon, overrides, caplog):
    call = daemon.dial("+74951234567", "*21")
    assert call.app("hangup")["execute-app-arg"] == "CALL_REJECTED"
    call.hang_up("CALL_REJECTED")

    record = daemon.records.next()
    assert call.closed_by_daemon()
    assert call.unread() == []
    assert not any("execute-app-name: answer" in command for command in call.received)
    assert overrides.kept == []
    assert (record.outcome, record.reason, record.target, record.hangup_cause) == (
        "busy", "not_an_employee", "", "CALL_REJECTED")
    assert daemon.server.drain(5) == 0
    assert daemon.value("callrouter_calls_total", kind="feature", outcome="busy") == 1
    refused = [r for r in caplog.records if r.getMessage() == "feature code refused"]
    assert [(r.uuid, r.caller, r.code, r.why) for r in refused] == [(UUID, "+74951234567", "*21", "not_an_employee")]


def test_forward_to_mobile_without_a_mobile_is_rejected(daemon, overrides):
    call = daemon.dial("202", "*21")
    assert call.app("hangup")["execute-app-arg"] == "CALL_REJECTED"
    call.hang_up("CALL_REJECTED")
    assert daemon.records.next().reason == "no_mobile"
    assert overrides.kept == []


def test_dnd_dialled_through_the_store_routes_the_next_call_and_survives_a_restart(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/store.sqlite3")
    store.upgrade()
    state = StoreState(store).start()
    daemon = FeatureDaemon(state)
    daemon.server.start()
    try:
        confirm(daemon.dial("201", "*78"))
        assert daemon.records.next().outcome == "feature"
    finally:
        daemon.server.close()
    next_call = RoutingCall(destination="201", caller="+74951234567", uuid="next")
    assert plan(next_call, COMPANY, NOW, overrides=state).reason == "dnd"
    state.stop()

    restarted = StoreState(store).start()
    try:
        assert plan(next_call, COMPANY, NOW, overrides=restarted).reason == "dnd"
    finally:
        restarted.stop()
        store.close()


def test_the_confirmation_is_the_companys_own_sound_when_it_has_one(overrides):
    d = FeatureDaemon(overrides, company({"confirm_on": "sounds/feature-on.wav"}))
    d.server.start()
    try:
        assert confirm(d.dial("201", "*78")) == "sounds/feature-on.wav"
        assert confirm(d.dial("201", "*21")) == "sounds/feature-on.wav"
        assert confirm(d.dial("201", "*79")) == TONE_OFF                   # no confirm_off: the tone
    finally:
        d.server.close()
    assert overrides.kept == [("ivan.petrov", "dnd", True), ("ivan.petrov", "forward_to_mobile", True),
                              ("ivan.petrov", "dnd", False)]
