"""``bgapi originate`` through a gateway on the inbound socket, seen as raw bytes.

What the recovery call relies on, checked against FreeSWITCH's behaviour: the
``+OK Job-UUID`` reply, a BACKGROUND_JOB whose body is ``+OK <uuid>\\n`` once the
mobile answered or ``-ERR <cause>\\n`` when it never did (the same headers as the
BACKGROUND_JOB of inbound_07, Job-Command-Arg URL-encoded), ``filter`` replies,
the originated channel's events with ``origination_uuid`` as Unique-ID and the
keyed digits in ``variable_<var_name>`` of play_and_get_digits' CHANNEL_EXECUTE_COMPLETE.
"""
from __future__ import annotations

import pytest

from tests.fakeswitch import FakeSwitch
from tests.fakeswitch.originated import app_and_args, split_args

from .rawpeer import RawPeer

UUID = "0a0a0a0a-1111-4222-8333-444444444444"
JOB = "11111111-2222-3333-4444-555555555555"
MOBILE = "+79161234567"
ORIGINATE = (f"originate {{origination_uuid={UUID},ignore_early_media=true,originate_timeout=20,"
             f"origination_caller_id_number=+74951234567,recovery_prompt=tone_stream://%(300\\,200\\,523)}}"
             f"sofia/gateway/trunk/{MOBILE} "
             "'&play_and_get_digits(6 6 3 10000 # ${recovery_prompt} silence_stream://250 recovery_code \\d+ 5000)'")
# inbound_07's BACKGROUND_JOB headers, in order.
JOB_HEADERS = ["Event-Name", "Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname", "FreeSWITCH-IPv4",
               "FreeSWITCH-IPv6", "Event-Date-Local", "Event-Date-GMT", "Event-Date-Timestamp",
               "Event-Calling-File", "Event-Calling-Function", "Event-Calling-Line-Number", "Event-Sequence",
               "Job-UUID", "Job-Command", "Job-Command-Arg", "Content-Length"]


@pytest.fixture
def sim():
    switch = FakeSwitch(scale=0.01).start()
    yield switch
    switch.stop()


def connected(sim) -> RawPeer:
    peer = RawPeer.connect(sim.inbound_address)
    assert peer.read().content_type == "auth/request"
    peer.command("auth ClueCon")
    assert peer.read().get("Reply-Text") == "+OK accepted"
    return peer


def subscribe(peer: RawPeer) -> None:
    peer.command(f"filter Unique-ID {UUID}")
    assert peer.read().get("Reply-Text") == f"+OK filter added. [Unique-ID]=[{UUID}]"
    peer.command(f"filter Job-UUID {JOB}")
    assert peer.read().get("Reply-Text") == f"+OK filter added. [Job-UUID]=[{JOB}]"
    peer.command("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE "
                 "BACKGROUND_JOB")
    assert peer.read().get("Reply-Text") == "+OK event listener enabled plain"


def test_split_args_keeps_a_quoted_application_whole():
    assert split_args("a  'b c(d e)' f") == ["a", "b c(d e)", "f"]


def test_the_application_ends_at_the_first_closing_parenthesis():
    """mod_commands originate: `&playback(tone_stream://%(1,2,3))` runs playback(tone_stream://%(1,2,3).

    v1.11.1 mod_commands.c originate_function: `strchr(app_name, ')')`."""
    assert app_and_args("&play_and_get_digits(6 6 3 1 # tone_stream://%(1,2,3) x)") == \
        ("play_and_get_digits", "6 6 3 1 # tone_stream://%(1,2,3")
    assert app_and_args("&park()") == ("park", "") and app_and_args("&park") == ("park", "")


def test_answered_mobile_keys_digits(sim):
    sim.mobile(MOBILE, answer_after=2)
    peer = connected(sim)
    subscribe(peer)
    peer.command(f"bgapi {ORIGINATE}\nJob-UUID: {JOB}")
    reply = peer.read()
    assert reply.get("Reply-Text") == f"+OK Job-UUID: {JOB}" and reply.get("Job-UUID") == JOB
    sim.wait_originated().press("4321")
    sim.originated[0].press("09")
    messages = peer.read_until(lambda m: m.event_name == "CHANNEL_HANGUP_COMPLETE", timeout=5)
    names = [m.event_name for m in messages]
    assert names == ["CHANNEL_CREATE", "CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_EXECUTE_COMPLETE",
                     "CHANNEL_HANGUP_COMPLETE"]
    job = messages[2]
    assert [k for k, _ in job.event][:len(JOB_HEADERS)] == JOB_HEADERS
    assert job.body.decode().endswith(f"\n\n+OK {UUID}\n")
    assert "Job-Command-Arg: originate%20" not in job.body.decode()          # the command is Job-Command
    assert job.event_value("Job-Command") == "originate"
    assert "'%26play_and_get_digits(" in job.body.decode()        # switch_url_encode keeps ' and (
    done = messages[3]
    assert done.event_value("Unique-ID") == UUID and done.event_value("Application") == "play_and_get_digits"
    assert done.event_value("Application-Data").startswith("6 6 3 10000 # tone_stream://%(300,200,523) ")
    assert done.event_value("variable_recovery_code") == "432109"
    assert messages[0].event_value("Caller-Caller-ID-Number") == "+74951234567"
    assert messages[0].event_value("Channel-Name") == f"sofia/gateway/trunk/{MOBILE}"
    assert messages[4].event_value("Hangup-Cause") == "NORMAL_CLEARING"


def test_unanswered_mobile_fails_the_job(sim):
    sim.mobile(MOBILE, answer_after=None)
    peer = connected(sim)
    subscribe(peer)
    peer.command(f"bgapi {ORIGINATE}\nJob-UUID: {JOB}")
    peer.read()
    messages = peer.read_until(lambda m: m.event_name == "BACKGROUND_JOB", timeout=5)
    assert [m.event_name for m in messages] == ["CHANNEL_CREATE", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"]
    assert messages[1].event_value("Hangup-Cause") == "NO_ANSWER"
    assert messages[-1].body.decode().endswith("\n\n-ERR NO_ANSWER\n")


def test_filters_keep_other_channels_out(sim):
    sim.mobile(MOBILE, answer_after=1)
    sim.mobile("+79160000000", answer_after=1)
    peer = connected(sim)
    subscribe(peer)
    other = connected(sim)
    other.command("api " + ORIGINATE.replace(UUID, "0b0b0b0b-1111-4222-8333-444444444444")
                  .replace(MOBILE, "+79160000000"))
    sim.wait_originated().hang_up()
    assert other.read(timeout=5).body.startswith(b"+OK 0b0b0b0b")
    assert peer.drain(0.3) == []


def test_sync_api_originate_answers_with_the_uuid(sim):
    sim.mobile(MOBILE, answer_after=1)
    peer = connected(sim)
    peer.command(f"api {ORIGINATE}")
    sim.wait_originated().hang_up()
    response = peer.read(timeout=5)
    assert response.content_type == "api/response" and response.body == f"+OK {UUID}\n".encode()
