"""Calls the simulator places, seen from a scripted daemon over real TCP."""
from __future__ import annotations

import pytest

from tests.fakeswitch import FakeSwitch, Quirks
from tests.fakeswitch.session import NOTICE_AFTER_HANGUP, REPLY_FIRST

from .rawpeer import RawPeer
from .replay import closed_address
from .scripted import ScriptedDaemon

DOMAIN = "pbx.romashka.local"


@pytest.fixture
def sim():
    switch = FakeSwitch(domain=DOMAIN, scale=0.01, quirks=Quirks(REPLY_FIRST, NOTICE_AFTER_HANGUP, 0.5)).start()
    yield switch
    switch.stop()


@pytest.fixture
def daemon():
    stub = ScriptedDaemon()
    yield stub
    stub.stop()


def test_connect_reply_describes_the_call(sim, daemon):
    sim.place_call(daemon.address, "201", caller="+74951112233", caller_name="ООО Ромашка")
    session = daemon.accept()
    data = session.start()
    assert data.get("Reply-Text") == "%2BOK%0A" and data.get("Socket-Mode") == "async"
    assert data.event_value("Caller-Destination-Number") == "201"
    assert data.event_value("Caller-Caller-ID-Number") == "+74951112233"
    assert data.event_value("Caller-Caller-ID-Name") == "ООО Ромашка"
    assert data.event_value("Channel-Name") == "sofia/external/+74951112233@198.51.100.7"
    assert data.event_value("variable_socket_resume") == "true"


def test_an_internal_caller_carries_its_directory_entry(sim, daemon):
    sim.employee("ivan.petrov")
    sim.place_call(daemon.address, "202", caller="ivan.petrov")
    data = daemon.accept().start()
    assert data.event_value("Channel-Name") == f"sofia/internal/ivan.petrov@{DOMAIN}"
    assert data.event_value("variable_sip_from_user") == "ivan.petrov"
    assert data.event_value("Caller-Username") == "ivan.petrov"
    assert data.event_value("variable_user_name") == "ivan.petrov"


def test_answered_bridge_with_hangup_after_bridge(sim, daemon):
    sim.employee("ivan.petrov", answer_after=2)
    call = sim.place_call(daemon.address, "201", talk_time=5)
    session = daemon.accept()
    session.start()
    session.execute("set", "hangup_after_bridge=true")
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    done = session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge")
    assert done.event_value("variable_originate_disposition") == "SUCCESS"
    assert done.event_value("variable_bridge_hangup_cause") == "NORMAL_CLEARING"
    session.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert call.wait(2)
    names = session.names()
    order = [names.index(name) for name in ("CHANNEL_PROGRESS", "CHANNEL_ANSWER", "CHANNEL_BRIDGE",
                                            "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP")]
    assert order == sorted(order)
    assert names.index("CHANNEL_HANGUP") < names.index("CHANNEL_EXECUTE_COMPLETE", names.index("CHANNEL_BRIDGE"))
    assert call.answered_by == "ivan.petrov" and call.answered and call.hangup_cause == "NORMAL_CLEARING"
    (bridge,) = call.bridges
    assert (bridge.disposition, bridge.hangup_cause, bridge.legs[0].outcome) == ("SUCCESS", "NORMAL_CLEARING", "SUCCESS")


def test_without_hangup_after_bridge_the_daemon_keeps_the_caller(sim, daemon):
    sim.employee("ivan.petrov", answer_after=1)
    call = sim.place_call(daemon.address, "201", talk_time=2)
    session = daemon.accept()
    session.start()
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge")
    session.execute("playback", "ivr/thanks.wav")
    played = session.wait_event("CHANNEL_EXECUTE_COMPLETE", "playback")
    assert played.event_value("Application-Response") == "FILE PLAYED"
    assert not call.done
    session.command("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
    session.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert call.wait(2) and call.apps == [("bridge", f"user/ivan.petrov@{DOMAIN}"), ("playback", "ivr/thanks.wav")]


def test_failed_bridge_without_continue_on_fail_hangs_up_the_caller(sim, daemon):
    sim.employee("ivan.petrov", busy=True)
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start()
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    done = session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge")
    assert done.event_value("Hangup-Cause") == "USER_BUSY"
    assert done.event_value("variable_DIALSTATUS") == "BUSY"
    assert done.event_value("variable_sip_invite_failure_status") == "486"
    assert call.wait(2) and call.hangup_cause == "USER_BUSY"


def test_office_then_delayed_mobile_on_the_sim_clock(sim, daemon):
    sim.employee("ivan.petrov")
    sim.mobile("+79161234567", answer_after=3)
    call = sim.place_call(daemon.address, "201", talk_time=1)
    session = daemon.accept()
    session.start()
    session.execute("set", "continue_on_fail=true")
    session.execute("bridge", f"{{ignore_early_media=true}}[leg_timeout=20]user/ivan.petrov@{DOMAIN},"
                              "[leg_delay_start=5,leg_timeout=20]sofia/gateway/gsm/+79161234567")
    session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge", timeout=3)
    office, mobile = call.bridges[0].legs
    assert (office.device, office.outcome) == ("office", "LOSE_RACE")
    assert (mobile.device, mobile.outcome) == ("mobile", "SUCCESS")
    assert 5.2 <= mobile.start <= 5.9 and mobile.end == pytest.approx(mobile.start + 3)
    assert call.answered_by == "+79161234567"


def test_an_unregistered_desk_phone_lets_the_mobile_ring_at_once(sim, daemon):
    sim.employee("ivan.petrov", registered=False)
    sim.mobile("+79161234567", answer_after=1)
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start()
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN},[leg_delay_start=5]sofia/gateway/gsm/+79161234567")
    session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge")
    office, mobile = call.bridges[0].legs
    assert office.outcome == "USER_NOT_REGISTERED"
    assert (mobile.start, mobile.end, mobile.outcome) == (0.0, 1.0, "SUCCESS")


def test_caller_cancel_during_ringing_with_linger(sim, daemon):
    """The linger notice comes before the bridge's completion, which still arrives."""
    sim.employee("ivan.petrov")
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start(linger="")
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    session.wait_event("CHANNEL_PROGRESS")
    call.hangup()
    notice = session.wait_notice("linger")
    assert notice.get("Linger-Time") == "-1" and notice.body == b""
    done = session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge")
    assert done.event_value("variable_originate_disposition") == "ORIGINATOR_CANCEL"
    assert done.event_value("variable_DIALSTATUS") == "CANCEL"
    assert done.event_value("variable_bridge_hangup_cause") is None
    session.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert call.wait(1) and call.hangup_cause == "ORIGINATOR_CANCEL" and not call.answered
    assert session.rest(0.2) == [] and not session.peer.closed, "a plain linger never closes"
    assert session.command("sendmsg\ncall-command: execute\nexecute-app-name: answer").get("Reply-Text") == "+OK"


def test_linger_n_closes_n_seconds_after_the_notice(sim, daemon):
    """N plus the whole-second timer's slack (0.5 s in this switch's quirks)."""
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start(linger="3")
    start = sim.now()               # the linger time counts from the hangup; reading the notice late must not shorten it
    call.hangup()
    session.wait_notice("linger")
    goodbye = session.wait_notice("disconnect")
    assert sim.now() - start >= 3.4
    assert goodbye.body.startswith(b"Disconnected, goodbye.")
    assert session.peer.read(0.5) is None and session.peer.closed
    assert call.wait(1)


def test_without_linger_the_goodbye_follows_hangup_complete(sim, daemon):
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start(linger=None)
    call.hangup()
    session.wait_notice("disconnect")
    assert session.names()[-2:] == ["CHANNEL_HANGUP_COMPLETE", "notice:disconnect"]
    assert call.wait(1)


def test_closing_after_resume_falls_back_and_without_it_stays_parked(sim, daemon):
    resumed = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start()
    session.command("resume")
    session.peer.close()
    assert resumed.wait(1) and resumed.fell_back and not resumed.parked

    parked = sim.place_call(daemon.address, "201", socket_resume=False)
    session = daemon.accept()
    session.start()
    session.peer.close()
    assert not parked.wait(0.3)
    assert parked.parked and not parked.fell_back
    parked.hangup()
    assert parked.wait(1) and parked.hangup_cause == "ORIGINATOR_CANCEL"


def test_socket_resume_set_by_the_dialplan_makes_a_close_fall_back(sim, daemon):
    call = sim.place_call(daemon.address, "201")
    daemon.accept().peer.close()
    assert call.wait(1) and call.fell_back


def test_nothing_listening_falls_back_at_once(sim):
    call = sim.place_call(closed_address(), "201")
    assert call.wait(1) and call.fell_back and not call.connected


def test_voicemail_only_pre_answers(sim, daemon):
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start()
    session.execute("voicemail", f"default {DOMAIN} ivan.petrov")
    session.wait_event("CHANNEL_EXECUTE_COMPLETE", "voicemail")
    assert "CHANNEL_PROGRESS_MEDIA" in session.names() and "CHANNEL_ANSWER" not in session.names()
    assert (call.voicemail, call.voicemail_after_answer, call.answered) == ("ivan.petrov", False, False)
    session.execute("answer")
    session.execute("voicemail", f"default {DOMAIN} sales")
    session.wait_event("CHANNEL_EXECUTE_COMPLETE", "voicemail")
    assert (call.voicemail, call.voicemail_after_answer, call.answered) == ("sales", True, True)


def test_event_uuid_becomes_application_uuid(sim, daemon):
    sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start()
    session.execute("set", "x=1", event_uuid="5e7c0de0-0000-4000-8000-000000000001", event_lock="true")
    done = session.wait_event("CHANNEL_EXECUTE_COMPLETE", "set")
    assert done.event_value("Application-UUID") == "5e7c0de0-0000-4000-8000-000000000001"
    assert done.event_value("variable_x") == "1"


def test_originate_failed_cause_is_sticky_across_bridges(sim, daemon):
    sim.employee("busy.one", busy=True)
    sim.employee("answers", answer_after=1)
    sim.place_call(daemon.address, "201", talk_time=None)
    session = daemon.accept()
    session.start()
    session.execute("set", "continue_on_fail=true")
    session.execute("bridge", f"user/busy.one@{DOMAIN}")
    session.execute("bridge", f"user/answers@{DOMAIN}")
    session.wait_event("CHANNEL_BRIDGE")
    bridged = [m for m in session.messages if m.event_name == "CHANNEL_BRIDGE"][0]
    assert bridged.event_value("variable_originate_failed_cause") == "USER_BUSY"
    assert bridged.event_value("Other-Type") == "originatee"


def test_myevents_shows_only_the_callers_channel(sim, daemon):
    sim.employee("ivan.petrov", answer_after=1, contacts=2)
    call = sim.place_call(daemon.address, "201", talk_time=1)
    session = daemon.accept()
    session.start()
    session.execute("set", "hangup_after_bridge=true")
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    session.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert call.wait(1)
    assert {m.event_value("Unique-ID") for m in session.messages if m.event_name} == {call.uuid}


def test_a_hostile_caller_reaches_the_daemon_as_freeswitch_sends_it(sim, daemon):
    """No decoding and no re-encoding of %XX: the From user goes raw into the linger notice."""
    hostile = "x%0ACaller-Destination-Number:%20203%0AEvent-Name:%20CHANNEL_HANGUP_COMPLETE"
    call = sim.place_call(daemon.address, "201", caller=hostile, caller_name=hostile)
    session = daemon.accept()
    data = session.start()
    call.hangup()
    raw = data.raw.decode()
    assert "Caller-Caller-ID-Name: x%0ACaller-Destination-Number%3A%20203%0AEvent-Name%3A%20CHANNEL_HANGUP_COMPLETE\n" in raw
    assert "Caller-Destination-Number: 201\n" in raw
    notice = session.wait_notice("linger")
    assert notice.get("Channel-Name") == f"sofia/external/{hostile}@198.51.100.7"


def test_talk_time_none_holds_calls_until_hangup_all(sim, daemon):
    sim.employee("ivan.petrov", answer_after=0.5)
    held = [sim.place_call(daemon.address, "201", talk_time=None) for _ in range(3)]
    for _ in held:
        session = daemon.accept()
        session.start()
        session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    sim.clock.sleep(30)
    assert not any(call.done for call in held)
    sim.hangup_all()
    assert sim.wait_calls(2)
    assert all(call.hangup_cause == "NORMAL_CLEARING" and call.answered_by == "ivan.petrov" for call in held)


def test_sendmsg_after_hangup_still_gets_ok(sim, daemon):
    call = sim.place_call(daemon.address, "201")
    session = daemon.accept()
    session.start()
    session.execute("hangup", "CALL_REJECTED")
    session.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert call.wait(1) and call.hangup_cause == "CALL_REJECTED"
    assert session.execute("playback", "x.wav").get("Reply-Text") == "+OK"
    assert b"execute-app-name: playback" in call.sent


def test_channel_overrides(sim, daemon):
    sim.place_call(daemon.address, "201", channel_overrides={"variable_sip_h_X-Trunk": "mts",
                                                             "Caller-Context": "from-trunk"})
    data = daemon.accept().start()
    assert data.event_value("variable_sip_h_X-Trunk") == "mts"
    assert data.event_value("Caller-Context") == "from-trunk"


def test_events_may_precede_the_reply_of_the_first_sendmsg():
    """outbound_01a: CHANNEL_PARK before the +OK; the daemon must take the next reply as its reply."""
    with FakeSwitch(domain=DOMAIN, quirks=Quirks(first_reply="park_first")) as sim:
        daemon = ScriptedDaemon()
        sim.place_call(daemon.address, "201")
        session = daemon.accept()
        session.start()
        session.execute("set", "a=1")
        assert session.names()[-2:] == ["CHANNEL_PARK", "+OK"]
        daemon.stop()


def test_inbound_listeners_see_both_legs(sim, daemon):
    sim.employee("ivan.petrov", answer_after=1)
    monitor = RawPeer.connect(sim.inbound_address)
    monitor.command("auth ClueCon")
    monitor.command("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
    monitor.read_until(lambda m: m.get("Reply-Text", "").startswith("+OK event"))
    call = sim.place_call(daemon.address, "201", caller="+74951112233", talk_time=1)
    session = daemon.accept()
    session.start()
    session.execute("set", "hangup_after_bridge=true")
    session.execute("bridge", f"user/ivan.petrov@{DOMAIN}")
    assert call.wait(2)
    events = monitor.drain(0.3)
    b_create = [m for m in events if m.event_name == "CHANNEL_CREATE" and m.event_value("Call-Direction") == "outbound"]
    assert b_create[0].event_value("variable_dialed_user") == "ivan.petrov"
    assert b_create[0].event_value("variable_dialed_domain") == DOMAIN
    assert sorted(m.event_name for m in events) == sorted(
        ["CHANNEL_CREATE"] * 2 + ["CHANNEL_ANSWER"] * 2 + ["CHANNEL_HANGUP_COMPLETE"] * 2)


def test_undeclared_targets_ring_unless_the_directory_is_strict(daemon):
    with FakeSwitch(domain=DOMAIN) as lenient, FakeSwitch(domain=DOMAIN, strict_directory=True) as strict:
        for sim, expected in ((lenient, "NO_ANSWER"), (strict, "SUBSCRIBER_ABSENT")):
            call = sim.place_call(daemon.address, "201")
            session = daemon.accept()
            session.start()
            session.execute("bridge", f"{{originate_timeout=5}}user/nobody@{DOMAIN}")
            done = session.wait_event("CHANNEL_EXECUTE_COMPLETE", "bridge")
            assert done.event_value("variable_originate_disposition") == expected
            assert call.wait(1)
