"""The inbound event socket against the reference transcripts (inbound_01 … 07)."""
from __future__ import annotations

import re

import pytest

from tests.fakeswitch import FakeSwitch, Quirks

from .rawpeer import RawPeer
from .replay import closed_address, replay
from .transcripts import framing_problems, header_names, kinds

#: api bodies that must be byte-identical (the others hold times, call-ids, uuids).
_VOLATILE = re.compile(rb"UP 0 years|Call-ID|<call-id>|reg_user|^uuid,|Job-UUID")


def capture_box(caller: bool = True, **kwargs) -> FakeSwitch:
    """The capture's box: domain 127.0.0.1, 1001 registered (the caller), 1005 not."""
    sim = FakeSwitch(domain="127.0.0.1", hostname="vm", **kwargs).start()
    sim.employee("1001", registered=caller)
    sim.employee("1005", registered=False)
    return sim


def inbound(sim):
    return {"c": lambda: RawPeer.connect(sim.inbound_address)}


def assert_same(got, want, *, bodies=True):
    assert kinds(got) == kinds(want)
    for g, w in zip(got, want):
        assert header_names(g) == header_names(w), kinds([w])
        assert framing_problems(g) == [], kinds([w])
        if bodies and g.content_type == "api/response" and not _VOLATILE.search(w.body):
            assert g.body == w.body


@pytest.mark.parametrize("name", [
    "inbound_01_auth_api_bgapi",
    "inbound_02_auth_wrong_password",
    "inbound_03_command_before_auth",
    "inbound_07_bgapi_and_api_error_bodies",
])
def test_commands_get_freeswitchs_replies(name):
    sim = capture_box()
    try:
        result = replay(name, inbound(sim))["c"]
        assert_same(result.got, result.want)
        assert result.peer.closed, "FreeSWITCH closed the socket after its goodbye"
    finally:
        sim.stop()


def test_client_chosen_job_uuid_is_used_for_reply_and_event():
    sim = capture_box()
    try:
        result = replay("inbound_01_auth_api_bgapi", inbound(sim))["c"]
        chosen = "11111111-2222-3333-4444-555555555555"
        reply, event = [m for m in result.got if chosen in m.raw.decode()][:2]
        assert reply.get("Job-UUID") == chosen and event.event_value("Job-UUID") == chosen
    finally:
        sim.stop()


def test_registrations_as_sofia_reports_them():
    """inbound_06: none, one, then two contacts, then unregistered."""
    sim = capture_box(caller=False)
    sim.employee("1000", registered=False)

    def on_note(conn, text):
        if "second contact" in text:
            sim.directory.employees["1000"].contacts = 2
            sim.register("1000")
        elif "REGISTERs 1000" in text:
            sim.register("1000")
        elif "unregisters" in text:
            sim.unregister("1000")

    try:
        result = replay("inbound_06_sofia_status_reg_and_sofia_contact", inbound(sim), on_note=on_note)["c"]
        assert_same(result.got, result.want)
        contacts = [m.body for m in result.got if m.body.startswith((b"sofia/", b"error/"))]
        assert contacts == [m.body for m in result.want if m.body.startswith((b"sofia/", b"error/"))]
    finally:
        sim.stop()


@pytest.mark.parametrize("name", ["inbound_04_events_plain_during_call", "inbound_05_events_json_during_call"])
def test_events_of_a_two_leg_call(name):
    """1001 calls 1000 through the plain dialplan (the socket application finds no listener)."""
    sim = capture_box(fallback_dial="user/1000@127.0.0.1", quirks=Quirks(late_b_hangup_complete=True))
    sim.employee("1000", answer_after=0.02)
    calls = []

    def on_note(conn, text):
        if "places call" in text:
            calls.append(sim.place_call(closed_address(), "1000", caller="1001", talk_time=None))
        elif "1.5 s after" in text:
            sim.clock.sleep(1.5)

    def on_message(conn, message):
        if message.event_name == "BACKGROUND_JOB":
            calls[0].hangup()

    try:
        result = replay(name, inbound(sim), on_note=on_note, on_message=on_message)["c"]
        assert_same(result.got, result.want)
        events = [m for m in result.got if m.event_name]
        a_leg, b_leg = calls[0].uuid, events[1].event_value("Unique-ID")
        assert [e.event_value("Unique-ID") for e in events if e.event_name != "BACKGROUND_JOB"] == \
            [a_leg, b_leg, b_leg, a_leg, a_leg, b_leg]
        assert events[1].event_value("variable_dialed_user") == "1000"
        assert events[0].event_value("variable_sip_from_user") == "1001"
        job = [e for e in events if e.event_name == "BACKGROUND_JOB"][0]
        body = job.body.decode().split("\n\n", 1)[1] if "plain" in name else job.event_value("_body")
        assert a_leg in body and b_leg in body and body.endswith("\n\n2 total.\n")
        completes = [e for e in events if e.event_name == "CHANNEL_HANGUP_COMPLETE"]
        assert int(completes[0].event_value("Event-Sequence")) > int(completes[1].event_value("Event-Sequence"))
    finally:
        sim.stop()
